package domain

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Numbers as people write them: "1,200", "1.200", "2,5", "10 000", "1'000",
// "1,00,000", "50k", "$1.2M", "1.2 million", "€10k", "2bn", "2,5 %",
// "12 hours", "22/day". Separators are read by context: a comma followed by
// other than three digits is a decimal comma (2,5), several commas group
// thousands (1,234,567), and one separator followed by exactly three digits
// (1,200 or 1.200) can be either. Such a number takes the reading the other
// numbers of the same text force; with none to go by, "1,200" is read as
// twelve hundred (the common English form) and "1.200" is asked about.

// convention is how a text writes decimals.
type convention int

const (
	convNone convention = iota // nothing in the number decides
	convEN                     // dot decimal, comma grouping: 1,234.5
	convEU                     // comma decimal, dot grouping: 1.234,5
)

// numeral is the digits of a number read under both conventions.
type numeral struct {
	en, eu    float64
	needs     convention // the only convention it can be written in (convNone: either, or no separator)
	ambiguous bool       // both readings are possible and differ
	sep       string     // the separator that makes it ambiguous
}

var (
	groupedSpace = regexp.MustCompile(`^(\d{1,3}(?:[ \x{00A0}\x{202F}\x{2009}'’]\d{3})+)(?:([.,])(\d+))?$`)
	groups3      = regexp.MustCompile(`^\d{1,3}(?:[.,]\d{3})+$`)
	groupsIndian = regexp.MustCompile(`^\d{1,2}(?:,\d{2})+,\d{3}$`)
)

// readNumeral reads the digits and separators of a number; ok is false when
// they are no number at all ("1.2.3", "12,34,5").
func readNumeral(s string) (n numeral, ok bool) {
	digits := func(x string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, x)
	}
	parse := func(intPart, frac string) float64 {
		t := digits(intPart)
		if frac != "" {
			t += "." + frac
		}
		v, err := strconv.ParseFloat(t, 64)
		if err != nil {
			return math.NaN()
		}
		return v
	}
	both := func(v float64) numeral { return numeral{en: v, eu: v} }
	if m := groupedSpace.FindStringSubmatch(s); m != nil {
		return both(parse(m[1], m[3])), true
	}
	if strings.ContainsAny(s, " \u00a0\u202f\u2009'’") {
		return n, false
	}
	dots, commas := strings.Count(s, "."), strings.Count(s, ",")
	switch {
	case dots == 0 && commas == 0:
		return both(parse(s, "")), true
	case dots > 0 && commas > 0:
		last := strings.LastIndexAny(s, ".,")
		intPart, frac := s[:last], s[last+1:]
		if strings.ContainsAny(frac, ".,") || frac == "" {
			return n, false
		}
		other := ","
		need := convEN
		if s[last] == ',' {
			other, need = ".", convEU
		}
		if strings.Contains(intPart, string(s[last])) {
			return n, false
		}
		if !groups3.MatchString(intPart) && !(other == "," && groupsIndian.MatchString(intPart)) {
			return n, false
		}
		v := parse(intPart, frac)
		return numeral{en: v, eu: v, needs: need}, true
	}
	sep := ","
	count, need := commas, convEU
	if dots > 0 {
		sep, count, need = ".", dots, convEN
	}
	if count > 1 {
		// Several separators group thousands: 1,234,567 or 1.234.567.
		if !groups3.MatchString(s) && !(sep == "," && groupsIndian.MatchString(s)) {
			return n, false
		}
		v := parse(s, "")
		grouping := convEN
		if sep == "." {
			grouping = convEU
		}
		return numeral{en: v, eu: v, needs: grouping}, true
	}
	intPart, frac, _ := strings.Cut(s, sep)
	if intPart == "" || frac == "" {
		if intPart == "" && frac != "" { // ".5"
			v := parse("0", frac)
			return numeral{en: v, eu: v, needs: need}, true
		}
		return n, false
	}
	dec := parse(intPart, frac)
	if len(frac) != 3 || len(intPart) > 3 || intPart[0] == '0' {
		// Only a decimal separator can be followed by other than three
		// digits, or stand after a leading zero or four digits.
		return numeral{en: dec, eu: dec, needs: need}, true
	}
	thousands := parse(intPart+frac, "")
	if sep == "," {
		return numeral{en: thousands, eu: dec, ambiguous: true, sep: sep}, true
	}
	return numeral{en: dec, eu: thousands, ambiguous: true, sep: sep}, true
}

