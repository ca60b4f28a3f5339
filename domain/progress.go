package domain

import (
	"math"
	"slices"
	"time"
)

// Progress returns how far the key result is towards its target, in [0, 1]:
//   - increase, decrease, reach: (current − start) / (target − start), clamped;
//   - stay above / below: 1 while the latest value holds, else 0;
//   - milestone: 0 until done, then 1.
func (kr KeyResult) Progress() float64 {
	return progressAt(kr.Kind, kr.Start, kr.Target, kr.Current, kr.Measured, kr.Done)
}

func progressAt(k Kind, start, target, value float64, measured, done bool) float64 {
	switch k {
	case Milestone:
		if done {
			return 1
		}
		return 0
	case StayAbove, StayBelow:
		if measured && holds(k, target, value) {
			return 1
		}
		return 0
	}
	if done {
		return 1
	}
	if target == start {
		if (k == Decrease && value <= target) || (k != Decrease && value >= target) {
			return 1
		}
		return 0
	}
	return clamp01((value - start) / (target - start))
}

func holds(k Kind, target, value float64) bool {
	if k == StayAbove {
		return value >= target
	}
	return value <= target
}

// Progress returns the weight-averaged progress of the objective's key results
// (0 for an objective without any).
func (o Objective) Progress() float64 {
	var sum, weights float64
	for _, kr := range o.KeyResults {
		w := kr.Weight
		if w <= 0 {
			w = 1
		}
		sum += w * kr.Progress()
		weights += w
	}
	if weights == 0 {
		return 0
	}
	return sum / weights
}

// Band is a traffic-light colour.
type Band string

// Bands. BandNone means there is nothing to judge yet.
const (
	BandNone   Band = ""
	BandRed    Band = "red"
	BandYellow Band = "yellow"
	BandGreen  Band = "green"
)

// ConfidenceBand returns red for 1–3, yellow for 4–6, green for 7–10 and none
// for 0 (not given yet).
func ConfidenceBand(c int) Band {
	switch {
	case c <= 0:
		return BandNone
	case c <= 3:
		return BandRed
	case c <= 6:
		return BandYellow
	}
	return BandGreen
}

// DefaultBehindFactor: a key result is behind when its progress is under this
// fraction of the expected progress.
const DefaultBehindFactor = 0.8

// Behind reports whether progress is under factor × expected.
func Behind(progress, expected, factor float64) bool {
	if factor <= 0 {
		factor = DefaultBehindFactor
	}
	return progress < factor*expected
}

// Point is one observed value of a key result at a moment.
type Point struct {
	At    time.Time
	Value float64
}

// CheckInPoint is what a key result's progress line needs of a check-in:
// whose, which week, when and what value.
type CheckInPoint struct {
	User, KR string
	Week     Week
	Point
}

// WeeklyPoints turns check-ins into each key result's progress line: the
// value of its latest check-in of each week (several people may answer for
// one key result; at the same moment, the first person by id), oldest
// first. Assess and the digest draw and project through these points.
func WeeklyPoints(ps []CheckInPoint) map[string][]Point {
	// A company's digest reads half a million check-ins: one pass, one map
	// lookup each (by key result), and a short walk of that key result's
	// weeks, the latest first (check-ins come oldest first).
	type weekPoint struct {
		week Week
		i    int // in ps
	}
	at := map[string]int{} // key result -> its weeks in lines
	var krs []string
	var lines [][]weekPoint
	n := 0
	for i, p := range ps {
		g, ok := at[p.KR]
		if !ok {
			g = len(lines)
			at[p.KR] = g
			krs = append(krs, p.KR)
			lines = append(lines, make([]weekPoint, 0, 16))
		}
		l := lines[g]
		j := len(l) - 1
		for j >= 0 && l[j].week != p.Week {
			j--
		}
		switch {
		case j < 0:
			lines[g] = append(l, weekPoint{p.Week, i})
			n++
		case p.At.After(ps[l[j].i].At) || p.At.Equal(ps[l[j].i].At) && p.User < ps[l[j].i].User:
			l[j].i = i
		}
	}
	all := make([]Point, 0, n) // one array for every line
	out := make(map[string][]Point, len(lines))
	for g, l := range lines {
		from := len(all)
		for _, w := range l {
			all = append(all, ps[w.i].Point)
		}
		pts := all[from:len(all):len(all)]
		slices.SortFunc(pts, func(a, b Point) int { return a.At.Compare(b.At) })
		out[krs[g]] = pts
	}
	return out
}

