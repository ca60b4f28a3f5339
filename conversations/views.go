package conversations

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// maxListed bounds /okr list; the rest is summarised.
const maxListed = 30

// list shows objectives: mine (default), a person's, a channel's, or all.
func (ss *session) list(args string) Reply {
	p, err := parseArgs(args, flagSpec{"cycle": true}, exList)
	if err != nil {
		return ss.fail(err, exList)
	}
	f := domain.ObjectiveFilter{}
	if c := p.flags["cycle"]; c != "" {
		if f.Cycle, err = domain.ParseCycle(c); err != nil {
			return ss.fail(err, exList)
		}
	}
	if len(p.words) > 1 {
		return ss.fail(domain.Invalid(exList, "List takes one of: mine, @person, #channel, all."), "")
	}
	who := strings.ToLower(p.word(0))
	var title string
	switch {
	case who == "" || who == "mine" || who == "me":
		f.Person, title = ss.actor.User, "Your objectives"
	case who == "all":
		title = "All objectives"
	default:
		// Labels typed with a mention ("<@U1|label>") are not trusted:
		// names come from the platform, through the store or the directory.
		if id, _, ok := parseUser(p.word(0)); ok {
			f.Person, title = id, ss.name(id)+"'s objectives"
		} else if id, ok, err := ss.channel(p.word(0), exList); ok {
			if err != nil {
				return ss.fail(err, "")
			}
			name := ss.channelName(id)
			if name == "" {
				name = id
			}
			f.Team, title = id, "#"+name+" objectives"
		} else {
			return ss.fail(domain.Invalid(exList, "%q is not mine, all, a @person or a #channel.", clip(p.word(0), 30)), "")
		}
	}
	os, err := ss.store.Objectives(ss.ctx, ss.ws.ID, f)
	if err != nil {
		return ss.fail(err, exList)
	}
	if f.Cycle == "" {
		os = ss.current(os)
		title += " · " + string(domain.CycleOf(ss.now, ss.wsLoc))
	} else {
		title += " · " + string(f.Cycle)
	}
	if len(os) == 0 {
		return Reply{Message: Lines(title+": none", T(title+": none yet. Create one with ").AddCode(ss.cmd("okr")+" create Grow the European market").Add("."))}
	}
	v := ss.newView(os)
	m := &Message{Summary: fmt.Sprintf("%s: %d", title, len(os)), Title: title}
	for i, o := range os {
		if i == maxListed {
			m.Sections = append(m.Sections, Section{Note: T(fmt.Sprintf("…and %d more. Narrow it with @person, #channel or --cycle.", len(os)-maxListed))})
			break
		}
		m.Sections = append(m.Sections, v.objectiveSection(o, true))
	}
	return Reply{Message: m}
}

// current keeps the objectives whose cycle includes now: this quarter's,
// and this half's or year's when a team plans by halves or years.
func (ss *session) current(os []domain.Objective) []domain.Objective {
	return ss.currentAt(os, ss.now)
}

// currentAt keeps the objectives whose cycle includes t.
func (ss *session) currentAt(os []domain.Objective, t time.Time) []domain.Objective {
	out := os[:0:0]
	for _, o := range os {
		if start, end := o.Cycle.Bounds(ss.wsLoc); !t.Before(start) && t.Before(end) {
			out = append(out, o)
		}
	}
	return out
}

// earliestStart is the start of the earliest cycle among os (this quarter's
// when there are none): check-ins since then explain their progress.
func (ss *session) earliestStart(os []domain.Objective) time.Time {
	start, _ := domain.CycleOf(ss.now, ss.wsLoc).Bounds(ss.wsLoc)
	for _, o := range os {
		if s, _ := o.Cycle.Bounds(ss.wsLoc); !s.IsZero() && s.Before(start) {
			start = s
		}
	}
	return start
}

// view holds what rendering objectives needs, fetched once.
type view struct {
	ss       *session
	names    map[string]string
	channels map[string]string            // team channel id -> name from the platform ("" unknown)
	hist     map[string][]domain.Point    // key result ref -> check-in values
	kpi      map[string][]domain.KPIValue // KPI slug -> values, newest first
	judged   map[string]judged            // key result ref -> its assessment
}

// kpiValuesRead bounds the values read per KPI a key result follows: a
// daily KPI over a year, an hourly one over six weeks.
const kpiValuesRead = 1000

