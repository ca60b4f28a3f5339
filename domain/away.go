package domain

import (
	"sort"
	"time"
)

// AwayChange is one `/okr away until …` (Until set) or `/okr back` (Until
// zero), made at At. A store keeps a person's changes as their away
// history; AwayPeriodsOf reads it.
type AwayChange struct {
	At    time.Time
	Until time.Time
}

// AwayPeriod is a stretch of time a person was, or will be, away: from
// From (included) until Until (excluded).
type AwayPeriod struct {
	UserID      string
	From, Until time.Time
}

// AwayPeriodsOf turns a person's away changes into the periods they were
// away, oldest first. Each change holds until the next one: saying "away
// until the 20th" on the 1st and "back" on the 10th is away from the 1st to
// the 10th; saying "away until the 30th" on the 10th instead carries the
// period on to the 30th.
func AwayPeriodsOf(user string, changes []AwayChange) []AwayPeriod {
	cs := append([]AwayChange(nil), changes...)
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].At.Before(cs[j].At) })
	var out []AwayPeriod
	for i, c := range cs {
		end := c.Until
		if i+1 < len(cs) && cs[i+1].At.Before(end) {
			end = cs[i+1].At
		}
		if !end.After(c.At) {
			continue
		}
		// A change that carries on an absence extends its period.
		if n := len(out); n > 0 && !out[n-1].Until.Before(c.At) {
			if end.After(out[n-1].Until) {
				out[n-1].Until = end
			}
			continue
		}
		out = append(out, AwayPeriod{UserID: user, From: c.At, Until: end})
	}
	return out
}

// AwayDuring reports whether any of periods overlaps [from, until).
func AwayDuring(periods []AwayPeriod, from, until time.Time) bool {
	for _, p := range periods {
		if p.From.Before(until) && p.Until.After(from) {
			return true
		}
	}
	return false
}
