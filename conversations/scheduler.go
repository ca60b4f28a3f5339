package conversations

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"github.com/okrbot/okrbot/domain"
)

// Tick is how often the scheduler asks who is due. Per-person local times
// make one frequent check simpler than a job per person and time zone, and
// it survives restarts: what is due is read from the store, not kept in
// memory.
const Tick = time.Minute

// jobLease is how long a job's lease lasts without renewal: a replica that
// dies hands its job over to another within this time.
const jobLease = 2 * time.Minute

// Cleaner removes what has served its purpose (neither store expires data
// by itself). Both stores satisfy it.
type Cleaner interface {
	CleanupOutbox(ctx context.Context, before time.Time) (int64, error)
	ForgetBefore(ctx context.Context, before time.Time) (int64, error)
	// CleanupIdempotent forgets the HTTP API's Idempotency-Keys.
	CleanupIdempotent(ctx context.Context, before time.Time) (int64, error)
}

// Scheduler runs the rhythm's jobs on gocron every Tick, each under a lease
// in the store, so that with several replicas on one database a job runs in
// one of them at a time; the outbox makes every delivery happen once
// whatever runs.
type Scheduler struct {
	r       *Rhythm
	clock   clockwork.Clock
	cleaner Cleaner
	s       gocron.Scheduler
	mu      sync.Mutex
	jobs    map[string]gocron.Job
}

// NewScheduler returns a scheduler for r on clock (clockwork.NewRealClock()
// in production; a fake clock in tests). cleaner may be nil.
func NewScheduler(r *Rhythm, clock clockwork.Clock, cleaner Cleaner) (*Scheduler, error) {
	s, err := gocron.NewScheduler(gocron.WithClock(clock), gocron.WithLocation(time.UTC))
	if err != nil {
		return nil, err
	}
	return &Scheduler{r: r, clock: clock, cleaner: cleaner, s: s, jobs: map[string]gocron.Job{}}, nil
}

// Start registers the jobs and starts ticking. Stop with Shutdown.
func (sc *Scheduler) Start(ctx context.Context) error {
	for _, job := range Jobs {
		j, err := sc.s.NewJob(gocron.DurationJob(Tick), gocron.NewTask(func() { sc.tick(ctx, job) }),
			gocron.WithName(job), gocron.WithSingletonMode(gocron.LimitModeReschedule))
		if err != nil {
			return err
		}
		sc.jobs[job] = j
	}
	if sc.cleaner != nil {
		_, err := sc.s.NewJob(gocron.DurationJob(6*time.Hour), gocron.NewTask(func() { sc.cleanup(ctx) }),
			gocron.WithName("cleanup"), gocron.WithSingletonMode(gocron.LimitModeReschedule))
		if err != nil {
			return err
		}
	}
	sc.s.Start()
	return nil
}

// RunNow runs a job at once (a KPI value was just recorded: alert now, not
// at the next tick).
func (sc *Scheduler) RunNow(job string) {
	sc.mu.Lock()
	j := sc.jobs[job]
	sc.mu.Unlock()
	if j != nil {
		j.RunNow()
	}
}

// Shutdown stops the ticks and waits for running jobs.
func (sc *Scheduler) Shutdown() error { return sc.s.Shutdown() }

// tick runs one job if this process gets its lease, renewing the lease while
// it runs and stopping if the lease goes to another process.
func (sc *Scheduler) tick(ctx context.Context, job string) {
	r := sc.r
	lease, ok, err := r.store.AcquireLease(ctx, "job/"+job, r.opt.Holder, jobLease)
	if err != nil {
		r.opt.Log.Warn("job lease", "job", job, "err", err)
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
				next, ok, err := r.store.RenewLease(runCtx, l, jobLease)
				if err != nil || !ok {
					r.opt.Log.Warn("job lease lost; stopping", "job", job, "err", err)
					cancel()
					return
				}
				l = next
			}
		}
	}(lease)
	rep, err := r.Run(runCtx, job, sc.clock.Now())
	close(done)
	lease = <-final
	if err != nil && !errors.Is(err, context.Canceled) {
		r.opt.Log.Error("job failed", "job", job, "err", err)
	}
	if rep.Sent+rep.Failed > 0 {
		r.opt.Log.Info("job ran", "job", job, "sent", rep.Sent, "skipped", rep.Skipped, "failed", rep.Failed)
	}
	r.store.ReleaseLease(context.WithoutCancel(ctx), lease)
}

func (sc *Scheduler) cleanup(ctx context.Context) {
	now := sc.clock.Now()
	log := sc.r.opt.Log
	if n, err := sc.cleaner.CleanupOutbox(ctx, now.AddDate(0, 0, -56)); err != nil {
		log.Warn("cleanup outbox", "err", err)
	} else if n > 0 {
		log.Info("cleaned up the outbox", "deleted", n)
	}
	if _, err := sc.cleaner.ForgetBefore(ctx, now.AddDate(0, 0, -7)); err != nil {
		log.Warn("cleanup request keys", "err", err)
	}
	// An Idempotency-Key is kept 7 days: a retry later than that is a new request.
	if _, err := sc.cleaner.CleanupIdempotent(ctx, now.AddDate(0, 0, -7)); err != nil {
		log.Warn("cleanup idempotency keys", "err", err)
	}
}
