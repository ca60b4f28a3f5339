package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/outbox"
	"github.com/okrbot/okrbot/outbox/outboxtest"
)

var ctx = context.Background()

// memStore is the outbox's Store in memory, with the atomicity the
// interface asks for: every method runs under one lock, and claims,
// renewals and finishes are conditional on the attempt.
type memStore struct {
	mu      sync.Mutex
	entries map[string]domain.OutboxEntry
	calls   atomic.Int64
	// renewFails makes Renew report the lease lost; finishErrors makes
	// that many Finish calls fail.
	renewFails   atomic.Bool
	finishErrors atomic.Int32
}

func newMemStore() *memStore { return &memStore{entries: map[string]domain.OutboxEntry{}} }

func (s *memStore) Enqueue(_ context.Context, es []domain.OutboxEntry) (int, error) {
	s.calls.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range es {
		if _, ok := s.entries[e.ID]; !ok {
			s.entries[e.ID] = e
			n++
		}
	}
	return n, nil
}

func matches(q outbox.Query, e domain.OutboxEntry) bool {
	return (len(q.Kinds) == 0 || slices.Contains(q.Kinds, e.Kind)) && (len(q.Workspaces) == 0 || slices.Contains(q.Workspaces, e.WorkspaceID))
}

func claimable(e domain.OutboxEntry, now time.Time) bool {
	switch e.State {
	case domain.OutboxPending, domain.OutboxFailed:
		return !e.NextAt.After(now)
	case domain.OutboxSending:
		return e.LeaseUntil.Before(now)
	}
	return false
}

