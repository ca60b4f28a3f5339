// Package outbox is okrbot's delivery engine. Every message okrbot sends on
// its own (a check-in prompt, a reminder, a digest, a KPI alert) is written
// here before anything is sent (Enqueue), found when it comes due, taken by
// one process for one attempt under a lease (claim), handed to a Handler
// that composes and sends it, and recorded when the attempt ends (finish).
// One retry policy decides what happens to a failed attempt: exponential
// backoff with jitter, at least what the platform asked for, a maximum
// number of attempts, and an expiry after which the entry is given up and
// counted, never silently kept. Cleanup deletes what is over.
//
// The package knows no chat platform and no database: it declares the Store
// it needs, and the Handler it calls.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// Store keeps the outbox's entries. Every method is scoped by the
// workspaces, kinds and periods it is given; none reads the whole outbox
// unless asked to (Depth, Cleanup). The entry's ID, (workspace, recipient,
// kind, period), is unique: that is what makes a delivery happen once
// however often, and by however many processes, it is planned.
type Store interface {
	// Enqueue inserts the entries whose ID is new and leaves existing ones
	// exactly as they are; it returns how many were new. Several processes
	// enqueueing one ID at once create one entry (a unique key, not a read
	// before the write).
	Enqueue(ctx context.Context, entries []domain.OutboxEntry) (int, error)
	// Due returns up to limit entries of q that a process may claim at now,
	// oldest NextAt first: pending and failed ones whose NextAt has come,
	// and sending ones whose lease ended before now (their process died).
	// Its cost must follow the number of entries returned, not the size of
	// the outbox: an index on (state, next_at) or equivalent.
	Due(ctx context.Context, q Query, now time.Time, limit int) ([]domain.OutboxEntry, error)
	// NextDue returns the earliest moment an unfinished entry of q that is
	// not due now comes due: a failed one's NextAt, a sending one's
	// LeaseUntil. ok is false when there is none.
	NextDue(ctx context.Context, q Query) (at time.Time, ok bool, err error)
	// Claim takes e, as Due returned it, for one attempt by holder until
	// the given moment: the stored entry becomes sending, with Attempts
	// one more than e's, Holder and LeaseUntil set, and is returned. Of
	// several callers claiming the same e at once exactly one wins; the
	// others get false, as does a caller whose e is stale (another process
	// claimed or finished it meanwhile: its attempts moved on). Whether e
	// was due is the caller's business (it got e from Due). It must be a
	// single conditional update (on the ID and attempts) or a transaction,
	// never a read followed by a write.
	Claim(ctx context.Context, e domain.OutboxEntry, holder string, until time.Time) (domain.OutboxEntry, bool, error)
	// Renew extends the lease of the attempt claimed as e (same Holder and
	// Attempts) to until. It reports false when the attempt is not e's any
	// more (another process took the entry over after e's lease ended): the
	// holder must stop. A conditional update, as Claim.
	Renew(ctx context.Context, e domain.OutboxEntry, until time.Time) (bool, error)
	// Finish records the end of the attempt claimed as e: the stored entry
	// takes e's State, NextAt, Unsure, MessageID, LastError and DoneAt,
	// and its lease is cleared, only if it is still e's attempt (same Holder
	// and Attempts); otherwise nothing changes and Finish reports false. A
	// conditional update, as Claim.
	Finish(ctx context.Context, e domain.OutboxEntry) (bool, error)
	// Deliveries returns the entries of q whose period is one of periods,
	// and every unfinished entry of q whatever its period: what a run
	// reports on.
	Deliveries(ctx context.Context, q Query, periods []string) ([]domain.OutboxEntry, error)
	// OutboxDepth counts the unfinished entries by kind and state (for
	// metrics).
	OutboxDepth(ctx context.Context) (map[[2]string]int, error)
	// CleanupOutbox deletes the finished entries (sent, skipped, dead,
	// expired) that finished before the given moment, and returns how many.
	CleanupOutbox(ctx context.Context, before time.Time) (int64, error)
}

// Query scopes the entries a call works on: kinds and workspaces. Empty
// fields do not filter.
type Query = domain.OutboxQuery

// Handler makes one attempt at an entry the outbox has claimed: it composes
// the message and sends it, and says how it went. It must honour ctx: the
// outbox cancels it when the entry's lease is lost.
type Handler interface {
	Deliver(ctx context.Context, e domain.OutboxEntry) Result
}

// Result is how an attempt went.
type Result struct {
	// State is OutboxSent, OutboxSkipped (nothing to say any more),
	// OutboxFailed (try again) or OutboxDead (refused for good).
	State     domain.OutboxState
	MessageID string
	// Reason says why it was skipped, or what failed.
	Reason string
	// RetryAfter is the least wait before trying again the platform asked for.
	RetryAfter time.Duration
	// Unsure says a failed attempt may have reached the platform.
	Unsure bool
}

// Sent is a delivered attempt with the platform's message id.
func Sent(messageID string) Result { return Result{State: domain.OutboxSent, MessageID: messageID} }

// Skipped is an attempt that found nothing to say any more.
func Skipped(reason string) Result { return Result{State: domain.OutboxSkipped, Reason: reason} }

// Retry is a failed attempt worth trying again, not before after.
func Retry(err error, after time.Duration, unsure bool) Result {
	return Result{State: domain.OutboxFailed, Reason: errString(err), RetryAfter: after, Unsure: unsure}
}

