// Command slackload sends signed Slack slash-command requests to an HTTP
// endpoint at a fixed concurrency and reports throughput and latency. It is
// how docs/benchmarks.md compares okrbot with a Bolt for JavaScript
// hello-world app: the same requests, the same client, one after the other
// on the same machine.
//
//	go run ./bench/slackload -url http://127.0.0.1:3000/slack/commands -secret S -text 'list mine' -c 16 -n 5000
//
// Every request is signed as Slack signs it (v0 HMAC-SHA256 over
// "v0:timestamp:body") with the current time, and carries a trigger_id of
// its own, so no two requests are the same bytes (a replayed request would
// be dropped, as it should be).
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "slackload:", err)
		os.Exit(1)
	}
}

// config is one load run.
type config struct {
	url, secret        string
	command, text      string
	team, users        string
	channel            string
	concurrency, total int
	warmup             int
	label              string
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("slackload", flag.ContinueOnError)
	var c config
	fs.StringVar(&c.url, "url", "http://127.0.0.1:3000/slack/commands", "endpoint that receives slash commands")
	fs.StringVar(&c.secret, "secret", os.Getenv("SLACK_SIGNING_SECRET"), "signing secret (default: $SLACK_SIGNING_SECRET)")
	fs.StringVar(&c.command, "command", "/okr", "slash command")
	fs.StringVar(&c.text, "text", "help", "the command's text")
	fs.StringVar(&c.team, "team", "T0001", "team_id")
	fs.StringVar(&c.users, "users", "U0001", "user_id, or a comma-separated list used in turn")
	fs.StringVar(&c.channel, "channel", "C0001", "channel_id")
	fs.IntVar(&c.concurrency, "c", 16, "requests in flight at once")
	fs.IntVar(&c.total, "n", 2000, "requests to measure")
	fs.IntVar(&c.warmup, "warmup", 200, "requests sent first and not measured")
	fs.StringVar(&c.label, "label", "", "name printed with the result")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.secret == "" {
		return errors.New("-secret (or SLACK_SIGNING_SECRET) is required")
	}
	if c.concurrency < 1 || c.total < 1 {
		return errors.New("-c and -n must be at least 1")
	}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: c.concurrency, MaxConnsPerHost: c.concurrency},
	}
	if c.warmup > 0 {
		if _, err := load(ctx, client, c, c.warmup); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	res, err := load(ctx, client, c, c.total)
	if err != nil {
		return err
	}
	label := c.label
	if label == "" {
		label = c.command + " " + c.text
	}
	fmt.Fprintf(out, "%s\tc=%d\tn=%d\t%.0f req/s\tp50 %s\tp99 %s\tmax %s\tnon-200 %d\terrors %d\n",
		label, c.concurrency, res.n, res.throughput(), ms(res.quantile(0.50)), ms(res.quantile(0.99)), ms(res.quantile(1)), res.non200, res.errors)
	return nil
}

type result struct {
	n, non200, errors int
	elapsed           time.Duration
	latencies         []time.Duration
}

func (r result) throughput() float64 { return float64(r.n) / r.elapsed.Seconds() }

func (r result) quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(q*float64(len(r.latencies))+0.5) - 1
	return r.latencies[max(0, min(i, len(r.latencies)-1))]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + " ms"
}

var seq atomic.Int64

// load sends n requests, c.concurrency at a time, and measures each from
// the first byte written to the whole answer read.
func load(ctx context.Context, client *http.Client, c config, n int) (result, error) {
	users := strings.Split(c.users, ",")
	var (
		mu   sync.Mutex
		res  = result{n: n, latencies: make([]time.Duration, 0, n)}
		next atomic.Int64
		wg   sync.WaitGroup
	)
	start := time.Now()
	for range c.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) || ctx.Err() != nil {
					return
				}
				req := signed(ctx, c, users[int(i)%len(users)])
				t := time.Now()
				resp, err := client.Do(req)
				var status int
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status = resp.StatusCode
				}
				d := time.Since(t)
				mu.Lock()
				res.latencies = append(res.latencies, d)
				if err != nil {
					res.errors++
				} else if status != http.StatusOK {
					res.non200++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return res, err
	}
	slices.Sort(res.latencies)
	return res, nil
}

func signed(ctx context.Context, c config, user string) *http.Request {
	id := seq.Add(1)
	form := url.Values{
		"token":        {"bench"},
		"team_id":      {c.team},
		"team_domain":  {"bench"},
		"channel_id":   {c.channel},
		"channel_name": {"bench"},
		"user_id":      {user},
		"user_name":    {strings.ToLower(user)},
		"command":      {c.command},
		"text":         {c.text},
		"api_app_id":   {"A0BENCH"},
		"response_url": {"https://hooks.slack.com/commands/" + c.team + "/" + strconv.FormatInt(id, 10) + "/bench"},
		"trigger_id":   {strconv.FormatInt(time.Now().UnixNano(), 10) + "." + strconv.FormatInt(id, 10)},
	}
	body := form.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(c.secret))
	io.WriteString(mac, "v0:"+ts+":"+body)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return req
}
