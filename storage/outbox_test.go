package storage_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/outbox"
	"github.com/okrbot/okrbot/outbox/outboxtest"
	"github.com/okrbot/okrbot/storage/storagetest"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func entries(n int, period string, now time.Time) []domain.OutboxEntry {
	out := make([]domain.OutboxEntry, n)
	for i := range out {
		r := fmt.Sprintf("U%04d", i)
		out[i] = domain.OutboxEntry{ID: domain.OutboxID("slack:T1", r, "checkin-prompt", period), WorkspaceID: "slack:T1",
			Recipient: r, Direct: true, Kind: "checkin-prompt", Period: period, State: domain.OutboxPending, NextAt: now}
	}
	return out
}

// The store is a conforming outbox.Store (the conformance suite runs
// against whatever store storagetest opens).
func TestOutboxStoreConforms(t *testing.T) {
	outboxtest.Run(t, func(t *testing.T) outbox.Store { return storagetest.Open(t, "", nil) })
}

func TestNextDueIndex(t *testing.T) {
	st := storagetest.Open(t, "", nil)
	at := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	wss := []string{"slack:T1", "slack:T2", "teams:X"}
	// Never planned: all due.
	if due, err := st.DueWorkspaces(ctx, "checkin-prompt", at, wss); err != nil || len(due) != 3 {
		t.Fatalf("due %v %v", due, err)
	}
	st.SetNextDue(ctx, "slack:T1", "checkin-prompt", at.Add(time.Hour))
	st.SetNextDue(ctx, "slack:T2", "checkin-prompt", at)
	st.SetNextDue(ctx, "teams:X", "checkin-prompt", at.Add(7*24*time.Hour))
	st.SetNextDue(ctx, "teams:X", "digest", at.Add(-time.Minute)) // another kind
	due, _ := st.DueWorkspaces(ctx, "checkin-prompt", at, wss)
	if len(due) != 1 || due[0] != "slack:T2" {
		t.Fatalf("due at %s: %v", at, due)
	}
	// A change marks it: due at once.
	st.SetNextDue(ctx, "teams:X", "checkin-prompt", time.Time{})
	if due, _ = st.DueWorkspaces(ctx, "checkin-prompt", at, wss); len(due) != 2 {
		t.Fatalf("after a mark: %v", due)
	}
	if due, _ = st.DueWorkspaces(ctx, "digest", at, []string{"teams:X"}); len(due) != 1 {
		t.Fatalf("digest due %v", due)
	}
}

func TestPacesAreRemembered(t *testing.T) {
	st := storagetest.Open(t, "", nil)
	if _, ok, err := st.LoadPace(ctx, "slack/T1/chat.postMessage"); ok || err != nil {
		t.Fatalf("a pace before any was saved: %v %v", ok, err)
	}
	until := time.Date(2026, 11, 20, 15, 0, 1, 0, time.UTC)
	if err := st.SavePace(ctx, "slack/T1/chat.postMessage", domain.LearnedPace{Rate: 8.5, Ceiling: 9.25}); err != nil {
		t.Fatal(err)
	}
	st.SavePace(ctx, "slack/T1/chat.postMessage", domain.LearnedPace{Rate: 8.75, Ceiling: 9.25, BlockedUntil: until})
	p, ok, err := st.LoadPace(ctx, "slack/T1/chat.postMessage")
	if err != nil || !ok || p.Rate != 8.75 || p.Ceiling != 9.25 || !p.BlockedUntil.Equal(until) {
		t.Fatalf("LoadPace = %+v %v %v", p, ok, err)
	}
}

func TestLeaseHandsOverWhenItExpires(t *testing.T) {
	c := &testClock{t: time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)}
	st := storagetest.Open(t, "", c.now)
	a, ok, err := st.AcquireLease(ctx, "job/checkin-prompts", "A", time.Minute)
	if err != nil || !ok || a.Generation != 1 {
		t.Fatalf("A: %+v %v %v", a, ok, err)
	}
	if _, ok, _ := st.AcquireLease(ctx, "job/checkin-prompts", "B", time.Minute); ok {
		t.Fatal("B took a held lease")
	}
	c.add(30 * time.Second)
	if a, ok, _ = st.RenewLease(ctx, a, time.Minute); !ok {
		t.Fatal("A could not renew")
	}
	c.add(61 * time.Second) // A died
	var wins atomic.Int32
	var wg sync.WaitGroup
	for _, h := range []string{"B", "C", "D"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok, err := st.AcquireLease(ctx, "job/checkin-prompts", h, time.Minute); err != nil {
				t.Error(err)
			} else if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d processes took the expired lease", wins.Load())
	}
	if _, ok, _ := st.RenewLease(ctx, a, time.Minute); ok {
		t.Fatal("A renewed a lease that went to another")
	}
}

func TestAClaimWhoseHolderDiedIsTakenOver(t *testing.T) {
	c := &testClock{t: time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)}
	st := storagetest.Open(t, "", c.now)
	st.Enqueue(ctx, entries(1, "2026-W47", c.now()))
	due, _ := st.Due(ctx, domain.OutboxQuery{Workspaces: []string{"slack:T1"}}, c.now(), 10)
	// A process claimed attempt 1 and died before recording it on the entry.
	if _, err := st.RawInsertClaim(ctx, "send/"+due[0].ID+"/1"); err != nil {
		t.Fatal(err)
	}
	if _, won, _ := st.Claim(ctx, due[0], "B", c.now().Add(time.Minute)); won {
		t.Fatal("claimed while the dead holder's claim is young")
	}
	c.add(2 * time.Minute)
	e, won, err := st.Claim(ctx, due[0], "B", c.now().Add(time.Minute))
	if err != nil || !won || e.Attempts != 2 {
		t.Fatalf("takeover: won=%v attempts=%d err=%v", won, e.Attempts, err)
	}
	if d, _ := st.Due(ctx, domain.OutboxQuery{Workspaces: []string{"slack:T2"}}, c.now().Add(time.Hour), 10); len(d) != 0 {
		t.Fatalf("another workspace's process sees %d deliveries", len(d))
	}
}
