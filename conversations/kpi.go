package conversations

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/okrbot/okrbot/domain"
)

const (
	exKPICreate  = `/kpi create web-leads "Web leads" unit /day higher target 35 warn 25 alert 15 every day`
	exKPISet     = `/kpi set web-leads 28 on {yesterday} campaign paused`
	exKPIShow    = `/kpi show web-leads`
	exKPIEdit    = `/kpi edit web-leads target 40 warn 30`
	exKPIArchive = `/kpi archive web-leads`
)

var kpiVerbs = []string{"help", "create", "new", "set", "record", "show", "list", "ls", "edit", "archive", "unarchive", "source"}

func (ss *session) kpi(args string) Reply {
	verb, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(verb) {
	case "", "help":
		return ss.help()
	case "create", "new":
		return ss.kpiCreate(rest)
	case "set", "record":
		return ss.kpiSet(rest)
	case "show":
		return ss.kpiShow(rest)
	case "list", "ls":
		return ss.kpiList()
	case "source":
		return ss.kpiSource(rest)
	case "edit", "change":
		return ss.kpiEdit(rest)
	case "archive":
		return ss.kpiArchive(rest, true)
	case "unarchive", "restore":
		return ss.kpiArchive(rest, false)
	}
	if guess := didYouMean(verb, kpiVerbs); guess != "" {
		return ss.fail(domain.Invalid("/kpi list", "Unknown command /kpi %s; did you mean /kpi %s?", clip(verb, 30), guess), "")
	}
	return ss.fail(domain.Invalid("/kpi list", "Unknown command /kpi %s; it knows create, set, source, show, list, edit, archive and unarchive.", clip(verb, 30)), "")
}

func (ss *session) kpiCreate(args string) Reply {
	toks := tokenize(args)
	if len(toks) < 2 {
		return ss.fail(domain.Invalid(exKPICreate, "Give a slug and a name in quotes."), "")
	}
	k := domain.KPI{
		WorkspaceID: ss.ws.ID, Slug: strings.ToLower(toks[0].s), Name: toks[1].s,
		Direction: domain.HigherIsBetter, Cadence: domain.Weekly, Owner: ss.actor.User, Team: ss.actor.Channel,
		CreatedAt: ss.now,
	}
	if err := domain.ValidateSlug(k.Slug); err != nil {
		return ss.fail(err, exKPICreate)
	}
	_, err := applyKPIOptions(&k, toks[2:], exKPICreate)
	if err != nil {
		return ss.fail(err, exKPICreate)
	}
	if err := k.Validate(); err != nil {
		return ss.fail(err, exKPICreate)
	}
	if err := ss.store.CreateKPI(ss.ctx, k); err != nil {
		return ss.fail(err, exKPICreate)
	}
	return Reply{Message: &Message{
		Summary:  "Created KPI " + k.Slug,
		Sections: []Section{{Lines: []Text{Text{}.Add("Created KPI ").AddCode(k.Slug).Add(" ").AddB(k.Name)}, Note: T(describeKPI(k) + " · record values with ").AddCode(ss.cmd("kpi") + " set " + k.Slug + " 42")}},
	}}
}

