package conversations

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/okrbot/okrbot/domain"
)

// maxFormKRs bounds the check-in form: four blocks a row keeps a Slack modal
// under its 100 blocks, and nobody should own more in one week anyway.
const maxFormKRs = 20

// checkInInput is what a person typed for one key result.
type checkInInput struct {
	kr                      domain.KeyResult
	objective               string
	value, confidence, note string
}

// Input ids of the check-in form.
func valueID(kr string) string      { return "value/" + kr }
func confidenceID(kr string) string { return "confidence/" + kr }
func noteID(kr string) string       { return "note/" + kr }

// The week note's inputs: wins, blockers and help needed, asked apart so
// that the digest can put blockers first. weekNoteID is the single note of
// forms opened before the split, still read when one comes back.
const (
	weekNoteID  = "note"
	winsID      = "wins"
	blockersID  = "blockers"
	helpID      = "help"
	weekNoteLen = 500
)

var weekNoteParts = []struct{ id, label, placeholder string }{
	{blockersID, "Blockers", "What stands in the way"},
	{helpID, "Help needed", "Who could help, with what"},
	{winsID, "Wins", "What went well this week"},
}

// answer is one key result's answer to a check-in.
type answer struct {
	domain.CheckIn
	// skipped: there is no value to record (the key result was never
	// measured and none was given, or "skip"). No check-in is stored, so
	// nothing reads as a value of 0; a confidence given goes onto the key
	// result.
	skipped bool
	// offScale: the value is far outside the key result's scale (a slip
	// of a magnitude or a unit, more likely than a measurement); it is
	// saved only once the person confirms it.
	offScale bool
	// confGiven: the confidence was typed, not kept from the last one.
	confGiven bool
}

// readCheckIn validates one row. Errors are keyed by "value", "confidence"
// and "note". An empty value keeps the current one where there is one and
// skips the key result where there is none; "skip" skips it either way. An
// empty confidence keeps the last one given, and is an error when there is
// none (unless the row is skipped). The check-in is the key result
// owner's, whoever types it, so that an admin's update is that week's
// check-in rather than a second one.
func (ss *session) readCheckIn(in checkInInput, week domain.Week) (answer, map[string]error) {
	kr := in.kr
	c := answer{CheckIn: domain.CheckIn{
		WorkspaceID: ss.ws.ID, UserID: kr.Owner, KR: kr.Ref, Objective: in.objective, Week: week,
		Value: kr.Current, Done: kr.Done, At: ss.now,
	}}
	if ss.actor.User != kr.Owner {
		c.By = ss.actor.User
	}
	errs := map[string]error{}
	v := strings.TrimSpace(in.value)
	lv := strings.ToLower(v)
	numeric := kr.Kind != domain.Milestone
	switch {
	case lv == "skip":
		c.skipped = true
	case v == "" && numeric && !kr.Measured:
		c.skipped = true // nothing to keep: never a check-in of 0
	case v == "":
	case lv == "done" || lv == "yes":
		c.Done = true
		if kr.Kind != domain.Milestone && kr.Kind != domain.StayAbove && kr.Kind != domain.StayBelow {
			c.Value = kr.Target
		} else if kr.Kind != domain.Milestone {
			errs["value"] = domain.Invalid(ss.example("/okr update "+kr.Ref+" "+domain.FormatNumber(kr.Target)+" confidence 7"), "%s stays above or below a line; give its current value, not done.", kr.Ref)
		}
	case lv == "not done" || lv == "no" || lv == "open" || lv == "not-done":
		if kr.Kind != domain.Milestone {
			errs["value"] = domain.Invalid(exUpdate, "%s is not a milestone; give its current value.", kr.Ref)
		}
		c.Done = false
	case kr.Kind == domain.Milestone:
		errs["value"] = domain.Invalid(ss.example("/okr update "+kr.Ref+" done confidence 8"), "%s is a milestone: answer done or not done.", kr.Ref)
	case kr.KPI != "":
		errs["value"] = domain.Invalid(ss.example("/kpi set "+kr.KPI+" "+v), "%s follows the KPI %s; record the value with /kpi set.", kr.Ref, kr.KPI)
	default:
		a, err := domain.ParseAmount(v)
		if err != nil {
			if domain.ErrorCode(err) == domain.EAMBIGUOUS {
				errs["value"] = err
				break
			}
			errs["value"] = domain.Invalid(ss.example(fmt.Sprintf("/okr update %s %s confidence 7", kr.Ref, domain.FormatNumber(kr.Target))), "%q is not a number.", clip(v, 30))
			break
		}
		x, err := a.In(kr.Unit)
		if err != nil {
			like := kr.Target
			if kr.Measured {
				like = kr.Current
			}
			errs["value"] = domain.Invalid(ss.example(fmt.Sprintf("/okr update %s %s confidence 7", kr.Ref, domain.FormatValue(like, kr.Unit))), "%s is measured in %s; %s is not.", kr.Ref, orNoUnit(kr.Unit), a)
			break
		}
		if lo, hi := kr.Scale(); a.SignedChange(lo, hi) {
			like := kr.Start
			if kr.Measured {
				like = kr.Current
			}
			errs["value"] = domain.Invalid(ss.example(fmt.Sprintf("/okr update %s %s confidence 7", kr.Ref, domain.FormatValue(like+x, kr.Unit))),
				"%q has a sign: give where %s stands now (%s), not how much it moved; if it moved by %s, that is %s.",
				clip(v, 20), kr.Ref, domain.FormatValue(like, kr.Unit), domain.FormatValue(x, kr.Unit), domain.FormatValue(like+x, kr.Unit))
			break
		}
		c.Value, c.Done = x, false // a number says where it stands, done or not
		c.offScale = kr.OffScale(x)
	}
	switch conf := strings.TrimSpace(in.confidence); {
	case conf == "" && kr.Confidence > 0:
		c.Confidence = kr.Confidence
	case conf == "" && c.skipped:
	case conf == "":
		// The example carries the value as typed: "done confidence 7".
		typed := v
		if typed == "" {
			typed = map[bool]string{true: "done", false: "28"}[kr.Kind == domain.Milestone]
		}
		errs["confidence"] = domain.Invalid(ss.example("/okr update "+kr.Ref+" "+typed+" confidence 7"), "Give a confidence from 1 to 10 for %s.", kr.Ref)
	default:
		n, err := domain.ParseConfidence(conf)
		if err != nil {
			errs["confidence"] = err
		}
		c.Confidence, c.confGiven = n, true
	}
	c.Note = strings.TrimSpace(in.note)
	if err := domain.ValidateText("note", c.Note, domain.MaxNoteLen, false); err != nil {
		errs["note"] = err
	}
	return c, errs
}

