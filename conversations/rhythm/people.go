package rhythm

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
)

// people is a workspace as prompts and reminders see it, read once per run
// with four store calls, whatever its size.
type people struct {
	ws        domain.Workspace
	read      time.Time                     // when it was read (the real clock)
	teams     map[string]domain.Settings    // channel -> override
	owned     map[string][]domain.KeyResult // person -> key results they own in current active objectives
	team      map[string]string             // person -> team of their first such objective
	users     map[string]domain.User
	checkedIn map[string]bool // person/week
	// objectives are the current active objectives, oldest first, and
	// leads the lead each team names: who hears of missed check-ins
	// (escalation.go).
	objectives []domain.Objective
	leads      map[string]string
}

// peopleOf returns the run's snapshot of a workspace's people, reading it
// the first time it is asked for; concurrent callers wait for one read.
func (run *Run) peopleOf(ctx context.Context, ws domain.Workspace) (*people, error) {
	run.mu.Lock()
	if p := run.people[ws.ID]; p != nil {
		run.mu.Unlock()
		return p, nil
	}
	l := run.loading[ws.ID]
	if l == nil {
		l = &sync.Mutex{}
		run.loading[ws.ID] = l
	}
	run.mu.Unlock()
	l.Lock()
	defer l.Unlock()
	run.mu.Lock()
	p := run.people[ws.ID]
	run.mu.Unlock()
	if p != nil {
		return p, nil
	}
	p, err := run.loadPeople(ctx, ws)
	if err != nil {
		return nil, err
	}
	run.mu.Lock()
	run.people[ws.ID] = p
	run.mu.Unlock()
	return p, nil
}

// snapshot returns the run's snapshot of a workspace if it has read one.
func (run *Run) snapshot(ws string) *people {
	run.mu.Lock()
	defer run.mu.Unlock()
	return run.people[ws]
}

func (run *Run) loadPeople(ctx context.Context, ws domain.Workspace) (*people, error) {
	st := run.r.store
	ts, err := st.TeamSettings(ctx, ws.ID)
	if err != nil {
		return nil, err
	}
	p := &people{ws: ws, read: run.r.opt.Now(), teams: map[string]domain.Settings{}, owned: map[string][]domain.KeyResult{},
		team: map[string]string{}, users: map[string]domain.User{}, checkedIn: map[string]bool{}, leads: map[string]string{}}
	for _, t := range ts {
		p.teams[t.Channel] = t.Settings
		if t.Lead != "" {
			p.leads[t.Channel] = t.Lead
		}
	}
	os, err := st.Objectives(ctx, ws.ID, domain.ObjectiveFilter{Statuses: []domain.ObjectiveStatus{domain.Active}})
	if err != nil {
		return nil, err
	}
	p.objectives = current(os, ws, run.at)
	for _, o := range p.objectives {
		for _, kr := range o.KeyResults {
			if _, seen := p.team[kr.Owner]; !seen {
				p.team[kr.Owner] = o.Team
			}
			p.owned[kr.Owner] = append(p.owned[kr.Owner], kr)
		}
	}
	us, err := st.Users(ctx, ws.ID)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		p.users[u.ID] = u
	}
	// Check-ins of the last two weeks cover every person's current week.
	cs, err := st.CheckIns(ctx, ws.ID, domain.CheckInFilter{Since: run.at.AddDate(0, 0, -15)})
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		p.checkedIn[c.UserID+"/"+string(c.Week)] = true
	}
	return p, nil
}

// current keeps the objectives whose cycle contains at.
func current(os []domain.Objective, ws domain.Workspace, at time.Time) []domain.Objective {
	loc := loadLocation(ws.Settings.TimeZone)
	out := os[:0:0]
	for _, o := range os {
		if start, end := o.Cycle.Bounds(loc); !at.Before(start) && at.Before(end) {
			out = append(out, o)
		}
	}
	return out
}

// settingsOf returns a person's rhythm and time zone.
func (p *people) settingsOf(user string) (domain.Settings, *time.Location) {
	set, tz := domain.Personal(p.ws.Settings, p.teams, p.team[user], p.users[user].TimeZone)
	return set, loadLocation(tz)
}

