package conversations

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/okrbot/okrbot/domain"
)

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "sun": time.Sunday, "monday": time.Monday, "mon": time.Monday,
	"tuesday": time.Tuesday, "tue": time.Tuesday, "wednesday": time.Wednesday, "wed": time.Wednesday,
	"thursday": time.Thursday, "thu": time.Thursday, "friday": time.Friday, "fri": time.Friday,
	"saturday": time.Saturday, "sat": time.Saturday,
}

// parseSchedule reads "<weekday> <HH:MM>" or "off".
func parseSchedule(day, at string) (domain.Schedule, error) {
	if strings.EqualFold(day, "off") {
		return domain.Schedule{Off: true, Set: true}, nil
	}
	wd, ok := weekdays[strings.ToLower(day)]
	if !ok {
		return domain.Schedule{}, domain.Invalid(exSettings, "%q is not a weekday.", clip(day, 20))
	}
	t, err := time.Parse("15:04", at)
	if err != nil {
		return domain.Schedule{}, domain.Invalid(exSettings, "%q is not a time; use HH:MM, 24-hour.", clip(at, 20))
	}
	return domain.Schedule{Weekday: wd, Minute: t.Hour()*60 + t.Minute(), Set: true}, nil
}

func (ss *session) settings(args string) Reply {
	if verb, rest, _ := strings.Cut(strings.TrimSpace(args), " "); strings.EqualFold(verb, "api-token") || strings.EqualFold(verb, "api-tokens") {
		return ss.apiToken(rest)
	}
	p, err := parseArgs(args, flagSpec{"workspace": false}, exSettings)
	if err != nil {
		return ss.fail(err, exSettings)
	}
	team := ss.actor.Channel
	if p.has("workspace") {
		team = ""
	}
	cur, override, lead, err := ss.effectiveSettings(team)
	if err != nil {
		return ss.fail(err, exSettings)
	}
	if len(p.words) == 0 {
		return ss.showSettings(cur, team, override, lead)
	}
	if !ss.isAdmin() {
		return ss.fail(domain.Errorf(domain.EFORBIDDEN, "Only a workspace admin can change okrbot's settings."), "")
	}
	next := override
	if team == "" {
		next = ss.ws.Settings
	}
	w := p.words
	named := false // a lead was named
	for i := 0; i < len(w); {
		key := strings.ToLower(w[i].s)
		switch key {
		case "checkin", "check-in", "reminder", "digest":
			if i+1 >= len(w) {
				return ss.fail(domain.Invalid(exSettings, "Give a weekday and a time after %s, or off.", key), "")
			}
			at := ""
			if i+2 < len(w) {
				at = w[i+2].s
			}
			sch, err := parseSchedule(w[i+1].s, at)
			if err != nil {
				return ss.fail(err, exSettings)
			}
			switch key {
			case "reminder":
				next.Reminder = sch
			case "digest":
				next.Digest = sch
			default:
				next.CheckIn = sch
			}
			i += 3
			if sch.Off {
				i--
			}
		case "timezone", "tz":
			if i+1 >= len(w) {
				return ss.fail(domain.Invalid(exSettings, "Give an IANA time zone after timezone."), "")
			}
			name := w[i+1].s
			if _, err := time.LoadLocation(name); err != nil || name == "" || strings.HasPrefix(name, "$") || strings.EqualFold(name, "local") {
				return ss.fail(domain.Invalid("/okr settings timezone Europe/Paris", "%q is not a time zone name like Europe/Paris.", clip(name, 40)), "")
			}
			next.TimeZone = name
			i += 2
		case "escalate", "escalation", "escalations":
			e, used, err := parseEscalate(w[i+1:], cur.Escalate)
			if err != nil {
				return ss.fail(err, exEscalate)
			}
			next.Escalate = e
			i += 1 + used
		case "lead":
			if team == "" {
				return ss.fail(domain.Invalid(exLead, "A lead is a team's: set it in the team's channel."), "")
			}
			l, err := parseLead(w[i+1:])
			if err != nil {
				return ss.fail(err, exLead)
			}
			lead, named = l, l != ""
			i += 2
		default:
			return ss.fail(domain.Invalid(exSettings, "%q is not a setting; use checkin, reminder, digest, timezone, escalate or lead.", clip(w[i].s, 20)), "")
		}
	}
	if named {
		// Checked with the platform last, once all else is valid: it may
		// record the person's name.
		if err := ss.person(lead, exLead); err != nil {
			return ss.fail(err, exLead)
		}
	}
	if team == "" {
		err = ss.store.SaveSettings(ss.ctx, ss.ws.ID, next)
	} else {
		err = ss.store.SaveTeamSettings(ss.ctx, domain.TeamSettings{WorkspaceID: ss.ws.ID, Channel: team, Settings: next, Lead: lead})
	}
	if err != nil {
		return ss.fail(err, exSettings)
	}
	if team == "" {
		ss.ws.Settings = next
	}
	cur, override, lead, _ = ss.effectiveSettings(team)
	r := ss.showSettings(cur, team, override, lead)
	r.Message.Summary = "Settings saved"
	r.Message.Title = "Settings saved"
	return r
}

// effectiveSettings returns the settings that apply to a team (the
// workspace's when team is ""), the team's own override, and the lead it
// names.
func (ss *session) effectiveSettings(team string) (domain.Settings, domain.Settings, string, error) {
	if team == "" {
		return ss.ws.Settings, domain.Settings{}, "", nil
	}
	ts, err := ss.store.TeamSettings(ss.ctx, ss.ws.ID)
	if err != nil {
		return domain.Settings{}, domain.Settings{}, "", err
	}
	for _, t := range ts {
		if t.Channel == team {
			return Merge(ss.ws.Settings, t.Settings), t.Settings, t.Lead, nil
		}
	}
	return ss.ws.Settings, domain.Settings{}, "", nil
}

