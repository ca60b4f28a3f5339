// Package outboxtest is the conformance suite of outbox.Store: every store
// the outbox runs on (the embedded store, MongoDB, the test fakes) must pass
// it. Run it from the store's tests with a function that returns an empty
// store.
package outboxtest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/outbox"
)

// Options say what a store guarantees.
type Options struct {
	// AtomicUpdates: a conditional update of one entry is atomic, so of
	// concurrent claims of one attempt exactly one wins. FerretDB, the
	// MongoDB stand-in of the tests, lacks it (it reads, changes and writes
	// back a document); the race is then skipped, saying so.
	AtomicUpdates bool
}

// Run runs every case against stores made by open, each case on a new one.
func Run(t *testing.T, open func(t *testing.T) outbox.Store, opt Options) {
	for _, c := range []struct {
		name string
		f    func(t *testing.T, s outbox.Store)
	}{
		{"EnqueueIsIdempotent", enqueueIsIdempotent},
		{"DueClaimFinish", dueClaimFinish},
		{"OneOfConcurrentClaimsWins", oneOfConcurrentClaimsWins},
		{"ExpiredLeaseIsTakenOver", expiredLeaseIsTakenOver},
		{"FailedEntryComesDueAtItsTime", failedEntryComesDueAtItsTime},
		{"QueriesAreScoped", queriesAreScoped},
		{"DeliveriesAndCleanup", deliveriesAndCleanup},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "OneOfConcurrentClaimsWins" && !opt.AtomicUpdates {
				t.Skip("the store declares no atomic conditional updates: this race is not decided there")
			}
			c.f(t, open(t))
		})
	}
}

var ctx = context.Background()

// entries returns n pending entries of kind in workspace ws for period.
func entries(ws, kind, period string, n int) []domain.OutboxEntry {
	now := time.Now().Truncate(time.Millisecond)
	out := make([]domain.OutboxEntry, n)
	for i := range out {
		r := fmt.Sprintf("U%04d", i)
		out[i] = domain.OutboxEntry{ID: domain.OutboxID(ws, r, kind, period), WorkspaceID: ws, Recipient: r, Direct: true,
			Kind: kind, Period: period, State: domain.OutboxPending, NextAt: now, CreatedAt: now, At: now, ExpiresAt: now.Add(time.Hour)}
	}
	return out
}

// must fails the test on an error; its methods pass the value on.
type must struct{ t *testing.T }

func (m must) check(err error) {
	m.t.Helper()
	if err != nil {
		m.t.Fatal(err)
	}
}

func (m must) n(v int, err error) int       { m.t.Helper(); m.check(err); return v }
func (m must) n64(v int64, err error) int64 { m.t.Helper(); m.check(err); return v }
func (m must) ok(v bool, err error) bool    { m.t.Helper(); m.check(err); return v }
func (m must) es(v []domain.OutboxEntry, err error) []domain.OutboxEntry {
	m.t.Helper()
	m.check(err)
	return v
}
func (m must) depth(v map[[2]string]int, err error) map[[2]string]int {
	m.t.Helper()
	m.check(err)
	return v
}

func enqueueIsIdempotent(t *testing.T, s outbox.Store) {
	m := must{t}
	es := entries("w1", domain.KindCheckInPrompt, "2026-W47", 3)
	if n := m.n(s.Enqueue(ctx, es)); n != 3 {
		t.Fatalf("enqueued %d, want 3", n)
	}
	more := append(entries("w1", domain.KindCheckInPrompt, "2026-W47", 5), es...)
	if n := m.n(s.Enqueue(ctx, more)); n != 2 {
		t.Fatalf("enqueued %d new of 5 (3 known), want 2", n)
	}
	if due := m.es(s.Due(ctx, outbox.Query{}, time.Now().Add(time.Second), 100)); len(due) != 5 {
		t.Fatalf("%d due, want 5", len(due))
	}
	// Concurrent enqueues of the same entries create each once.
	var wg sync.WaitGroup
	var added sync.Map
	for p := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := s.Enqueue(ctx, entries("w2", domain.KindReminder, "2026-W47", 20))
			if err != nil {
				t.Error(err)
			}
			added.Store(p, n)
		}()
	}
	wg.Wait()
	total := 0
	added.Range(func(_, v any) bool { total += v.(int); return true })
	if total != 20 {
		t.Errorf("4 concurrent enqueues of 20 entries added %d", total)
	}
}

