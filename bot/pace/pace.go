// Package pace keeps okrbot's calls to a chat platform's API at the pace the
// platform allows, for every adapter that calls one (Slack's Web API,
// Teams' Bot Connector).
//
// Each (workspace, method) is a lane with a pace in calls a second. A lane
// starts at the platform's documented rate for the method, or at the pace
// learned before (kept in a Store across runs). While calls succeed the pace
// rises additively: fast at first, then, once the platform has refused a
// call, slowly towards just under the rate at which it refused, and past it
// only very slowly (the platform may allow more later). A 429 cuts the pace
// multiplicatively and holds every call of that method in that workspace,
// and only that method, until its Retry-After has passed. Fixed lanes (one
// message a second per channel) never adapt.
//
// Pacing is waiting for one's turn, not retrying: a caller that cannot wait
// long enough gets a *WaitError and reports "retry after" without calling.
package pace

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// Method is how a method is paced.
type Method struct {
	// Start is the pace, in calls a second, a lane starts at with nothing
	// learned: the platform's documented rate for the method.
	Start float64
	// Max bounds the pace (an operator's limit); 0: no bound.
	Max float64
	// Min is the pace a lane never goes below: what the platform documents
	// as always allowed (a tier's "50+ per minute"); Start when 0. Calls
	// still wait out every Retry-After.
	Min float64
	// Burst is how many calls may go at once after a quiet time; 1 when 0.
	Burst int
	// Fixed keeps the pace at Start: a limit the platform states exactly
	// (per channel), not one to discover.
	Fixed bool
}

// Store keeps learned paces across runs (*storage.Store). Keys name the
// platform, workspace and method.
type Store interface {
	LoadPace(ctx context.Context, key string) (domain.LearnedPace, bool, error)
	SavePace(ctx context.Context, key string, p domain.LearnedPace) error
}

// The controller's constants, chosen by simulating a fan-out against token
// buckets of 3, 9 and 100 calls a second (docs/benchmarks.md).
const (
	// probe is the rise per successful call before the platform ever
	// refused one, as a fraction of the start pace: the pace doubles in a
	// fraction of a second.
	probe = 0.4
	// near is where below the learned ceiling the pace settles.
	near = 0.97
	// approach is the fraction of the way to that point a success climbs.
	approach = 0.02
	// creep is the rise per success beyond it, as a fraction of the
	// ceiling: about a tenth more after 500 calls.
	creep = 0.0002
	// cut is the multiplicative decrease on a 429.
	cut = 0.9
	// quick and shrink: a refusal within quick of the last Retry-After
	// window means the pace was at least shrink times what is allowed.
	quick  = 2 * time.Second
	shrink = 1.5
	// defaultBlock holds a method after a 429 that named no Retry-After.
	defaultBlock = time.Second
	// saveEvery is how often a lane's learned pace is written to the Store.
	saveEvery = 30 * time.Second
	// idle is how long an unused lane is kept in memory.
	idle = 10 * time.Minute
)

// Pacer paces the calls of one platform. It is safe for concurrent use.
type Pacer struct {
	prefix  string
	methods func(name string) (Method, string)
	store   Store
	log     *slog.Logger

	mu    sync.Mutex
	lanes map[laneKey]*lane
	swept time.Time
}

type laneKey struct{ workspace, method string }

type lane struct {
	m       Method
	learned bool // whether it may be saved (not a fixed or a per-channel lane)
	once    sync.Once

	mu       sync.Mutex
	pace     float64 // calls a second
	ceil     float64 // the pace at which the platform last refused; 0: never
	tokens   float64 // calls that may go now
	refilled time.Time
	blocked  time.Time // the end of the current Retry-After window
	since    time.Time // the end of the last Retry-After window (or the start)
	used     time.Time
	dirty    bool
	saved    time.Time
}

// New returns a pacer. methods tells how a method is paced and which lane
// it shares (its name, or a family: every per-channel lane of one method
// shares its Method); prefix names the platform in stored keys; store may
// be nil (nothing learned survives the process).
func New(prefix string, methods func(name string) (Method, string), store Store, log *slog.Logger) *Pacer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pacer{prefix: prefix, methods: methods, store: store, log: log, lanes: map[laneKey]*lane{}}
}