func orNoUnit(u string) string {
	if u == "" {
		return "plain numbers"
	}
	return u
}

// saveCheckIns stores check-ins (one per key result and week, so a second
// submission updates the first) with the key results they move, and the
// week note, in one store transaction: all of it or none. A skipped answer
// stores no check-in; its confidence, if any, goes onto the key result.
func (ss *session) saveCheckIns(cs []answer, weekNote domain.WeekNote) error {
	var checkIns, skipped []domain.CheckIn
	var week domain.Week
	for _, c := range cs {
		if c.skipped {
			skipped = append(skipped, c.CheckIn)
		} else {
			checkIns = append(checkIns, c.CheckIn)
		}
		week = c.Week
	}
	if week == "" {
		weekNote = domain.WeekNote{}
	} else {
		weekNote.WorkspaceID, weekNote.UserID, weekNote.Week, weekNote.At = ss.ws.ID, ss.actor.User, week, ss.now
	}
	return ss.store.SaveCheckIns(ss.ctx, checkIns, skipped, weekNote)
}

// ownedKRs returns the actor's key results in active objectives of the
// current cycle, by objective.
func (ss *session) ownedKRs(user string) ([]domain.Objective, error) {
	os, err := ss.store.Objectives(ss.ctx, ss.ws.ID, domain.ObjectiveFilter{KROwner: user, Statuses: []domain.ObjectiveStatus{domain.Active}})
	if err != nil {
		return nil, err
	}
	out := os[:0]
	for _, o := range os {
		if start, end := o.Cycle.Bounds(ss.wsLoc); ss.now.Before(start) || !ss.now.Before(end) {
			continue
		}
		krs := o.KeyResults[:0:0]
		for _, kr := range o.KeyResults {
			if kr.Owner == user {
				krs = append(krs, kr)
			}
		}
		o.KeyResults = krs
		out = append(out, o)
	}
	return out, nil
}

