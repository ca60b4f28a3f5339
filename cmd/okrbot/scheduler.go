package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"github.com/okrbot/okrbot/conversations/rhythm"
	"github.com/okrbot/okrbot/domain"
)

// tick is how often the scheduler asks who is due. Per-person local times
// make one frequent check simpler than a job per person and time zone, and
// it survives restarts: what is due is read from the store (the next-due
// index), not kept in memory.
const tick = time.Minute

// tickWait is how long a tick waits for retries coming due before it leaves
// them to the next tick.
const tickWait = 45 * time.Second

// outboxCheck is how often a tick that planned nothing looks at the outbox
// anyway, for deliveries another process left (a jobs run that was
// killed): otherwise it looks only when it knows one comes due.
const outboxCheck = 10 * time.Minute

// jobLease is how long a job's lease lasts without renewal: a replica that
// dies hands its job over to another within this time.
const jobLease = 2 * time.Minute

// Keep finished deliveries this long, request keys shorter.
const (
	keepDeliveries = 56 * 24 * time.Hour
	keepRequests   = 7 * 24 * time.Hour
)

// leaseStore takes turns between replicas, and cleans up what neither
// store expires by itself (storage.Store).
type leaseStore interface {
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (domain.Lease, bool, error)
	RenewLease(ctx context.Context, l domain.Lease, ttl time.Duration) (domain.Lease, bool, error)
	ReleaseLease(ctx context.Context, l domain.Lease) error
	ForgetBefore(ctx context.Context, before time.Time) (int64, error)
	// CleanupIdempotent forgets the HTTP API's Idempotency-Keys.
	CleanupIdempotent(ctx context.Context, before time.Time) (int64, error)
}

// scheduler runs the rhythm's jobs on gocron every tick, each under a lease
// in the store, so that with several replicas on one database a job runs in
// one of them at a time; the outbox makes every delivery happen once
// whatever runs.
type scheduler struct {
	en     *engine
	leases leaseStore
	clock  clockwork.Clock
	holder string
	log    *slog.Logger
	s      gocron.Scheduler
	mu     sync.Mutex
	jobs   map[string]gocron.Job
	// next and checked are, per job, when its earliest delivery left in the
	// outbox comes due, and when a tick last looked.
	next, checked map[string]time.Time
}

// newScheduler returns a scheduler for en on clock (clockwork.NewRealClock()
// in production; a fake clock in tests).
func newScheduler(en *engine, leases leaseStore, clock clockwork.Clock, log *slog.Logger) (*scheduler, error) {
	s, err := gocron.NewScheduler(gocron.WithClock(clock), gocron.WithLocation(time.UTC))
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &scheduler{en: en, leases: leases, clock: clock, holder: fmt.Sprintf("okrbot-%x", rand.Uint64()),
		log: log, s: s, jobs: map[string]gocron.Job{}, next: map[string]time.Time{}, checked: map[string]time.Time{}}, nil
}

// Start registers the jobs and starts ticking. Stop with Shutdown.
func (sc *scheduler) Start(ctx context.Context) error {
	for _, job := range rhythm.Jobs {
		j, err := sc.s.NewJob(gocron.DurationJob(tick), gocron.NewTask(func() { sc.tick(ctx, job) }),
			gocron.WithName(job), gocron.WithSingletonMode(gocron.LimitModeReschedule))
		if err != nil {
			return err
		}
		sc.mu.Lock()
		sc.jobs[job] = j
		sc.mu.Unlock()
	}
	_, err := sc.s.NewJob(gocron.DurationJob(6*time.Hour), gocron.NewTask(func() { sc.cleanup(ctx) }),
		gocron.WithName("cleanup"), gocron.WithSingletonMode(gocron.LimitModeReschedule))
	if err != nil {
		return err
	}
	sc.s.Start()
	return nil
}

// RunNow runs a job at once (a KPI value was just recorded: alert now, not
// at the next tick).
func (sc *scheduler) RunNow(job string) {
	sc.mu.Lock()
	j := sc.jobs[job]
	sc.mu.Unlock()
	if j != nil {
		j.RunNow()
	}
}

// Shutdown stops the ticks and waits for running jobs.
func (sc *scheduler) Shutdown() error { return sc.s.Shutdown() }

// tick runs one job if this process gets its lease, renewing the lease while
// it runs and stopping if the lease goes to another process.
func (sc *scheduler) tick(ctx context.Context, job string) {
	lease, ok, err := sc.leases.AcquireLease(ctx, "job/"+job, sc.holder, jobLease)
	if err != nil {
		sc.log.Warn("job lease", "job", job, "err", err)
		return
	}
	if !ok {
		return
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	final := make(chan domain.Lease, 1)
	go func(l domain.Lease) {
		defer func() { final <- l }()
		t := sc.clock.NewTicker(jobLease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.Chan():
				next, ok, err := sc.leases.RenewLease(runCtx, l, jobLease)
				if err != nil || !ok {
					sc.log.Warn("job lease lost; stopping", "job", job, "err", err)
					cancel()
					return
				}
				l = next
			}
		}
	}(lease)
	rep, err := sc.run(runCtx, job)
	close(done)
	lease = <-final
	if err != nil && !errors.Is(err, context.Canceled) {
		sc.log.Error("job failed", "job", job, "err", err)
	}
	if s := rep.Stats; s.Sent+s.Skipped+s.Failed+s.Dead+s.Expired > 0 {
		sc.log.Info("job ran", "job", job, "sent", s.Sent, "skipped", s.Skipped, "failed", s.Failed, "refused", s.Dead, "expired", s.Expired)
	}
	sc.leases.ReleaseLease(context.WithoutCancel(ctx), lease)
}

// run plans a job at the tick's moment in the workspaces due, and sends
// what is due, looking at the outbox only when something was planned, a
// delivery left there comes due, or a while has passed: a tick with nothing
// due costs two small store calls.
func (sc *scheduler) run(ctx context.Context, job string) (jobRun, error) {
	run, q, rep, err := sc.en.plan(ctx, job, sc.clock.Now(), false)
	if err != nil || run == nil || !canDrain(q) {
		return rep, err
	}
	// The outbox keeps the real time (leases, retries), whatever the
	// scheduler's clock.
	now := time.Now()
	sc.mu.Lock()
	next, checked := sc.next[job], sc.checked[job]
	sc.mu.Unlock()
	if rep.Plan.Due == 0 && (next.IsZero() || now.Before(next)) && now.Sub(checked) < outboxCheck {
		return rep, nil
	}
	rep.Stats, err = sc.en.drain(ctx, run, q, tickWait, nil)
	sc.mu.Lock()
	sc.next[job], sc.checked[job] = rep.Stats.Next, now
	sc.mu.Unlock()
	return rep, err
}

func (sc *scheduler) cleanup(ctx context.Context) {
	now := sc.clock.Now()
	if n, err := sc.en.ob.Cleanup(ctx, keepDeliveries); err != nil {
		sc.log.Warn("cleanup outbox", "err", err)
	} else if n > 0 {
		sc.log.Info("cleaned up the outbox", "deleted", n)
	}
	if _, err := sc.leases.ForgetBefore(ctx, now.Add(-keepRequests)); err != nil {
		sc.log.Warn("cleanup request keys", "err", err)
	}
	// An Idempotency-Key is kept as long: a retry later than that is a new request.
	if _, err := sc.leases.CleanupIdempotent(ctx, now.Add(-keepRequests)); err != nil {
		sc.log.Warn("cleanup idempotency keys", "err", err)
	}
}