// lane returns the lane of a method in a workspace, loading what was
// learned about it the first time.
func (p *Pacer) lane(ctx context.Context, workspace, method string) *lane {
	k := laneKey{workspace, method}
	p.mu.Lock()
	now := time.Now()
	if now.Sub(p.swept) > time.Minute {
		p.sweep(now)
	}
	l := p.lanes[k]
	if l == nil {
		m, family := p.methods(method)
		if m.Burst < 1 {
			m.Burst = 1
		}
		l = &lane{m: m, learned: !m.Fixed && family == method, pace: m.Start, since: now, tokens: float64(m.Burst), refilled: now}
		p.lanes[k] = l
	}
	p.mu.Unlock()
	l.once.Do(func() {
		if !l.learned || p.store == nil {
			return
		}
		lp, ok, err := p.store.LoadPace(ctx, p.key(k))
		if err != nil {
			p.log.Warn("pace: reading the learned pace", "workspace", workspace, "method", method, "err", err)
			return
		}
		if ok && lp.Rate > 0 {
			l.mu.Lock()
			l.pace, l.ceil = l.bound(lp.Rate), lp.Ceiling
			// A window another process was given is this one's too.
			if lp.BlockedUntil.After(l.blocked) {
				l.blocked, l.since = lp.BlockedUntil, lp.BlockedUntil
				l.tokens, l.refilled = 0, lp.BlockedUntil
			}
			l.mu.Unlock()
		}
	})
	return l
}

func (p *Pacer) key(k laneKey) string { return p.prefix + "/" + k.workspace + "/" + k.method }

// sweep forgets lanes unused for a while (per-channel lanes of a large
// fan-out), after saving what they learned.
func (p *Pacer) sweep(now time.Time) {
	p.swept = now
	for k, l := range p.lanes {
		l.mu.Lock()
		old := now.Sub(l.used) > idle && l.blocked.Before(now) && !l.dirty
		l.mu.Unlock()
		if old {
			delete(p.lanes, k)
		}
	}
}

func (l *lane) bound(rate float64) float64 {
	if l.m.Max > 0 && rate > l.m.Max {
		rate = l.m.Max
	}
	floor := l.m.Min
	if floor <= 0 {
		floor = l.m.Start
	}
	return max(rate, floor)
}

// WaitError is returned by Wait when a call would have to wait beyond its
// context's deadline; After is how long it would have had to.
type WaitError struct {
	Method string
	After  time.Duration
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("%s: rate limit: the next call may be made in %v", e.Method, e.After.Round(time.Millisecond))
}