func (ss *session) openCheckIn() Reply {
	f, err := ss.checkInForm()
	if err != nil {
		return ss.fail(err, "/okr checkin")
	}
	if f == nil {
		return Reply{Message: Lines("Nothing to check in on", T("You own no key results in this cycle's active objectives. Add one with ").
			AddCode(ss.cmd("okr")+" kr add O-3 Increase web leads from 22 to 35 per day").Add("."))}
	}
	return Reply{Form: f}
}

// CheckInForm returns this week's check-in form for the actor, or nil when
// they own no key result to check in on.
func (s *Service) CheckInForm(ctx context.Context, a Actor) (*Form, error) {
	ss, err := s.begin(ctx, a)
	if err != nil {
		return nil, err
	}
	return ss.checkInForm()
}

func (ss *session) checkInForm() (*Form, error) {
	os, err := ss.ownedKRs(ss.actor.User)
	if err != nil {
		return nil, err
	}
	week := ss.week()
	var refs []string
	for _, o := range os {
		for _, kr := range o.KeyResults {
			refs = append(refs, kr.Ref)
		}
	}
	if len(refs) == 0 {
		return nil, nil
	}
	done, err := ss.store.CheckIns(ss.ctx, ss.ws.ID, domain.CheckInFilter{User: ss.actor.User, Weeks: []domain.Week{week}, KRs: refs})
	if err != nil {
		return nil, err
	}
	prev := map[string]domain.CheckIn{}
	for _, c := range done {
		prev[c.KR] = c
	}
	f := &Form{ID: FormCheckIn, Title: "Weekly check-in", Submit: "Check in", State: string(week), OpenAction: ActionCheckIn}
	f.Intro = T(fmt.Sprintf("Week %s. For each key result: where it stands, how confident you are (1–10) that it will be met, and a note if there is news.", weekShort(week)))
	if len(done) > 0 {
		f.Intro = f.Intro.Add(" You checked in already this week; submitting again updates it.")
	}
	n := 0
	for _, o := range os {
		for _, kr := range o.KeyResults {
			if n == maxFormKRs {
				f.Intro = f.Intro.Add(fmt.Sprintf(" Only the first %d key results fit in the form; update the others with %s update.", maxFormKRs, ss.cmd("okr")))
				break
			}
			n++
			f.Sections = append(f.Sections, ss.checkInRow(o, kr, prev[kr.Ref]))
		}
	}
	notes := FormSection{Heading: B("This week")}
	for _, p := range weekNoteParts {
		notes.Inputs = append(notes.Inputs, Input{ID: p.id, Label: p.label, Kind: TextArea, Optional: true, MaxLength: weekNoteLen, Placeholder: p.placeholder})
	}
	f.Sections = append(f.Sections, notes)
	return f, nil
}

func (ss *session) checkInRow(o domain.Objective, kr domain.KeyResult, prev domain.CheckIn) FormSection {
	sec := FormSection{
		Heading: Text{}.AddCode(kr.Ref).Add(" ").AddB(kr.Title),
		Note:    T(fmt.Sprintf("%s · %s %s", describeKR(kr), o.Ref, clip(o.Title, 60))),
	}
	// Optional on every platform: a skipped row needs none, and a row with a
	// value and no confidence is refused with the reason on its field.
	conf := Input{ID: confidenceID(kr.Ref), Label: "Confidence", Kind: Select, Optional: true, Hint: "1–3 unlikely · 4–6 maybe · 7–10 likely"}
	for i := 1; i <= 10; i++ {
		conf.Options = append(conf.Options, Option{Value: strconv.Itoa(i), Label: strconv.Itoa(i)})
	}
	if kr.Confidence > 0 {
		conf.Initial = strconv.Itoa(kr.Confidence)
	}
	note := Input{ID: noteID(kr.Ref), Label: "Note", Kind: TextInput, Optional: true, MaxLength: domain.MaxNoteLen, Initial: prev.Note}
	switch {
	case kr.Kind == domain.Milestone:
		v := Input{ID: valueID(kr.Ref), Label: "Done?", Kind: Select, Options: []Option{{"not done", "Not done yet"}, {"done", "Done"}}, Initial: "not done"}
		if kr.Done {
			v.Initial = "done"
		}
		sec.Inputs = append(sec.Inputs, v)
	case kr.KPI != "":
		sec.Note = sec.Note.Add(" · its value comes from the KPI")
	case !kr.Measured:
		// Nothing to keep: a value, or skip. Never a silent 0.
		sec.Inputs = append(sec.Inputs, Input{ID: valueID(kr.Ref), Label: "Current value" + unitLabel(kr.Unit), Kind: NumberInput, Optional: true,
			Skip: "skip", Hint: "Not measured yet: give its value, or leave it empty to skip it this week"})
	default:
		v := Input{ID: valueID(kr.Ref), Label: "Current value" + unitLabel(kr.Unit), Kind: NumberInput, Optional: true,
			Initial: domain.FormatNumber(kr.Current), Hint: "Now " + domain.FormatValue(kr.Current, kr.Unit) + "; keep it or change it"}
		if prev.KR != "" {
			v.Initial = domain.FormatNumber(prev.Value)
		}
		sec.Inputs = append(sec.Inputs, v)
	}
	sec.Inputs = append(sec.Inputs, conf, note)
	return sec
}

