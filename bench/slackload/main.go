// Command slackload sends signed Slack slash-command requests to an HTTP
// endpoint at a fixed concurrency and reports throughput and latency. It is
// how docs/benchmarks.md compares okrbot with a Bolt for JavaScript
// hello-world app: the same requests, the same client, one after the other
// on the same machine (bench/cmdbench runs both).
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
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/okrbot/okrbot/bench/slackload/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "slackload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("slackload", flag.ContinueOnError)
	var (
		c             loadgen.Config
		users, label  string
		total, warmup int
		asJSON        bool
	)
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:3000/slack/commands", "endpoint that receives slash commands")
	fs.StringVar(&c.Secret, "secret", os.Getenv("SLACK_SIGNING_SECRET"), "signing secret (default: $SLACK_SIGNING_SECRET)")
	fs.StringVar(&c.Command, "command", "/okr", "slash command")
	fs.StringVar(&c.Text, "text", "help", "the command's text")
	fs.StringVar(&c.Team, "team", "T0001", "team_id")
	fs.StringVar(&users, "users", "U0001", "user_id, or a comma-separated list used in turn")
	fs.StringVar(&c.Channel, "channel", "C0001", "channel_id")
	fs.IntVar(&c.Concurrency, "c", 16, "requests in flight at once")
	fs.IntVar(&total, "n", 2000, "requests to measure")
	fs.IntVar(&warmup, "warmup", 200, "requests sent first and not measured")
	fs.StringVar(&label, "label", "", "name printed with the result")
	fs.BoolVar(&asJSON, "json", false, "print the result as one JSON object (for bench/cmdbench)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.Secret == "" {
		return errors.New("-secret (or SLACK_SIGNING_SECRET) is required")
	}
	if c.Concurrency < 1 || total < 1 {
		return errors.New("-c and -n must be at least 1")
	}
	c.Users = strings.Split(users, ",")
	client := loadgen.NewClient(c.Concurrency)
	if warmup > 0 {
		if _, err := loadgen.Run(ctx, client, c, warmup); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	res, err := loadgen.Run(ctx, client, c, total)
	if err != nil {
		return err
	}
	if label == "" {
		label = c.Command + " " + c.Text
	}
	if asJSON {
		return json.NewEncoder(out).Encode(map[string]any{
			"label": label, "concurrency": c.Concurrency, "n": res.N, "rps": res.Throughput(),
			"p50_ms": msf(res.Quantile(0.50)), "p99_ms": msf(res.Quantile(0.99)), "max_ms": msf(res.Quantile(1)),
			"non200": res.Non200, "errors": res.Errors, "elapsed_s": res.Elapsed.Seconds(),
		})
	}
	fmt.Fprintf(out, "%s\tc=%d\tn=%d\t%.0f req/s\tp50 %s\tp99 %s\tmax %s\tnon-200 %d\terrors %d\n",
		label, c.Concurrency, res.N, res.Throughput(), ms(res.Quantile(0.50)), ms(res.Quantile(0.99)), ms(res.Quantile(1)), res.Non200, res.Errors)
	return nil
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(msf(d), 'f', 2, 64) + " ms"
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
