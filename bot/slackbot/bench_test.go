package slackbot_test

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okrbot/okrbot/bot/slackbot"
	"github.com/okrbot/okrbot/internal/fakeslack"
)

// BenchmarkSlackCommands measures signed /okr help and /okr list mine
// through the real HTTP handler (over loopback), the conversations and the
// embedded store, against the fake Slack. It reports throughput and the
// p50/p99 latency of the answer Slack waits for (its limit is 3 s).
//
//	go test ./bot/slackbot -run '^$' -bench BenchmarkSlackCommands -benchtime 300x
func BenchmarkSlackCommands(b *testing.B) {
	for _, c := range []struct{ name, text string }{{"help", "help"}, {"list_mine", "list mine"}} {
		for _, clients := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/clients=%d", c.name, clients), func(b *testing.B) {
				e := newEnv(b, nil)
				for i := range 10 {
					e.command("U0ADA", "C0GROWTH", fmt.Sprintf("/okr create Objective number %d", i+1))
					for k := range 3 {
						e.command("U0ADA", "C0GROWTH", fmt.Sprintf("/okr kr add O-%d Increase metric %d from 10 to 20", i+1, k))
					}
				}
				forms := make([][]byte, b.N)
				for i := range forms {
					forms[i] = []byte(e.fake.Command(team, "U0ADA", "C0GROWTH", "/okr", c.text).Encode())
				}
				lat := make([]time.Duration, b.N)
				next := make(chan int, b.N)
				for i := range b.N {
					next <- i
				}
				close(next)
				var wg sync.WaitGroup
				var failed sync.Once
				b.ResetTimer()
				start := time.Now()
				for range clients {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := range next {
							r := fakeslack.SignedRequest(secret, e.srv.URL+slackbot.PathCommands, fakeslack.Form, forms[i])
							t0 := time.Now()
							resp, err := http.DefaultClient.Do(r)
							if err == nil {
								var sb strings.Builder
								buf := make([]byte, 4096)
								for {
									n, rerr := resp.Body.Read(buf)
									sb.Write(buf[:n])
									if rerr != nil {
										break
									}
								}
								resp.Body.Close()
								if resp.StatusCode != 200 || !strings.Contains(sb.String(), "ephemeral") {
									failed.Do(func() { b.Errorf("answer %d: %s", resp.StatusCode, sb.String()) })
								}
							} else {
								failed.Do(func() { b.Error(err) })
							}
							lat[i] = time.Since(t0)
						}
					}()
				}
				wg.Wait()
				elapsed := time.Since(start)
				b.StopTimer()
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				p := func(q float64) float64 {
					return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
				}
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
				b.ReportMetric(p(0.50), "p50-ms")
				b.ReportMetric(p(0.99), "p99-ms")
			})
		}
	}
}
