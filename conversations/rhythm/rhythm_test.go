package rhythm_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/rhythm"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
	"github.com/okrbot/okrbot/storage/storagetest"
)

var ctx = context.Background()

// queue is the outbox as the rhythm sees it.
type queue struct {
	mu      sync.Mutex
	entries map[string]domain.OutboxEntry
}

func (q *queue) Enqueue(_ context.Context, es []domain.OutboxEntry) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, e := range es {
		if _, ok := q.entries[e.ID]; !ok {
			q.entries[e.ID] = e
			n++
		}
	}
	return n, nil
}

type env struct {
	t   *testing.T
	st  storage.Store
	svc *conversations.Service
	now time.Time
}

func newEnv(t *testing.T) *env {
	st := storagetest.Open(t, nil)
	e := &env{t: t, st: st}
	e.svc = conversations.New(rhythm.Watch(st, st, nil), conversations.Options{Now: func() time.Time { return e.now }})
	return e
}

// as runs commands as user (in time zone tz) that must succeed.
func (e *env) as(user, tz string, lines ...string) {
	e.t.Helper()
	e.act(conversations.Actor{Platform: domain.Slack, Workspace: "T1", User: user, Name: user, TimeZone: tz}, lines...)
}

// act runs commands as a that must succeed.
func (e *env) act(a conversations.Actor, lines ...string) {
	e.t.Helper()
	for _, l := range lines {
		cmd, args, _ := conversations.SplitCommand(l)
		if r := e.svc.Command(ctx, a, cmd, args); r.Failed() {
			e.t.Fatalf("%s: %s", l, conversations.PlainText(r.Message))
		}
	}
}

func (e *env) plan(job string, at time.Time, all bool) (rhythm.Plan, *queue) {
	e.t.Helper()
	r := rhythm.New(e.st, e.svc, rhythm.Options{})
	run, err := r.Begin(job, at)
	if err != nil {
		e.t.Fatal(err)
	}
	wss, _ := e.st.Workspaces(ctx)
	q := &queue{entries: map[string]domain.OutboxEntry{}}
	p, err := run.Plan(ctx, q, wss, all)
	if err != nil {
		e.t.Fatal(err)
	}
	return p, q
}

// due reports whether the next-due index says the workspace is due at at.
func (e *env) due(kind string, at time.Time) bool {
	e.t.Helper()
	d, err := e.st.DueWorkspaces(ctx, kind, at, []string{"slack:T1"})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(d) == 1
}

func TestTheIndexWakesThePlannerForEveryoneWhoCouldBeDue(t *testing.T) {
	e := newEnv(t)
	wed := time.Date(2026, 11, 18, 12, 0, 0, 0, time.UTC)
	e.now = wed
	e.as("ana", "Europe/Paris", "/okr create Grow", "/okr kr add O-1 Increase deals from 0 to 10")
	e.as("kai", "Asia/Tokyo", "/okr list") // in the workspace, owns nothing yet
	p, _ := e.plan(rhythm.JobCheckInPrompts, wed, false)
	if p.Workspaces != 1 || p.Due != 0 {
		t.Fatalf("Wednesday: %+v", p)
	}
	// Nothing until the first Friday 15:00 anyone in the workspace may live
	// by: Tokyo's, though kai owns nothing yet.
	tokyo15 := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	if e.due(domain.KindCheckInPrompt, tokyo15.Add(-time.Second)) || !e.due(domain.KindCheckInPrompt, tokyo15) {
		t.Fatalf("the index does not wake the planner at Friday 15:00 in Tokyo")
	}
	// Kai gets a key result meanwhile: no mark needed, the index already
	// wakes the planner at Tokyo's moment, which plans kai's prompt.
	e.now = wed.Add(time.Hour)
	e.as("kai", "Asia/Tokyo", "/okr create Launch in Japan", "/okr kr add O-2 Increase deals from 0 to 5")
	p, q := e.plan(rhythm.JobCheckInPrompts, tokyo15, false)
	if p.Due != 1 || len(q.entries) != 1 {
		t.Fatalf("at Friday 15:00 in Tokyo: %+v %v", p, q.entries)
	}
	for _, en := range q.entries {
		if en.Recipient != "kai" || en.Period != "2026-W47" || !en.At.Equal(tokyo15) {
			t.Errorf("planned %+v", en)
		}
		// It stops being worth sending at Monday's reminder in Tokyo, as
		// long after the run's moment on the outbox's clock.
		if d := en.ExpiresAt.Sub(time.Now()); d < 67*time.Hour-time.Minute || d > 67*time.Hour {
			t.Errorf("expires in %v, want 67 hours", d)
		}
	}
	// Next: Paris's Friday 15:00.
	paris15 := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	if e.due(domain.KindCheckInPrompt, paris15.Add(-time.Second)) || !e.due(domain.KindCheckInPrompt, paris15) {
		t.Fatal("the index does not wake the planner at Friday 15:00 in Paris")
	}
}

