package conformance

import (
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/testclock"
	"github.com/okrbot/okrbot/outbox"
	"github.com/okrbot/okrbot/outbox/outboxtest"
)

var friday = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

// testOutbox runs the outbox's own conformance suite (outbox/outboxtest)
// against the backend, a new store for each of its cases.
func testOutbox(t *testing.T, b Backend) {
	outboxtest.Run(t, func(t *testing.T) outbox.Store { return b.Open(t, nil) }, outboxtest.Options{AtomicUpdates: b.Guarantees.AtomicUpdates})
}

func testNextDueIndex(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	at := friday
	wss := []string{"slack:T1", "slack:T2", "teams:X"}
	// Never planned: all due.
	if due, err := st.DueWorkspaces(ctx, "checkin-prompt", at, wss); err != nil || len(due) != 3 {
		t.Fatalf("due %v %v", due, err)
	}
	must(t, st.SetNextDue(ctx, "slack:T1", "checkin-prompt", at.Add(time.Hour)))
	must(t, st.SetNextDue(ctx, "slack:T2", "checkin-prompt", at))
	must(t, st.SetNextDue(ctx, "teams:X", "checkin-prompt", at.Add(7*24*time.Hour)))
	must(t, st.SetNextDue(ctx, "teams:X", "digest", at.Add(-time.Minute))) // another kind
	due, err := st.DueWorkspaces(ctx, "checkin-prompt", at, wss)
	if err != nil || len(due) != 1 || due[0] != "slack:T2" {
		t.Fatalf("due at %s: %v %v", at, due, err)
	}
	// A change marks it: due at once.
	must(t, st.SetNextDue(ctx, "teams:X", "checkin-prompt", time.Time{}))
	if due, _ = st.DueWorkspaces(ctx, "checkin-prompt", at, wss); len(due) != 2 {
		t.Fatalf("after a mark: %v", due)
	}
	if due, _ = st.DueWorkspaces(ctx, "digest", at, []string{"teams:X"}); len(due) != 1 {
		t.Fatalf("digest due %v", due)
	}
	if due, err = st.DueWorkspaces(ctx, "digest", at, nil); err != nil || len(due) != 0 {
		t.Fatalf("no workspaces: %v %v", due, err)
	}
}

func testPacesAreRemembered(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	if _, ok, err := st.LoadPace(ctx, "slack/T1/chat.postMessage"); ok || err != nil {
		t.Fatalf("a pace before any was saved: %v %v", ok, err)
	}
	until := friday.Add(time.Second)
	must(t, st.SavePace(ctx, "slack/T1/chat.postMessage", domain.LearnedPace{Rate: 8.5, Ceiling: 9.25}))
	must(t, st.SavePace(ctx, "slack/T1/chat.postMessage", domain.LearnedPace{Rate: 8.75, Ceiling: 9.25, BlockedUntil: until}))
	must(t, st.SavePace(ctx, "teams/X/connector", domain.LearnedPace{Rate: 50}))
	p, ok, err := st.LoadPace(ctx, "slack/T1/chat.postMessage")
	if err != nil || !ok || p.Rate != 8.75 || p.Ceiling != 9.25 || !p.BlockedUntil.Equal(until) {
		t.Fatalf("LoadPace = %+v %v %v", p, ok, err)
	}
	if p, ok, _ := st.LoadPace(ctx, "teams/X/connector"); !ok || p.Rate != 50 || p.Ceiling != 0 || !p.BlockedUntil.IsZero() {
		t.Fatalf("another key: %+v %v", p, ok)
	}
}

func testLeaseHandsOverWhenItExpires(t *testing.T, b Backend) {
	c := testclock.New(friday)
	st := b.Open(t, c.Now)
	a, ok, err := st.AcquireLease(ctx, "job/checkin-prompts", "A", time.Minute)
	if err != nil || !ok || a.Generation != 1 || a.Holder != "A" {
		t.Fatalf("A: %+v %v %v", a, ok, err)
	}
	if l, ok, _ := st.AcquireLease(ctx, "job/checkin-prompts", "B", time.Minute); ok || l.Holder != "A" {
		t.Fatalf("B took a held lease: %+v", l)
	}
	c.Add(30 * time.Second)
	if a2, ok, _ := st.AcquireLease(ctx, "job/checkin-prompts", "A", time.Minute); !ok || a2.Generation != 1 {
		t.Fatalf("A re-acquiring its own lease: %+v %v", a2, ok)
	}
	if a, ok, _ = st.RenewLease(ctx, a, time.Minute); !ok || !a.Until.Equal(c.Now().Add(time.Minute)) {
		t.Fatalf("A could not renew: %+v", a)
	}
	c.Add(61 * time.Second) // A died
	bl, ok, err := st.AcquireLease(ctx, "job/checkin-prompts", "B", time.Minute)
	if err != nil || !ok || bl.Generation != 2 {
		t.Fatalf("B after A's lease ran out: %+v %v %v", bl, ok, err)
	}
	if _, ok, _ := st.RenewLease(ctx, a, time.Minute); ok {
		t.Fatal("A renewed a lease that went to another")
	}
	must(t, st.ReleaseLease(ctx, a)) // a stale release changes nothing
	if _, ok, _ := st.AcquireLease(ctx, "job/checkin-prompts", "C", time.Minute); ok {
		t.Fatal("a stale release freed B's lease")
	}
	must(t, st.ReleaseLease(ctx, bl))
	if cl, ok, _ := st.AcquireLease(ctx, "job/checkin-prompts", "C", time.Minute); !ok || cl.Generation != 3 {
		t.Fatalf("C after B released: %+v %v", cl, ok)
	}
	if _, ok, _ := st.AcquireLease(ctx, "job/digests", "A", time.Minute); !ok {
		t.Fatal("leases are per name")
	}
}
