package domain_test

import (
	"fmt"
	"time"

	"github.com/okrbot/okrbot/domain"
)

func ExampleParseKeyResult() {
	for _, text := range []string{
		"Increase web leads from 22 to 35 per day",
		"Reduce response time from 12h to 4h",
		"NPS from 40 to 60",
		"Grow MRR from $1.2M to $2M",
		"Increase conversion from 2,5% to 4%",
		"Sign 50 new customers",
		"Keep churn below 2%",
		"Hire a VP of sales for Europe",
	} {
		p, _ := domain.ParseKeyResult(text, domain.ParseOptions{})
		fmt.Printf("%-10s %v → %v %q\n", p.Kind, p.Start, p.Target, p.Unit)
	}
	// A relative target takes its start from the linked KPI, and what the
	// text leaves open is asked.
	kpi := &domain.Baseline{Value: 3, Unit: "%", Direction: domain.LowerIsBetter, Name: "KPI churn", Follows: true}
	p, _ := domain.ParseKeyResult("Reduce churn by 20%", domain.ParseOptions{Baseline: kpi})
	fmt.Printf("%-10s %v → %v %q\n", p.Kind, p.Start, p.Target, p.Unit)
	_, err := domain.ParseKeyResult("Keep uptime at 99.9%", domain.ParseOptions{})
	fmt.Println(domain.ErrorCode(err), domain.ErrorMessage(err))
	// A level to reach with no start is asked too: 0 would be a guess.
	_, err = domain.ParseKeyResult("Reach NPS 60", domain.ParseOptions{})
	fmt.Println(domain.ErrorCode(err), domain.ErrorMessage(err))
	// Output:
	// increase   22 → 35 "per day"
	// decrease   12 → 4 "h"
	// increase   40 → 60 ""
	// increase   1.2e+06 → 2e+06 "$"
	// increase   2.5 → 4 "%"
	// reach      0 → 50 "new customers"
	// stay-below 0 → 2 "%"
	// milestone  0 → 0 ""
	// decrease   3 → 2.4 "%"
	// ambiguous Must it stay at least 99.9% or at most 99.9%? Say above or below.
	// ambiguous Where does it start on its way to 60? Only new things won or done in the cycle start at 0 (Sign 50 new customers).
}

func ExampleKeyResult_Progress() {
	leads := domain.KeyResult{Kind: domain.Increase, Start: 22, Target: 35, Current: 30}
	response := domain.KeyResult{Kind: domain.Decrease, Start: 12, Target: 4, Current: 6}
	churn := domain.KeyResult{Kind: domain.StayBelow, Target: 2, Current: 2.4, Measured: true}
	fmt.Printf("%.2f %.2f %.0f\n", leads.Progress(), response.Progress(), churn.Progress())
	// Output: 0.62 0.75 0
}

func ExampleObjective_Progress() {
	o := domain.Objective{KeyResults: []domain.KeyResult{
		{Kind: domain.Milestone, Done: true, Weight: 2},
		{Kind: domain.Reach, Target: 60, Current: 30, Weight: 1},
	}}
	fmt.Printf("%.2f\n", o.Progress())
	// Output: 0.83
}

func ExampleAssess() {
	c := domain.Cycle("2026-Q4")
	start, _ := c.Bounds(time.UTC)
	kr := domain.KeyResult{Kind: domain.Increase, Start: 22, Target: 35, Current: 23, Measured: true, Confidence: 9, Weight: 1}
	history := []domain.Point{{At: start.AddDate(0, 0, 7), Value: 22}, {At: start.AddDate(0, 0, 35), Value: 23}}
	a := domain.Assess(kr, domain.Pace{Cycle: c, Now: start.AddDate(0, 0, 46)}, history)
	fmt.Printf("progress %.2f, pace %.2f, projected %.2f, behind %v, mismatch %v: %s\n",
		a.Progress, a.Expected, a.Projected, a.Behind, a.Mismatch, a.Status)
	// Output: progress 0.08, pace 0.50, projected 0.23, behind true, mismatch true: at risk
}

func ExampleKPI_Judge() {
	f := func(v float64) *float64 { return &v }
	churn := domain.KPI{Direction: domain.LowerIsBetter, Target: f(2), Warn: f(3), Alert: f(5)}
	fmt.Println(churn.Judge(1.8), churn.Judge(4), churn.Judge(6))
	// Output: green yellow red
}

func ExampleWeekOf() {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	friday := time.Date(2026, 11, 27, 15, 0, 0, 0, tokyo)
	fmt.Println(domain.WeekOf(friday, tokyo), domain.CycleOf(friday, tokyo))
	// Output: 2026-W48 2026-Q4
}