// Merge lays a team's override over the workspace's settings (see
// domain.Settings.Override).
func Merge(ws, team domain.Settings) domain.Settings { return ws.Override(team) }

func scheduleString(s domain.Schedule) string {
	if s.Off {
		return "off"
	}
	return fmt.Sprintf("%s %s", s.Weekday, hhmm(s.Minute))
}

func (ss *session) showSettings(s domain.Settings, team string, override domain.Settings, lead string) Reply {
	title := "Workspace settings"
	if team != "" {
		title = "Settings for this channel's team"
	}
	sec := Section{Fields: []Field{
		{"Check-in prompt", T(scheduleString(s.CheckIn) + " (each person's time zone)")},
		{"Reminder", T(scheduleString(s.Reminder) + " (each person's time zone)")},
		{"Digest", T(scheduleString(s.Digest) + " (" + s.TimeZone + ")")},
		{"Time zone", T(s.TimeZone)},
	}}
	sec.Fields = append(sec.Fields, ss.escalationFields(s, team, lead)...)
	sec.Note = T("Change with ").AddCode(ss.example(exSettings))
	if team != "" && !override.CheckIn.Set && !override.Reminder.Set && !override.Digest.Set && override.TimeZone == "" && !override.Escalate.Set && lead == "" {
		sec.Note = T("This team uses the workspace's settings. ").Add("Change them for the team with ").AddCode(ss.example(exSettings))
	}
	return Reply{Message: &Message{Summary: title, Title: title, Sections: []Section{sec}}}
}

// Home is the person's own page (Slack's App Home): their objectives and key
// results with progress and confidence, this week's check-in state, and a
// button to check in.
func (s *Service) Home(ctx context.Context, a Actor) (*Message, error) {
	ss, err := s.begin(ctx, a)
	if err != nil {
		return nil, err
	}
	os, err := ss.store.Objectives(ctx, ss.ws.ID, domain.ObjectiveFilter{Person: a.User})
	if err != nil {
		return nil, err
	}
	os = ss.current(os)
	week := ss.week()
	mine, err := ss.store.CheckIns(ctx, ss.ws.ID, domain.CheckInFilter{User: a.User, Weeks: []domain.Week{week}})
	if err != nil {
		return nil, err
	}
	m := &Message{Summary: "Your OKRs", Title: "Your OKRs · " + string(domain.CycleOf(ss.now, ss.wsLoc))}
	owned := 0
	for _, o := range os {
		for _, kr := range o.KeyResults {
			if kr.Owner == a.User && o.Status == domain.Active {
				owned++
			}
		}
	}
	state := Section{Buttons: []Button{
		{Label: "Check in", Action: ActionCheckIn, Style: Primary, Command: ss.cmd("okr") + " checkin"},
		{Label: "New objective", Action: ActionCreate, Command: ss.cmd("okr") + " create"},
	}}
	switch {
	case owned == 0:
		state.Lines = []Text{T("You own no key results this cycle.")}
		state.Buttons = state.Buttons[1:]
	case len(mine) > 0:
		state.Lines = []Text{T(fmt.Sprintf("✅ You checked in for week %s (%d of %d key results). Checking in again updates it, until the next check-in day.", weekShort(week), len(mine), owned))}
		state.Buttons[0].Label = "Update check-in"
	default:
		state.Lines = []Text{T(fmt.Sprintf("⏳ Your check-in for week %s is not in yet: %d key result%s.", weekShort(week), owned, plural(owned)))}
	}
	if u, err := ss.store.User(ctx, ss.ws.ID, a.User); err == nil && u.Away(ss.now) {
		state.Note = T("You are away until " + u.AwayUntil.In(ss.loc).Format(time.DateOnly) + ": no prompts until then. ").AddCode(ss.cmd("okr") + " back")
	}
	m.Sections = append(m.Sections, state)
	if len(os) == 0 {
		m.Sections = append(m.Sections, Section{Lines: []Text{T("Nothing here yet. ").AddCode(ss.cmd("okr") + " create Grow the European market").Add(" and ").AddCode(ss.cmd("okr") + " help")}})
		return m, nil
	}
	v := ss.newView(os)
	for i, o := range os {
		if i == maxListed {
			m.Sections = append(m.Sections, Section{Note: T(fmt.Sprintf("…and %d more", len(os)-maxListed))})
			break
		}
		m.Sections = append(m.Sections, v.objectiveSection(o, true, true))
	}
	return m, nil
}

// personal returns the rhythm a person lives by and its time zone (see
// domain.Personal).
func personal(ws domain.Workspace, teams map[string]domain.Settings, team, userTZ string) (domain.Settings, *time.Location) {
	s, tz := domain.Personal(ws.Settings, teams, team, userTZ)
	return s, loadLocation(tz)
}

// teamSettings returns a workspace's team overrides by channel.
func (s *Service) teamSettings(ctx context.Context, workspace string) (map[string]domain.Settings, error) {
	ts, err := s.store.TeamSettings(ctx, workspace)
	if err != nil {
		return nil, err
	}
	out := make(map[string]domain.Settings, len(ts))
	for _, t := range ts {
		out[t.Channel] = t.Settings
	}
	return out, nil
}