func unitLabel(u string) string {
	if u == "" {
		return ""
	}
	return " (" + u + ")"
}

// weekShort is the week's number: "48" for 2026-W48.
func weekShort(w domain.Week) string {
	if i := strings.Index(string(w), "-W"); i > 0 {
		return strings.TrimLeft(string(w)[i+2:], "0")
	}
	return string(w)
}

// Submit handles a filled-in form. A submission whose Key was seen before
// has no further effect.
func (s *Service) Submit(ctx context.Context, a Actor, sub Submission) Reply {
	r := s.submitForm(ctx, a, sub)
	s.observe("submit", r)
	return r
}

func (s *Service) submitForm(ctx context.Context, a Actor, sub Submission) Reply {
	ss, err := s.begin(ctx, a)
	if err != nil {
		return s.fail(ctx, a, err, "")
	}
	if sub.Key != "" {
		key := "submit/" + ss.ws.ID + "/" + sub.Key
		first, err := s.store.Remember(ctx, key)
		if err != nil {
			return ss.fail(err, "")
		}
		if !first {
			return Reply{Message: Lines("Already recorded", T("That was already recorded; nothing changed."))}
		}
		r := ss.submit(sub)
		if len(r.Errors) > 0 || r.failed {
			s.store.Forget(context.WithoutCancel(ctx), key)
		}
		return r.Reply
	}
	return ss.submit(sub).Reply
}

type submitted struct {
	Reply
	failed bool
}

func (ss *session) submit(sub Submission) submitted {
	switch sub.Form {
	case FormCheckIn:
		return ss.submitCheckIn(sub)
	case FormCreate:
		return ss.submitCreate(sub)
	case FormEditObjective:
		return ss.submitObjectiveEdit(sub)
	case FormEditKR:
		return ss.submitKREdit(sub)
	case FormEditKPI:
		return ss.submitKPIEdit(sub)
	}
	return submitted{ss.fail(domain.Invalid("/okr checkin", "That form is no longer valid."), ""), true}
}

