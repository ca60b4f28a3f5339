package conversations

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/okrbot/okrbot/domain"
)

// Correcting what was written: /okr edit, /okr kr edit and /kpi edit, as
// commands and as forms. Every change is checked before anything is
// written, recorded in the history (who, what, from, to, when), and a key
// result keeps its ref and so its check-ins.

// objectiveEdit is what a person asked to change of an objective; nil
// fields are left as they are.
type objectiveEdit struct {
	title, owner, team, cycle, parent *string
	commitment                        *domain.Commitment
}

func (e objectiveEdit) empty() bool {
	return e.title == nil && e.owner == nil && e.team == nil && e.cycle == nil && e.parent == nil && e.commitment == nil
}

var objectiveEditFlags = flagSpec{"title": true, "owner": true, "team": true, "cycle": true, "committed": false, "aspirational": false, "parent": true}

// editObjective is /okr edit O-n [<title>] [--owner @u] [--team #c|none]
// [--cycle C] [--committed|--aspirational] [--parent O-m|KR-m|none]; with
// nothing to change it opens the edit form.
func (ss *session) editObjective(args string) Reply {
	p, err := parseArgs(args, objectiveEditFlags, exEdit)
	if err == nil {
		err = p.textFirst(exEdit)
	}
	if err != nil {
		return ss.fail(err, exEdit)
	}
	_, oref, err := ref(p.word(0), "O", exEdit)
	if err != nil {
		return ss.fail(err, exEdit)
	}
	o, err := ss.store.Objective(ss.ctx, ss.ws.ID, oref)
	if err != nil {
		return ss.fail(err, exEdit)
	}
	if err := ss.mayChange(o, "edit"); err != nil {
		return ss.fail(err, "")
	}
	var e objectiveEdit
	if len(p.words) > 1 {
		t := p.text(1)
		e.title = &t
	}
	if t, ok := p.flags["title"]; ok {
		if e.title != nil {
			return ss.fail(domain.Invalid(exEdit, "Give the new title once: after the ref or with --title."), "")
		}
		e.title = &t
	}
	for name, dst := range map[string]**string{"owner": &e.owner, "team": &e.team, "cycle": &e.cycle, "parent": &e.parent} {
		if v, ok := p.flags[name]; ok {
			v := v
			*dst = &v
		}
	}
	switch {
	case p.has("committed") && p.has("aspirational"):
		return ss.fail(domain.Invalid(exEdit, "An objective is either --committed or --aspirational, not both."), "")
	case p.has("committed"):
		c := domain.Committed
		e.commitment = &c
	case p.has("aspirational"):
		c := domain.Aspirational
		e.commitment = &c
	}
	if e.empty() {
		return Reply{Form: ss.objectiveForm(o)}
	}
	apply, errs := ss.checkObjectiveEdit(o, e)
	for _, f := range []string{"title", "owner", "team", "cycle", "commitment", "parent"} {
		if errs[f] != nil {
			return ss.fail(errs[f], exEdit)
		}
	}
	return ss.writeObjectiveEdit(o.Ref, 0, apply).Reply
}

// checkObjectiveEdit validates an edit and returns what applies it (and
// the history it makes), or the errors by field. Nothing is written.
func (ss *session) checkObjectiveEdit(o domain.Objective, e objectiveEdit) (objectiveChange, map[string]error) {
	errs := map[string]error{}
	var steps []func(*domain.Objective) []domain.Change
	set := func(field, from, to string, do func(*domain.Objective)) {
		steps = append(steps, func(x *domain.Objective) []domain.Change {
			do(x)
			return []domain.Change{ss.change(x.Ref, field, from, to)}
		})
	}
	if e.title != nil {
		t := strings.TrimSpace(*e.title)
		if err := domain.ValidateText("title", t, domain.MaxTitleLen, true); err != nil {
			errs["title"] = err
		} else if t != o.Title {
			set("title", o.Title, t, func(x *domain.Objective) { x.Title = t })
		}
	}
	if e.owner != nil {
		// A mention's label is the typist's client's; the name comes from the platform.
		id, _, ok := parseUser(*e.owner)
		switch {
		case !ok:
			errs["owner"] = domain.Invalid(exEdit, "%q is not a person; use --owner @name.", clip(*e.owner, 30))
		case id == o.Owner:
		default:
			if err := ss.person(id, exEdit); err != nil {
				errs["owner"] = err
			} else {
				set("owner", o.Owner, id, func(x *domain.Objective) { x.Owner = id })
			}
		}
	}
	if e.team != nil {
		v := strings.TrimSpace(*e.team)
		id := ""
		if v != "" && !strings.EqualFold(v, "none") {
			c, ok, err := ss.channel(v, exEdit+" --team #growth")
			switch {
			case err != nil:
				errs["team"] = err
			case !ok:
				errs["team"] = domain.Invalid(exEdit+" --team #growth", "%q is not a channel; use --team #channel, or none.", clip(v, 30))
			}
			id = c
		}
		if errs["team"] == nil && id != o.Team {
			set("team", orNone(o.Team), orNone(id), func(x *domain.Objective) { x.Team = id })
		}
	}
	if e.cycle != nil {
		c, err := domain.ParseCycle(strings.TrimSpace(*e.cycle))
		if err != nil {
			errs["cycle"] = domain.Invalid("/okr edit "+o.Ref+" --cycle {cycle}", "%s", domain.ErrorMessage(err))
		} else if c != o.Cycle {
			set("cycle", string(o.Cycle), string(c), func(x *domain.Objective) { x.Cycle = c })
		}
	}
	if e.commitment != nil && *e.commitment != o.Commitment {
		c := *e.commitment
		set("commitment", string(o.Commitment), string(c), func(x *domain.Objective) { x.Commitment = c })
	}
	if e.parent != nil {
		v := strings.TrimSpace(*e.parent)
		parent := ""
		if v != "" && !strings.EqualFold(v, "none") {
			r, err := ss.parentRef(v)
			switch {
			case err != nil:
				errs["parent"] = err
			case r == o.Ref || o.KeyResult(r) != nil:
				errs["parent"] = domain.Invalid(exAlign, "%s cannot align to itself or its own key results.", o.Ref)
			default:
				if err := ss.checkNoCycle(o.Ref, r); err != nil {
					errs["parent"] = err
				}
			}
			parent = r
		}
		if errs["parent"] == nil && parent != o.Parent {
			set("parent", orNone(o.Parent), orNone(parent), func(x *domain.Objective) { x.Parent = parent })
		}
	}
	return objectiveChange{apply: func(x *domain.Objective) []domain.Change {
		var out []domain.Change
		for _, s := range steps {
			out = append(out, s(x)...)
		}
		return out
	}}, errs
}

