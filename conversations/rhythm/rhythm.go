// Package rhythm plans and composes the deliveries of the weekly rhythm: who
// is due a check-in prompt or a reminder, which channels a digest, which
// KPIs an alert, and the message each one gets. It writes the deliveries to
// a queue (the outbox, which sends them and retries them) and keeps the
// next-due index that lets a tick with nothing due cost next to nothing.
//
// A Run is one job at one moment: it reads each workspace once (a
// snapshot), and the same snapshot serves the planning and the composing of
// that workspace's deliveries. Every date in what a Run composes is as of
// the moment the delivery was planned for.
package rhythm

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// Jobs of the weekly rhythm, as `okrbot jobs run` names them.
const (
	JobCheckInPrompts = "checkin-prompts"
	JobReminders      = "reminders"
	JobDigests        = "digests"
	JobKPIAlerts      = "kpi-alerts"
	JobEscalations    = "escalations"
)

// kind is one kind of delivery: the job that plans it, how it is planned
// and how it is composed. Adding a kind of delivery (an escalation, say) is
// writing its copy in conversations and adding one entry to kinds.
type kind struct {
	name string // the delivery kind (domain.Kind…)
	job  string
	// plan returns the deliveries of this kind due in one workspace at the
	// run's moment, and when the workspace next has one due.
	plan func(ctx context.Context, run *Run, ws domain.Workspace, q Queue) (planned, error)
	// compose writes the message of a planned delivery as of e.At, or says
	// why there is nothing to send any more.
	compose func(ctx context.Context, run *Run, ws domain.Workspace, e domain.OutboxEntry) (*conversations.Message, string, error)
}

// kinds lists every kind of delivery, in the order their jobs run.
var kinds = []kind{
	{domain.KindCheckInPrompt, JobCheckInPrompts, planPeople, composePerson},
	{domain.KindReminder, JobReminders, planPeople, composePerson},
	{domain.KindDigest, JobDigests, planDigests, composeDigest},
	{domain.KindKPIAlert, JobKPIAlerts, planAlerts, composeAlert},
	{domain.KindSourceFailing, JobKPISources, planSources, composeSourceFailing}, // sources.go
	{domain.KindEscalation, JobEscalations, planEscalations, composeEscalation},  // escalation.go
}

// Jobs lists the jobs in the order they run.
var Jobs = func() []string {
	var out []string
	for _, k := range kinds {
		out = append(out, k.job)
	}
	return out
}()

// KindOf returns the kind of delivery a job plans.
func KindOf(job string) (string, bool) {
	for _, k := range kinds {
		if k.job == job {
			return k.name, true
		}
	}
	return "", false
}

// planned is what planning one workspace found.
type planned struct {
	entries []domain.OutboxEntry
	periods []string
	skipped int
	// next is when the workspace next has a delivery of the kind due; zero
	// when none is scheduled.
	next time.Time
	// written says plan wrote the entries to the queue itself (KPI alerts,
	// before they move the state they alert on), enqueued how many were new.
	written  bool
	enqueued int
	// fetched and failed count the KPI sources fetched (kpi-sources).
	fetched, failed int
}

// Store is what the rhythm reads to plan and compose, and the next-due
// index it keeps. Every call is scoped by workspace.
type Store interface {
	Workspace(ctx context.Context, id string) (domain.Workspace, error)
	TeamSettings(ctx context.Context, workspace string) ([]domain.TeamSettings, error)
	Users(ctx context.Context, workspace string, ids ...string) ([]domain.User, error)
	// AwayPeriods returns when people were away (escalations judge the
	// weeks they were away as not due).
	AwayPeriods(ctx context.Context, workspace string, ids ...string) ([]domain.AwayPeriod, error)
	Objectives(ctx context.Context, workspace string, f domain.ObjectiveFilter) ([]domain.Objective, error)
	CheckIns(ctx context.Context, workspace string, f domain.CheckInFilter) ([]domain.CheckIn, error)
	Subscriptions(ctx context.Context, workspace string) ([]domain.Subscription, error)
	KPI(ctx context.Context, workspace, slug string) (domain.KPI, error)
	KPIs(ctx context.Context, workspace string, slugs ...string) ([]domain.KPI, error)
	// SetKPIHealth moves a KPI's alerted health from from to to, if it is
	// still from; it reports whether it moved.
	SetKPIHealth(ctx context.Context, workspace, slug string, from, to domain.Health, since time.Time) (bool, error)
	Schedules
}