// magnitudes are the multipliers written after a number.
var magnitudes = map[string]float64{
	"k": 1e3, "K": 1e3, "thousand": 1e3, "thousands": 1e3, "tsd": 1e3, "Tsd": 1e3, "tsd.": 1e3, "Tsd.": 1e3,
	"M": 1e6, "MM": 1e6, "mm": 1e6, "mn": 1e6, "Mn": 1e6, "mio": 1e6, "Mio": 1e6, "Mio.": 1e6, "mio.": 1e6,
	"million": 1e6, "millions": 1e6, "Million": 1e6, "Millionen": 1e6,
	"bn": 1e9, "Bn": 1e9, "B": 1e9, "billion": 1e9, "billions": 1e9, "Mrd": 1e9, "Mrd.": 1e9, "mrd": 1e9, "Milliarden": 1e9,
	"lakh": 1e5, "lakhs": 1e5, "lac": 1e5, "crore": 1e7, "crores": 1e7, "cr": 1e7,
}

// quantity is a number found in a text, with what is written around it.
type quantity struct {
	start, end int // byte span in the text, currency and unit words included
	numEnd     int // where the number itself (with its magnitude) ends
	// digitStart and digitEnd are the span of the digits alone.
	digitStart, digitEnd int
	raw                  string
	num                  numeral
	negative             bool
	mult                 float64
	// magAmbig is a magnitude letter that can also be a unit: "m"
	// (million, minutes or metres) or "b" (billion or bytes).
	magAmbig string
	currency string // "$", "€", "EUR", …
	unit     string // a unit written with it: "%", "h", "hours", "/day", "per day", "ms"
	plus     bool   // "10+": at least ten
	// name is set for a number that is part of a name rather than an amount
	// ("SOC 2", "ISO 27001", "version 2.0", "top 3").
	name bool
	// frame is set for a number that says when or for how long ("in 2
	// weeks", "within 5 days") rather than what to reach.
	frame bool
}

// value returns the quantity's value under conv.
func (q quantity) value(conv convention) float64 {
	v := q.num.en
	if conv == convEU {
		v = q.num.eu
	}
	if q.mult != 0 {
		v *= q.mult
	}
	if q.negative {
		v = -v
	}
	return v
}

// unitString is the quantity's unit as it is kept: the currency (with a
// rate after it: "$/month"), else the unit.
func (q quantity) unitString() string {
	if q.currency != "" {
		return q.currency + q.unit
	}
	return q.unit
}

var (
	numberStart    = regexp.MustCompile(`(?:^|[^\p{L}\p{N}_.,/#])((?:US|A|C|NZ|HK|S)?[$€£¥₹]\s?|(?:USD|EUR|GBP|CHF|JPY|INR|CAD|AUD|SEK|NOK|DKK|PLN)\s)?([-+−]\s?)?(\d{1,3}(?:[ \x{00A0}\x{202F}\x{2009}]\d{3})+(?:[.,]\d+)?\b|\d+(?:[.,'’]\d+)*|[.,]\d+)`)
	attached       = regexp.MustCompile(`^[\p{L}%€$£¥₹×]+\.?`)
	spacedMagCurRE = regexp.MustCompile(`^\s([\p{L}]{1,3}\.?[€$£¥₹])`)
	wordRE         = regexp.MustCompile(`^\s+([\p{L}%€$£¥₹×][\p{L}%]*\.?)`)
)

