package domain_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestKeyResultProgress(t *testing.T) {
	tests := []struct {
		name string
		kr   domain.KeyResult
		want float64
	}{
		{"increase halfway", domain.KeyResult{Kind: domain.Increase, Start: 22, Target: 35, Current: 28.5}, 0.5},
		{"increase below start", domain.KeyResult{Kind: domain.Increase, Start: 22, Target: 35, Current: 10}, 0},
		{"increase past target", domain.KeyResult{Kind: domain.Increase, Start: 22, Target: 35, Current: 50}, 1},
		{"decrease halfway", domain.KeyResult{Kind: domain.Decrease, Start: 12, Target: 4, Current: 8}, 0.5},
		{"decrease worse than start", domain.KeyResult{Kind: domain.Decrease, Start: 12, Target: 4, Current: 14}, 0},
		{"reach from zero", domain.KeyResult{Kind: domain.Reach, Start: 0, Target: 60, Current: 45}, 0.75},
		{"reach already there", domain.KeyResult{Kind: domain.Reach, Start: 60, Target: 60, Current: 60}, 1},
		{"stay below holds", domain.KeyResult{Kind: domain.StayBelow, Target: 2, Current: 1.8, Measured: true}, 1},
		{"stay below broken", domain.KeyResult{Kind: domain.StayBelow, Target: 2, Current: 2.1, Measured: true}, 0},
		{"stay above holds at the limit", domain.KeyResult{Kind: domain.StayAbove, Target: 50, Current: 50, Measured: true}, 1},
		{"stay not measured yet", domain.KeyResult{Kind: domain.StayBelow, Target: 2}, 0},
		{"milestone open", domain.KeyResult{Kind: domain.Milestone}, 0},
		{"milestone done", domain.KeyResult{Kind: domain.Milestone, Done: true}, 1},
		{"increase marked done", domain.KeyResult{Kind: domain.Increase, Start: 0, Target: 10, Current: 3, Done: true}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.kr.Progress(); !near(got, tt.want) {
				t.Errorf("Progress() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestObjectiveProgressByWeight(t *testing.T) {
	o := domain.Objective{KeyResults: []domain.KeyResult{
		{Kind: domain.Milestone, Done: true, Weight: 3},
		{Kind: domain.Increase, Start: 0, Target: 10, Current: 0, Weight: 1},
	}}
	if got := o.Progress(); !near(got, 0.75) {
		t.Errorf("Progress() = %v, want 0.75", got)
	}
	o.KeyResults[0].Weight = 0 // unset weights count as 1
	if got := o.Progress(); !near(got, 0.5) {
		t.Errorf("Progress() with default weight = %v, want 0.5", got)
	}
	if got := (domain.Objective{}).Progress(); got != 0 {
		t.Errorf("empty objective Progress() = %v, want 0", got)
	}
}

func TestConfidenceBand(t *testing.T) {
	want := map[int]domain.Band{0: domain.BandNone, 1: domain.BandRed, 3: domain.BandRed, 4: domain.BandYellow,
		6: domain.BandYellow, 7: domain.BandGreen, 10: domain.BandGreen}
	for c, b := range want {
		if got := domain.ConfidenceBand(c); got != b {
			t.Errorf("ConfidenceBand(%d) = %q, want %q", c, got, b)
		}
	}
}

func TestCycle(t *testing.T) {
	tests := []struct {
		in, want   string
		start, end string
	}{
		{"2026-Q4", "2026-Q4", "2026-10-01", "2027-01-01"},
		{"2026-q1", "2026-Q1", "2026-01-01", "2026-04-01"},
		{"2026-H2", "2026-H2", "2026-07-01", "2027-01-01"},
		{"2027", "2027", "2027-01-01", "2028-01-01"},
	}
	for _, tt := range tests {
		c, err := domain.ParseCycle(tt.in)
		if err != nil {
			t.Fatalf("ParseCycle(%q): %v", tt.in, err)
		}
		s, e := c.Bounds(time.UTC)
		if string(c) != tt.want || s.Format(time.DateOnly) != tt.start || e.Format(time.DateOnly) != tt.end {
			t.Errorf("ParseCycle(%q) = %s [%s, %s), want %s [%s, %s)", tt.in, c, s.Format(time.DateOnly), e.Format(time.DateOnly), tt.want, tt.start, tt.end)
		}
	}
	for _, bad := range []string{"", "2026-Q5", "Q4", "26-Q4", "2026-Q4x", "1999-Q1", `{"$gt":""}`} {
		if _, err := domain.ParseCycle(bad); domain.ErrorCode(err) != domain.EINVALID || !strings.Contains(domain.ErrorMessage(err), "is not a cycle") {
			t.Errorf("ParseCycle(%q) error = %v, want EINVALID naming the form", bad, err)
		}
	}
	if got := domain.CycleOf(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), time.UTC); got != "2026-Q4" {
		t.Errorf("CycleOf = %s", got)
	}
}

func TestPaceAndBehind(t *testing.T) {
	c := domain.Cycle("2026-Q4")
	mid := time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC) // 45.5 of 92 days
	exp := c.Elapsed(mid, time.UTC)
	if !near(exp, 45.5/92) {
		t.Fatalf("Elapsed = %v", exp)
	}
	if c.Elapsed(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.UTC) != 0 || c.Elapsed(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), time.UTC) != 1 {
		t.Error("Elapsed is not clamped")
	}
	tests := []struct {
		progress, expected float64
		want               bool
	}{
		{0.39, 0.5, true}, {0.40, 0.5, false}, {0.9, 0.5, false}, {0, 0, false},
	}
	for _, tt := range tests {
		if got := domain.Behind(tt.progress, tt.expected, 0); got != tt.want {
			t.Errorf("Behind(%v, %v) = %v, want %v", tt.progress, tt.expected, got, tt.want)
		}
	}
}

func TestProject(t *testing.T) {
	t0 := time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC)
	pts := []domain.Point{{t0, 10}, {t0.Add(7 * 24 * time.Hour), 12}, {t0.Add(14 * 24 * time.Hour), 14}}
	v, ok := domain.Project(pts, t0.Add(70*24*time.Hour))
	if !ok || !near(v, 30) {
		t.Errorf("Project = %v, %v; want 30, true", v, ok)
	}
	if _, ok := domain.Project(pts[:1], t0); ok {
		t.Error("Project with one point should not project")
	}
	if _, ok := domain.Project([]domain.Point{{t0, 1}, {t0, 2}}, t0); ok {
		t.Error("Project with points at one moment should not project")
	}
}

