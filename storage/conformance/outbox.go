package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
)

func entries(n int, period string) []domain.OutboxEntry {
	out := make([]domain.OutboxEntry, n)
	for i := range out {
		r := fmt.Sprintf("U%04d", i)
		out[i] = domain.OutboxEntry{ID: domain.OutboxID("slack:T1", r, "checkin-prompt", period), WorkspaceID: "slack:T1",
			Recipient: r, Direct: true, Kind: "checkin-prompt", Period: period}
	}
	return out
}

var friday = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

func testEnqueueIsIdempotent(t *testing.T, b Backend) {
	c := newClock(friday)
	st := b.Open(t, c.now)
	n, err := st.Enqueue(ctx, entries(3, "2026-W47"))
	if err != nil || n != 3 {
		t.Fatalf("first enqueue: %d, %v", n, err)
	}
	c.add(time.Second)
	more := append(entries(3, "2026-W47"), entries(2, "2026-W48")...)
	n, err = st.Enqueue(ctx, more)
	if err != nil || n != 2 {
		t.Fatalf("second enqueue added %d, %v; want the 2 new ones", n, err)
	}
	due, _ := st.Due(ctx, "checkin-prompt", []string{"slack:T1"}, c.now(), 100)
	if len(due) != 5 || due[0].Period != "2026-W47" || due[4].Period != "2026-W48" || due[0].State != domain.OutboxPending || !due[0].Direct {
		t.Fatalf("due: %+v", due)
	}
	if d, _ := st.Due(ctx, "checkin-prompt", []string{"slack:T1"}, c.now(), 2); len(d) != 2 {
		t.Errorf("limit 2 gave %d", len(d))
	}
	if d, _ := st.Due(ctx, "reminder", []string{"slack:T1"}, c.now(), 100); len(d) != 0 {
		t.Errorf("another kind: %d due", len(d))
	}
	// 700 at once (more than one batch) are all written once.
	big := make([]domain.OutboxEntry, 700)
	for i := range big {
		big[i] = domain.OutboxEntry{ID: domain.OutboxID("slack:T1", fmt.Sprint(i), "reminder", "2026-W47"), WorkspaceID: "slack:T1", Recipient: fmt.Sprint(i), Kind: "reminder", Period: "2026-W47"}
	}
	if n, err := st.Enqueue(ctx, big); err != nil || n != 700 {
		t.Fatalf("700 entries: %d, %v", n, err)
	}
	if n, err := st.Enqueue(ctx, big); err != nil || n != 0 {
		t.Fatalf("700 entries again: %d, %v", n, err)
	}
}

func testClaimAndFinish(t *testing.T, b Backend) {
	c := newClock(friday)
	st := b.Open(t, c.now)
	st.Enqueue(ctx, entries(4, "2026-W47"))
	due, _ := st.Due(ctx, "checkin-prompt", []string{"slack:T1"}, c.now(), 100)
	var claimed []domain.OutboxEntry
	for _, e := range due {
		got, won, err := st.Claim(ctx, e, "p1", time.Minute)
		if err != nil || !won || got.Attempts != 1 || got.State != domain.OutboxSending || got.Holder != "p1" || !got.LeaseUntil.Equal(c.now().Add(time.Minute)) {
			t.Fatalf("claim: %+v %v %v", got, won, err)
		}
		claimed = append(claimed, got)
	}
	// Claimed deliveries are not due while their lease runs…
	if d, _ := st.Due(ctx, "checkin-prompt", []string{"slack:T1"}, c.now(), 100); len(d) != 0 {
		t.Fatalf("%d due during the lease", len(d))
	}
	// …and a stale copy of an entry cannot be claimed again.
	if _, won, _ := st.Claim(ctx, due[0], "p2", time.Minute); won {
		t.Fatal("an attempt was claimed twice")
	}
	must(t, st.MarkSent(ctx, due[0].ID, "ts1"))
	must(t, st.MarkFailed(ctx, due[1].ID, "rate limited", c.now().Add(time.Minute), false))
	must(t, st.MarkFailed(ctx, due[2].ID, "channel_not_found", time.Time{}, true))
	must(t, st.MarkSkipped(ctx, due[3].ID, "checked in already"))
	if next, ok, err := st.NextDue(ctx, "checkin-prompt", []string{"slack:T1"}); err != nil || !ok || !next.Equal(c.now().Add(time.Minute)) {
		t.Fatalf("NextDue = %v %v %v, want the retry in a minute", next, ok, err)
	}
	got, _ := st.Delivery(ctx, due[0].ID)
	if got.State != domain.OutboxSent || got.MessageID != "ts1" || got.Attempts != 1 || got.DoneAt.IsZero() || !got.LeaseUntil.IsZero() {
		t.Errorf("sent entry %+v", got)
	}
	if got, _ := st.Delivery(ctx, due[2].ID); got.State != domain.OutboxDead || got.LastError != "channel_not_found" {
		t.Errorf("dead entry %+v", got)
	}
	if got, _ := st.Delivery(ctx, due[3].ID); got.State != domain.OutboxSkipped || got.LastError != "checked in already" {
		t.Errorf("skipped entry %+v", got)
	}
	_, err := st.Delivery(ctx, "nope")
	mustCode(t, "a missing delivery", err, domain.ENOTFOUND)
	// A sent entry is never due, nor claimable, again.
	if _, won, _ := st.Claim(ctx, claimed[0], "p2", time.Minute); won {
		t.Fatal("a sent delivery was claimed")
	}
	c.add(2 * time.Minute)
	d, _ := st.Due(ctx, "checkin-prompt", []string{"slack:T1"}, c.now(), 100)
	if len(d) != 1 || d[0].ID != due[1].ID || d[0].LastError != "rate limited" {
		t.Fatalf("due after the retry time: %+v", d)
	}
	e, won, _ := st.Claim(ctx, d[0], "p9", time.Minute)
	if !won || e.Attempts != 2 {
		t.Errorf("second attempt: won=%v attempts=%d", won, e.Attempts)
	}
	depth, _ := st.OutboxDepth(ctx)
	if depth[[2]string{"checkin-prompt", "dead"}] != 1 || depth[[2]string{"checkin-prompt", "sending"}] != 1 || len(depth) != 2 {
		t.Errorf("depth %v", depth)
	}
}

