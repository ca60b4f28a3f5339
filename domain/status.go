package domain

import (
	"fmt"
	"sort"
	"time"
)

// Status is how a key result or objective stands, from worst to best, with
// StatusNone for "no data yet": nothing to judge, which is not a weakness.
type Status int

// Statuses in order of increasing health.
const (
	StatusNone Status = iota
	OffTrack
	AtRisk
	OnTrack
	Achieved
)

// String returns the status as people read it; the chart colours bars by it.
func (s Status) String() string {
	switch s {
	case OffTrack:
		return "off track"
	case AtRisk:
		return "at risk"
	case OnTrack:
		return "on track"
	case Achieved:
		return "done"
	}
	return "no data"
}

// Rank orders statuses for lists that put trouble first: off track, at
// risk, on track, done, and "no data" last (it is unknown, not bad).
func (s Status) Rank() int {
	switch s {
	case OffTrack:
		return 0
	case AtRisk:
		return 1
	case OnTrack:
		return 2
	case Achieved:
		return 3
	}
	return 4
}

// Weakest returns the worst status among those with data. "No data" does
// not count as weak: an objective with one key result off track and one
// without data yet is off track, and one whose key results all lack data
// is StatusNone.
func Weakest(statuses ...Status) Status {
	w := StatusNone
	for _, s := range statuses {
		if s != StatusNone && (w == StatusNone || s < w) {
			w = s
		}
	}
	return w
}

// DefaultGrace is how long a key result may go without its first check-in
// before that counts against it: one check-in week, which always holds one
// check-in day.
const DefaultGrace = 7 * 24 * time.Hour

// Pace holds what assessing a key result needs besides the key result itself.
type Pace struct {
	Cycle        Cycle
	Location     *time.Location
	Now          time.Time
	BehindFactor float64       // DefaultBehindFactor when 0
	Grace        time.Duration // DefaultGrace when 0
	// Created stands in for the key result's creation time when it has
	// none (key results stored before they recorded it): the objective's.
	Created time.Time
}

// Assessment is everything the digest and the status views say about a key result.
type Assessment struct {
	Progress float64
	// Expected is the pace: the fraction of the key result's own span
	// elapsed, from Since (the later of the cycle start and its creation)
	// to the cycle end.
	Expected      float64
	Since         time.Time
	Behind        bool
	Projected     float64 // projected progress at cycle end, from its own check-ins
	HasProjection bool
	Mismatch      bool
	Confidence    Band
	// CheckedIn: it has data of its own: a check-in, or, when it follows a
	// KPI, a value of that KPI.
	CheckedIn bool
	// FirstWeek: its span began less than the grace ago; its pace says
	// nothing yet (0 % on the day it was added) and is not judged.
	FirstWeek bool
	PaceFrom  time.Time // when the first week ends
	// LastMeasured is when its latest value was taken (its KPI's latest
	// value, for one that follows a KPI); zero when it has none.
	LastMeasured time.Time
	Status       Status
	// Label is the status in the key result's own terms: "holding" or
	// "breached" for a stay key result, "no data yet" before any data,
	// else Status.String().
	Label string
	// Why says, in words a reader understands, what the status rests on:
	// "2.3% is above the 2% limit".
	Why string
	// Held and Weeks count, for a stay key result, the check-in weeks in
	// which it held and all its measured check-in weeks.
	Held, Weeks int
}

// AtRisk reports whether the key result belongs in the digest's at-risk list.
func (a Assessment) AtRisk() bool { return a.Status == OffTrack || a.Status == AtRisk }

