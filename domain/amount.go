package domain

import (
	"math"
	"strings"
	"unicode/utf8"
)

// Amount is one value as a person typed it, with the unit they wrote with
// it ("" when none).
type Amount struct {
	Value float64
	Unit  string
	// Sign is '+' or '-' when the number was typed with one ("+8",
	// "-0.4%"): people write a change that way, so a caller whose scale
	// has no negative values asks rather than reads it as where it stands.
	Sign rune
}

// SignedChange reports whether a reads as a change rather than a value on a
// scale from lo to hi: a "+" always (nobody writes a level that way), a
// "-" where the scale has no negative values.
func (a Amount) SignedChange(lo, hi float64) bool {
	return a.Sign == '+' || a.Sign == '-' && lo >= 0 && hi >= 0
}

// InExample is the amount in unit for an example that says how to write it:
// converted when the conversion is exact (0.31 s is 310 ms), as typed
// otherwise, so that an example never means another value than the one
// typed.
func (a Amount) InExample(unit string) float64 {
	if v, ok := ConvertUnit(a.Value, a.Unit, unit); ok {
		return v
	}
	return a.Value
}

// ParseAmount reads one value as people type it: "42", "1,200", "2,5",
// "2,5 %", "$1.2M", "€10k", "1.2 million", "12 hours", "27/day", "-3".
// "1,200" is twelve hundred; "1.200" and "12m" are asked about (an error
// with code EAMBIGUOUS whose choices are the value written each way).
func ParseAmount(s string) (Amount, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimSuffix(t, ".")
	qs := scanQuantities(t)
	if len(qs) != 1 || qs[0].start != 0 || qs[0].end != len(t) {
		return Amount{}, Invalid("42", "%q is not a number.", truncate(s, 30))
	}
	q := qs[0]
	conv := convEN
	if q.num.ambiguous && q.num.sep == "." {
		en, eu := formatPlain(q.value(convEN)), formatPlain(q.value(convEU))
		return Amount{}, Ambiguous([]Choice{
			{Meaning: "with a decimal point", Text: en},
			{Meaning: "with the dot grouping thousands", Text: eu},
		}, "Is %s %s or %s? Write it without the dot to mean thousands.", strings.TrimSpace(s), en, eu)
	}
	if q.magAmbig == "m" {
		if q.currency == "" {
			n := formatPlain(q.value(conv))
			return Amount{}, Ambiguous([]Choice{
				{Meaning: n + " minutes", Text: n + " min"},
				{Meaning: n + " million", Text: n + "M"},
			}, "Does %s mean %s minutes or %s million?", strings.TrimSpace(s), n, n)
		}
		q.mult = 1e6
	}
	v := q.value(conv)
	if v != v || v > 1e15 || v < -1e15 {
		return Amount{}, Invalid("42", "%q is not a number okrbot can use.", truncate(s, 30))
	}
	var sign rune
	if r, _ := utf8.DecodeRuneInString(strings.TrimLeft(t, "$€£¥₹ ")); r == '+' || r == '-' || r == '−' {
		sign = map[rune]rune{'+': '+', '-': '-', '−': '-'}[r]
	}
	return Amount{Value: v, Unit: q.unitString(), Sign: sign}, nil
}

// In returns the amount as a value in unit: written without a unit, or
// with that unit in any spelling ("10 hours" for "h", "27/day" for "per
// day"). Any other unit is an error, even one that converts: a value typed
// in another unit than its key result's is more often a slip than a wish.
func (a Amount) In(unit string) (float64, error) {
	if a.Unit == "" || SameUnit(a.Unit, unit) {
		return a.Value, nil
	}
	// "$13k" for a key result in $/month: the rate goes without saying, as
	// for a number without a unit.
	if ka, _ := unitKey(a.Unit); ka != "" {
		if ku, _ := unitKey(unit); strings.HasPrefix(ku, ka+"/") && !strings.Contains(ku[len(ka)+1:], " ") {
			if _, ok := periods[ku[len(ka)+1:]]; ok {
				return a.Value, nil
			}
		}
	}
	if unit == "" {
		return 0, Invalid(FormatNumber(a.Value), "%s has a unit (%s), but this is measured without one; give the number alone.", FormatValue(a.Value, a.Unit), a.Unit)
	}
	return 0, Invalid(FormatValue(a.Value, unit), "This is measured in %s, not %s.", unit, a.Unit)
}

// UnitWord reports whether w is a unit on its own ("h", "hours", "ms",
// "%", "EUR", "points"), or a magnitude ("million", "k").
func UnitWord(w string) bool {
	w = strings.TrimRight(w, ".,;:")
	if _, ok := magnitudes[w]; ok {
		return true
	}
	return isUnitWord(w) || isCurrencyWord(w)
}

// String writes the amount as it would be typed back.
func (a Amount) String() string { return FormatValue(a.Value, a.Unit) }

// ReplaceNumber rewrites the one number in text that reads as old so that
// it reads as new, keeping its currency, magnitude and unit ("from $1.2M to
// $2M" with 2e6 → 2.5e6 gives "from $1.2M to $2.5M"). ok is false when no
// number, or more than one, reads as old.
func ReplaceNumber(text string, old, new float64) (string, bool) {
	r := newReader(text, ParseOptions{})
	found := -1
	for i, q := range r.qs {
		if q.name || q.frame {
			continue
		}
		v, err := r.amount(q)
		if err != nil || v != old {
			continue
		}
		if found >= 0 {
			return text, false
		}
		found = i
	}
	if found < 0 {
		return text, false
	}
	q := r.qs[found]
	n := new
	if q.mult != 0 {
		n /= q.mult
	}
	digits := formatPlain(math.Abs(n))
	start := q.digitStart
	if q.negative != (n < 0) {
		// The sign changes: rewrite it with the digits.
		if q.negative {
			start = strings.LastIndexAny(text[:q.digitStart], "-−")
		} else if n < 0 {
			digits = "-" + digits
		}
	}
	return text[:start] + digits + text[q.digitEnd:], true
}