// objectiveChange is a checked edit of an objective: apply makes it, and
// returns the history it makes.
type objectiveChange struct {
	apply func(*domain.Objective) []domain.Change
}

// asUser and asChannel accept a bare id from a form ("U123") as well as
// what commands take ("@U123", "<@U123|ada>").
func asUser(s string) string {
	s = strings.TrimSpace(s)
	if s != "" && !strings.HasPrefix(s, "@") && !strings.HasPrefix(s, "<@") {
		return "@" + s
	}
	return s
}

func asChannel(s string) string {
	s = strings.TrimSpace(s)
	if s != "" && !strings.HasPrefix(s, "#") && !strings.HasPrefix(s, "<#") {
		return "#" + s
	}
	return s
}

// writeObjectiveEdit stores an edit. version, when not 0, is the version
// the person saw (a form): a change made since then refuses the edit.
func (ss *session) writeObjectiveEdit(oref string, version int, ch objectiveChange) submitted {
	var changes []domain.Change
	apply := ch.apply
	_, err := ss.store.ModifyObjective(ss.ctx, ss.ws.ID, oref, func(x *domain.Objective) error {
		if version != 0 && x.Version != version {
			return domain.Errorf(domain.ECONFLICT, "%s was changed by someone else since this form was opened; open it again.", x.Ref)
		}
		changes = apply(x)
		if len(changes) == 0 {
			return errNothing
		}
		x.History = domain.Record(x.History, changes...)
		return x.Validate()
	})
	if err == errNothing {
		return submitted{Reply{Message: Lines("Nothing changed", Text{}.Add("Nothing to change: ").AddCode(oref).Add(" is as you describe it already."))}, false}
	}
	if err != nil {
		return submitted{ss.fail(err, exEdit), true}
	}
	return submitted{Reply{Message: ss.changedMessage(oref, changes, nil)}, false}
}

// errNothing abandons an edit that changes nothing.
var errNothing = domain.Errorf(domain.EINVALID, "nothing to change")

// changedMessage says what an edit changed, one line per field.
func (ss *session) changedMessage(what string, changes []domain.Change, kr *domain.KeyResult) *Message {
	lines := []Text{Text{}.Add("Changed ").AddCode(what).Add(":")}
	for _, c := range changes {
		lines = append(lines, ss.changeLine(c, false))
	}
	m := &Message{Summary: "Changed " + what, Sections: []Section{{Lines: lines}}}
	if kr != nil {
		m.Sections[0].Note = T("Understood: " + describeKR(*kr) + ". Its check-ins are kept.")
	}
	return m
}

// changeLine is one change as people read it: "target: 35 → 40 per day".
func (ss *session) changeLine(c domain.Change, withWho bool) Text {
	t := Text{}
	if withWho {
		t = t.Add(c.At.In(ss.loc).Format("2006-01-02")+" · ").AddUser(c.By, ss.name(c.By)).Add(" · ")
	}
	if c.Ref != "" && withWho {
		t = t.AddCode(c.Ref).Add(" ")
	}
	t = t.Add(c.Field + ": ")
	if c.Field == "owner" {
		return t.AddUser(c.From, ss.name(c.From)).Add(" → ").AddUser(c.To, ss.name(c.To))
	}
	return t.Add(clip(c.From, 80) + " → " + clip(c.To, 80))
}

// objectiveForm is /okr edit O-n with nothing to change: the objective's
// fields, filled in.
func (ss *session) objectiveForm(o domain.Objective) *Form {
	commitment := Input{ID: "commitment", Label: "Commitment", Kind: Select, Initial: string(o.Commitment), Options: []Option{
		{"committed", "Committed (we will reach 1.0)"}, {"aspirational", "Aspirational (0.7 is success)"}}}
	return &Form{
		ID: FormEditObjective, Title: "Edit " + o.Ref, Submit: "Save", State: o.Ref + "@" + strconv.Itoa(o.Version),
		OpenAction: ActionEdit, OpenValue: o.Ref,
		Intro: Text{}.Add("Change what needs changing; the history keeps what it was."),
		Sections: []FormSection{{Inputs: []Input{
			{ID: "title", Label: "Objective", Kind: TextInput, Initial: o.Title, MaxLength: domain.MaxTitleLen},
			{ID: "owner", Label: "Owner", Kind: UserSelect, Initial: o.Owner},
			{ID: "team", Label: "Team channel (optional)", Kind: ChannelSelect, Initial: o.Team, Optional: true},
			{ID: "cycle", Label: "Cycle", Kind: TextInput, Initial: string(o.Cycle), MaxLength: 7, Hint: "A quarter (YYYY-Q1 to Q4), a half (YYYY-H1, H2) or a year (YYYY)"},
			commitment,
			{ID: "parent", Label: "Aligned to (optional)", Kind: TextInput, Initial: o.Parent, Optional: true, MaxLength: 12, Hint: "O-1 or KR-3; empty for none"},
		}}},
	}
}

// parseEditState reads a form's "O-3@7" state.
func parseEditState(state, want string) (string, int, error) {
	r, v, _ := strings.Cut(state, "@")
	_, ref, ok := domain.RefKind(r)
	version, err := strconv.Atoi(v)
	if !ok || err != nil || !strings.HasPrefix(ref, want+"-") {
		return "", 0, domain.Invalid("/okr help", "That form is no longer valid.")
	}
	return ref, version, nil
}

func (ss *session) submitObjectiveEdit(sub Submission) submitted {
	oref, version, err := parseEditState(sub.State, "O")
	if err != nil {
		return submitted{ss.fail(err, ""), true}
	}
	o, err := ss.store.Objective(ss.ctx, ss.ws.ID, oref)
	if err != nil {
		return submitted{ss.fail(err, ""), true}
	}
	if err := ss.mayChange(o, "edit"); err != nil {
		return submitted{ss.fail(err, ""), true}
	}
	if o.Version != version {
		return submitted{Reply: Reply{Code: domain.ECONFLICT, Errors: map[string]string{"title": oref + " was changed by someone else since this form was opened; open it again."}}}
	}
	v := sub.Values
	var e objectiveEdit
	field := func(id string) *string {
		if x, ok := v[id]; ok {
			x = strings.TrimSpace(x)
			return &x
		}
		return nil
	}
	e.title, e.owner, e.team, e.cycle, e.parent = field("title"), field("owner"), field("team"), field("cycle"), field("parent")
	if e.owner != nil && *e.owner == "" {
		e.owner = nil // a people picker left empty keeps the owner
	}
	// Pickers give bare ids ("U123"); typed answers may too.
	if e.owner != nil {
		u := asUser(*e.owner)
		e.owner = &u
	}
	if e.team != nil && *e.team != "" && !strings.EqualFold(*e.team, "none") {
		c := asChannel(*e.team)
		e.team = &c
	}
	if c, ok := v["commitment"]; ok {
		cm := domain.Commitment(c)
		if cm != domain.Committed && cm != domain.Aspirational {
			return submitted{Reply: Reply{Code: domain.EINVALID, Errors: map[string]string{"commitment": "Choose committed or aspirational."}}}
		}
		e.commitment = &cm
	}
	apply, errs := ss.checkObjectiveEdit(o, e)
	if len(errs) > 0 {
		out := map[string]string{}
		for f, err := range errs {
			out[f] = domain.ErrorMessage(err)
		}
		return submitted{Reply: Reply{Code: domain.EINVALID, Errors: out}}
	}
	return ss.writeObjectiveEdit(oref, version, apply)
}