// scanQuantities finds the numbers in text. Numbers inside dates, times of
// day and ratios ("2026-12-31", "Q4 2026", "24/7", "7/10") are not amounts
// and are left out; so is anything glued to letters before it ("v2", "P1")
// or after it that is neither a unit nor a magnitude ("2FA", "4G", "1st").
func scanQuantities(text string) []quantity {
	masked := maskDates(text)
	scores := scoreSpans(text)
	if len(scores) > 0 {
		b := []byte(masked)
		for _, sp := range scores {
			copy(b[sp[0]:sp[1]], text[sp[0]:sp[1]])
		}
		masked = string(b)
	}
	var out []quantity
	for _, m := range numberStart.FindAllStringSubmatchIndex(masked, -1) {
		numS, numE := m[6], m[7]
		n, ok := readNumeral(text[numS:numE])
		if !ok || math.IsNaN(n.en) || math.IsNaN(n.eu) {
			continue
		}
		q := quantity{start: numS, digitStart: numS, digitEnd: numE, num: n}
		cur := ""
		if m[2] >= 0 {
			q.start, cur = m[2], normCurrency(text[m[2]:m[3]])
		}
		if m[4] >= 0 {
			if q.start > m[4] {
				q.start = m[4]
			}
			q.negative = strings.ContainsAny(text[m[4]:m[5]], "-−")
		}
		pos := numE
		rest := text[pos:]
		if sp, ok := scores[numS]; ok {
			// A score out of 10 (or 5, or 100): "from 6.5/10 to 8/10".
			q.unit = strings.ReplaceAll(text[pos:sp[1]], " ", "")
			q.numEnd, q.end = sp[1], sp[1]
			q.raw = text[q.start:q.end]
			out = append(out, q)
			continue
		}
		if len(rest) > 1 && (rest[0] == '/' || rest[0] == ':') && rest[1] >= '0' && rest[1] <= '9' {
			continue // a ratio, a score or a time: "24/7", "7/10", "3:1"
		}
		if a := attached.FindString(rest); a != "" {
			mag, unit, used, ok := splitAttached(a)
			if !ok {
				continue
			}
			q.mult, q.magAmbig = mag.mult, mag.ambiguous
			pos += used
			q.setUnit(unit)
		}
		if q.mult == 0 && q.magAmbig == "" && q.unit == "" && q.currency == "" {
			if w := spacedMagCurRE.FindStringSubmatchIndex(text[pos:]); w != nil {
				// "1,5 M€", "2 k€", "3 Mio€": a magnitude and a currency after a space.
				if mag, unit, used, ok := splitAttached(text[pos+w[2] : pos+w[3]]); ok && mag.mult != 0 && isCurrencyWord(unit) && used == w[3]-w[2] {
					q.mult = mag.mult
					q.setUnit(unit)
					pos += w[3]
				}
			}
		}
		if q.mult == 0 && q.magAmbig == "" && q.unit == "" && q.currency == "" {
			if w := wordRE.FindStringSubmatchIndex(text[pos:]); w != nil {
				word := text[pos+w[2] : pos+w[3]]
				if mult, ok := magnitudes[word]; ok && len(word) > 1 && word != "MM" && word != "mm" {
					q.mult = mult
					pos += w[1]
				} else if mult, ok := magnitudes[strings.TrimSuffix(word, ".")]; ok && len(word) > 2 {
					q.mult = mult
					pos += w[1] - 1
				} else if word == "m" {
					q.magAmbig = "m"
					pos += w[1]
				}
			}
		}
		q.numEnd = pos
		if q.unit == "" && q.currency == "" {
			if u, used := unitAfter(text[pos:]); u != "" {
				q.setUnit(u)
				pos += used
			}
		} else if !strings.Contains(q.unit, "/") && !strings.Contains(q.unit, " per ") {
			// A rate after a unit or a currency: "12 leads/day", "$20k/month".
			if u, used := rateAfter(text[pos:]); u != "" {
				q.unit += u
				pos += used
			}
		}
		if cur != "" {
			if q.currency != "" && q.currency != cur {
				continue // "$10€" is no amount okrbot can read
			}
			q.currency = cur
		}
		if strings.HasPrefix(text[pos:], "+") {
			q.plus = true
			pos++
		}
		q.end = pos
		q.raw = text[q.start:q.end]
		out = append(out, q)
	}
	markNames(text, out)
	return out
}