// applyKPIOptions reads the options of /kpi create and /kpi edit into k:
// name "<name>" (edit only), unit <u>|none, higher|lower, target|warn|alert
// <n>|none, every day|week|month, owner @user. It returns the names of the
// options given.
func applyKPIOptions(k *domain.KPI, toks []token, example string) ([]string, error) {
	var given []string
	num := func(i int, what string) (*float64, error) {
		if i >= len(toks) {
			return nil, domain.Invalid(example, "Give a number after %s.", what)
		}
		if strings.EqualFold(toks[i].s, "none") && example == exKPIEdit {
			return nil, nil
		}
		a, err := domain.ParseAmount(toks[i].s)
		if err != nil {
			if domain.ErrorCode(err) == domain.EAMBIGUOUS {
				return nil, err
			}
			return nil, domain.Invalid(example, "The %s %q is not a number.", what, clip(toks[i].s, 20))
		}
		v, err := a.In(k.Unit)
		if err != nil {
			return nil, domain.Invalid(example, "The %s %s is not in the KPI's unit (%s).", what, a, orNoUnit(k.Unit))
		}
		return &v, nil
	}
	var err error
	for i := 0; i < len(toks) && err == nil; i++ {
		w := strings.ToLower(toks[i].s)
		given = append(given, w)
		switch w {
		case "name":
			if example != exKPIEdit || i+1 >= len(toks) {
				err = domain.Invalid(example, "Give the name after name, in quotes.")
				break
			}
			k.Name = toks[i+1].s
			i++
		case "unit":
			if i+1 >= len(toks) {
				err = domain.Invalid(example, "Give the unit after unit.")
				break
			}
			k.Unit = toks[i+1].s
			if strings.EqualFold(k.Unit, "none") && example == exKPIEdit {
				k.Unit = ""
			}
			i++
		case "higher", "up":
			k.Direction = domain.HigherIsBetter
		case "lower", "down":
			k.Direction = domain.LowerIsBetter
		case "target":
			k.Target, err = num(i+1, w)
			i++
		case "warn", "warning":
			k.Warn, err = num(i+1, "warn threshold")
			given[len(given)-1] = "warn"
			i++
		case "alert":
			k.Alert, err = num(i+1, "alert threshold")
			i++
		case "every", "each":
			if i+1 >= len(toks) {
				err = domain.Invalid(example, "Say every day, week or month.")
				break
			}
			k.Cadence = domain.Cadence(strings.TrimSuffix(strings.ToLower(toks[i+1].s), "ly"))
			if k.Cadence == "dai" {
				k.Cadence = domain.Daily
			}
			given[len(given)-1] = "every"
			i++
		case "daily", "weekly", "monthly":
			k.Cadence = map[string]domain.Cadence{"daily": domain.Daily, "weekly": domain.Weekly, "monthly": domain.Monthly}[w]
			given[len(given)-1] = "every"
		case "owner":
			if example != exKPIEdit || i+1 >= len(toks) {
				err = domain.Invalid(exKPIEdit+" owner @ada", "Give the new owner after owner: owner @name.")
				break
			}
			id, _, ok := parseUser(toks[i+1].s)
			if !ok {
				err = domain.Invalid(exKPIEdit+" owner @ada", "%q is not a person; use owner @name.", clip(toks[i+1].s, 30))
				break
			}
			k.Owner = id
			i++
		default:
			opts := "unit, higher, lower, target, warn, alert or every"
			if example == exKPIEdit {
				opts = "name, unit, higher, lower, target, warn, alert, every or owner"
			}
			if guess := didYouMean(w, []string{"unit", "higher", "lower", "target", "warn", "alert", "every", "daily", "weekly", "monthly", "name", "owner"}); guess != "" {
				err = domain.Invalid(example, "%q is not a KPI option; did you mean %s?", clip(toks[i].s, 20), guess)
			} else {
				err = domain.Invalid(example, "%q is not a KPI option; use %s.", clip(toks[i].s, 20), opts)
			}
		}
	}
	return given, err
}

func describeKPI(k domain.KPI) string {
	var parts []string
	parts = append(parts, string(k.Direction)+" is better")
	f := func(label string, v *float64) {
		if v != nil {
			parts = append(parts, label+" "+domain.FormatValue(*v, k.Unit))
		}
	}
	f("target", k.Target)
	f("warn", k.Warn)
	f("alert", k.Alert)
	parts = append(parts, "every "+string(k.Cadence))
	return strings.Join(parts, " · ")
}

