package conversations

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// KPIs that fetch their own values: /kpi source, and the job that fetches
// what is due.

// SourceStore keeps where a KPI's values come from and how fetching went.
type SourceStore interface {
	// SetKPISource sets (or, with nil, removes) a KPI's source, with the
	// state it carries (a new source's is empty).
	SetKPISource(ctx context.Context, workspace, slug string, src *domain.KPISource) error
	// SaveSourceState records the outcome of a fetch, unless the KPI's
	// source was changed since it was set at setAt.
	SaveSourceState(ctx context.Context, workspace, slug string, setAt time.Time, st domain.SourceState) error
}

// Fetcher fetches a source's current value (*sources.Fetcher).
type Fetcher interface {
	Fetch(ctx context.Context, src domain.KPISource) (float64, error)
}

// TargetChecker is a Fetcher that can tell, when a source is set, that it
// would refuse to fetch from its host (*sources.Fetcher: an internal
// address, unless the operator allows its network).
type TargetChecker interface {
	Check(ctx context.Context, rawURL string) error
}

// checkTarget refuses a source whose host the fetcher would refuse, with
// the fetcher's own words; nothing is checked without a checking fetcher.
func (s *Service) checkTarget(ctx context.Context, src *domain.KPISource, example string) error {
	c, ok := s.opt.Sources.(TargetChecker)
	if !ok || src == nil {
		return nil
	}
	if err := c.Check(ctx, src.URL); err != nil {
		return domain.Invalid(example, "okrbot would not fetch this URL: %s.", strings.TrimSuffix(err.Error(), "."))
	}
	return nil
}

// Queue takes the alerts of failing sources (the outbox).
type Queue interface {
	// Enqueue writes entries whose ID is new and returns how many were.
	Enqueue(ctx context.Context, entries []domain.OutboxEntry) (int, error)
}

// sourceBy is who a fetched value is recorded by.
const sourceBy = "okrbot:source"

const (
	exSourceJSON = "/kpi source web-leads https://stats.example.com/leads.json json data.today"
	exSourceProm = `/kpi source error-rate prometheus https://prometheus.example.com sum(rate(http_errors_total[1d]))`
	exSourceOff  = "/kpi source web-leads off"
)

// unslack undoes what Slack does to a URL or a query in a command's text:
// links come as <https://…> or <https://…|label>, and &, < and > as
// entities.
func unslack(s string) string {
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
		if u, _, ok := strings.Cut(s, "|"); ok {
			s = u
		}
	}
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// parseSource reads what follows the slug of /kpi source: "<url>",
// "<url> json <path>", "prometheus <base-url> <query…>" or "off" (nil).
func parseSource(rest string) (*domain.KPISource, error) {
	rest = strings.TrimSpace(rest)
	first, after, _ := strings.Cut(rest, " ")
	after = strings.TrimSpace(after)
	switch {
	case rest == "":
		return nil, domain.Invalid(exSourceJSON, "Give the URL to fetch the value from (or off).")
	case strings.EqualFold(first, "off") || strings.EqualFold(first, "none"):
		if after != "" {
			return nil, domain.Invalid(exSourceOff, "off takes nothing after it.")
		}
		return nil, nil
	case strings.EqualFold(first, "prometheus") || strings.EqualFold(first, "prom"):
		base, query, _ := strings.Cut(after, " ")
		src := &domain.KPISource{Kind: domain.SourcePrometheus, URL: unslack(base), Query: unslack(strings.TrimSpace(query))}
		return src, src.Validate()
	case strings.EqualFold(first, "json"):
		return nil, domain.Invalid(exSourceJSON, "Give the URL first, then json and the path.")
	}
	src := &domain.KPISource{Kind: domain.SourceJSON, URL: unslack(first)}
	if after != "" {
		kw, path, _ := strings.Cut(after, " ")
		path = strings.TrimSpace(path)
		if !strings.EqualFold(kw, "json") || path == "" || strings.Contains(path, " ") {
			return nil, domain.Invalid(exSourceJSON, "After the URL, say json and where the number is in the answer (one path, like data.today).")
		}
		src.Path = unslack(path)
	}
	return src, src.Validate()
}

