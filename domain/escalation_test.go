package domain_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
)

func TestAwayPeriodsOf(t *testing.T) {
	d := func(n int) time.Time { return time.Date(2026, 11, n, 12, 0, 0, 0, time.UTC) }
	away := func(at, until int) domain.AwayChange { return domain.AwayChange{At: d(at), Until: d(until)} }
	back := func(at int) domain.AwayChange { return domain.AwayChange{At: d(at)} }
	p := func(from, until int) domain.AwayPeriod {
		return domain.AwayPeriod{UserID: "ana", From: d(from), Until: d(until)}
	}
	tests := []struct {
		name    string
		changes []domain.AwayChange
		want    []domain.AwayPeriod
	}{
		{"none", nil, nil},
		{"away until a date", []domain.AwayChange{away(1, 20)}, []domain.AwayPeriod{p(1, 20)}},
		{"back early", []domain.AwayChange{away(1, 20), back(10)}, []domain.AwayPeriod{p(1, 10)}},
		{"extended while away", []domain.AwayChange{away(1, 20), away(10, 30)}, []domain.AwayPeriod{p(1, 30)}},
		{"shortened while away", []domain.AwayChange{away(1, 20), away(5, 8)}, []domain.AwayPeriod{p(1, 8)}},
		{"two absences", []domain.AwayChange{away(1, 5), away(10, 12)}, []domain.AwayPeriod{p(1, 5), p(10, 12)}},
		{"back when not away", []domain.AwayChange{back(3), away(4, 6), back(9)}, []domain.AwayPeriod{p(4, 6)}},
		{"out of order", []domain.AwayChange{back(10), away(1, 20)}, []domain.AwayPeriod{p(1, 10)}},
		{"a date already past", []domain.AwayChange{away(10, 9)}, nil},
	}
	for _, tt := range tests {
		if got := domain.AwayPeriodsOf("ana", tt.changes); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	ps := []domain.AwayPeriod{p(5, 10)}
	for _, tt := range []struct {
		from, until int
		want        bool
	}{{1, 5, false}, {1, 6, true}, {9, 12, true}, {10, 12, false}, {6, 7, true}} {
		if got := domain.AwayDuring(ps, d(tt.from), d(tt.until)); got != tt.want {
			t.Errorf("AwayDuring([5, 10), [%d, %d)) = %v", tt.from, tt.until, got)
		}
	}
}

// TestCheckInStatesWithAway judges the Fridays of November 2026 (W45–W48)
// for someone who answered the first, was away for the second and third,
// and missed the fourth.
func TestCheckInStatesWithAway(t *testing.T) {
	set := domain.DefaultSettings("UTC")
	fri := func(n int) time.Time { return time.Date(2026, 11, n, 15, 0, 0, 0, time.UTC) }
	answered := map[domain.Week]time.Time{"2026-W45": fri(6).Add(time.Hour)}
	now := fri(27).Add(7 * 24 * time.Hour)                                             // W48 closed
	since, until := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), now.Add(time.Minute) // W49 just opened
	const on, miss, not, pend = domain.OnTime, domain.Missed, domain.NotDue, domain.Pending
	tests := []struct {
		name string
		away []domain.AwayPeriod
		want []domain.CheckInState
	}{
		{"no away history: away weeks count as missed", nil, []domain.CheckInState{on, miss, miss, miss, pend}},
		{"away from the W46 prompt to the W47 reminder", []domain.AwayPeriod{{From: fri(13).Add(-time.Hour), Until: fri(23)}}, []domain.CheckInState{on, not, not, miss, pend}},
		{"gone on Monday after the W46 reminder", []domain.AwayPeriod{{From: fri(16).Add(time.Hour), Until: fri(19)}}, []domain.CheckInState{on, miss, miss, miss, pend}},
		{"back the Saturday after a prompt", []domain.AwayPeriod{{From: fri(10), Until: fri(14)}}, []domain.CheckInState{on, not, miss, miss, pend}},
		{"answered while away", []domain.AwayPeriod{{From: fri(1), Until: fri(10)}}, []domain.CheckInState{on, miss, miss, miss, pend}},
	}
	for _, tt := range tests {
		weeks, states := domain.CheckInStates(since, until, now, time.UTC, set, answered, tt.away)
		if len(weeks) != 5 || weeks[0] != "2026-W45" || weeks[4] != "2026-W49" {
			t.Fatalf("weeks %v", weeks)
		}
		if !reflect.DeepEqual(states, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, states, tt.want)
		}
	}
	// Weeks away are neither missed in the tally nor part of a streak.
	weeks, states := domain.CheckInStates(since, until, now, time.UTC, set, answered, tests[1].away)
	if d := domain.Tally(states); d != (domain.Discipline{OnTime: 1, Missed: 1}) {
		t.Errorf("Tally = %+v", d)
	}
	if got := domain.MissedRun(weeks, states); !reflect.DeepEqual(got, []domain.Week{"2026-W48"}) {
		t.Errorf("MissedRun = %v", got)
	}
}

