package domain

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Cycle names an OKR period: a quarter ("2026-Q4") by default, a half
// ("2026-H1") or a whole year ("2026").
type Cycle string

var cycleRE = regexp.MustCompile(`^(\d{4})(?:-(Q[1-4]|H[12]))?$`)

// ParseCycle validates s and returns it as a Cycle. Lower-case q/h are accepted.
func ParseCycle(s string) (Cycle, error) {
	if len(s) > 7 {
		return "", Invalid("", "%q is not a cycle; use a quarter (YYYY-Qn), a half (YYYY-Hn) or a year.", truncate(s, 20))
	}
	b := []byte(s)
	for i := range b {
		if b[i] == 'q' || b[i] == 'h' {
			b[i] -= 'a' - 'A'
		}
	}
	m := cycleRE.FindStringSubmatch(string(b))
	if m == nil {
		return "", Invalid("", "%q is not a cycle; use a quarter (YYYY-Qn), a half (YYYY-Hn) or a year.", truncate(s, 20))
	}
	if y, _ := strconv.Atoi(m[1]); y < 2000 || y > 2200 {
		return "", Invalid("", "%q is not a cycle; the year must be between 2000 and 2200.", s)
	}
	return Cycle(b), nil
}

// CycleOf returns the quarter containing t in loc.
func CycleOf(t time.Time, loc *time.Location) Cycle {
	t = t.In(loc)
	return Cycle(fmt.Sprintf("%04d-Q%d", t.Year(), (int(t.Month())-1)/3+1))
}

// Bounds returns the first instant of the cycle and the first instant after it,
// both at midnight in loc. An invalid cycle returns zero times.
func (c Cycle) Bounds(loc *time.Location) (start, end time.Time) {
	m := cycleRE.FindStringSubmatch(string(c))
	if m == nil {
		return time.Time{}, time.Time{}
	}
	y, _ := strconv.Atoi(m[1])
	first, months := time.January, 12
	switch p := m[2]; {
	case p == "":
	case p[0] == 'Q':
		first, months = time.Month(3*int(p[1]-'1')+1), 3
	case p[0] == 'H':
		first, months = time.Month(6*int(p[1]-'1')+1), 6
	}
	start = time.Date(y, first, 1, 0, 0, 0, 0, loc)
	return start, start.AddDate(0, months, 0)
}

// Elapsed returns the fraction of the cycle that has passed at now, in [0, 1].
// This is the expected progress ("pace") of every key result in the cycle.
func (c Cycle) Elapsed(now time.Time, loc *time.Location) float64 {
	start, end := c.Bounds(loc)
	if start.IsZero() {
		return 0
	}
	return clamp01(float64(now.Sub(start)) / float64(end.Sub(start)))
}

// Week is an ISO week, "2026-W48". Check-ins are per person, per key result,
// per ISO week in the person's own time zone.
type Week string

// WeekOf returns the ISO week that contains t in loc.
func WeekOf(t time.Time, loc *time.Location) Week {
	y, w := t.In(loc).ISOWeek()
	return Week(fmt.Sprintf("%04d-W%02d", y, w))
}

// Start returns the Monday 00:00 that begins the week, in loc.
func (w Week) Start(loc *time.Location) time.Time {
	var y, n int
	if _, err := fmt.Sscanf(string(w), "%04d-W%02d", &y, &n); err != nil {
		return time.Time{}
	}
	// January 4th is always in ISO week 1.
	jan4 := time.Date(y, time.January, 4, 0, 0, 0, 0, loc)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	return monday.AddDate(0, 0, 7*(n-1))
}

// Previous returns the week before w.
func (w Week) Previous() Week {
	s := w.Start(time.UTC)
	if s.IsZero() {
		return ""
	}
	return WeekOf(s.AddDate(0, 0, -7), time.UTC)
}

func clamp01(x float64) float64 {
	switch {
	case x < 0:
		return 0
	case x > 1:
		return 1
	}
	return x
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// CheckInWeek returns the week a check-in made at t belongs to, when prompts
// go out on day: the week of the latest such day at or before t, in loc. With
// Friday prompts, a late answer on Monday still counts for the week before,
// and Friday's prompt then asks about the new week.
func CheckInWeek(t time.Time, loc *time.Location, day time.Weekday) Week {
	local := t.In(loc)
	back := (int(local.Weekday()) - int(day) + 7) % 7
	return WeekOf(local.AddDate(0, 0, -back), loc)
}
