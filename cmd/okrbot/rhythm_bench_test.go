package main

import (
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/okrbot/okrbot/bot/slackbot"
	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/rhythm"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/fakeslack"
	"github.com/okrbot/okrbot/storage/storagetest"
)

// processCPU is the CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchPeople is how many people a fan-out benchmark prompts; 2,000, or
// OKRBOT_BENCH_PEOPLE.
func benchPeople() int {
	if n, err := strconv.Atoi(os.Getenv("OKRBOT_BENCH_PEOPLE")); err == nil && n > 0 {
		return n
	}
	return 2000
}

// BenchmarkPromptFanOut sends a week's check-in prompts with okrbot jobs
// run, as a process, with okrbot's defaults (no limit configured: it
// starts from Slack's documented pace and learns), against a local Slack
// that allows chat.postMessage at 3, 9 and 100 calls a second per
// workspace (a token bucket holding one second's worth) and answers 429
// with Retry-After beyond. It reports the fan-out rate as a fraction of
// what Slack allows, the share of calls answered 429, the calls made inside
// a Retry-After window, and the duplicates.
//
//	go test ./cmd/okrbot -run '^$' -bench PromptFanOut -benchtime 1x -timeout 60m
func BenchmarkPromptFanOut(b *testing.B) {
	n := benchPeople()
	for _, limit := range []float64{3, 9, 100} {
		b.Run(fmt.Sprintf("allow=%v/s", limit), func(b *testing.B) {
			for range b.N {
				fanOut(b, n, limit)
			}
		})
	}
}

func fanOut(b *testing.B, n int, limit float64) {
	b.StopTimer()
	burst := max(1, int(limit))
	e := newRhythmEnv(b, n, fakeslack.Options{Limits: map[string]fakeslack.Limit{"chat.postMessage": {Rate: limit, Burst: burst}}})
	e.env = slices.DeleteFunc(e.env, func(s string) bool { return strings.HasPrefix(s, "OKRBOT_SLACK_LIMITS=") })
	cmd, out := e.jobsCmd(b, "checkin-prompts", "--at", friday1530, "--max-wait", "5m")
	b.StartTimer()
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("okrbot jobs run: %v\n%s", err, out)
	}
	took := time.Since(start)
	b.StopTimer()
	got := e.prompts("2026-W47")
	dup := 0
	for _, c := range got {
		if c > 1 {
			dup++
		}
	}
	calls := e.slack.Calls("chat.postMessage")
	limited := 0
	var first, last time.Time
	for _, c := range calls {
		if c.Status == 429 {
			limited++
			continue
		}
		if first.IsZero() || c.At.Before(first) {
			first = c.At
		}
		if c.At.After(last) {
			last = c.At
		}
	}
	// The fan-out itself, from the first post to the last: what Slack
	// allowed in that span is its burst plus its rate.
	span := last.Sub(first).Seconds()
	rate := float64(len(got)-1) / span
	allowed := (float64(burst) + limit*span) / span
	b.ReportMetric(rate, "prompts/s")
	b.ReportMetric(rate/allowed, "fraction-of-allowed")
	b.ReportMetric(float64(limited)/float64(len(calls))*100, "%429")
	b.ReportMetric(float64(len(e.slack.Violations())), "in-window-calls")
	b.ReportMetric(float64(dup), "duplicates")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	b.Logf("%d prompts to %d people in %v (process), %v fan-out: %.2f/s, %.3f of the %.2f/s Slack allowed (%.3f of the rate); %d of %d calls answered 429; %d inside a Retry-After window; %d duplicates; %s",
		len(got), n, took.Round(time.Millisecond), time.Duration(span*float64(time.Second)).Round(time.Millisecond), rate, rate/allowed, allowed, rate/limit,
		limited, len(calls), len(e.slack.Violations()), dup, lines[len(lines)-1])
	if os.Getenv("OKRBOT_BENCH_TRACE") != "" {
		hist := map[int]int{}
		for _, c := range calls {
			hist[int(c.At.Sub(first).Seconds()*2)]++
		}
		var keys []int
		for k := range hist {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var bs strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&bs, "%.1fs:%d ", float64(k)/2, hist[k])
		}
		b.Logf("calls per half second: %s", bs.String())
	}
	if len(got) != n || dup > 0 {
		b.Fatalf("%d of %d people prompted, %d twice", len(got), n, dup)
	}
}

// BenchmarkDeliveryCost sends a week's prompts to 2,000 people in process,
// with a Slack that sets no limit, and reports the store calls and the CPU
// time one delivery costs: planning, claiming, composing, sending through
// the real Slack sender and recording it, on the embedded store. The CPU is
// the whole test process's: okrbot's engine, the embedded store server and
// the local Slack with it, so it is an upper bound.
//
//	go test ./cmd/okrbot -run '^$' -bench DeliveryCost -benchtime 1x
func BenchmarkDeliveryCost(b *testing.B) {
	n := benchPeople()
	for range b.N {
		b.StopTimer()
		at, _ := time.Parse(time.RFC3339, friday1530)
		st := storagetest.Open(b, nil)
		svc := conversations.New(rhythm.Watch(st, st, nil), conversations.Options{Now: func() time.Time { return at }})
		seedCompany(b, st, n, "slack:T0001", "T0001")
		fake := fakeslack.New(b, fakeslack.Options{})
		bot, err := slackbot.New(slackbot.Config{BotToken: fake.Team("T0001").Token, APIURL: fake.APIURL, Log: slog.New(slog.DiscardHandler)}, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		cs := newCountingStore(st)
		en := newEngine(cs, svc, map[domain.Platform]conversations.Sender{domain.Slack: bot.Sender()}, engineOptions{Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
		cpu0 := processCPU()
		b.StartTimer()
		start := time.Now()
		rep, err := en.run(bg, rhythm.JobCheckInPrompts, at, runOptions{All: true, MaxWait: time.Minute})
		took := time.Since(start)
		b.StopTimer()
		cpu := processCPU() - cpu0
		if err != nil || rep.Stats.Sent != n {
			b.Fatalf("%s %v", rep, err)
		}
		calls := total(cs.take())
		b.ReportMetric(float64(calls)/float64(n), "store-calls/delivery")
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(n), "cpu-ms/delivery")
		b.ReportMetric(float64(n)/took.Seconds(), "deliveries/s")
		b.Logf("%d deliveries in %v: %d store calls (%.2f each), %v CPU (%.2f ms each)", n, took.Round(time.Millisecond),
			calls, float64(calls)/float64(n), cpu.Round(time.Millisecond), float64(cpu.Microseconds())/1000/float64(n))
	}
}
