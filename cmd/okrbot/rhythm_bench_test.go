package main

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/okrbot/okrbot/bot/slackbot"
	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/fakeslack"
	"github.com/okrbot/okrbot/storage/storagetest"
)

// BenchmarkPromptFanOut sends a week's check-in prompts to 300 people
// through the outbox, the real Slack sender and a local Slack that enforces
// chat.postMessage at limit calls a second, and reports the fan-out rate as
// a fraction of that limit (1.0: okrbot sends as fast as Slack allows).
//
//	go test ./cmd/okrbot -run '^$' -bench PromptFanOut -benchtime 1x
func BenchmarkPromptFanOut(b *testing.B) {
	const people, limit = 300, 50.0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := storagetest.Open(b, nil)
		seedPeople(b, st, people)
		fs := fakeslack.New(b, fakeslack.Options{Limits: map[string]fakeslack.Limit{"chat.postMessage": {Rate: limit, Burst: 10}}})
		svc := conversations.New(st, conversations.Options{})
		bot, err := slackbot.New(slackbot.Config{BotToken: fs.Team("T0001").Token, APIURL: fs.APIURL,
			Limits: map[string]slackbot.Limit{"chat.postMessage": {Rate: limit, Burst: 10}}, Log: slog.New(slog.DiscardHandler)}, svc, st)
		if err != nil {
			b.Fatal(err)
		}
		rh := conversations.NewRhythm(svc, st, map[domain.Platform]conversations.Sender{domain.Slack: bot.Sender()}, conversations.RhythmOptions{})
		at, _ := time.Parse(time.RFC3339, friday1530)
		b.StartTimer()
		start := time.Now()
		rep, err := rh.Run(context.Background(), conversations.JobCheckInPrompts, at)
		took := time.Since(start)
		b.StopTimer()
		if err != nil || rep.Sent != people {
			b.Fatalf("%+v %v", rep, err)
		}
		if v := fs.Violations(); len(v) > 0 {
			b.Fatalf("%d calls inside a Retry-After window", len(v))
		}
		rate := float64(people) / took.Seconds()
		b.ReportMetric(rate, "prompts/s")
		b.ReportMetric(rate/limit, "fraction-of-limit")
		b.Logf("%d prompts in %v: %.1f/s against a limit of %.0f/s (%s 429s)", people, took.Round(time.Millisecond), rate, limit,
			fmt.Sprint(len(fs.Calls("chat.postMessage"))-people))
	}
}
