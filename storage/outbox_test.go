package storage_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
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

func entries(n int, period string) []domain.OutboxEntry {
	out := make([]domain.OutboxEntry, n)
	for i := range out {
		r := fmt.Sprintf("U%04d", i)
		out[i] = domain.OutboxEntry{ID: domain.OutboxID("slack:T1", r, "checkin-prompt", period), WorkspaceID: "slack:T1",
			Recipient: r, Direct: true, Kind: "checkin-prompt", Period: period}
	}
	return out
}

func TestEnqueueIsIdempotent(t *testing.T) {
	st := storagetest.Open(t, "", nil)
	n, err := st.Enqueue(ctx, entries(3, "2026-W47"))
	if err != nil || n != 3 {
		t.Fatalf("first enqueue: %d, %v", n, err)
	}
	more := append(entries(3, "2026-W47"), entries(2, "2026-W48")...)
	n, err = st.Enqueue(ctx, more)
	if err != nil || n != 2 {
		t.Fatalf("second enqueue added %d, %v; want the 2 new ones", n, err)
	}
	due, _ := st.Due(ctx, "checkin-prompt", []string{"slack:T1"}, time.Now(), 100)
	if len(due) != 5 {
		t.Fatalf("%d due", len(due))
	}
}

func TestClaimHasOneWinner(t *testing.T) {
	c := &testClock{t: time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)}
	st := storagetest.Open(t, "", c.now)
	st.Enqueue(ctx, entries(20, "2026-W47"))
	due, _ := st.Due(ctx, "checkin-prompt", []string{"slack:T1"}, c.now(), 100)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for p := range 3 { // three processes race for every delivery
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, e := range due {
				if _, won, err := st.Claim(ctx, e, fmt.Sprintf("p%d", p), time.Minute); err != nil {
					t.Error(err)
				} else if won {
					wins.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 20 {
		t.Fatalf("%d claims won for 20 deliveries", wins.Load())
	}
	// Claimed deliveries are not due while their lease runs…
	if d, _ := st.Due(ctx, "checkin-prompt", []string{"slack:T1"}, c.now(), 100); len(d) != 0 {
		t.Fatalf("%d due during the lease", len(d))
	}
	st.MarkSent(ctx, due[0].ID, "ts1")
	st.MarkFailed(ctx, due[1].ID, "rate limited", c.now().Add(time.Minute), false)
	st.MarkFailed(ctx, due[2].ID, "channel_not_found", time.Time{}, true)
	// …and due again when it runs out (the holder died), as the failed one is after its retry time.
	c.add(2 * time.Minute)
	d, _ := st.Due(ctx, "checkin-prompt", []string{"slack:T1"}, c.now(), 100)
	if len(d) != 18 {
		t.Fatalf("%d due after the lease, want 17 expired + 1 retry", len(d))
	}
	got, _ := st.Delivery(ctx, due[0].ID)
	if got.State != domain.OutboxSent || got.MessageID != "ts1" || got.Attempts != 1 {
		t.Errorf("sent entry %+v", got)
	}
	// The next attempt is claimed once more, by one.
	e, won, _ := st.Claim(ctx, d[0], "p9", time.Minute)
	if !won || e.Attempts != 2 {
		t.Errorf("second attempt: won=%v attempts=%d", won, e.Attempts)
	}
	if _, won, _ := st.Claim(ctx, d[0], "p8", time.Minute); won {
		t.Error("an attempt was claimed twice")
	}
	depth, _ := st.OutboxDepth(ctx)
	if depth[[2]string{"checkin-prompt", "dead"}] != 1 || depth[[2]string{"checkin-prompt", "sending"}] != 18 {
		t.Errorf("depth %v", depth)
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
	st.Enqueue(ctx, entries(1, "2026-W47"))
	due, _ := st.Due(ctx, "checkin-prompt", []string{"slack:T1"}, c.now(), 10)
	// A process claimed attempt 1 and died before recording it on the entry.
	if _, err := st.RawInsertClaim(ctx, "send/"+due[0].ID+"/1"); err != nil {
		t.Fatal(err)
	}
	if _, won, _ := st.Claim(ctx, due[0], "B", time.Minute); won {
		t.Fatal("claimed while the dead holder's claim is young")
	}
	c.add(2 * time.Minute)
	e, won, err := st.Claim(ctx, due[0], "B", time.Minute)
	if err != nil || !won || e.Attempts != 2 {
		t.Fatalf("takeover: won=%v attempts=%d err=%v", won, e.Attempts, err)
	}
	if d, _ := st.Due(ctx, "checkin-prompt", []string{"slack:T2"}, c.now().Add(time.Hour), 10); len(d) != 0 {
		t.Fatalf("another workspace's process sees %d deliveries", len(d))
	}
}