func (q *quantity) setUnit(u string) {
	switch {
	case u == "":
	case isCurrencyWord(u):
		q.currency = normCurrency(u)
	default:
		q.unit = u
	}
}

type magnitude struct {
	mult      float64
	ambiguous string
}

// splitAttached reads letters glued to a number ("k", "M", "bn", "h",
// "ms", "%", "k€", "Mio.", "m") and returns how many bytes it used. ok is
// false for letters that are neither a magnitude nor a unit.
func splitAttached(a string) (mag magnitude, unit string, used int, ok bool) {
	word := strings.TrimSuffix(a, ".")
	if m, found := magnitudes[a]; found && strings.HasSuffix(a, ".") {
		return magnitude{mult: m}, "", len(a), true // "Mio.", "Mrd."
	}
	switch {
	case word == "m":
		return magnitude{ambiguous: "m"}, "", len(word), true
	case isUnitWord(word):
		return magnitude{}, word, len(word), true
	}
	if m, found := magnitudes[word]; found {
		return magnitude{mult: m}, "", len(word), true
	}
	// A magnitude followed by a unit: "k€", "M$", "kEUR", "Mio€".
	for _, n := range []int{3, 2, 1} {
		if len(word) > n {
			if m, found := magnitudes[word[:n]]; found && isUnitWord(word[n:]) {
				return magnitude{mult: m}, word[n:], len(word), true
			}
		}
	}
	return magnitude{}, "", 0, false
}

// unitAfter reads a unit written after a number and a space: "%", "€",
// "EUR", "hours", "per day", "/day", "a day", "percentage points",
// "per cent". It returns the unit and how many bytes it used.
func unitAfter(s string) (string, int) {
	if u, n := rateAfter(s); u != "" {
		return strings.TrimSpace(u), n
	}
	w := wordRE.FindStringSubmatchIndex(s)
	if w == nil {
		return "", 0
	}
	word := s[w[2]:w[3]]
	end := w[3]
	if strings.HasSuffix(word, ".") {
		word, end = word[:len(word)-1], end-1 // a full stop ends the sentence
	}
	lw := strings.ToLower(word)
	if next := wordRE.FindStringSubmatchIndex(s[end:]); next != nil {
		nw := strings.ToLower(strings.TrimSuffix(s[end+next[2]:end+next[3]], "."))
		switch {
		case (lw == "percentage" || lw == "percent" || lw == "%") && (nw == "points" || nw == "point"):
			return "points", end + next[2] + len(nw)
		case lw == "per" && nw == "cent":
			return "%", end + next[2] + len(nw)
		}
	}
	if !isUnitWord(word) {
		return "", 0
	}
	if !isCurrencyWord(word) {
		if u, n := rateAfter(s[end:]); u != "" {
			return word + u, end + n
		}
	}
	return word, end
}

var adjectiveRE = regexp.MustCompile(`^\s+(\p{L}[\p{L}'-]*)`)

var rateRE = regexp.MustCompile(`(?i)^(\s*/\s*|\s+(?:per|a|an|each|every|pro|par)\s+)(\p{L}+)|^\s+(daily|weekly|monthly|quarterly|yearly|annually)\b`)

