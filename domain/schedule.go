package domain

import (
	"sync"
	"time"
)

// Kinds of delivery: the messages okrbot sends on its own, each planned by
// the weekly rhythm's schedule (or, for KPI alerts, by a change of health)
// and sent once through the outbox.
const (
	KindCheckInPrompt = "checkin-prompt"
	KindReminder      = "reminder"
	KindDigest        = "digest"
	KindKPIAlert      = "kpi-alert"
	// KindSourceFailing tells a KPI's owner that its source stopped
	// answering: once per run of failures.
	KindSourceFailing = "kpi-source-failing"
)

var locations sync.Map // name -> *time.Location

// Location returns the IANA time zone name, loaded once and kept; UTC for
// an empty or unknown name (settings are validated when they are set).
func Location(name string) *time.Location {
	if v, ok := locations.Load(name); ok {
		return v.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" {
		loc = time.UTC
	}
	locations.Store(name, loc)
	return loc
}

// Override lays a team's override over the workspace's settings s: a
// schedule not Set, or an empty time zone, in the override means "as the
// workspace".
func (s Settings) Override(team Settings) Settings {
	out := s
	if team.CheckIn.Set {
		out.CheckIn = team.CheckIn
	}
	if team.Reminder.Set {
		out.Reminder = team.Reminder
	}
	if team.Digest.Set {
		out.Digest = team.Digest
	}
	if team.TimeZone != "" {
		out.TimeZone = team.TimeZone
	}
	if team.Escalate.Set {
		out.Escalate = team.Escalate
	}
	return out
}

// Personal returns the rhythm a person lives by: the workspace's settings
// under the override of their team (teams maps a channel to its override),
// and the time zone to read them in: the person's own when the platform
// gave one, else the settings'. Prompts, reminders, the check-in form and
// the digest all count weeks by it, so they agree on who checked in.
func Personal(ws Settings, teams map[string]Settings, team, userTZ string) (Settings, string) {
	s := ws
	if t, ok := teams[team]; ok && team != "" {
		s = s.Override(t)
	}
	tz := s.TimeZone
	if userTZ != "" {
		tz = userTZ
	}
	return s, tz
}

// OnOrAfter returns the first moment at or after from at which the weekly
// schedule falls in loc (zero when the schedule is off; Next, for the first
// moment strictly after, ignores Off). A wall-clock time
// that a daylight-saving change skips is moved forward by the length of the
// gap, as time.Date does: 02:30 on a spring-forward night is 03:30.
func (s Schedule) OnOrAfter(from time.Time, loc *time.Location) time.Time {
	if s.Off {
		return time.Time{}
	}
	l := from.In(loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	for i := 0; i < 8; i++ {
		d := day.AddDate(0, 0, i)
		if d.Weekday() != s.Weekday {
			continue
		}
		m := time.Date(d.Year(), d.Month(), d.Day(), s.Minute/60, s.Minute%60, 0, 0, loc)
		if !m.Before(from) {
			return m
		}
	}
	return time.Time{}
}

// CheckInMoment is when week's check-in prompt goes out under set in loc:
// the check-in moment of the week (zero with an invalid week). The check-in
// day counts weeks even with prompts off.
func CheckInMoment(week Week, set Settings, loc *time.Location) time.Time {
	start := week.Start(loc)
	if start.IsZero() {
		return time.Time{}
	}
	on := set.CheckIn
	on.Off = false
	return on.OnOrAfter(start, loc)
}

// weekEnd is when the check-in week after week begins: midnight of its
// check-in day, as CheckInWeek counts.
func weekEnd(week Week, set Settings, loc *time.Location) time.Time {
	m := CheckInMoment(nextWeek(week), set, loc)
	if m.IsZero() {
		return m
	}
	return time.Date(m.Year(), m.Month(), m.Day(), 0, 0, 0, 0, loc)
}

// scheduleOf returns the schedule a kind of delivery follows.
func scheduleOf(set Settings, kind string) (Schedule, bool) {
	switch kind {
	case KindCheckInPrompt:
		return set.CheckIn, true
	case KindReminder:
		return set.Reminder, true
	case KindDigest:
		return set.Digest, true
	case KindEscalation:
		// Decided when the week before closes: at the check-in moment,
		// whether or not prompts go out.
		s := set.CheckIn
		s.Off = set.Escalate.Off
		return s, true
	}
	return Schedule{}, false
}

// Window returns when the delivery of kind for week opens and closes under
// set in loc. A prompt opens at the week's check-in moment and closes at
// the reminder's (a prompt days late is noise: the reminder speaks for it).
// Reminders and digests open at their first moment after the check-in
// moment; escalations at the check-in moment itself, when the week before
// has closed (unless escalation is off). Every window closes when the next check-in week begins, at the
// latest: after that a delivery would speak of a week people no longer
// answer for. ok is false when the kind is off, not scheduled, or falls in
// no week (a digest set for the morning of the check-in day, before it).
func Window(week Week, set Settings, loc *time.Location, kind string) (open, close time.Time, ok bool) {
	s, ok := scheduleOf(set, kind)
	if !ok || s.Off {
		return time.Time{}, time.Time{}, false
	}
	start, end := CheckInMoment(week, set, loc), weekEnd(week, set, loc)
	if start.IsZero() || end.IsZero() {
		return time.Time{}, time.Time{}, false
	}
	if kind == KindCheckInPrompt {
		open, close = start, end
		if !set.Reminder.Off {
			if r := set.Reminder.OnOrAfter(start.Add(time.Minute), loc); !r.IsZero() && r.Before(close) {
				close = r
			}
		}
	} else {
		open, close = s.OnOrAfter(start, loc), end
	}
	if open.IsZero() || !open.Before(close) {
		return time.Time{}, time.Time{}, false
	}
	return open, close, true
}

// DueWeek returns the check-in week at at in loc under set, and whether the
// delivery of kind for that week is due at at: inside its Window.
func DueWeek(at time.Time, loc *time.Location, set Settings, kind string) (Week, bool) {
	week := CheckInWeek(at, loc, set.CheckIn.Weekday)
	open, close, ok := Window(week, set, loc, kind)
	return week, ok && !at.Before(open) && at.Before(close)
}

// NextDue returns the first moment after after at which a delivery of kind
// opens under set in loc, and the week it is for (zero when the kind is off).
// A planner that wakes up then finds it due.
func NextDue(after time.Time, loc *time.Location, set Settings, kind string) (time.Time, Week) {
	week := CheckInWeek(after, loc, set.CheckIn.Weekday)
	for range 3 {
		if open, _, ok := Window(week, set, loc, kind); ok && open.After(after) {
			return open, week
		}
		week = nextWeek(week)
	}
	return time.Time{}, ""
}

// nextWeek returns the week after w.
func nextWeek(w Week) Week {
	s := w.Start(time.UTC)
	if s.IsZero() {
		return ""
	}
	return WeekOf(s.AddDate(0, 0, 7), time.UTC)
}

// Earliest returns the earlier of two moments, a zero one counting as none.
func Earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}
