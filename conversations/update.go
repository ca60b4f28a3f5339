package conversations

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/okrbot/okrbot/domain"
)

// The grammar of /okr update, after the key result's ref:
//
//	28                        a value
//	9.5 7                     a value and a confidence (a bare 1–10 after the value)
//	10 hours conf 6           a value with its unit, and a confidence
//	done 9/10 signed!         done, a confidence, a note
//	c7 blocked on legal       only a confidence (and a note)
//	28 confidence 7 "3 new customers"
//
// A confidence is "confidence N", "conf N", "c N", "cN", "N/10", "N of 10"
// or a bare 1–10 right after the value and its unit. The unit may be the
// key result's in any spelling ("31 /day 3" for a key result in "per
// day") or the words of its title that name what is counted ("32 leads 2").
// The note is whatever follows, as typed. Anything in the value or
// confidence places that looks like one but does not read as one (another
// unit, a word and then a bare number) is refused with an example, never
// kept as a note.

// updateArgs is what /okr update says for one key result.
type updateArgs struct {
	value, confidence string
	note              string
	// valueTok is the value as typed, for rewriting it in a question.
	valueTok string
}

var (
	confWordRE   = regexp.MustCompile(`(?i)^(?:confidence|conf\.?|c)(?:[:=](.*))?$`)
	confGluedRE  = regexp.MustCompile(`(?i)^\(?(?:confidence|conf|c)[:=]?(\d+)(?:/10)?\)?$`)
	confOutOfRE  = regexp.MustCompile(`^\(?(-?\d+(?:[.,]\d+)?)\s*/\s*10\)?$`)
	numericStart = regexp.MustCompile(`^[-+−]?[$€£¥₹]?[.,]?\d`)
	bareInt      = regexp.MustCompile(`^\d+$`)
)

// isConfidenceWord reports whether a token starts a confidence: "confidence",
// "conf", "conf.", "c", "confidence:" or one with the number glued ("c7").
func isConfidenceWord(s string) bool {
	return confWordRE.MatchString(s) || confGluedRE.MatchString(s) || confOutOfRE.MatchString(s)
}