// Schedules is the next-due index: for each workspace and kind of delivery,
// the moment it next has one due.
type Schedules interface {
	// DueWorkspaces returns those of workspaces whose next moment for kind
	// is at or before until, or unknown (never planned, or marked changed).
	// Its cost follows the number of workspaces, never their people.
	DueWorkspaces(ctx context.Context, kind string, until time.Time, workspaces []string) ([]string, error)
	// SetNextDue records when workspace next has a delivery of kind due;
	// the zero time marks it changed: due at the next tick.
	SetNextDue(ctx context.Context, workspace, kind string, at time.Time) error
}

// Queue takes planned deliveries (*outbox.Outbox).
type Queue interface {
	// Enqueue writes entries whose ID is new and returns how many were.
	Enqueue(ctx context.Context, entries []domain.OutboxEntry) (int, error)
}

// Digester composes a digest (*conversations.Service).
type Digester interface {
	Digest(ctx context.Context, workspace string, scope conversations.DigestScope, now time.Time) (*conversations.Message, error)
}

// Options tune a Rhythm.
type Options struct {
	// Now is the real clock, which tells how old a snapshot is; time.Now.
	Now func() time.Time
	// Fresh is how long a snapshot's check-ins and absences are trusted
	// when composing; older, they are read again for the person being
	// composed (one or two store calls). 1 minute.
	Fresh time.Duration
	// Log receives what went wrong; nothing when nil.
	Log *slog.Logger
	// Sources fetches the KPIs' sources (the kpi-sources job, sources.go);
	// none are fetched when nil.
	Sources Sources
	// ChannelName asks the platform for a channel's name ("growth"), which
	// heads a team's digest; "" when it cannot tell, and then the name
	// stored with the subscription is used. Every process that sends
	// digests (serve, jobs run) is given the same, so they head them alike.
	ChannelName func(ctx context.Context, ws domain.Workspace, channel string) string
}

// Rhythm plans and composes deliveries.
type Rhythm struct {
	store  Store
	digest Digester
	opt    Options
	// noLead remembers the streaks logged as having nobody to escalate
	// to, so that each is logged once (escalation.go).
	noLead sync.Map
}