// krEdit is what a person asked to change of a key result.
type krEdit struct {
	text                             string
	start, target, unit, owner, kpi  string
	weight                           string
	unitSet, milestone, yes, hasText bool
}

func (e krEdit) empty() bool {
	return !e.hasText && e.start == "" && e.target == "" && !e.unitSet && e.owner == "" && e.kpi == "" && e.weight == "" && !e.milestone
}

var krEditFlags = flagSpec{"owner": true, "weight": true, "kpi": true, "start": true, "target": true, "unit": true, "milestone": false, "yes": false}

// editKR is /okr kr edit KR-n [<new text>] [--start N] [--target N]
// [--unit U|none] [--owner @u] [--weight W] [--kpi slug|none]
// [--milestone]; new text is read again as when the key result was added.
// With nothing to change it opens the edit form.
func (ss *session) editKR(args string) Reply {
	p, err := parseArgs(args, krEditFlags, exKREdit)
	if err == nil {
		err = p.textFirst(exKREdit)
	}
	if err != nil {
		return ss.fail(err, exKREdit)
	}
	_, krRef, err := ref(p.word(0), "KR", exKREdit)
	if err != nil {
		return ss.fail(err, exKREdit)
	}
	o, err := ss.store.ObjectiveOfKR(ss.ctx, ss.ws.ID, krRef)
	if err != nil {
		return ss.fail(err, exKREdit)
	}
	kr := *o.KeyResult(krRef)
	if err := ss.mayEditKR(o, kr); err != nil {
		return ss.fail(err, "")
	}
	e := krEdit{start: p.flags["start"], target: p.flags["target"], unit: p.flags["unit"], owner: p.flags["owner"],
		kpi: p.flags["kpi"], weight: p.flags["weight"], unitSet: p.has("unit"), milestone: p.has("milestone"), yes: p.has("yes")}
	if len(p.words) > 1 {
		e.text, e.hasText = p.text(1), true
	}
	if e.empty() {
		return Reply{Form: ss.krForm(o, kr)}
	}
	res, err := ss.checkKREdit(o, kr, e)
	if err != nil {
		return ss.ask(err, exKREdit, func(c domain.Choice) string {
			return ss.cmd("okr") + " kr edit " + krRef + " " + c.Text + withOptions(p, c.Options)
		})
	}
	if res.toMilestone > 0 && !e.yes {
		cmd := ss.cmd("okr") + " kr edit " + strings.TrimSpace(args) + " --yes"
		return Reply{Message: &Message{Summary: "Make " + krRef + " a milestone?", Sections: []Section{{
			Lines: []Text{Text{}.AddCode(krRef).Add(fmt.Sprintf(" has %d check-in%s with values in %s. A milestone is done or not done: it starts again at not done, and those values stay in its history without counting. Make it a milestone?",
				res.toMilestone, plural(res.toMilestone), orNoUnit(kr.Unit)))},
			Buttons: []Button{
				{Label: "Make " + krRef + " a milestone", Action: ActionConfirm, Value: "okr kr edit " + strings.TrimSpace(args), Style: Danger, Command: cmd},
				{Label: "Cancel", Action: ActionCancel, Value: krRef},
			},
		}}}}
	}
	if res.relabels > 0 && !e.yes {
		cmd := ss.cmd("okr") + " kr edit " + strings.TrimSpace(args) + " --yes"
		return Reply{Message: &Message{Summary: "Change the unit of " + krRef + "?", Sections: []Section{{
			Lines: []Text{Text{}.AddCode(krRef).Add(fmt.Sprintf(" has %d check-in%s recorded in %s. They keep their numbers, which will then read as %s. Change the unit?",
				res.relabels, plural(res.relabels), orNoUnit(kr.Unit), orNoUnit(res.kr.Unit)))},
			Buttons: []Button{
				{Label: "Change the unit", Action: ActionConfirm, Value: "okr kr edit " + strings.TrimSpace(args), Style: Danger, Command: cmd},
				{Label: "Cancel", Action: ActionCancel, Value: krRef},
			},
		}}}}
	}
	return ss.writeKREdit(o.Ref, 0, res).Reply
}

// mayEditKR: the objective's owner and admins edit key results; a key
// result's owner edits their own.
func (ss *session) mayEditKR(o domain.Objective, kr domain.KeyResult) error {
	if kr.Owner != ss.actor.User {
		if err := ss.mayChange(o, "edit"); err != nil {
			return err
		}
	}
	if o.Status == domain.Closed {
		return domain.Invalid(ss.cmd("okr")+" reopen "+o.Ref, "%s is closed; reopen it to change its key results.", o.Ref)
	}
	return nil
}

// krEditResult is a checked key result edit.
type krEditResult struct {
	kr       domain.KeyResult
	changes  []domain.Change
	relabels int // check-ins whose unit the edit changes
	// toMilestone: check-ins whose values stop counting when a measured
	// key result becomes a milestone.
	toMilestone int
	notes       []string
}