func TestEscalationRun(t *testing.T) {
	const on, late, miss, not, pend = domain.OnTime, domain.Late, domain.Missed, domain.NotDue, domain.Pending
	weeks := []domain.Week{"W1", "W2", "W3", "W4", "W5", "W6"}
	tests := []struct {
		name   string
		states []domain.CheckInState
		after  int
		want   []domain.Week
	}{
		{"one miss", []domain.CheckInState{on, on, on, on, miss, pend}, 2, nil},
		{"two in a row", []domain.CheckInState{on, on, on, miss, miss, pend}, 2, []domain.Week{"W4", "W5"}},
		{"two in a row, the week just closed", []domain.CheckInState{on, on, on, on, miss, miss}, 2, []domain.Week{"W5", "W6"}},
		{"three in a row, threshold 2: the same streak", []domain.CheckInState{on, on, miss, miss, miss, pend}, 2, []domain.Week{"W3", "W4", "W5"}},
		{"threshold 3 not reached", []domain.CheckInState{on, on, on, miss, miss, pend}, 3, nil},
		{"late breaks a streak", []domain.CheckInState{on, miss, late, miss, pend, pend}, 2, nil},
		{"away in between neither breaks nor extends", []domain.CheckInState{on, on, miss, not, miss, pend}, 2, []domain.Week{"W3", "W5"}},
		{"away right after the streak: left alone", []domain.CheckInState{on, miss, miss, not, not, pend}, 2, nil},
		{"missing again on return", []domain.CheckInState{miss, miss, not, not, miss, pend}, 2, []domain.Week{"W1", "W2", "W5"}},
		{"never due", []domain.CheckInState{not, not, not, not, not, pend}, 2, nil},
		{"threshold 1", []domain.CheckInState{on, on, on, on, miss, pend}, 1, []domain.Week{"W5"}},
	}
	for _, tt := range tests {
		if got := domain.EscalationRun(weeks, tt.states, tt.after); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
		if n := domain.MissedStreak(tt.states); len(domain.MissedRun(weeks, tt.states)) != n {
			t.Errorf("%s: MissedRun and MissedStreak disagree", tt.name)
		}
	}
	if (domain.Escalation{}).Threshold() != domain.DefaultEscalateAfter || (domain.Escalation{After: 4}).Threshold() != 4 {
		t.Error("Threshold")
	}
}