// nextDue is the first moment after at when anyone in the workspace could
// have a delivery of kind due: the earliest over every rhythm its people
// may live by (the workspace's and each team's) in every time zone they may
// live in (each setting's and each person's). It is a superset of the
// people's real moments, so that someone new (a new owner, a new team
// member) is never missed: only a change of settings or of a person's time
// zone can move it, and those mark the workspace (see Watch).
func (p *people) nextDue(at time.Time, kind string) time.Time {
	variants := []domain.Settings{p.ws.Settings}
	for _, t := range p.teams {
		variants = append(variants, p.ws.Settings.Override(t))
	}
	zones := map[string]bool{}
	for _, u := range p.users {
		if u.TimeZone != "" {
			zones[u.TimeZone] = true
		}
	}
	var next time.Time
	for _, set := range variants {
		for tz := range zonesWith(zones, set.TimeZone) {
			m, _ := domain.NextDue(at, loadLocation(tz), set, kind)
			next = earliest(next, m)
		}
	}
	return next
}

func zonesWith(zones map[string]bool, tz string) map[string]bool {
	out := map[string]bool{tz: true}
	for z := range zones {
		out[z] = true
	}
	return out
}

// planPeople plans check-in prompts or reminders: one to every person who
// owns a key result in a current active objective and whose moment has
// come in their own time zone, unless they are away or checked in already.
func planPeople(ctx context.Context, run *Run, ws domain.Workspace, _ Queue) (planned, error) {
	p, err := run.peopleOf(ctx, ws)
	if err != nil {
		return planned{}, err
	}
	kind := run.kind.name
	var out planned
	periods := map[string]bool{}
	for _, user := range owners(p) {
		set, loc := p.settingsOf(user)
		week, due := domain.DueWeek(run.at, loc, set, kind)
		if !due {
			continue
		}
		periods[string(week)] = true
		if p.users[user].Away(run.at) || p.checkedIn[user+"/"+string(week)] {
			out.skipped++
			continue
		}
		_, closes, _ := domain.Window(week, set, loc, kind)
		out.entries = append(out.entries, domain.OutboxEntry{
			ID: domain.OutboxID(ws.ID, user, kind, string(week)), WorkspaceID: ws.ID, Recipient: user, Direct: true,
			Kind: kind, Period: string(week), At: run.at, ExpiresAt: run.expires(closes),
		})
	}
	for per := range periods {
		out.periods = append(out.periods, per)
	}
	out.next = p.nextDue(run.at, kind)
	return out, nil
}

// composePerson writes a prompt or a reminder. It reads from the run's
// snapshot when there is one (re-reading the person's check-ins and absence
// when the snapshot is older than Fresh: a fan-out can take many minutes),
// else just this person's key results, absence and check-ins: a delivery
// costs O(1) store calls either way.
func composePerson(ctx context.Context, run *Run, ws domain.Workspace, e domain.OutboxEntry) (*conversations.Message, string, error) {
	at, week, user := run.asOf(e), domain.Week(e.Period), e.Recipient
	st := run.r.store
	var krs []domain.KeyResult
	var away, checked bool
	p := run.snapshot(ws.ID)
	if p != nil && run.r.opt.Now().Sub(p.read) <= run.r.opt.Fresh {
		krs, away, checked = p.owned[user], p.users[user].Away(at), p.checkedIn[user+"/"+e.Period]
	} else {
		if p != nil {
			krs = p.owned[user]
		} else {
			os, err := st.Objectives(ctx, ws.ID, domain.ObjectiveFilter{KROwner: user, Statuses: []domain.ObjectiveStatus{domain.Active}})
			if err != nil {
				return nil, "", err
			}
			for _, o := range current(os, ws, at) {
				for _, kr := range o.KeyResults {
					if kr.Owner == user {
						krs = append(krs, kr)
					}
				}
			}
		}
		us, err := st.Users(ctx, ws.ID, user)
		if err != nil {
			return nil, "", err
		}
		away = slices.ContainsFunc(us, func(u domain.User) bool { return u.ID == user && u.Away(at) })
		cs, err := st.CheckIns(ctx, ws.ID, domain.CheckInFilter{User: user, Weeks: []domain.Week{week}})
		if err != nil {
			return nil, "", err
		}
		checked = len(cs) > 0
	}
	switch {
	case checked:
		return nil, "checked in already", nil
	case away:
		return nil, "away", nil
	case len(krs) == 0:
		return nil, "owns no key results any more", nil
	}
	return conversations.PromptMessage(ws, e.Kind, week, krs), "", nil
}
