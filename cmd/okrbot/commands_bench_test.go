package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/bench/slackload/loadgen"
	"github.com/okrbot/okrbot/internal/fakeslack"
	"github.com/okrbot/okrbot/internal/seed"
	"github.com/okrbot/okrbot/internal/seed/seedfile"
)

// BenchmarkServeCommands runs okrbot serve in this process (run, as main
// calls it) on a copy of a seeded company (1,000 people by default;
// OKRBOT_BENCH_PEOPLE for another size; the seeded store is cached, see
// internal/seed/seedfile) against the fake Slack, and sends it signed
// slash commands 16 at a time with bench/slackload's load generator. It
// reports throughput and the p50/p99 latency of the answer. It is the
// profiling companion of bench/cmdbench (which measures an okrbot serve
// process against Bolt): the load generator shares the process, so read
// throughput from cmdbench and the cost of each part from the profile.
//
//	go test ./cmd/okrbot -run '^$' -bench ServeCommands -benchtime 5000x -cpuprofile /tmp/cpu.out
//	go tool pprof -top -cum /tmp/cpu.out
func BenchmarkServeCommands(b *testing.B) {
	people := 1000
	if n, err := fmt.Sscan(os.Getenv("OKRBOT_BENCH_PEOPLE"), &people); n != 1 || err != nil {
		people = 1000
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	file, co, err := seedfile.File(ctx, "slack:T0001", seed.Size{People: people}, seedfile.Moment(time.Now()), func(s string) { b.Log("seeding: " + s) })
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := seedfile.Copy(file, dir); err != nil {
		b.Fatal(err)
	}
	fake := fakeslack.New(b, fakeslack.Options{})
	users := co.People[:200]
	for _, u := range users {
		fake.AddUser(fakeslack.User{ID: u, Name: strings.ToLower(u), RealName: "Person " + u, TZ: "Europe/Paris"})
	}
	for i, ch := range co.Teams {
		fake.AddChannel(fakeslack.Channel{ID: ch, Name: fmt.Sprintf("team-%d", i), Member: true})
	}
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"okrbot", "serve"}, env(map[string]string{
			"OKRBOT_ADDR": "127.0.0.1:0", "OKRBOT_DATA_DIR": dir,
			"SLACK_SIGNING_SECRET": testSecret, "SLACK_BOT_TOKEN": fake.Team("T0001").Token, "SLACK_API_URL": fake.APIURL,
			// Names are cached for an hour; the warm-up fills the cache
			// at once rather than at users.info's pace (see bench/cmdbench).
			"OKRBOT_SLACK_LIMITS": "users.info=1000:1000,conversations.info=1000:1000",
		}), strings.NewReader(""), io.Discard, logs)
	}()
	addr := waitListening(b, logs)
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()
	for _, text := range []string{"help", "list mine"} {
		b.Run(strings.ReplaceAll(text, " ", "_"), func(b *testing.B) {
			c := loadgen.Config{URL: "http://" + addr + "/slack/commands", Secret: testSecret, Command: "/okr", Text: text,
				Team: "T0001", Channel: "C0001", Users: users, Concurrency: 16,
				Check: func(status int, body []byte) bool { return strings.Contains(string(body), "ephemeral") }}
			client := loadgen.NewClient(c.Concurrency)
			if _, err := loadgen.Run(ctx, client, c, 500); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu := processCPU()
			res, err := loadgen.Run(ctx, client, c, b.N)
			cpu = processCPU() - cpu
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			if res.Errors+res.Non200 > 0 {
				b.Fatalf("%d errors, %d not 200", res.Errors, res.Non200)
			}
			// An answer not ready within 2 s goes through response_url
			// after an empty acknowledgement: counted, not an error.
			b.ReportMetric(float64(res.Failed), "late")
			// The CPU of the whole process, the load generator's included:
			// steadier than throughput on a busy machine.
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/req")
			b.ReportMetric(res.Throughput(), "req/s")
			b.ReportMetric(float64(res.Quantile(0.5).Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(res.Quantile(0.99).Microseconds())/1000, "p99-ms")
		})
	}
}