// loadKPIValues reads, once each, the values of the KPIs that os's key
// results follow into into (slug -> values, newest first): those since
// since, and the last one before it, the value the KPI stood at then.
func (ss *session) loadKPIValues(os []domain.Objective, since time.Time, into map[string][]domain.KPIValue) error {
	var slugs []string
	for _, o := range os {
		for _, kr := range o.KeyResults {
			if _, ok := into[kr.KPI]; kr.KPI != "" && !ok && !slices.Contains(slugs, kr.KPI) {
				slugs = append(slugs, kr.KPI)
			}
		}
	}
	if len(slugs) == 0 {
		return nil
	}
	vals, err := ss.store.KPIReadings(ss.ctx, ss.ws.ID, slugs, since, kpiValuesRead)
	if err != nil {
		return err
	}
	for _, slug := range slugs {
		into[slug] = vals[slug]
	}
	return nil
}

// following is kr as its status reads it. A key result that follows a KPI
// reads its current value from the KPI's latest value (at or before now:
// a value dated in the future is not the present), while its objective is
// open; a closed objective keeps the value it was closed with.
func (ss *session) following(o domain.Objective, kr domain.KeyResult, kpi []domain.KPIValue) domain.KeyResult {
	if kr.KPI == "" || o.Status == domain.Closed {
		return kr
	}
	for _, v := range kpi { // newest first
		if !v.At.After(ss.now) {
			kr.Current, kr.Measured = v.Value, true
			break
		}
	}
	return kr
}

// judge is the one way a key result is assessed, wherever it is shown
// (list, show, the digest, App Home, the API): from its own check-ins, or,
// when it follows a KPI, from the KPI's values, one per check-in week
// (domain.KPIPoints), the same values /kpi set moves it with.
func (ss *session) judge(o domain.Objective, kr domain.KeyResult, checkins []domain.Point, kpi []domain.KPIValue) (domain.KeyResult, domain.Assessment) {
	kr = ss.following(o, kr, kpi)
	hist := checkins
	if kr.KPI != "" {
		hist = ss.kpiHistory(kpi)
	}
	p := domain.Pace{Cycle: o.Cycle, Location: ss.wsLoc, Now: ss.now, Created: o.CreatedAt}
	return kr, domain.Assess(kr, p, hist)
}

func (ss *session) newView(os []domain.Objective) *view {
	var people, krs []string
	for _, o := range os {
		people = append(people, o.Owner)
		for _, kr := range o.KeyResults {
			people = append(people, kr.Owner)
			krs = append(krs, kr.Ref)
		}
	}
	v := &view{ss: ss, names: ss.names(dedupe(people)), channels: map[string]string{}, hist: map[string][]domain.Point{}, kpi: map[string][]domain.KPIValue{}}
	for _, o := range os {
		if _, ok := v.channels[o.Team]; !ok && o.Team != "" {
			v.channels[o.Team] = ss.channelName(o.Team)
		}
	}
	if len(krs) > 0 {
		start := ss.earliestStart(os)
		if s, _ := os[0].Cycle.Bounds(ss.wsLoc); s.Before(start) {
			start = s
		}
		// From a month before the cycle, or from the earliest key result's
		// creation if that is earlier (one planned ahead): an assessment
		// counts a key result's points from its creation on.
		since := start.AddDate(0, -1, 0)
		for _, o := range os {
			for _, kr := range o.KeyResults {
				if !kr.CreatedAt.IsZero() && kr.CreatedAt.Before(since) {
					since = kr.CreatedAt
				}
			}
		}
		if err := ss.loadKPIValues(os, since, v.kpi); err != nil {
			ss.opt.Log.Warn("kpi values", "err", err)
		}
		// Only the points of each key result's line: a fraction of the
		// cost of reading its check-ins whole.
		if hist, err := ss.store.CheckInPoints(ss.ctx, ss.ws.ID, krs, since); err == nil {
			v.hist = hist
		}
	}
	return v
}

