package main

import (
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/rhythm"
	"github.com/okrbot/okrbot/domain"
)

// TestJobsRunEscalations: the escalations job through the engine and a
// platform's sender, as `okrbot jobs run escalations` runs it: the lead
// gets one DM, whatever runs again.
func TestJobsRunEscalations(t *testing.T) {
	f := newFixture(t)
	f.clock.Set(friday.AddDate(0, 0, -15)) // Thursday 5 November
	lea := testActor("lea")
	lea.Channel = "C1"
	f.must(lea, "/okr create Grow the European market", "/okr kr add O-1 Increase deals from 0 to 10 --owner @bob")
	s := newFakeSender()
	en := f.engine(s, engineOptions{})
	// Bob misses the weeks of Friday 6 and 13 November: at 15:00 on the
	// 20th, when the second closes, Lea hears of it.
	f.run(en, rhythm.JobEscalations, friday.Add(-time.Minute))
	if n, _ := s.count(domain.KindEscalation); n != 0 {
		t.Fatalf("%d escalations before the week closed", n)
	}
	rep := f.run(en, rhythm.JobEscalations, friday)
	got := s.to("bob", domain.KindEscalation)
	if len(got) != 1 || rep.Stats.Sent != 1 || !strings.Contains(rep.String(), "(2026-W45:bob)") {
		t.Fatalf("sent %v: %s", got, rep)
	}
	text := conversations.PlainText(s.message(got[0]))
	if !strings.Contains(text, "bob has missed 2 check-ins in a row") || !strings.Contains(text, "weeks 45 and 46") {
		t.Errorf("the escalation:\n%s", text)
	}
	rep = f.run(f.engine(s, engineOptions{}), rhythm.JobEscalations, friday.Add(time.Hour))
	if n, dup := s.count(domain.KindEscalation); n != 1 || dup != 0 || rep.Stats.Sent != 0 {
		t.Fatalf("a second run: %d sent, %d twice: %s", n, dup, rep)
	}
}