// Assess judges a key result. history holds its check-in values (one per
// check-in week), in any order; only those from its creation on count.
// The rules, in order (docs/product.md, "Status"):
//   - pace runs from the later of the cycle start and the key result's
//     creation to the cycle end;
//   - before its first check-in a key result has "no data yet" for a grace
//     of one check-in week, then it is at risk for want of a check-in;
//   - a milestone is judged by done-ness and confidence, never by pace;
//   - a stay key result is "holding" or "breached" by its latest value;
//   - a number is done at its target, off track with red confidence, at
//     risk when behind 0.8 × pace (after its first week), when confidence and projection disagree
//     or with yellow confidence, else on track.
func Assess(kr KeyResult, p Pace, history []Point) Assessment {
	start, end, created := p.span(kr)
	since, expected := PaceOf(kr, p)
	grace := p.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	pts := make([]Point, 0, len(history))
	for _, pt := range history {
		if created.IsZero() || !pt.At.Before(created) {
			pts = append(pts, pt)
		}
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].At.Before(pts[j].At) })

	a := Assessment{
		Progress:   kr.Progress(),
		Since:      since,
		Expected:   expected,
		Confidence: ConfidenceBand(kr.Confidence),
		// A key result that follows a KPI has data as soon as its KPI has a
		// value: that value is its current one (see KPIPoints).
		CheckedIn: len(pts) > 0 || kr.Confidence > 0 || (kr.KPI != "" && kr.Measured),
	}
	for _, pt := range history {
		if pt.At.After(a.LastMeasured) {
			a.LastMeasured = pt.At
		}
	}
	inGrace := p.Now.Before(since.Add(grace))
	a.FirstWeek, a.PaceFrom = inGrace, since.Add(grace)
	// Without data, say what is missing: a check-in, or the KPI's value.
	noData, noDataFor := "no check-in yet", "no check-in "
	if kr.KPI != "" {
		noData, noDataFor = "no value of KPI "+kr.KPI+" yet", "no value of KPI "+kr.KPI+" "
	}
	ended := !end.IsZero() && !p.Now.Before(end)
	conf := fmt.Sprintf("confidence %d/10", kr.Confidence)
	v := func(x float64) string { return FormatValue(x, kr.Unit) }
	set := func(s Status, why string) { a.Status, a.Why = s, why }

	switch kr.Kind {
	case Milestone:
		switch {
		case kr.Done:
			set(Achieved, "done")
		case ended:
			set(OffTrack, "not done when the cycle ended")
		case !a.CheckedIn && inGrace:
			set(StatusNone, noData)
		case !a.CheckedIn:
			set(AtRisk, noDataFor+waited(p.Now, since, start))
		case a.Confidence == BandRed:
			set(OffTrack, "not done yet; "+conf)
		case a.Confidence == BandYellow:
			set(AtRisk, "not done yet; "+conf)
		default:
			set(OnTrack, "not done yet; "+conf)
		}

	case StayAbove, StayBelow:
		for _, pt := range pts {
			a.Weeks++
			if holds(kr.Kind, kr.Target, pt.Value) {
				a.Held++
			}
		}
		switch {
		case !kr.Measured && inGrace && kr.KPI != "":
			set(StatusNone, noData)
		case !kr.Measured && inGrace:
			set(StatusNone, "not measured yet")
		case !kr.Measured && kr.KPI != "":
			set(AtRisk, noDataFor+waited(p.Now, since, start))
		case !kr.Measured:
			set(AtRisk, "not measured "+waited(p.Now, since, start))
		case !holds(kr.Kind, kr.Target, kr.Current):
			set(OffTrack, stayPhrase(kr, v)+heldPhrase(a.Held, a.Weeks))
			a.Label = "breached"
		case a.Confidence == BandRed:
			set(AtRisk, stayPhrase(kr, v)+", but "+conf)
			a.Label = "holding"
		default:
			set(OnTrack, stayPhrase(kr, v)+heldPhrase(a.Held, a.Weeks))
			a.Label = "holding"
		}

	default:
		if len(pts) >= 2 {
			if x, ok := Project(pts, end); ok {
				a.Projected = progressAt(kr.Kind, kr.Start, kr.Target, x, true, false)
				a.HasProjection = true
				a.Mismatch = Mismatch(kr.Confidence, a.Projected)
			}
		}
		// The first check-in week is for getting started: a few hours into
		// a key result's span, any progress short of a sliver is "behind".
		a.Behind = a.CheckedIn && !inGrace && Behind(a.Progress, a.Expected, p.BehindFactor)
		way := fmt.Sprintf("at %s, %d%% of the way from %s to %s; %d%% expected by now",
			v(kr.Current), percent(a.Progress), v(kr.Start), v(kr.Target), percent(a.Expected))
		if inGrace {
			// A pace a few days old says nothing yet (0 % on the day it
			// was added): the first week is not judged against it.
			way = fmt.Sprintf("at %s, %d%% of the way from %s to %s; its first week, not judged against pace yet",
				v(kr.Current), percent(a.Progress), v(kr.Start), v(kr.Target))
		}
		switch {
		case a.Progress >= 1:
			set(Achieved, fmt.Sprintf("%s reached the target of %s", v(kr.Current), v(kr.Target)))
		case ended:
			set(OffTrack, fmt.Sprintf("the cycle ended at %s, %d%% of the way to %s", v(kr.Current), percent(a.Progress), v(kr.Target)))
		case !a.CheckedIn && inGrace:
			set(StatusNone, noData)
		case !a.CheckedIn:
			set(AtRisk, noDataFor+waited(p.Now, since, start))
		case a.Confidence == BandRed:
			set(OffTrack, conf+"; "+way)
		case a.Mismatch:
			set(AtRisk, fmt.Sprintf("%s, but at this rate it ends near %d%% of the way", conf, percent(a.Projected)))
		case a.Behind:
			set(AtRisk, way)
		case a.Confidence == BandYellow:
			set(AtRisk, conf+"; "+way)
		default:
			set(OnTrack, way)
		}
	}
	if a.Label == "" {
		a.Label = a.Status.String()
		if a.Status == StatusNone {
			a.Label = "no data yet"
		}
	}
	return a
}

