package conversations

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// RhythmStore is what the weekly rhythm needs besides Store: the outbox,
// leases, and every workspace.
type RhythmStore interface {
	Workspaces(ctx context.Context) ([]domain.Workspace, error)
	Enqueue(ctx context.Context, entries []domain.OutboxEntry) (int, error)
	Due(ctx context.Context, kind string, workspaces []string, now time.Time, limit int) ([]domain.OutboxEntry, error)
	NextDue(ctx context.Context, kind string, workspaces []string) (time.Time, bool, error)
	Claim(ctx context.Context, e domain.OutboxEntry, holder string, lease time.Duration) (domain.OutboxEntry, bool, error)
	MarkSent(ctx context.Context, id, messageID string) error
	MarkSkipped(ctx context.Context, id, reason string) error
	MarkFailed(ctx context.Context, id, reason string, retryAt time.Time, permanent bool) error
	SetKPIHealth(ctx context.Context, workspace, slug string, from, to domain.Health, since time.Time) (bool, error)
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (domain.Lease, bool, error)
	RenewLease(ctx context.Context, l domain.Lease, ttl time.Duration) (domain.Lease, bool, error)
	ReleaseLease(ctx context.Context, l domain.Lease) error
}

// Jobs of the weekly rhythm, as `okrbot jobs run` names them.
const (
	JobCheckInPrompts = "checkin-prompts"
	JobReminders      = "reminders"
	JobDigests        = "digests"
	JobKPIAlerts      = "kpi-alerts"
)

// Jobs lists the jobs in the order they run.
var Jobs = []string{JobCheckInPrompts, JobReminders, JobDigests, JobKPIAlerts, JobKPISources}

var jobKind = map[string]string{
	JobCheckInPrompts: KindCheckInPrompt, JobReminders: KindReminder,
	JobDigests: KindDigest, JobKPIAlerts: KindKPIAlert, JobKPISources: KindSourceFailing,
}

// RhythmOptions tune the rhythm. Zero values give sensible defaults.
type RhythmOptions struct {
	Now     func() time.Time // the real clock (leases, retries); time.Now when nil
	Holder  string           // who this process is, in leases and claims
	Lease   time.Duration    // how long a claimed delivery is ours; 2 minutes
	Workers int              // deliveries sent at once; 8
	// MaxWait bounds how long Run waits for deliveries to come due for a
	// retry before it reports them as failed (they stay in the outbox and
	// are retried later either way); 10 minutes.
	MaxWait  time.Duration
	Log      *slog.Logger
	Observe  func(kind, outcome string) // counts deliveries by outcome, for metrics
	Progress func(Report)               // called as a run advances
	// Sources fetches KPI sources (kpi_source_job.go); none are fetched when nil.
	Sources Fetcher
}

// Rhythm plans and sends the weekly rhythm's deliveries through the outbox.
type Rhythm struct {
	svc     *Service
	store   RhythmStore
	senders map[domain.Platform]Sender
	opt     RhythmOptions
}