func dueClaimFinish(t *testing.T, s outbox.Store) {
	m := must{t}
	m.n(s.Enqueue(ctx, entries("w1", domain.KindDigest, "2026-W47", 3)))
	now := time.Now().Add(time.Second)
	due := m.es(s.Due(ctx, outbox.Query{}, now, 10))
	if len(due) != 3 {
		t.Fatalf("%d due", len(due))
	}
	until := now.Add(time.Minute).Truncate(time.Millisecond)
	c, won, err := s.Claim(ctx, due[0], "A", until)
	if err != nil || !won || c.State != domain.OutboxSending || c.Attempts != 1 || c.Holder != "A" || !c.LeaseUntil.Equal(until) {
		t.Fatalf("claim: %+v %v %v", c, won, err)
	}
	// Claiming the same attempt again loses.
	if _, won, _ := s.Claim(ctx, due[0], "B", until); won {
		t.Fatal("a claimed attempt was claimed again")
	}
	if d := m.es(s.Due(ctx, outbox.Query{}, now, 10)); len(d) != 2 {
		t.Fatalf("%d due while one is held", len(d))
	}
	if ok := m.ok(s.Renew(ctx, c, until.Add(time.Minute))); !ok {
		t.Fatal("renewing a held attempt failed")
	}
	other := c
	other.Holder = "B"
	if ok := m.ok(s.Renew(ctx, other, until.Add(time.Hour))); ok {
		t.Fatal("another holder renewed A's attempt")
	}
	if ok := m.ok(s.Finish(ctx, other)); ok {
		t.Fatal("another holder finished A's attempt")
	}
	c.State, c.MessageID, c.DoneAt = domain.OutboxSent, "ts-1", now
	if ok := m.ok(s.Finish(ctx, c)); !ok {
		t.Fatal("finishing a held attempt failed")
	}
	if ok := m.ok(s.Finish(ctx, c)); ok {
		t.Fatal("an attempt was finished twice")
	}
	if _, won, _ := s.Claim(ctx, due[0], "C", until); won {
		t.Fatal("a sent entry was claimed")
	}
	// A failed attempt, then one refused for good.
	c1 := must2(t, s, due[1], "A", until)
	c1.State, c1.NextAt, c1.LastError, c1.Unsure = domain.OutboxFailed, now.Add(time.Hour), "HTTP 500", true
	m.ok(s.Finish(ctx, c1))
	c2 := must2(t, s, due[2], "A", until)
	c2.State, c2.LastError, c2.DoneAt = domain.OutboxDead, "channel_not_found", now
	m.ok(s.Finish(ctx, c2))
	if d := m.es(s.Due(ctx, outbox.Query{}, now, 10)); len(d) != 0 {
		t.Fatalf("due after finishing: %+v", d)
	}
	all := m.es(s.Deliveries(ctx, outbox.Query{}, []string{"2026-W47"}))
	states := map[domain.OutboxState]domain.OutboxEntry{}
	for _, e := range all {
		states[e.State] = e
	}
	if e := states[domain.OutboxSent]; e.MessageID != "ts-1" || !e.LeaseUntil.IsZero() {
		t.Errorf("sent entry: %+v", e)
	}
	if e := states[domain.OutboxFailed]; e.LastError != "HTTP 500" || !e.Unsure || e.Attempts != 1 {
		t.Errorf("failed entry: %+v", e)
	}
	if e := states[domain.OutboxDead]; e.LastError != "channel_not_found" {
		t.Errorf("dead entry: %+v", e)
	}
	depth := m.depth(s.OutboxDepth(ctx))
	if depth[[2]string{domain.KindDigest, string(domain.OutboxFailed)}] != 1 || len(depth) != 1 {
		t.Errorf("depth %v", depth)
	}
}