func (ss *session) submitCheckIn(sub Submission) submitted {
	week := domain.Week(sub.State)
	cur := ss.week()
	if week != cur && week != cur.Previous() {
		return submitted{ss.fail(domain.Invalid("/okr checkin", "This form is from an older week; open this week's with /okr checkin."), ""), true}
	}
	os, err := ss.ownedKRs(ss.actor.User)
	if err != nil {
		return submitted{ss.fail(err, ""), true}
	}
	errs := map[string]string{}
	var cs []answer
	for _, o := range os {
		for _, kr := range o.KeyResults {
			in := checkInInput{kr: kr, objective: o.Ref,
				value: sub.Values[valueID(kr.Ref)], confidence: sub.Values[confidenceID(kr.Ref)], note: sub.Values[noteID(kr.Ref)]}
			_, hasValue := sub.Values[valueID(kr.Ref)]
			_, hasConf := sub.Values[confidenceID(kr.Ref)]
			if !hasValue && !hasConf {
				continue // not in the form (beyond the first rows)
			}
			c, fe := ss.readCheckIn(in, week)
			for field, e := range fe {
				errs[field+"/"+kr.Ref] = domain.ErrorMessage(e)
			}
			if c.skipped && c.Note != "" && fe["note"] == nil {
				// No value, so no check-in: the note would have nowhere to go.
				errs[noteID(kr.Ref)] = fmt.Sprintf("%s has no value this week, so it gets no check-in and a note here would be lost: give its value, or clear this and write it under %s.", kr.Ref, weekNoteParts[0].label)
			}
			if c.offScale && fe["value"] == nil {
				// A form has no confirm button of its own: the command does.
				v := domain.FormatValue(c.Value, kr.Unit)
				errs[valueID(kr.Ref)] = fmt.Sprintf("%s is far off %s's scale (it %s): check the magnitude and the unit. If it is right, record it with %s.",
					v, kr.Ref, scaleOf(kr), ss.example(ss.cmd("okr")+" update "+kr.Ref+" "+strings.TrimSpace(in.value)+" --yes"))
			}
			cs = append(cs, c)
		}
	}
	note := domain.WeekNote{Note: strings.TrimSpace(sub.Values[weekNoteID])}
	if err := domain.ValidateText("note", note.Note, domain.MaxNoteLen, false); err != nil {
		errs[weekNoteID] = domain.ErrorMessage(err)
	}
	for _, p := range weekNoteParts {
		v := strings.TrimSpace(sub.Values[p.id])
		if err := domain.ValidateText(strings.ToLower(p.label), v, weekNoteLen, false); err != nil {
			errs[p.id] = domain.ErrorMessage(err)
		}
		switch p.id {
		case winsID:
			note.Wins = v
		case blockersID:
			note.Blockers = v
		case helpID:
			note.Help = v
		}
	}
	if len(errs) > 0 {
		return submitted{Reply: Reply{Errors: errs, Code: domain.EINVALID}}
	}
	if len(cs) == 0 {
		return submitted{Reply{Message: Lines("Nothing to check in on", T("None of your key results were in that form any more; nothing was recorded."))}, false}
	}
	if err := ss.saveCheckIns(cs, note); err != nil {
		return submitted{ss.fail(err, ""), true}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].KR < cs[j].KR })
	n := 0
	for _, c := range cs {
		if !c.skipped {
			n++
		}
	}
	lines := []Text{T(fmt.Sprintf("Thanks! Checked in on %d key result%s for week %s.", n, plural(n), weekShort(week)))}
	for _, c := range cs {
		if c.skipped {
			line := Text{}.AddCode(c.KR).Add(" skipped this week: no value, so no check-in")
			if c.confGiven {
				// The confidence goes onto the key result, as /okr update's does.
				line = line.Add(fmt.Sprintf("; its confidence %d/10 is saved on the key result", c.Confidence))
			}
			lines = append(lines, line)
			continue
		}
		v := domain.FormatNumber(c.Value)
		if kr := findKR(os, c.KR); kr != nil {
			v = checkInValue(*kr, c.CheckIn)
		}
		lines = append(lines, Text{}.AddCode(c.KR).Add(fmt.Sprintf(" %s · confidence %d/10", v, c.Confidence)))
	}
	return submitted{Reply{Message: &Message{Summary: "Checked in for week " + weekShort(week), Sections: []Section{{Lines: lines}}}}, false}
}

func findKR(os []domain.Objective, ref string) *domain.KeyResult {
	for i := range os {
		if kr := os[i].KeyResult(ref); kr != nil {
			return kr
		}
	}
	return nil
}

