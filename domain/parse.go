package domain

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParsedKR is what a key result's text says: its kind, start, target and unit.
type ParsedKR struct {
	Title    string
	Kind     Kind
	Start    float64
	HasStart bool // the start is known: written, given as an option, the baseline's, or a count from zero
	// StartFrom says where the start came from: "text", "option",
	// "baseline" or "zero" (new things won or done in the cycle, counted
	// from 0: "Sign 50 new customers"; a level is asked, never zero).
	StartFrom string
	Target    float64
	Unit      string
}

// Baseline is where a measure stands when its key result is written: the
// latest value of the KPI it follows, or the current start of a key result
// being edited. It gives relative targets ("by 15%") and bare targets
// ("to 50k") their start.
type Baseline struct {
	Value     float64
	Unit      string
	Direction Direction // which way is better, when known ("" otherwise)
	// Name says what the baseline is, for messages: "KPI web-leads".
	Name string
	// Follows is set when the key result's values will come from the
	// baseline's source (a linked KPI): units must then agree.
	Follows bool
	// Unmeasured is set for a KPI with no value yet: it gives the unit and
	// the direction, not a start.
	Unmeasured bool
}

// ParseOptions are what a key result's text is read with, besides the text:
// its baseline and the options a person typed to settle what the text
// leaves open (--start, --target, --unit, --milestone).
type ParseOptions struct {
	Baseline  *Baseline
	Start     string
	Target    string
	Unit      string
	UnitSet   bool // Unit was given ("" clears it)
	Milestone bool
}

const exKR = "Increase web leads from 22 to 35 per day"

// ParseKeyResult reads a key result as people write it:
//
//	Increase web leads from 22 to 35 per day   increase 22 → 35 "per day"
//	Reduce MTTR from 2 hours to 30 minutes     decrease 120 → 30 "minutes"
//	Increase conversion from 2,5% to 4%        increase 2.5 → 4 "%"
//	Grow MRR from $1.2M to $2M                 increase 1,200,000 → 2,000,000 "$"
//	Achieve 99.95% uptime (from 99.7%)         increase 99.7 → 99.95 "%"
//	Keep churn below 2%                        stay below 2 "%"
//	Close 10+ enterprise deals                 reach 0 → 10 "enterprise deals"
//	Reach NPS 60                               asked: from where? (a level, not a count)
//	Reduce churn by 20%                        decrease, from the baseline to 80% of it
//	Hire a VP of sales for Europe              milestone
//
// What the text leaves open is asked, never guessed: an error with code
// EAMBIGUOUS carries the readings, each written so that it can mean only
// that ("1.200" → "1.2" or "1200"; "Keep uptime at 99.9%" → "above" or
// "below"; "Increase MRR to 50k" → where it starts).
func ParseKeyResult(text string, opt ParseOptions) (ParsedKR, error) {
	text = strings.Join(strings.Fields(text), " ")
	if err := ValidateText("key result", text, MaxTitleLen, true); err != nil {
		return ParsedKR{}, withExample(err)
	}
	p := ParsedKR{Title: text}
	if opt.Milestone {
		if opt.Start != "" || opt.Target != "" {
			return p, Invalid(exKR, "A milestone has no start or target; leave out --start and --target, or --milestone.")
		}
		p.Kind = Milestone
		return p, nil
	}
	r := newReader(text, opt)
	rd := r.read()
	if err := r.applyOptions(&rd); err != nil {
		return p, err
	}
	if rd.err != nil && rd.settledBy == "start" && opt.Baseline != nil && !opt.Baseline.Unmeasured {
		rd.err = nil // the baseline gives the start
	}
	if rd.err != nil {
		return p, rd.err
	}
	if err := r.finish(&rd); err != nil {
		return p, err
	}
	p.Kind, p.Start, p.HasStart, p.StartFrom, p.Target, p.Unit = rd.kind, rd.start, rd.hasStart, rd.startFrom, rd.target, rd.unit
	return p, nil
}

// withExample gives an error of a key result the key result example.
func withExample(err error) error {
	if e, ok := err.(*Error); ok && e.Example == "" {
		e.Example = exKR
	}
	return err
}

type verbClass int

const (
	vNone verbClass = iota
	vIncrease
	vDecrease
	vImprove // a direction only the numbers (or the baseline) tell
	vReach   // a level to get to
	vCount   // things to do or win, counted from zero
	vStay
	vMove // "get", "bring", "move": a direction the numbers tell
)

var verbs = map[string]verbClass{}

func addVerbs(c verbClass, words ...string) {
	for _, w := range words {
		verbs[w] = c
	}
}

func init() {
	addVerbs(vIncrease, "increase", "grow", "raise", "boost", "lift", "expand", "scale", "double", "triple", "quadruple",
		"maximize", "maximise", "accelerate", "extend", "strengthen", "up", "scale up", "ramp up", "drive up", "push up",
		"steigern", "erhöhen", "ausbauen", "vergrößern", "augmenter", "accroître", "doubler", "aumentar", "incrementar", "crecer")
	addVerbs(vDecrease, "reduce", "decrease", "cut", "lower", "shrink", "drop", "lessen", "halve", "minimize", "minimise",
		"shorten", "slash", "trim", "bring down", "cut down", "drive down", "push down", "eliminate", "decrease", "limit",
		"senken", "reduzieren", "verringern", "verkürzen", "halbieren", "réduire", "diminuer", "baisser", "reducir", "disminuir", "bajar")
	addVerbs(vImprove, "improve", "optimize", "optimise", "verbessern", "améliorer", "mejorar")
	addVerbs(vReach, "reach", "hit", "achieve", "attain", "get to", "exceed", "surpass", "cross", "top", "break", "beat",
		"erreichen", "atteindre", "alcanzar", "lograr")
	addVerbs(vCount, "hire", "recruit", "sign", "close", "win", "land", "book", "launch", "ship", "release", "publish",
		"deliver", "complete", "finish", "run", "conduct", "host", "onboard", "acquire", "add", "gain", "generate", "secure",
		"convert", "sell", "open", "create", "build", "write", "produce", "interview", "train", "certify", "migrate",
		"deploy", "resolve", "fix", "automate", "enroll", "enrol", "register", "attract", "collect", "perform", "organize",
		"organise", "schedule", "send", "earn", "make", "interview", "recruit", "partner", "sign up", "get", "obtain",
		"gewinnen", "einstellen", "abschließen", "veröffentlichen", "recruter", "signer", "lancer", "publier", "contratar", "lanzar")
	addVerbs(vStay, "keep", "stay", "maintain", "hold", "sustain", "remain", "ensure", "preserve", "protect", "defend",
		"halten", "garder", "maintenir", "mantener")
	addVerbs(vMove, "bring", "move", "push", "drive", "take", "shift")
}