// must2 claims e for holder.
func must2(t *testing.T, s outbox.Store, e domain.OutboxEntry, holder string, until time.Time) domain.OutboxEntry {
	t.Helper()
	c, won, err := s.Claim(ctx, e, holder, until)
	if err != nil || !won {
		t.Fatalf("claim of %s: %v %v", e.ID, won, err)
	}
	return c
}

func oneOfConcurrentClaimsWins(t *testing.T, s outbox.Store) {
	m := must{t}
	m.n(s.Enqueue(ctx, entries("w1", domain.KindCheckInPrompt, "2026-W47", 20)))
	now := time.Now().Add(time.Second)
	due := m.es(s.Due(ctx, outbox.Query{}, now, 100))
	var mu sync.Mutex
	wins := map[string]int{}
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, e := range due {
				if _, won, err := s.Claim(ctx, e, fmt.Sprintf("p%d", p), now.Add(time.Minute)); err != nil {
					t.Error(err)
				} else if won {
					mu.Lock()
					wins[e.ID]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(wins) != 20 {
		t.Errorf("%d of 20 entries claimed", len(wins))
	}
	for id, n := range wins {
		if n != 1 {
			t.Errorf("%s claimed %d times", id, n)
		}
	}
}

func expiredLeaseIsTakenOver(t *testing.T, s outbox.Store) {
	m := must{t}
	m.n(s.Enqueue(ctx, entries("w1", domain.KindCheckInPrompt, "2026-W47", 1)))
	now := time.Now()
	due := m.es(s.Due(ctx, outbox.Query{}, now.Add(time.Second), 10))
	a := must2(t, s, due[0], "A", now.Add(50*time.Millisecond))
	time.Sleep(100 * time.Millisecond) // A died; its lease ran out
	due = m.es(s.Due(ctx, outbox.Query{}, time.Now(), 10))
	if len(due) != 1 || due[0].State != domain.OutboxSending {
		t.Fatalf("an entry whose lease ran out is not due: %+v", due)
	}
	b := must2(t, s, due[0], "B", time.Now().Add(time.Minute))
	if b.Attempts != 2 {
		t.Errorf("the take-over is attempt %d", b.Attempts)
	}
	// A, back from the dead, can neither renew nor finish.
	if ok := m.ok(s.Renew(ctx, a, time.Now().Add(time.Hour))); ok {
		t.Error("a lost lease was renewed")
	}
	a.State, a.DoneAt = domain.OutboxSent, time.Now()
	if ok := m.ok(s.Finish(ctx, a)); ok {
		t.Error("a lost attempt was finished")
	}
}

func failedEntryComesDueAtItsTime(t *testing.T, s outbox.Store) {
	m := must{t}
	m.n(s.Enqueue(ctx, entries("w1", domain.KindReminder, "2026-W47", 1)))
	now := time.Now().Truncate(time.Millisecond)
	due := m.es(s.Due(ctx, outbox.Query{}, now.Add(time.Second), 10))
	c := must2(t, s, due[0], "A", now.Add(time.Minute))
	retry := now.Add(10 * time.Minute)
	c.State, c.NextAt = domain.OutboxFailed, retry
	m.ok(s.Finish(ctx, c))
	if d := m.es(s.Due(ctx, outbox.Query{}, now.Add(9*time.Minute), 10)); len(d) != 0 {
		t.Fatal("due before its retry time")
	}
	next, ok := mustNext(t, s)
	if !ok || !next.Equal(retry) {
		t.Fatalf("NextDue = %v %v, want %v", next, ok, retry)
	}
	d := m.es(s.Due(ctx, outbox.Query{}, retry, 10))
	if len(d) != 1 || d[0].Attempts != 1 {
		t.Fatalf("due at its retry time: %+v", d)
	}
	c2 := must2(t, s, d[0], "B", retry.Add(time.Minute))
	if c2.Attempts != 2 {
		t.Errorf("second attempt counted %d", c2.Attempts)
	}
	if next, ok := mustNext(t, s); !ok || !next.Equal(retry.Add(time.Minute)) {
		t.Errorf("NextDue while sending = %v %v, want the end of the lease", next, ok)
	}
}

func mustNext(t *testing.T, s outbox.Store) (time.Time, bool) {
	t.Helper()
	next, ok, err := s.NextDue(ctx, outbox.Query{})
	if err != nil {
		t.Fatal(err)
	}
	return next, ok
}

func queriesAreScoped(t *testing.T, s outbox.Store) {
	m := must{t}
	m.n(s.Enqueue(ctx, entries("w1", domain.KindCheckInPrompt, "2026-W47", 2)))
	m.n(s.Enqueue(ctx, entries("w2", domain.KindCheckInPrompt, "2026-W47", 3)))
	m.n(s.Enqueue(ctx, entries("w1", domain.KindDigest, "2026-W47", 4)))
	now := time.Now().Add(time.Second)
	for _, tt := range []struct {
		q    outbox.Query
		want int
	}{
		{outbox.Query{}, 9},
		{outbox.Query{Workspaces: []string{"w1"}}, 6},
		{outbox.Query{Kinds: []string{domain.KindCheckInPrompt}}, 5},
		{outbox.Query{Kinds: []string{domain.KindCheckInPrompt}, Workspaces: []string{"w2"}}, 3},
		{outbox.Query{Workspaces: []string{"w3"}}, 0},
	} {
		if d := m.es(s.Due(ctx, tt.q, now, 100)); len(d) != tt.want {
			t.Errorf("Due(%+v) = %d entries, want %d", tt.q, len(d), tt.want)
		}
		if d := m.es(s.Deliveries(ctx, tt.q, nil)); len(d) != tt.want {
			t.Errorf("Deliveries(%+v) = %d entries, want %d", tt.q, len(d), tt.want)
		}
	}
	if d := m.es(s.Due(ctx, outbox.Query{}, now, 4)); len(d) != 4 {
		t.Errorf("limit 4 returned %d", len(d))
	}
}

func deliveriesAndCleanup(t *testing.T, s outbox.Store) {
	m := must{t}
	old := entries("w1", domain.KindCheckInPrompt, "2026-W46", 2)
	cur := entries("w1", domain.KindCheckInPrompt, "2026-W47", 2)
	m.n(s.Enqueue(ctx, append(old, cur...)))
	now := time.Now().Add(time.Second)
	due := m.es(s.Due(ctx, outbox.Query{}, now, 10))
	var w46 []domain.OutboxEntry
	for _, e := range due {
		if e.Period == "2026-W46" {
			w46 = append(w46, e)
		}
	}
	// W46: one sent long ago, one still failing.
	c := must2(t, s, w46[0], "A", now.Add(time.Minute))
	c.State, c.DoneAt = domain.OutboxSent, now.Add(-72*time.Hour)
	m.ok(s.Finish(ctx, c))
	c = must2(t, s, w46[1], "A", now.Add(time.Minute))
	c.State, c.NextAt = domain.OutboxFailed, now.Add(time.Hour)
	m.ok(s.Finish(ctx, c))
	// The report of W47 has W47's entries and the unfinished one of W46.
	got := m.es(s.Deliveries(ctx, outbox.Query{}, []string{"2026-W47"}))
	var ids []string
	for _, e := range got {
		ids = append(ids, e.Period+"/"+string(e.State))
	}
	slices.Sort(ids)
	if want := []string{"2026-W46/failed", "2026-W47/pending", "2026-W47/pending"}; !slices.Equal(ids, want) {
		t.Errorf("deliveries %v, want %v", ids, want)
	}
	if n := m.n64(s.CleanupOutbox(ctx, now.Add(-24*time.Hour))); n != 1 {
		t.Errorf("cleanup removed %d, want the one sent three days ago", n)
	}
	if got := m.es(s.Deliveries(ctx, outbox.Query{}, []string{"2026-W46", "2026-W47"})); len(got) != 3 {
		t.Errorf("%d left after cleanup", len(got))
	}
}
