package domain

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// ParsedKR is what a key result's text says: its kind, start, target and unit.
type ParsedKR struct {
	Title    string
	Kind     Kind
	Start    float64
	HasStart bool // false: take the start from the linked KPI, or 0
	Target   float64
	Unit     string
}

const num = `[$€£¥]?[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?[a-zA-Z%]{0,6}`

var (
	fromToRE = regexp.MustCompile(`(?i)^(.*?)\bfrom\s+(` + num + `)\s+to\s+(` + num + `)(.*)$`)
	stayRE   = regexp.MustCompile(`(?i)^(?:keep|stay|maintain|hold)\b(.*?)\b(above|over|at least|more than|greater than|below|under|at most|less than|within)\s+(` + num + `)(.*)$`)
	toRE     = regexp.MustCompile(`(?i)^(.*?)\bto\s+(` + num + `)(.*)$`)
	lastNum  = regexp.MustCompile(`(?i)(?:^|\s)(` + num + `)(?:\s|$)`)
	unitStop = regexp.MustCompile(`(?i)\s+(?:by|in|before|until|within|this|for|at|on|during|across)\b.*$|[,;(].*$`)
)

var (
	increaseVerbs = []string{"increase", "grow", "raise", "boost", "lift", "double", "triple", "expand", "improve"}
	decreaseVerbs = []string{"reduce", "decrease", "cut", "lower", "shrink", "drop", "bring down", "lessen", "halve"}
	reachVerbs    = []string{"reach", "hit", "achieve", "attain", "get to", "get"}
)

// ParseKeyResult reads a key result as people write it:
//
//	Increase web leads from 22 to 35 per day  → increase 22 → 35, unit "per day"
//	Reduce response time from 12h to 4h      → decrease 12 → 4, unit "h"
//	NPS from 40 to 60                        → increase 40 → 60
//	Reach NPS 60                             → reach 60 (start: KPI's value or 0)
//	Keep churn below 2%                      → stay below 2, unit "%"
//	Hire a VP of sales for Europe            → milestone
func ParseKeyResult(text string) (ParsedKR, error) {
	text = strings.Join(strings.Fields(text), " ")
	if err := ValidateText("key result", text, MaxTitleLen, true); err != nil {
		return ParsedKR{}, withExample(err)
	}
	p := ParsedKR{Title: text}
	verb := leadingVerb(text)

	if m := fromToRE.FindStringSubmatch(text); m != nil {
		a, ua, err := ParseValue(m[2])
		if err != nil {
			return p, withExample(err)
		}
		b, ub, err := ParseValue(m[3])
		if err != nil {
			return p, withExample(err)
		}
		p.Start, p.Target, p.HasStart = a, b, true
		p.Unit = pickUnit(ub, ua, m[4])
		switch {
		case verb == Increase && b <= a:
			return p, Invalid("Increase web leads from 22 to 35 per day", "To increase, the target (%s) must be above the start (%s).", FormatNumber(b), FormatNumber(a))
		case verb == Decrease && b >= a:
			return p, Invalid("Reduce response time from 12h to 4h", "To reduce, the target (%s) must be below the start (%s).", FormatNumber(b), FormatNumber(a))
		case b > a:
			p.Kind = Increase
		case b < a:
			p.Kind = Decrease
		default:
			return p, Invalid("Increase web leads from 22 to 35 per day", "The start and the target are both %s; a key result must change something.", FormatNumber(a))
		}
		return p, nil
	}

	if m := stayRE.FindStringSubmatch(text); m != nil {
		t, u, err := ParseValue(m[3])
		if err != nil {
			return p, withExample(err)
		}
		p.Target, p.Unit = t, pickUnit(u, "", m[4])
		switch strings.ToLower(m[2]) {
		case "above", "over", "at least", "more than", "greater than":
			p.Kind = StayAbove
		default:
			p.Kind = StayBelow
		}
		return p, nil
	}

	if verb == Increase || verb == Decrease {
		if m := toRE.FindStringSubmatch(text); m != nil {
			t, u, err := ParseValue(m[2])
			if err != nil {
				return p, withExample(err)
			}
			p.Kind, p.Target, p.Unit = verb, t, pickUnit(u, "", m[3])
			return p, nil
		}
	}

	if verb == Reach {
		if ms := lastNum.FindAllStringSubmatch(text, -1); ms != nil {
			t, u, err := ParseValue(ms[len(ms)-1][1])
			if err != nil {
				return p, withExample(err)
			}
			p.Kind, p.Target, p.Unit = Reach, t, u
			return p, nil
		}
	}

	p.Kind = Milestone
	return p, nil
}

// withExample gives a number error of a key result the key result example.
func withExample(err error) error {
	if e, ok := err.(*Error); ok {
		e.Example = "Increase web leads from 22 to 35 per day"
	}
	return err
}

func leadingVerb(text string) Kind {
	lower := strings.ToLower(text)
	has := func(verbs []string) bool {
		for _, v := range verbs {
			if strings.HasPrefix(lower, v+" ") {
				return true
			}
		}
		return false
	}
	switch {
	case has(increaseVerbs):
		return Increase
	case has(decreaseVerbs):
		return Decrease
	case has(reachVerbs):
		return Reach
	}
	return ""
}

// pickUnit prefers a unit stuck to the target, then one stuck to the start,
// then the words after the target up to a phrase like "by March".
func pickUnit(target, start, rest string) string {
	if target != "" {
		return target
	}
	if start != "" {
		return start
	}
	rest = strings.TrimSpace(unitStop.ReplaceAllString(" "+rest, ""))
	if w := strings.Fields(rest); len(w) > 3 || utf8.RuneCountInString(rest) > MaxUnitLen {
		return ""
	}
	return rest
}
