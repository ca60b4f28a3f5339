package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/rhythm"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/outbox"
	"github.com/okrbot/okrbot/storage"
)

// buildSenders returns a sender per configured chat platform, for
// processes that send without serving (okrbot jobs run).
func buildSenders(ctx context.Context, cfg *Config, st storage.Store, svc *conversations.Service, log *slog.Logger, reg prometheus.Registerer) (map[domain.Platform]conversations.Sender, error) {
	out := map[domain.Platform]conversations.Sender{}
	b, err := newSlackBot(ctx, cfg, st, svc, log, reg, false)
	if err != nil {
		return nil, err
	}
	if b != nil {
		out[domain.Slack] = b.Sender()
	}
	ts, err := newTeamsSender(cfg, st, log)
	if err != nil {
		return nil, err
	}
	if ts != nil {
		out[domain.Teams] = ts
	}
	return out, nil
}

// rhythmStore is what the weekly rhythm needs of the store: what the
// rhythm reads and its next-due index, the outbox's entries, and the list of
// workspaces (storage.Store).
type rhythmStore interface {
	rhythm.Store
	outbox.Store
	Workspaces(ctx context.Context) ([]domain.Workspace, error)
}

// channelNamer is a sender that can name a channel (the Slack sender).
type channelNamer interface {
	ChannelName(ctx context.Context, workspace, channel string) (string, error)
}

// engine runs the weekly rhythm's jobs: the rhythm plans and composes each
// delivery, the outbox writes it, claims it, hands it to the deliverer
// (which sends it with the platform's sender) and retries it by its one
// policy.
type engine struct {
	st      rhythmStore
	rh      *rhythm.Rhythm
	ob      *outbox.Outbox
	senders map[domain.Platform]conversations.Sender
	log     *slog.Logger
}

// engineOptions tune an engine; zero values give the defaults.
type engineOptions struct {
	Lease   time.Duration
	Workers int
	Policy  outbox.Policy
	Observe func(kind, outcome string)
	Log     *slog.Logger
}

// newEngine returns the engine over st, composing with svc, sending with
// senders (a platform without a sender gets nothing sent by this process).
func newEngine(st rhythmStore, svc *conversations.Service, senders map[domain.Platform]conversations.Sender, opt engineOptions) *engine {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	mine := map[domain.Platform]conversations.Sender{}
	for p, s := range senders {
		if s != nil {
			mine[p] = s
		}
	}
	log := opt.Log
	// A team's digest is headed by its channel's name, asked of the
	// platform by the sender that posts it: serve and jobs run alike.
	channelName := func(ctx context.Context, ws domain.Workspace, channel string) string {
		n, ok := mine[ws.Platform].(channelNamer)
		if !ok {
			return ""
		}
		name, err := n.ChannelName(ctx, ws.ExternalID, channel)
		if err != nil {
			log.Warn("channel name lookup failed; the digest is headed by the subscription's", "workspace", ws.ID, "channel", channel, "err", err)
			return ""
		}
		return name
	}
	return &engine{
		st: st,
		rh: rhythm.New(st, svc, rhythm.Options{Log: opt.Log, Sources: svc, ChannelName: channelName}),
		ob: outbox.New(st, outbox.Options{Lease: opt.Lease, Workers: opt.Workers, Policy: opt.Policy,
			Observe: opt.Observe, Log: opt.Log}),
		senders: mine, log: opt.Log,
	}
}

// jobRun is what one run of a job did, and where the deliveries it covered
// stand.
type jobRun struct {
	Job    string
	At     time.Time
	Plan   rhythm.Plan
	Stats  outbox.Stats
	Status outbox.Status
	// Undeliverable counts the deliveries this run wrote that this
	// process cannot send (no sender for their platform).
	Undeliverable int
}

// Failing counts the deliveries still failing (retried later).
func (r jobRun) Failing() int { return r.Status.ByState[domain.OutboxFailed] }

// Refused counts the deliveries the platform refused for good.
func (r jobRun) Refused() int { return r.Status.ByState[domain.OutboxDead] }

// String is the run's report, one line.
func (r jobRun) String() string {
	s := r.Status.ByState
	var b strings.Builder
	fmt.Fprintf(&b, "%s at %s: %d deliveries", r.Job, r.At.Format(time.RFC3339), r.Status.Total)
	if len(r.Plan.Periods) > 0 && len(r.Plan.Periods) <= 3 {
		fmt.Fprintf(&b, " (%s)", strings.Join(r.Plan.Periods, ", "))
	}
	fmt.Fprintf(&b, ": %d sent (%d by this run), %d skipped, %d still failing, %d held by another process, %d expired, %d refused for good",
		s[domain.OutboxSent], r.Stats.Sent, s[domain.OutboxSkipped]+r.Plan.Skipped, r.Failing(), r.Status.Held, s[domain.OutboxExpired], s[domain.OutboxDead])
	if waiting := s[domain.OutboxPending] + s[domain.OutboxSending] - r.Status.Held; waiting > 0 {
		fmt.Fprintf(&b, ", %d waiting", waiting)
	}
	if r.Job == rhythm.JobKPISources {
		fmt.Fprintf(&b, "; %d KPI sources fetched, %d of them failing", r.Plan.Fetched, r.Plan.FetchFailed)
	}
	if r.Undeliverable > 0 {
		fmt.Fprintf(&b, "; %d alerts wait in the outbox, undeliverable here (no sender for their platform in this process): they go out only from a process that has one, before they expire", r.Undeliverable)
	}
	return b.String()
}

