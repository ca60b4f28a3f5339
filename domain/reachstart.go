package domain

import (
	"regexp"
	"strconv"
	"strings"
)

// A key result to reach with no start written ("Reach NPS 60", "Sign 50
// new customers") starts at 0 only when what it counts clearly
// accumulates from zero within the cycle: new things won or done. A level
// (NPS, MRR, a score, a rating, a time, a share) or a total ("Reach 10,000
// users") stands somewhere already; starting it at 0 would show an MRR of
// $80k as 80% of the way to $100k when the team started at $70k. That is
// asked, never guessed.

// countsFromZero reports whether a reach key result with no start counts
// new things from zero: a verb of doing or winning ("Sign", "Ship",
// "Hire", "Close", "Launch") or the word "new", and no level measured.
func (r *reader) countsFromZero(rd reading) bool {
	strong := r.verb == vCount && !weakCountVerbs[r.verbWord]
	if isPercentUnit(rd.unit) || isLevelUnit(rd.unit) && !(strong && isTimeUnit(rd.unit)) {
		return false // "Complete 40 hours of training" adds hours up; "Hit 200 ms" is a level
	}
	before, phrase := r.lower, ""
	if q, ok := r.targetQuantity(rd.target); ok {
		before, phrase = r.lower[:q.start], measurePhrase(r.lower[q.end:])
	}
	if deltaVerbs[r.verbWord] {
		return true // "Add $20k MRR", "Gain 500 followers": what is added, counted from 0
	}
	if r.namesLevel(before, phrase) {
		return false
	}
	if newRE.MatchString(before+" "+phrase) || newRE.MatchString(" "+phrase) {
		return true // "Reach 500 new subscribers", "Get 10 new customers"
	}
	return strong
}

// namesLevel reports whether the words before the target, or the head
// word of what follows it, name a level rather than things counted: "Reach
// NPS 60", "Achieve a CSAT of 4.5", "Hit $100k MRR", "Generate $1M in
// revenue". "Book $2M in new ARR" counts what is new: no level.
func (r *reader) namesLevel(before, phrase string) bool {
	if levelRE.MatchString(before) {
		return true
	}
	f := strings.Fields(phrase)
	if len(f) == 0 {
		return false
	}
	return levelRE.MatchString(f[len(f)-1]) && !newFlowRE.MatchString(phrase)
}

// measurePhrase is what follows a number and names what it measures, up to
// a word that says when, where or how: " in new business by Q4" → "new
// business".
func measurePhrase(rest string) string {
	rest = inOfRE.ReplaceAllString(rest, " ") // "$1M in revenue", "$2M of ARR"
	if m := unitCut.FindStringIndex(rest); m != nil {
		rest = rest[:m[0]]
	}
	var words []string
	for _, w := range strings.Fields(rest) {
		if _, err := strconv.ParseFloat(strings.Trim(w, "%$€£,."), 64); err == nil || stopWords[w] || unitStopWord[w] {
			break
		}
		if _, verb := verbs[w]; verb && len(words) > 0 {
			break
		}
		words = append(words, w)
	}
	return strings.Join(words, " ")
}

// isTimeUnit reports whether a unit is a time: "ms", "hours", "days".
func isTimeUnit(u string) bool {
	k, _ := unitKey(u)
	return k == "time"
}

// isLevelUnit reports whether a unit measures a level: a time ("200 ms"),
// a score out of N ("4.5/5").
func isLevelUnit(u string) bool {
	k, _ := unitKey(u)
	return k == "time" || k == "nps" || k == "csat" || scoreUnitRE.MatchString(strings.TrimSpace(u))
}

var (
	// levelRE finds a word that names a level: what stands somewhere
	// already and moves, rather than things counted. A hyphen before or
	// after keeps it part of another word ("full-time engineers").
	levelRE = regexp.MustCompile(`(?:^|[^\p{L}\p{N}-])(?:e?nps|net promoter|mrr|arr|run[- ]rate|revenues?|turnover|umsatz|chiffre d'affaires|ingresos|csat|ces|scores?|ratings?|stars?|satisfaction|zufriedenheit|retention|churn|rates?|quote|taux|tasa|ratio|margins?|marge|margen|prices?|pricing|preis|prix|precio|aov|arpu|arpa|acv|ltv|cac|value|uptime|availability|verfügbarkeit|disponibilité|latency|latenz|latence|time|zeit|temps|tiempo|duration|speed|velocity|coverage|share|conversion|engagement|valuation|market cap|runway|burn|balance|average|avg|mean|median|p\d{2}|dau|mau|wau|size|costs?|spend|budget|sla|headcount)(?:$|[^\p{L}\p{N}-])`)
	// newRE finds what says the things counted are new.
	newRE = regexp.MustCompile(`(?:^|[^\p{L}\p{N}-])(?:new|net[- ]new|additional|incremental|neue[nrs]?|nouveaux|nouvelles?|nuevos?|nuevas?)(?:$|[^\p{L}\p{N}-])`)
	// newFlowRE finds a level word counted as what is new: "new ARR",
	// "net new MRR", "new business".
	newFlowRE = regexp.MustCompile(`(?:^|\s)(?:net[- ])?new\s+(?:mrr|arr|revenues?|bookings|business|pipeline|acv)$`)
	articleRE = regexp.MustCompile(`\s(?:a|an)\s+$`)
	inOfRE    = regexp.MustCompile(`^\s+(?:in|of|worth of)\s+`)
	// scoreUnitRE is a score's unit: "/10", "/5".
	scoreUnitRE = regexp.MustCompile(`^/\d+$`)
	// lowerBetterRE finds a level that is better lower: its line is a
	// ceiling.
	lowerBetterRE = regexp.MustCompile(`(?:^|[^\p{L}\p{N}-])(?:latency|time|duration|churn|costs?|cac|spend|burn|downtime|mttr|p\d{2})(?:$|[^\p{L}\p{N}-])`)
)

