package conversations

import (
	"context"
	"fmt"
	"math"
	"slices"
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
	// Name is the channel's name for titles and charts ("growth"); when
	// empty it is taken from the channel's subscription.
	Name string
}

// Digest limits, so that a 200-objective company stays within every
// platform's message limits; the rest is summarised as "and N more".
const (
	digestObjectives = 25
	digestAtRisk     = 10
	digestMovers     = 3
	digestPeople     = 30
	digestKPIs       = 12
	digestNotes      = 8 // per kind: blockers, help needed, wins
	digestNoteRunes  = 200
)

// Digest composes the weekly digest of a workspace at now: exactly what a
// subscription with that scope receives. In the first week after a cycle
// ends it opens with that cycle's review.
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

// objState is one objective in the digest.
type objState struct {
	o      *domain.Objective
	a      domain.ObjectiveAssessment
	before float64 // weighted progress at the start of the report week
}

// digestData is what the weekly digest and the review are made of, read
// once from the store.
type digestData struct {
	set   domain.Settings // the team's rhythm (the workspace's for the company)
	loc   *time.Location  // its time zone
	title string          // "Company OKRs", "#growth OKRs"
	file  string          // names its chart's file: "company", "growth", a channel id
	os    []domain.Objective
	cs    []domain.CheckIn
	kpis  []domain.KPI
	tl    *timeline
	// groups are cs by key result (positions), for the timeline and the
	// progress lines.
	groups krGroups
	names  map[string]string
	// week is the check-in week reported on; slot the moment its digest
	// speaks for (domain.DigestSlot), and cycle that moment's cycle: the
	// header names that cycle and a week in it, and the review is due by
	// the slot, so a digest sent late or previewed early says the same.
	week  domain.Week
	slot  time.Time
	cycle domain.Cycle
}

func (ss *session) composeDigest(scope DigestScope) (*Message, error) {
	if !scope.Company && scope.Name == "" {
		scope.Name = ss.channelName(scope.Channel)
	}
	d, err := ss.digestData(scope)
	if err != nil {
		return nil, err
	}
	m, err := ss.weekly(scope, d)
	if err != nil {
		return nil, err
	}
	rev, err := ss.review(scope, d)
	if err != nil || rev == nil {
		return m, err
	}
	// The review comes first; the new cycle's digest follows it, under a
	// heading of its own, with its chart.
	rev.Image = m.Image
	rev.Sections = append(rev.Sections, Section{Heading: B("Now: " + m.Title)})
	rev.Sections = append(rev.Sections, m.Sections...)
	rev.Summary = rev.Summary + " · " + m.Summary
	return rev, nil
}

// subscribedName is a subscribed channel's name, when okrbot was told it.
func (ss *session) subscribedName(channel string) string {
	if channel == "" {
		return ""
	}
	subs, err := ss.store.Subscriptions(ss.ctx, ss.ws.ID)
	if err != nil {
		return ""
	}
	for _, s := range subs {
		if s.Channel == channel {
			return s.Name
		}
	}
	return ""
}

