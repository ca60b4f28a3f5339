package domain

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on what people type. They keep messages within platform limits and
// documents small.
const (
	MaxTitleLen = 200  // objective and key result titles
	MaxNameLen  = 100  // KPI names
	MaxUnitLen  = 20   // units
	MaxNoteLen  = 1000 // check-in, grade and KPI notes
	MaxWeight   = 100
	MaxKRs      = 10 // key results per objective
)

var (
	slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
	refRE  = regexp.MustCompile(`^(O|KR)-([1-9][0-9]{0,8})$`)
)

// ValidateSlug checks a KPI slug: lower-case letters, digits, '-' and '_', up
// to 40 characters. A slug is typed in commands and shown in refs, so it is
// kept to what reads and types well; the store treats it as data either way.
func ValidateSlug(s string) error {
	if !slugRE.MatchString(s) {
		return Invalid("web-leads", "%q is not a KPI slug; use lower-case letters, digits and dashes (up to 40).", truncate(s, 40))
	}
	return nil
}

// RefKind returns "O" or "KR" for a valid ref ("O-12", "KR-3", case-insensitive),
// with the ref normalised to upper case.
func RefKind(s string) (kind, ref string, ok bool) {
	u := strings.ToUpper(s)
	m := refRE.FindStringSubmatch(u)
	if m == nil {
		return "", "", false
	}
	return m[1], u, true
}

// ValidateText checks a piece of free text: not empty when required, valid
// UTF-8, not too long, no control characters. Anything else people type is
// theirs, "$where is the money" and `{"$gt": ""}` included: the stores keep
// text as values, never as query syntax, so no word needs refusing here.
func ValidateText(field, s string, max int, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		return Invalid("Grow the European market", "The %s is empty.", field)
	}
	if !utf8.ValidString(s) {
		return Invalid("Grow the European market", "The %s is not valid UTF-8 text.", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return Invalid("Grow the European market", "The %s is %d characters long; the limit is %d.", field, n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return Invalid("Grow the European market", "The %s contains a control character.", field)
		}
	}
	return nil
}

// ValidateConfidence checks a confidence: an integer from 1 to 10.
func ValidateConfidence(c int) error {
	if c < 1 || c > 10 {
		return Invalid("confidence 7", "Confidence must be a whole number from 1 to 10 (you gave %d).", c)
	}
	return nil
}

// ParseConfidence parses a confidence typed by a person ("7", "7/10").
func ParseConfidence(s string) (int, error) {
	t := strings.TrimSuffix(strings.TrimSpace(s), "/10")
	c, err := strconv.Atoi(t)
	if err != nil {
		return 0, Invalid("confidence 7", "Confidence must be a whole number from 1 to 10, not %q.", truncate(s, 20))
	}
	return c, ValidateConfidence(c)
}

// ParseDate parses a calendar date (YYYY-MM-DD) as midnight in loc.
func ParseDate(s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), loc)
	if err != nil {
		// No example here: a fixed date goes stale; callers give one relative to today.
		return time.Time{}, Invalid("", "%q is not a date; use YYYY-MM-DD.", truncate(s, 30))
	}
	return t, nil
}

// ValidateWeight checks a key result's weight.
func ValidateWeight(w float64) error {
	if math.IsNaN(w) || w <= 0 || w > MaxWeight {
		return Invalid("--weight 2", "A weight is a number above 0 and at most %d.", MaxWeight)
	}
	return nil
}

// Validate checks an objective and its key results before it is stored.
func (o Objective) Validate() error {
	if err := ValidateText("title", o.Title, MaxTitleLen, true); err != nil {
		return err
	}
	if o.Commitment != Committed && o.Commitment != Aspirational {
		return Invalid("--aspirational", "An objective is committed or aspirational.")
	}
	if _, err := ParseCycle(string(o.Cycle)); err != nil {
		return err
	}
	if len(o.KeyResults) > MaxKRs {
		return Invalid("/okr kr add O-3 Reach NPS 60", "An objective has at most %d key results; split it into two objectives.", MaxKRs)
	}
	for _, kr := range o.KeyResults {
		if err := kr.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks a key result.
func (kr KeyResult) Validate() error {
	if err := ValidateText("key result", kr.Title, MaxTitleLen, true); err != nil {
		return err
	}
	if err := ValidateText("unit", kr.Unit, MaxUnitLen, false); err != nil {
		return err
	}
	if err := ValidateWeight(kr.Weight); err != nil {
		return err
	}
	switch kr.Kind {
	case Increase:
		if kr.Target <= kr.Start {
			return Invalid("Increase web leads from 22 to 35 per day", "To increase, the target (%s) must be above the start (%s).", FormatNumber(kr.Target), FormatNumber(kr.Start))
		}
	case Decrease:
		if kr.Target >= kr.Start {
			return Invalid("Reduce response time from 12h to 4h", "To reduce, the target (%s) must be below the start (%s).", FormatNumber(kr.Target), FormatNumber(kr.Start))
		}
	case Reach, StayAbove, StayBelow, Milestone:
	default:
		return Invalid("Increase web leads from 22 to 35 per day", "Unknown key result kind %q.", kr.Kind)
	}
	return nil
}

// FormatNumber formats a value without trailing zeros: 35, 2.5, 1200.
func FormatNumber(v float64) string {
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}

// FormatValue formats a value with its unit for people to read, with
// thousands grouped so that a misread magnitude shows: "$1,200,000",
// "12h", "2.5%", "35 per day", "-€5,000".
func FormatValue(v float64, unit string) string {
	n := groupThousands(FormatNumber(v))
	switch {
	case unit == "":
		return n
	case strings.ContainsRune("$€£¥₹", firstRune(unit)):
		_, size := utf8.DecodeRuneInString(unit)
		if strings.HasPrefix(n, "-") {
			return "-" + unit[:size] + n[1:] + unit[size:]
		}
		return unit[:size] + n + unit[size:]
	case isCurrencyCode(unit):
		return n + " " + unit // "120,000 USD", not "120,000USD"
	}
	if w, ok := timeWords[strings.ToLower(unit)]; ok {
		// "1 week", "3 weeks", whichever way the key result spelt it.
		if v == 1 || v == -1 {
			return n + " " + w[0]
		}
		return n + " " + w[1]
	}
	if strings.HasPrefix(unit, "/") || !strings.Contains(unit, " ") && utf8.RuneCountInString(unit) <= 3 {
		return n + unit
	}
	return n + " " + unit
}

// timeWords are the English words of time units, singular and plural, so
// that a value and its unit agree ("from 3 weeks to 1 week").
var timeWords = map[string][2]string{}

func init() {
	for _, w := range []string{"millisecond", "second", "minute", "hour", "day", "week", "month", "quarter", "year"} {
		timeWords[w] = [2]string{w, w + "s"}
		timeWords[w+"s"] = [2]string{w, w + "s"}
	}
}

// isCurrencyCode reports whether a unit is a currency's code ("USD",
// "EUR", "CHF"), written after a number with a space.
func isCurrencyCode(u string) bool {
	if len(u) != 3 || strings.ToUpper(u) != u {
		return false
	}
	for _, r := range u {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return isCurrency(u)
}

// groupThousands writes "1200000.5" as "1,200,000.5".
func groupThousands(n string) string {
	sign := ""
	if strings.HasPrefix(n, "-") {
		sign, n = "-", n[1:]
	}
	intPart, frac, hasFrac := strings.Cut(n, ".")
	if len(intPart) <= 3 {
		return sign + n
	}
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return sign + b.String()
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}