// deltaVerbs say that the number is what is added: counted from 0, even
// of a level ("Add $20k MRR").
var deltaVerbs = map[string]bool{"add": true, "gain": true}

// weakCountVerbs count, but not clearly from zero: "Get 500 reviews on G2"
// may be the total; "Get 10 new customers" says it.
var weakCountVerbs = map[string]bool{"get": true, "obtain": true, "make": true, "earn": true}

// foreignVerbs are the verbs "Keep" cannot replace in a line to hold: it
// would make "Keep un NPS de at least 50". No line is offered for them.
var foreignVerbs = map[string]bool{"erreichen": true, "atteindre": true, "alcanzar": true, "lograr": true, "gewinnen": true,
	"einstellen": true, "abschließen": true, "veröffentlichen": true, "recruter": true, "signer": true, "lancer": true,
	"publier": true, "contratar": true, "lanzar": true}

// askLevelStart asks where a level to reach starts ("Achieve 99.9%
// uptime", "Reach NPS 60", "Reach 10,000 users"); a level may also be a
// line to hold ("at least 99.9%"), which is offered first.
func (r *reader) askLevelStart(rd reading) error {
	target := FormatValue(rd.target, rd.unit)
	var choices []Choice
	if c, ok := r.holdChoice(rd, target); ok {
		choices = append(choices, c)
	}
	choices = append(choices, Choice{Meaning: "a level to reach from where it stands now", Text: r.text, Options: "--start N"})
	b := r.opt.Baseline
	if b == nil {
		choices = append(choices, Choice{Meaning: "or follow its KPI, which gives the start", Text: r.text, Options: "--kpi <slug>"})
	}
	zero := "or count from zero"
	if q, ok := r.targetQuantity(rd.target); ok && !isPercentUnit(rd.unit) && !isLevelUnit(rd.unit) && !r.namesLevel(r.lower[:q.start], measurePhrase(r.lower[q.end:])) {
		zero = "or count new ones only, from zero" // "Reach 1,000 paying customers"
	}
	choices = append(choices, Choice{Meaning: zero, Text: r.text, Options: "--start 0"})
	if b != nil && b.Unmeasured {
		return Ambiguous(choices, "%s has no value yet: where does it start on its way to %s? okrbot will not assume it starts at 0.", b.Name, target)
	}
	if isPercentUnit(rd.unit) {
		return Ambiguous(choices, "Where does it start on its way to %s? okrbot will not assume it starts at 0.", target)
	}
	return Ambiguous(choices, "Where does it start on its way to %s? Only new things won or done in the cycle start at 0 (Sign 50 new customers).", target)
}

// holdChoice is the reading of a level to reach as a line to hold: "Keep
// NPS at least 60", "Keep at most 200 ms p95 latency". None is offered for
// things counted ("Reach 10,000 users"), or a verb okrbot cannot replace.
func (r *reader) holdChoice(rd reading, target string) (Choice, bool) {
	q, ok := r.targetQuantity(rd.target)
	switch {
	case !ok, foreignVerbs[r.verbWord]:
		return Choice{}, false
	case r.verbWord != "" && !strings.HasPrefix(r.lower, r.verbWord):
		return Choice{}, false // the verb is not the first word: "Wir erreichen …", "… einstellen"
	case r.verb == vCount && !weakCountVerbs[r.verbWord]:
		return Choice{}, false // "Launch the plan at $49", "Generate $1M in revenue": not a line to keep
	}
	before, phrase := r.lower[:q.start], measurePhrase(r.lower[q.end:])
	lower := lowerBetterRE.MatchString(before) || lowerBetterRE.MatchString(phrase)
	k, _ := unitKey(rd.unit)
	switch {
	case isPercentUnit(rd.unit), r.namesLevel(before, phrase):
	case k == "time" && lower, scoreUnitRE.MatchString(rd.unit):
	default:
		return Choice{}, false
	}
	line := "at least "
	if lower && !isPercentUnit(rd.unit) {
		line = "at most "
	}
	at := q.start
	if m := articleRE.FindStringIndex(r.lower[:at]); m != nil {
		at = m[0] + 1 // "Hit a 4.8 rating": "Keep at least 4.8 rating", not "a at least"
	}
	text := r.replace(at, q.start, line)
	if r.verb == vReach || r.verb == vCount {
		// "Achieve at least 99.9% uptime" would be a level to reach
		// still: a line held is kept.
		_, rest, _ := strings.Cut(text, " ")
		text = "Keep " + rest
	}
	return Choice{Meaning: "a line to hold: " + line + target, Text: text}, true
}

// startOption is " --start N" when a reading that gives the target v
// (in unit) would still be asked where it starts: the choice offered says
// so rather than lead to a second question. v < 0 is a number that is not
// an amount of the text ("SOC 2").
func (r *reader) startOption(v float64, unit string) string {
	if r.opt.Start != "" || r.opt.Baseline != nil && !r.opt.Baseline.Unmeasured {
		return ""
	}
	if v >= 0 && r.countsFromZero(reading{target: v, unit: unit}) {
		return ""
	}
	return " --start N"
}