func (ss *session) digestData(scope DigestScope) (*digestData, error) {
	d := &digestData{set: ss.ws.Settings, title: "Company OKRs", file: "company"}
	// A team's digest counts weeks as its team does (see personal).
	if !scope.Company {
		teams, err := ss.teamSettings(ss.ctx, ss.ws.ID)
		if err != nil {
			return nil, err
		}
		d.set, _ = personal(ss.ws, teams, scope.Channel, "")
		d.title, d.file = "Team OKRs", fileWord(scope.Channel)
		if scope.Name != "" {
			d.title, d.file = "#"+scope.Name+" OKRs", fileWord(scope.Name)
		}
	}
	d.loc = loadLocation(d.set.TimeZone)
	// The week reported on is the latest check-in week: Monday's digest
	// speaks of last Friday's check-ins.
	d.week = domain.CheckInWeek(ss.now, d.loc, d.set.CheckIn.Weekday)
	d.slot = domain.DigestSlot(d.week, d.set, d.loc)
	d.cycle = domain.CycleOf(d.slot, ss.wsLoc)
	f := domain.ObjectiveFilter{Statuses: []domain.ObjectiveStatus{domain.Active}}
	if !scope.Company {
		f.Team = scope.Channel
	}
	os, err := ss.store.Objectives(ss.ctx, ss.ws.ID, f)
	if err != nil {
		return nil, err
	}
	d.os = ss.currentAt(os, d.slot)
	// Check-ins since the earliest cycle start, and a quarter before it for
	// the review of the cycle that just ended.
	since := ss.earliestStart(d.os).AddDate(0, -4, 0)
	cf := domain.CheckInFilter{Since: since}
	if !scope.Company {
		// A team's digest reads its own key results' check-ins only (of
		// every objective of the team, for the review): its cost follows
		// the team, not the workspace.
		all, err := ss.store.Objectives(ss.ctx, ss.ws.ID, domain.ObjectiveFilter{Team: scope.Channel})
		if err != nil {
			return nil, err
		}
		cf.KRs = []string{}
		for _, o := range all {
			for _, kr := range o.KeyResults {
				cf.KRs = append(cf.KRs, kr.Ref)
			}
		}
	}
	if cf.KRs == nil || len(cf.KRs) > 0 {
		if d.cs, err = ss.store.CheckIns(ss.ctx, ss.ws.ID, cf); err != nil {
			return nil, err
		}
	}
	if d.kpis, err = ss.store.KPIs(ss.ctx, ss.ws.ID); err != nil {
		return nil, err
	}
	d.groups = groupByKR(d.cs)
	d.tl = newTimeline(d.cs, d.groups)
	d.tl.since = since
	return d, nil
}

