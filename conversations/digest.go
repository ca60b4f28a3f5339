package conversations

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/okrbot/okrbot/conversations/chart"
	"github.com/okrbot/okrbot/domain"
)

// DigestScope says whose digest: one team channel's objectives, or the
// company roll-up of every objective in the workspace.
type DigestScope struct {
	Channel string
	Company bool
}

// Digest limits, so that a 200-objective company stays within every
// platform's message limits; the rest is summarised as "and N more".
const (
	digestObjectives = 25
	digestAtRisk     = 10
	digestMovers     = 3
	digestPeople     = 30
	digestKPIs       = 12
)

// Digest composes the weekly digest of a workspace at now.
func (s *Service) Digest(ctx context.Context, workspace string, scope DigestScope, now time.Time) (*Message, error) {
	ws, err := s.store.Workspace(ctx, workspace)
	if err != nil {
		return nil, err
	}
	ss := &session{Service: s, ctx: ctx, ws: ws, now: now, actor: Actor{Platform: ws.Platform, Workspace: ws.ExternalID}}
	ss.wsLoc = loadLocation(ws.Settings.TimeZone)
	ss.loc = ss.wsLoc
	return ss.composeDigest(scope)
}

// krState is one key result in the digest.
type krState struct {
	o      *domain.Objective
	kr     domain.KeyResult
	a      domain.Assessment
	before float64 // progress at the start of the report week
}