// reader reads one key result text.
type reader struct {
	text  string
	lower string // text with ASCII letters lowered; byte offsets match text
	qs    []quantity
	conv  convention // the convention the text's unambiguous numbers use; -1 when they disagree
	opt   ParseOptions
	verb  verbClass
	// verbWord is the verb as written, lowered: "sign", "get to".
	verbWord string
}

// reading is what the text says, with what it leaves open.
type reading struct {
	kind                Kind
	dir                 int // +1 up, -1 down, 0 unknown (before the kind is settled)
	start, target       float64
	hasStart, hasTarget bool
	startFrom           string
	unit                string
	unitKnown           bool // the unit is written with a number, not words after it
	rel                 *relative
	needsStart          bool
	// err is why the text alone cannot be stored: asked when the options
	// do not settle it.
	err error
	// settledBy says which options settle err: "target", "start".
	settledBy string
}

// relative is a target given as a change from the start: "by 15%", "by 10
// points", "double", "3x", "up 50".
type relative struct {
	q       *quantity
	amount  float64 // the change: 15 for 15%, 10 for 10 points, 3 for 3x
	unit    string  // the unit of an absolute change ("2 hours"), "" when none
	percent bool
	points  bool
	factor  bool // amount multiplies the start (double, 3x)
}

func newReader(text string, opt ParseOptions) *reader {
	r := &reader{text: text, lower: lowerASCII(text), opt: opt}
	r.qs = scanQuantities(text)
	en, eu := 0, 0
	for _, q := range r.qs {
		switch q.num.needs {
		case convEN:
			en++
		case convEU:
			eu++
		}
	}
	switch {
	case en > 0 && eu > 0:
		r.conv = -1
	case en > 0:
		r.conv = convEN
	case eu > 0:
		r.conv = convEU
	}
	r.verb, r.verbWord = r.findVerb()
	return r
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// findVerb classifies the key result by its first one or two words, or
// (German puts the verb last) its last word; it also returns the verb as
// written, lowered ("" when there is none).
func (r *reader) findVerb() (verbClass, string) {
	words := strings.Fields(strings.ToLower(r.text))
	if len(words) == 0 {
		return vNone, ""
	}
	clean := func(w string) string { return strings.Trim(w, ".,;:!()\"'“”") }
	if len(words) > 1 {
		if c, ok := verbs[clean(words[0])+" "+clean(words[1])]; ok {
			return c, clean(words[0]) + " " + clean(words[1])
		}
	}
	first := clean(words[0])
	if c, ok := verbs[first]; ok {
		switch {
		case first == "get" && getToRE.MatchString(r.text):
			return vMove, first
		case first == "raise" && len(r.qs) > 0 && r.qs[0].currency != "" && !strings.Contains(r.lower, " to ") && !strings.Contains(r.lower, " by "):
			return vCount, first // "Raise $5M": a round, counted from zero
		}
		return c, first
	}
	if last := clean(words[len(words)-1]); len(words) > 2 {
		if c, ok := verbs[last]; ok {
			return c, last
		}
	}
	// "We achieve 40 launches": a subject before the verb.
	if len(words) > 2 && (first == "we" || first == "i" || first == "team" || first == "wir") {
		if c, ok := verbs[clean(words[1])]; ok {
			return c, clean(words[1])
		}
	}
	return vNone, ""
}

// getToRE finds "get … to 60": a target to move to, not a count.
var getToRE = regexp.MustCompile(`(?i)\bto\s+[-+−$€£¥₹]?\d`)

// amount is a quantity's value, read in the text's convention; a number the
// text does not settle ("1.200", "12m") is asked about.
func (r *reader) amount(q quantity) (float64, error) {
	conv := convEN
	if q.num.ambiguous {
		switch {
		case r.conv == convEN, r.conv == convEU:
			conv = r.conv
		case r.conv == convNone && q.num.sep == ",":
			conv = convEN // "1,200": twelve hundred, unless the text says otherwise
		default:
			return 0, r.askNumeral(q)
		}
	}
	if q.magAmbig == "m" {
		if q.currency == "" {
			return 0, r.askM(q)
		}
		q.mult = 1e6
	}
	v := q.value(conv)
	if math.IsInf(v, 0) || math.IsNaN(v) || math.Abs(v) > 1e15 {
		return 0, Invalid(exKR, "%q is not a number okrbot can use.", truncate(q.raw, 30))
	}
	return v, nil
}

func (r *reader) replace(from, to int, with string) string {
	return r.text[:from] + with + r.text[to:]
}

func (r *reader) askNumeral(q quantity) error {
	// Every number written with that separator is rewritten both ways.
	rewrite := func(conv convention) string {
		out, last := "", 0
		for _, x := range r.qs {
			if x.num.ambiguous && x.num.sep == q.num.sep {
				v := x.num.en
				if conv == convEU {
					v = x.num.eu
				}
				out += r.text[last:x.digitStart] + formatPlain(v)
				last = x.digitEnd
			}
		}
		return out + r.text[last:]
	}
	a, b := formatPlain(q.num.en), formatPlain(q.num.eu)
	la, lb := "a decimal point", "thousands"
	if q.num.sep == "," {
		la, lb = "thousands", "a decimal comma"
	}
	digits := r.text[q.digitStart:q.digitEnd]
	return Ambiguous([]Choice{
		{Meaning: fmt.Sprintf("%s, with %s", FormatValue(q.value(convEN), q.unitString()), la), Text: rewrite(convEN)},
		{Meaning: fmt.Sprintf("%s, with %s", FormatValue(q.value(convEU), q.unitString()), lb), Text: rewrite(convEU)},
	}, "Is %s %s or %s? Separators are written both ways; say which.", digits, a, b)
}

func (r *reader) askM(q quantity) error {
	rewrite := func(with string) string {
		out, last := "", 0
		for _, x := range r.qs {
			if x.magAmbig == "m" && x.currency == "" {
				out += r.text[last:x.digitEnd] + with
				last = x.numEnd
			}
		}
		return out + r.text[last:]
	}
	n := formatPlain(q.value(convEN))
	return Ambiguous([]Choice{
		{Meaning: "minutes", Text: rewrite(" min")},
		{Meaning: "millions", Text: rewrite("M")},
	}, "Does %s mean %s minutes or %s million?", strings.TrimSpace(r.text[q.digitStart:q.numEnd]), n, n)
}

// formatPlain writes a number without separators and with at most six
// decimals, as it can be typed back: 1200, 1.2, 2.875.
func formatPlain(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64)
}

// amounts are the quantities that can be what the key result measures:
// not part of a name, not a time frame.
func (r *reader) amounts() []int {
	var out []int
	for i, q := range r.qs {
		if !q.name && !q.frame {
			out = append(out, i)
		}
	}
	return out
}