// parseUpdate splits the words after /okr update KR-n into a value, a
// confidence and a note; unit is the key result's unit, whose words may
// follow the value ("30 leads per day").
func parseUpdate(typed []token, unit, title, kr string, milestone bool) (updateArgs, error) {
	ex := func(e string) string {
		if milestone && strings.HasPrefix(e, "28 ") {
			e = "done " + strings.TrimPrefix(e, "28 ") // a milestone is done or not, never a number
		}
		return "/okr update " + kr + " " + e
	}
	var u updateArgs
	// People separate the parts as they would in a sentence: "35, conf 6,
	// slow month", "9; 7; fewer tickets", "8 hours - c7 - blocked". A comma
	// or semicolon that ends a word, and a word that is only a separator,
	// part the value, the confidence and the note; the note keeps what was
	// typed (typed[i:]).
	toks := make([]token, len(typed))
	for j, t := range typed {
		if !t.quoted && len(t.s) > 1 && strings.ContainsAny(t.s[len(t.s)-1:], ",;") {
			t.s, t.raw = t.s[:len(t.s)-1], strings.TrimRight(t.raw, ",;")
		}
		toks[j] = t
	}
	i := 0
	// skipSeparators passes the separators between two parts, and reports
	// whether one was a dash: "30 - 5 new deals" may be a note that starts
	// with a number, so a bare number after a dash is not taken for the
	// confidence. Before the first part there is nothing to separate ("- 12"
	// is a value whose sign is not read as one: refused, never +12).
	skipSeparators := func() (dash bool) {
		if i == 0 {
			return false
		}
		for i < len(toks) && !toks[i].quoted && isSeparator(toks[i].s) {
			dash = dash || strings.ContainsAny(toks[i].s, "-–—")
			i++
		}
		return dash
	}
	// skipOutOf10 reads "of 10" or "out of 10" after a confidence: "5 of 10".
	skipOutOf10 := func() {
		switch {
		case i+1 < len(toks) && strings.EqualFold(toks[i].s, "of") && toks[i+1].s == "10":
			i += 2
		case i+2 < len(toks) && strings.EqualFold(toks[i].s, "out") && strings.EqualFold(toks[i+1].s, "of") && toks[i+2].s == "10":
			i += 3
		}
	}
	readConf := func() (bool, error) {
		t := toks[i]
		if t.quoted {
			return false, nil
		}
		if m := confGluedRE.FindStringSubmatch(t.s); m != nil {
			u.confidence = m[1]
			i++
			return true, nil
		}
		if m := confOutOfRE.FindStringSubmatch(t.s); m != nil && !(u.value == "" && domain.SameUnit(unit, "/10")) {
			// (on a key result scored out of 10, "7.5/10" first is its value)
			u.confidence = m[1]
			i++
			return true, nil
		}
		if m := confWordRE.FindStringSubmatch(t.s); m != nil {
			if m[1] != "" {
				u.confidence = m[1]
				i++
				return true, nil
			}
			if i+1 >= len(toks) {
				return true, domain.Invalid(ex("28 confidence 7"), "Give the confidence after %q, a whole number from 1 to 10.", t.s)
			}
			u.confidence = strings.TrimPrefix(strings.TrimPrefix(toks[i+1].s, ":"), "=")
			if u.confidence == "" && i+2 < len(toks) {
				u.confidence = toks[i+2].s
				i++
			}
			u.confidence = strings.TrimSuffix(u.confidence, "/10") // "confidence: 7/10"
			i += 2
			skipOutOf10()
			return true, nil
		}
		return false, nil
	}
	doneWord := func() bool {
		switch strings.TrimRight(strings.ToLower(toks[i].s), "!.") { // "done!!"
		case "done", "yes", "complete", "completed", "achieved", "finished":
			u.value, u.valueTok = "done", toks[i].raw
			i++
			return true
		case "no", "open", "not-done", "undone":
			u.value, u.valueTok = "not done", toks[i].raw
			i++
			return true
		case "not":
			if i+1 < len(toks) && strings.EqualFold(toks[i+1].s, "done") {
				u.value, u.valueTok = "not done", toks[i].raw+" "+toks[i+1].raw
				i += 2
				return true
			}
		}
		return false
	}
	readValue := func() bool {
		t := toks[i]
		if t.quoted || !numericStart.MatchString(t.s) {
			return false
		}
		u.value, u.valueTok = t.s, t.raw
		i++
		// Unit words after the value: "10 hours", "1.2 million", "30 leads
		// per day" (the key result's own unit), "2,5 %".
		counted, units := unitWordsAfter(toks[i:], unit, title)
		for _, n := range counted {
			u.valueTok += " " + n // what is counted, not a unit: kept out of the value
			i++
		}
		for _, n := range units {
			u.value += " " + n
			u.valueTok += " " + n
			i++
		}
		return true
	}
	for slot := 0; slot < 3 && i < len(toks); slot++ {
		skipSeparators()
		if i == len(toks) {
			break
		}
		if u.confidence == "" {
			ok, err := readConf()
			if err != nil {
				return u, err
			}
			if ok {
				continue
			}
		}
		if u.value == "" {
			if doneWord() || readValue() {
				// A bare whole number right after the value is its confidence.
				dash := skipSeparators()
				if u.confidence == "" && !dash && i < len(toks) && !toks[i].quoted && bareInt.MatchString(toks[i].s) {
					u.confidence = toks[i].s
					i++
					skipOutOf10()
				}
				continue
			}
			if i == 0 {
				return u, domain.Invalid(ex("28 confidence 7"), "%q is not a number; give the value (or done) first, then the confidence.", clip(toks[i].s, 20))
			}
		}
		break
	}
	if u.value == "" && u.confidence == "" {
		return u, domain.Invalid(ex("28 confidence 7"), "Give a value (or done) and a confidence.")
	}
	if u.confidence != "" {
		if _, err := strconv.Atoi(u.confidence); err != nil {
			return u, domain.Invalid(ex("28 confidence 7"), "The confidence %q is not a whole number from 1 to 10.", clip(u.confidence, 20))
		}
	}
	skipSeparators()
	rest := toks[i:]
	if len(rest) > 0 && !rest[0].quoted {
		switch first := rest[0].s; {
		case isConfidenceWord(first):
			return u, domain.Invalid(ex("28 confidence 7 good week"), "%q after the confidence looks like a second confidence; give one.", clip(rawText(rest), 30))
		case numericStart.MatchString(first):
			return u, domain.Invalid(ex(`28 confidence 7 "3 new customers"`), "%q looks like another value; put a note that starts with a number in quotes.", clip(first, 20))
		case u.value != "" && u.value != "done" && u.value != "not done" && u.confidence == "" && looksLikeUnit(rest):
			// "31 /week 3" on a key result in per day: a unit, but not its own.
			return u, domain.Invalid(ex(unitExample(unit)), "%q after the value looks like a unit, but %s is measured in %s; give the value in its unit.", clip(rawText(rest[:1]), 20), kr, orNoUnit(unit))
		case u.value != "" && u.confidence == "" && len(rest) > 1 && !rest[1].quoted && (bareInt.MatchString(rest[1].s) || confOutOfRE.MatchString(rest[1].s)):
			// "32 visitors 2": a unit okrbot does not know and a confidence,
			// or a note that starts with a number? Ask rather than guess.
			return u, domain.Invalid(ex(u.valueTok+" confidence "+strings.TrimSuffix(rest[1].s, "/10")+" "+rest[0].s),
				"Is %s after %q the confidence? Say confidence %s, or put a note that has a number in quotes.", rest[1].s, clip(rest[0].s, 20), strings.TrimSuffix(rest[1].s, "/10"))
		}
	}
	// "42k feeling good 7": a whole number from 1 to 10 ending the note,
	// with no confidence given, may be one. Ask rather than keep the last.
	if n := len(rest); u.confidence == "" && u.value != "" && n > 1 && !rest[n-1].quoted && bareInt.MatchString(rest[n-1].s) {
		if c, _ := strconv.Atoi(rest[n-1].s); c >= 1 && c <= 10 {
			note := rawText(typed[i : i+n-1])
			return u, domain.Invalid(ex(u.valueTok+" confidence "+rest[n-1].s+" "+note),
				"Is %s at the end the confidence? Say confidence %s, or put a note that ends with a number in quotes.", rest[n-1].s, rest[n-1].s)
		}
	}
	u.note = rawText(typed[i:])
	return u, nil
}