// checkKREdit validates an edit of a key result and returns the key result
// as it will be. Nothing is written.
func (ss *session) checkKREdit(o domain.Objective, kr domain.KeyResult, e krEdit) (krEditResult, error) {
	res := krEditResult{}
	n := kr
	if e.owner != "" {
		id, _, ok := parseUser(e.owner)
		if !ok {
			return res, onField("owner", domain.Invalid(exKREdit+" --owner @ada", "%q is not a person; use --owner @name.", clip(e.owner, 30)))
		}
		if id != kr.Owner {
			if err := ss.person(id, exKREdit+" --owner @ada"); err != nil {
				return res, onField("owner", err)
			}
		}
		n.Owner = id
	}
	if e.weight != "" {
		w, err := parseWeight(e.weight)
		if err != nil {
			return res, onField("weight", err)
		}
		n.Weight = w
	}
	var k *domain.KPI
	switch kpi := strings.ToLower(strings.TrimSpace(e.kpi)); {
	case kpi == "":
		if n.KPI != "" {
			if kk, err := ss.store.KPI(ss.ctx, ss.ws.ID, n.KPI); err == nil {
				k = &kk
			}
		}
	case kpi == "none":
		n.KPI = ""
	default:
		kk, err := ss.linkableKPI(kpi)
		if err != nil {
			return res, onField("kpi", err)
		}
		k, n.KPI = &kk, kk.Slug
	}
	if e.hasText || e.milestone {
		text := e.text
		if !e.hasText {
			text = kr.Title
		}
		opt := domain.ParseOptions{Start: e.start, Target: e.target, Unit: e.unit, UnitSet: e.unitSet, Milestone: e.milestone}
		switch {
		case k != nil:
			opt.Baseline = &domain.Baseline{Unit: k.Unit, Direction: k.Direction, Name: "KPI " + k.Slug, Follows: true, Unmeasured: k.Latest == nil}
			if k.Latest != nil {
				opt.Baseline.Value = k.Latest.Value
			}
		case kr.Kind == domain.Increase || kr.Kind == domain.Decrease || kr.Kind == domain.Reach:
			opt.Baseline = &domain.Baseline{Value: kr.Start, Unit: kr.Unit, Name: "its start"}
		}
		pk, err := domain.ParseKeyResult(text, opt)
		if err != nil {
			return res, err
		}
		n.Title, n.Kind, n.Start, n.Target, n.Unit = pk.Title, pk.Kind, pk.Start, pk.Target, pk.Unit
	} else {
		if e.unitSet {
			u := strings.TrimSpace(e.unit)
			if strings.EqualFold(u, "none") {
				u = ""
			}
			if err := domain.ValidateText("unit", u, domain.MaxUnitLen, false); err != nil {
				return res, onField("unit", err)
			}
			n.Unit = u
		}
		read := func(s, what string) (float64, error) {
			a, err := domain.ParseAmount(s)
			if err != nil {
				return 0, domain.OptionChoices(err, "", what)
			}
			v, err := a.In(n.Unit)
			if err != nil {
				return 0, domain.Invalid(fmt.Sprintf("%s kr edit %s --%s %s", ss.cmd("okr"), kr.Ref, what, domain.FormatNumber(a.InExample(n.Unit))), "%s is measured in %s; %s is not.", kr.Ref, orNoUnit(n.Unit), a)
			}
			return v, nil
		}
		if e.start != "" || e.target != "" {
			switch n.Kind {
			case domain.Milestone:
				return res, domain.Invalid(ss.cmd("okr")+" kr edit "+kr.Ref+" Hire 3 engineers", "%s is a milestone; to measure it, write its text again with a number.", kr.Ref)
			case domain.StayAbove, domain.StayBelow:
				if e.start != "" {
					return res, domain.Invalid(ss.cmd("okr")+" kr edit "+kr.Ref+" --target 2", "%s stays above or below a line; it has a target, not a start.", kr.Ref)
				}
			}
		}
		if e.start != "" {
			v, err := read(e.start, "start")
			if err != nil {
				return res, onField("start", err)
			}
			n.Start = v
		}
		if e.target != "" {
			v, err := read(e.target, "target")
			if err != nil {
				return res, onField("target", err)
			}
			n.Target = v
		}
		// The direction is the text's ("Reduce …"): a number alone never
		// turns a decrease into an increase; new text does.
		v := func(x float64) string { return domain.FormatValue(x, n.Unit) }
		retext := ss.cmd("okr") + " kr edit " + kr.Ref + " <the key result written again>"
		switch {
		case n.Target == n.Start && n.Kind != domain.StayAbove && n.Kind != domain.StayBelow:
			return res, domain.Invalid(exKREdit, "The start and the target are both %s; a key result must change something.", v(n.Start))
		case n.Kind == domain.Decrease && n.Target > n.Start:
			return res, domain.Invalid(retext, "%s goes down: the target (%s) must be below the start (%s). To make it go up, write it again.", kr.Ref, v(n.Target), v(n.Start))
		case (n.Kind == domain.Increase || n.Kind == domain.Reach) && n.Target < n.Start:
			return res, domain.Invalid(retext, "%s goes up: the target (%s) must be above the start (%s). To make it go down, write it again.", kr.Ref, v(n.Target), v(n.Start))
		}
		// Keep the title saying the numbers the key result has.
		for _, x := range []struct{ old, new float64 }{{kr.Start, n.Start}, {kr.Target, n.Target}} {
			if x.old == x.new {
				continue
			}
			if t, ok := domain.ReplaceNumber(n.Title, x.old, x.new); ok {
				n.Title = t
			} else {
				res.notes = append(res.notes, fmt.Sprintf("Its title does not say %s; edit the title if it should.", domain.FormatValue(x.old, kr.Unit)))
			}
		}
	}
	if k != nil && n.KPI != "" {
		if n.Kind == domain.Milestone {
			return res, domain.Invalid(ss.cmd("okr")+" kr edit "+kr.Ref+" --kpi none", "A milestone cannot follow a KPI.")
		}
		if n.Unit == "" {
			n.Unit = k.Unit
		} else if k.Unit != "" && !domain.SameUnit(n.Unit, k.Unit) {
			return res, domain.Invalid(ss.cmd("okr")+" kr edit "+kr.Ref+" --unit "+k.Unit, "The KPI %s is measured in %s; %s is in %s.", k.Slug, k.Unit, kr.Ref, n.Unit)
		}
		if k.Latest != nil {
			n.Current, n.Measured = k.Latest.Value, true
		}
	}
	// What the key result holds now follows its kind.
	switch {
	case kr.Kind == domain.Milestone && n.Kind != domain.Milestone:
		n.Done, n.Current, n.Measured = false, n.Start, n.KPI != "" && n.Measured
		if k != nil && k.Latest != nil {
			n.Current = k.Latest.Value
		}
	case n.Kind == domain.Milestone && kr.Kind != domain.Milestone:
		n.Current, n.Measured, n.Done = 0, false, false
	case !n.Measured:
		n.Current = n.Start
	}
	if err := n.Validate(); err != nil {
		return res, err
	}
	switch {
	case n.Kind == domain.Milestone && kr.Kind != domain.Milestone:
		// Its values stop counting: that is no relabelling of a unit.
		cs, err := ss.store.CheckIns(ss.ctx, ss.ws.ID, domain.CheckInFilter{KRs: []string{kr.Ref}})
		if err != nil {
			return res, err
		}
		res.toMilestone = len(cs)
	case !domain.SameUnit(kr.Unit, n.Unit) && kr.Kind != domain.Milestone:
		cs, err := ss.store.CheckIns(ss.ctx, ss.ws.ID, domain.CheckInFilter{KRs: []string{kr.Ref}})
		if err != nil {
			return res, err
		}
		res.relabels = len(cs)
	}
	res.kr, res.changes = n, ss.krChanges(kr, n)
	return res, nil
}