func TestAssessMismatchAndStatus(t *testing.T) {
	loc := time.UTC
	c := domain.Cycle("2026-Q4")
	start, _ := c.Bounds(loc)
	now := start.AddDate(0, 0, 46) // half-way
	week := func(n int) time.Time { return start.AddDate(0, 0, 7*n) }
	flat := []domain.Point{{week(1), 22}, {week(3), 22.5}, {week(6), 23}}
	kr := domain.KeyResult{Kind: domain.Increase, Start: 22, Target: 35, Current: 23, Measured: true, Confidence: 8, Weight: 1}
	a := domain.Assess(kr, domain.Pace{Cycle: c, Location: loc, Now: now}, flat)
	if !a.HasProjection || !a.Mismatch || !a.Behind || a.Status != domain.AtRisk || !a.AtRisk() {
		t.Errorf("green confidence on a flat line: %+v; want a mismatch, behind, at risk", a)
	}

	steep := []domain.Point{{week(1), 24}, {week(3), 27}, {week(6), 31}}
	kr2 := kr
	kr2.Current, kr2.Confidence = 31, 2
	a = domain.Assess(kr2, domain.Pace{Cycle: c, Location: loc, Now: now}, steep)
	if !a.Mismatch || a.Status != domain.OffTrack {
		t.Errorf("red confidence on a steep line: %+v; want a mismatch, off track", a)
	}

	kr3 := kr2
	kr3.Confidence = 8
	a = domain.Assess(kr3, domain.Pace{Cycle: c, Location: loc, Now: now}, steep)
	if a.Mismatch || a.Behind || a.Status != domain.OnTrack || a.AtRisk() {
		t.Errorf("green confidence on a steep line: %+v; want on track", a)
	}

	done := domain.KeyResult{Kind: domain.Milestone, Done: true, Weight: 1}
	if a := domain.Assess(done, domain.Pace{Cycle: c, Now: now}, nil); a.Status != domain.Achieved || a.HasProjection {
		t.Errorf("done milestone: %+v", a)
	}
	if got := domain.Weakest(domain.OnTrack, domain.OffTrack, domain.Achieved); got != domain.OffTrack {
		t.Errorf("Weakest = %v", got)
	}
}