// New returns a Rhythm over store, composing digests with d.
func New(store Store, d Digester, opt Options) *Rhythm {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Fresh <= 0 {
		opt.Fresh = time.Minute
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	return &Rhythm{store: store, digest: d, opt: opt}
}

// Run is one job at one moment. It is safe for concurrent use: the outbox
// composes several deliveries at once.
type Run struct {
	r    *Rhythm
	kind *kind
	at   time.Time
	real time.Time // the real clock when the run began

	mu         sync.Mutex
	workspaces map[string]domain.Workspace
	people     map[string]*people
	loading    map[string]*sync.Mutex
}

// Begin starts a run of job at the moment at.
func (r *Rhythm) Begin(job string, at time.Time) (*Run, error) {
	for i := range kinds {
		if kinds[i].job == job {
			return &Run{r: r, kind: &kinds[i], at: at, real: r.opt.Now(), workspaces: map[string]domain.Workspace{},
				people: map[string]*people{}, loading: map[string]*sync.Mutex{}}, nil
		}
	}
	return nil, fmt.Errorf("unknown job %q (one of %s)", job, strings.Join(Jobs, ", "))
}

// Kind returns the kind of delivery the run plans.
func (run *Run) Kind() string { return run.kind.name }

// At returns the run's moment.
func (run *Run) At() time.Time { return run.at }

// safetyNet is the longest the next-due index lets a workspace go
// unplanned.
const safetyNet = 7 * 24 * time.Hour

// Plan is what a run planned.
type Plan struct {
	// Workspaces counts the workspaces planned (all of them, or only those
	// the next-due index said were due).
	Workspaces int
	// Planned counts the deliveries new to the outbox.
	Planned int
	// Due counts the deliveries due at the run's moment, new or not.
	Due int
	// Skipped counts the people not due anything: away, checked in, nothing to check in on.
	Skipped int
	// Periods are the periods the due deliveries are for (weeks, or KPI changes).
	Periods []string
	// Fetched and FetchFailed count the KPI sources fetched, and those of
	// them that failed (the kpi-sources job; its deliveries are the alerts
	// of sources that start failing).
	Fetched, FetchFailed int
}

// Plan writes to q the deliveries of the run's kind due at its moment in
// workspaces: in all of them when all is set (a run by hand), else only in
// those the next-due index says are due (a scheduled tick, which then costs
// one indexed query when nothing is due). It records when each planned
// workspace next has one due.
func (run *Run) Plan(ctx context.Context, q Queue, workspaces []domain.Workspace, all bool) (Plan, error) {
	st := run.r.store
	var p Plan
	if !all {
		ids := make([]string, len(workspaces))
		for i, w := range workspaces {
			ids[i] = w.ID
		}
		due, err := st.DueWorkspaces(ctx, run.kind.name, run.at, ids)
		if err != nil {
			return p, fmt.Errorf("rhythm: next-due index: %w", err)
		}
		workspaces = slices.DeleteFunc(slices.Clone(workspaces), func(w domain.Workspace) bool { return !slices.Contains(due, w.ID) })
	}
	periods := map[string]bool{}
	for _, ws := range workspaces {
		run.remember(ws)
		pl, err := run.kind.plan(ctx, run, ws, q)
		if err != nil {
			return p, fmt.Errorf("rhythm: planning %s for %s: %w", run.kind.name, ws.ID, err)
		}
		n := pl.enqueued
		if !pl.written && len(pl.entries) > 0 {
			if n, err = q.Enqueue(ctx, pl.entries); err != nil {
				return p, fmt.Errorf("rhythm: planning %s for %s: %w", run.kind.name, ws.ID, err)
			}
		}
		next := pl.next
		if next.IsZero() || next.After(run.at.Add(safetyNet)) {
			// Look again within a week whatever happens (a kind turned off
			// has no next moment): a net under the marks changes leave.
			next = run.at.Add(safetyNet)
		}
		if err := st.SetNextDue(ctx, ws.ID, run.kind.name, next); err != nil {
			return p, fmt.Errorf("rhythm: next-due index of %s: %w", ws.ID, err)
		}
		p.Workspaces++
		p.Planned += n
		p.Due += len(pl.entries)
		p.Skipped += pl.skipped
		p.Fetched += pl.fetched
		p.FetchFailed += pl.failed
		for _, per := range pl.periods {
			periods[per] = true
		}
	}
	for per := range periods {
		p.Periods = append(p.Periods, per)
	}
	slices.Sort(p.Periods)
	return p, nil
}

// remember keeps a workspace for the deliveries composed in this run.
func (run *Run) remember(ws domain.Workspace) {
	run.mu.Lock()
	run.workspaces[ws.ID] = ws
	run.mu.Unlock()
}

// Workspace returns a workspace as the run knows it, read once.
func (run *Run) Workspace(ctx context.Context, id string) (domain.Workspace, error) {
	run.mu.Lock()
	ws, ok := run.workspaces[id]
	run.mu.Unlock()
	if ok {
		return ws, nil
	}
	ws, err := run.r.store.Workspace(ctx, id)
	if err != nil {
		return ws, err
	}
	run.remember(ws)
	return ws, nil
}

// Compose writes the message of a delivery of the run's kind (or any kind
// the rhythm plans), or says why there is nothing to send any more.
func (run *Run) Compose(ctx context.Context, ws domain.Workspace, e domain.OutboxEntry) (*conversations.Message, string, error) {
	for i := range kinds {
		if kinds[i].name == e.Kind {
			return kinds[i].compose(ctx, run, ws, e)
		}
	}
	return nil, "", fmt.Errorf("rhythm: unknown delivery kind %q", e.Kind)
}

// expires turns the moment a delivery stops being worth sending, in the
// run's time, into the outbox's clock: a run by hand for another moment
// (--at) gives its deliveries the same time to live as a tick would.
func (run *Run) expires(closes time.Time) time.Time {
	if closes.IsZero() {
		return closes
	}
	return run.real.Add(closes.Sub(run.at))
}

// asOf is the moment a delivery speaks of: when it was planned for.
func (run *Run) asOf(e domain.OutboxEntry) time.Time {
	if e.At.IsZero() {
		return run.at
	}
	return e.At
}

func loadLocation(name string) *time.Location { return domain.Location(name) }

// earliest returns the earlier of two moments, a zero one counting as none.
func earliest(a, b time.Time) time.Time { return domain.Earliest(a, b) }
