package domain

import "time"

// CheckInState is how a person answered one week's check-in.
type CheckInState int

// Check-in states. NotDue: the person owed nothing that week (no key
// result yet, or away). Pending: not answered, and the week is still open.
const (
	NotDue CheckInState = iota
	OnTime
	Late
	Missed
	Pending
)

// String returns the state as people read it.
func (s CheckInState) String() string {
	switch s {
	case OnTime:
		return "on time"
	case Late:
		return "late"
	case Missed:
		return "missed"
	case Pending:
		return "pending"
	}
	return "not due"
}

// OnDay returns the moment of s in the week that begins on monday (00:00
// in its location): its weekday at its minute.
func (s Schedule) OnDay(monday time.Time) time.Time {
	d := (int(s.Weekday) + 6) % 7 // Monday = 0
	return time.Date(monday.Year(), monday.Month(), monday.Day()+d, s.Minute/60, s.Minute%60, 0, 0, monday.Location())
}

// Next returns the first moment of s strictly after t, in loc.
func (s Schedule) Next(t time.Time, loc *time.Location) time.Time {
	monday := WeekOf(t, loc).Start(loc)
	m := s.OnDay(monday)
	for !m.After(t) {
		monday = monday.AddDate(0, 0, 7)
		m = s.OnDay(monday)
	}
	return m
}

// CheckInWindow returns when week w's check-in prompt goes out (its
// check-in day and time, in loc), the moment after which an answer is late
// (the reminder; 72 hours after the prompt when reminders are off), and the
// moment the week closes (the next prompt: later answers count for the
// next week, see CheckInWeek).
func CheckInWindow(w Week, loc *time.Location, s Settings) (prompt, due, closes time.Time) {
	prompt = s.CheckIn.OnDay(w.Start(loc))
	due = prompt.Add(72 * time.Hour)
	if !s.Reminder.Off {
		due = s.Reminder.Next(prompt, loc)
	}
	return prompt, due, prompt.AddDate(0, 0, 7)
}

// JudgeCheckIn says how a week's check-in went: answered is the person's
// first answer for the week (zero for none), due and closes come from
// CheckInWindow, now is the moment of judging.
func JudgeCheckIn(answered, due, closes, now time.Time) CheckInState {
	switch {
	case !answered.IsZero() && !answered.After(due):
		return OnTime
	case !answered.IsZero():
		return Late
	case now.Before(closes):
		return Pending
	}
	return Missed
}

// MissedStreak returns how many check-ins in a row a person missed at the
// end of states (oldest first). Weeks not due (away, nothing owned) neither
// break nor extend a streak; a pending week is skipped, since it may still
// be answered. Escalation acts on this count (EscalationRun).
func MissedStreak(states []CheckInState) int { return len(missedRun(states)) }

// MissedRun returns the weeks of the streak MissedStreak counts, oldest
// first: states[i] is how week weeks[i] went.
func MissedRun(weeks []Week, states []CheckInState) []Week {
	var out []Week
	for _, i := range missedRun(states) {
		out = append(out, weeks[i])
	}
	return out
}

// missedRun returns the indices of the missed weeks of the streak at the
// end of states, oldest first.
func missedRun(states []CheckInState) []int {
	var out []int
	for i := len(states) - 1; i >= 0; i-- {
		switch states[i] {
		case Missed:
			out = append([]int{i}, out...)
		case NotDue, Pending:
		default:
			return out
		}
	}
	return out
}