func testAClaimWhoseHolderDiedIsTakenOver(t *testing.T, b Backend) {
	c := newClock(friday)
	st := b.Open(t, c.now)
	st.Enqueue(ctx, entries(1, "2026-W47"))
	due, _ := st.Due(ctx, "checkin-prompt", []string{"slack:T1"}, c.now(), 10)
	// A process claims attempt 1 and dies before it finishes.
	if _, won, err := st.Claim(ctx, due[0], "A", time.Minute); err != nil || !won {
		t.Fatal(won, err)
	}
	if d, _ := st.Due(ctx, "checkin-prompt", []string{"slack:T1"}, c.now(), 10); len(d) != 0 {
		t.Fatal("due while the dead holder's lease runs")
	}
	if next, ok, _ := st.NextDue(ctx, "checkin-prompt", []string{"slack:T1"}); !ok || !next.Equal(c.now().Add(time.Minute)) {
		t.Fatalf("NextDue = %v %v, want the lease's end", next, ok)
	}
	c.add(2 * time.Minute)
	d, _ := st.Due(ctx, "checkin-prompt", []string{"slack:T1"}, c.now(), 10)
	if len(d) != 1 || d[0].Holder != "A" || d[0].Attempts != 1 {
		t.Fatalf("due after the lease: %+v", d)
	}
	e, won, err := st.Claim(ctx, d[0], "B", time.Minute)
	if err != nil || !won || e.Attempts != 2 || e.Holder != "B" {
		t.Fatalf("takeover: %+v won=%v err=%v", e, won, err)
	}
	if d, _ := st.Due(ctx, "checkin-prompt", []string{"slack:T2"}, c.now().Add(time.Hour), 10); len(d) != 0 {
		t.Fatalf("another workspace's process sees %d deliveries", len(d))
	}
}

func testLeaseHandsOverWhenItExpires(t *testing.T, b Backend) {
	c := newClock(friday)
	st := b.Open(t, c.now)
	a, ok, err := st.AcquireLease(ctx, "job/checkin-prompts", "A", time.Minute)
	if err != nil || !ok || a.Generation != 1 || a.Holder != "A" {
		t.Fatalf("A: %+v %v %v", a, ok, err)
	}
	if l, ok, _ := st.AcquireLease(ctx, "job/checkin-prompts", "B", time.Minute); ok || l.Holder != "A" {
		t.Fatalf("B took a held lease: %+v", l)
	}
	c.add(30 * time.Second)
	if a2, ok, _ := st.AcquireLease(ctx, "job/checkin-prompts", "A", time.Minute); !ok || a2.Generation != 1 {
		t.Fatalf("A re-acquiring its own lease: %+v %v", a2, ok)
	}
	if a, ok, _ = st.RenewLease(ctx, a, time.Minute); !ok || !a.Until.Equal(c.now().Add(time.Minute)) {
		t.Fatalf("A could not renew: %+v", a)
	}
	c.add(61 * time.Second) // A died
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

func testOutboxCleanup(t *testing.T, b Backend) {
	c := newClock(friday)
	st := b.Open(t, c.now)
	st.Enqueue(ctx, entries(3, "2026-W40"))
	due, _ := st.Due(ctx, "checkin-prompt", []string{"slack:T1"}, c.now(), 10)
	st.MarkSent(ctx, due[0].ID, "ts")
	st.MarkFailed(ctx, due[1].ID, "gone", time.Time{}, true)
	c.add(60 * 24 * time.Hour)
	st.Enqueue(ctx, entries(1, "2026-W49"))
	n, err := st.CleanupOutbox(ctx, c.now().Add(-56*24*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("cleaned %d, %v; want the sent and the dead one", n, err)
	}
	if d, _ := st.Due(ctx, "checkin-prompt", []string{"slack:T1"}, c.now(), 10); len(d) != 2 {
		t.Fatalf("%d due after cleanup; the pending ones stay", len(d))
	}
}
