package outbox

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// batch is how many due entries a drain asks for at once.
const batch = 200

// Stats counts what one Drain did.
type Stats struct {
	Sent, Skipped, Failed, Dead, Expired int
	// Lost counts the attempts that ended without a record: another
	// process claimed the entry first (or took it over), or the store could
	// not record the outcome (a later attempt asks the platform first).
	Lost int
	// Next is when the earliest entry left comes due (a retry, another
	// process's lease ending); zero when none is left.
	Next time.Time
}

func (s *Stats) add(outcome domain.OutboxState) {
	switch outcome {
	case domain.OutboxSent:
		s.Sent++
	case domain.OutboxSkipped:
		s.Skipped++
	case domain.OutboxFailed:
		s.Failed++
	case domain.OutboxDead:
		s.Dead++
	case domain.OutboxExpired:
		s.Expired++
	}
}

// Drain attempts every entry of q that is due, with Workers at once, until
// none is left, and returns what it did. Entries that come due later (a
// retry, an entry another process holds) are waited for when they come due
// within maxWait; the rest stay in the outbox for a later drain. progress,
// when not nil, hears the counts after every attempt.
func (o *Outbox) Drain(ctx context.Context, q Query, h Handler, maxWait time.Duration, progress func(Stats)) (Stats, error) {
	var st Stats
	var mu sync.Mutex
	deadline := o.opt.Now().Add(maxWait)
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		due, err := o.store.Due(ctx, q, o.opt.Now(), batch)
		if err != nil {
			return st, fmt.Errorf("outbox.Drain: %w", err)
		}
		if len(due) == 0 {
			next, ok, err := o.store.NextDue(ctx, q)
			if err != nil {
				return st, fmt.Errorf("outbox.Drain: %w", err)
			}
			if !ok || next.After(deadline) {
				st.Next = next
				return st, nil
			}
			// Look again at least every second: another process's attempt
			// usually ends long before its lease would.
			if err := sleep(ctx, min(max(next.Sub(o.opt.Now()), 0)+20*time.Millisecond, time.Second)); err != nil {
				return st, err
			}
			continue
		}
		progressed := false
		work := make(chan domain.OutboxEntry)
		var wg sync.WaitGroup
		for range min(o.opt.Workers, len(due)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for e := range work {
					outcome, err := o.attempt(ctx, e, h)
					mu.Lock()
					if outcome == "" {
						st.Lost++
					} else {
						progressed = true
						st.add(outcome)
						if progress != nil {
							progress(st)
						}
					}
					mu.Unlock()
					if err != nil {
						o.opt.Log.Warn("delivery attempt", "id", e.ID, "outcome", string(outcome), "err", err)
					}
				}
			}()
		}
		for _, e := range due {
			work <- e
		}
		close(work)
		wg.Wait()
		if !progressed {
			// Every one was taken by another process between Due and the
			// claim (or its lease went to one): leave them to it once the
			// wait is over, else give them a moment rather than asking again
			// at once.
			if o.opt.Now().After(deadline) {
				return st, nil
			}
			if err := sleep(ctx, 200*time.Millisecond); err != nil {
				return st, err
			}
		}
	}
}