// runOptions say how a job runs.
type runOptions struct {
	// All plans every workspace, not only those the next-due index says are
	// due (a run by hand).
	All bool
	// MaxWait is how long to wait for deliveries coming due for a retry.
	MaxWait time.Duration
	// Progress hears the run as it advances.
	Progress func(jobRun)
}

// run runs one job at the moment at: plans its deliveries, sends what is
// due of its kind (including deliveries left by earlier runs), and reports
// every delivery of the periods it covered and every one still unfinished.
func (en *engine) run(ctx context.Context, job string, at time.Time, opt runOptions) (jobRun, error) {
	run, q, rep, err := en.plan(ctx, job, at, opt.All)
	if err != nil || run == nil || !canDrain(q) {
		return rep, err
	}
	if opt.Progress != nil {
		opt.Progress(rep)
	}
	if rep.Stats, err = en.drain(ctx, run, q, opt.MaxWait, func(s outbox.Stats) {
		if opt.Progress != nil {
			r := rep
			r.Stats = s
			opt.Progress(r)
		}
	}); err != nil {
		return rep, err
	}
	rep.Status, err = en.ob.Status(ctx, q, rep.Plan.Periods)
	return rep, err
}

// plan plans one job at the moment at, in the workspaces this process can
// send to (all of them when all is set, else those the next-due index says
// are due). It returns the run and the outbox query of its deliveries; no
// run when this process can send to no workspace. kpi-sources is planned
// in every workspace whatever this process can send: its work is the fetch,
// which needs no chat platform; the alert of a source that starts failing
// then waits in the outbox for a process that can send it (counted in
// Undeliverable), and the query covers only the workspaces this process
// can send to (none: an empty query, drained by nobody).
func (en *engine) plan(ctx context.Context, job string, at time.Time, all bool) (*rhythm.Run, outbox.Query, jobRun, error) {
	rep := jobRun{Job: job, At: at}
	run, err := en.rh.Begin(job, at)
	if err != nil {
		return nil, outbox.Query{}, rep, err
	}
	wss, err := en.st.Workspaces(ctx)
	if err != nil {
		return nil, outbox.Query{}, rep, err
	}
	// Only the workspaces this process can send to: another process with
	// other platforms configured takes the rest.
	var mine []domain.Workspace
	var ids []string
	cannot := map[string]domain.Platform{}
	for _, ws := range wss {
		switch {
		case en.senders[ws.Platform] != nil:
			mine = append(mine, ws)
			ids = append(ids, ws.ID)
		case job == rhythm.JobKPISources:
			mine = append(mine, ws)
			cannot[ws.ID] = ws.Platform
		}
	}
	if len(mine) == 0 {
		return nil, outbox.Query{}, rep, nil
	}
	q := rhythm.Queue(en.ob)
	if len(cannot) > 0 {
		q = &unsendable{Queue: en.ob, cannot: cannot, log: en.log, n: &rep.Undeliverable}
	}
	rep.Plan, err = run.Plan(ctx, q, mine, all)
	return run, outbox.Query{Kinds: []string{run.Kind()}, Workspaces: ids}, rep, err
}

// unsendable counts, and logs, the deliveries written for workspaces of a
// platform this process has no sender for.
type unsendable struct {
	rhythm.Queue
	cannot map[string]domain.Platform
	log    *slog.Logger
	n      *int
}

func (u *unsendable) Enqueue(ctx context.Context, entries []domain.OutboxEntry) (int, error) {
	for _, e := range entries {
		if p, ok := u.cannot[e.WorkspaceID]; ok {
			*u.n++
			u.log.Warn("a delivery waits in the outbox: this process has no sender for its platform; a process with one sends it before it expires",
				"kind", e.Kind, "workspace", e.WorkspaceID, "platform", p, "recipient", e.Recipient, "expires", e.ExpiresAt)
		}
	}
	return u.Queue.Enqueue(ctx, entries)
}

// canDrain says whether a run's query covers any workspace: an empty one
// would match every workspace's deliveries.
func canDrain(q outbox.Query) bool { return len(q.Workspaces) > 0 }

// drain sends what is due of the run's deliveries (q), and saves what the
// senders learned of the platforms' paces.
func (en *engine) drain(ctx context.Context, run *rhythm.Run, q outbox.Query, maxWait time.Duration, progress func(outbox.Stats)) (outbox.Stats, error) {
	st, err := en.ob.Drain(ctx, q, &deliverer{run: run, senders: en.senders, queue: en.ob, log: en.log}, maxWait, progress)
	en.flush(ctx)
	return st, err
}

// flush saves what the senders learned of the platforms' paces.
func (en *engine) flush(ctx context.Context) {
	for _, s := range en.senders {
		if f, ok := s.(interface{ Flush(context.Context) }); ok {
			f.Flush(context.WithoutCancel(ctx))
		}
	}
}