// rateAfter reads "/day", " per day", " a week", " monthly" after a number
// or a unit; the result keeps its leading space (" per day") or slash.
func rateAfter(s string) (string, int) {
	m := rateRE.FindStringSubmatchIndex(s)
	if m == nil {
		return "", 0
	}
	if m[6] >= 0 {
		// "monthly" before a noun names what is counted ("10,000 monthly
		// active users", "30 weekly demos"), not a rate of it.
		if w := adjectiveRE.FindStringSubmatch(s[m[1]:]); w != nil {
			lw := strings.ToLower(w[1])
			if !stopWords[lw] && !unitStopWord[lw] && lw != "per" && lw != "a" && lw != "an" {
				return "", 0
			}
		}
		return " " + strings.ToLower(s[m[6]:m[7]]), m[1]
	}
	word := s[m[4]:m[5]]
	if _, ok := periods[singular(strings.ToLower(word))]; !ok {
		return "", 0
	}
	sep := s[m[2]:m[3]]
	if strings.Contains(sep, "/") {
		return "/" + word, m[1]
	}
	return " " + strings.ToLower(strings.TrimSpace(sep)) + " " + word, m[1]
}

func isCurrencyWord(u string) bool {
	u = strings.TrimSpace(u)
	if u == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(u)
	if strings.ContainsRune(currencySymbols, r) || strings.HasSuffix(u, "$") {
		return true
	}
	return len(u) == 3 && strings.ToUpper(u) == u && isCurrency(u)
}

// normCurrency keeps a currency as people read it: symbols as symbols,
// codes in capitals ("US$" → "$", "eur" → "EUR").
func normCurrency(c string) string {
	c = strings.TrimSpace(c)
	if strings.HasSuffix(c, "$") {
		return "$"
	}
	r, _ := utf8.DecodeRuneInString(c)
	if strings.ContainsRune(currencySymbols, r) {
		return string(r)
	}
	return strings.ToUpper(c)
}

var (
	scoreRE     = regexp.MustCompile(`(?:^|[\s(])(\d{1,3}(?:[.,]\d{1,2})?)\s?/\s?(10|5|100)\b`)
	scoreWordRE = regexp.MustCompile(`(?i)(?:\bfrom|\bto|\bat|\bof|\babove|\bbelow|\bleast|\bmost|\breach|\bachieve|\bscore|\brating|\bvon|\bauf|\bde|\bà)\s*$`)
)

// scoreSpans finds scores out of 10, 5 or 100 ("6.5/10", "4/5"), which
// would otherwise read as dates or ratios: where two are written with the
// same scale ("from 6.5/10 to 8/10"), or one after a word that says it is
// a level ("to 8/10", "at least 4/5"). The map is keyed by where the
// number starts and holds the score's span.
func scoreSpans(text string) map[int][2]int {
	ms := scoreRE.FindAllStringSubmatchIndex(text, -1)
	if len(ms) == 0 {
		return nil
	}
	perScale := map[string]int{}
	for _, m := range ms {
		perScale[text[m[4]:m[5]]]++
	}
	out := map[int][2]int{}
	for _, m := range ms {
		if perScale[text[m[4]:m[5]]] >= 2 || scoreWordRE.MatchString(text[:m[2]]) || len(ms) == 1 && strings.TrimSpace(text[:m[2]]) == "" && strings.TrimSpace(text[m[1]:]) == "" {
			// (a score written alone is a value: "7.5/10")
			out[m[2]] = [2]int{m[2], m[1]}
		}
	}
	return out
}

var (
	dateREs = []*regexp.Regexp{
		regexp.MustCompile(`\b\d{4}-\d{1,2}-\d{1,2}\b`),
		regexp.MustCompile(`\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b`),
		regexp.MustCompile(`\b\d{1,2}/\d{1,2}\b`),
		regexp.MustCompile(`(?i)\b(?:Q[1-4]|H[12])(?:\s*(?:FY)?\s?'?\d{2,4})?\b`),
		regexp.MustCompile(`(?i)\b(?:FY|CY)\s?'?\d{2,4}\b`),
		regexp.MustCompile(`(?i)\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|januar|februar|märz|mai|juni|juli|oktober|dezember)\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?\b`),
		regexp.MustCompile(`(?i)\b\d{1,2}(?:st|nd|rd|th|\.)?\s+(?:of\s+)?(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|januar|februar|märz|mai|juni|juli|oktober|dezember)\b(?:\s+\d{4})?`),
		regexp.MustCompile(`(?i)\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+\d{4}\b`),
		regexp.MustCompile(`(?i)\b(?:by|in|before|until|till|through|since|during|of|for|end of|bis|im|ende|fin|avant|en)\s+(?:the\s+end\s+of\s+)?(?:19|20)\d{2}\b`),
		regexp.MustCompile(`\b\d{1,2}:\d{2}\b`),
	}
)