// NewRhythm returns the rhythm over svc's conversations, an outbox store and
// one sender per platform (a platform without a sender gets nothing sent).
func NewRhythm(svc *Service, store RhythmStore, senders map[domain.Platform]Sender, opt RhythmOptions) *Rhythm {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Lease <= 0 {
		opt.Lease = 2 * time.Minute
	}
	if opt.Workers <= 0 {
		opt.Workers = 8
	}
	if opt.MaxWait <= 0 {
		opt.MaxWait = 10 * time.Minute
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Holder == "" {
		opt.Holder = fmt.Sprintf("okrbot-%d", rand.Int64())
	}
	for p, s := range senders {
		if s == nil {
			delete(senders, p)
		}
	}
	return &Rhythm{svc: svc, store: store, senders: senders, opt: opt}
}

// Report counts what a run did.
type Report struct {
	Job     string
	Planned int // deliveries due and written to the outbox by this run
	Sent    int
	Skipped int // not due to anyone: away, checked in already, no key results
	Failed  int // still failing when the run ended (kept and retried later)
}

func (r Report) String() string {
	return fmt.Sprintf("%s: sent %d, skipped %d, failed %d", r.Job, r.Sent, r.Skipped, r.Failed)
}

// Run runs one job once: plans every delivery of its kind due by at in its
// current period, writes them to the outbox, and sends what the outbox holds
// due (including deliveries left by a process that died). Running it twice,
// or in several processes at once, sends nothing twice.
func (r *Rhythm) Run(ctx context.Context, job string, at time.Time) (Report, error) {
	kind, ok := jobKind[job]
	if !ok {
		return Report{}, fmt.Errorf("unknown job %q (one of %s)", job, strings.Join(Jobs, ", "))
	}
	rep := Report{Job: job}
	planned, skipped, err := r.plan(ctx, kind, at)
	if err != nil {
		return rep, err
	}
	rep.Planned, rep.Skipped = planned, skipped
	r.progress(rep)
	err = r.drain(ctx, kind, at, &rep)
	return rep, err
}

func (r *Rhythm) progress(rep Report) {
	if r.opt.Progress != nil {
		r.opt.Progress(rep)
	}
}

// plan writes the deliveries due by at to the outbox. It returns how many
// were new and how many people it skipped.
func (r *Rhythm) plan(ctx context.Context, kind string, at time.Time) (planned, skipped int, err error) {
	wss, err := r.store.Workspaces(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, ws := range wss {
		if r.senders[ws.Platform] == nil && kind != KindSourceFailing { // values are fetched whoever hears of failures
			continue
		}
		var entries []domain.OutboxEntry
		var n, sk int
		switch kind {
		case KindCheckInPrompt, KindReminder:
			entries, sk, err = r.planPeople(ctx, ws, kind, at)
		case KindDigest:
			entries, err = r.planDigests(ctx, ws, at)
		case KindKPIAlert:
			n, err = r.planAlerts(ctx, ws, at) // enqueues as it goes
		case KindSourceFailing:
			n, err = r.planSources(ctx, ws, at) // enqueues as it goes
		}
		if err == nil && len(entries) > 0 {
			n, err = r.store.Enqueue(ctx, entries)
		}
		if err != nil {
			return planned, skipped, fmt.Errorf("plan %s for %s: %w", kind, ws.ID, err)
		}
		planned += n
		skipped += sk
	}
	return planned, skipped, nil
}

// people is a workspace's state for prompts and reminders, read once.
type people struct {
	ws        domain.Workspace
	teams     map[string]domain.Settings // channel -> override
	owned     map[string][]krOf          // person -> key results they own in active objectives
	team      map[string]string          // person -> team of their first objective
	users     map[string]domain.User
	checkedIn map[string]bool // person/week
}

type krOf struct {
	o  *domain.Objective
	kr domain.KeyResult
}

func (r *Rhythm) loadPeople(ctx context.Context, ws domain.Workspace, at time.Time) (*people, error) {
	st := r.svc.store
	teams, err := r.svc.teamSettings(ctx, ws.ID)
	if err != nil {
		return nil, err
	}
	p := &people{ws: ws, teams: teams, owned: map[string][]krOf{}, team: map[string]string{},
		users: map[string]domain.User{}, checkedIn: map[string]bool{}}
	os, err := st.Objectives(ctx, ws.ID, domain.ObjectiveFilter{Statuses: []domain.ObjectiveStatus{domain.Active}})
	if err != nil {
		return nil, err
	}
	wsLoc := loadLocation(ws.Settings.TimeZone)
	for i := range os {
		o := &os[i]
		if start, end := o.Cycle.Bounds(wsLoc); at.Before(start) || !at.Before(end) {
			continue
		}
		for _, kr := range o.KeyResults {
			if _, seen := p.team[kr.Owner]; !seen {
				p.team[kr.Owner] = o.Team
			}
			p.owned[kr.Owner] = append(p.owned[kr.Owner], krOf{o, kr})
		}
	}
	us, err := st.Users(ctx, ws.ID)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		p.users[u.ID] = u
	}
	// Check-ins of the last two weeks cover every person's current week.
	cs, err := st.CheckIns(ctx, ws.ID, domain.CheckInFilter{Since: at.AddDate(0, 0, -15)})
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		p.checkedIn[c.UserID+"/"+string(c.Week)] = true
	}
	return p, nil
}

// settingsOf returns a person's rhythm and time zone (see personal).
func (p *people) settingsOf(user string) (domain.Settings, *time.Location) {
	return personal(p.ws, p.teams, p.team[user], p.users[user].TimeZone)
}

