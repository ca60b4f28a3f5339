package domain_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// q4 is 2026-Q4 in UTC: 1 Oct 2026 (a Thursday) to 1 Jan 2027.
var q4Start, q4End = domain.Cycle("2026-Q4").Bounds(time.UTC)

func day(n int) time.Time { return q4Start.AddDate(0, 0, n) }

func TestStatusRules(t *testing.T) {
	mid := day(30) // 31 Oct
	churn := domain.KeyResult{Kind: domain.StayBelow, Target: 2, Unit: "%", Weight: 1}
	nps := domain.KeyResult{Kind: domain.StayAbove, Target: 40, Weight: 1}
	leads := domain.KeyResult{Kind: domain.Increase, Start: 22, Target: 35, Unit: "/day", Weight: 1}
	hire := domain.KeyResult{Kind: domain.Milestone, Weight: 1}
	with := func(kr domain.KeyResult, f func(*domain.KeyResult)) domain.KeyResult { f(&kr); return kr }
	weekly := func(vals ...float64) []domain.Point {
		var out []domain.Point
		for i, v := range vals {
			out = append(out, domain.Point{At: day(1 + 7*i), Value: v})
		}
		return out
	}
	tests := []struct {
		name    string
		kr      domain.KeyResult
		now     time.Time
		hist    []domain.Point
		status  domain.Status
		label   string
		why     string // a part of Why
		noWhy   string // a part Why must not have
		atRisk  bool
		expPace float64 // expected pace, when checked (>0)
	}{
		{name: "first morning of the quarter: no data, not at risk",
			kr: leads, now: q4Start.Add(9 * time.Hour), status: domain.StatusNone, label: "no data yet", why: "no check-in yet"},
		{name: "no check-in after the grace week: at risk, and says why",
			kr: leads, now: day(8), status: domain.AtRisk, why: "no check-in in the 8 days since the cycle began", atRisk: true},
		{name: "on pace",
			kr: with(leads, func(k *domain.KeyResult) { k.Current, k.Measured, k.Confidence = 28, true, 7 }), now: mid,
			hist: weekly(23, 24, 25, 27, 28), status: domain.OnTrack, why: "at 28/day, 46% of the way from 22/day to 35/day; 33% expected by now"},
		{name: "behind pace, in words",
			kr: with(leads, func(k *domain.KeyResult) { k.Current, k.Measured, k.Confidence = 23, true, 6 }), now: day(60),
			hist: weekly(22, 22, 23, 23, 23, 23, 23, 23), status: domain.AtRisk, why: "at 23/day, 8% of the way", atRisk: true},
		{name: "red confidence is off track",
			kr: with(leads, func(k *domain.KeyResult) { k.Current, k.Measured, k.Confidence = 30, true, 2 }), now: mid,
			hist: weekly(24, 26, 28, 30), status: domain.OffTrack, why: "confidence 2/10", atRisk: true},
		{name: "green confidence on a flat line: mismatch",
			kr: with(leads, func(k *domain.KeyResult) { k.Current, k.Measured, k.Confidence = 23, true, 9 }), now: day(46),
			hist: weekly(22, 22.5, 22.5, 23, 23, 23), status: domain.AtRisk, why: "confidence 9/10, but at this rate it ends near", atRisk: true},
		{name: "target reached",
			kr: with(leads, func(k *domain.KeyResult) { k.Current, k.Measured, k.Confidence = 36, true, 9 }), now: mid,
			hist: weekly(30, 36), status: domain.Achieved, why: "36/day reached the target of 35/day"},
		{name: "mid-quarter key result: pace from its creation",
			kr:  with(leads, func(k *domain.KeyResult) { k.CreatedAt, k.Current, k.Measured, k.Confidence = day(61), 27, true, 7 }),
			now: day(75), hist: []domain.Point{{At: day(64), Value: 24}, {At: day(71), Value: 27}}, status: domain.OnTrack, expPace: 14.0 / 31},
		{name: "mid-quarter key result: its grace starts at its creation",
			kr: with(leads, func(k *domain.KeyResult) { k.CreatedAt = day(61) }), now: day(63), status: domain.StatusNone},
		{name: "mid-quarter key result: check-ins before its creation do not project",
			kr:  with(leads, func(k *domain.KeyResult) { k.CreatedAt, k.Current, k.Measured, k.Confidence = day(61), 22, true, 8 }),
			now: day(61).Add(time.Hour), hist: []domain.Point{{At: day(10), Value: 30}, {At: day(61).Add(time.Minute), Value: 22}},
			status: domain.OnTrack, noWhy: "projected"},
		{name: "follows a KPI: measured by it, no check-in needed",
			kr:  with(leads, func(k *domain.KeyResult) { k.KPI, k.Current, k.Measured = "web-leads", 28, true }),
			now: mid, hist: weekly(23, 24, 25, 27, 28), status: domain.OnTrack, why: "at 28/day, 46% of the way", noWhy: "check-in"},
		{name: "follows a KPI: judged on its value in its first week, not against pace",
			kr:  with(leads, func(k *domain.KeyResult) { k.KPI, k.Current, k.Measured = "web-leads", 23, true }),
			now: day(3), hist: weekly(23), status: domain.OnTrack, why: "not judged against pace yet", noWhy: "expected by now"},
		{name: "follows a KPI without a value: says so, then at risk",
			kr: with(leads, func(k *domain.KeyResult) { k.KPI = "web-leads" }), now: day(9), status: domain.AtRisk,
			why: "no value of KPI web-leads in the 9 days since the cycle began", atRisk: true},
		{name: "milestone not done, confident: on track, never behind pace",
			kr: with(hire, func(k *domain.KeyResult) { k.Confidence = 8 }), now: day(80), hist: weekly(0, 0, 0),
			status: domain.OnTrack, label: "on track", why: "not done yet; confidence 8/10", noWhy: "pace"},
		{name: "milestone with yellow confidence",
			kr: with(hire, func(k *domain.KeyResult) { k.Confidence = 5 }), now: mid, hist: weekly(0), status: domain.AtRisk, atRisk: true},
		{name: "milestone done",
			kr: with(hire, func(k *domain.KeyResult) { k.Done, k.Confidence = true, 10 }), now: mid, status: domain.Achieved, why: "done"},
		{name: "milestone not done when the cycle ended",
			kr: with(hire, func(k *domain.KeyResult) { k.Confidence = 8 }), now: q4End, status: domain.OffTrack, why: "not done when the cycle ended", atRisk: true},
		{name: "stay below, breached: says the number and the limit",
			kr: with(churn, func(k *domain.KeyResult) { k.Current, k.Measured, k.Confidence = 2.3, true, 6 }), now: mid,
			hist: weekly(1.8, 1.9, 2.1, 2.3), status: domain.OffTrack, label: "breached", why: "2.3% is above the 2% limit; held 2 of 4 weeks", noWhy: "pace", atRisk: true},
		{name: "stay below, holding, with the weeks it held",
			kr: with(churn, func(k *domain.KeyResult) { k.Current, k.Measured, k.Confidence = 1.8, true, 8 }), now: mid,
			hist: weekly(1.8, 2.1, 1.9, 1.8), status: domain.OnTrack, label: "holding", why: "1.8% is under the 2% limit; held 3 of 4 weeks"},
		{name: "stay below at the limit holds",
			kr: with(churn, func(k *domain.KeyResult) { k.Current, k.Measured, k.Confidence = 2, true, 8 }), now: mid,
			hist: weekly(2), status: domain.OnTrack, label: "holding", why: "2% is at the 2% limit; held 1 of 1 week"},
		{name: "stay above, breached",
			kr: with(nps, func(k *domain.KeyResult) { k.Current, k.Measured, k.Confidence = 31, true, 6 }), now: mid,
			hist: weekly(41, 31), status: domain.OffTrack, label: "breached", why: "31 is below the minimum of 40", atRisk: true},
		{name: "stay above, holding with red confidence",
			kr: with(nps, func(k *domain.KeyResult) { k.Current, k.Measured, k.Confidence = 45, true, 3 }), now: mid,
			hist: weekly(45), status: domain.AtRisk, label: "holding", why: "45 is above the minimum of 40, but confidence 3/10", atRisk: true},
		{name: "stay not measured yet, in grace",
			kr: churn, now: day(2), status: domain.StatusNone, label: "no data yet", why: "not measured yet"},
		{name: "stay measured by its KPI before any check-in: judged on the number",
			kr: with(churn, func(k *domain.KeyResult) { k.Current, k.Measured, k.KPI = 2.4, true, "churn" }), now: day(2),
			status: domain.OffTrack, label: "breached", why: "2.4% is above the 2% limit", atRisk: true},
		{name: "KPI-linked increase measured by its KPI, before any check-in: judged on the value, not 'no data'",
			kr: with(leads, func(k *domain.KeyResult) { k.Current, k.Measured, k.KPI = 22, true, "web-leads" }), now: day(3),
			status: domain.OnTrack, why: "at 22/day, 0% of the way", noWhy: "expected by now"},
		{name: "number after the cycle ended short of its target",
			kr: with(leads, func(k *domain.KeyResult) { k.Current, k.Measured, k.Confidence = 30, true, 8 }), now: q4End.Add(time.Hour),
			hist: weekly(25, 30), status: domain.OffTrack, why: "the cycle ended at 30/day, 62% of the way to 35/day", atRisk: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := domain.Assess(tt.kr, domain.Pace{Cycle: "2026-Q4", Location: time.UTC, Now: tt.now}, tt.hist)
			if a.Status != tt.status {
				t.Errorf("status %v, want %v (%s)", a.Status, tt.status, a.Why)
			}
			if tt.label != "" && a.Label != tt.label {
				t.Errorf("label %q, want %q", a.Label, tt.label)
			}
			if !strings.Contains(a.Why, tt.why) {
				t.Errorf("why %q, want it to say %q", a.Why, tt.why)
			}
			if tt.noWhy != "" && strings.Contains(a.Why, tt.noWhy) {
				t.Errorf("why %q says %q", a.Why, tt.noWhy)
			}
			if a.Why == "" {
				t.Error("no why")
			}
			if a.AtRisk() != tt.atRisk {
				t.Errorf("AtRisk %v, want %v", a.AtRisk(), tt.atRisk)
			}
			if tt.expPace > 0 && (a.Expected < tt.expPace-0.01 || a.Expected > tt.expPace+0.01) {
				t.Errorf("expected pace %.3f, want %.3f", a.Expected, tt.expPace)
			}
			if tt.kr.Binary() && (a.HasProjection || a.Behind) {
				t.Errorf("a binary key result got a projection or fell behind: %+v", a)
			}
		})
	}
}