// isSeparator reports whether a word only parts others: "-", "–", ",", "|".
// ("/" is not one: "7 / 10" is a confidence.)
func isSeparator(s string) bool {
	switch s {
	case "-", "–", "—", ",", ";", "|", "·":
		return true
	}
	return false
}

// unitWordsAfter returns the words after a value that are its unit: a unit
// word ("hours", "%", "EUR"), a magnitude ("million"), a rate ("per day"),
// the key result's own unit in any spelling ("leads per day", "/day" for
// "per day"), and words of its title that name what is counted ("32 leads"
// of "Increase web leads from 22 to 35 per day"), each followed by the unit.
func unitWordsAfter(toks []token, unit, title string) (counted, units []string) {
	var words []string
	for _, t := range toks {
		if t.quoted {
			break
		}
		words = append(words, t.s)
	}
	// What is counted, as the title names it: "leads" before "per day", a
	// confidence or nothing. Before anything else it may be a note.
	n := 0
	for n < 2 && n < len(words) && titleWord(title, words[n]) {
		n++
	}
	if n > 0 {
		rest := words[n:]
		if len(rest) == 0 || bareInt.MatchString(rest[0]) || isConfidenceWord(rest[0]) || unitPrefix(rest, unit) > 0 {
			counted, words = words[:n], rest
		}
	}
	if k := unitPrefix(words, unit); k > 0 {
		return counted, words[:k]
	}
	if len(counted) > 0 {
		return counted, nil
	}
	var out []string
	for j := 0; j < len(words) && len(out) < 3; j++ {
		w := words[j]
		if isConfidenceWord(w) || bareInt.MatchString(w) {
			break
		}
		if domain.UnitWord(w) {
			out = append(out, w)
			continue
		}
		// A rate: "per day", "a week".
		if j+1 < len(words) {
			if a, err := domain.ParseAmount("1 " + w + " " + words[j+1]); err == nil && a.Unit != "" {
				out = append(out, w, words[j+1])
				j++
				continue
			}
		}
		break
	}
	return nil, out
}

// unitPrefix is how many of words (up to three) are the key result's unit
// in some spelling: "/day" or "per day" for "per day"; 0 when none.
func unitPrefix(words []string, unit string) int {
	if unit == "" {
		return 0
	}
	for n := min(3, len(words)); n > 0; n-- {
		if w := strings.Join(words[:n], " "); strings.EqualFold(w, unit) || domain.SameUnit(w, unit) {
			return n
		}
	}
	return 0
}