var (
	aboveRE = regexp.MustCompile(`(?:\bat or above|\bat least|\bno less than|\bnot (?:below|under|less than)|\bmore than|\bgreater than|\bhigher than|\bminimum(?: of)?|\bmin\.?|\babove|\bover|≥|>=|>|\bmindestens|\büber|\bau moins|\bau-dessus de|\bplus de|\bal menos|\bpor encima de|\bmás de)\s*$`)
	belowRE = regexp.MustCompile(`(?:\bat or below|\bat most|\bno more than|\bnot (?:above|over|more than|exceed|exceeding)|\bless than|\bfewer than|\blower than|\bmaximum(?: of)?|\bmax\.?|\bbelow|\bunder|\bbeneath|\bwithin|\bup to|≤|<=|<|\bhöchstens|\bmaximal|\bunter|\bau plus|\bmoins de|\ben dessous de|\bsous|\bpor debajo de|\bmenos de)\s*$`)
	atRE    = regexp.MustCompile(`(?:\bsteady at|\bstable at|\bconstant at|\bflat at|\bat|\baround|\bnear|\bclose to|=|\bbei|\bà|\bof)\s*$`)
	orMore  = regexp.MustCompile(`^\s*(?:or|and)\s+(?:above|more|higher|better|over|greater|up)\b`)
	orLess  = regexp.MustCompile(`^\s*(?:or|and)\s+(?:below|less|lower|fewer|under|down|better)\b`)
)

// comparator returns the direction a comparator right before (or after) a
// quantity gives: +1 for at least, -1 for at most, 0 for "at", and where
// the comparator starts; found is false when there is none.
func (r *reader) comparator(q quantity) (dir, at int, found bool) {
	before := r.lower[:q.start]
	after := r.lower[q.end:]
	if q.plus || orMore.MatchString(after) {
		return +1, q.start, true
	}
	if orLess.MatchString(after) && !strings.HasPrefix(strings.TrimSpace(after), "or better") {
		return -1, q.start, true
	}
	if m := aboveRE.FindStringIndex(before); m != nil {
		return +1, m[0], true
	}
	if m := belowRE.FindStringIndex(before); m != nil {
		return -1, m[0], true
	}
	if m := atRE.FindStringIndex(before); m != nil {
		return 0, m[0], true
	}
	return 0, 0, false
}

// read works out the structure of the text.
func (r *reader) read() reading {
	if rd, ok := r.readStay(); ok {
		return rd
	}
	if rd, ok := r.readFromTo(); ok {
		return rd
	}
	if rd, ok := r.readTo(); ok {
		return rd
	}
	if rd, ok := r.readRelative(); ok {
		return rd
	}
	if rd, ok := r.readComparator(); ok {
		return rd
	}
	return r.readReach()
}

// unitOf is a quantity's unit, or the words after it that name what is
// counted ("35 leads per day", "10 enterprise deals in EMEA").
func (r *reader) unitOf(q quantity) string {
	u, _ := r.unitKnown(q)
	return u
}

// unitKnown is unitOf, and whether the unit was written with the number.
func (r *reader) unitKnown(q quantity) (string, bool) {
	if u := q.unitString(); u != "" {
		return u, true
	}
	return trailingUnit(r.text[q.end:]), false
}

var unitCut = regexp.MustCompile(`[,;:()\[\]!?"“”]|\s[-–—]\s|\.(?:\s|$)`)

// trailingUnit returns the words after a number that name what it counts,
// up to a word that says when, where or how; "" when that is more than
// three words or too long for a unit.
func trailingUnit(rest string) string {
	if m := unitCut.FindStringIndex(rest); m != nil {
		rest = rest[:m[0]]
	}
	var words []string
	fields := strings.Fields(rest)
	rate := 0 // words of a rate at the end ("per month"), beyond the three of a unit
	for i, w := range fields {
		lw := strings.ToLower(w)
		if (lw == "per" || lw == "a" || lw == "each") && len(words) > 0 && i+1 < len(fields) {
			if _, ok := periods[singular(strings.ToLower(strings.Trim(fields[i+1], ".,;:")))]; ok {
				words = append(words, w, strings.Trim(fields[i+1], ".,;:"))
				rate = 2
				break
			}
		}
		if stopWords[lw] || unitStopWord[lw] {
			break
		}
		if len(words) > 0 && len(lw) > 4 && strings.HasSuffix(lw, "ing") {
			break // "100 customers using feature X": what they do is no unit
		}
		if _, verb := verbs[strings.Trim(lw, ".,;:!")]; verb {
			break // "… auf 8,5 steigern": the verb at the end
		}
		if _, err := strconv.ParseFloat(strings.Trim(w, "%$€£"), 64); err == nil {
			break
		}
		words = append(words, w)
	}
	u := strings.Join(words, " ")
	if len(words)-rate > 3 || utf8.RuneCountInString(u) > MaxUnitLen {
		if rate > 0 && len(words)-rate <= 3 {
			return strings.Join(words[len(words)-rate:], " ") // the rate alone: "per month"
		}
		return ""
	}
	return u
}

// unitStopWord are more words that end a unit, besides stopWords.
var unitStopWord = map[string]bool{"of": true, "than": true, "that": true, "who": true, "which": true, "is": true, "are": true, "each": true,
	"aus": true, "mit": true, "für": true, "zum": true, "zur": true, "durch": true, "am": true, "unserem": true, "unserer": true,
	"du": true, "des": true, "avec": true, "dans": true, "d'ici": true, "para": true, "con": true, "del": true, "por": true}