func TestGraceIsConfigurable(t *testing.T) {
	kr := domain.KeyResult{Kind: domain.Increase, Start: 0, Target: 10, Weight: 1}
	p := domain.Pace{Cycle: "2026-Q4", Now: day(10), Grace: 14 * 24 * time.Hour}
	if a := domain.Assess(kr, p, nil); a.Status != domain.StatusNone {
		t.Errorf("a two-week grace after 10 days: %v (%s)", a.Status, a.Why)
	}
	p.Grace = 0
	if a := domain.Assess(kr, p, nil); a.Status != domain.AtRisk {
		t.Errorf("the default grace after 10 days: %v", a.Status)
	}
}

func TestObjectiveStatusIsItsWeakestWithData(t *testing.T) {
	tests := []struct {
		in   []domain.Status
		want domain.Status
	}{
		{[]domain.Status{domain.OnTrack, domain.OffTrack, domain.Achieved}, domain.OffTrack},
		{[]domain.Status{domain.StatusNone, domain.OnTrack}, domain.OnTrack},
		{[]domain.Status{domain.AtRisk, domain.StatusNone}, domain.AtRisk},
		{[]domain.Status{domain.StatusNone, domain.StatusNone}, domain.StatusNone},
		{nil, domain.StatusNone},
	}
	for _, tt := range tests {
		if got := domain.Weakest(tt.in...); got != tt.want {
			t.Errorf("Weakest(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	// No data sorts last, below off track.
	if domain.StatusNone.Rank() <= domain.OffTrack.Rank() || domain.StatusNone.Rank() <= domain.Achieved.Rank() {
		t.Error("no data does not rank last")
	}
	o := domain.Objective{KeyResults: []domain.KeyResult{{Weight: 3}, {Weight: 1}}}
	oa := domain.AssessObjective(o, []domain.Assessment{
		{Progress: 0.5, Expected: 0.4, Status: domain.OnTrack},
		{Progress: 0, Expected: 0.2, Status: domain.StatusNone},
	})
	if oa.Status != domain.OnTrack || oa.Progress != 0.375 || oa.Expected < 0.349 || oa.Expected > 0.351 {
		t.Errorf("AssessObjective = %+v", oa)
	}
}

func TestCheckInDiscipline(t *testing.T) {
	set := domain.DefaultSettings("Europe/Paris")
	paris, _ := time.LoadLocation("Europe/Paris")
	w := domain.Week("2026-W45") // Friday 6 Nov 2026
	prompt, due, closes := domain.CheckInWindow(w, paris, set)
	if got := prompt.Format("Mon 2 Jan 15:04"); got != "Fri 6 Nov 15:00" {
		t.Errorf("prompt %s", got)
	}
	if got := due.Format("Mon 2 Jan 15:04"); got != "Mon 9 Nov 10:00" {
		t.Errorf("due %s", got)
	}
	if got := closes.Format("Mon 2 Jan 15:04"); got != "Fri 13 Nov 15:00" {
		t.Errorf("closes %s", got)
	}
	tests := []struct {
		name     string
		answered time.Time
		now      time.Time
		want     domain.CheckInState
	}{
		{"answered on Friday", prompt.Add(time.Hour), closes, domain.OnTime},
		{"answered before the reminder", due.Add(-time.Minute), closes, domain.OnTime},
		{"answered after the reminder", due.Add(time.Hour), closes, domain.Late},
		{"not answered, week open", time.Time{}, due.Add(time.Hour), domain.Pending},
		{"not answered, week closed", time.Time{}, closes, domain.Missed},
	}
	for _, tt := range tests {
		if got := domain.JudgeCheckIn(tt.answered, due, closes, tt.now); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	set.Reminder.Off = true
	if _, due, _ := domain.CheckInWindow(w, paris, set); !due.Equal(prompt.Add(72 * time.Hour)) {
		t.Errorf("without reminders due %v", due)
	}
}

func TestMissedStreak(t *testing.T) {
	const (
		on, late, miss, not, pend = domain.OnTime, domain.Late, domain.Missed, domain.NotDue, domain.Pending
	)
	tests := []struct {
		states []domain.CheckInState
		want   int
	}{
		{nil, 0},
		{[]domain.CheckInState{on, on}, 0},
		{[]domain.CheckInState{on, miss}, 1},
		{[]domain.CheckInState{miss, miss, on, miss, miss}, 2},
		{[]domain.CheckInState{on, miss, not, miss}, 2}, // away in between neither breaks nor counts
		{[]domain.CheckInState{miss, miss, pend}, 2},    // this week may still come
		{[]domain.CheckInState{miss, late}, 0},          // late is not missed
		{[]domain.CheckInState{miss, miss, miss}, 3},
	}
	for _, tt := range tests {
		if got := domain.MissedStreak(tt.states); got != tt.want {
			t.Errorf("MissedStreak(%v) = %d, want %d", tt.states, got, tt.want)
		}
	}
	d := domain.Tally([]domain.CheckInState{on, on, late, miss, not, pend})
	if d != (domain.Discipline{OnTime: 2, Late: 1, Missed: 1}) {
		t.Errorf("Tally = %+v", d)
	}
}

func TestCheckInWeeksAndReview(t *testing.T) {
	set := domain.DefaultSettings("UTC")
	weeks := domain.CheckInWeeks(q4Start, q4End, time.UTC, set.CheckIn)
	// Fridays of 2026-Q4: 2 Oct … 25 Dec.
	if len(weeks) != 13 || weeks[0] != "2026-W40" || weeks[12] != "2026-W52" {
		t.Errorf("weeks %v", weeks)
	}
	jan4 := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	week := func(t time.Time) domain.Week { return domain.CheckInWeek(t, time.UTC, set.CheckIn.Weekday) }
	if !domain.ReviewDue("2026-Q4", time.UTC, week(jan4), set, time.UTC) {
		t.Error("no review on the first Monday after the quarter")
	}
	if domain.ReviewDue("2026-Q4", time.UTC, week(jan4.AddDate(0, 0, 7)), set, time.UTC) || domain.ReviewDue("2026-Q4", time.UTC, week(time.Date(2026, 12, 28, 9, 0, 0, 0, time.UTC)), set, time.UTC) {
		t.Error("a review outside the first week after the quarter")
	}
	// 2026-Q3 ended on Thursday 1 October: a digest run that day is W39's
	// (its slot was Monday 28 September, in Q3), with no review; W40's, on
	// Monday 5 October, has it, and is week 1 of 2026-Q4.
	oct1, oct5 := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)
	if domain.ReviewDue("2026-Q3", time.UTC, week(oct1), set, time.UTC) || !domain.ReviewDue("2026-Q3", time.UTC, week(oct5), set, time.UTC) {
		t.Errorf("review of Q3: W39 %v, W40 %v", domain.ReviewDue("2026-Q3", time.UTC, week(oct1), set, time.UTC), domain.ReviewDue("2026-Q3", time.UTC, week(oct5), set, time.UTC))
	}
	if s := domain.DigestSlot(week(oct1), set, time.UTC); domain.CycleOf(s, time.UTC) != "2026-Q3" || domain.CycleWeek("2026-Q3", time.UTC, s) != 13 {
		t.Errorf("W39's slot %v", s)
	}
	if s := domain.DigestSlot(week(oct5), set, time.UTC); domain.CycleOf(s, time.UTC) != "2026-Q4" || domain.CycleWeek("2026-Q4", time.UTC, s) != 1 {
		t.Errorf("W40's slot %v", s)
	}
	if s := domain.DigestSlot(week(jan4), set, time.UTC); domain.CycleOf(s, time.UTC) != "2027-Q1" || domain.CycleWeek("2027-Q1", time.UTC, s) != 1 {
		t.Errorf("W53's slot %v", s)
	}
	if got := domain.PreviousQuarter(jan4, time.UTC); got != "2026-Q4" {
		t.Errorf("PreviousQuarter = %s", got)
	}
}

func TestRollUp(t *testing.T) {
	old := domain.ObjectiveAssessment{Progress: 0.5, Expected: 0.6, Measured: true}
	older := domain.ObjectiveAssessment{Progress: 0.3, Expected: 0.4, Measured: true}
	fresh := domain.ObjectiveAssessment{Progress: 0.1, New: true, Measured: true}
	empty := domain.ObjectiveAssessment{}
	for _, tc := range []struct {
		name      string
		os        []domain.ObjectiveAssessment
		prog, exp float64
		counted   int
	}{
		{"mean of progress and of pace, over the same objectives", []domain.ObjectiveAssessment{old, older}, 0.4, 0.5, 2},
		{"an objective in its first week does not pull the pace down", []domain.ObjectiveAssessment{old, older, fresh}, 0.4, 0.5, 2},
		{"all new: all count", []domain.ObjectiveAssessment{fresh, fresh}, 0.1, 0, 2},
		{"no key results: nothing to roll up", []domain.ObjectiveAssessment{empty}, 0, 0, 0},
	} {
		p, e, n := domain.RollUp(tc.os)
		if math.Abs(p-tc.prog) > 1e-9 || math.Abs(e-tc.exp) > 1e-9 || n != tc.counted {
			t.Errorf("%s: got %v %v %d, want %v %v %d", tc.name, p, e, n, tc.prog, tc.exp, tc.counted)
		}
	}
}