// checkInValue says what a check-in recorded: "done", "not done", "9h".
func checkInValue(kr domain.KeyResult, c domain.CheckIn) string {
	switch {
	case c.Done:
		return "done"
	case kr.Kind == domain.Milestone:
		return "not done"
	}
	return domain.FormatValue(c.Value, kr.Unit)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// createForm is the objective creation form (with its key results, one per line).
func (ss *session) createForm() *Form {
	return &Form{
		ID: FormCreate, Title: "New objective", Submit: "Create", State: ss.actor.Channel, OpenAction: ActionCreate,
		Sections: []FormSection{{Inputs: []Input{
			{ID: "title", Label: "Objective", Kind: TextInput, Placeholder: "Grow the European market", MaxLength: domain.MaxTitleLen},
			{ID: "commitment", Label: "Commitment", Kind: Select, Initial: "committed", Options: []Option{
				{"committed", "Committed (we will reach 1.0)"}, {"aspirational", "Aspirational (0.7 is success)"}}},
			{ID: "cycle", Label: "Cycle", Kind: TextInput, Initial: string(domain.CycleOf(ss.now, ss.wsLoc)), MaxLength: 7},
			{ID: "parent", Label: "Aligned to (optional)", Kind: TextInput, Optional: true, Placeholder: "O-1 or KR-3", MaxLength: 12},
			{ID: "krs", Label: "Key results, one per line", Kind: TextArea, Optional: true, MaxLength: 3000,
				Placeholder: "Increase web leads from 22 to 35 per day\nKeep churn below 2%\nHire a VP of sales for Europe"},
		}}},
	}
}

func (ss *session) submitCreate(sub Submission) submitted {
	v := sub.Values
	errs := map[string]string{}
	set := func(field string, err error) {
		if err != nil && errs[field] == "" {
			errs[field] = domain.ErrorMessage(err)
		}
	}
	title := strings.TrimSpace(v["title"])
	set("title", domain.ValidateText("title", title, domain.MaxTitleLen, true))
	if c := strings.TrimSpace(v["cycle"]); c != "" {
		_, err := domain.ParseCycle(c)
		set("cycle", err)
	}
	if p := strings.TrimSpace(v["parent"]); p != "" {
		_, err := ss.parentRef(p)
		set("parent", err)
	}
	var lines []string
	for _, l := range strings.Split(v["krs"], "\n") {
		if l = strings.TrimSpace(strings.TrimLeft(l, "-•* ")); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > domain.MaxKRs {
		set("krs", domain.Invalid("", "At most %d key results per objective.", domain.MaxKRs))
	}
	if len(errs) > 0 {
		return submitted{Reply: Reply{Errors: errs, Code: domain.EINVALID}}
	}
	saved := ss.actor.Channel
	ss.actor.Channel = sub.State
	defer func() { ss.actor.Channel = saved }()
	o, err := ss.newObjective(title, v["commitment"] == "aspirational", false, strings.TrimSpace(v["cycle"]), strings.TrimSpace(v["parent"]), "")
	if err != nil {
		return submitted{Reply: Reply{Errors: map[string]string{"title": domain.ErrorMessage(err)}, Code: domain.ErrorCode(err)}}
	}
	// Each line is a key result as /okr kr add takes it, options included.
	code := ""
	for i, l := range lines {
		p, err := parseArgs(l, krFlags, exKRAdd)
		var nk newKRResult
		if err == nil {
			nk, err = ss.newKR(p.text(0), krInput{owner: p.flags["owner"], weight: p.flags["weight"], kpi: p.flags["kpi"],
				start: p.flags["start"], target: p.flags["target"], unit: p.flags["unit"], unitSet: p.has("unit"), milestone: p.has("milestone")})
		}
		if err != nil {
			msg := fmt.Sprintf("Line %d: %s", i+1, domain.ErrorMessage(err))
			if cs := domain.ErrorChoices(err); len(cs) > 0 {
				var ways []string
				for _, c := range cs {
					ways = append(ways, c.Meaning+": "+strings.TrimSpace(c.Text+withOptions(p, c.Options)))
				}
				msg += " Write it as one of: " + strings.Join(ways, "; ")
			}
			set("krs", domain.Invalid("", "%s", msg))
			if code == "" {
				code = domain.ErrorCode(err)
			}
			continue
		}
		o.KeyResults = append(o.KeyResults, nk.kr)
	}
	if len(errs) > 0 {
		return submitted{Reply: Reply{Errors: errs, Code: code}}
	}
	if err := ss.store.CreateObjective(ss.ctx, &o); err != nil { // refs are handed out in this write
		return submitted{ss.fail(err, ""), true}
	}
	r := ss.created(o)
	if len(o.KeyResults) > 0 {
		r.Message.Sections = r.Message.Sections[:1]
		for _, kr := range o.KeyResults {
			r.Message.Sections[0].Lines = append(r.Message.Sections[0].Lines, Text{}.AddCode(kr.Ref).Add(" "+kr.Title+" — understood: "+describeKR(kr)))
		}
	}
	return submitted{r, false}
}