// readStay: "Keep churn below 2%", "Maintain uptime of at least 99.9%",
// "Hold NPS at 50+", "Churn unter 2 % halten".
func (r *reader) readStay() (reading, bool) {
	if r.verb != vStay {
		return reading{}, false
	}
	var best *quantity
	dir, at, found := 0, 0, false
	for i := range r.qs {
		q := r.qs[i]
		if q.name {
			continue
		}
		if d, a, ok := r.comparator(q); ok {
			best, dir, at, found = &r.qs[i], d, a, true
			if d != 0 {
				break
			}
		}
	}
	if best == nil {
		// "Maintain 99.9% uptime": which way it must hold is not written.
		am := r.amounts()
		if len(am) != 1 {
			return reading{}, false
		}
		best, at = &r.qs[am[0]], r.qs[am[0]].start
	}
	q := *best
	if q.frame {
		// "Ensure 95% of tickets are answered within 24h": the line is
		// more likely the 95% than the 24h, but that is a guess. Ask.
		for _, i := range r.amounts() {
			if o := r.qs[i]; o.start != q.start {
				v, err := r.amount(o)
				if err != nil {
					return reading{err: err}, true
				}
				u := r.unitOf(o)
				return reading{err: Ambiguous([]Choice{
					{Meaning: "at least " + FormatValue(v, u), Text: r.replace(o.start, o.start, "at least ")},
					{Meaning: "at most " + FormatValue(v, u), Text: r.replace(o.start, o.start, "at most ")},
				}, "Which way must %s hold, and is it the line rather than %s? Say at least or at most before it.", strings.TrimSpace(o.raw), strings.TrimSpace(q.raw))}, true
			}
		}
	}
	v, err := r.amount(q)
	if err != nil {
		return reading{err: err}, true
	}
	rd := reading{target: v, hasTarget: true}
	rd.unit, rd.unitKnown = r.unitKnown(q)
	if !found || dir == 0 {
		if b := r.opt.Baseline; b != nil && b.Direction != "" {
			dir = +1
			if b.Direction == LowerIsBetter {
				dir = -1
			}
		}
	}
	switch dir {
	case +1:
		rd.kind = StayAbove
	case -1:
		rd.kind = StayBelow
	default:
		end := q.start
		rd.err = Ambiguous([]Choice{
			{Meaning: fmt.Sprintf("at least %s", FormatValue(v, rd.unit)), Text: strings.TrimSpace(r.replace(at, end, "at least "))},
			{Meaning: fmt.Sprintf("at most %s", FormatValue(v, rd.unit)), Text: strings.TrimSpace(r.replace(at, end, "at most "))},
		}, "Must it stay at least %s or at most %s? Say above or below.", FormatValue(v, rd.unit), FormatValue(v, rd.unit))
	}
	return rd, true
}

var (
	fromWordRE = regexp.MustCompile(`(?:\bfrom|\bvon|\bde|\bdesde|\bbaseline(?: of)?:?|\bstarting at)\s+(?:(?:the\s+)?current(?:ly)?\s+|today'?s?\s+|a baseline of\s+|about\s+|around\s+|approx(?:imately|\.)?\s+|~\s*)?$`)
	connectRE  = regexp.MustCompile(`^\s*(?:([\p{L}/ ]{0,30}?)\s+)?(?:to|→|->|=>|—>|–>|⇒|auf|bis|à|hasta|a)\s+(?:(?:about|around|at least|over|above|under|below|less than|more than|under|only)\s+)?$|^\s*(?:→|->|=>|—>|–>|⇒)\s*$`)
	sinceRE    = regexp.MustCompile(`(?:\(|,|;|\s[-–—])?\s*(?:up |down )?(?:from|currently|current|baseline:?|today:?|now:?|was|vs\.?|versus|compared to|compared with|from a baseline of)\s*(?:current(?:ly)?\s+|today'?s?\s+|a baseline of\s+)?$`)
)

var byBetweenRE = regexp.MustCompile(`(?:\bby|\bbetween|\bvon|\bde|\bfrom)\s*$`)

// readFromTo: "from A to B", "A → B", "to B (from A)", "B, up from A".
func (r *reader) readFromTo() (reading, bool) {
	am := r.amounts()
	type pair struct{ a, b int }
	var pairs []pair
	for x := 0; x+1 < len(am); x++ {
		qa, qb := r.qs[am[x]], r.qs[am[x+1]]
		between := r.lower[qa.end:qb.start]
		if m := connectRE.FindStringSubmatch(between); m != nil {
			arrow := strings.ContainsAny(between, "→⇒>")
			// "Increase signups 120 to 200": a bare "to" between two
			// numbers, no "by" or "between" before the first and no words
			// of what is counted after the second ("Hire 2 to 3 engineers"
			// is a range), is from one to the other (echoed back like every
			// reading).
			bare := strings.TrimSpace(between) == "to" && !byBetweenRE.MatchString(r.lower[:qa.start]) && trailingUnit(r.text[qb.end:]) == ""
			if fromWordRE.MatchString(r.lower[:qa.start]) || arrow || bare {
				pairs = append(pairs, pair{am[x], am[x+1]})
				x++
				continue
			}
		}
		if sinceRE.MatchString(r.lower[qa.end:qb.start]) && strings.TrimSpace(between) != "" {
			pairs = append(pairs, pair{am[x+1], am[x]}) // target first, then where it starts
			x++
		}
	}
	if len(pairs) == 0 {
		return reading{}, false
	}
	if len(pairs) > 1 {
		return reading{err: Invalid(exKR, "This key result measures %d things; give each its own key result.", len(pairs))}, true
	}
	qa, qb := r.qs[pairs[0].a], r.qs[pairs[0].b]
	a, err := r.amount(qa)
	if err != nil {
		return reading{err: err}, true
	}
	b, err := r.amount(qb)
	if err != nil {
		return reading{err: err}, true
	}
	magOpt, magErr := r.askMagnitude(qa, qb, a, b)
	ua, ub := qa.unitString(), qb.unitString()
	if pairs[0].a < pairs[0].b {
		if ua == "" {
			// "from 22 leads per day to 35": the start's words name the unit.
			if m := connectRE.FindStringSubmatch(r.text[qa.end:qb.start]); m != nil && m[1] != "" && ub == "" {
				ua = strings.TrimSpace(m[1])
			}
		}
		if ub == "" {
			ub = trailingUnit(r.text[qb.end:])
		}
	}
	// "from $10k to $20k monthly": the rate at one end is the other's too.
	if ua != "" && ub != "" && !SameUnit(ua, ub) {
		if p, ok := rateSuffix(ub[min(len(ua), len(ub)):]); ok && strings.HasPrefix(ub, ua) {
			ua, ub = ua+"/"+p, ua+"/"+p
		} else if p, ok := rateSuffix(ua[min(len(ua), len(ub)):]); ok && strings.HasPrefix(ua, ub) {
			ua, ub = ub+"/"+p, ub+"/"+p
		}
	}
	rd := reading{start: a, target: b, hasStart: true, hasTarget: true, startFrom: "text", unitKnown: qa.unitString() != "" || qb.unitString() != ""}
	switch {
	case ua == "" || ub == "" || SameUnit(ua, ub):
		rd.unit = ub
		if rd.unit == "" {
			rd.unit = ua
		}
	default:
		conv, ok := ConvertUnit(a, ua, ub)
		if !ok {
			return reading{err: Invalid(exKR, "It starts in %s and ends in %s; give both in one unit.", ua, ub)}, true
		}
		rd.start, rd.unit = conv, ub
	}
	rd.kind, rd.err = r.directed(rd.start, rd.target, rd.unit)
	if magErr != nil {
		rd.err, rd.settledBy = magErr, magOpt // the option says the bare end is meant as written
	}
	return rd, true
}

// rateSuffix reads s, what one end's unit has more than the other's, as
// only a rate ("monthly", " per day", "/day") and returns its period
// ("month", "day").
func rateSuffix(s string) (string, bool) {
	for _, c := range []string{s, " " + s} {
		u, n := rateAfter(c)
		if u == "" || n != len(c) {
			continue
		}
		f := strings.Fields(strings.ReplaceAll(u, "/", " "))
		w := strings.ToLower(f[len(f)-1])
		if p, ok := periods[w]; ok {
			return p, true
		}
		if p, ok := periods[singular(w)]; ok {
			return p, true
		}
	}
	return "", false
}

