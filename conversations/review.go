package conversations

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// The cycle review: the first digest after a cycle ends opens with its
// grades, what was met and missed, what carries over and how check-ins
// went, before the new cycle's digest.

const (
	reviewObjectives = 25
	reviewKRs        = 15
)

// endedCycles are the cycles that may have ended just before now: the
// previous quarter, and the half and the year when it closed one of them.
func endedCycles(now time.Time, loc *time.Location) []domain.Cycle {
	q := domain.PreviousQuarter(now, loc)
	year := string(q[:4])
	switch q[len(q)-2:] {
	case "Q2":
		return []domain.Cycle{q, domain.Cycle(year + "-H1")}
	case "Q4":
		return []domain.Cycle{q, domain.Cycle(year + "-H2"), domain.Cycle(year)}
	}
	return []domain.Cycle{q}
}

// review returns the review of the cycle whose first digest after its end
// is this one (domain.ReviewDue, by the digest's slot), or nil when none
// is (or it had no objectives in scope).
func (ss *session) review(scope DigestScope, d *digestData) (*Message, error) {
	var ended []domain.Objective
	var cycle domain.Cycle
	for _, c := range endedCycles(d.slot, ss.wsLoc) {
		if !domain.ReviewDue(c, ss.wsLoc, d.week, d.set, d.loc) {
			continue
		}
		f := domain.ObjectiveFilter{Cycle: c, Statuses: []domain.ObjectiveStatus{domain.Active, domain.Closed}}
		if !scope.Company {
			f.Team = scope.Channel
		}
		os, err := ss.store.Objectives(ss.ctx, ss.ws.ID, f)
		if err != nil {
			return nil, err
		}
		if len(os) > 0 && cycle == "" {
			cycle = c
		}
		ended = append(ended, os...)
	}
	if len(ended) == 0 {
		return nil, nil
	}
	sort.SliceStable(ended, func(i, j int) bool { return refLess(ended[i].Ref, ended[j].Ref) })

	var people []string
	for _, o := range ended {
		people = append(people, o.Owner)
		for _, kr := range o.KeyResults {
			people = append(people, kr.Owner)
		}
	}
	names := ss.names(dedupe(people))
	m := &Message{Title: fmt.Sprintf("%s · review of %s", d.title, cycle)}

	// Grades, and what they mean for each commitment.
	grades := Section{Heading: B(fmt.Sprintf("Grades (%d)", len(ended)))}
	var committed, met, asp int
	var aspSum float64
	for i, o := range ended {
		g, graded := domain.DefaultGrade(o), o.Grade != nil
		if graded {
			g = *o.Grade
		}
		ok := domain.Succeeded(o.Commitment, g)
		if o.Commitment == domain.Aspirational {
			asp++
			aspSum += g
		} else {
			committed++
			if ok {
				met++
			}
		}
		if i == reviewObjectives {
			grades.Note = T(fmt.Sprintf("…and %d more objectives: ", len(ended)-reviewObjectives)).AddCode(ss.cmd("okr") + " list all --cycle " + string(cycle))
			continue
		}
		if i > reviewObjectives {
			continue
		}
		verdict := "✅ met"
		if !ok {
			verdict = "❌ missed"
		}
		how := fmt.Sprintf("%.2f", g)
		if !graded {
			how += " (not graded: its progress)"
		}
		line := Text{}.AddCode(o.Ref).Add(" "+clip(o.Title, 60)+" — "+how+fmt.Sprintf(" · %s, %.1f is success · %s · ", o.Commitment, o.Commitment.Expected(), verdict)).
			AddUser(o.Owner, names[o.Owner])
		grades.Lines = append(grades.Lines, line)
	}
	m.Sections = append(m.Sections, grades)

	res := Section{Heading: B("Results")}
	if committed > 0 {
		res.Lines = append(res.Lines, T(fmt.Sprintf("Committed objectives: %d of %d met (1.0 expected of each)", met, committed)))
	}
	if asp > 0 {
		avg := aspSum / float64(asp)
		side := "below"
		if avg+1e-9 >= domain.Aspirational.Expected() {
			side = "at or above"
		}
		res.Lines = append(res.Lines, T(fmt.Sprintf("Aspirational objectives: average grade %.2f, %s the 0.7 that counts as success (%d objective%s)", avg, side, asp, plural(asp))))
	}
	m.Sections = append(m.Sections, res)

	// Unfinished key results, and whether the new cycle carries them on (a
	// key result of the same text in one of its objectives).
	carried := map[string]string{} // normalised title -> "KR-40 in O-9"
	for _, o := range d.os {
		for _, kr := range o.KeyResults {
			carried[normTitle(kr.Title)] = kr.Ref + " in " + o.Ref
		}
	}
	var open []Text
	nCarried := 0
	for _, o := range ended {
		for _, kr := range o.KeyResults {
			if kr.Progress() >= 1 { // met: at target, done, or holding at the end
				continue
			}
			line := Text{}.AddCode(kr.Ref).Add(fmt.Sprintf(" %s — %d%%", clip(kr.Title, 60), pct(kr.Progress())))
			if to, ok := carried[normTitle(kr.Title)]; ok {
				nCarried++
				line = line.Add(" · carried over as " + to)
			} else {
				line = line.Add(" · not carried over")
			}
			open = append(open, line)
		}
	}
	if len(open) > 0 {
		sec := Section{Heading: B(fmt.Sprintf("Key results carried over: %d of %d unfinished", nCarried, len(open)))}
		sec.Lines = open[:min(len(open), reviewKRs)]
		if len(open) > reviewKRs {
			sec.Note = T(fmt.Sprintf("…and %d more unfinished key results", len(open)-reviewKRs))
		}
		m.Sections = append(m.Sections, sec)
	}

	disc, err := ss.discipline(ended, cycle, d)
	if err != nil {
		return nil, err
	}
	if len(disc) > 0 {
		sec := Section{Heading: B("Check-in discipline"), Note: T("Per person, over the cycle's check-in weeks: on time is before the reminder, late is after it, missed is no check-in that week; weeks away are not counted.")}
		for i, p := range disc {
			if i == digestPeople {
				sec.Lines = append(sec.Lines, T(fmt.Sprintf("…and %d more people", len(disc)-digestPeople)))
				break
			}
			sec.Lines = append(sec.Lines, Text{}.AddUser(p.user, names[p.user]).Add(fmt.Sprintf(": %d on time · %d late · %d missed", p.d.OnTime, p.d.Late, p.d.Missed)))
		}
		m.Sections = append(m.Sections, sec)
	}
	m.Summary = fmt.Sprintf("%s: %d objectives graded; committed %d of %d met", m.Title, len(ended), met, committed)
	return m, nil
}

