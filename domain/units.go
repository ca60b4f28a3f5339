package domain

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Units as people write them after a number. A unit is compared by its key
// (so "hours", "hrs" and "h" are one unit) and converted only where the
// conversion is exact (time from milliseconds to weeks); months, years and
// everything else are never converted, because their length is not fixed.

type unitInfo struct {
	key    string  // what two spellings of one unit share: "time", "%", "$", "/day"
	factor float64 // for key "time": seconds in one unit; 0 for units that never convert
	show   string  // canonical spelling shown for the unit, when the typed one is not kept
}

var unitWords = map[string]unitInfo{}

func addUnit(key string, factor float64, show string, spellings ...string) {
	for _, s := range spellings {
		unitWords[s] = unitInfo{key: key, factor: factor, show: show}
	}
}

func init() {
	addUnit("time", 0.001, "ms", "ms", "msec", "msecs", "millisecond", "milliseconds")
	addUnit("time", 1, "s", "s", "sec", "secs", "second", "seconds")
	addUnit("time", 60, "min", "min", "mins", "minute", "minutes")
	addUnit("time", 3600, "h", "h", "hr", "hrs", "hour", "hours", "std", "stunden", "heures")
	addUnit("time", 86400, "days", "d", "day", "days", "tage", "jours")
	addUnit("time", 7*86400, "weeks", "wk", "wks", "week", "weeks", "wochen", "semaines")
	addUnit("month", 0, "months", "mo", "mos", "month", "months", "monate", "mois")
	addUnit("year", 0, "years", "y", "yr", "yrs", "year", "years", "jahre", "ans")
	addUnit("%", 0, "%", "%", "percent", "pct", "prozent", "pourcent")
	addUnit("points", 0, "points", "points", "point", "pts", "pt", "pp", "ppt", "punkte", "prozentpunkte")
	addUnit("x", 0, "x", "x", "×")
	addUnit("$", 0, "$", "$", "usd", "us$", "dollars", "dollar")
	addUnit("€", 0, "€", "€", "eur", "euro", "euros")
	addUnit("£", 0, "£", "£", "gbp", "pounds")
	addUnit("¥", 0, "¥", "¥", "jpy", "yen")
	addUnit("₹", 0, "₹", "₹", "inr", "rupees")
	// Measures that are never converted: each is its own unit.
	for _, m := range []string{"kg", "g", "t", "km", "mi", "l", "ml", "gb", "mb", "tb", "kb", "kwh", "mwh", "gwh", "tco2e", "fte", "ftes", "nps", "csat", "sp"} {
		addUnit(m, 0, m, m)
	}
	for _, code := range []string{"chf", "cad", "aud", "sek", "nok", "dkk", "pln", "czk", "brl", "mxn", "cny", "sgd", "nzd", "zar", "huf"} {
		addUnit(strings.ToUpper(code), 0, strings.ToUpper(code), code)
	}
}

// currencySymbols are written before or after a number.
const currencySymbols = "$€£¥₹"

// periods are what "per …", "/…", "a …" and "…ly" name.
var periods = map[string]string{
	"hour": "hour", "hr": "hour", "h": "hour",
	"day": "day", "d": "day", "daily": "day", "tag": "day", "jour": "day",
	"week": "week", "wk": "week", "weekly": "week", "woche": "week", "semaine": "week",
	"month": "month", "mo": "month", "mon": "month", "monthly": "month", "monat": "month", "mois": "month",
	"quarter": "quarter", "q": "quarter", "quarterly": "quarter", "quartal": "quarter",
	"year": "year", "yr": "year", "annum": "year", "yearly": "year", "annually": "year", "jahr": "year", "an": "year",
	"user": "user", "customer": "customer", "person": "person", "employee": "employee", "seat": "seat",
	"sprint": "sprint", "release": "release", "session": "session", "visit": "visit", "order": "order",
}

// unitKey returns the key two spellings of one unit share, and the factor
// that converts it to its key's base (0: not convertible).
//
//	"hours", "hrs", "h"         → "time", 3600
//	"per day", "/day", "a day"  → "/day"
//	"leads per day", "leads/d"  → "leads/day"
//	"USD", "$"                  → "$"
func unitKey(u string) (key string, factor float64) {
	u = strings.TrimSpace(strings.ToLower(u))
	if u == "" {
		return "", 0
	}
	if info, ok := unitWords[u]; ok {
		return info.key, info.factor
	}
	// "per day", "a day", "/day", "each day", "leads per day", "leads/day",
	// and with a currency, "$/month", "$ monthly", "$monthly".
	u = currencyGlued.ReplaceAllString(u, "$1 $2")
	words := strings.Fields(strings.NewReplacer("/", " / ").Replace(u))
	var out []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if (w == "per" || w == "/" || w == "a" || w == "an" || w == "each" || w == "every" || w == "pro" || w == "par") && i+1 < len(words) {
			if p, ok := periods[singular(words[i+1])]; ok {
				out = append(out, "/"+p)
				i++
				continue
			}
		}
		if p, ok := periods[w]; ok && strings.HasSuffix(w, "ly") {
			out = append(out, "/"+p)
			continue
		}
		if info, ok := unitWords[w]; ok && len(words) == 1 {
			return info.key, info.factor
		}
		out = append(out, singular(w))
	}
	return strings.Join(strings.Fields(strings.ReplaceAll(strings.Join(out, " "), " /", "/")), " "), 0
}

var currencyGlued = regexp.MustCompile(`^([$€£¥₹])(\p{L})`)

// singular drops a plural "s" from a word longer than three letters.
func singular(w string) string {
	if utf8.RuneCountInString(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
		return strings.TrimSuffix(w, "s")
	}
	return w
}

// SameUnit reports whether two units are the same unit written two ways
// ("h" and "hours", "/day" and "per day", "$" and "USD"). An empty unit is
// the same only as another empty one.
func SameUnit(a, b string) bool {
	ka, _ := unitKey(a)
	kb, _ := unitKey(b)
	if ka == "time" && kb == "time" {
		_, fa := unitKey(a)
		_, fb := unitKey(b)
		return fa == fb
	}
	return ka == kb
}

// ConvertUnit converts v from one unit to another when that is exact
// (12 h to 720 min); ok is false when the units differ in any other way.
// The same unit converts to itself.
func ConvertUnit(v float64, from, to string) (float64, bool) {
	if SameUnit(from, to) {
		return v, true
	}
	kf, ff := unitKey(from)
	kt, ft := unitKey(to)
	if kf == "time" && kt == "time" && ff > 0 && ft > 0 {
		return v * ff / ft, true
	}
	return 0, false
}

// isUnitWord reports whether w (one word, any case) is a unit on its own.
func isUnitWord(w string) bool {
	_, ok := unitWords[strings.ToLower(strings.TrimRight(w, ".,;:"))]
	return ok
}

// isCurrency reports whether a unit is a currency.
func isCurrency(u string) bool {
	k, _ := unitKey(u)
	if k == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(k)
	if strings.ContainsRune(currencySymbols, r) {
		return true
	}
	return len(k) == 3 && strings.ToUpper(k) == k && unicode.IsUpper(r)
}