// askMagnitude asks when one end of "from A to B" has a magnitude and the
// other none, and the bare one reads better with it: "from 1 to 2M€" is
// more likely 1M€ than 1 €.
func (r *reader) askMagnitude(qa, qb quantity, a, b float64) (string, error) {
	bare, other, v, w, opt := qa, qb, a, b, "start"
	if qa.mult != 0 && qb.mult == 0 {
		bare, other, v, w, opt = qb, qa, b, a, "target"
	} else if !(qa.mult == 0 && qb.mult != 0) {
		return "", nil
	}
	if v == 0 || w == 0 || math.Abs(w/v) < 100 {
		return "", nil
	}
	with := v * other.mult
	if r := math.Abs(w / with); r > 100 || r < 0.01 {
		return "", nil
	}
	mag := r.text[other.digitEnd:other.numEnd]
	mag = strings.TrimLeft(mag, " ")
	if i := strings.IndexAny(mag, currencySymbols); i > 0 {
		mag = mag[:i] // "M€": the magnitude, not the currency
	}
	u := other.unitString()
	return opt, Ambiguous([]Choice{
		{Meaning: FormatValue(with, u), Text: r.text[:bare.digitEnd] + mag + r.text[bare.digitEnd:]},
		{Meaning: FormatValue(v, u), Text: r.text, Options: "--" + opt + " " + formatPlain(v)},
	}, "Is %s %s or %s? One end has a magnitude and the other none.", strings.TrimSpace(bare.raw), FormatValue(with, u), FormatValue(v, u))
}

// directed settles increase or decrease from a start and a target, checked
// against the verb.
func (r *reader) directed(start, target float64, unit string) (Kind, error) {
	v := func(x float64) string { return FormatValue(x, unit) }
	switch {
	case r.verb == vIncrease && target <= start:
		return "", Invalid(exKR, "To increase, the target (%s) must be above the start (%s).", v(target), v(start))
	case r.verb == vDecrease && target >= start:
		return "", Invalid("Reduce response time from 12h to 4h", "To reduce, the target (%s) must be below the start (%s).", v(target), v(start))
	case target > start:
		return Increase, nil
	case target < start:
		return Decrease, nil
	}
	return "", Invalid(exKR, "The start and the target are both %s; a key result must change something.", v(start))
}

var toRE = regexp.MustCompile(`(?:\bto|\bauf|\bà|\bhasta|\bdown to|\bup to)\s+(?:(under|below|less than|at most|no more than|over|above|at least|more than|about|around|approximately|~)\s+)?$`)

// readTo: "Grow MRR to 50k", "Reduce churn to below 2%", "Get NPS to 60".
func (r *reader) readTo() (reading, bool) {
	switch r.verb {
	case vIncrease, vDecrease, vImprove, vMove, vNone:
	default:
		return reading{}, false
	}
	for _, i := range r.amounts() {
		q := r.qs[i]
		m := toRE.FindStringSubmatchIndex(r.lower[:q.start])
		if m == nil {
			continue
		}
		word := r.lower[m[0]:m[1]]
		if strings.HasPrefix(word, "up to") && r.verb != vIncrease && r.verb != vMove {
			continue // "up to 5": at most five
		}
		v, err := r.amount(q)
		if err != nil {
			return reading{err: err}, true
		}
		rd := reading{target: v, hasTarget: true, needsStart: true, settledBy: "start"}
		rd.unit, rd.unitKnown = r.unitKnown(q)
		switch {
		case r.verb == vIncrease:
			rd.dir = +1
		case r.verb == vDecrease || strings.HasPrefix(word, "down"):
			rd.dir = -1
		case m[2] >= 0 && (aboveRE.MatchString(r.lower[m[2]:m[3]]) || strings.Contains(r.lower[m[2]:m[3]], "more")):
			rd.dir = +1
		case m[2] >= 0 && belowRE.MatchString(r.lower[m[2]:m[3]]):
			rd.dir = -1
		}
		rd.err = r.askStart(q, m[0], rd)
		return rd, true
	}
	return reading{}, false
}

// askStart asks where a key result starts: it has a target but no start.
func (r *reader) askStart(q quantity, toAt int, rd reading) error {
	what := "it"
	if toAt > 0 {
		if f := strings.Fields(strings.TrimSpace(r.text[:toAt])); len(f) > 1 {
			what = strings.Join(f[1:], " ")
		}
	}
	first := Choice{Meaning: "say where " + clipWords(what, 6) + " stands now", Text: r.text, Options: "--start N"}
	if toAt > 0 && startWrittenRE.MatchString(r.lower[:toAt]) {
		// "from 1,5 M€ to …" read no start, "by 30% to …" gives a change: a
		// second "from N" in the text would read as nonsense; the option says it.
		what = clipWords(strings.TrimSpace(startWrittenRE.Split(what, 2)[0]), 6)
		first.Meaning = "say where " + what + " stands now"
	} else if toAt > 0 {
		first = Choice{Meaning: "say where " + clipWords(what, 6) + " stands now", Text: strings.TrimSpace(r.text[:toAt]) + " from N " + strings.TrimSpace(r.text[toAt:])}
	}
	choices := []Choice{first}
	choices = append(choices, Choice{Meaning: "or follow its KPI, which gives the start", Text: r.text, Options: "--kpi <slug>"})
	if rd.dir >= 0 {
		choices = append(choices, Choice{Meaning: "or count from zero", Text: r.text, Options: "--start 0"})
	}
	return Ambiguous(choices, "Where does %s start? okrbot will not assume it starts at 0.", clipWords(what, 6))
}

// isPercentUnit reports whether a unit is a percentage.
func isPercentUnit(u string) bool {
	k, _ := unitKey(u)
	return k == "%"
}

// targetQuantity is the quantity of the text that reads as v.
func (r *reader) targetQuantity(v float64) (quantity, bool) {
	for _, i := range r.amounts() {
		if x, err := r.amount(r.qs[i]); err == nil && x == v {
			return r.qs[i], true
		}
	}
	return quantity{}, false
}

// startWrittenRE finds a start or a change written before a target: a
// "from", or a "by 30%".
var startWrittenRE = regexp.MustCompile(`(?i)\s(?:from|von|de|desde|by|um)\s`)

func clipWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) > n {
		return strings.Join(f[:n], " ") + "…"
	}
	return s
}