// titleWord reports whether w is a word of a key result's title that can
// name what it counts: a word of four letters or more, not a number and
// not a confidence ("leads" in "Increase web leads from 22 to 35 per day").
func titleWord(title, w string) bool {
	if len([]rune(w)) < 4 || isConfidenceWord(w) || numericStart.MatchString(w) {
		return false
	}
	for _, f := range strings.Fields(strings.ToLower(title)) {
		if strings.Trim(f, ".,;:()\"'“”") == strings.ToLower(w) {
			return !kindWords[f]
		}
	}
	return false
}

// kindWords are words of a title that say what to do, not what is counted.
var kindWords = map[string]bool{"from": true, "increase": true, "reduce": true, "keep": true, "above": true, "below": true, "grow": true, "reach": true}

// looksLikeUnit reports whether the words after a value start with a unit:
// a unit word, "/day", "per day", "a week".
func looksLikeUnit(rest []token) bool {
	w := rest[0].s
	if domain.UnitWord(w) || strings.HasPrefix(w, "/") && len(w) > 1 {
		return true
	}
	if len(rest) > 1 && (strings.EqualFold(w, "per") || strings.EqualFold(w, "a")) {
		a, err := domain.ParseAmount("1 " + w + " " + rest[1].s)
		return err == nil && a.Unit != ""
	}
	return false
}

// unitExample is an update in a key result's unit, for an example.
func unitExample(unit string) string {
	if unit == "" {
		return "28 confidence 7"
	}
	return domain.FormatValue(28, unit) + " 7"
}

// update is a quick check-in on one key result: value or done, confidence, note.
func (ss *session) update(args string) Reply {
	toks := tokenize(args)
	yes := false
	if n := len(toks); n > 0 && !toks[n-1].quoted && strings.EqualFold(toks[n-1].s, "--yes") {
		toks, yes = toks[:n-1], true // a value far off the key result's scale, confirmed
		args = rawText(toks)
	}
	if len(toks) == 0 {
		return ss.fail(domain.Invalid(exUpdate, "Say which key result to update."), "")
	}
	_, krRef, err := ref(toks[0].s, "KR", exUpdate)
	if err != nil {
		return ss.fail(err, exUpdate)
	}
	o, err := ss.store.ObjectiveOfKR(ss.ctx, ss.ws.ID, krRef)
	if err != nil {
		return ss.fail(err, exUpdate)
	}
	kr := o.KeyResult(krRef)
	if err := ss.mayCheckIn(o, *kr); err != nil {
		return ss.fail(err, "")
	}
	ua, err := parseUpdate(toks[1:], kr.Unit, kr.Title, krRef, kr.Kind == domain.Milestone)
	if err != nil {
		return ss.fail(err, exUpdate)
	}
	week := ss.week()
	prev, hadPrev, err := ss.weekCheckIn(*kr, week)
	if err != nil {
		return ss.fail(err, exUpdate)
	}
	in := checkInInput{kr: *kr, objective: o.Ref, value: ua.value, confidence: ua.confidence, note: ua.note}
	if ua.note == "" && hadPrev {
		in.note = prev.Note // a second update of the week keeps the note unless it gives one
	}
	c, errs := ss.readCheckIn(in, week)
	for _, field := range []string{"value", "confidence", "note"} {
		if e := errs[field]; e != nil {
			return ss.ask(e, exUpdate, func(ch domain.Choice) string {
				return ss.cmd("okr") + " update " + krRef + " " + strings.TrimSpace(strings.Replace(strings.TrimSpace(rawText(toks[1:])), ua.valueTok, ch.Text, 1))
			})
		}
	}
	if c.offScale && !yes {
		return ss.confirmOffScale(*kr, c, args)
	}
	if err := ss.saveCheckIns([]answer{c}, domain.WeekNote{}); err != nil {
		return ss.fail(err, exUpdate)
	}
	if o, err = ss.store.ObjectiveOfKR(ss.ctx, ss.ws.ID, krRef); err != nil {
		return ss.fail(err, exUpdate) // deleted meanwhile
	}
	now := o.KeyResult(krRef)
	line := Text{}.Add("Updated ").AddCode(krRef).Add(" ").AddBar(now.Progress(), -1).Add(fmt.Sprintf(" %d%%", pct(now.Progress())))
	saved := ss.savedSummary(*kr, c, prev, hadPrev, ua.note != "")
	if c.skipped {
		saved += ". " + krRef + " has no value yet, so this is not a check-in: give its value to check in"
	}
	return Reply{Message: &Message{
		Summary: "Updated " + krRef,
		Sections: []Section{{Lines: []Text{line, T("Saved for week " + weekShort(c.Week) + ": " + saved)},
			Note: T(describeKR(*now))}},
	}}
}