// Permanent is an attempt the platform refused for good.
func Permanent(err error) Result { return Result{State: domain.OutboxDead, Reason: errString(err)} }

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Options tune an Outbox. Zero values give the defaults.
type Options struct {
	// Holder names this process in claims; a random name when empty.
	Holder string
	// Lease is how long a claimed entry stays this process's without
	// renewal; 2 minutes. It is renewed every third of it while the
	// Handler works, so a long attempt keeps its entry.
	Lease time.Duration
	// Workers is how many entries are attempted at once; 8.
	Workers int
	// Policy is the retry policy; DefaultPolicy when it sets no
	// MaxAttempts.
	Policy Policy
	// Now is the clock of leases and retries; time.Now.
	Now func() time.Time
	// Observe, when set, hears every finished attempt: the entry's kind and
	// the outcome (sent, skipped, failed, dead, expired), for
	// okrbot_deliveries_total.
	Observe func(kind, outcome string)
	// Log receives what went wrong; nothing when nil.
	Log *slog.Logger
}

// Outbox is the delivery engine over a Store. It is safe for concurrent use,
// and several processes may run one over the same store.
type Outbox struct {
	store Store
	opt   Options
}

// New returns an Outbox over store.
func New(store Store, opt Options) *Outbox {
	if opt.Holder == "" {
		opt.Holder = fmt.Sprintf("okrbot-%x", rand.Uint64())
	}
	if opt.Lease <= 0 {
		opt.Lease = 2 * time.Minute
	}
	if opt.Workers <= 0 {
		opt.Workers = 8
	}
	if opt.Policy.MaxAttempts <= 0 {
		opt.Policy = DefaultPolicy
	}
	if opt.Policy.MaxAge <= 0 {
		opt.Policy.MaxAge = DefaultPolicy.MaxAge
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	return &Outbox{store: store, opt: opt}
}

// Holder returns the name this outbox claims entries under.
func (o *Outbox) Holder() string { return o.opt.Holder }

// Enqueue writes entries before anything is sent. An entry already there
// (same ID) is left as it is. New entries start pending, due at their NextAt
// (now when zero). It returns how many were new.
func (o *Outbox) Enqueue(ctx context.Context, entries []domain.OutboxEntry) (int, error) {
	const op = "outbox.Enqueue"
	now := o.opt.Now()
	out := make([]domain.OutboxEntry, 0, len(entries))
	for _, e := range entries {
		if e.ID == "" || e.WorkspaceID == "" || e.Kind == "" {
			return 0, fmt.Errorf("%s: entry without id, workspace or kind: %+v", op, e)
		}
		e.State, e.Attempts, e.Holder, e.LeaseUntil = domain.OutboxPending, 0, "", time.Time{}
		if e.NextAt.IsZero() {
			e.NextAt = now
		}
		if e.CreatedAt.IsZero() {
			e.CreatedAt = now
		}
		if e.ExpiresAt.IsZero() {
			e.ExpiresAt = e.CreatedAt.Add(o.opt.Policy.MaxAge)
		}
		out = append(out, e)
	}
	n, err := o.store.Enqueue(ctx, out)
	if err != nil {
		return n, fmt.Errorf("%s: %w", op, err)
	}
	return n, nil
}

// Cleanup deletes the entries that finished more than keep ago.
func (o *Outbox) Cleanup(ctx context.Context, keep time.Duration) (int64, error) {
	n, err := o.store.CleanupOutbox(ctx, o.opt.Now().Add(-keep))
	if err != nil {
		return n, fmt.Errorf("outbox.Cleanup: %w", err)
	}
	return n, nil
}

// Status is where the deliveries a run covered stand.
type Status struct {
	Total   int
	ByState map[domain.OutboxState]int
	// Held counts the entries another process is sending now (its lease
	// runs); they are in ByState[OutboxSending] too.
	Held int
	// Failing lists a few of the entries still failing, with their errors.
	Failing []domain.OutboxEntry
	// Refused lists a few of the entries refused for good, with the
	// platform's reason.
	Refused []domain.OutboxEntry
}

// Status reports the entries of q whose period is one of periods, and every
// unfinished entry of q.
func (o *Outbox) Status(ctx context.Context, q Query, periods []string) (Status, error) {
	es, err := o.store.Deliveries(ctx, q, periods)
	if err != nil {
		return Status{}, fmt.Errorf("outbox.Status: %w", err)
	}
	now := o.opt.Now()
	st := Status{Total: len(es), ByState: map[domain.OutboxState]int{}}
	for _, e := range es {
		st.ByState[e.State]++
		switch {
		case e.State == domain.OutboxSending && e.Holder != o.opt.Holder && now.Before(e.LeaseUntil):
			st.Held++
		case e.State == domain.OutboxFailed && len(st.Failing) < 5:
			st.Failing = append(st.Failing, e)
		case e.State == domain.OutboxDead && len(st.Refused) < 5:
			st.Refused = append(st.Refused, e)
		}
	}
	return st, nil
}

// Depth counts the unfinished entries by kind and state.
func (o *Outbox) Depth(ctx context.Context) (map[[2]string]int, error) {
	return o.store.OutboxDepth(ctx)
}

// ErrLeaseLost is the cause of the context of an attempt whose lease went to
// another process.
var ErrLeaseLost = errors.New("outbox: the lease on this delivery went to another process")