// kpiSource is /kpi source <slug> …: where okrbot fetches the KPI's value
// itself, once per cadence. The owner or an admin sets it.
func (ss *session) kpiSource(args string) Reply {
	slugText, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	slug := strings.ToLower(slugText)
	if slug == "" {
		return ss.fail(domain.Invalid(exSourceJSON, "Give the KPI and where its value comes from."), "")
	}
	if err := domain.ValidateSlug(slug); err != nil {
		return ss.fail(err, exSourceJSON)
	}
	src, err := parseSource(rest)
	if err != nil {
		return ss.fail(err, exSourceJSON)
	}
	k, err := ss.store.KPI(ss.ctx, ss.ws.ID, slug)
	if err != nil {
		return ss.fail(err, exSourceJSON)
	}
	if k.Owner != ss.actor.User && !ss.isAdmin() {
		return ss.fail(domain.Errorf(domain.EFORBIDDEN, "Only the owner of %s (%s) or a workspace admin can change where its values come from.", slug, ss.name(k.Owner)), "")
	}
	ex := exSourceJSON
	if src != nil && src.Kind == domain.SourcePrometheus {
		ex = exSourceProm
	}
	if err := ss.checkTarget(ss.ctx, src, ex); err != nil {
		return ss.fail(err, "")
	}
	if src != nil {
		src.SetBy, src.SetAt = ss.actor.User, ss.now
	}
	if err := ss.store.SetKPISource(ss.ctx, ss.ws.ID, slug, src); err != nil {
		return ss.fail(err, exSourceJSON)
	}
	if src == nil {
		return Reply{Message: Lines("Source of "+slug+" removed", Text{}.Add("okrbot no longer fetches ").AddCode(slug).Add("; record its values with ").AddCode(ss.cmd("kpi")+" set "+slug+" 42"))}
	}
	return Reply{Message: &Message{
		Summary: "Source of " + slug + " set",
		Sections: []Section{{
			Lines: []Text{Text{}.Add("okrbot will fetch ").AddCode(slug).Add(" every " + string(k.Cadence) + " from ").AddCode(describeSource(*src))},
			Note:  T("The first fetch is within a minute or two; ").AddCode(ss.cmd("kpi") + " show " + slug).Add(" shows how it went. If the source fails, you hear it once."),
		}},
	}}
}

// describeSource says where a source fetches from, without the query
// string of its URL (which may hold a key).
func describeSource(src domain.KPISource) string {
	u := src.URL
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i] + "?…"
	}
	switch src.Kind {
	case domain.SourcePrometheus:
		return "prometheus " + u + " " + clip(src.Query, 80)
	}
	if src.Path != "" {
		return u + " json " + src.Path
	}
	return u
}

// sourceLines are /kpi show's lines about a KPI's source.
func (ss *session) sourceLines(k domain.KPI) []Text {
	src := k.Source
	if src == nil {
		return nil
	}
	st := src.State
	line := T("Source: ").AddCode(describeSource(*src))
	var state Text
	switch {
	case st.LastFetch.IsZero():
		state = T("Not fetched yet.")
	case st.Failing():
		state = T(fmt.Sprintf("❌ Last fetch %s failed: %s", st.LastFetch.In(ss.loc).Format("2006-01-02 15:04"), clip(st.LastError, 300)))
		if st.Failures > 1 {
			state = state.Add(fmt.Sprintf(" (%d failures since %s)", st.Failures, st.FailingSince.In(ss.loc).Format("2006-01-02 15:04")))
		}
		if !st.NextAt.IsZero() {
			state = state.Add(" · next try " + st.NextAt.In(ss.loc).Format("15:04"))
		}
	default:
		state = T("✅ Last fetch " + st.LastFetch.In(ss.loc).Format("2006-01-02 15:04"))
		if st.LastValue != nil {
			state = state.Add(": " + domain.FormatValue(*st.LastValue, k.Unit))
		}
	}
	return []Text{line, state}
}

// SourceReport says what a run of FetchSources did.
type SourceReport struct {
	Fetched int // values recorded
	Failed  int // fetches that failed
	// Alerts are the alerts of sources that began failing, written to the
	// queue (Alerted of them new there).
	Alerts  []domain.OutboxEntry
	Alerted int
	// Next is when a source of the workspace is next due (zero: none).
	Next time.Time
}

// FetchSources fetches the sources of a workspace's KPIs that are due at at
// (with Options.Sources; nothing without it) and records each value
// through the same path as /kpi set (the same alert, the same key-result
// update). A source is due once per period of its KPI's cadence (the
// workspace's day, ISO week or month); a failed fetch is tried again with
// a growing wait, at most an hour, and the first failure of a run writes
// an alert for the KPI's owner to q, once.
//
// The caller runs it under a job lease, so one process fetches at a time;
// a period's value is recorded once whatever runs (its key).
func (s *Service) FetchSources(ctx context.Context, ws domain.Workspace, q Queue, at time.Time) (SourceReport, error) {
	var rep SourceReport
	if s.opt.Sources == nil {
		return rep, nil
	}
	ks, err := s.store.KPIs(ctx, ws.ID) // archived KPIs take no values: not fetched
	if err != nil {
		return rep, err
	}
	var errs []error
	loc := loadLocation(ws.Settings.TimeZone)
	for _, k := range ks {
		if k.Source == nil {
			continue
		}
		if sourceDue(k, at, loc) {
			st, err := s.fetchOne(ctx, ws, k, q, at, loc, &rep)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s %s: %w", ws.ID, k.Slug, err))
			}
			src := *k.Source
			src.State = st
			k.Source = &src
		}
		rep.Next = domain.Earliest(rep.Next, nextFetch(k, at, loc))
	}
	return rep, errors.Join(errs...)
}