func TestChangesThatMoveTheRhythmMarkTheWorkspace(t *testing.T) {
	e := newEnv(t)
	wed := time.Date(2026, 11, 18, 12, 0, 0, 0, time.UTC)
	e.now = wed
	e.as("ana", "Europe/Paris", "/okr create Grow", "/okr kr add O-1 Increase deals from 0 to 10")
	for _, job := range rhythm.Jobs {
		e.plan(job, wed, false)
	}
	for _, k := range []string{domain.KindCheckInPrompt, domain.KindReminder, domain.KindDigest, domain.KindKPIAlert, domain.KindEscalation} {
		if e.due(k, wed) {
			t.Fatalf("%s due right after planning", k)
		}
	}
	for _, tt := range []struct {
		what   string
		change func()
		marked []string
	}{
		{"a check-in", func() { e.as("ana", "Europe/Paris", "/okr update KR-1 3 confidence 7") }, nil},
		{"the same time zone again", func() { e.as("ana", "Europe/Paris", "/okr list") }, nil},
		{"a new time zone", func() { e.as("ana", "America/Chicago", "/okr list") }, []string{domain.KindCheckInPrompt, domain.KindReminder, domain.KindEscalation}},
		{"a subscription", func() {
			e.act(conversations.Actor{Platform: domain.Slack, Workspace: "T1", User: "boss", Admin: true}, "/okr digest subscribe #okrs")
		}, []string{domain.KindDigest}},
		{"a KPI value", func() {
			e.as("ana", "", `/kpi create nps "NPS" higher target 50`, "/kpi set nps 40")
		}, []string{domain.KindKPIAlert}},
		{"the workspace's settings", func() {
			e.act(conversations.Actor{Platform: domain.Slack, Workspace: "T1", User: "boss", Admin: true}, "/okr settings reminder tuesday 10:00")
		}, []string{domain.KindCheckInPrompt, domain.KindReminder, domain.KindDigest, domain.KindEscalation}},
	} {
		tt.change()
		for _, k := range []string{domain.KindCheckInPrompt, domain.KindReminder, domain.KindDigest, domain.KindKPIAlert, domain.KindEscalation} {
			want := false
			for _, m := range tt.marked {
				want = want || m == k
			}
			if got := e.due(k, wed); got != want {
				t.Errorf("after %s: %s due %v, want %v", tt.what, k, got, want)
			}
		}
		for _, job := range rhythm.Jobs {
			e.plan(job, wed, false)
		}
	}
}

func TestAPlanByHandPlansEveryWorkspace(t *testing.T) {
	e := newEnv(t)
	fri := time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC)
	e.now = fri.Add(-48 * time.Hour)
	for i := range 3 {
		e.as(fmt.Sprintf("u%d", i), "UTC", "/okr create Objective", fmt.Sprintf("/okr kr add O-%d Increase deals from 0 to 10", i+1))
	}
	e.plan(rhythm.JobCheckInPrompts, fri.Add(-time.Hour), false) // the index now says: 15:00
	p, q := e.plan(rhythm.JobCheckInPrompts, fri, true)
	if p.Due != 3 || p.Planned != 3 || len(q.entries) != 3 || len(p.Periods) != 1 || p.Periods[0] != "2026-W47" {
		t.Fatalf("%+v", p)
	}
	// Planned again: nothing new, the same period reported.
	p, _ = e.plan(rhythm.JobCheckInPrompts, fri, true)
	if p.Due != 3 || len(p.Periods) != 1 {
		t.Fatalf("again: %+v", p)
	}
	if _, err := rhythm.New(e.st, e.svc, rhythm.Options{}).Begin("nudges", fri); err == nil {
		t.Error("an unknown job began")
	}
}