func (ss *session) kpiSet(args string) Reply {
	toks := tokenize(args)
	yes := false
	if n := len(toks); n > 0 && !toks[n-1].quoted && strings.EqualFold(toks[n-1].s, "--yes") {
		toks, yes = toks[:n-1], true // a value far off the KPI's scale, confirmed
		args = rawText(toks)
	}
	if len(toks) < 2 {
		return ss.fail(domain.Invalid(exKPISet, "Give the KPI and its value."), "")
	}
	slug := strings.ToLower(toks[0].s)
	if err := domain.ValidateSlug(slug); err != nil {
		return ss.fail(err, exKPISet)
	}
	k, err := ss.store.KPI(ss.ctx, ss.ws.ID, slug)
	if err != nil {
		return ss.fail(err, exKPISet)
	}
	if err := ss.mayRecord(k); err != nil {
		return ss.fail(err, "")
	}
	// The value, with its unit when one is written: "27", "27/day", "2,5 %", "1.2M".
	valueTok, i := strings.TrimRight(toks[1].s, ",;"), 2 // "310, deploy rolled back"
	// Its unit after a space, in any spelling: "27 per day", "27 /day", "2,5 %".
	_, units := unitWordsAfter(toks[i:], k.Unit, "")
	for _, u := range units {
		valueTok, i = valueTok+" "+u, i+1
	}
	a, err := domain.ParseAmount(valueTok)
	if err != nil {
		if domain.ErrorCode(err) == domain.EAMBIGUOUS {
			return ss.ask(err, exKPISet, func(c domain.Choice) string {
				return ss.cmd("kpi") + " set " + slug + " " + c.Text + strings.TrimPrefix(rawTextFrom(toks, i), "")
			})
		}
		return ss.fail(domain.Invalid(exKPISet, "The value %q is not a number.", clip(valueTok, 20)), "")
	}
	v, err := a.In(k.Unit)
	if err != nil {
		return ss.fail(domain.Invalid(ss.cmd("kpi")+" set "+slug+" "+domain.FormatNumber(a.InExample(k.Unit)), "%s is measured in %s; %s is not.", slug, orNoUnit(k.Unit), a), "")
	}
	lo, hi, known := k.Scale()
	if a.SignedChange(lo, hi) {
		if k.Latest == nil {
			return ss.fail(domain.Invalid(ss.cmd("kpi")+" set "+slug+" "+domain.FormatNumber(math.Abs(v)), "%q has a sign: give the value %s has now, not how much it moved.", clip(valueTok, 20), slug), "")
		}
		now := k.Latest.Value
		return ss.fail(domain.Invalid(ss.cmd("kpi")+" set "+slug+" "+domain.FormatNumber(now+v),
			"%q has a sign: give the value %s has now (its latest is %s), not how much it moved; if it moved by %s, that is %s.",
			clip(valueTok, 20), slug, domain.FormatValue(now, k.Unit), domain.FormatValue(v, k.Unit), domain.FormatValue(now+v, k.Unit)), "")
	}
	if known && k.OffScale(v) && !yes {
		return ss.confirmKPIOffScale(k, v, lo, hi, args)
	}
	at := ss.now
	if i+1 < len(toks) && strings.EqualFold(toks[i].s, "on") {
		d, err := domain.ParseDate(toks[i+1].s, ss.loc)
		if err != nil {
			return ss.fail(err, exKPISet)
		}
		if at, err = ss.valueTime(d, toks[i+1].s, exKPISet); err != nil {
			return ss.fail(err, "")
		}
		i += 2
	} else if i < len(toks) && !toks[i].quoted {
		// "yesterday" and "today" say the day; another word of a day
		// ("last friday", "monday") is refused rather than kept as a note
		// beside a value dated today.
		switch w := strings.ToLower(strings.TrimRight(toks[i].s, ",;:")); {
		case w == "today":
			i++
		case w == "yesterday":
			y, m, d := ss.now.In(ss.loc).AddDate(0, 0, -1).Date()
			at, i = time.Date(y, m, d, 12, 0, 0, 0, ss.loc), i+1
		case dayWord(w):
			day := ss.now.In(ss.loc).AddDate(0, 0, -1).Format(time.DateOnly)
			return ss.fail(domain.Invalid(ss.cmd("kpi")+" set "+slug+" "+domain.FormatNumber(v)+" on "+day,
				"%q reads as a day, but okrbot takes the day as on YYYY-MM-DD, or yesterday; nothing was recorded.", clip(rawTextFrom(toks, i)[1:], 30)), "")
		}
	}
	note := rawText(toks[min(i, len(toks)):])
	if err := domain.ValidateText("note", note, domain.MaxNoteLen, false); err != nil {
		return ss.fail(err, exKPISet)
	}
	before := k.HealthOf(ss.now)
	k, linked, err := ss.recordValues(slug, []domain.KPIValue{{Value: v, At: at, Note: note}})
	if err != nil {
		return ss.fail(err, exKPISet)
	}
	after := k.HealthOf(ss.now)
	line := Text{}.Add("Recorded ").AddCode(slug).Add(" = " + domain.FormatValue(v, k.Unit))
	if !at.Equal(ss.now) {
		line = line.Add(" on " + at.In(ss.loc).Format(time.DateOnly))
	}
	if k.Latest != nil && k.Latest.At.After(at) {
		// Back-dated behind a newer value: the value's own colour, and the
		// KPI's, which the newer value keeps.
		own := k.Judge(v)
		line = line.Add(" · " + healthMark(own) + " " + string(own))
		stays := Text{}.Add("The latest value stays " + latestString(k, ss.loc) + " · " + healthMark(after) + " " + string(after) + ": it is the KPI's health, and what its key results read.")
		return Reply{Message: Lines("Recorded "+slug, line, stays)}
	}
	line = line.Add(" · " + healthMark(after) + " " + string(after))
	if before != after && before != domain.HealthUnknown {
		line = line.Add(fmt.Sprintf(" (was %s)", before))
	}
	m := Lines("Recorded "+slug, line)
	if linked > 0 {
		m.Sections[0].Note = T(fmt.Sprintf("%d key result%s follow%s this KPI and moved with it.", linked, plural(linked), map[bool]string{true: "s", false: ""}[linked == 1]))
	}
	return Reply{Message: m}
}