func (ss *session) composeDigest(scope DigestScope) (*Message, error) {
	// A team's digest counts weeks as its team does (see personal).
	set := ss.ws.Settings
	if !scope.Company {
		teams, err := ss.teamSettings(ss.ctx, ss.ws.ID)
		if err != nil {
			return nil, err
		}
		set, _ = personal(ss.ws, teams, scope.Channel, "")
	}
	loc := loadLocation(set.TimeZone)
	cycle := domain.CycleOf(ss.now, ss.wsLoc)
	// The week reported on is the latest check-in week: Monday's digest
	// speaks of last Friday's check-ins.
	week := domain.CheckInWeek(ss.now, loc, set.CheckIn.Weekday)
	f := domain.ObjectiveFilter{Statuses: []domain.ObjectiveStatus{domain.Active}}
	title := "Company OKRs"
	if !scope.Company {
		f.Team = scope.Channel
		title = "Team OKRs"
	}
	os, err := ss.store.Objectives(ss.ctx, ss.ws.ID, f)
	if err != nil {
		return nil, err
	}
	os = ss.current(os)
	start := ss.earliestStart(os)
	cf := domain.CheckInFilter{Since: start.AddDate(0, -1, 0)}
	if !scope.Company {
		// A team's digest reads its own key results' check-ins only: its
		// cost follows the team, not the workspace.
		cf.KRs = []string{}
		for _, o := range os {
			for _, kr := range o.KeyResults {
				cf.KRs = append(cf.KRs, kr.Ref)
			}
		}
	}
	var cs []domain.CheckIn
	if cf.KRs == nil || len(cf.KRs) > 0 {
		if cs, err = ss.store.CheckIns(ss.ctx, ss.ws.ID, cf); err != nil {
			return nil, err
		}
	}
	kpis, err := ss.store.KPIs(ss.ctx, ss.ws.ID)
	if err != nil {
		return nil, err
	}
	weekStart := week.Start(loc)
	before, err := ss.valuesBefore(os, cs, kpis, weekStart)
	if err != nil {
		return nil, err
	}
	hist := history(cs)
	pace := cycle.Elapsed(ss.now, ss.wsLoc)

	// Assess every key result once.
	var krs []krState
	objProgress := map[string][2]float64{} // ref -> now, before
	for i := range os {
		o := &os[i]
		var wNow, wBefore, wSum float64
		for _, kr := range o.KeyResults {
			a := domain.Assess(kr, domain.Pace{Cycle: o.Cycle, Location: ss.wsLoc, Now: ss.now}, hist[kr.Ref])
			b := before[kr.Ref]
			krs = append(krs, krState{o: o, kr: kr, a: a, before: b})
			w := kr.Weight
			if w <= 0 {
				w = 1
			}
			wNow += w * a.Progress
			wBefore += w * b
			wSum += w
		}
		if wSum > 0 {
			objProgress[o.Ref] = [2]float64{wNow / wSum, wBefore / wSum}
		}
	}
	people := map[string]bool{}
	for _, k := range krs {
		people[k.kr.Owner] = true
	}
	var ids []string
	for _, o := range os {
		ids = append(ids, o.Owner)
	}
	for p := range people {
		ids = append(ids, p)
	}
	names := ss.names(dedupe(ids))

	m := &Message{Title: fmt.Sprintf("%s · %s · week %s", title, cycle, weekShort(week))}
	if !scope.Company {
		m.Sections = append(m.Sections, Section{Note: Text{}.Add("Objectives of ").AddChannel(scope.Channel, "")})
	}
	if len(os) == 0 {
		m.Summary = m.Title + ": no active objectives"
		m.Sections = append(m.Sections, Section{Lines: []Text{T("No active objectives this cycle. Create one: ").AddCode(ss.cmd("okr") + " create Grow the European market")}})
		return m, nil
	}

	// At risk first.
	var risky []krState
	for _, k := range krs {
		if k.a.AtRisk() {
			risky = append(risky, k)
		}
	}
	sort.SliceStable(risky, func(i, j int) bool { return riskRank(risky[i].a) < riskRank(risky[j].a) })
	if len(risky) > 0 {
		sec := Section{Heading: B(fmt.Sprintf("At risk (%d)", len(risky)))}
		for i, k := range risky {
			if i == digestAtRisk {
				sec.Note = T(fmt.Sprintf("…and %d more at risk", len(risky)-digestAtRisk))
				break
			}
			sec.Lines = append(sec.Lines, riskLine(k, names))
		}
		m.Sections = append(m.Sections, sec)
	}

	// Objectives, weakest first.
	status := map[string]domain.Status{}
	for _, k := range krs {
		if s, ok := status[k.o.Ref]; !ok || k.a.Status < s {
			status[k.o.Ref] = k.a.Status
		}
	}
	sorted := append([]domain.Objective(nil), os...)
	sort.SliceStable(sorted, func(i, j int) bool { return status[sorted[i].Ref] < status[sorted[j].Ref] })
	sec := Section{Heading: B(fmt.Sprintf("Objectives (%d) · pace %d%%", len(os), pct(pace)))}
	var total float64
	for _, o := range os {
		total += objProgress[o.Ref][0]
	}
	for i, o := range sorted {
		if i == digestObjectives {
			sec.Note = T(fmt.Sprintf("…and %d more objectives: ", len(sorted)-digestObjectives)).AddCode(ss.cmd("okr") + " list all")
			break
		}
		p := objProgress[o.Ref]
		line := Text{}.AddCode(o.Ref).Add(" "+clip(o.Title, 60)+" ").AddBar(p[0], o.Cycle.Elapsed(ss.now, ss.wsLoc)).
			Add(fmt.Sprintf(" %d%% (%s) · %s %s · ", pct(p[0]), change(p[0]-p[1]), statusMark(status[o.Ref]), status[o.Ref])).
			AddUser(o.Owner, names[o.Owner])
		sec.Lines = append(sec.Lines, line)
	}
	m.Sections = append(m.Sections, sec)

	// Biggest movers since last week.
	movers := append([]krState(nil), krs...)
	sort.SliceStable(movers, func(i, j int) bool {
		return math.Abs(movers[i].a.Progress-movers[i].before) > math.Abs(movers[j].a.Progress-movers[j].before)
	})
	mv := Section{Heading: B("Biggest movers")}
	for _, k := range movers {
		d := k.a.Progress - k.before
		if len(mv.Lines) == digestMovers || math.Abs(d) < 0.005 {
			break
		}
		mv.Lines = append(mv.Lines, Text{}.AddCode(k.kr.Ref).Add(" "+clip(k.kr.Title, 60)+" "+change(d)+" → "+fmt.Sprintf("%d%%", pct(k.a.Progress))))
	}
	if len(mv.Lines) > 0 {
		m.Sections = append(m.Sections, mv)
	}

	// Check-in completion.
	checked := map[string]bool{}
	for _, c := range cs {
		if c.Week == week {
			checked[c.UserID] = true
		}
	}
	users, err := ss.store.Users(ss.ctx, ss.ws.ID, dedupe(keys(people))...)
	if err != nil {
		return nil, err
	}
	away := map[string]time.Time{}
	for _, u := range users {
		if u.Away(ss.now) {
			away[u.ID] = u.AwayUntil
		}
	}
	var missing, gone []string
	done := 0
	for _, p := range sortedKeys(people) {
		switch {
		case checked[p]:
			done++
		case !away[p].IsZero():
			gone = append(gone, p)
		default:
			missing = append(missing, p)
		}
	}
	ci := Section{Heading: B(fmt.Sprintf("Check-ins: %d of %d", done, len(people)-len(gone)))}
	if len(missing) > 0 {
		ci.Lines = append(ci.Lines, peopleLine("Missing: ", missing, names, nil))
	} else {
		ci.Lines = append(ci.Lines, T("Everyone checked in. 🎉"))
	}
	if len(gone) > 0 {
		ci.Lines = append(ci.Lines, peopleLine("Away: ", gone, names, func(id string) string {
			return " (until " + away[id].In(ss.loc).Format("2 Jan") + ")"
		}))
	}
	m.Sections = append(m.Sections, ci)

	// KPI health, red first.
	if !scope.Company {
		linked := map[string]bool{}
		for _, k := range krs {
			if k.kr.KPI != "" {
				linked[k.kr.KPI] = true
			}
		}
		kept := kpis[:0:0]
		for _, k := range kpis {
			if linked[k.Slug] || k.Team == scope.Channel {
				kept = append(kept, k)
			}
		}
		kpis = kept
	}
	if len(kpis) > 0 {
		sortKPIs(kpis, ss.now)
		ks := Section{Heading: B("KPI health")}
		for i, k := range kpis {
			if i == digestKPIs {
				ks.Note = T(fmt.Sprintf("…and %d more KPIs: ", len(kpis)-digestKPIs)).AddCode(ss.cmd("kpi") + " list")
				break
			}
			h := k.HealthOf(ss.now)
			ks.Lines = append(ks.Lines, T(healthMark(h)+" ").AddCode(k.Slug).Add(" "+clip(k.Name, 40)+" · "+latestString(k, ss.loc)))
		}
		m.Sections = append(m.Sections, ks)
	}

	m.Summary = fmt.Sprintf("%s, week %s: %d objectives at %d%% (pace %d%%), %d key results at risk, %d of %d checked in",
		strings.TrimSuffix(title, " OKRs"), weekShort(week), len(os), pct(total/float64(len(os))), pct(pace), len(risky), done, len(people)-len(gone))

	img, err := ss.chart(m.Title, pace, sorted, objProgress, status)
	if err != nil {
		ss.opt.Log.Warn("digest chart", "err", err)
	} else if img != nil {
		m.Image = &Image{PNG: img, Alt: "Progress of each objective against the pace line", Title: m.Title, Name: "okr-digest-" + string(week) + ".png"}
	}
	return m, nil
}