// nextFetch is when k's source is next due after at: its retry time while
// it fails, else the start of the next period of its cadence.
func nextFetch(k domain.KPI, at time.Time, loc *time.Location) time.Time {
	st := k.Source.State
	if st.Failing() || st.Period != domain.CadencePeriod(k.Cadence, at, loc) {
		if st.NextAt.After(at) {
			return st.NextAt
		}
		return at // due now (it could not be fetched this time)
	}
	t := at.In(loc)
	y, m, d := t.Date()
	switch k.Cadence {
	case domain.Daily:
		return time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	case domain.Monthly:
		return time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
	}
	wd := (int(t.Weekday()) + 6) % 7 // days since Monday
	return time.Date(y, m, d-wd+7, 0, 0, 0, 0, loc)
}

// sourceDue reports whether k's source is to be fetched at at.
func sourceDue(k domain.KPI, at time.Time, loc *time.Location) bool {
	st := k.Source.State
	if st.Period == domain.CadencePeriod(k.Cadence, at, loc) && !st.Failing() {
		return false
	}
	return st.NextAt.IsZero() || !at.Before(st.NextAt)
}

// retryWait is the wait after the n-th failure in a row: 5, 10, 20, 40,
// then 60 minutes.
func retryWait(n int) time.Duration {
	n = min(max(n, 1), 5) // beyond, the hour cap holds (and no overflow)
	return min(5*time.Minute<<(n-1), time.Hour)
}

// fetchOne fetches k's source and returns the source's state as it is now.
func (s *Service) fetchOne(ctx context.Context, ws domain.Workspace, k domain.KPI, q Queue, at time.Time, loc *time.Location, rep *SourceReport) (domain.SourceState, error) {
	st := k.Source.State
	period := domain.CadencePeriod(k.Cadence, at, loc)
	v, ferr := s.opt.Sources.Fetch(ctx, *k.Source)
	if ferr == nil {
		ss := &session{Service: s, ctx: ctx, ws: ws, now: at, loc: loc, wsLoc: loc,
			actor: Actor{Platform: ws.Platform, Workspace: ws.ExternalID, User: sourceBy, Admin: true}}
		// Keyed by the source and the period: if the state below is not
		// saved (a crash, a store that failed), the next run fetches again
		// but the period's value is recorded once. A source set anew is
		// another key.
		val := domain.KPIValue{Value: v, At: at, By: sourceBy, Key: fmt.Sprintf("source:%d:%s", k.Source.SetAt.UnixMilli(), period)}
		if _, _, err := ss.recordValues(k.Slug, []domain.KPIValue{val}); err != nil {
			return st, err
		}
		rep.Fetched++
		done := domain.SourceState{Period: period, LastFetch: at, LastValue: &v}
		return done, s.store.SaveSourceState(ctx, ws.ID, k.Slug, k.Source.SetAt, done)
	}
	if ctx.Err() != nil {
		return st, ctx.Err() // shutting down: not the source's fault
	}
	rep.Failed++
	next := domain.SourceState{Period: st.Period, LastFetch: at, LastValue: st.LastValue, LastError: clip(ferr.Error(), 500),
		FailingSince: st.FailingSince, Failures: st.Failures + 1}
	if !st.Failing() || next.FailingSince.IsZero() {
		next.FailingSince = at
	}
	next.NextAt = at.Add(retryWait(next.Failures))
	// Alert first, then save: a crash in between plans the same alert
	// again (same key), which the outbox ignores.
	if next.Failures == 1 && k.Owner != "" {
		e := domain.OutboxEntry{
			ID:          domain.OutboxID(ws.ID, k.Owner, KindSourceFailing, fmt.Sprintf("%s:%d", k.Slug, next.FailingSince.Unix())),
			WorkspaceID: ws.ID, Recipient: k.Owner, Direct: true, Kind: KindSourceFailing,
			Period: fmt.Sprintf("%s:%d", k.Slug, next.FailingSince.Unix()), Subject: k.Slug, At: at,
		}
		n, err := q.Enqueue(ctx, []domain.OutboxEntry{e})
		if err != nil {
			return st, err
		}
		rep.Alerts = append(rep.Alerts, e)
		rep.Alerted += n
	}
	return next, s.store.SaveSourceState(ctx, ws.ID, k.Slug, k.Source.SetAt, next)
}

// SourceFailingMessage tells a KPI's owner that its source stopped
// answering, and what to do.
func SourceFailingMessage(ws domain.Workspace, k domain.KPI) *Message {
	kc := "/kpi"
	if ws.Platform == domain.Teams {
		kc = "kpi"
	}
	title := fmt.Sprintf("⚠️ okrbot cannot fetch %s", k.Name)
	var lines []Text
	if src := k.Source; src != nil {
		lines = append(lines, T("From ").AddCode(describeSource(*src)).Add(": "+clip(src.State.LastError, 300)))
	}
	lines = append(lines, T("okrbot keeps trying (at most every hour) and tells you this once. Until it works, record values by hand."))
	return &Message{Summary: title, Title: title, Sections: []Section{{
		Lines: lines,
		Note:  T("State: ").AddCode(kc + " show " + k.Slug).Add(" · record: ").AddCode(kc + " set " + k.Slug + " 42").Add(" · stop fetching: ").AddCode(kc + " source " + k.Slug + " off"),
	}}}
}