// krChanges lists what differs between two versions of a key result.
func (ss *session) krChanges(a, b domain.KeyResult) []domain.Change {
	var out []domain.Change
	add := func(field, from, to string) {
		if from != to {
			out = append(out, ss.change(a.Ref, field, from, to))
		}
	}
	add("title", a.Title, b.Title)
	add("kind", string(a.Kind), string(b.Kind))
	measured := func(k domain.Kind) bool { return k != domain.Milestone }
	if measured(a.Kind) || measured(b.Kind) {
		if a.Kind != domain.StayAbove && a.Kind != domain.StayBelow || b.Kind != a.Kind {
			add("start", domain.FormatValue(a.Start, a.Unit), domain.FormatValue(b.Start, b.Unit))
		}
		add("target", domain.FormatValue(a.Target, a.Unit), domain.FormatValue(b.Target, b.Unit))
	}
	add("unit", orNone(a.Unit), orNone(b.Unit))
	add("owner", a.Owner, b.Owner)
	add("weight", domain.FormatNumber(a.Weight), domain.FormatNumber(b.Weight))
	add("kpi", orNone(a.KPI), orNone(b.KPI))
	return out
}

// writeKREdit stores a checked key result edit; its check-ins stay, as its
// ref does.
func (ss *session) writeKREdit(oref string, version int, res krEditResult) submitted {
	if len(res.changes) == 0 {
		return submitted{Reply{Message: Lines("Nothing changed", Text{}.Add("Nothing to change: ").AddCode(res.kr.Ref).Add(" is as you describe it already."))}, false}
	}
	o, err := ss.store.ModifyObjective(ss.ctx, ss.ws.ID, oref, func(x *domain.Objective) error {
		if version != 0 && x.Version != version {
			return domain.Errorf(domain.ECONFLICT, "%s was changed by someone else since this form was opened; open it again.", res.kr.Ref)
		}
		cur := x.KeyResult(res.kr.Ref)
		if cur == nil {
			return domain.NotFound("There is no key result %s.", res.kr.Ref)
		}
		n := res.kr
		if n.KPI == "" || n.KPI == cur.KPI {
			// Check-ins or KPI values may have come in since it was read.
			if n.Kind == cur.Kind {
				n.Current, n.Measured = cur.Current, cur.Measured
			}
			n.Done, n.Confidence = cur.Done && n.Kind == cur.Kind, cur.Confidence
		}
		n.UpdatedAt = ss.now
		*cur = n
		x.History = domain.Record(x.History, res.changes...)
		return x.Validate()
	})
	if err != nil {
		return submitted{ss.fail(err, exKREdit), true}
	}
	kr := o.KeyResult(res.kr.Ref)
	m := ss.changedMessage(res.kr.Ref, res.changes, kr)
	for _, n := range res.notes {
		m.Sections[0].Lines = append(m.Sections[0].Lines, T(n))
	}
	return submitted{Reply{Message: m}, false}
}

// krForm is /okr kr edit KR-n with nothing to change.
func (ss *session) krForm(o domain.Objective, kr domain.KeyResult) *Form {
	inputs := []Input{{ID: "text", Label: "Key result", Kind: TextInput, Initial: kr.Title, MaxLength: domain.MaxTitleLen,
		Hint: "Changed text is read again, as when it was added"}}
	if kr.Kind != domain.Milestone {
		if kr.Kind != domain.StayAbove && kr.Kind != domain.StayBelow {
			inputs = append(inputs, Input{ID: "start", Label: "Start" + unitLabel(kr.Unit), Kind: TextInput, Initial: domain.FormatNumber(kr.Start), MaxLength: 30})
		}
		inputs = append(inputs,
			Input{ID: "target", Label: "Target" + unitLabel(kr.Unit), Kind: TextInput, Initial: domain.FormatNumber(kr.Target), MaxLength: 30},
			Input{ID: "unit", Label: "Unit (optional)", Kind: TextInput, Initial: kr.Unit, Optional: true, MaxLength: domain.MaxUnitLen},
			Input{ID: "kpi", Label: "Follows KPI (optional)", Kind: TextInput, Initial: kr.KPI, Optional: true, MaxLength: 40, Hint: "A KPI slug; empty for none"})
	}
	inputs = append(inputs,
		Input{ID: "owner", Label: "Owner", Kind: UserSelect, Initial: kr.Owner},
		Input{ID: "weight", Label: "Weight", Kind: TextInput, Initial: domain.FormatNumber(kr.Weight), MaxLength: 10})
	return &Form{
		ID: FormEditKR, Title: "Edit " + kr.Ref, Submit: "Save", State: kr.Ref + "@" + strconv.Itoa(o.Version),
		OpenAction: ActionEdit, OpenValue: kr.Ref,
		Intro:    T("Understood now: " + describeKR(kr) + ". Its check-ins are kept whatever you change."),
		Sections: []FormSection{{Inputs: inputs}},
	}
}