// weekly is the digest of the current cycle's active objectives.
func (ss *session) weekly(scope DigestScope, d *digestData) (*Message, error) {
	cycle, week := d.cycle, d.week
	weekStart := week.Start(d.loc)
	cycleWeek := fmt.Sprintf("%s · week %d", cycle, domain.CycleWeek(cycle, ss.wsLoc, d.slot))
	os := d.os
	if err := d.tl.loadKPIs(ss, os); err != nil {
		return nil, err
	}
	hist := history(d.cs, d.groups)
	// The chart's line is the fraction of the cycle elapsed; every
	// objective has its own pace, and the headline rolls those up.
	elapsed := cycle.Elapsed(ss.now, ss.wsLoc)

	// Assess every key result once; roll them up into their objectives.
	var krs []krState
	objs := make([]objState, len(os))
	for i := range os {
		o := &os[i]
		as := make([]domain.Assessment, len(o.KeyResults))
		var wb, wsum float64
		for j, kr := range o.KeyResults {
			kr, as[j] = ss.judge(*o, kr, hist[kr.Ref], d.tl.kpi[kr.KPI])
			b := d.tl.progressAt(kr, weekStart)
			krs = append(krs, krState{o: o, kr: kr, a: as[j], before: b})
			w := weight(kr)
			wb += w * b
			wsum += w
		}
		objs[i] = objState{o: o, a: domain.AssessObjective(*o, as)}
		if wsum > 0 {
			objs[i].before = wb / wsum
		}
	}
	people := map[string]bool{}
	for _, k := range krs {
		people[k.kr.Owner] = true
	}
	ids := keys(people)
	for _, o := range os {
		ids = append(ids, o.Owner)
	}
	notes, err := ss.store.WeekNotes(ss.ctx, ss.ws.ID, week)
	if err != nil {
		return nil, err
	}
	kept := notes[:0:0]
	for _, n := range notes {
		if !n.Empty() && (scope.Company || people[n.UserID]) {
			kept = append(kept, n)
			ids = append(ids, n.UserID)
		}
	}
	notes = kept
	names := ss.names(dedupe(ids))
	d.names = names

	m := &Message{Title: d.title + " · " + cycleWeek}
	if !scope.Company {
		m.Sections = append(m.Sections, Section{Note: Text{}.Add("Objectives of ").AddChannel(scope.Channel, scope.Name)})
	}
	if len(os) == 0 {
		m.Summary = m.Title + ": no active objectives"
		m.Sections = append(m.Sections, Section{Lines: []Text{T("No active objectives this cycle. Create one: ").AddCode(ss.cmd("okr") + " create Grow the European market")}})
		return m, nil
	}

	// At risk first: off track, then red confidence, then the rest.
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

	// Objectives, weakest first, those without data last.
	sorted := append([]objState(nil), objs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].a.Status.Rank() < sorted[j].a.Status.Rank() })
	oas := make([]domain.ObjectiveAssessment, len(objs))
	newOnes := 0
	for i, o := range objs {
		oas[i] = o.a
	}
	total, pace, counted := domain.RollUp(oas)
	var paceFrom time.Time // when the first of them leaves its first week
	measured := 0
	for _, o := range objs {
		if !o.a.Measured {
			continue
		}
		measured++
		if o.a.New {
			newOnes++
			if paceFrom.IsZero() || o.a.PaceFrom.Before(paceFrom) {
				paceFrom = o.a.PaceFrom
			}
		}
	}
	head := fmt.Sprintf("Objectives (%d) · %d%% · pace %d%%", len(os), pct(total), pct(pace))
	switch {
	case counted == 0:
		head = fmt.Sprintf("Objectives (%d) · no key results yet", len(os))
	case newOnes == measured:
		head = fmt.Sprintf("Objectives (%d) · %d%% · %s", len(os), pct(total), ss.paceFrom(paceFrom))
	case newOnes > 0:
		head += fmt.Sprintf(" (%d new this week not counted yet)", newOnes)
	}
	sec := Section{Heading: B(head)}
	for i, os := range sorted {
		if i == digestObjectives {
			sec.Note = T(fmt.Sprintf("…and %d more objectives: ", len(sorted)-digestObjectives)).AddCode(ss.cmd("okr") + " list all")
			break
		}
		o := os.o
		since := change(os.a.Progress-os.before) + " since last week"
		if o.CreatedAt.After(weekStart) {
			since = "new this week"
		}
		tick := os.a.Expected
		if os.a.New || !os.a.Measured {
			tick = -1 // a pace of a few days says nothing yet
		}
		line := Text{}.AddCode(o.Ref).Add(" "+clip(o.Title, 60)+" ").AddBar(os.a.Progress, tick).
			Add(fmt.Sprintf(" %d%% (%s) · %s %s · ", pct(os.a.Progress), since, statusMark(os.a.Status), os.a.Status))
		if done, n := objectiveInitiatives(*o); n > 0 {
			line = line.Add(countDone(done, n) + " · ")
		}
		sec.Lines = append(sec.Lines, line.AddUser(o.Owner, names[o.Owner]))
	}
	m.Sections = append(m.Sections, sec)

	// The week's notes: blockers first, then help needed, then wins.
	if ns := notesSection(notes, names); len(ns.Lines) > 0 {
		m.Sections = append(m.Sections, ns)
	}

	// Biggest movers since last week; a milestone or a stay key result
	// flips between 0 and 100 % and is no mover.
	var movers []krState
	for _, k := range krs {
		if !k.kr.Binary() && math.Abs(k.a.Progress-k.before) >= 0.005 {
			movers = append(movers, k)
		}
	}
	sort.SliceStable(movers, func(i, j int) bool {
		return math.Abs(movers[i].a.Progress-movers[i].before) > math.Abs(movers[j].a.Progress-movers[j].before)
	})
	if len(movers) > 0 {
		mv := Section{Heading: B("Biggest movers")}
		for _, k := range movers[:min(len(movers), digestMovers)] {
			mv.Lines = append(mv.Lines, Text{}.AddCode(k.kr.Ref).Add(" "+clip(k.kr.Title, 60)+" "+change(k.a.Progress-k.before)+" → "+fmt.Sprintf("%d%%", pct(k.a.Progress))))
		}
		m.Sections = append(m.Sections, mv)
	}

	// Check-in completion.
	// Only check-ins of this week on the key results shown count: a
	// check-in on the last cycle's is not one on this cycle's.
	shown := map[string]bool{}
	for _, k := range krs {
		shown[k.kr.Ref] = true
	}
	checked := map[string]bool{}
	for _, c := range d.cs {
		if c.Week == week && shown[c.KR] {
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
	kpis := d.kpis
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

	paceSaid := fmt.Sprintf("pace %d%%", pct(pace))
	if measured > 0 && newOnes == measured {
		paceSaid = ss.paceFrom(paceFrom)
	}
	m.Summary = fmt.Sprintf("%s, %s: %d objectives at %d%% (%s), %d key results at risk, %d of %d checked in",
		strings.TrimSuffix(d.title, " OKRs"), cycleWeek, len(os), pct(total), paceSaid, len(risky), done, len(people)-len(gone))

	img, err := ss.chart(m.Title, elapsed, sorted, ss.trend(d, os, cycle, total, pace))
	if err != nil {
		ss.opt.Log.Warn("digest chart", "err", err)
	} else if img != nil {
		m.Image = &Image{PNG: img, Alt: "Progress of each objective against its pace, with last week's value marked, and the cycle's trend against the expected line", Title: m.Title, Name: "okr-digest-" + d.file + "-" + string(week) + ".png"}
	}
	return m, nil
}

func weight(kr domain.KeyResult) float64 {
	if kr.Weight <= 0 {
		return 1
	}
	return kr.Weight
}

// notesSection lists the week's notes: blockers, help needed, wins, then
// notes written before the form asked for the three apart.
func notesSection(notes []domain.WeekNote, names map[string]string) Section {
	sec := Section{Heading: B("This week's notes")}
	kinds := []struct {
		mark string
		get  func(domain.WeekNote) string
	}{
		{"🚧 Blocker", func(n domain.WeekNote) string { return n.Blockers }},
		{"🙋 Help needed", func(n domain.WeekNote) string { return n.Help }},
		{"🏆 Win", func(n domain.WeekNote) string { return n.Wins }},
		{"📝 Note", func(n domain.WeekNote) string { return n.Note }},
	}
	more := 0
	for _, k := range kinds {
		shown := 0
		for _, n := range notes {
			v := strings.Join(strings.Fields(k.get(n)), " ")
			if v == "" {
				continue
			}
			if shown == digestNotes {
				more++
				continue
			}
			shown++
			sec.Lines = append(sec.Lines, T(k.mark+" · ").AddUser(n.UserID, names[n.UserID]).Add(": ").AddI(clip(v, digestNoteRunes)))
		}
	}
	if more > 0 {
		sec.Note = T(fmt.Sprintf("…and %d more notes", more))
	}
	return sec
}

func (ss *session) chart(title string, pace float64, os []objState, trend *chart.Trend) ([]byte, error) {
	if ss.opt.Chart == nil {
		return nil, nil
	}
	c := chart.Chart{Title: title, Pace: pace, Trend: trend}
	for _, o := range os {
		c.Bars = append(c.Bars, chart.Bar{
			Label: o.o.Ref + " " + o.o.Title, Progress: o.a.Progress, Status: o.a.Status.String(),
			Previous: o.before, HasPrevious: true, Expected: o.a.Expected, HasExpected: !o.a.New && o.a.Measured,
		})
	}
	return ss.opt.Chart(c)
}

// trend is the burn-up of os over the cycle's check-in weeks: at the close
// of each week, the roll-up (domain.RollUp, as the digest's headline) of
// the objectives as they stood then, from the key results that existed
// then; its last point is the headline itself (progress and pace now).
func (ss *session) trend(d *digestData, os []domain.Objective, cycle domain.Cycle, progressNow, paceNow float64) *chart.Trend {
	start, end := cycle.Bounds(ss.wsLoc)
	if start.IsZero() || len(os) == 0 {
		return nil
	}
	t := &chart.Trend{Title: "Progress over " + string(cycle) + " against the expected line", Start: start, End: end}
	// The moments drawn: the start, each check-in week's close so far, the
	// end. Each key result's progress at all of them is read first, its
	// check-ins walked once (progressesAt): a company's digest draws 40,000
	// key results at some fifteen moments.
	moments := []time.Time{start}
	for _, w := range domain.CheckInWeeks(start, end, d.loc, d.set.CheckIn) {
		_, _, closes := domain.CheckInWindow(w, d.loc, d.set)
		if !closes.Before(ss.now) {
			break
		}
		moments = append(moments, closes)
	}
	moments = append(moments, end)
	m, n := len(moments), 0
	for _, o := range os {
		n += len(o.KeyResults)
	}
	progress := make([]float64, n*m) // key result k at moment i: progress[k*m+i]
	k := 0
	for _, o := range os {
		for _, kr := range o.KeyResults {
			d.tl.progressesAt(kr, moments, progress[k*m:(k+1)*m])
			k++
		}
	}
	at := func(i int, actual bool) {
		moment := moments[i]
		oas := make([]domain.ObjectiveAssessment, 0, len(os))
		k := 0
		for _, o := range os {
			var as []domain.Assessment
			then := o
			then.KeyResults = nil
			for _, kr := range o.KeyResults {
				pr := progress[k*m+i]
				k++
				p := domain.Pace{Cycle: o.Cycle, Location: ss.wsLoc, Now: moment, Created: o.CreatedAt}
				since, exp := domain.PaceOf(kr, p)
				if since.After(moment) {
					continue // not there yet
				}
				then.KeyResults = append(then.KeyResults, kr)
				as = append(as, domain.Assessment{Progress: pr, Expected: exp, Since: since,
					FirstWeek: moment.Before(since.Add(domain.DefaultGrace)), PaceFrom: since.Add(domain.DefaultGrace)})
			}
			oas = append(oas, domain.AssessObjective(then, as))
		}
		prog, exp, n := domain.RollUp(oas)
		pt := chart.TrendPoint{At: moment, Actual: math.NaN()}
		if n > 0 {
			pt.Expected = exp
			if actual {
				pt.Actual = prog
			}
		}
		t.Points = append(t.Points, pt)
	}
	for i := range m - 1 {
		at(i, true)
	}
	if ss.now.Before(end) {
		// Now is the headline, computed once.
		t.Points = append(t.Points, chart.TrendPoint{At: ss.now, Actual: progressNow, Expected: paceNow})
	}
	at(m-1, !ss.now.Before(end))
	return t
}

// timeline answers "what was this key result's progress at t?" from its
// check-ins and its KPI's values.
type timeline struct {
	byKR  map[string][]mark // oldest first
	kpi   map[string][]domain.KPIValue
	since time.Time // the check-ins' and the KPI values' read start from here
}

// mark is what a check-in tells of its key result's progress: a company's
// digest keeps half a million of them, so only what progressAt reads.
type mark struct {
	at    time.Time
	value float64
	done  bool
}

func newTimeline(cs []domain.CheckIn, g krGroups) *timeline {
	tl := &timeline{byKR: make(map[string][]mark, len(g.krs)), kpi: map[string][]domain.KPIValue{}}
	// One array for every key result's marks, in their groups.
	all := make([]mark, len(g.order))
	for j, i := range g.order {
		all[j] = mark{at: cs[i].At, value: cs[i].Value, done: cs[i].Done}
	}
	for k, kr := range g.krs {
		l := all[g.starts[k]:g.starts[k+1]:g.starts[k+1]]
		// The store returns check-ins oldest first, so each list is
		// already in order; the sort is for a list that is not.
		if !slices.IsSortedFunc(l, func(a, b mark) int { return a.at.Compare(b.at) }) {
			slices.SortStableFunc(l, func(a, b mark) int { return a.at.Compare(b.at) })
		}
		tl.byKR[kr] = l
	}
	return tl
}

// krGroups are the positions of check-ins grouped by key result, each
// group in the check-ins' own order: the timeline and the progress lines
// are made from them without a copy of half a million check-ins each.
type krGroups struct {
	krs    []string
	starts []int32 // group k is order[starts[k]:starts[k+1]]
	order  []int32
}

func groupByKR(cs []domain.CheckIn) krGroups {
	num := map[string]int32{}
	var g krGroups
	var counts []int32
	of := make([]int32, len(cs))
	for i := range cs {
		k, ok := num[cs[i].KR]
		if !ok {
			k = int32(len(g.krs))
			num[cs[i].KR] = k
			g.krs = append(g.krs, cs[i].KR)
			counts = append(counts, 0)
		}
		of[i] = k
		counts[k]++
	}
	g.starts = make([]int32, len(counts)+1)
	for k, n := range counts {
		g.starts[k+1] = g.starts[k] + n
	}
	next := counts[:0:0]
	next = append(next, g.starts[:len(counts)]...)
	g.order = make([]int32, len(cs))
	for i, k := range of {
		g.order[next[k]] = int32(i)
		next[k]++
	}
	return g
}

// loadKPIs reads the values of the KPIs that os's key results follow, once each.
func (tl *timeline) loadKPIs(ss *session, os []domain.Objective) error {
	return ss.loadKPIValues(os, tl.since, tl.kpi)
}

// progressAt is kr's progress from what was recorded before t.
func (tl *timeline) progressAt(kr domain.KeyResult, t time.Time) float64 {
	var out [1]float64
	tl.progressesAt(kr, []time.Time{t}, out[:])
	return out[0]
}

// progressesAt sets out[i] to kr's progress from what was recorded before
// moments[i], walking kr's check-ins once when the moments are in order.
func (tl *timeline) progressesAt(kr domain.KeyResult, moments []time.Time, out []float64) {
	marks := tl.byKR[kr.Ref]
	var vals []domain.KPIValue
	if kr.KPI != "" {
		vals = tl.kpi[kr.KPI] // newest first
	}
	then := kr
	then.Current, then.Measured, then.Done = kr.Start, false, false
	j := 0
	for i, t := range moments {
		if i > 0 && t.Before(moments[i-1]) {
			// Out of order: start over from the first check-in.
			then.Current, then.Measured, then.Done = kr.Start, false, false
			j = 0
		}
		for ; j < len(marks) && marks[j].at.Before(t); j++ {
			then.Current, then.Measured, then.Done = marks[j].value, true, marks[j].done
		}
		at := then
		for _, v := range vals {
			if v.At.Before(t) {
				at.Current, at.Measured = v.Value, true
				break
			}
		}
		out[i] = at.Progress()
	}
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

// riskLine says which key result is at risk and why, in words.
func riskLine(k krState, names map[string]string) Text {
	return Text{}.Add(statusMark(k.a.Status)+" ").AddCode(k.kr.Ref).Add(" "+clip(k.kr.Title, 60)+" — "+k.a.Label+": "+k.a.Why+" · ").
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
	channel, name := ss.actor.Channel, ss.actor.ChannelName
	if w := p.word(0); w != "" {
		id, ok, err := ss.channel(w, exDigest)
		if err != nil {
			return ss.fail(err, "")
		}
		if !ok {
			return ss.fail(domain.Invalid(exDigest, "%q is not a channel; use #channel.", clip(w, 30)), "")
		}
		_, name, _ = parseChannel(w) // the name Slack's mention shows, or the one typed
		if typed := strings.TrimPrefix(w, "#"); !strings.HasPrefix(w, "<#") && id != typed {
			name = typed // found by that name
		}
		channel = id
	}
	switch strings.ToLower(verb) {
	case "subscribe":
		return ss.subscribe(channel, name, p.has("company"))
	case "unsubscribe":
		return ss.unsubscribe(channel)
	case "preview", "":
		// A subscribed channel previews exactly what its subscription
		// receives: the company roll-up for a --company one.
		scope := DigestScope{Channel: channel, Name: name, Company: p.has("company") || channel == ""}
		subs, err := ss.store.Subscriptions(ss.ctx, ss.ws.ID)
		if err != nil {
			return ss.fail(err, "/okr digest preview")
		}
		for _, sub := range subs {
			if sub.Channel == channel && channel != "" {
				scope.Company = sub.Company || p.has("company")
				if sub.Name != "" {
					scope.Name = sub.Name
				}
			}
		}
		m, err := ss.composeDigest(scope)
		if err != nil {
			return ss.fail(err, "/okr digest preview")
		}
		return Reply{Message: m}
	}
	return ss.fail(domain.Invalid(exDigest, "Use digest subscribe, unsubscribe or preview."), "")
}

func hhmm(minute int) string { return fmt.Sprintf("%02d:%02d", minute/60, minute%60) }

// fileWord is s as one word of a file name: lower-case letters, digits
// and hyphens ("team" when nothing is left). Each digest's chart file has
// its own name, so that the team's and the company's are two files.
func fileWord(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	if w := strings.TrimSuffix(b.String(), "-"); w != "" {
		return w
	}
	return "team"
}