// history turns check-ins into one point per key result and week (the last
// value given that week), oldest first (domain.WeeklyPoints), a few
// thousand check-ins at a time, whole key results each (g groups cs by key
// result): a line depends only on its own key result's check-ins, in their
// order, and a company's half million are never copied at once.
func history(cs []domain.CheckIn, g krGroups) map[string][]domain.Point {
	out := make(map[string][]domain.Point, len(g.krs))
	buf := make([]domain.CheckInPoint, 0, min(len(cs), 4096))
	flush := func() {
		for kr, ps := range domain.WeeklyPoints(buf) {
			out[kr] = ps
		}
		buf = buf[:0]
	}
	for k := range g.krs {
		group := g.order[g.starts[k]:g.starts[k+1]]
		if len(buf) > 0 && len(buf)+len(group) > cap(buf) {
			flush()
		}
		for _, i := range group {
			c := &cs[i]
			buf = append(buf, domain.CheckInPoint{User: c.UserID, KR: c.KR, Week: c.Week, Point: domain.Point{At: c.At, Value: c.Value}})
		}
	}
	if len(buf) > 0 {
		flush()
	}
	return out
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0:0]
	for _, x := range s {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// assess judges kr and returns it as judged (see judge).
func (v *view) assess(o domain.Objective, kr domain.KeyResult) (domain.KeyResult, domain.Assessment) {
	// An objective's roll-up and its key results' lines judge each key
	// result: once, the first time (the view's objectives are the store's,
	// so a ref is one key result as read).
	if j, ok := v.judged[kr.Ref]; ok && j.objective == o.Ref {
		return j.kr, j.a
	}
	kr, a := v.ss.judge(o, kr, v.hist[kr.Ref], v.kpi[kr.KPI])
	if v.judged == nil {
		v.judged = map[string]judged{}
	}
	v.judged[kr.Ref] = judged{o.Ref, kr, a}
	return kr, a
}

// judged is a key result as a view judged it.
type judged struct {
	objective string
	kr        domain.KeyResult
	a         domain.Assessment
}

// objectiveAssessment rolls up its key results: the status is the weakest
// with data, the pace that of its key results' own spans.
func (v *view) objectiveAssessment(o domain.Objective) domain.ObjectiveAssessment {
	as := make([]domain.Assessment, len(o.KeyResults))
	for i, kr := range o.KeyResults {
		_, as[i] = v.assess(o, kr)
	}
	return domain.AssessObjective(o, as)
}

// paceFrom says when a new objective's or key result's pace starts to be
// judged: "new: pace from 9 Dec".
func (v *view) paceFrom(t time.Time) string { return v.ss.paceFrom(t) }

func (ss *session) paceFrom(t time.Time) string {
	return "new: pace from " + t.In(ss.loc).Format("2 Jan")
}

func statusMark(s domain.Status) string {
	switch s {
	case domain.OffTrack:
		return "🔴"
	case domain.AtRisk:
		return "🟡"
	case domain.OnTrack:
		return "🟢"
	case domain.Achieved:
		return "✅"
	}
	return "⚪"
}

// objectiveSection is an objective with its key results, as in /okr list;
// App Home (withInitiatives) lists each key result's initiatives under it.
func (v *view) objectiveSection(o domain.Objective, withKRs bool, withInitiatives ...bool) Section {
	oa := v.objectiveAssessment(o)
	prog, expected := oa.Progress, oa.Expected
	head := Text{}.AddCode(o.Ref).Add(" ").AddB(o.Title)
	line := Text{}.AddBar(prog, expected).Add(fmt.Sprintf(" %d%% · pace %d%%", pct(prog), pct(expected)))
	if !oa.Measured {
		line = Text{}.AddBar(prog, -1).Add(fmt.Sprintf(" %d%% · no key results yet", pct(prog)))
	} else if oa.New {
		// A pace a few days old says nothing yet: say when it starts.
		line = Text{}.AddBar(prog, -1).Add(fmt.Sprintf(" %d%% · %s", pct(prog), v.paceFrom(oa.PaceFrom)))
	}
	if o.Status == domain.Closed {
		g := 0.0
		if o.Grade != nil {
			g = *o.Grade
		}
		line = Text{}.AddBar(prog, -1).Add(fmt.Sprintf(" %d%% · closed, graded %.2f", pct(prog), g))
	} else {
		line = line.Add(" · " + statusMark(oa.Status) + " " + oa.Status.String())
	}
	sec := Section{Heading: head, Lines: []Text{line}}
	for _, kr := range o.KeyResults {
		if !withKRs {
			break
		}
		sec.Lines = append(sec.Lines, v.krLine(o, kr))
		if len(withInitiatives) > 0 && withInitiatives[0] {
			sec.Lines = append(sec.Lines, initiativeLines(kr, initiativesShown, v.ss.cmd("okr"))...)
		}
	}
	note := Text{}.Add(fmt.Sprintf("%s · %s · ", o.Cycle, o.Commitment)).AddUser(o.Owner, v.names[o.Owner])
	if o.Team != "" {
		note = note.Add(" · ").AddChannel(o.Team, v.channels[o.Team])
	}
	if o.Parent != "" {
		note = note.Add(" · aligned to " + o.Parent)
	}
	sec.Note = note
	return sec
}

// krLine is one key result on one line.
func (v *view) krLine(o domain.Objective, kr domain.KeyResult) Text {
	kr, a := v.assess(o, kr)
	t := make(Text, 0, 16).Add("    ").AddCode(kr.Ref).Add(" "+clip(kr.Title, 80)+" — ").AddBar(a.Progress, -1).
		Add(fmt.Sprintf(" %d%%", pct(a.Progress)))
	if kr.Kind != domain.Milestone {
		t = t.Add(" · " + currentOrNone(kr))
	}
	if kr.Confidence > 0 {
		t = t.Add(fmt.Sprintf(" · confidence %d/10", kr.Confidence))
	}
	t = t.Add(" · " + statusMark(a.Status) + " " + a.Label)
	if len(kr.Initiatives) > 0 {
		t = t.Add(" · " + initiativeCount(kr))
	}
	return t.Add(" · ").AddUser(kr.Owner, v.names[kr.Owner])
}

// show is one objective or key result in detail.
func (ss *session) show(args string) Reply {
	toks := tokenize(args)
	if len(toks) != 1 {
		return ss.fail(domain.Invalid(exShow, "Say which objective or key result to show."), "")
	}
	kind, r, err := ref(toks[0].s, "", exShow)
	if err != nil {
		return ss.fail(err, exShow)
	}
	if kind == "KR" {
		return ss.showKR(r)
	}
	o, err := ss.store.Objective(ss.ctx, ss.ws.ID, r)
	if err != nil {
		return ss.fail(err, exShow)
	}
	v := ss.newView([]domain.Objective{o})
	m := &Message{Summary: o.Ref + " " + o.Title, Title: o.Ref + " " + o.Title}
	sec := v.objectiveSection(o, false)
	sec.Heading = nil
	sec.Fields = []Field{
		{"Owner", Text{}.AddUser(o.Owner, v.names[o.Owner])},
		{"Cycle", T(string(o.Cycle))},
		{"Commitment", T(fmt.Sprintf("%s (success: %.1f)", o.Commitment, o.Commitment.Expected()))},
		{"Status", T(string(o.Status))},
	}
	if o.Team != "" {
		sec.Fields = append(sec.Fields, Field{"Team", Text{}.AddChannel(o.Team, v.channels[o.Team])})
	}
	if o.Parent != "" {
		sec.Fields = append(sec.Fields, Field{"Aligned to", T(o.Parent)})
	}
	if o.Grade != nil {
		sec.Fields = append(sec.Fields, Field{"Grade", T(fmt.Sprintf("%.2f %s", *o.Grade, o.GradeNote))})
	}
	sec.Note = nil
	m.Sections = append(m.Sections, sec)
	for _, kr := range o.KeyResults {
		m.Sections = append(m.Sections, v.krSection(o, kr))
	}
	if len(o.KeyResults) == 0 {
		m.Sections = append(m.Sections, Section{Lines: []Text{T("No key results yet: ").AddCode(ss.cmd("okr") + " kr add " + o.Ref + " Increase web leads from 22 to 35 per day")}})
	}
	children, err := ss.store.Objectives(ss.ctx, ss.ws.ID, domain.ObjectiveFilter{})
	if err == nil {
		var aligned []string
		for _, c := range children {
			if c.Parent == o.Ref || o.KeyResult(c.Parent) != nil {
				aligned = append(aligned, c.Ref+" "+clip(c.Title, 40))
			}
		}
		if len(aligned) > 0 {
			m.Sections = append(m.Sections, Section{Note: T("Aligned to it: " + strings.Join(aligned, "; "))})
		}
	}
	if h := ss.historySection(o.History, ""); h != nil {
		m.Sections = append(m.Sections, *h)
	}
	return Reply{Message: m}
}

func (v *view) krSection(o domain.Objective, kr domain.KeyResult) Section {
	kr, a := v.assess(o, kr)
	bar := Text{}.AddBar(a.Progress, a.Expected).Add(fmt.Sprintf(" %d%% · pace %d%% · ", pct(a.Progress), pct(a.Expected)))
	if a.FirstWeek && !kr.Binary() {
		bar = Text{}.AddBar(a.Progress, -1).Add(fmt.Sprintf(" %d%% · %s · ", pct(a.Progress), v.paceFrom(a.PaceFrom)))
	}
	if kr.Binary() {
		bar = Text{}.AddBar(a.Progress, -1).Add(fmt.Sprintf(" %d%% · ", pct(a.Progress)))
	}
	sec := Section{
		Heading: Text{}.AddCode(kr.Ref).Add(" ").AddB(kr.Title),
		Lines:   []Text{bar.Add(statusMark(a.Status) + " " + a.Label + ": " + a.Why)},
		Note:    T(describeKR(kr)).Add(" · owner ").AddUser(kr.Owner, v.names[kr.Owner]),
	}

	var facts []string
	if kr.Confidence > 0 {
		facts = append(facts, fmt.Sprintf("confidence %d/10 (%s)", kr.Confidence, a.Confidence))
	}
	if kr.KPI != "" && !a.LastMeasured.IsZero() {
		facts = append(facts, "last measured "+a.LastMeasured.In(v.ss.loc).Format("2 Jan")+" (KPI "+kr.KPI+")")
	}
	if a.HasProjection {
		facts = append(facts, fmt.Sprintf("projected %d%% at cycle end", pct(a.Projected)))
	}
	if kr.Weight != 1 {
		facts = append(facts, "weight "+domain.FormatNumber(kr.Weight))
	}
	if len(facts) > 0 {
		sec.Lines = append(sec.Lines, T(strings.Join(facts, " · ")))
	}
	if len(kr.Initiatives) > 0 {
		sec.Lines = append(sec.Lines, T(initiativeCount(kr)+":"))
		sec.Lines = append(sec.Lines, initiativeLines(kr, maxInitiatives, v.ss.cmd("okr"))...)
	}
	return sec
}

func (ss *session) showKR(r string) Reply {
	o, err := ss.store.ObjectiveOfKR(ss.ctx, ss.ws.ID, r)
	if err != nil {
		return ss.fail(err, exShow)
	}
	kr := *o.KeyResult(r)
	v := ss.newView([]domain.Objective{o})
	m := &Message{Summary: kr.Ref + " " + kr.Title, Title: kr.Ref + " " + kr.Title}
	sec := v.krSection(o, kr)
	sec.Heading = nil
	m.Sections = append(m.Sections, sec)
	cs, err := ss.store.CheckIns(ss.ctx, ss.ws.ID, domain.CheckInFilter{KRs: []string{r}})
	if err != nil {
		return ss.fail(err, exShow)
	}
	if len(cs) > 0 {
		hist := Section{Heading: B("Check-ins")}
		names := ss.names(dedupe(userIDs(cs)))
		from := max(0, len(cs)-8)
		for _, c := range cs[from:] {
			line := T(fmt.Sprintf("%s · %s · confidence %d/10 · ", c.Week, checkInValue(kr, c), c.Confidence)).AddUser(c.UserID, names[c.UserID])
			if c.Note != "" {
				line = line.Add(" · ").AddI(clip(c.Note, 200))
			}
			hist.Lines = append(hist.Lines, line)
		}
		if from > 0 {
			hist.Note = T(fmt.Sprintf("and %d earlier", from))
		}
		m.Sections = append(m.Sections, hist)
	}
	if h := ss.historySection(o.History, r); h != nil {
		m.Sections = append(m.Sections, *h)
	}
	m.Sections = append(m.Sections, Section{Note: Text{}.Add("In ").AddCode(o.Ref).Add(" " + o.Title)})
	return Reply{Message: m}
}

func userIDs(cs []domain.CheckIn) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.UserID
	}
	return out
}

// kpiHistory is a KPI's values up to now as weekly points, computed once
// per read of them in a session.
func (ss *session) kpiHistory(kpi []domain.KPIValue) []domain.Point {
	var key kpiRead
	if len(kpi) > 0 {
		key = kpiRead{&kpi[0], len(kpi)}
		if h, ok := ss.kpiPoints[key]; ok {
			return h
		}
	}
	var upTo []domain.KPIValue
	for _, v := range kpi {
		if !v.At.After(ss.now) {
			upTo = append(upTo, v)
		}
	}
	h := domain.KPIPoints(upTo, ss.wsLoc, ss.ws.Settings.CheckIn.Weekday)
	if len(kpi) > 0 {
		if ss.kpiPoints == nil {
			ss.kpiPoints = map[kpiRead][]domain.Point{}
		}
		ss.kpiPoints[key] = h
	}
	return h
}
