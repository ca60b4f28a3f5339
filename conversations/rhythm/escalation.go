package rhythm

import (
	"context"
	"sort"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// Escalations: when a person has missed check-ins in a row, their team lead
// gets one DM naming them, once per streak.
//
// It is decided at the person's check-in moment, when the week before has
// closed (domain.Window of KindEscalation). The streak is judged over the
// person's check-in weeks of the current cycle, their away history making
// the weeks they were away not due (domain.CheckInStates); it escalates
// when it reaches the team's threshold and nothing but the week just begun
// follows it (domain.EscalationRun). Its outbox id names the person it is
// about and the first week of the streak, not the lead it goes to, and its
// period is that week and the person (streakPeriod): every process and
// every run planning it plans the same entry, so the streak is escalated
// once, however it grows and even if the lead changes; a new streak, after
// a check-in, has a new first week and may be escalated again. Nobody is told about someone away now, nor about themself, and
// nobody is guessed at when there is no lead (domain.TeamLead): that is
// logged, once per streak in a process.

// planEscalations plans the escalations due in a workspace at the run's
// moment.
func planEscalations(ctx context.Context, run *Run, ws domain.Workspace, _ Queue) (planned, error) {
	p, err := run.peopleOf(ctx, ws)
	if err != nil {
		return planned{}, err
	}
	const kind = domain.KindEscalation
	var out planned
	out.next = p.nextDue(run.at, kind)
	type candidate struct {
		user   string
		week   domain.Week
		set    domain.Settings
		loc    *time.Location
		closes time.Time
	}
	var cands []candidate
	var ids []string
	for _, user := range owners(p) {
		set, loc := p.settingsOf(user)
		week, due := domain.DueWeek(run.at, loc, set, kind)
		if !due {
			continue
		}
		if p.users[user].Away(run.at) {
			out.skipped++
			continue
		}
		// Answered the week that just closed: no streak. Most people stop
		// here, on the snapshot, without a store call.
		if p.checkedIn[user+"/"+string(previousWeek(week))] {
			continue
		}
		_, closes, _ := domain.Window(week, set, loc, kind)
		cands = append(cands, candidate{user, week, set, loc, closes})
		ids = append(ids, user)
	}
	if len(cands) == 0 {
		return out, nil
	}
	away, err := run.awayOf(ctx, ws, ids...)
	if err != nil {
		return out, err
	}
	periods := map[string]bool{}
	for _, c := range cands {
		s, err := run.streakOf(ctx, p, c.user, c.set, c.loc, away[c.user], run.at)
		if err != nil {
			return out, err
		}
		if len(s.missed) == 0 {
			continue
		}
		start := s.missed[0]
		lead, why := domain.TeamLead(c.user, p.team[c.user], p.leads[p.team[c.user]], p.objectives)
		if lead.User == "" {
			out.skipped++
			if _, logged := run.r.noLead.LoadOrStore(ws.ID+"/"+c.user+"/"+string(start), true); !logged {
				run.r.opt.Log.InfoContext(ctx, "escalation: nobody to tell of missed check-ins", "workspace", ws.ID, "person", c.user,
					"team", p.team[c.user], "missed", len(s.missed), "since", start, "why", why)
			}
			continue
		}
		period := streakPeriod(start, c.user)
		periods[period] = true
		out.entries = append(out.entries, domain.OutboxEntry{
			ID: domain.OutboxID(ws.ID, c.user, kind, string(start)), WorkspaceID: ws.ID, Recipient: lead.User, Direct: true,
			Kind: kind, Period: period, Subject: c.user, At: run.at, ExpiresAt: run.expires(c.closes),
		})
	}
	for per := range periods {
		out.periods = append(out.periods, per)
	}
	return out, nil
}

// composeEscalation writes the DM of a planned escalation as of its moment,
// judging the streak again (the person's check-ins and absences read
// fresh): nothing is sent about someone who has checked in or gone away
// since, or whose team lead is not the one planned any more.
func composeEscalation(ctx context.Context, run *Run, ws domain.Workspace, e domain.OutboxEntry) (*conversations.Message, string, error) {
	at, user := run.asOf(e), e.Subject
	p, err := run.peopleOf(ctx, ws)
	if err != nil {
		return nil, "", err
	}
	krs := p.owned[user]
	if len(krs) == 0 {
		return nil, "owns no key results any more", nil
	}
	us, err := run.r.store.Users(ctx, ws.ID, user, e.Recipient)
	if err != nil {
		return nil, "", err
	}
	names := map[string]domain.User{}
	for _, u := range us {
		names[u.ID] = u
	}
	if names[user].Away(at) {
		return nil, "away", nil
	}
	away, err := run.awayOf(ctx, ws, user)
	if err != nil {
		return nil, "", err
	}
	set, loc := p.settingsOf(user)
	s, err := run.streakOf(ctx, p, user, set, loc, away[user], at)
	switch {
	case err != nil:
		return nil, "", err
	case s.answeredSince(at):
		return nil, "checked in since", nil
	case len(s.missed) == 0 || streakPeriod(s.missed[0], user) != e.Period:
		return nil, "the streak is over", nil
	}
	team := p.team[user]
	lead, _ := domain.TeamLead(user, team, p.leads[team], p.objectives)
	if lead.User != e.Recipient {
		return nil, "the team's lead changed", nil
	}
	n := conversations.EscalationNotice{Person: user, PersonName: names[user].Name, Team: team, Missed: s.missed,
		LastCheckIn: s.last, KRs: krs, Lead: lead}
	n.Since, _, _ = domain.CheckInWindow(s.missed[0], loc, set)
	for _, o := range p.objectives {
		if o.Ref == lead.Objective {
			n.Objective = o
		}
	}
	return conversations.EscalationMessage(ws, n), "", nil
}

// streakPeriod is the period of an escalation: the streak's first week and
// the person ("2026-W41:U0BOB"). It names the person because two people's
// streaks may start the same week and go to the same lead, and a lead,
// kind and period make one delivery.
func streakPeriod(start domain.Week, user string) string { return string(start) + ":" + user }

// streak is a person's check-in record of the current cycle as escalation
// reads it.
type streak struct {
	// missed are the weeks to escalate (domain.EscalationRun); none when
	// there is nothing to escalate.
	missed []domain.Week
	// last is the latest week they answered ("" for none).
	last domain.Week
	// answered are the moments of their answers.
	answered []time.Time
}

// answeredSince reports whether the person answered at or after t.
func (s streak) answeredSince(t time.Time) bool {
	for _, a := range s.answered {
		if !a.Before(t) {
			return true
		}
	}
	return false
}

// streakOf judges a person's check-in weeks from when they first owned one
// of their current key results (not before its cycle's start) to at, with
// away their away periods. It reads their check-ins of those weeks: one
// store call.
func (run *Run) streakOf(ctx context.Context, p *people, user string, set domain.Settings, loc *time.Location, away []domain.AwayPeriod, at time.Time) (streak, error) {
	wsLoc := loadLocation(p.ws.Settings.TimeZone)
	var since time.Time
	for _, o := range p.objectives {
		start, _ := o.Cycle.Bounds(wsLoc)
		for _, kr := range o.KeyResults {
			if kr.Owner == user {
				since = earliest(since, domain.OwnedSince(o, kr, start))
			}
		}
	}
	var s streak
	if since.IsZero() {
		return s, nil
	}
	cs, err := run.r.store.CheckIns(ctx, p.ws.ID, domain.CheckInFilter{User: user, Since: since})
	if err != nil {
		return s, err
	}
	answered := map[domain.Week]time.Time{}
	for _, c := range cs {
		if a, ok := answered[c.Week]; !ok || c.Answered().Before(a) {
			answered[c.Week] = c.Answered()
		}
		s.answered = append(s.answered, c.Answered())
	}
	weeks, states := domain.CheckInStates(since, at, at, loc, set, answered, away)
	for i, st := range states {
		if st == domain.OnTime || st == domain.Late {
			s.last = weeks[i]
		}
	}
	s.missed = domain.EscalationRun(weeks, states, set.Escalate.Threshold())
	return s, nil
}

// awayOf reads the away periods of people, by person: one store call.
func (run *Run) awayOf(ctx context.Context, ws domain.Workspace, ids ...string) (map[string][]domain.AwayPeriod, error) {
	ps, err := run.r.store.AwayPeriods(ctx, ws.ID, ids...)
	if err != nil {
		return nil, err
	}
	out := map[string][]domain.AwayPeriod{}
	for _, a := range ps {
		out[a.UserID] = append(out[a.UserID], a)
	}
	return out, nil
}

// owners returns the people of a snapshot who own a key result, in order.
func owners(p *people) []string {
	out := make([]string, 0, len(p.owned))
	for u := range p.owned {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// previousWeek returns the week before w.
func previousWeek(w domain.Week) domain.Week {
	s := w.Start(time.UTC)
	if s.IsZero() {
		return ""
	}
	return domain.WeekOf(s.AddDate(0, 0, -7), time.UTC)
}