// CheckInStates judges a person's check-in weeks whose prompt falls in
// [since, until), at now, under set in loc: answered holds each week's first
// answer (JudgeCheckIn). A week left unanswered while the person was away
// at any time between its prompt and the moment an answer turns late (see
// CheckInWindow) is NotDue: okrbot did not ask, or asked someone away, so
// the week is neither missed nor a break in a streak. An answer given
// while away counts as any other.
func CheckInStates(since, until, now time.Time, loc *time.Location, set Settings, answered map[Week]time.Time, away []AwayPeriod) ([]Week, []CheckInState) {
	weeks := CheckInWeeks(since, until, loc, set.CheckIn)
	states := make([]CheckInState, len(weeks))
	for i, w := range weeks {
		prompt, due, closes := CheckInWindow(w, loc, set)
		st := JudgeCheckIn(answered[w], due, closes, now)
		if (st == Missed || st == Pending) && AwayDuring(away, prompt, due) {
			st = NotDue
		}
		states[i] = st
	}
	return weeks, states
}

// OwnedSince is when a key result of o began to ask its owner for
// check-ins: when it was added (when the objective was, for key results
// stored before that was kept), and not before floor (the cycle's start).
func OwnedSince(o Objective, kr KeyResult, floor time.Time) time.Time {
	since := kr.CreatedAt
	if since.IsZero() {
		since = o.CreatedAt
	}
	if since.Before(floor) {
		return floor
	}
	return since
}

// Discipline tallies a person's check-ins over a cycle.
type Discipline struct {
	OnTime, Late, Missed int
}

// Tally counts states into a Discipline.
func Tally(states []CheckInState) Discipline {
	var d Discipline
	for _, s := range states {
		switch s {
		case OnTime:
			d.OnTime++
		case Late:
			d.Late++
		case Missed:
			d.Missed++
		}
	}
	return d
}

// CheckInWeeks returns the weeks whose check-in prompt falls in [from, until), in loc.
func CheckInWeeks(from, until time.Time, loc *time.Location, checkin Schedule) []Week {
	var out []Week
	monday := WeekOf(from, loc).Start(loc)
	for p := checkin.OnDay(monday); p.Before(until); {
		if !p.Before(from) {
			out = append(out, WeekOf(p, loc))
		}
		monday = monday.AddDate(0, 0, 7)
		p = checkin.OnDay(monday)
	}
	return out
}

// DigestSlot is the moment the digest of a check-in week goes out under set
// in loc: the opening of its window (Monday 09:00 after Friday's
// check-ins, by default), or, with digests off (a preview), the week's
// check-in moment. A digest speaks for its slot, however late it is sent
// or however early it is previewed: its cycle is the cycle of the slot.
func DigestSlot(week Week, set Settings, loc *time.Location) time.Time {
	if open, _, ok := Window(week, set, loc, KindDigest); ok {
		return open
	}
	return CheckInMoment(week, set, loc)
}

// ReviewDue reports whether the digest of week (under set in loc) is the
// first after cycle c ended (its bounds in cycleLoc), so that it opens with
// c's review: its slot is at or after c's end and the slot of the week
// before is not. Exactly one week's digest reviews each cycle, whenever it
// is sent or previewed.
func ReviewDue(c Cycle, cycleLoc *time.Location, week Week, set Settings, loc *time.Location) bool {
	_, end := c.Bounds(cycleLoc)
	if end.IsZero() {
		return false
	}
	slot := DigestSlot(week, set, loc)
	prev := DigestSlot(week.Previous(), set, loc)
	return !slot.IsZero() && !slot.Before(end) && (prev.IsZero() || prev.Before(end))
}

// CycleWeek numbers a digest's week within its cycle: 1 for the first
// digest slot of the cycle (within its first 7 days), 2 the next, …
func CycleWeek(c Cycle, cycleLoc *time.Location, slot time.Time) int {
	start, _ := c.Bounds(cycleLoc)
	if start.IsZero() || slot.Before(start) {
		return 1
	}
	return int(slot.Sub(start).Hours()/(24*7)) + 1
}

// PreviousQuarter returns the quarter before the one containing t, in loc.
func PreviousQuarter(t time.Time, loc *time.Location) Cycle {
	start, _ := CycleOf(t, loc).Bounds(loc)
	return CycleOf(start.Add(-time.Hour), loc)
}