// moment returns the instant of a weekly schedule in the week that starts
// at or after from's day, at or after from: the first such moment.
func moment(from time.Time, s domain.Schedule, loc *time.Location) time.Time {
	l := from.In(loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	for i := 0; i < 8; i++ {
		d := day.AddDate(0, 0, i)
		if d.Weekday() != s.Weekday {
			continue
		}
		m := time.Date(d.Year(), d.Month(), d.Day(), s.Minute/60, s.Minute%60, 0, 0, loc)
		if !m.Before(from) {
			return m
		}
	}
	return time.Time{}
}

// checkInMoment is when week's check-in prompt goes out in loc.
func checkInMoment(week domain.Week, s domain.Schedule, loc *time.Location) time.Time {
	return moment(week.Start(loc), s, loc)
}

// dueWeek returns the check-in week whose delivery of kind is due at at in
// loc, if it is: reminders and digests from their first moment after the
// check-in moment until the next check-in moment; prompts from the check-in
// moment until the reminder's (a prompt days late is noise: the reminder
// speaks for it). Prompts off leaves reminders and digests on.
func dueWeek(at time.Time, loc *time.Location, set domain.Settings, kind string) (domain.Week, bool) {
	s := map[string]domain.Schedule{KindCheckInPrompt: set.CheckIn, KindReminder: set.Reminder, KindDigest: set.Digest}[kind]
	if s.Off {
		return "", false
	}
	week := domain.CheckInWeek(at, loc, set.CheckIn.Weekday)
	start := checkInMoment(week, set.CheckIn, loc)
	if start.IsZero() || at.Before(start) {
		return week, false
	}
	if kind == KindCheckInPrompt {
		if !set.Reminder.Off {
			if end := moment(start.Add(time.Minute), set.Reminder, loc); !end.IsZero() && !at.Before(end) {
				return week, false
			}
		}
		return week, true
	}
	due := moment(start, s, loc)
	return week, !due.IsZero() && !at.Before(due)
}

func (r *Rhythm) planPeople(ctx context.Context, ws domain.Workspace, kind string, at time.Time) ([]domain.OutboxEntry, int, error) {
	p, err := r.loadPeople(ctx, ws, at)
	if err != nil {
		return nil, 0, err
	}
	var out []domain.OutboxEntry
	skipped := 0
	for _, user := range sortedOwners(p.owned) {
		set, loc := p.settingsOf(user)
		week, due := dueWeek(at, loc, set, kind)
		if !due {
			continue
		}
		if p.users[user].Away(at) || p.checkedIn[user+"/"+string(week)] {
			skipped++
			continue
		}
		out = append(out, domain.OutboxEntry{
			ID: domain.OutboxID(ws.ID, user, kind, string(week)), WorkspaceID: ws.ID, Recipient: user, Direct: true,
			Kind: kind, Period: string(week), NextAt: at,
		})
	}
	return out, skipped, nil
}

func sortedOwners(m map[string][]krOf) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (r *Rhythm) planDigests(ctx context.Context, ws domain.Workspace, at time.Time) ([]domain.OutboxEntry, error) {
	st := r.svc.store
	subs, err := st.Subscriptions(ctx, ws.ID)
	if err != nil || len(subs) == 0 {
		return nil, err
	}
	ts, err := st.TeamSettings(ctx, ws.ID)
	if err != nil {
		return nil, err
	}
	var out []domain.OutboxEntry
	for _, sub := range subs {
		set := ws.Settings
		for _, t := range ts {
			if t.Channel == sub.Channel {
				set = Merge(set, t.Settings)
			}
		}
		week, due := dueWeek(at, loadLocation(set.TimeZone), set, KindDigest)
		if !due {
			continue
		}
		subject := "team"
		if sub.Company {
			subject = "company"
		}
		out = append(out, domain.OutboxEntry{
			ID: domain.OutboxID(ws.ID, sub.Channel, KindDigest, string(week)), WorkspaceID: ws.ID, Recipient: sub.Channel,
			Kind: KindDigest, Period: string(week), Subject: subject, NextAt: at,
		})
	}
	return out, nil
}

// planAlerts compares each KPI's health at at with the state last alerted
// on. A change is alerted once: its outbox key names the KPI, the new state
// and the moment it began, so every process planning it plans the same.
func (r *Rhythm) planAlerts(ctx context.Context, ws domain.Workspace, at time.Time) (int, error) {
	ks, err := r.svc.store.KPIs(ctx, ws.ID)
	if err != nil {
		return 0, err
	}
	added := 0
	for _, k := range ks {
		prev, now := k.Health, k.HealthOf(at)
		if prev == "" {
			prev = domain.HealthUnknown
		}
		if now == prev || now == domain.HealthUnknown {
			continue
		}
		since := at
		if k.Latest != nil {
			since = k.Latest.At
			if now == domain.HealthStale {
				since = k.Latest.At.Add(time.Duration(domain.StaleFactor * float64(k.Cadence.Period())))
			}
		}
		var alerts []domain.OutboxEntry
		if !(prev == domain.HealthUnknown && now == domain.HealthGreen) {
			period := fmt.Sprintf("%s:%s:%d", k.Slug, now, since.Unix())
			alerts = append(alerts, domain.OutboxEntry{ID: domain.OutboxID(ws.ID, k.Owner, KindKPIAlert, period), WorkspaceID: ws.ID,
				Recipient: k.Owner, Direct: true, Kind: KindKPIAlert, Period: period, Subject: k.Slug, NextAt: at})
			if k.Team != "" && now != domain.HealthStale {
				alerts = append(alerts, domain.OutboxEntry{ID: domain.OutboxID(ws.ID, k.Team, KindKPIAlert, period), WorkspaceID: ws.ID,
					Recipient: k.Team, Kind: KindKPIAlert, Period: period, Subject: k.Slug, NextAt: at})
			}
		}
		// Write the alerts first, then move the state: a crash in between
		// plans the same keys again, which the outbox ignores.
		n, err := r.store.Enqueue(ctx, alerts)
		if err != nil {
			return added, err
		}
		added += n
		if _, err := r.store.SetKPIHealth(ctx, ws.ID, k.Slug, k.Health, now, since); err != nil {
			return added, err
		}
	}
	return added, nil
}

// drain sends every due delivery of kind, with a few workers, until none is
// left. Deliveries that come due later (a retry, another process's lease on
// one it is sending) are waited for, up to MaxWait.
func (r *Rhythm) drain(ctx context.Context, kind string, at time.Time, rep *Report) error {
	deadline := r.opt.Now().Add(r.opt.MaxWait)
	// Only the deliveries of workspaces this process can send to: another
	// process with other platforms configured takes the rest.
	wss, err := r.store.Workspaces(ctx)
	if err != nil {
		return err
	}
	var mine []string
	for _, ws := range wss {
		if r.senders[ws.Platform] != nil {
			mine = append(mine, ws.ID)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	last := map[string]string{} // delivery id -> its last outcome in this run
	var mu sync.Mutex
	count := func() {
		rep.Failed = 0
		for _, o := range last {
			if o == "failed" || o == "dead" {
				rep.Failed++
			}
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		due, err := r.store.Due(ctx, kind, mine, r.opt.Now(), 200)
		if err != nil {
			return err
		}
		if len(due) == 0 {
			next, ok, err := r.store.NextDue(ctx, kind, mine)
			if err != nil {
				return err
			}
			if !ok || next.After(deadline) {
				count()
				return nil
			}
			// Look again at least every second: another process's sends
			// finish long before its lease would run out.
			wait := min(next.Sub(r.opt.Now())+20*time.Millisecond, time.Second)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
			continue
		}
		snaps := &snapshots{r: r, at: at, byWS: map[string]*people{}, ws: map[string]domain.Workspace{}}
		progressed := false
		work := make(chan domain.OutboxEntry)
		var wg sync.WaitGroup
		for range r.opt.Workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for e := range work {
					outcome, err := r.deliverSafely(ctx, e, snaps)
					if outcome == "" {
						continue // another process has it
					}
					mu.Lock()
					progressed = true
					switch outcome {
					case "sent":
						rep.Sent++
					case "skipped":
						rep.Skipped++
					}
					last[e.ID] = outcome
					count()
					if r.opt.Observe != nil {
						r.opt.Observe(kind, outcome)
					}
					r.progress(*rep)
					mu.Unlock()
					if err != nil {
						r.opt.Log.Warn("delivery failed", "id", e.ID, "outcome", outcome, "err", err)
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
			// Every one was taken by another process between Due and Claim:
			// give them a moment rather than asking again at once.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}

// snapshots caches, for one round of sends, each workspace and its people.
type snapshots struct {
	r    *Rhythm
	at   time.Time
	mu   sync.Mutex
	byWS map[string]*people
	ws   map[string]domain.Workspace
}

func (s *snapshots) workspace(ctx context.Context, id string) (domain.Workspace, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w, ok := s.ws[id]; ok {
		return w, nil
	}
	w, err := s.r.svc.store.Workspace(ctx, id)
	if err == nil {
		s.ws[id] = w
	}
	return w, err
}

func (s *snapshots) get(ctx context.Context, ws domain.Workspace) (*people, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.byWS[ws.ID]; ok {
		return p, nil
	}
	p, err := s.r.loadPeople(ctx, ws, s.at)
	if err == nil {
		s.byWS[ws.ID] = p
	}
	return p, err
}

// deliverSafely runs deliver within the delivery's lease, and turns a panic
// into a failed attempt (retried) instead of a crash. A send still waiting
// (for a rate limit, say) when the lease is about to end gives up, so that
// another process taking the delivery over never finds it still in flight.
func (r *Rhythm) deliverSafely(ctx context.Context, e domain.OutboxEntry, snaps *snapshots) (outcome string, err error) {
	defer func() {
		if v := recover(); v != nil {
			r.opt.Log.Error("panic delivering", "id", e.ID, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			outcome, err = "failed", fmt.Errorf("panic: %v", v)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, max(r.opt.Lease*3/4, r.opt.Lease-15*time.Second))
	defer cancel()
	return r.deliver(ctx, e, snaps)
}

// deliver takes one delivery through its attempt: claim, check, compose,
// send, record. It returns the outcome: sent, skipped, failed (retried
// later), dead (refused for good), or "" when another process has it.
func (r *Rhythm) deliver(ctx context.Context, e domain.OutboxEntry, snaps *snapshots) (string, error) {
	// A delivery whose holder's lease ran out, or whose last attempt failed
	// in a way that may have reached the platform (a 5xx, a timeout), may
	// have arrived: ask the platform before sending it again.
	crashed := e.State == domain.OutboxSending || e.State == domain.OutboxFailed
	e, won, err := r.store.Claim(ctx, e, r.opt.Holder, r.opt.Lease)
	if err != nil || !won {
		return "", err
	}
	ws, err := snaps.workspace(ctx, e.WorkspaceID)
	if err != nil {
		return r.failed(ctx, e, err)
	}
	sender := r.senders[ws.Platform]
	if sender == nil {
		return r.failed(ctx, e, fmt.Errorf("no sender for %s", ws.Platform))
	}
	d := Delivery{ID: e.ID, WorkspaceID: ws.ID, Platform: ws.Platform, Workspace: ws.ExternalID,
		Recipient: e.Recipient, Direct: e.Direct, Kind: e.Kind, Period: e.Period}
	if crashed {
		// The process before us may have sent it just before it died.
		if id, ok, err := sender.Delivered(ctx, d); err != nil {
			return r.failed(ctx, e, err)
		} else if ok {
			return "sent", r.store.MarkSent(ctx, e.ID, id)
		}
	}
	msg, skip, err := r.compose(ctx, ws, e, snaps)
	if err != nil {
		return r.failed(ctx, e, err)
	}
	if skip != "" {
		return "skipped", r.store.MarkSkipped(ctx, e.ID, skip)
	}
	d.Message = msg
	id, err := sender.Send(ctx, d)
	if err != nil {
		return r.failed(ctx, e, err)
	}
	return "sent", r.store.MarkSent(ctx, e.ID, id)
}

// failed records a failed attempt with its retry time (exponential backoff
// with jitter, at least what the platform asked for), or for good.
func (r *Rhythm) failed(ctx context.Context, e domain.OutboxEntry, cause error) (string, error) {
	retry, after := Retryable(cause)
	if errors.Is(cause, context.Canceled) {
		retry = true
	}
	backoff := time.Second << min(e.Attempts-1, 9) // 1s, 2s, 4s … 8.5 min
	backoff += time.Duration(rand.Int64N(int64(backoff/4) + 1))
	if after > backoff {
		backoff = after
	}
	outcome := "failed"
	if !retry {
		outcome = "dead"
	}
	if err := r.store.MarkFailed(context.WithoutCancel(ctx), e.ID, cause.Error(), r.opt.Now().Add(backoff), !retry); err != nil {
		return outcome, errors.Join(cause, err)
	}
	return outcome, cause
}

// compose writes the message of a delivery, or says why there is nothing to send.
func (r *Rhythm) compose(ctx context.Context, ws domain.Workspace, e domain.OutboxEntry, snaps *snapshots) (*Message, string, error) {
	switch e.Kind {
	case KindCheckInPrompt, KindReminder:
		p, err := snaps.get(ctx, ws)
		if err != nil {
			return nil, "", err
		}
		if p.checkedIn[e.Recipient+"/"+e.Period] {
			return nil, "checked in already", nil
		}
		if p.users[e.Recipient].Away(snaps.at) {
			return nil, "away", nil
		}
		krs := p.owned[e.Recipient]
		if len(krs) == 0 {
			return nil, "owns no key results any more", nil
		}
		return r.svc.promptMessage(ws, e.Kind, domain.Week(e.Period), krs), "", nil
	case KindDigest:
		m, err := r.svc.Digest(ctx, ws.ID, DigestScope{Channel: e.Recipient, Company: e.Subject == "company"}, r.opt.Now())
		return m, "", err
	case KindKPIAlert:
		k, err := r.svc.store.KPI(ctx, ws.ID, e.Subject)
		if err != nil {
			if domain.ErrorCode(err) == domain.ENOTFOUND {
				return nil, "the KPI was deleted", nil
			}
			return nil, "", err
		}
		return r.svc.alertMessage(ws, k, e.Period), "", nil
	case KindSourceFailing:
		return r.composeSourceFailing(ctx, ws, e)
	}
	return nil, "", fmt.Errorf("unknown delivery kind %q", e.Kind)
}

// promptMessage is the Friday DM (or Monday's reminder): the person's key
// results with where they stand, and a button to check in.
func (s *Service) promptMessage(ws domain.Workspace, kind string, week domain.Week, krs []krOf) *Message {
	c := "/okr checkin"
	if ws.Platform == domain.Teams {
		c = "okr checkin"
	}
	title := fmt.Sprintf("Time for your weekly check-in (week %s)", weekShort(week))
	intro := "Two minutes: for each key result, where it stands and how confident you are."
	if kind == KindReminder {
		title = fmt.Sprintf("Reminder: your check-in for week %s is not in yet", weekShort(week))
		intro = "Your team's digest is better with your numbers in it."
	}
	sec := Section{Lines: []Text{T(intro)}}
	for i, k := range krs {
		if i == 10 {
			sec.Lines = append(sec.Lines, T(fmt.Sprintf("…and %d more", len(krs)-10)))
			break
		}
		line := Text{}.AddCode(k.kr.Ref).Add(" " + clip(k.kr.Title, 80) + " · " + describeKR(k.kr))
		if k.kr.Confidence > 0 {
			line = line.Add(fmt.Sprintf(" · last confidence %d/10", k.kr.Confidence))
		}
		sec.Lines = append(sec.Lines, line)
	}
	sec.Buttons = []Button{{Label: "Check in", Action: ActionCheckIn, Style: Primary, Command: c}}
	// A date two weeks after the week's start: never one already past.
	away := week.Start(time.UTC).AddDate(0, 0, 14).Format(time.DateOnly)
	sec.Note = T("Away? ").AddCode(strings.TrimSuffix(c, "checkin") + "away until " + away).Add(" pauses these.")
	return &Message{Summary: title, Title: title, Sections: []Section{sec}}
}

// alertMessage tells a KPI's owner and team that it changed state.
func (s *Service) alertMessage(ws domain.Workspace, k domain.KPI, period string) *Message {
	state := domain.Health(strings.Split(period, ":")[1])
	loc := loadLocation(ws.Settings.TimeZone)
	title := fmt.Sprintf("%s %s is %s", healthMark(state), k.Name, state)
	var line Text
	switch state {
	case domain.HealthStale:
		line = T(fmt.Sprintf("No value since %s; it is measured every %s.", latestString(k, loc), k.Cadence))
	default:
		line = T("Latest: " + latestString(k, loc) + " · " + describeKPI(k))
	}
	kc := "/kpi"
	if ws.Platform == domain.Teams {
		kc = "kpi"
	}
	return &Message{Summary: title, Title: title, Sections: []Section{{
		Lines: []Text{line},
		Note:  Text{}.Add("Details: ").AddCode(kc + " show " + k.Slug).Add(" · record a value: ").AddCode(kc + " set " + k.Slug + " 42"),
	}}}
}