func (ss *session) chart(title string, pace float64, os []domain.Objective, prog map[string][2]float64, status map[string]domain.Status) ([]byte, error) {
	if ss.opt.Chart == nil {
		return nil, nil
	}
	c := chart.Chart{Title: title, Pace: pace}
	for _, o := range os {
		c.Bars = append(c.Bars, chart.Bar{Label: o.Ref + " " + o.Title, Progress: prog[o.Ref][0], Status: status[o.Ref].String()})
	}
	return ss.opt.Chart(c)
}

// valuesBefore returns each key result's progress at t, from the check-ins
// and KPI values recorded before it.
func (ss *session) valuesBefore(os []domain.Objective, cs []domain.CheckIn, kpis []domain.KPI, t time.Time) (map[string]float64, error) {
	last := map[string]domain.CheckIn{}
	for _, c := range cs {
		if c.At.Before(t) {
			if p, ok := last[c.KR]; !ok || c.At.After(p.At) {
				last[c.KR] = c
			}
		}
	}
	kpiBefore := map[string]*domain.KPIValue{}
	for _, o := range os {
		for _, kr := range o.KeyResults {
			if kr.KPI == "" || kpiBefore[kr.KPI] != nil {
				continue
			}
			vals, err := ss.store.KPIValues(ss.ctx, ss.ws.ID, kr.KPI, 200)
			if err != nil {
				return nil, err
			}
			for i := range vals { // newest first
				if vals[i].At.Before(t) {
					kpiBefore[kr.KPI] = &vals[i]
					break
				}
			}
		}
	}
	out := map[string]float64{}
	for _, o := range os {
		for _, kr := range o.KeyResults {
			then := kr
			then.Current, then.Measured, then.Done = kr.Start, false, false
			if c, ok := last[kr.Ref]; ok {
				then.Current, then.Measured, then.Done = c.Value, true, c.Done
			}
			if v := kpiBefore[kr.KPI]; kr.KPI != "" && v != nil {
				then.Current, then.Measured = v.Value, true
			}
			out[kr.Ref] = then.Progress()
		}
	}
	return out, nil
}