func (ss *session) submitKREdit(sub Submission) submitted {
	krRef, version, err := parseEditState(sub.State, "KR")
	if err != nil {
		return submitted{ss.fail(err, ""), true}
	}
	o, err := ss.store.ObjectiveOfKR(ss.ctx, ss.ws.ID, krRef)
	if err != nil {
		return submitted{ss.fail(err, ""), true}
	}
	kr := *o.KeyResult(krRef)
	if err := ss.mayEditKR(o, kr); err != nil {
		return submitted{ss.fail(err, ""), true}
	}
	if o.Version != version {
		return submitted{Reply: Reply{Code: domain.ECONFLICT, Errors: map[string]string{"text": krRef + " was changed by someone else since this form was opened; open it again."}}}
	}
	v := sub.Values
	changed := func(id, cur string) (string, bool) {
		x, ok := v[id]
		x = strings.TrimSpace(x)
		return x, ok && x != cur
	}
	var e krEdit
	if t, ok := changed("text", kr.Title); ok {
		e.text, e.hasText = t, true
	}
	if x, ok := changed("start", domain.FormatNumber(kr.Start)); ok {
		e.start = x
	}
	if x, ok := changed("target", domain.FormatNumber(kr.Target)); ok {
		e.target = x
	}
	if x, ok := changed("unit", kr.Unit); ok {
		e.unit, e.unitSet = x, true
	}
	if x, ok := changed("kpi", kr.KPI); ok {
		e.kpi = x
		if x == "" {
			e.kpi = "none"
		}
	}
	if x, ok := changed("owner", kr.Owner); ok && x != "" {
		e.owner = asUser(x)
	}
	if x, ok := changed("weight", domain.FormatNumber(kr.Weight)); ok {
		e.weight = x
	}
	res, err := ss.checkKREdit(o, kr, e)
	if err != nil {
		msg := domain.ErrorMessage(err)
		if cs := domain.ErrorChoices(err); len(cs) > 0 {
			var ways []string
			for _, c := range cs {
				ways = append(ways, c.Meaning+": "+strings.TrimSpace(c.Text+" "+c.Options))
			}
			msg += " Write it as one of: " + strings.Join(ways, "; ")
		}
		field := "text"
		var fe fieldError
		if errors.As(err, &fe) {
			field = fe.field
		}
		return submitted{Reply: Reply{Code: domain.ErrorCode(err), Errors: map[string]string{field: msg}}}
	}
	if res.toMilestone > 0 {
		return submitted{Reply: Reply{Code: domain.EINVALID, Errors: map[string]string{"text": fmt.Sprintf(
			"%s has %d check-in%s with values; as a milestone they would stop counting. To make it one, type %s kr edit %s --milestone --yes",
			krRef, res.toMilestone, plural(res.toMilestone), ss.cmd("okr"), krRef)}}}
	}
	if res.relabels > 0 {
		return submitted{Reply: Reply{Code: domain.EINVALID, Errors: map[string]string{"unit": fmt.Sprintf(
			"%s has %d check-in%s in %s; they would read as %s. To relabel them, type %s kr edit %s --unit %q --yes",
			krRef, res.relabels, plural(res.relabels), orNoUnit(kr.Unit), orNoUnit(res.kr.Unit), ss.cmd("okr"), krRef, res.kr.Unit)}}}
	}
	return ss.writeKREdit(o.Ref, version, res)
}

// fieldError is an error about one input of a form.
type fieldError struct {
	field string
	err   error
}

func (e fieldError) Error() string { return e.field + ": " + e.err.Error() }
func (e fieldError) Unwrap() error { return e.err }

func onField(field string, err error) error { return fieldError{field, err} }

// openEdit opens an edit form: value is "O-3", "KR-7" or "kpi:<slug>".
func (ss *session) openEdit(value string) Reply {
	if slug, ok := strings.CutPrefix(value, "kpi:"); ok {
		return ss.kpiEdit(slug)
	}
	kind, r, err := ref(value, "", exEdit)
	if err != nil {
		return ss.fail(err, exEdit)
	}
	if kind == "KR" {
		return ss.editKR(r)
	}
	return ss.editObjective(r)
}

// Form returns a form afresh, as it was opened, for a platform that must
// send it again (a Teams card re-sent with its errors): id and state are
// the submission's.
func (s *Service) Form(ctx context.Context, a Actor, id, state string) (*Form, error) {
	ss, err := s.begin(ctx, a)
	if err != nil {
		return nil, err
	}
	var f *Form
	switch id {
	case FormCheckIn:
		if f, err = ss.checkInForm(); err != nil || f == nil {
			return nil, err
		}
	case FormCreate:
		f = ss.createForm()
	case FormEditObjective:
		r, _, err := parseEditState(state, "O")
		if err != nil {
			return nil, err
		}
		o, err := ss.store.Objective(ctx, ss.ws.ID, r)
		if err != nil {
			return nil, err
		}
		f = ss.objectiveForm(o)
	case FormEditKR:
		r, _, err := parseEditState(state, "KR")
		if err != nil {
			return nil, err
		}
		o, err := ss.store.ObjectiveOfKR(ctx, ss.ws.ID, r)
		if err != nil {
			return nil, err
		}
		f = ss.krForm(o, *o.KeyResult(r))
	case FormEditKPI:
		k, err := ss.store.KPI(ctx, ss.ws.ID, state)
		if err != nil {
			return nil, err
		}
		f = ss.kpiForm(k)
	default:
		return nil, domain.Invalid("/okr help", "That form is no longer valid.")
	}
	f.State = state
	return f, nil
}

// kpiEdit is /kpi edit <slug> [name "…"] [unit U|none] [higher|lower]
// [target N|none] [warn N|none] [alert N|none] [every day|week|month]
// [owner @user] [--yes]; with nothing to change it opens the edit form.
func (ss *session) kpiEdit(args string) Reply {
	toks := tokenize(args)
	yes := false
	for i := 0; i < len(toks); i++ {
		if !toks[i].quoted && strings.EqualFold(toks[i].s, "--yes") {
			yes, toks = true, append(toks[:i:i], toks[i+1:]...)
			i--
		}
	}
	if len(toks) == 0 {
		return ss.fail(domain.Invalid(exKPIEdit, "Say which KPI to edit."), "")
	}
	k, err := ss.editableKPI(toks[0].s, exKPIEdit)
	if err != nil {
		return ss.fail(err, exKPIEdit)
	}
	if len(toks) == 1 {
		return Reply{Form: ss.kpiForm(k)}
	}
	n := k
	if _, err := applyKPIOptions(&n, toks[1:], exKPIEdit); err != nil {
		return ss.ask(err, exKPIEdit, func(c domain.Choice) string {
			return ss.cmd("kpi") + " edit " + replaceAmbiguous(toks, c.Text)
		})
	}
	return ss.saveKPIEdit(k, n, yes, strings.TrimSpace(args)).Reply
}

// editableKPI returns a KPI the actor may edit.
func (ss *session) editableKPI(s, example string) (domain.KPI, error) {
	slug := strings.ToLower(s)
	if err := domain.ValidateSlug(slug); err != nil {
		return domain.KPI{}, err
	}
	k, err := ss.store.KPI(ss.ctx, ss.ws.ID, slug)
	if err != nil {
		return k, err
	}
	if k.Owner != ss.actor.User && !ss.isAdmin() {
		return k, domain.Errorf(domain.EFORBIDDEN, "Only the owner of %s (%s) or a workspace admin can change it.", slug, ss.name(k.Owner))
	}
	return k, nil
}

// thresholdList says a KPI's thresholds: "target 35, warn 25, alert 15".
func thresholdList(k domain.KPI) string {
	var parts []string
	for _, t := range []struct {
		name string
		v    *float64
	}{{"target", k.Target}, {"warn", k.Warn}, {"alert", k.Alert}} {
		if t.v != nil {
			parts = append(parts, t.name+" "+domain.FormatNumber(*t.v))
		}
	}
	return strings.Join(parts, ", ")
}