// maskDates returns text with the digits of dates, quarters and times of
// day replaced by '#', so that they are not taken for amounts. Byte offsets
// are kept.
func maskDates(text string) string {
	b := []byte(text)
	for _, re := range dateREs {
		for _, m := range re.FindAllStringIndex(text, -1) {
			for i := m[0]; i < m[1]; i++ {
				if b[i] >= '0' && b[i] <= '9' {
					b[i] = '#'
				}
			}
		}
	}
	return string(b)
}

var (
	frameRE = regexp.MustCompile(`(?i)\b(?:in|within|over|for|during|after|inside)\s+(?:the\s+)?(?:next\s+|first\s+|last\s+|past\s+)?$`)
	nameRE  = regexp.MustCompile(`(?i)\b(?:version|release|v|series|phase|stage|level|tier|step|round|gen|generation|season|chapter|part|sprint|iteration|top|no\.?|number|#|rank|ranked|grade|class|category|wave|cohort)\s*$`)
)

// markNames marks the numbers that are part of a name ("SOC 2 compliance",
// "ISO 27001", "version 2.0", "top 3") or a time frame ("in 2 weeks").
func markNames(text string, qs []quantity) {
	for i := range qs {
		q := &qs[i]
		before := text[:q.start]
		after := text[q.end:]
		if q.unit != "" {
			if k, _ := unitKey(q.unit); (k == "time" || k == "month" || k == "year") && frameRE.MatchString(before) {
				q.frame = true
				continue
			}
		}
		if q.currency != "" || q.unit != "" || q.mult != 0 || q.plus {
			continue
		}
		if nameRE.MatchString(before) {
			q.name = true
			continue
		}
		// A number right after a word with capitals (not the first word)
		// and followed by another word: "SOC 2 compliance", "ISO 27001
		// certified", "iOS 17 support". "Reach NPS 60" ends with it, and
		// "NPS 60 by Q4" is followed by a time phrase: those are amounts.
		prev := lastWord(before)
		if prev == "" || strings.TrimSpace(before) == prev {
			continue
		}
		hasUpper := false
		for _, r := range prev {
			if unicode.IsUpper(r) {
				hasUpper = true
			}
		}
		next := firstWord(after)
		if hasUpper && next != "" && !stopWords[strings.ToLower(next)] && !isUnitWord(next) {
			q.name = true
		}
	}
}

// stopWords end the part of a key result that names what is measured: what
// follows says when, where or how ("by March", "in Q3", "for new users").
var stopWords = map[string]bool{
	"by": true, "in": true, "before": true, "until": true, "till": true, "within": true, "this": true, "for": true,
	"at": true, "on": true, "during": true, "across": true, "per": false, "from": true, "to": true, "and": true,
	"or": true, "with": true, "while": true, "without": true, "through": true, "via": true, "among": true, "among:": true,
	"end": true, "every": true, "each": true, "over": true, "of": false, "than": true, "vs": true, "versus": true,
	"compared": true, "bis": true, "im": true, "auf": true, "von": true, "pour": true, "d'ici": true, "avant": true,
	"after": true, "since": true, "when": true, "where": true, "so": true, "as": true, "measured": true, "based": true,
}

func lastWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return strings.Trim(f[len(f)-1], "()[]\"'“”,;:")
}

func firstWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return strings.Trim(f[0], "()[]\"'“”,;:.")
}