// Project fits a least-squares line through points and returns its value at
// end. It needs two points at different moments; ok is false otherwise.
func Project(points []Point, end time.Time) (value float64, ok bool) {
	if len(points) < 2 {
		return 0, false
	}
	t0 := points[0].At
	var n, sx, sy, sxx, sxy float64
	for _, p := range points {
		x := p.At.Sub(t0).Hours()
		n++
		sx += x
		sy += p.Value
		sxx += x * x
		sxy += x * p.Value
	}
	den := n*sxx - sx*sx
	if math.Abs(den) < 1e-9 {
		return 0, false
	}
	slope := (n*sxy - sx*sy) / den
	intercept := (sy - slope*sx) / n
	return intercept + slope*end.Sub(t0).Hours(), true
}

// Mismatch reports a confidence that disagrees with the projection: green
// confidence with a projection under 0.4, or red confidence with one over 0.9.
func Mismatch(confidence int, projected float64) bool {
	switch ConfidenceBand(confidence) {
	case BandGreen:
		return projected < 0.4
	case BandRed:
		return projected > 0.9
	}
	return false
}

// DefaultGrade returns the grade an objective gets when its owner gives none:
// its progress, rounded to two decimals.
func DefaultGrade(o Objective) float64 {
	return math.Round(o.Progress()*100) / 100
}

// ValidateGrade checks a grade given by a person.
func ValidateGrade(g float64) error {
	if math.IsNaN(g) || g < 0 || g > 1 {
		return Invalid("/okr grade O-3 0.7 shipped two of three", "A grade is a number from 0.0 to 1.0.")
	}
	return nil
}

// Succeeded reports whether a grade counts as success for the commitment
// (1.0 for committed, 0.7 for aspirational objectives).
func Succeeded(c Commitment, grade float64) bool {
	return grade+1e-9 >= c.Expected()
}

// Scale is the range a key result's value runs over: from its start to its
// target, or its line for a stay key result.
func (kr KeyResult) Scale() (lo, hi float64) {
	if kr.Kind == StayAbove || kr.Kind == StayBelow {
		return kr.Target, kr.Target
	}
	return math.Min(kr.Start, kr.Target), math.Max(kr.Start, kr.Target)
}

// OffScale reports whether v is so far from a key result's scale that it is
// more likely a slip than a measurement: more than ten times the distance
// from its start to its target beyond either end ("50k" on a 2.5 % → 4 %
// key result), or a hundredth of its smaller end or less while both ends
// are on one side of zero ("1.5" on a €1.2M → €2M key result: the M was
// left out). A key result that stays above or below a line measures its
// scale by the line. A percentage from 1 % up given as a fraction below 1
// ("0.026" for 2.6 %) is off its scale too. Milestones have no scale.
func (kr KeyResult) OffScale(v float64) bool {
	if kr.Kind == Milestone {
		return false
	}
	lo, hi := kr.Scale()
	span := hi - lo
	if span == 0 {
		span = math.Abs(hi)
	}
	if span == 0 {
		return false
	}
	if v > hi+10*span || v < lo-10*span {
		return true
	}
	if lo >= 1 && v > 0 && v < 1 && SameUnit(kr.Unit, "%") {
		return true
	}
	small := math.Min(math.Abs(lo), math.Abs(hi))
	sameSide := lo > 0 || hi < 0
	return sameSide && v != 0 && (v > 0) == (lo > 0) && math.Abs(v)*100 <= small
}