var (
	byRE      = regexp.MustCompile(`(?:\bby|\bum|\ben|\bup|\bdown|\bde|\bplus|\bminus)\s+(?:about\s+|around\s+|at least\s+|over\s+|another\s+|a further\s+)?$`)
	moreRE    = regexp.MustCompile(`^\s*(?:more|higher|increase|growth|uplift|gain|improvement|up|plus|extra|additional|mehr|de plus)\b`)
	fewerRE   = regexp.MustCompile(`^\s*(?:fewer|less|lower|reduction|decrease|drop|decline|down|cut|minus|weniger|de moins)\b`)
	halfRE    = regexp.MustCompile(`\b(?:by|in) (?:one |a )?half\b`)
	factorsRE = map[string]float64{"double": 2, "triple": 3, "quadruple": 4, "halve": 0.5, "halbieren": 0.5, "verdoppeln": 2, "doubler": 2}
)

// readRelative: "Reduce churn by 20%", "Increase conversion by 10 points",
// "Gain 20% more qualified leads", "Double MRR", "Grow revenue 3x", "NPS up 50".
func (r *reader) readRelative() (reading, bool) {
	first := strings.ToLower(strings.Trim(strings.Fields(r.text)[0], ".,;:"))
	last := strings.ToLower(strings.Trim(strings.Fields(r.text)[len(strings.Fields(r.text))-1], ".,;:"))
	f, ok := factorsRE[first]
	if !ok && factorsRE[last] != 0 {
		f, ok = factorsRE[last], true
	}
	if m := halfRE.FindString(r.lower); m != "" && !ok {
		// "Decrease customer complaints by half", "cut churn in half";
		// "grow revenue by half" is half as much again.
		f, ok = 0.5, true
		if r.verb == vIncrease {
			f = 1.5
		}
	}
	if ok {
		if len(r.amounts()) == 0 {
			rd := reading{rel: &relative{amount: f, factor: true}, needsStart: true}
			rd.dir = +1
			if f < 1 {
				rd.dir = -1
			}
			return rd, true
		}
	}
	for _, i := range r.amounts() {
		q := r.qs[i]
		uk, _ := unitKey(q.unitString())
		before, after := r.lower[:q.start], r.lower[q.end:]
		rel := &relative{q: &r.qs[i], percent: uk == "%", points: uk == "points", factor: uk == "x"}
		dir := 0
		switch {
		case byRE.MatchString(before):
			w := strings.Fields(before)
			switch w[len(w)-1] {
			case "up", "plus":
				dir = +1
			case "down", "minus":
				dir = -1
			}
		case (rel.percent || rel.factor) && moreRE.MatchString(after) || moreRE.MatchString(after) && r.verb != vDecrease:
			dir = +1
		case fewerRE.MatchString(after):
			dir = -1
		case rel.factor && (r.verb == vIncrease || r.verb == vNone || r.verb == vImprove):
			dir = +1
		case q.negative && (rel.percent || rel.points):
			dir = -1
		case strings.HasSuffix(strings.TrimSpace(before), "+") || strings.HasPrefix(r.text[q.start:], "+") && (rel.percent || rel.points):
			dir = +1
		default:
			continue
		}
		v, err := r.amount(q)
		if err != nil {
			return reading{err: err}, true
		}
		rel.amount = math.Abs(v)
		if dir == 0 {
			switch r.verb {
			case vIncrease:
				dir = +1
			case vDecrease:
				dir = -1
			}
		}
		rd := reading{rel: rel, dir: dir, needsStart: true}
		if !rel.percent && !rel.points && !rel.factor {
			rd.unit, rd.unitKnown = r.unitKnown(q)
			rel.unit = q.unitString()
		}
		// "Increase MRR from $40k by 25%": the start is written.
		for _, j := range r.amounts() {
			if j >= i {
				break
			}
			if q0 := r.qs[j]; fromWordRE.MatchString(r.lower[:q0.start]) {
				v0, err := r.amount(q0)
				if err != nil {
					return reading{err: err}, true
				}
				rd.start, rd.hasStart, rd.startFrom = v0, true, "text"
				if u := q0.unitString(); u != "" {
					rd.unit, rd.unitKnown = u, true
				}
			}
		}
		return rd, true
	}
	return reading{}, false
}

// readComparator: "Churn below 2%", "Uptime ≥ 99.9%", "Close at least 10
// deals", "Spend at most $10k on ads".
func (r *reader) readComparator() (reading, bool) {
	for _, i := range r.amounts() {
		q := r.qs[i]
		dir, _, found := r.comparator(q)
		if !found || dir == 0 {
			continue
		}
		if am := r.amounts(); len(am) > 1 {
			// "Sign 3 new enterprise customers with ACV over $100k": the
			// line may qualify what is counted rather than be the target.
			rd := r.askWhichTarget(am)
			return rd, true
		}
		v, err := r.amount(q)
		if err != nil {
			return reading{err: err}, true
		}
		rd := reading{target: v, hasTarget: true}
		rd.unit, rd.unitKnown = r.unitKnown(q)
		switch {
		case dir > 0 && (r.verb == vCount || r.verb == vReach):
			rd.kind = Reach
		case dir > 0 && r.verb == vIncrease:
			rd.kind, rd.needsStart, rd.dir = Increase, true, +1
		case dir < 0 && r.verb == vDecrease:
			rd.kind, rd.needsStart, rd.dir = Decrease, true, -1
		case dir > 0:
			rd.kind = StayAbove
		default:
			rd.kind = StayBelow
		}
		if rd.needsStart {
			rd.err, rd.settledBy = r.askStart(q, -1, rd), "start"
		}
		return rd, true
	}
	return reading{}, false
}