// KPIPoints is the history of a key result that follows a KPI, from the
// KPI's values (in any order): one point per check-in week (weeks starting
// on day in loc), its latest value, oldest first. A KPI measured daily
// thus counts weeks held, and projects, as weekly check-ins do.
func KPIPoints(vals []KPIValue, loc *time.Location, day time.Weekday) []Point {
	if loc == nil {
		loc = time.UTC
	}
	// The weekly points of check-ins, the KPI's values standing for them.
	ps := make([]CheckInPoint, len(vals))
	for i, v := range vals {
		ps[i] = CheckInPoint{Week: CheckInWeek(v.At, loc, day), Point: Point{At: v.At, Value: v.Value}}
	}
	return WeeklyPoints(ps)[""]
}

// PaceOf is a key result's pace at p.Now: the fraction of its own span
// elapsed, from since (the later of the cycle start and its creation) to
// the cycle end. Assess uses it; so do the digest's roll-ups and trend.
func PaceOf(kr KeyResult, p Pace) (since time.Time, expected float64) {
	start, end, created := p.span(kr)
	since = start
	if created.After(since) {
		since = created
	}
	return since, spanElapsed(since, end, p.Now)
}

// span returns the cycle's bounds in p's time zone and kr's creation (the
// objective's when kr has none recorded).
func (p Pace) span(kr KeyResult) (start, end, created time.Time) {
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	start, end = p.Cycle.Bounds(loc)
	created = kr.CreatedAt
	if created.IsZero() {
		created = p.Created
	}
	return start, end, created
}

// spanElapsed is the fraction of [from, end) passed at now, in [0, 1].
func spanElapsed(from, end, now time.Time) float64 {
	if from.IsZero() || end.IsZero() {
		return 0
	}
	if !end.After(from) {
		return 1
	}
	return clamp01(float64(now.Sub(from)) / float64(end.Sub(from)))
}

func percent(x float64) int { return int(x*100 + 0.5) }

// waited says how long a key result has gone without data: "in the 12
// days since it was added".
func waited(now, since, cycleStart time.Time) string {
	days := int(now.Sub(since).Hours() / 24)
	what := "since it was added"
	if !since.After(cycleStart) {
		what = "since the cycle began"
	}
	if days == 1 {
		return "in the 1 day " + what
	}
	return fmt.Sprintf("in the %d days %s", days, what)
}