// thresholdExample is a /kpi edit that puts a KPI's thresholds in the
// order its direction needs: its target and alert swapped, so that a
// change of direction reads "lower target 15 warn 25 alert 35".
func thresholdExample(cmd string, k domain.KPI) string {
	dir := "higher"
	if k.Direction == domain.LowerIsBetter {
		dir = "lower"
	}
	e := cmd + " edit " + k.Slug + " " + dir
	target, alert := k.Alert, k.Target
	if target == nil || alert == nil {
		target, alert = k.Target, k.Alert
	}
	for _, t := range []struct {
		name string
		v    *float64
	}{{"target", target}, {"warn", k.Warn}, {"alert", alert}} {
		if t.v != nil {
			e += " " + t.name + " " + domain.FormatNumber(*t.v)
		}
	}
	return e
}

// saveKPIEdit checks and stores an edited KPI. A unit change relabels the
// values recorded so far, so it is confirmed first; it is refused while key
// results follow the KPI in the old unit.
func (ss *session) saveKPIEdit(k, n domain.KPI, yes bool, args string) submitted {
	n.Name = strings.TrimSpace(n.Name)
	if err := n.Validate(); err != nil {
		if e, ok := err.(*domain.Error); ok && strings.Contains(e.Example, "/kpi create") {
			// The check is create's; the example must be this edit's, with
			// thresholds in the order the direction needs.
			return submitted{ss.fail(domain.Invalid(thresholdExample(ss.cmd("kpi"), n), "%s; %s has %s: give them in that order with the change.", strings.TrimSuffix(e.Message, "."), n.Slug, thresholdList(n)), ""), true}
		}
		return submitted{ss.fail(err, exKPIEdit), true}
	}
	if n.Owner != k.Owner {
		if err := ss.person(n.Owner, exKPIEdit+" owner @ada"); err != nil {
			return submitted{ss.fail(err, ""), true}
		}
	}
	changes := kpiChanges(ss, k, n)
	if len(changes) == 0 {
		return submitted{Reply{Message: Lines("Nothing changed", Text{}.Add("Nothing to change: ").AddCode(k.Slug).Add(" is as you describe it already."))}, false}
	}
	if !domain.SameUnit(k.Unit, n.Unit) {
		if linked := ss.followers(k.Slug); len(linked) > 0 {
			return submitted{ss.fail(domain.Invalid(ss.cmd("okr")+" kr edit "+linked[0]+" --kpi none",
				"Key results follow %s in %s (%s); change their unit with it, or unlink them first.", k.Slug, orNoUnit(k.Unit), strings.Join(linked, ", ")), ""), true}
		}
		if vals, err := ss.store.KPIValues(ss.ctx, ss.ws.ID, k.Slug, 1); err == nil && len(vals) > 0 && !yes {
			cmd := ss.cmd("kpi") + " edit " + args + " --yes"
			return submitted{Reply{Message: &Message{Summary: "Change the unit of " + k.Slug + "?", Sections: []Section{{
				Lines: []Text{Text{}.AddCode(k.Slug).Add(fmt.Sprintf(" has values recorded in %s. They keep their numbers, which will then read as %s. Change the unit?", orNoUnit(k.Unit), orNoUnit(n.Unit)))},
				Buttons: []Button{
					{Label: "Change the unit", Action: ActionConfirm, Value: "kpi edit " + args, Style: Danger, Command: cmd},
					{Label: "Cancel", Action: ActionCancel, Value: k.Slug},
				},
			}}}}, false}
		}
	}
	if err := ss.store.EditKPI(ss.ctx, n, changes); err != nil {
		return submitted{ss.fail(err, exKPIEdit), true}
	}
	m := ss.changedMessage(k.Slug, changes, nil)
	m.Sections[0].Note = T("Now: " + describeKPI(n))
	return submitted{Reply{Message: m}, false}
}

// followers lists the key results of active objectives that follow a KPI.
func (ss *session) followers(slug string) []string {
	os, err := ss.store.Objectives(ss.ctx, ss.ws.ID, domain.ObjectiveFilter{KPI: slug, Statuses: []domain.ObjectiveStatus{domain.Active}})
	if err != nil {
		return nil
	}
	var out []string
	for _, o := range os {
		for _, kr := range o.KeyResults {
			if kr.KPI == slug {
				out = append(out, kr.Ref)
			}
		}
	}
	return out
}

func kpiChanges(ss *session, a, b domain.KPI) []domain.Change {
	var out []domain.Change
	add := func(field, from, to string) {
		if from != to {
			out = append(out, ss.change(a.Slug, field, from, to))
		}
	}
	num := func(p *float64, unit string) string {
		if p == nil {
			return "none"
		}
		return domain.FormatValue(*p, unit)
	}
	add("name", a.Name, b.Name)
	add("unit", orNone(a.Unit), orNone(b.Unit))
	add("direction", string(a.Direction)+" is better", string(b.Direction)+" is better")
	add("target", num(a.Target, a.Unit), num(b.Target, b.Unit))
	add("warn", num(a.Warn, a.Unit), num(b.Warn, b.Unit))
	add("alert", num(a.Alert, a.Unit), num(b.Alert, b.Unit))
	add("cadence", "every "+string(a.Cadence), "every "+string(b.Cadence))
	add("owner", a.Owner, b.Owner)
	add("archived", map[bool]string{true: "yes", false: "no"}[a.Archived], map[bool]string{true: "yes", false: "no"}[b.Archived])
	return out
}

// kpiForm is /kpi edit <slug> with nothing to change.
func (ss *session) kpiForm(k domain.KPI) *Form {
	num := func(p *float64) string {
		if p == nil {
			return ""
		}
		return domain.FormatNumber(*p)
	}
	return &Form{
		ID: FormEditKPI, Title: "Edit KPI " + clip(k.Slug, 14), Submit: "Save", State: k.Slug,
		OpenAction: ActionEdit, OpenValue: "kpi:" + k.Slug,
		Intro: Text{}.Add("Its values are kept whatever you change; the history keeps what it was."),
		Sections: []FormSection{{Inputs: []Input{
			{ID: "name", Label: "Name", Kind: TextInput, Initial: k.Name, MaxLength: domain.MaxNameLen},
			{ID: "unit", Label: "Unit (optional)", Kind: TextInput, Initial: k.Unit, Optional: true, MaxLength: domain.MaxUnitLen},
			{ID: "direction", Label: "Which way is better", Kind: Select, Initial: string(k.Direction), Options: []Option{{"higher", "Higher is better"}, {"lower", "Lower is better"}}},
			{ID: "target", Label: "Target (optional)", Kind: TextInput, Initial: num(k.Target), Optional: true, MaxLength: 30},
			{ID: "warn", Label: "Warn at (optional)", Kind: TextInput, Initial: num(k.Warn), Optional: true, MaxLength: 30},
			{ID: "alert", Label: "Alert at (optional)", Kind: TextInput, Initial: num(k.Alert), Optional: true, MaxLength: 30},
			{ID: "cadence", Label: "Measured every", Kind: Select, Initial: string(k.Cadence), Options: []Option{{"day", "Day"}, {"week", "Week"}, {"month", "Month"}}},
			{ID: "owner", Label: "Owner", Kind: UserSelect, Initial: k.Owner},
		}}},
	}
}