type personDiscipline struct {
	user string
	d    domain.Discipline
}

// discipline judges each key result owner's check-in weeks of the cycle,
// from their first key result's start, in their own rhythm and time zone.
func (ss *session) discipline(os []domain.Objective, cycle domain.Cycle, d *digestData) ([]personDiscipline, error) {
	start, end := cycle.Bounds(ss.wsLoc)
	first := map[string]time.Time{} // user -> when they first owned a key result of the cycle
	team := map[string]string{}
	for _, o := range os {
		for _, kr := range o.KeyResults {
			since := domain.OwnedSince(o, kr, start)
			if f, ok := first[kr.Owner]; !ok || since.Before(f) {
				first[kr.Owner] = since
			}
			if _, ok := team[kr.Owner]; !ok {
				team[kr.Owner] = o.Team
			}
		}
	}
	if len(first) == 0 {
		return nil, nil
	}
	teams, err := ss.teamSettings(ss.ctx, ss.ws.ID)
	if err != nil {
		return nil, err
	}
	owners := keys(boolSet(first))
	users, err := ss.store.Users(ss.ctx, ss.ws.ID, owners...)
	if err != nil {
		return nil, err
	}
	// Weeks away are not missed (domain.CheckInStates).
	periods, err := ss.store.AwayPeriods(ss.ctx, ss.ws.ID, owners...)
	if err != nil {
		return nil, err
	}
	away := map[string][]domain.AwayPeriod{}
	for _, p := range periods {
		away[p.UserID] = append(away[p.UserID], p)
	}
	tz := map[string]string{}
	for _, u := range users {
		tz[u.ID] = u.TimeZone
	}
	answered := map[string]map[domain.Week]time.Time{}
	for _, c := range d.cs {
		if answered[c.UserID] == nil {
			answered[c.UserID] = map[domain.Week]time.Time{}
		}
		if a, ok := answered[c.UserID][c.Week]; !ok || c.Answered().Before(a) {
			answered[c.UserID][c.Week] = c.Answered()
		}
	}
	var out []personDiscipline
	for user, since := range first {
		set, loc := personal(ss.ws, teams, team[user], tz[user])
		_, states := domain.CheckInStates(since, end, ss.now, loc, set, answered[user], away[user])
		out = append(out, personDiscipline{user: user, d: domain.Tally(states)})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].d, out[j].d
		if a.Missed != b.Missed {
			return a.Missed > b.Missed
		}
		if a.Late != b.Late {
			return a.Late > b.Late
		}
		return out[i].user < out[j].user
	})
	return out, nil
}

func boolSet[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func normTitle(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// refLess orders refs by number: O-2 before O-10.
func refLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