// attempt claims e and makes one attempt at it. It returns the outcome it
// recorded, or "" when another process has the entry.
func (o *Outbox) attempt(ctx context.Context, e domain.OutboxEntry, h Handler) (domain.OutboxState, error) {
	now := o.opt.Now()
	// A process that died while sending may have sent: the next attempt
	// must ask the platform first.
	crashed := e.State == domain.OutboxSending
	c, won, err := o.store.Claim(ctx, e, o.opt.Holder, now.Add(o.opt.Lease))
	if err != nil || !won {
		return "", err
	}
	c.Unsure = c.Unsure || crashed
	if !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt) {
		return o.finish(ctx, c, domain.OutboxExpired, "", fmt.Sprintf("expired at %s before it could be sent (last error: %s)", c.ExpiresAt.UTC().Format(time.RFC3339), orNone(c.LastError)), time.Time{}, false)
	}
	r, lost := o.deliver(ctx, c, h)
	if lost {
		// Another process has the entry now and will finish it; what this
		// attempt did is its concern (it asks the platform first).
		return "", fmt.Errorf("%w (%s)", ErrLeaseLost, e.ID)
	}
	switch r.State {
	case domain.OutboxSent, domain.OutboxSkipped, domain.OutboxDead:
		return o.finish(ctx, c, r.State, r.MessageID, r.Reason, time.Time{}, false)
	}
	// A failed attempt: retried after the policy's wait, unless this was
	// the last attempt or the entry would be too late by then.
	if c.Attempts >= o.opt.Policy.MaxAttempts {
		return o.finish(ctx, c, domain.OutboxExpired, "", fmt.Sprintf("gave up after %d attempts: %s", c.Attempts, r.Reason), time.Time{}, r.Unsure)
	}
	next := o.opt.Now().Add(o.opt.Policy.Backoff(c.Attempts, r.RetryAfter))
	if !c.ExpiresAt.IsZero() && next.After(c.ExpiresAt) {
		next = c.ExpiresAt // come due when it expires, so it is given up on time
	}
	outcome, ferr := o.finish(ctx, c, domain.OutboxFailed, "", r.Reason, next, r.Unsure)
	return outcome, errors.Join(errors.New(r.Reason), ferr)
}

// deliver runs the handler under the entry's lease, renewing it every third
// of the lease while the handler works, and turns a panic into a failed
// attempt. lost reports that the lease went to another process meanwhile.
func (o *Outbox) deliver(ctx context.Context, c domain.OutboxEntry, h Handler) (r Result, lost bool) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan struct{})
	var renewed sync.WaitGroup
	renewed.Add(1)
	var lostLease bool
	go func() {
		defer renewed.Done()
		t := time.NewTicker(o.opt.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				ok, err := o.store.Renew(ctx, c, o.opt.Now().Add(o.opt.Lease))
				if err != nil {
					// The store may be back before the lease runs out: keep
					// working, and try again at the next tick.
					o.opt.Log.Warn("delivery lease renewal failed", "id", c.ID, "err", err)
					continue
				}
				if !ok {
					lostLease = true
					cancel(ErrLeaseLost)
					return
				}
			}
		}
	}()
	func() {
		defer func() {
			if v := recover(); v != nil {
				o.opt.Log.Error("panic delivering", "id", c.ID, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				r = Retry(fmt.Errorf("panic: %v", v), 0, true)
			}
		}()
		r = h.Deliver(ctx, c)
	}()
	close(done)
	renewed.Wait()
	if r.State == "" {
		r = Retry(errors.New("the handler said nothing"), 0, true)
	}
	return r, lostLease
}

// finish records the end of the attempt claimed as c and counts it.
func (o *Outbox) finish(ctx context.Context, c domain.OutboxEntry, state domain.OutboxState, messageID, reason string, next time.Time, unsure bool) (domain.OutboxState, error) {
	c.State, c.MessageID, c.LastError, c.Unsure = state, messageID, reason, unsure
	c.NextAt, c.DoneAt = next, time.Time{}
	if state.Finished() {
		c.DoneAt = o.opt.Now()
	}
	// Record it even when the run is being cancelled: the attempt happened.
	// A store that is busy for a moment is asked again: what happened must
	// be written down (this retries a write, never a send).
	ok, err := o.store.Finish(context.WithoutCancel(ctx), c)
	for wait := 50 * time.Millisecond; err != nil && wait <= 800*time.Millisecond; wait *= 4 {
		time.Sleep(wait)
		ok, err = o.store.Finish(context.WithoutCancel(ctx), c)
	}
	if err != nil {
		// Not recorded: the entry stays claimed, and once the lease ends
		// another attempt asks the platform first (it is unsure) and
		// records it then. Counting it now would count it twice.
		return "", fmt.Errorf("outbox: recording %s of %s: %w", state, c.ID, err)
	}
	if !ok {
		return "", fmt.Errorf("%w (%s, finishing as %s)", ErrLeaseLost, c.ID, state)
	}
	if o.opt.Observe != nil {
		o.opt.Observe(c.Kind, string(state))
	}
	return state, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