func (s *memStore) Due(_ context.Context, q outbox.Query, now time.Time, limit int) ([]domain.OutboxEntry, error) {
	s.calls.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.OutboxEntry
	for _, e := range s.entries {
		if matches(q, e) && claimable(e, now) {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NextAt.Before(out[j].NextAt) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (s *memStore) NextDue(_ context.Context, q outbox.Query) (time.Time, bool, error) {
	s.calls.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	var next time.Time
	for _, e := range s.entries {
		if !matches(q, e) || e.State.Finished() {
			continue
		}
		t := e.NextAt
		if e.State == domain.OutboxSending {
			t = e.LeaseUntil
		}
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	return next, !next.IsZero(), nil
}

func (s *memStore) Claim(_ context.Context, e domain.OutboxEntry, holder string, until time.Time) (domain.OutboxEntry, bool, error) {
	s.calls.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.entries[e.ID]
	if !ok || cur.Attempts != e.Attempts || cur.State != e.State || cur.State.Finished() {
		return e, false, nil
	}
	cur.State, cur.Attempts, cur.Holder, cur.LeaseUntil = domain.OutboxSending, cur.Attempts+1, holder, until
	s.entries[e.ID] = cur
	return cur, true, nil
}

func (s *memStore) same(c domain.OutboxEntry) (domain.OutboxEntry, bool) {
	cur, ok := s.entries[c.ID]
	return cur, ok && cur.State == domain.OutboxSending && cur.Holder == c.Holder && cur.Attempts == c.Attempts
}

func (s *memStore) Renew(_ context.Context, c domain.OutboxEntry, until time.Time) (bool, error) {
	s.calls.Add(1)
	if s.renewFails.Load() {
		return false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.same(c)
	if !ok {
		return false, nil
	}
	cur.LeaseUntil = until
	s.entries[c.ID] = cur
	return true, nil
}

func (s *memStore) Finish(_ context.Context, c domain.OutboxEntry) (bool, error) {
	s.calls.Add(1)
	if s.finishErrors.Add(-1) >= 0 {
		return false, errors.New("database is locked")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.same(c)
	if !ok {
		return false, nil
	}
	cur.State, cur.NextAt, cur.Unsure, cur.MessageID, cur.LastError, cur.DoneAt = c.State, c.NextAt, c.Unsure, c.MessageID, c.LastError, c.DoneAt
	cur.LeaseUntil, cur.Holder = time.Time{}, ""
	s.entries[c.ID] = cur
	return true, nil
}

func (s *memStore) Deliveries(_ context.Context, q outbox.Query, periods []string) ([]domain.OutboxEntry, error) {
	s.calls.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.OutboxEntry
	for _, e := range s.entries {
		if matches(q, e) && (slices.Contains(periods, e.Period) || !e.State.Finished()) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *memStore) OutboxDepth(context.Context) (map[[2]string]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[[2]string]int{}
	for _, e := range s.entries {
		if !e.State.Finished() {
			out[[2]string{e.Kind, string(e.State)}]++
		}
	}
	return out, nil
}

func (s *memStore) CleanupOutbox(_ context.Context, before time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for id, e := range s.entries {
		if e.State.Finished() && e.DoneAt.Before(before) {
			delete(s.entries, id)
			n++
		}
	}
	return n, nil
}

func (s *memStore) get(id string) domain.OutboxEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.entries[id]
}

// handler is a platform that records what arrives; deliver decides each
// attempt's result (sent when nil).
type handler struct {
	mu      sync.Mutex
	sent    map[string]int
	tries   map[string][]time.Time
	unsure  map[string]bool
	deliver func(ctx context.Context, e domain.OutboxEntry, try int) outbox.Result
}

func newHandler(f func(ctx context.Context, e domain.OutboxEntry, try int) outbox.Result) *handler {
	return &handler{sent: map[string]int{}, tries: map[string][]time.Time{}, unsure: map[string]bool{}, deliver: f}
}

func (h *handler) Deliver(ctx context.Context, e domain.OutboxEntry) outbox.Result {
	h.mu.Lock()
	h.tries[e.ID] = append(h.tries[e.ID], time.Now())
	try := len(h.tries[e.ID])
	h.unsure[e.ID] = e.Unsure
	h.mu.Unlock()
	r := outbox.Sent("m-" + e.ID)
	if h.deliver != nil {
		r = h.deliver(ctx, e, try)
	}
	if r.State == domain.OutboxSent {
		h.mu.Lock()
		h.sent[e.ID]++
		h.mu.Unlock()
	}
	return r
}

func entries(n int, kind string) []domain.OutboxEntry {
	var out []domain.OutboxEntry
	for i := range n {
		r := fmt.Sprintf("U%04d", i)
		out = append(out, domain.OutboxEntry{ID: domain.OutboxID("w1", r, kind, "2026-W47"), WorkspaceID: "w1", Recipient: r, Direct: true, Kind: kind, Period: "2026-W47"})
	}
	return out
}

// fast is a policy for tests: short waits, a few attempts.
var fast = outbox.Policy{Base: 10 * time.Millisecond, Max: 40 * time.Millisecond, MaxAttempts: 4, MaxAge: time.Hour}

type observed struct {
	mu sync.Mutex
	m  map[string]int
}

func (o *observed) observe(kind, outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[string]int{}
	}
	o.m[outcome]++
}

func (o *observed) get(outcome string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.m[outcome]
}

// The test store keeps the contract the real stores keep.
func TestMemStoreConforms(t *testing.T) {
	outboxtest.Run(t, func(t *testing.T) outbox.Store { return newMemStore() }, outboxtest.Options{AtomicUpdates: true})
}

func TestBackoff(t *testing.T) {
	p := outbox.Policy{Base: time.Second, Max: time.Minute, MaxAttempts: 10}
	for _, tt := range []struct {
		attempt    int
		retryAfter time.Duration
		lo, hi     time.Duration
	}{
		{1, 0, 500 * time.Millisecond, time.Second},
		{2, 0, time.Second, 2 * time.Second},
		{4, 0, 4 * time.Second, 8 * time.Second},
		{7, 0, 30 * time.Second, time.Minute}, // 64 s capped at a minute
		{60, 0, 30 * time.Second, time.Minute},
		{1, 30 * time.Second, 30 * time.Second, 30 * time.Second}, // Retry-After wins
		{0, 0, 500 * time.Millisecond, time.Second},
	} {
		for _, j := range []func(time.Duration) time.Duration{
			func(time.Duration) time.Duration { return 0 },
			func(d time.Duration) time.Duration { return d - 1 },
			nil,
		} {
			p.Jitter = j
			if got := p.Backoff(tt.attempt, tt.retryAfter); got < tt.lo || got > tt.hi {
				t.Errorf("Backoff(%d, %v) = %v, want within [%v, %v]", tt.attempt, tt.retryAfter, got, tt.lo, tt.hi)
			}
		}
	}
}

func TestDrainSendsEveryEntryOnceAcrossProcesses(t *testing.T) {
	st := newMemStore()
	h := newHandler(func(ctx context.Context, e domain.OutboxEntry, try int) outbox.Result {
		time.Sleep(time.Millisecond)
		return outbox.Sent("m-" + e.ID)
	})
	if n, err := outbox.New(st, outbox.Options{}).Enqueue(ctx, entries(500, domain.KindCheckInPrompt)); n != 500 || err != nil {
		t.Fatal(n, err)
	}
	var wg sync.WaitGroup
	stats := make([]outbox.Stats, 3)
	for p := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := outbox.New(st, outbox.Options{Holder: fmt.Sprintf("p%d", p), Policy: fast})
			s, err := o.Drain(ctx, outbox.Query{Kinds: []string{domain.KindCheckInPrompt}}, h, time.Second, nil)
			if err != nil {
				t.Error(err)
			}
			stats[p] = s
		}()
	}
	wg.Wait()
	if len(h.sent) != 500 {
		t.Fatalf("%d of 500 sent", len(h.sent))
	}
	for id, n := range h.sent {
		if n != 1 {
			t.Errorf("%s sent %d times", id, n)
		}
	}
	if sum := stats[0].Sent + stats[1].Sent + stats[2].Sent; sum != 500 {
		t.Errorf("the processes report %d sent: %+v", sum, stats)
	}
	// Enqueueing them again changes nothing.
	if n, _ := outbox.New(st, outbox.Options{}).Enqueue(ctx, entries(500, domain.KindCheckInPrompt)); n != 0 {
		t.Errorf("enqueued %d again", n)
	}
	if e := st.get(entries(1, domain.KindCheckInPrompt)[0].ID); e.State != domain.OutboxSent || e.MessageID == "" || e.Attempts != 1 {
		t.Errorf("entry after sending: %+v", e)
	}
}

func TestFailingEntryIsRetriedThenGivenUpAndCounted(t *testing.T) {
	st := newMemStore()
	var seen observed
	o := outbox.New(st, outbox.Options{Policy: fast, Observe: seen.observe})
	h := newHandler(func(ctx context.Context, e domain.OutboxEntry, try int) outbox.Result {
		return outbox.Retry(errors.New("HTTP 500"), 0, true)
	})
	o.Enqueue(ctx, entries(1, domain.KindDigest))
	s, err := o.Drain(ctx, outbox.Query{}, h, 5*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := st.get(entries(1, domain.KindDigest)[0].ID)
	if e.State != domain.OutboxExpired || e.Attempts != fast.MaxAttempts || len(h.tries[e.ID]) != fast.MaxAttempts {
		t.Fatalf("after %d tries: %+v", len(h.tries[e.ID]), e)
	}
	if s.Failed != fast.MaxAttempts-1 || s.Expired != 1 || seen.get("expired") != 1 || seen.get("failed") != fast.MaxAttempts-1 {
		t.Errorf("stats %+v, observed %v", s, seen.m)
	}
	// From the second attempt on, the handler is told the last may have arrived.
	if !h.unsure[e.ID] {
		t.Error("a retry after a 5xx was not marked unsure")
	}
	// The waits between attempts grew.
	tries := h.tries[e.ID]
	if d1, d3 := tries[1].Sub(tries[0]), tries[3].Sub(tries[2]); d3 <= d1 || d1 < fast.Base/2 {
		t.Errorf("waits %v then %v", d1, d3)
	}
	// Once given up it is finished: the status says so, cleanup removes it.
	status, _ := o.Status(ctx, outbox.Query{}, []string{"2026-W47"})
	if status.ByState[domain.OutboxExpired] != 1 || status.ByState[domain.OutboxFailed] != 0 {
		t.Errorf("status %+v", status)
	}
	if n, _ := o.Cleanup(ctx, -time.Second); n != 1 {
		t.Errorf("cleanup removed %d", n)
	}
}

func TestRetryWaitsAtLeastRetryAfter(t *testing.T) {
	st := newMemStore()
	o := outbox.New(st, outbox.Options{Policy: fast})
	h := newHandler(func(ctx context.Context, e domain.OutboxEntry, try int) outbox.Result {
		if try == 1 {
			return outbox.Retry(errors.New("ratelimited"), 300*time.Millisecond, false)
		}
		return outbox.Sent("ok")
	})
	o.Enqueue(ctx, entries(1, domain.KindReminder))
	if _, err := o.Drain(ctx, outbox.Query{}, h, 5*time.Second, nil); err != nil {
		t.Fatal(err)
	}
	id := entries(1, domain.KindReminder)[0].ID
	tries := h.tries[id]
	if len(tries) != 2 || tries[1].Sub(tries[0]) < 300*time.Millisecond {
		t.Fatalf("tries %v", tries)
	}
	if h.unsure[id] {
		t.Error("a retry after a 429 (nothing was posted) asks the platform")
	}
}

func TestPermanentFailureIsDeadAndNotRetried(t *testing.T) {
	st := newMemStore()
	var seen observed
	o := outbox.New(st, outbox.Options{Policy: fast, Observe: seen.observe})
	h := newHandler(func(ctx context.Context, e domain.OutboxEntry, try int) outbox.Result {
		return outbox.Permanent(errors.New("channel_not_found"))
	})
	o.Enqueue(ctx, entries(1, domain.KindDigest))
	o.Drain(ctx, outbox.Query{}, h, time.Second, nil)
	e := st.get(entries(1, domain.KindDigest)[0].ID)
	if e.State != domain.OutboxDead || e.LastError != "channel_not_found" || len(h.tries[e.ID]) != 1 || seen.get("dead") != 1 {
		t.Fatalf("%+v after %d tries", e, len(h.tries[e.ID]))
	}
}

func TestTooLateIsExpiredWithoutSending(t *testing.T) {
	st := newMemStore()
	var seen observed
	o := outbox.New(st, outbox.Options{Policy: fast, Observe: seen.observe})
	es := entries(2, domain.KindCheckInPrompt)
	es[0].ExpiresAt = time.Now().Add(-time.Minute) // the reminder is out already
	o.Enqueue(ctx, es)
	h := newHandler(nil)
	s, _ := o.Drain(ctx, outbox.Query{}, h, time.Second, nil)
	if s.Expired != 1 || s.Sent != 1 || len(h.tries[es[0].ID]) != 0 || seen.get("expired") != 1 {
		t.Fatalf("stats %+v, tries %v", s, h.tries)
	}
	// A retry is never scheduled past the expiry: the entry comes due when
	// it expires, and is given up then.
	st2 := newMemStore()
	o2 := outbox.New(st2, outbox.Options{Policy: outbox.Policy{Base: time.Hour, Max: time.Hour, MaxAttempts: 5}})
	e := entries(1, domain.KindReminder)[0]
	e.ExpiresAt = time.Now().Add(200 * time.Millisecond)
	o2.Enqueue(ctx, []domain.OutboxEntry{e})
	failing := newHandler(func(context.Context, domain.OutboxEntry, int) outbox.Result {
		return outbox.Retry(errors.New("down"), 0, false)
	})
	s, _ = o2.Drain(ctx, outbox.Query{}, failing, 2*time.Second, nil)
	if got := st2.get(e.ID); got.State != domain.OutboxExpired || s.Expired != 1 {
		t.Fatalf("an entry retried past its expiry: %+v, stats %+v", got, s)
	}
}

func TestLongAttemptKeepsItsLease(t *testing.T) {
	st := newMemStore()
	const lease = 150 * time.Millisecond
	a := outbox.New(st, outbox.Options{Holder: "A", Lease: lease, Policy: fast})
	b := outbox.New(st, outbox.Options{Holder: "B", Lease: lease, Policy: fast})
	started := make(chan struct{})
	slow := newHandler(func(ctx context.Context, e domain.OutboxEntry, try int) outbox.Result {
		close(started)
		select { // a digest that takes four leases to compose
		case <-time.After(4 * lease):
			return outbox.Sent("slow")
		case <-ctx.Done():
			return outbox.Retry(context.Cause(ctx), 0, false)
		}
	})
	a.Enqueue(ctx, entries(1, domain.KindDigest))
	done := make(chan outbox.Stats)
	go func() {
		s, _ := a.Drain(ctx, outbox.Query{}, slow, 0, nil)
		done <- s
	}()
	<-started
	other := newHandler(nil)
	for range 5 {
		time.Sleep(lease)
		b.Drain(ctx, outbox.Query{}, other, 0, nil)
	}
	if s := <-done; s.Sent != 1 {
		t.Fatalf("the slow attempt: %+v", s)
	}
	if len(other.tries) != 0 {
		t.Fatal("another process took over an entry whose attempt was still working")
	}
}

func TestLostLeaseCancelsTheAttempt(t *testing.T) {
	st := newMemStore()
	st.renewFails.Store(true)
	o := outbox.New(st, outbox.Options{Lease: 90 * time.Millisecond, Policy: fast})
	var cause error
	h := newHandler(func(ctx context.Context, e domain.OutboxEntry, try int) outbox.Result {
		<-ctx.Done()
		cause = context.Cause(ctx)
		return outbox.Retry(cause, 0, false)
	})
	o.Enqueue(ctx, entries(1, domain.KindDigest))
	s, _ := o.Drain(ctx, outbox.Query{}, h, 0, nil)
	if !errors.Is(cause, outbox.ErrLeaseLost) || s.Lost != 1 {
		t.Fatalf("cause %v, stats %+v", cause, s)
	}
	if e := st.get(entries(1, domain.KindDigest)[0].ID); e.State != domain.OutboxSending || e.Attempts != 1 {
		t.Errorf("an attempt that lost its lease recorded its end: %+v", e)
	}
}

func TestEntryOfADeadProcessIsTakenOverUnsure(t *testing.T) {
	st := newMemStore()
	dead := outbox.New(st, outbox.Options{Holder: "dead"})
	dead.Enqueue(ctx, entries(1, domain.KindCheckInPrompt))
	e := entries(1, domain.KindCheckInPrompt)[0]
	due, _ := st.Due(ctx, outbox.Query{}, time.Now(), 10)
	if _, won, _ := st.Claim(ctx, due[0], "dead", time.Now().Add(-time.Second)); !won { // its lease is over
		t.Fatal("claim")
	}
	h := newHandler(nil)
	status, _ := outbox.New(st, outbox.Options{Holder: "me"}).Status(ctx, outbox.Query{}, nil)
	if status.Held != 0 || status.ByState[domain.OutboxSending] != 1 {
		t.Errorf("status of an entry whose holder died: %+v", status)
	}
	s, _ := outbox.New(st, outbox.Options{Holder: "me"}).Drain(ctx, outbox.Query{}, h, 0, nil)
	if s.Sent != 1 || !h.unsure[e.ID] {
		t.Fatalf("stats %+v, unsure %v", s, h.unsure)
	}
	if got := st.get(e.ID); got.Attempts != 2 {
		t.Errorf("attempts %d", got.Attempts)
	}
}

func TestStatusCountsWhatOthersHold(t *testing.T) {
	st := newMemStore()
	o := outbox.New(st, outbox.Options{Holder: "me"})
	o.Enqueue(ctx, entries(3, domain.KindReminder))
	due, _ := st.Due(ctx, outbox.Query{}, time.Now(), 10)
	st.Claim(ctx, due[0], "other", time.Now().Add(time.Minute))
	status, err := o.Status(ctx, outbox.Query{Kinds: []string{domain.KindReminder}}, []string{"2026-W47"})
	if err != nil || status.Total != 3 || status.Held != 1 || status.ByState[domain.OutboxPending] != 2 {
		t.Fatalf("%+v %v", status, err)
	}
}

func TestPanicInAnAttemptIsAFailedAttempt(t *testing.T) {
	st := newMemStore()
	o := outbox.New(st, outbox.Options{Policy: fast})
	h := newHandler(func(ctx context.Context, e domain.OutboxEntry, try int) outbox.Result {
		if try == 1 {
			panic("boom")
		}
		return outbox.Sent("ok")
	})
	o.Enqueue(ctx, entries(1, domain.KindKPIAlert))
	s, err := o.Drain(ctx, outbox.Query{}, h, 2*time.Second, nil)
	if err != nil || s.Failed != 1 || s.Sent != 1 {
		t.Fatalf("%+v %v", s, err)
	}
}

func TestEnqueueRefusesHalfAnEntry(t *testing.T) {
	o := outbox.New(newMemStore(), outbox.Options{})
	if _, err := o.Enqueue(ctx, []domain.OutboxEntry{{ID: "x"}}); err == nil {
		t.Error("an entry without workspace and kind was enqueued")
	}
}

func TestAnOutcomeIsRecordedThoughTheStoreIsBusy(t *testing.T) {
	st := newMemStore()
	st.finishErrors.Store(2)
	o := outbox.New(st, outbox.Options{Policy: fast})
	h := newHandler(nil)
	o.Enqueue(ctx, entries(1, domain.KindDigest))
	s, _ := o.Drain(ctx, outbox.Query{}, h, time.Second, nil)
	if e := st.get(entries(1, domain.KindDigest)[0].ID); e.State != domain.OutboxSent || s.Sent != 1 {
		t.Fatalf("%+v, stats %+v", e, s)
	}
	// A store that stays down: the send is not counted (a later attempt
	// asks the platform and records it), and nothing is sent twice.
	st2 := newMemStore()
	st2.finishErrors.Store(100)
	o2 := outbox.New(st2, outbox.Options{Policy: fast})
	o2.Enqueue(ctx, entries(1, domain.KindDigest))
	s, _ = o2.Drain(ctx, outbox.Query{}, h, 0, nil)
	if s.Sent != 0 || s.Lost != 1 {
		t.Fatalf("an unrecorded send was counted: %+v", s)
	}
}