// confirmOffScale asks before saving a value far off its key result's
// scale ("50,000%" on a 2.5% → 4% key result, "€1.5" on €1.2M → €2M): a
// slip of a magnitude or a unit is more likely than such a change, and
// once saved it would move progress and status without anyone noticing.
func (ss *session) confirmOffScale(kr domain.KeyResult, c answer, args string) Reply {
	v := domain.FormatValue(c.Value, kr.Unit)
	cmd := ss.cmd("okr") + " update " + strings.TrimSpace(args) + " --yes"
	return Reply{Message: &Message{Summary: "Record " + v + " for " + kr.Ref + "?", Sections: []Section{{
		Lines: []Text{Text{}.Add("Record ").AddB(v).Add(" for ").AddCode(kr.Ref).Add(fmt.Sprintf("? It %s, so %s is far off its scale: check the magnitude and the unit. Nothing is saved until you confirm.",
			scaleOf(kr), v))},
		Buttons: []Button{
			{Label: "Record " + v, Action: ActionConfirm, Value: "okr update " + strings.TrimSpace(args), Style: Primary, Command: cmd},
			{Label: "Cancel", Action: ActionCancel, Value: kr.Ref},
		},
	}}}}
}

// scaleOf says what a key result runs between: "runs from 2.5% to 4%",
// "stays above 99.9%".
func scaleOf(kr domain.KeyResult) string {
	switch kr.Kind {
	case domain.StayAbove:
		return "stays above " + domain.FormatValue(kr.Target, kr.Unit)
	case domain.StayBelow:
		return "stays below " + domain.FormatValue(kr.Target, kr.Unit)
	}
	return "runs from " + domain.FormatValue(kr.Start, kr.Unit) + " to " + domain.FormatValue(kr.Target, kr.Unit)
}

// weekCheckIn returns this week's check-in of a key result, if any: the
// owner's, whoever typed it.
func (ss *session) weekCheckIn(kr domain.KeyResult, week domain.Week) (domain.CheckIn, bool, error) {
	cs, err := ss.store.CheckIns(ss.ctx, ss.ws.ID, domain.CheckInFilter{User: kr.Owner, KRs: []string{kr.Ref}, Weeks: []domain.Week{week}})
	if err != nil || len(cs) == 0 {
		return domain.CheckIn{}, false, err
	}
	return cs[len(cs)-1], true, nil
}

// savedSummary says exactly what a check-in saved, beside what it replaced.
func (ss *session) savedSummary(kr domain.KeyResult, c answer, prev domain.CheckIn, hadPrev, newNote bool) string {
	var parts []string
	if c.skipped {
		parts = append(parts, "no value (not measured yet)")
	} else {
		v := checkInValue(kr, c.CheckIn)
		was := ""
		switch {
		case kr.Kind == domain.Milestone && kr.Done != c.Done:
			was = " (was " + map[bool]string{true: "done", false: "not done"}[kr.Done] + ")"
		case kr.Kind != domain.Milestone && kr.Measured && (kr.Current != c.Value || kr.Done != c.Done):
			was = " (was " + domain.FormatValue(kr.Current, kr.Unit) + ")"
		case kr.Kind != domain.Milestone && !kr.Measured:
			was = " (first value)"
		}
		if kr.KPI != "" {
			v += ", from KPI " + kr.KPI
		}
		parts = append(parts, v+was)
	}
	conf := fmt.Sprintf("confidence %d/10", c.Confidence)
	switch {
	case !c.confGiven && c.Confidence > 0:
		conf += " (kept)"
	case kr.Confidence > 0 && kr.Confidence != c.Confidence:
		conf += fmt.Sprintf(" (was %d/10)", kr.Confidence)
	}
	parts = append(parts, conf)
	switch {
	case c.skipped:
	case c.Note != "" && !newNote && hadPrev:
		parts = append(parts, "note kept: "+clip(c.Note, 80))
	case c.Note != "":
		parts = append(parts, "note: "+clip(c.Note, 80))
	default:
		parts = append(parts, "no note")
	}
	if c.By != "" && c.UserID != c.By {
		parts = append(parts, "as "+ss.name(c.UserID)+"'s check-in")
	}
	return strings.Join(parts, " · ")
}