// dayWord reports whether w names a day relative to today ("last",
// "monday", "tomorrow"), which /kpi set does not read.
func dayWord(w string) bool {
	switch w {
	case "last", "tomorrow", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
		"mon", "tue", "wed", "thu", "fri", "sat", "sun":
		return true
	}
	return false
}

// confirmKPIOffScale asks before recording a value far off what the KPI
// has run between ("4800" for an NPS of 40 with a target of 60): its key
// results would move with it, and its health and alerts.
func (ss *session) confirmKPIOffScale(k domain.KPI, v, lo, hi float64, args string) Reply {
	val := domain.FormatValue(v, k.Unit)
	span := "is at " + domain.FormatValue(lo, k.Unit)
	if lo != hi {
		span = "has run between " + domain.FormatValue(lo, k.Unit) + " and " + domain.FormatValue(hi, k.Unit)
	}
	cmd := ss.cmd("kpi") + " set " + strings.TrimSpace(args) + " --yes"
	return Reply{Message: &Message{Summary: "Record " + val + " for " + k.Slug + "?", Sections: []Section{{
		Lines: []Text{Text{}.Add("Record ").AddB(val).Add(" for ").AddCode(k.Slug).Add(fmt.Sprintf("? It %s (its latest value, target and thresholds), so %s is far off: check the magnitude and the unit. Nothing is saved until you confirm.", span, val))},
		Buttons: []Button{
			{Label: "Record " + val, Action: ActionConfirm, Value: "kpi set " + strings.TrimSpace(args), Style: Primary, Command: cmd},
			{Label: "Cancel", Action: ActionCancel, Value: k.Slug},
		},
	}}}}
}