// readReach: "Reach NPS 60", "Hire 3 engineers", "200 qualified leads from
// organic search"; no number at all is a milestone.
func (r *reader) readReach() reading {
	am := r.amounts()
	if len(r.qs) == 0 && clockRE.MatchString(r.text) {
		// "from 6:30 to 5:00": minutes and seconds, or hours and minutes?
		return reading{err: Invalid("Reduce average handle time from 390 s to 300 s", "okrbot reads numbers, not times like %s; write them in one unit.", clockRE.FindString(r.text))}
	}
	if len(r.qs) == 0 || len(am) == 0 && r.verb != vCount && r.verb != vReach && !r.anyName() {
		return reading{kind: Milestone}
	}
	if len(am) == 0 {
		// Only numbers that look like part of a name: "Achieve SOC 2 compliance".
		var names []string
		for _, q := range r.qs {
			if q.name {
				names = append(names, strings.TrimSpace(q.raw))
			}
		}
		if len(names) == 0 {
			return reading{kind: Milestone}
		}
		return reading{kind: Milestone, settledBy: "target", err: Ambiguous([]Choice{
			{Meaning: "a milestone: done or not done", Text: r.text, Options: "--milestone"},
			{Meaning: "a number to reach: " + names[0], Text: r.text, Options: "--target " + names[0] + r.startOption(-1, "")},
		}, "Is %s part of a name, or a number to reach?", names[0])}
	}
	if len(am) > 1 {
		return r.askWhichTarget(am)
	}
	q := r.qs[am[0]]
	v, err := r.amount(q)
	if err != nil {
		return reading{err: err}
	}
	if r.verb == vIncrease || r.verb == vDecrease || r.verb == vImprove {
		// "Boost signups 20%": by 20%, or to 20%?
		u := r.unitOf(q)
		dir := +1
		if r.verb == vDecrease {
			dir = -1
		} else if r.verb == vImprove {
			dir = 0
		}
		start := ""
		if r.opt.Baseline == nil && r.opt.Start == "" {
			start = "--start N"
		}
		return reading{settledBy: "target", dir: dir, needsStart: true, err: Ambiguous([]Choice{
			{Meaning: "a change of " + FormatValue(v, u), Text: r.replace(q.start, q.start, "by "), Options: start},
			{Meaning: "a target of " + FormatValue(v, u), Text: r.replace(q.start, q.start, "to "), Options: start},
		}, "Is %s the change or the target? Say by or to.", strings.TrimSpace(q.raw))}
	}
	rd := reading{kind: Reach, target: v, hasTarget: true}
	rd.unit, rd.unitKnown = r.unitKnown(q)
	return rd
}

// askWhichTarget asks which of several numbers is the target.
func (r *reader) askWhichTarget(am []int) reading {
	var choices []Choice
	var list []string
	for _, i := range am {
		q := r.qs[i]
		v, err := r.amount(q)
		if err != nil {
			return reading{err: err}
		}
		list = append(list, strings.TrimSpace(q.raw))
		choices = append(choices, Choice{Meaning: "the target is " + FormatValue(v, r.unitOf(q)), Text: r.text, Options: "--target " + formatPlain(v) + r.startOption(v, r.unitOf(q))})
	}
	return reading{kind: Reach, settledBy: "target", err: Ambiguous(choices,
		"Which number is the target: %s? Or write it as from … to ….", strings.Join(list, " or "))}
}

func (r *reader) anyName() bool {
	for _, q := range r.qs {
		if q.name {
			return true
		}
	}
	return false
}

// applyOptions puts what the person gave as options over what the text
// says, and clears the question an option answers.
func (r *reader) applyOptions(rd *reading) error {
	o := r.opt
	if o.Start == "" && o.Target == "" && !o.UnitSet {
		return nil
	}
	want := rd.unit
	if o.UnitSet {
		want = strings.TrimSpace(o.Unit)
		if err := ValidateText("unit", want, MaxUnitLen, false); err != nil {
			return err
		}
		rd.unitKnown = want != ""
	}
	read := func(s, what string) (float64, error) {
		a, err := ParseAmount(s)
		if err != nil {
			if e, ok := err.(*Error); ok && e.Code != EAMBIGUOUS {
				e.Message = fmt.Sprintf("The %s %q is not a number.", what, truncate(s, 20))
				e.Example = "--" + what + " 22"
			}
			return 0, OptionChoices(err, r.text, what)
		}
		if a.Unit != "" && want == "" && !o.UnitSet {
			want, rd.unitKnown = a.Unit, true
		}
		if a.Unit != "" {
			return convertTo(a.Value, a.Unit, want, what)
		}
		return a.Value, nil
	}
	if o.Target != "" {
		v, err := read(o.Target, "target")
		if err != nil {
			return err
		}
		rd.target, rd.hasTarget, rd.rel = v, true, nil // a target given: the change no longer matters
		if want == "" && !o.UnitSet {
			for _, q := range r.qs {
				if x, err := r.amount(q); err == nil && x == v {
					want, rd.unitKnown = r.unitKnown(q)
					break
				}
			}
		}
		if rd.settledBy == "target" {
			rd.err = nil
		}
		if rd.kind == Milestone || rd.kind == "" && rd.dir == 0 && !rd.needsStart {
			rd.kind = Reach
		}
	}
	if o.Start != "" {
		if rd.kind == StayAbove || rd.kind == StayBelow {
			return Invalid("Keep churn below 2%", "A key result that stays above or below a line has no start; leave out --start.")
		}
		v, err := read(o.Start, "start")
		if err != nil {
			return err
		}
		rd.start, rd.hasStart, rd.startFrom = v, true, "option"
		if rd.settledBy == "start" {
			rd.err = nil
		}
		if rd.kind == Milestone {
			rd.kind = Reach
		}
	}
	rd.unit = want
	return nil
}

func convertTo(v float64, from, to, what string) (float64, error) {
	c, ok := ConvertUnit(v, from, to)
	if !ok {
		return 0, Invalid("--"+what+" 22", "The %s is in %s but the key result is in %s.", what, from, to)
	}
	return c, nil
}

// OptionChoices turns the readings of an ambiguous option value ("--start
// 1.200") into readings of the whole command: text as it is, the option
// written each way.
func OptionChoices(err error, text, option string) error {
	e, ok := err.(*Error)
	if !ok || e.Code != EAMBIGUOUS {
		return err
	}
	out := *e
	out.Choices = nil
	for _, c := range e.Choices {
		out.Choices = append(out.Choices, Choice{Meaning: c.Meaning, Text: text, Options: "--" + option + " " + c.Text})
	}
	return &out
}

