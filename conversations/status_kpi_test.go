package conversations_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// A key result that follows a KPI gets its values from the KPI: it has data
// once the KPI has a value, its last measurement is the KPI's, and chat, the
// digest and the API judge it from the same values (QA finding 8).
func TestKeyResultFedByItsKPIHasData(t *testing.T) {
	f := newFixture(t)
	start := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	f.clock.t = start
	f.must("ada",
		`/kpi create web-leads "Web leads" unit /day higher target 35 warn 25 alert 15 every day`,
		`/okr create Grow the European market`,
		`/okr kr add O-1 Increase web leads from 22 to 35 per day --kpi web-leads`,
	)
	show := func() string { t.Helper(); return f.must("ada", "/okr show KR-1") }

	// No value yet: no data, and it says what is missing.
	f.clock.t = start.Add(48 * time.Hour)
	if got := show(); !strings.Contains(got, "no data yet: no value of KPI web-leads yet") {
		t.Fatalf("before any value:\n%s", got)
	}

	// A value a day; no check-in ever.
	set := func(day int) {
		t.Helper()
		f.clock.t = start.AddDate(0, 0, day).Add(-3 * time.Hour)
		f.must("ada", fmt.Sprintf("/kpi set web-leads %.1f", 22+0.15*float64(day)))
	}
	for d := 2; d <= 4; d++ {
		set(d)
	}
	// In its first week it is judged on its value (never "no data" next to
	// its progress), but not against pace.
	got := show()
	for _, want := range []string{"🟢 on track: at 22.6 per day", "not judged against pace yet", "last measured 5 Oct (KPI web-leads)"} {
		if !strings.Contains(got, want) {
			t.Errorf("first week: want %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "no data") || strings.Contains(got, "no check-in") {
		t.Errorf("first week: a measured key result is said to lack data:\n%s", got)
	}

	for d := 5; d <= 40; d++ {
		set(d)
	}
	f.clock.t = start.AddDate(0, 0, 40)
	got = show()
	if strings.Contains(got, "no check-in") || strings.Contains(got, "at risk") {
		t.Errorf("after the grace: at risk for want of check-ins although the KPI feeds it:\n%s", got)
	}
	for _, want := range []string{"on track: at 28 per day", "last measured 10 Nov (KPI web-leads)", "projected"} {
		if !strings.Contains(got, want) {
			t.Errorf("after the grace: want %q in\n%s", want, got)
		}
	}
	m, err := f.svc.Digest(ctx, "slack:T1", conversations.DigestScope{Company: true}, f.clock.t)
	if err != nil {
		t.Fatal(err)
	}
	if d := conversations.PlainText(m); strings.Contains(d, "At risk") || strings.Contains(d, "no check-in") {
		t.Errorf("digest:\n%s", d)
	}

	// The API says what chat says.
	if _, _, err := f.svc.CreateAPIToken(ctx, "slack:T1", "ci", "ada"); err != nil {
		t.Fatal(err)
	}
	states, err := f.svc.ObjectiveStates(ctx, conversations.Caller{Workspace: "slack:T1", TokenName: "ci"}, conversations.ObjectiveQuery{})
	if err != nil || len(states) != 1 {
		t.Fatalf("api: %v %+v", err, states)
	}
	kr := states[0].KeyResults[0]
	if kr.Status != domain.OnTrack || kr.KeyResult.Current != 28 || fmt.Sprintf("%.2f", kr.Progress) != fmt.Sprintf("%.2f", 6.0/13) {
		t.Errorf("api: %+v", kr)
	}
	// A value for it through the API is refused with the reason and the way.
	if _, err := f.svc.RecordCheckIn(ctx, conversations.Caller{Workspace: "slack:T1", TokenName: "ci"}, conversations.CheckInInput{KR: "KR-1", User: "ada", Value: ptr(29.0), Confidence: 7}); err == nil ||
		!strings.Contains(domain.ErrorMessage(err), "follows the KPI web-leads: record the value there") {
		t.Errorf("api value for a KPI-fed key result: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// A key result planned ahead (created in July for 2026-Q4) counts every
// week of its KPI since its creation, as its assessment does: the view
// reads from the earliest creation when it is before the month ahead of the
// cycle.
func TestAKeyResultPlannedAheadCountsItsWeeksSinceCreation(t *testing.T) {
	f := newFixture(t)
	july := time.Date(2026, 7, 3, 15, 0, 0, 0, time.UTC) // a Friday
	f.clock.t = july
	f.must("ada",
		`/kpi create uptime "Uptime" unit % higher target 99.9 every week`,
		`/okr create Keep the platform up --cycle 2026-Q4`,
		`/okr kr add O-1 Keep uptime above 99.9% --kpi uptime`,
	)
	weeks := 0
	for at := july; !at.After(friday); at = at.AddDate(0, 0, 7) {
		f.clock.t = at
		f.must("ada", `/kpi set uptime 99.95`)
		weeks++
	}
	f.clock.t = friday
	for _, cmd := range []string{"/okr show KR-1"} {
		if text := f.must("ada", cmd); !strings.Contains(text, fmt.Sprintf("held %d of %d weeks", weeks, weeks)) {
			t.Errorf("%s: want held %d of %d weeks:\n%s", cmd, weeks, weeks, text)
		}
	}
}

// TestKPISetReadsWhatIsMeant: a value typed with a sign is a change, not
// the KPI's value: refused with the value it would be; a value far off
// what the KPI has run between asks first and is recorded once confirmed;
// "yesterday" dates the value; another word of a day is refused rather
// than kept as a note beside a value dated today; a value in another unit
// is refused with its example in the KPI's unit.
func TestKPISetReadsWhatIsMeant(t *testing.T) {
	f := newFixture(t)
	f.quarter() // web-leads: target 35, warn 25, alert 15; latest 22
	f.must("ada", `/kpi create p95 "p95 latency" unit ms lower target 300 every day`)
	latest := func(slug string) float64 {
		k, err := f.st.KPI(ctx, "slack:T1", slug)
		if err != nil || k.Latest == nil {
			t.Fatalf("%s: %+v %v", slug, k, err)
		}
		return k.Latest.Value
	}
	for _, tt := range []struct{ line, says string }{
		{"/kpi set web-leads +5", "that is 27/day. Example: /kpi set web-leads 27"},
		{"/kpi set web-leads -2 slow week", "that is 20/day. Example: /kpi set web-leads 20"},
		{"/kpi set web-leads 26 last friday", `"last friday" reads as a day`},
		{"/kpi set p95 0.31s", "Example: /kpi set p95 310"},
	} {
		before := f.snapshot()
		r, text := f.run("ada", tt.line)
		if r.Code != domain.EINVALID || !strings.Contains(text, tt.says) || !strings.Contains(text, "Example:") {
			t.Errorf("%s: %s %q", tt.line, r.Code, text)
		}
		if f.snapshot() != before {
			t.Errorf("%s changed the store", tt.line)
		}
	}
	r, text := f.run("ada", "/kpi set web-leads 2600")
	if r.Failed() || !strings.Contains(text, "far off") || latest("web-leads") != 22 {
		t.Fatalf("an off-scale value: %s %q, latest %v", r.Code, text, latest("web-leads"))
	}
	f.must("ada", "/kpi set web-leads 2600 --yes")
	if latest("web-leads") != 2600 {
		t.Errorf("confirmed: latest %v", latest("web-leads"))
	}
	f.must("ada", "/kpi set p95 310, deploy rolled back")
	if k, _ := f.st.KPI(ctx, "slack:T1", "p95"); k.Latest == nil || k.Latest.Value != 310 || k.Latest.Note != "deploy rolled back" {
		t.Errorf("a value and its note parted by a comma: %+v", k.Latest)
	}
	f.must("ada", "/kpi set web-leads 27 yesterday")
	k, _ := f.st.KPI(ctx, "slack:T1", "web-leads")
	vals, _ := f.st.KPIValues(ctx, "slack:T1", "web-leads", 10)
	if i := slices.IndexFunc(vals, func(v domain.KPIValue) bool { return v.Value == 27 }); i < 0 ||
		vals[i].At.Format(time.DateOnly) != friday.AddDate(0, 0, -1).Format(time.DateOnly) || vals[i].Note != "" || k.Latest.Value != 2600 {
		t.Errorf("yesterday's value: %+v", vals)
	}
}