func TestTeamLead(t *testing.T) {
	kr := func(owner string) domain.KeyResult { return domain.KeyResult{Owner: owner} }
	os := []domain.Objective{
		{Ref: "O-1", Team: "C-growth", Owner: "lea", KeyResults: []domain.KeyResult{kr("lea"), kr("bob")}},
		{Ref: "O-2", Team: "C-growth", Owner: "bob", KeyResults: []domain.KeyResult{kr("bob"), kr("cy")}},
		{Ref: "O-3", Team: "C-mobile", Owner: "max", KeyResults: []domain.KeyResult{kr("bob")}},
		{Ref: "O-4", Team: "", Owner: "eve", KeyResults: []domain.KeyResult{kr("dan")}},
		{Ref: "O-5", Team: "C-solo", Owner: "sam", KeyResults: []domain.KeyResult{kr("sam")}},
	}
	tests := []struct {
		name, person, team, configured string
		want                           domain.Lead
		why                            string
	}{
		{"the owner of the team's oldest objective holding their key result", "bob", "C-growth", "", domain.Lead{User: "lea", Objective: "O-1"}, ""},
		{"not the owner of the team's oldest objective: the one holding theirs", "cy", "C-growth", "", domain.Lead{User: "bob", Objective: "O-2"}, ""},
		{"the team they are counted in", "bob", "C-mobile", "", domain.Lead{User: "max", Objective: "O-3"}, ""},
		{"an objective with no team", "dan", "", "", domain.Lead{User: "eve", Objective: "O-4"}, ""},
		{"a lead the team configured", "bob", "C-growth", "zoe", domain.Lead{User: "zoe"}, ""},
		{"their own objective: nobody", "sam", "C-solo", "", domain.Lead{}, "they own O-5"},
		{"their own objective, before another's: nobody, no guess", "lea", "C-growth", "", domain.Lead{}, "they own O-1"},
		{"the configured lead themself: nobody", "zoe", "C-growth", "zoe", domain.Lead{}, "their team's lead"},
		{"no objective of the team holds theirs", "dan", "C-growth", "", domain.Lead{}, "no objective"},
	}
	for _, tt := range tests {
		got, why := domain.TeamLead(tt.person, tt.team, tt.configured, os)
		if got != tt.want || (tt.why == "") != (why == "") || !strings.Contains(why, tt.why) {
			t.Errorf("%s: %+v (%q), want %+v (%q)", tt.name, got, why, tt.want, tt.why)
		}
	}
}

func TestEscalationFallsDueWhenTheWeekCloses(t *testing.T) {
	set := domain.DefaultSettings("Europe/Paris")
	paris, _ := time.LoadLocation("Europe/Paris")
	fri := time.Date(2026, 11, 20, 15, 0, 0, 0, paris)
	if _, due := domain.DueWeek(fri.Add(-time.Minute), paris, set, domain.KindEscalation); due {
		t.Error("due before the check-in moment")
	}
	week, due := domain.DueWeek(fri, paris, set, domain.KindEscalation)
	if !due || week != "2026-W47" {
		t.Errorf("at the check-in moment: %s %v", week, due)
	}
	_, closes, _ := domain.Window(week, set, paris, domain.KindEscalation)
	if want := time.Date(2026, 11, 27, 0, 0, 0, 0, paris); !closes.Equal(want) {
		t.Errorf("closes %v, want %v", closes, want)
	}
	// With prompts off, the week still closes and is escalated.
	off := set
	off.CheckIn.Off = true
	if _, due := domain.DueWeek(fri, paris, off, domain.KindEscalation); !due {
		t.Error("not due with prompts off")
	}
	next, _ := domain.NextDue(fri, paris, set, domain.KindEscalation)
	if !next.Equal(fri.AddDate(0, 0, 7)) {
		t.Errorf("next %v", next)
	}
	// Off, and a team's override.
	off = set
	off.Escalate = domain.Escalation{Off: true, Set: true}
	if _, due := domain.DueWeek(fri, paris, off, domain.KindEscalation); due {
		t.Error("due with escalation off")
	}
	team := set.Override(domain.Settings{Escalate: domain.Escalation{After: 3, Set: true}})
	if team.Escalate.Threshold() != 3 || set.Override(domain.Settings{}).Escalate.Threshold() != 2 {
		t.Errorf("override %+v", team.Escalate)
	}
}