// finish settles the start, the target and the kind from what was read.
func (r *reader) finish(rd *reading) error {
	b := r.opt.Baseline
	if b != nil && b.Follows && b.Unit != "" {
		switch {
		case rd.unit == "" || !rd.unitKnown:
			rd.unit = b.Unit // "40 leads" of a KPI in leads/day: the KPI's unit
		case !SameUnit(rd.unit, b.Unit):
			// The values will come from the KPI: the key result takes its unit.
			t, ok1 := ConvertUnit(rd.target, rd.unit, b.Unit)
			st, ok2 := ConvertUnit(rd.start, rd.unit, b.Unit)
			if !ok1 || !ok2 {
				return Invalid(exKR+" --kpi "+strings.TrimPrefix(b.Name, "KPI "), "The %s is measured in %s; this key result is in %s.", b.Name, b.Unit, rd.unit)
			}
			rd.target, rd.start, rd.unit = t, st, b.Unit
		}
	}
	if rd.unit == "" && b != nil {
		rd.unit = b.Unit
	}
	switch rd.kind {
	case Milestone:
		return nil
	case StayAbove, StayBelow:
		rd.start, rd.hasStart, rd.startFrom = 0, false, ""
		return nil
	}
	if !rd.hasStart && b != nil && !b.Unmeasured {
		rd.start, rd.hasStart, rd.startFrom = b.Value, true, "baseline"
	}
	if rd.rel != nil {
		if !rd.hasStart {
			return r.askStartRelative(rd)
		}
		if err := r.applyRelative(rd); err != nil {
			return err
		}
	}
	if !rd.hasTarget {
		return Invalid(exKR, "Say what it must reach: from … to ….")
	}
	if !rd.hasStart {
		if rd.kind != Reach && r.verb != vCount && r.verb != vReach || rd.dir < 0 {
			return r.askStart(quantity{}, -1, *rd)
		}
		if !r.countsFromZero(*rd) {
			// A level ("Reach NPS 60", "Hit $100k MRR", "Achieve 99.9%
			// uptime") or a total ("Reach 10,000 users") stands somewhere
			// already, and may be a line to hold: from 0 would be a guess
			// that shows 80% done at $80k when the team started at $70k.
			return r.askLevelStart(*rd)
		}
		rd.kind, rd.start, rd.hasStart, rd.startFrom = Reach, 0, true, "zero"
		if rd.target <= 0 {
			return Invalid("Reduce P1 incidents from 8 to 0", "Counting from 0, the target must be above 0; to bring something down, write Reduce … from N to %s.", FormatNumber(rd.target))
		}
		return nil
	}
	kind, err := r.directed(rd.start, rd.target, rd.unit)
	if err != nil {
		return err
	}
	v := func(x float64) string { return FormatValue(x, rd.unit) }
	switch {
	case kind == Decrease && r.verb == vCount && rd.startFrom != "text":
		// "Hire 5 engineers --start 8", "Add 10 leads per day --kpi
		// web-leads": things won or done only go up; a decrease from the
		// start given would be a misreading.
		return Invalid("Increase MRR by $20k --kpi mrr", "%s counts up, but the target (%s) is below the start (%s): give the total it must reach, or write Increase … by %s.", upperFirst(r.verbWord), v(rd.target), v(rd.start), v(rd.target))
	case rd.dir > 0 && kind == Decrease:
		return Invalid(exKR, "To increase, the target (%s) must be above the start (%s).", v(rd.target), v(rd.start))
	case rd.dir < 0 && kind == Increase:
		return Invalid("Reduce response time from 12h to 4h", "To reduce, the target (%s) must be below the start (%s).", v(rd.target), v(rd.start))
	}
	if rd.kind != Reach || kind == Decrease {
		rd.kind = kind
	}
	return nil
}

// applyRelative turns "by 15%" into a target from the start.
func (r *reader) applyRelative(rd *reading) error {
	rel := rd.rel
	dir := rd.dir
	if dir == 0 {
		if b := r.opt.Baseline; b != nil && b.Direction != "" {
			dir = +1
			if b.Direction == LowerIsBetter {
				dir = -1
			}
		}
	}
	startUnit := rd.unit
	if dir == 0 {
		return Ambiguous([]Choice{
			{Meaning: "up", Text: "Increase" + r.afterFirstWord()},
			{Meaning: "down", Text: "Reduce" + r.afterFirstWord()},
		}, "Up or down? Say increase or reduce.")
	}
	s := float64(dir)
	switch {
	case rel.factor:
		if dir < 0 && rel.amount > 1 {
			rd.target = rd.start / rel.amount
		} else {
			rd.target = rd.start * rel.amount
		}
	case rel.percent:
		pts := rd.start + s*rel.amount
		pct := rd.start * (1 + s*rel.amount/100)
		if k, _ := unitKey(startUnit); k == "%" && rel.q != nil && pts >= 0 && pts <= 100 {
			by := r.text[:rel.q.start] + formatPlain(rel.amount) + " points" + r.text[rel.q.end:]
			return Ambiguous([]Choice{
				{Meaning: fmt.Sprintf("%s points: from %s to %s", formatPlain(rel.amount), FormatValue(rd.start, "%"), FormatValue(pts, "%")), Text: by},
				{Meaning: fmt.Sprintf("%s%% of its value: from %s to %s", formatPlain(rel.amount), FormatValue(rd.start, "%"), FormatValue(pct, "%")), Text: r.rewriteFromTo(*rel.q, rd.start, pct, "%")},
			}, "By %s%% of its value, or by %s percentage points? It is a percentage itself.", formatPlain(rel.amount), formatPlain(rel.amount))
		}
		rd.target = rd.start * (1 + s*rel.amount/100)
	case rel.points:
		rd.target = rd.start + s*rel.amount
	default:
		if u := rel.unit; u != "" && startUnit != "" && !SameUnit(u, startUnit) {
			if c, ok := ConvertUnit(rel.amount, u, startUnit); ok {
				rel.amount = c
			} else if isUnitWord(u) || isCurrencyWord(u) {
				return Invalid(exKR, "The change is in %s but the measure is in %s.", u, startUnit)
			}
		}
		rd.target = rd.start + s*rel.amount
	}
	rd.target = math.Round(rd.target*1e9) / 1e9 // 3 × 0.8 is 2.4, not 2.4000000000000004
	rd.hasTarget = true
	rd.rel = nil
	if dir > 0 {
		rd.kind = Increase
	} else {
		rd.kind = Decrease
	}
	if rd.target == rd.start {
		return Invalid(exKR, "A change of nothing changes nothing; give the target.")
	}
	return nil
}

func (r *reader) afterFirstWord() string {
	_, rest, _ := strings.Cut(r.text, " ")
	return " " + rest
}

// rewriteFromTo writes the key result with an explicit start and target in
// place of its relative change: "Increase conversion from 2.5% to 2.875%".
func (r *reader) rewriteFromTo(q quantity, start, target float64, unit string) string {
	head := strings.TrimSpace(byRE.ReplaceAllString(r.text[:q.start], ""))
	head = strings.TrimSpace(fromTail.ReplaceAllString(head, ""))
	return fmt.Sprintf("%s from %s%s to %s%s%s", head, formatPlain(start), unit, formatPlain(target), unit, r.text[q.end:])
}

func (r *reader) askStartRelative(rd *reading) error {
	var change string
	switch {
	case rd.rel.q != nil:
		change = strings.TrimSpace(rd.rel.q.raw)
	case halfRE.MatchString(r.lower):
		change = halfRE.FindString(r.lower)
	default:
		change = strings.Fields(r.text)[0]
	}
	choices := []Choice{
		{Meaning: "give the start", Text: r.text, Options: "--start N"},
		{Meaning: "or follow its KPI, whose latest value is the start", Text: r.text, Options: "--kpi <slug>"},
	}
	return Ambiguous(choices, "%s of what? A change needs a start: okrbot will not assume one.", upperFirst(change))
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return strings.ToUpper(string(r)) + s[n:]
}

var fromTail = regexp.MustCompile(`(?i)\s*\b(?:from|von|de)\s+\S+$`)

// clockRE finds a time written with a colon ("6:30").
var clockRE = regexp.MustCompile(`\b\d{1,3}:\d{2}\b`)