func TestGrade(t *testing.T) {
	o := domain.Objective{Commitment: domain.Aspirational, KeyResults: []domain.KeyResult{
		{Kind: domain.Increase, Start: 0, Target: 3, Current: 2, Weight: 1},
	}}
	if g := domain.DefaultGrade(o); g != 0.67 {
		t.Errorf("DefaultGrade = %v, want 0.67", g)
	}
	if domain.Succeeded(domain.Aspirational, 0.67) || !domain.Succeeded(domain.Aspirational, 0.7) || domain.Succeeded(domain.Committed, 0.9) {
		t.Error("Succeeded disagrees with 0.7 aspirational / 1.0 committed")
	}
	for _, g := range []float64{-0.1, 1.01, math.NaN()} {
		if domain.ErrorCode(domain.ValidateGrade(g)) != domain.EINVALID {
			t.Errorf("ValidateGrade(%v) accepted", g)
		}
	}
}

func f(v float64) *float64 { return &v }

func TestKPIHealth(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	leads := domain.KPI{Slug: "leads", Name: "Web leads", Direction: domain.HigherIsBetter, Target: f(35), Warn: f(25), Alert: f(15), Cadence: domain.Daily}
	churn := domain.KPI{Slug: "churn", Name: "Churn", Direction: domain.LowerIsBetter, Target: f(2), Warn: f(3), Alert: f(5), Cadence: domain.Monthly}
	targetOnly := domain.KPI{Slug: "nps", Name: "NPS", Direction: domain.HigherIsBetter, Target: f(50), Cadence: domain.Weekly}
	tests := []struct {
		kpi  domain.KPI
		v    float64
		ago  time.Duration
		want domain.Health
	}{
		{leads, 30, time.Hour, domain.HealthGreen},
		{leads, 25, time.Hour, domain.HealthGreen},
		{leads, 20, time.Hour, domain.HealthYellow},
		{leads, 14, time.Hour, domain.HealthRed},
		{leads, 40, 37 * time.Hour, domain.HealthStale}, // > 1.5 days
		{leads, 40, 35 * time.Hour, domain.HealthGreen}, // < 1.5 days
		{churn, 1.5, 24 * time.Hour, domain.HealthGreen},
		{churn, 4, 24 * time.Hour, domain.HealthYellow},
		{churn, 6, 24 * time.Hour, domain.HealthRed},
		{churn, 1, 44 * 24 * time.Hour, domain.HealthGreen},
		{churn, 1, 46 * 24 * time.Hour, domain.HealthStale},
		{targetOnly, 49, time.Hour, domain.HealthYellow},
		{targetOnly, 50, time.Hour, domain.HealthGreen},
	}
	for _, tt := range tests {
		k := tt.kpi
		k.Latest = &domain.KPIValue{Value: tt.v, At: now.Add(-tt.ago)}
		if got := k.HealthOf(now); got != tt.want {
			t.Errorf("%s at %v, %v ago: %s, want %s", k.Slug, tt.v, tt.ago, got, tt.want)
		}
	}
	if got := leads.HealthOf(now); got != domain.HealthUnknown {
		t.Errorf("never measured: %s", got)
	}
	if err := leads.Validate(); err != nil {
		t.Errorf("leads.Validate: %v", err)
	}
	if err := churn.Validate(); err != nil {
		t.Errorf("churn.Validate: %v", err)
	}
	bad := leads
	bad.Alert, bad.Warn = f(30), f(20)
	if domain.ErrorCode(bad.Validate()) != domain.EINVALID {
		t.Error("thresholds out of order accepted")
	}
}

func TestValidation(t *testing.T) {
	for _, c := range []int{0, 11, -1} {
		err := domain.ValidateConfidence(c)
		if domain.ErrorCode(err) != domain.EINVALID || strings.Contains(domain.ErrorMessage(err), "\n") {
			t.Errorf("ValidateConfidence(%d) = %v", c, err)
		}
	}
	if _, err := domain.ParseConfidence("7/10"); err != nil {
		t.Errorf("ParseConfidence(7/10): %v", err)
	}
	for _, s := range []string{"seven", "7.5", ""} {
		if _, err := domain.ParseConfidence(s); err == nil {
			t.Errorf("ParseConfidence(%q) accepted", s)
		}
	}
	for _, s := range []string{"leads", "web-leads", "nps_2"} {
		if err := domain.ValidateSlug(s); err != nil {
			t.Errorf("ValidateSlug(%q): %v", s, err)
		}
	}
	for _, s := range []string{"$gt", "a.b", "Leads", "", "-x", strings.Repeat("a", 41), "a b"} {
		if domain.ValidateSlug(s) == nil {
			t.Errorf("ValidateSlug(%q) accepted", s)
		}
	}
	// Words people type are theirs: the stores keep text as values.
	for _, s := range []string{"Grow revenue to $2M", "v2.0 launch", "<!channel> *bold*", "$where is the money", `{"$gt": ""}`, "$set everything", "Win “enterprise” deals"} {
		if err := domain.ValidateText("title", s, 200, true); err != nil {
			t.Errorf("ValidateText(%q): %v", s, err)
		}
	}
	if _, err := domain.ParseDate("2026-13-01", time.UTC); domain.ErrorCode(err) != domain.EINVALID {
		t.Error("ParseDate accepted month 13")
	}
	for in, want := range map[string]string{"o-12": "O-12", "KR-3": "KR-3"} {
		if _, ref, ok := domain.RefKind(in); !ok || ref != want {
			t.Errorf("RefKind(%q) = %q, %v", in, ref, ok)
		}
	}
	for _, in := range []string{"O-0", "O-", "X-1", "O-1.2", "$ne", "KR-01"} {
		if _, _, ok := domain.RefKind(in); ok {
			t.Errorf("RefKind(%q) accepted", in)
		}
	}
}