// stayPhrase compares a stay key result's latest value with its limit:
// "2.3% is above the 2% limit", "45 is above the minimum of 40".
func stayPhrase(kr KeyResult, v func(float64) string) string {
	cur, lim := v(kr.Current), v(kr.Target)
	switch {
	case kr.Current == kr.Target && kr.Kind == StayBelow:
		return fmt.Sprintf("%s is at the %s limit", cur, lim)
	case kr.Current == kr.Target:
		return fmt.Sprintf("%s is at the minimum of %s", cur, lim)
	case kr.Kind == StayBelow && kr.Current < kr.Target:
		return fmt.Sprintf("%s is under the %s limit", cur, lim)
	case kr.Kind == StayBelow:
		return fmt.Sprintf("%s is above the %s limit", cur, lim)
	case kr.Current > kr.Target:
		return fmt.Sprintf("%s is above the minimum of %s", cur, lim)
	}
	return fmt.Sprintf("%s is below the minimum of %s", cur, lim)
}

func heldPhrase(held, weeks int) string {
	if weeks == 0 {
		return ""
	}
	unit := "weeks"
	if weeks == 1 {
		unit = "week"
	}
	return fmt.Sprintf("; held %d of %d %s", held, weeks, unit)
}

// ObjectiveAssessment is how an objective stands, from its key results'.
type ObjectiveAssessment struct {
	Progress float64 // weight-averaged progress
	Expected float64 // weight-averaged pace of its key results
	Status   Status  // its weakest key result's, "no data" not counted
	// New: every key result is in its first week (FirstWeek), so its pace
	// says nothing yet; PaceFrom is when the first of them leaves it.
	New      bool
	PaceFrom time.Time
	// Measured: it has key results to average (an objective without any
	// has nothing to roll up).
	Measured bool
}

// RollUp is the headline of a set of objectives (a digest, its chart and
// each point of its trend use this one function): the mean of their
// progress and the mean of their pace, over the same objectives, so the
// two compare. An objective in its first week (New) is left out while
// others are judged: added today, its 0 % expected would pull the pace
// down as if the others were ahead; it joins after its first week. When
// every objective is new (a cycle's first days), all count. Objectives
// without key results do not count. counted is how many did.
func RollUp(os []ObjectiveAssessment) (progress, expected float64, counted int) {
	judged := 0
	for _, o := range os {
		if o.Measured && !o.New {
			judged++
		}
	}
	for _, o := range os {
		if !o.Measured || (judged > 0 && o.New) {
			continue
		}
		progress += o.Progress
		expected += o.Expected
		counted++
	}
	if counted > 0 {
		progress /= float64(counted)
		expected /= float64(counted)
	}
	return progress, expected, counted
}

// AssessObjective rolls up the assessments of o's key results, given in the
// order of o.KeyResults.
func AssessObjective(o Objective, krs []Assessment) ObjectiveAssessment {
	out := ObjectiveAssessment{New: len(krs) > 0}
	var wsum float64
	st := make([]Status, 0, len(krs))
	for i, a := range krs {
		out.New = out.New && a.FirstWeek
		if out.PaceFrom.IsZero() || a.PaceFrom.Before(out.PaceFrom) {
			out.PaceFrom = a.PaceFrom
		}
		w := 1.0
		if i < len(o.KeyResults) && o.KeyResults[i].Weight > 0 {
			w = o.KeyResults[i].Weight
		}
		out.Progress += w * a.Progress
		out.Expected += w * a.Expected
		wsum += w
		st = append(st, a.Status)
	}
	if wsum > 0 {
		out.Progress /= wsum
		out.Expected /= wsum
		out.Measured = true
	}
	out.Status = Weakest(st...)
	return out
}

// Binary reports whether the key result's progress can only be 0 or 1
// (milestones, stay above / below): such key results are not "movers".
func (kr KeyResult) Binary() bool {
	return kr.Kind == Milestone || kr.Kind == StayAbove || kr.Kind == StayBelow
}