// followKPI moves the key results linked to a KPI to its latest value, and
// returns how many moved: a value recorded for an earlier day, behind the
// latest, moves none, and an objective none of whose key results moves is
// not written.
func (ss *session) followKPI(k domain.KPI) (int, error) {
	if k.Latest == nil {
		return 0, nil
	}
	os, err := ss.store.Objectives(ss.ctx, ss.ws.ID, domain.ObjectiveFilter{KPI: k.Slug, Statuses: []domain.ObjectiveStatus{domain.Active}})
	if err != nil {
		return 0, err
	}
	behind := func(kr domain.KeyResult) bool {
		return kr.KPI == k.Slug && (!kr.Measured || kr.Current != k.Latest.Value)
	}
	n := 0
	for _, o := range os {
		if !slices.ContainsFunc(o.KeyResults, behind) {
			continue
		}
		moved := 0
		_, err := ss.store.ModifyObjective(ss.ctx, ss.ws.ID, o.Ref, func(o *domain.Objective) error {
			moved = 0 // the store may call it again on a conflict
			for i := range o.KeyResults {
				if kr := &o.KeyResults[i]; behind(*kr) {
					kr.Current, kr.Measured, kr.UpdatedAt = k.Latest.Value, true, ss.now
					moved++
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += moved
	}
	return n, nil
}

// rawTextFrom is the rest of a command from token i on, as typed, with a
// leading space ("" when nothing follows).
func rawTextFrom(toks []token, i int) string {
	if i >= len(toks) {
		return ""
	}
	return " " + rawText(toks[i:])
}

func healthMark(h domain.Health) string {
	switch h {
	case domain.HealthRed:
		return "🔴"
	case domain.HealthYellow:
		return "🟡"
	case domain.HealthGreen:
		return "🟢"
	case domain.HealthStale:
		return "⏳"
	}
	return "⚪"
}

// sparkline draws values (oldest first) as "▁▃▅▇".
func sparkline(vals []float64) string {
	if len(vals) == 0 {
		return ""
	}
	lo, hi := vals[0], vals[0]
	for _, v := range vals {
		lo, hi = min(lo, v), max(hi, v)
	}
	ticks := []rune("▁▂▃▄▅▆▇█")
	var b strings.Builder
	for _, v := range vals {
		i := 3
		if hi > lo {
			i = int((v - lo) / (hi - lo) * float64(len(ticks)-1))
		}
		b.WriteRune(ticks[i])
	}
	return b.String()
}

func (ss *session) kpiShow(args string) Reply {
	toks := tokenize(args)
	if len(toks) != 1 {
		return ss.fail(domain.Invalid(exKPIShow, "Say which KPI to show."), "")
	}
	slug := strings.ToLower(toks[0].s)
	if err := domain.ValidateSlug(slug); err != nil {
		return ss.fail(err, exKPIShow)
	}
	k, err := ss.store.KPI(ss.ctx, ss.ws.ID, slug)
	if err != nil {
		return ss.fail(err, exKPIShow)
	}
	vals, err := ss.store.KPIValues(ss.ctx, ss.ws.ID, slug, 20)
	if err != nil {
		return ss.fail(err, exKPIShow)
	}
	h := k.HealthOf(ss.now)
	m := &Message{Summary: k.Slug + " " + k.Name, Title: k.Name + " (" + k.Slug + ")"}
	sec := Section{Fields: []Field{
		{"Health", T(healthMark(h) + " " + string(h))},
		{"Latest", T(latestString(k, ss.loc))},
		{"Owner", Text{}.AddUser(k.Owner, ss.name(k.Owner))},
		{"Rules", T(describeKPI(k))},
	}}
	if k.Archived {
		sec.Fields = append(sec.Fields, Field{"Status", T("archived: no new values, no alerts; " + ss.cmd("kpi") + " unarchive " + k.Slug + " restores it")})
	}
	if len(vals) > 0 {
		series := make([]float64, len(vals))
		for i, v := range vals {
			series[len(vals)-1-i] = v.Value
		}
		sec.Lines = append(sec.Lines, T(sparkline(series)+fmt.Sprintf("  last %d values", len(vals))))
		for _, v := range vals[:min(5, len(vals))] {
			line := T(v.At.In(ss.loc).Format(time.DateOnly) + " · " + domain.FormatValue(v.Value, k.Unit) + " · " + healthMark(k.Judge(v.Value)))
			if v.Note != "" {
				line = line.Add(" · ").AddI(clip(v.Note, 200))
			}
			sec.Lines = append(sec.Lines, line)
		}
	} else {
		sec.Lines = append(sec.Lines, T("No values yet: ").AddCode(ss.cmd("kpi")+" set "+slug+" 42"))
	}
	sec.Lines = append(sec.Lines, ss.sourceLines(k)...)
	m.Sections = append(m.Sections, sec)
	if os, err := ss.store.Objectives(ss.ctx, ss.ws.ID, domain.ObjectiveFilter{KPI: slug}); err == nil && len(os) > 0 {
		var refs []string
		for _, o := range os {
			for _, kr := range o.KeyResults {
				if kr.KPI == slug {
					refs = append(refs, kr.Ref+" "+clip(kr.Title, 50))
				}
			}
		}
		m.Sections = append(m.Sections, Section{Note: T("Key results that follow it: " + strings.Join(refs, "; "))})
	}
	if h := ss.historySection(k.History, ""); h != nil {
		m.Sections = append(m.Sections, *h)
	}
	return Reply{Message: m}
}

func latestString(k domain.KPI, loc *time.Location) string {
	if k.Latest == nil {
		return "no value yet"
	}
	return domain.FormatValue(k.Latest.Value, k.Unit) + " on " + k.Latest.At.In(loc).Format(time.DateOnly)
}

// sortKPIs orders KPIs red first, then by slug.
func sortKPIs(ks []domain.KPI, now time.Time) {
	sort.SliceStable(ks, func(i, j int) bool {
		hi, hj := ks[i].HealthOf(now).Rank(), ks[j].HealthOf(now).Rank()
		if hi != hj {
			return hi < hj
		}
		return ks[i].Slug < ks[j].Slug
	})
}

func (ss *session) kpiList() Reply {
	ks, err := ss.store.KPIs(ss.ctx, ss.ws.ID)
	if err != nil {
		return ss.fail(err, "/kpi list")
	}
	if len(ks) == 0 {
		return Reply{Message: Lines("No KPIs", T("No KPIs yet. Define one: ").AddCode(ss.example(exKPICreate)))}
	}
	sortKPIs(ks, ss.now)
	sec := Section{}
	for _, k := range ks {
		h := k.HealthOf(ss.now)
		sec.Lines = append(sec.Lines, T(healthMark(h)+" ").AddCode(k.Slug).Add(" "+k.Name+" · "+latestString(k, ss.loc)))
	}
	return Reply{Message: &Message{Summary: fmt.Sprintf("%d KPIs", len(ks)), Title: "KPIs", Sections: []Section{sec}}}
}