func TestWeeks(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	la, _ := time.LoadLocation("America/Los_Angeles")
	// Sunday 2026-11-29 20:00 in Los Angeles is already Monday in Tokyo.
	instant := time.Date(2026, 11, 29, 20, 0, 0, 0, la)
	if got := domain.WeekOf(instant, la); got != "2026-W48" {
		t.Errorf("LA week = %s", got)
	}
	if got := domain.WeekOf(instant, tokyo); got != "2026-W49" {
		t.Errorf("Tokyo week = %s", got)
	}
	if got := domain.Week("2026-W01").Start(time.UTC).Format(time.DateOnly); got != "2025-12-29" {
		t.Errorf("2026-W01 starts %s", got)
	}
	if got := domain.Week("2026-W01").Previous(); got != "2025-W52" {
		t.Errorf("Previous = %s", got)
	}
}

func TestFormatValue(t *testing.T) {
	tests := map[[2]string]string{
		{"35", "per day"}: "35 per day", {"12", "h"}: "12h", {"2.5", "%"}: "2.5%", {"40", "$"}: "$40",
		{"40", "€k"}: "€40k", {"7", ""}: "7", {"1200000", "$"}: "$1,200,000", {"12500", ""}: "12,500",
		{"-5000", "€"}: "-€5,000", {"1234.5", "h"}: "1,234.5h", {"999", ""}: "999",
		// Currency codes apart, rates after a currency, time words agreeing with the number.
		{"120000", "USD"}: "120,000 USD", {"400", "EUR"}: "400 EUR", {"20000", "$/month"}: "$20,000/month",
		{"3", "week"}: "3 weeks", {"1", "weeks"}: "1 week", {"1", "day"}: "1 day", {"2.5", "hours"}: "2.5 hours",
		{"8", "/10"}: "8/10", {"4.5", "/5"}: "4.5/5",
	}
	for in, want := range tests {
		a, _ := domain.ParseAmount(in[0])
		v := a.Value
		if got := domain.FormatValue(v, in[1]); got != want {
			t.Errorf("FormatValue(%s, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
}

func TestErrors(t *testing.T) {
	err := domain.Invalid("confidence 7", "Confidence must be from 1 to 10.")
	if domain.ErrorCode(err) != domain.EINVALID || domain.ErrorMessage(err) != "Confidence must be from 1 to 10." {
		t.Errorf("got %v", err)
	}
	other := errErr("boom")
	if domain.ErrorCode(other) != domain.EINTERNAL || domain.ErrorMessage(other) != "Internal error." {
		t.Error("a plain error must read as internal")
	}
	if domain.ErrorCode(nil) != "" {
		t.Error("nil error has a code")
	}
}

type errErr string

func (e errErr) Error() string { return string(e) }

func TestCheckInWeek(t *testing.T) {
	loc := time.UTC
	tests := []struct {
		at   string
		day  time.Weekday
		want domain.Week
	}{
		{"2026-11-27 15:00", time.Friday, "2026-W48"}, // Friday: this week
		{"2026-11-29 20:00", time.Friday, "2026-W48"}, // Sunday: still this week
		{"2026-11-30 10:00", time.Friday, "2026-W48"}, // Monday reminder: last week
		{"2026-12-03 23:00", time.Friday, "2026-W48"}, // Thursday: last week
		{"2026-12-04 09:00", time.Friday, "2026-W49"}, // Friday again: new week
		{"2026-11-30 10:00", time.Monday, "2026-W49"}, // Monday prompts: this week
	}
	for _, tt := range tests {
		at, _ := time.ParseInLocation("2006-01-02 15:04", tt.at, loc)
		if got := domain.CheckInWeek(at, loc, tt.day); got != tt.want {
			t.Errorf("CheckInWeek(%s, %s) = %s, want %s", tt.at, tt.day, got, tt.want)
		}
	}
}

func TestWeeklyPoints(t *testing.T) {
	day := time.Date(2026, 11, 6, 15, 0, 0, 0, time.UTC)
	p := func(user, kr string, week domain.Week, d time.Duration, v float64) domain.CheckInPoint {
		return domain.CheckInPoint{User: user, KR: kr, Week: week, Point: domain.Point{At: day.Add(d), Value: v}}
	}
	got := domain.WeeklyPoints([]domain.CheckInPoint{
		p("U1", "KR-1", "2026-W46", 7*24*time.Hour, 3),
		p("U1", "KR-1", "2026-W45", 0, 1),
		p("U2", "KR-1", "2026-W45", time.Hour, 2), // later that week: the week's value
		p("U9", "KR-2", "2026-W45", 0, 8),         // a tie: the first person by id
		p("U3", "KR-2", "2026-W45", 0, 9),
	})
	want := map[string][]float64{"KR-1": {2, 3}, "KR-2": {9}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for kr, vs := range want {
		if len(got[kr]) != len(vs) {
			t.Fatalf("%s: got %v, want %v", kr, got[kr], vs)
		}
		for i, v := range vs {
			if got[kr][i].Value != v {
				t.Errorf("%s[%d] = %v, want %v", kr, i, got[kr][i].Value, v)
			}
		}
	}
}

func TestOffScale(t *testing.T) {
	pctKR := domain.KeyResult{Kind: domain.Increase, Start: 2.5, Target: 4, Unit: "%"}
	mrr := domain.KeyResult{Kind: domain.Increase, Start: 1.2e6, Target: 2e6, Unit: "€"}
	hire := domain.KeyResult{Kind: domain.Reach, Start: 0, Target: 3}
	uptime := domain.KeyResult{Kind: domain.StayAbove, Target: 99.9, Unit: "%"}
	latency := domain.KeyResult{Kind: domain.Decrease, Start: 800, Target: 200, Unit: "ms"}
	ebitda := domain.KeyResult{Kind: domain.Increase, Start: -5, Target: 3, Unit: "%"}
	churn := domain.KeyResult{Kind: domain.Decrease, Start: 3, Target: 2, Unit: "%"}
	for _, tt := range []struct {
		kr   domain.KeyResult
		v    float64
		want bool
	}{
		{pctKR, 3.1, false}, {pctKR, 0, false}, {pctKR, 12, false}, {pctKR, 50000, true}, {pctKR, 0.02, true}, {pctKR, -20, true},
		{mrr, 1.5e6, false}, {mrr, 900000, false}, {mrr, 1.5, true}, {mrr, 1500, true}, {mrr, 2.5e7, true},
		{hire, 2, false}, {hire, 5, false}, {hire, 50, true},
		{uptime, 99.95, false}, {uptime, 97, false}, {uptime, 0.999, true}, {uptime, 99900, true},
		{latency, 180, false}, {latency, 1000, false}, {latency, 1.2, true},
		{ebitda, 0, false}, {ebitda, -3, false}, {ebitda, 0.01, false}, {ebitda, 300, true},
		{domain.KeyResult{Kind: domain.Milestone}, 1e9, false},
		// A percentage given as a fraction ("0.026" for 2.6 %).
		{churn, 0.026, true}, {churn, 2.6, false}, {churn, 1.8, false}, {domain.KeyResult{Kind: domain.Decrease, Start: 0.5, Target: 0.2, Unit: "%"}, 0.3, false},
	} {
		if got := tt.kr.OffScale(tt.v); got != tt.want {
			t.Errorf("%s %v → %v: OffScale(%v) = %v, want %v", tt.kr.Kind, tt.kr.Start, tt.kr.Target, tt.v, got, tt.want)
		}
	}
	// A KPI by its latest value, target and thresholds; none: no scale.
	target, warn := 60.0, 45.0
	nps := domain.KPI{Target: &target, Warn: &warn, Latest: &domain.KPIValue{Value: 40}}
	for v, want := range map[float64]bool{48: false, 4800: true, 0.3: true, 75: false, -10: false} {
		if got := nps.OffScale(v); got != want {
			t.Errorf("KPI 40 (target 60, warn 45): OffScale(%v) = %v, want %v", v, got, want)
		}
	}
	if (domain.KPI{}).OffScale(1e9) {
		t.Error("a KPI with no value, target or threshold has no scale")
	}
}