func riskRank(a domain.Assessment) int {
	switch {
	case a.Status == domain.OffTrack:
		return 0
	case a.Confidence == domain.BandRed:
		return 1
	case a.Mismatch:
		return 2
	}
	return 3
}

func riskLine(k krState, names map[string]string) Text {
	var why []string
	if k.a.Confidence == domain.BandRed {
		why = append(why, fmt.Sprintf("confidence %d/10", k.kr.Confidence))
	}
	if k.a.Behind {
		why = append(why, fmt.Sprintf("behind pace (%d%% vs %d%%)", pct(k.a.Progress), pct(k.a.Expected)))
	}
	if k.a.Mismatch {
		why = append(why, fmt.Sprintf("confidence %d/10 but projected %d%%", k.kr.Confidence, pct(k.a.Projected)))
	}
	return Text{}.Add(statusMark(k.a.Status)+" ").AddCode(k.kr.Ref).Add(" "+clip(k.kr.Title, 60)+" — "+strings.Join(why, "; ")+" · ").
		AddUser(k.kr.Owner, names[k.kr.Owner])
}

func change(d float64) string {
	switch p := int(math.Round(d * 100)); {
	case p > 0:
		return fmt.Sprintf("+%d", p)
	case p < 0:
		return fmt.Sprintf("−%d", -p)
	}
	return "±0"
}

func peopleLine(label string, ids []string, names map[string]string, suffix func(string) string) Text {
	t := T(label)
	for i, id := range ids {
		if i == digestPeople {
			return t.Add(fmt.Sprintf(" and %d more", len(ids)-digestPeople))
		}
		if i > 0 {
			t = t.Add(", ")
		}
		t = t.AddUser(id, names[id])
		if suffix != nil {
			t = t.Add(suffix(id))
		}
	}
	return t
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := keys(m)
	sort.Strings(out)
	return out
}

// digest runs /okr digest subscribe | unsubscribe | preview.
func (ss *session) digest(args string) Reply {
	verb, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	p, err := parseArgs(rest, flagSpec{"company": false}, exDigest)
	if err != nil {
		return ss.fail(err, exDigest)
	}
	channel := ss.actor.Channel
	if w := p.word(0); w != "" {
		id, _, ok := parseChannel(w)
		if !ok {
			return ss.fail(domain.Invalid(exDigest, "%q is not a channel; use #channel.", clip(w, 30)), "")
		}
		channel = id
	}
	switch strings.ToLower(verb) {
	case "subscribe":
		if channel == "" {
			return ss.fail(domain.Invalid(exDigest, "Say which channel gets the digest."), "")
		}
		if p.has("company") && !ss.isAdmin() {
			return ss.fail(domain.Errorf(domain.EFORBIDDEN, "Only a workspace admin can send the company roll-up to a channel."), "")
		}
		if err := ss.store.Subscribe(ss.ctx, domain.Subscription{WorkspaceID: ss.ws.ID, Channel: channel, Company: p.has("company"), By: ss.actor.User, At: ss.now}); err != nil {
			return ss.fail(err, exDigest)
		}
		what := "this team's objectives"
		if p.has("company") {
			what = "the company roll-up"
		}
		sch := ss.ws.Settings.Digest
		return Reply{Message: Lines("Subscribed", Text{}.AddChannel(channel, "").Add(fmt.Sprintf(" will get the weekly digest of %s every %s at %s.", what, sch.Weekday, hhmm(sch.Minute))))}
	case "unsubscribe":
		if channel == "" {
			return ss.fail(domain.Invalid("/okr digest unsubscribe #leadership", "Say which channel to unsubscribe."), "")
		}
		ok, err := ss.store.Unsubscribe(ss.ctx, ss.ws.ID, channel)
		if err != nil {
			return ss.fail(err, exDigest)
		}
		if !ok {
			return Reply{Message: Lines("Not subscribed", Text{}.AddChannel(channel, "").Add(" was not getting the digest."))}
		}
		return Reply{Message: Lines("Unsubscribed", Text{}.AddChannel(channel, "").Add(" will no longer get the weekly digest."))}
	case "preview", "":
		scope := DigestScope{Channel: channel, Company: p.has("company") || channel == ""}
		m, err := ss.composeDigest(scope)
		if err != nil {
			return ss.fail(err, "/okr digest preview")
		}
		return Reply{Message: m}
	}
	return ss.fail(domain.Invalid(exDigest, "Use digest subscribe, unsubscribe or preview."), "")
}

func hhmm(minute int) string { return fmt.Sprintf("%02d:%02d", minute/60, minute%60) }