func (ss *session) submitKPIEdit(sub Submission) submitted {
	k, err := ss.editableKPI(sub.State, exKPIEdit)
	if err != nil {
		return submitted{ss.fail(err, ""), true}
	}
	v := sub.Values
	n := k
	errs := map[string]string{}
	if x, ok := v["name"]; ok {
		n.Name = strings.TrimSpace(x)
	}
	if x, ok := v["unit"]; ok {
		n.Unit = strings.TrimSpace(x)
	}
	if x, ok := v["direction"]; ok {
		n.Direction = domain.Direction(x)
	}
	if x, ok := v["cadence"]; ok {
		n.Cadence = domain.Cadence(x)
	}
	for id, dst := range map[string]**float64{"target": &n.Target, "warn": &n.Warn, "alert": &n.Alert} {
		x, ok := v[id]
		if !ok {
			continue
		}
		if x = strings.TrimSpace(x); x == "" {
			*dst = nil
			continue
		}
		a, err := domain.ParseAmount(x)
		if err == nil {
			var f float64
			if f, err = a.In(n.Unit); err == nil {
				*dst = &f
			}
		}
		if err != nil {
			errs[id] = domain.ErrorMessage(err)
		}
	}
	if x, ok := v["owner"]; ok && strings.TrimSpace(x) != "" {
		id, _, ok := parseUser(asUser(x))
		if !ok {
			errs["owner"] = fmt.Sprintf("%q is not a person.", clip(x, 30))
		} else {
			n.Owner = id
		}
	}
	if err := n.Validate(); err != nil && len(errs) == 0 {
		field := "name"
		msg := domain.ErrorMessage(err)
		for _, f := range []string{"unit", "target", "warn", "alert", "cadence", "direction"} {
			if strings.Contains(strings.ToLower(msg), f) {
				field = f
				break
			}
		}
		errs[field] = msg
	}
	if len(errs) > 0 {
		return submitted{Reply: Reply{Code: domain.EINVALID, Errors: errs}}
	}
	if !domain.SameUnit(k.Unit, n.Unit) {
		if vals, err := ss.store.KPIValues(ss.ctx, ss.ws.ID, k.Slug, 1); err == nil && len(vals) > 0 {
			return submitted{Reply: Reply{Code: domain.EINVALID, Errors: map[string]string{"unit": fmt.Sprintf(
				"%s has values recorded in %s; they would read as %s. To relabel them, type %s edit %s unit %q --yes",
				k.Slug, orNoUnit(k.Unit), orNoUnit(n.Unit), ss.cmd("kpi"), k.Slug, n.Unit)}}}
		}
	}
	return ss.saveKPIEdit(k, n, true, k.Slug)
}

// kpiArchive is /kpi archive <slug> and /kpi unarchive <slug>. An archived
// KPI keeps its values and history, takes no new values, sends no alerts
// and leaves lists and digests. A KPI that active key results follow stays:
// they would stop moving without a word.
func (ss *session) kpiArchive(args string, archive bool) Reply {
	toks := tokenize(args)
	ex := exKPIArchive
	if !archive {
		ex = "/kpi unarchive web-leads"
	}
	if len(toks) != 1 {
		return ss.fail(domain.Invalid(ex, "Say which KPI."), "")
	}
	k, err := ss.editableKPI(toks[0].s, ex)
	if err != nil {
		return ss.fail(err, ex)
	}
	if k.Archived == archive {
		state := map[bool]string{true: "archived", false: "not archived"}[archive]
		return Reply{Message: Lines("Nothing changed", Text{}.AddCode(k.Slug).Add(" is "+state+" already."))}
	}
	if archive {
		if linked := ss.followers(k.Slug); len(linked) > 0 {
			return ss.fail(domain.Invalid(ss.cmd("okr")+" kr edit "+linked[0]+" --kpi none",
				"Key results follow %s (%s); unlink them or close their objectives first.", k.Slug, strings.Join(linked, ", ")), "")
		}
	}
	n := k
	n.Archived = archive
	if err := ss.store.EditKPI(ss.ctx, n, kpiChanges(ss, k, n)); err != nil {
		return ss.fail(err, ex)
	}
	if archive {
		return Reply{Message: Lines("Archived "+k.Slug, Text{}.Add("Archived ").AddCode(k.Slug).Add(" "+k.Name+". Its values are kept; it takes no new ones and sends no alerts. ").AddCode(ss.cmd("kpi")+" unarchive "+k.Slug).Add(" restores it."))}
	}
	return Reply{Message: Lines("Restored "+k.Slug, Text{}.Add("Restored ").AddCode(k.Slug).Add(" "+k.Name+"; it takes values and alerts again."))}
}

// replaceAmbiguous writes the words of a command back with the first
// number that was asked about replaced by the reading chosen.
func replaceAmbiguous(toks []token, with string) string {
	parts := make([]string, len(toks))
	done := false
	for i, t := range toks {
		parts[i] = t.raw
		if _, err := domain.ParseAmount(t.s); !done && !t.quoted && domain.ErrorCode(err) == domain.EAMBIGUOUS {
			parts[i], done = with, true
		}
	}
	return strings.Join(parts, " ")
}

// maxHistoryShown is how many changes /okr show and /kpi show list.
const maxHistoryShown = 10

// historySection lists the latest changes, newest last; only those of ref
// when it is set. nil when there are none.
func (ss *session) historySection(h []domain.Change, ref string) *Section {
	var cs []domain.Change
	for _, c := range h {
		if ref == "" || c.Ref == ref {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		return nil
	}
	sec := &Section{Heading: B("Changes")}
	from := max(0, len(cs)-maxHistoryShown)
	for _, c := range cs[from:] {
		sec.Lines = append(sec.Lines, ss.changeLine(c, true))
	}
	if from > 0 {
		sec.Note = T(fmt.Sprintf("and %d earlier", from))
	}
	return sec
}