// Wait blocks until a call of method in workspace may be made: after the
// method's Retry-After window, if any, and at the lane's pace. When the
// wait would outlast ctx's deadline it returns a *WaitError at once and
// keeps no turn.
func (p *Pacer) Wait(ctx context.Context, workspace, method string) error {
	l := p.lane(ctx, workspace, method)
	for {
		l.mu.Lock()
		now := time.Now()
		l.used = now
		// A token bucket refilled at the current pace: turns are taken when
		// they come, not booked ahead, so that a pace that rises (or falls)
		// applies at once to every waiting call.
		if now.After(l.refilled) {
			l.tokens = min(l.tokens+now.Sub(l.refilled).Seconds()*l.pace, float64(l.m.Burst))
			l.refilled = now
		}
		var wait time.Duration
		switch {
		case now.Before(l.blocked):
			wait = l.blocked.Sub(now) // never call inside a Retry-After window
		case l.tokens >= 1:
			l.tokens--
			l.mu.Unlock()
			p.maybeSave(ctx, workspace, method, l)
			return nil
		default:
			wait = time.Duration((1 - l.tokens) / l.pace * float64(time.Second))
		}
		l.mu.Unlock()
		if dl, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(dl) {
			return &WaitError{Method: method, After: wait}
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// OK reports a call of method in workspace that the platform accepted.
func (p *Pacer) OK(workspace, method string) {
	l := p.lane(context.Background(), workspace, method)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m.Fixed {
		return
	}
	switch target := l.ceil * near; {
	case l.ceil == 0:
		l.pace += probe * l.m.Start
	case l.pace < target:
		l.pace += (target - l.pace) * approach
	default:
		l.pace += l.ceil * creep
		if l.pace > l.ceil {
			l.ceil = l.pace // it allows more than it did
		}
	}
	l.pace = l.bound(l.pace)
	l.dirty = true
}

// Limited reports a 429 for method in workspace: the pace is cut, and every
// call of the method in the workspace waits until retryAfter has passed
// (defaultBlock when it is zero). The 429s of calls that were in flight
// together are one refusal: only the first cuts.
func (p *Pacer) Limited(workspace, method string, retryAfter time.Duration) {
	if retryAfter <= 0 {
		retryAfter = defaultBlock
	}
	l := p.lane(context.Background(), workspace, method)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	until := now.Add(retryAfter)
	// The 429s of calls that were in flight together are one refusal.
	first := !now.Before(l.blocked)
	if until.After(l.blocked) {
		l.blocked = until
	}
	// After the window the calls resume at the pace, not all at once.
	l.tokens, l.refilled = 0, until
	if !first || l.m.Fixed {
		return
	}
	// Refused soon after the last window (or after starting), the pace was
	// far above what the platform allows: its bucket, refilled meanwhile,
	// drained at once. Then what it allows is at most two thirds of it.
	l.ceil = l.pace
	if now.Sub(l.since) < quick {
		l.ceil = l.pace / shrink
	}
	l.pace = l.bound(l.ceil * cut)
	l.since = until
	l.dirty = true
	if p.store != nil && l.learned {
		// Written at once, before the refused call returns: a process that
		// starts before the window ends (after a crash, say) must not call
		// inside it. 429s are rare; one store write each is cheap.
		lp := domain.LearnedPace{Rate: l.pace, Ceiling: l.ceil, BlockedUntil: l.blocked}
		l.dirty, l.saved = false, now
		l.mu.Unlock()
		p.save(context.Background(), laneKey{workspace, method}, lp)
		l.mu.Lock()
	}
}

// Blocked reports how long calls of method in workspace are held by a
// Retry-After window.
func (p *Pacer) Blocked(workspace, method string) time.Duration {
	l := p.lane(context.Background(), workspace, method)
	l.mu.Lock()
	defer l.mu.Unlock()
	return max(time.Until(l.blocked), 0)
}

// Rate returns the current pace of method in workspace, in calls a
// second, and the pace at which the platform last refused a call (0 if it
// never did).
func (p *Pacer) Rate(workspace, method string) (pace, ceiling float64) {
	l := p.lane(context.Background(), workspace, method)
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pace, l.ceil
}

// maybeSave writes a lane's learned pace when it changed and was last
// written a while ago.
func (p *Pacer) maybeSave(ctx context.Context, workspace, method string, l *lane) {
	if p.store == nil || !l.learned {
		return
	}
	l.mu.Lock()
	due := l.dirty && time.Since(l.saved) > saveEvery
	lp := domain.LearnedPace{Rate: l.pace, Ceiling: l.ceil, BlockedUntil: l.blocked}
	if due {
		l.dirty, l.saved = false, time.Now()
	}
	l.mu.Unlock()
	if due {
		p.save(ctx, laneKey{workspace, method}, lp)
	}
}

func (p *Pacer) save(ctx context.Context, k laneKey, lp domain.LearnedPace) {
	if err := p.store.SavePace(context.WithoutCancel(ctx), p.key(k), lp); err != nil {
		p.log.Warn("pace: saving the learned pace", "workspace", k.workspace, "method", k.method, "err", err)
	}
}

// Flush writes every learned pace that changed since it was last written
// (at the end of a run, or on shutdown).
func (p *Pacer) Flush(ctx context.Context) {
	if p.store == nil {
		return
	}
	type pending struct {
		k  laneKey
		lp domain.LearnedPace
	}
	var todo []pending
	p.mu.Lock()
	for k, l := range p.lanes {
		l.mu.Lock()
		if l.learned && l.dirty {
			todo = append(todo, pending{k, domain.LearnedPace{Rate: l.pace, Ceiling: l.ceil, BlockedUntil: l.blocked}})
			l.dirty, l.saved = false, time.Now()
		}
		l.mu.Unlock()
	}
	p.mu.Unlock()
	for _, t := range todo {
		p.save(ctx, t.k, t.lp)
	}
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
