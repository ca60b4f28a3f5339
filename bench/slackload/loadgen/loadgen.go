// Package loadgen sends signed Slack slash-command requests to an HTTP
// endpoint at a fixed concurrency and measures each answer: the load of
// bench/slackload, and of the in-process benchmarks that profile okrbot
// under the same load (cmd/okrbot's BenchmarkServeCommands).
//
// Every request is signed as Slack signs it (v0 HMAC-SHA256 over
// "v0:timestamp:body") with the current time, and carries a trigger_id and
// a response_url of its own, so no two requests are the same bytes (a
// replayed request would be dropped, as it should be).
package loadgen

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one load.
type Config struct {
	URL, Secret   string
	Command, Text string // "/okr", "help"
	Team, Channel string
	Users         []string // user ids used in turn
	Concurrency   int      // requests in flight at once
	ResponseHost  string   // scheme and host of the response_urls; https://hooks.slack.com when empty
	// Check, when set, tells a good answer from a bad one.
	Check func(status int, body []byte) bool
}

// Result is what a load measured.
type Result struct {
	N, Non200, Errors, Failed int
	Elapsed                   time.Duration
	Latencies                 []time.Duration // sorted
}

// Throughput is requests per second.
func (r Result) Throughput() float64 { return float64(r.N) / r.Elapsed.Seconds() }

// Quantile returns the q-th latency (0.5: the median; 1: the slowest).
func (r Result) Quantile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(q*float64(len(r.Latencies))+0.5) - 1
	return r.Latencies[max(0, min(i, len(r.Latencies)-1))]
}

// NewClient is an HTTP client keeping c connections open to the endpoint.
func NewClient(concurrency int) *http.Client {
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: concurrency},
	}
}

var seq atomic.Int64

// Run sends n requests, c.Concurrency at a time, and measures each from
// the request sent to the whole answer read. A request failing c.Check
// (when set) counts as failed.
func Run(ctx context.Context, client *http.Client, c Config, n int) (Result, error) {
	users := c.Users
	if len(users) == 0 {
		users = []string{"U0001"}
	}
	var (
		mu   sync.Mutex
		res  = Result{N: n, Latencies: make([]time.Duration, 0, n)}
		next atomic.Int64
		wg   sync.WaitGroup
	)
	start := time.Now()
	for range max(1, c.Concurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for {
				i := next.Add(1)
				if i > int64(n) || ctx.Err() != nil {
					return
				}
				req := Signed(ctx, c, users[int(i)%len(users)])
				t := time.Now()
				resp, err := client.Do(req)
				var status int
				if err == nil {
					buf, err = readAll(resp.Body, buf[:0])
					resp.Body.Close()
					status = resp.StatusCode
				}
				d := time.Since(t)
				failed := err == nil && status == http.StatusOK && c.Check != nil && !c.Check(status, buf)
				mu.Lock()
				res.Latencies = append(res.Latencies, d)
				switch {
				case err != nil:
					res.Errors++
				case status != http.StatusOK:
					res.Non200++
				case failed:
					res.Failed++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return res, err
	}
	slices.Sort(res.Latencies)
	return res, nil
}

func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// Signed is one signed slash-command request from user, as Slack sends it.
func Signed(ctx context.Context, c Config, user string) *http.Request {
	id := strconv.FormatInt(seq.Add(1), 10)
	host := c.ResponseHost
	if host == "" {
		host = "https://hooks.slack.com"
	}
	form := url.Values{
		"token":        {"bench"},
		"team_id":      {c.Team},
		"team_domain":  {"bench"},
		"channel_id":   {c.Channel},
		"channel_name": {"bench"},
		"user_id":      {user},
		"user_name":    {strings.ToLower(user)},
		"command":      {c.Command},
		"text":         {c.Text},
		"api_app_id":   {"A0BENCH"},
		"response_url": {host + "/commands/" + c.Team + "/" + id + "/bench"},
		"trigger_id":   {strconv.FormatInt(time.Now().UnixNano(), 10) + "." + id},
	}
	body := form.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(c.Secret))
	io.WriteString(mac, "v0:"+ts+":"+body)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return req
}
