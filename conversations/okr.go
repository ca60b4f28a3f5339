package conversations

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// Command runs one "/okr …" or "/kpi …" command for the actor. cmd is "okr"
// or "kpi", args the rest of the line. Every failure is a Reply with a
// one-line explanation and an example, visible only to the actor; a command
// that fails changes nothing.
func (s *Service) Command(ctx context.Context, a Actor, cmd, args string) Reply {
	r := s.command(ctx, a, cmd, args)
	s.observe(strings.ToLower(cmd), r)
	return r
}

func (s *Service) command(ctx context.Context, a Actor, cmd, args string) Reply {
	ss, err := s.begin(ctx, a)
	if err != nil {
		return s.fail(ctx, a, err, "")
	}
	switch strings.ToLower(cmd) {
	case "okr":
		return ss.okr(args)
	case "kpi":
		return ss.kpi(args)
	}
	return ss.fail(domain.Invalid("/okr help", "Unknown command %q; okrbot knows /okr and /kpi.", clip(cmd, 20)), "")
}

// Usage examples, one per command; errors show the one of the failing command.
const (
	exCreate   = `/okr create Grow the European market --aspirational --cycle 2026-Q4`
	exKRAdd    = `/okr kr add O-3 Increase web leads from 22 to 35 per day --kpi web-leads`
	exList     = `/okr list mine --cycle 2026-Q4`
	exShow     = `/okr show O-3`
	exUpdate   = `/okr update KR-7 28 confidence 7 two big deals closed`
	exAlign    = `/okr align O-5 to O-1`
	exGrade    = `/okr grade O-3 0.7 two of three markets opened`
	exDelete   = `/okr delete KR-7`
	exAway     = `/okr away until 2026-12-01`
	exDigest   = `/okr digest subscribe #leadership --company`
	exSettings = `/okr settings checkin friday 15:00 timezone Europe/Paris`
)

func (ss *session) okr(args string) Reply {
	verb, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(verb) {
	case "", "help":
		return ss.help()
	case "create", "new":
		return ss.create(rest)
	case "kr":
		sub, krest, _ := strings.Cut(rest, " ")
		if strings.ToLower(sub) != "add" {
			return ss.fail(domain.Invalid(exKRAdd, "Use /okr kr add to add a key result."), "")
		}
		return ss.addKR(strings.TrimSpace(krest))
	case "list", "ls":
		return ss.list(rest)
	case "show":
		return ss.show(rest)
	case "update":
		return ss.update(rest)
	case "checkin", "check-in":
		return ss.openCheckIn()
	case "align":
		return ss.align(rest)
	case "grade":
		return ss.grade(rest)
	case "delete", "remove":
		return ss.delete(rest)
	case "away":
		return ss.away(rest)
	case "back":
		return ss.back()
	case "digest":
		return ss.digest(rest)
	case "settings":
		return ss.settings(rest)
	case "initiative", "initiatives":
		return ss.initiative(rest)
	}
	return ss.fail(domain.Invalid("/okr help", "Unknown command /okr %s; see the list of commands.", clip(verb, 30)), "")
}

func (ss *session) help() Reply {
	c := ss.cmd("okr")
	k := ss.cmd("kpi")
	line := func(example, what string) Text { return Text{}.AddCode(example).Add("  " + what) }
	m := &Message{
		Summary: "okrbot commands",
		Title:   "okrbot: OKRs and KPIs where you talk",
		Sections: []Section{
			{Heading: B("Objectives and key results"), Lines: []Text{
				line(c+" create Grow the European market --aspirational", "create an objective (no title: a form)"),
				line(c+" kr add O-3 Increase web leads from 22 to 35 per day", "add a key result, written as you say it"),
				line(c+" kr add O-3 Keep churn below 2% --kpi churn --owner @ada", "…linked to a KPI, owned by someone else"),
				line(c+" list [mine | @user | #channel | all] [--cycle 2026-Q4]", "list objectives"),
				line(c+" show O-3", "an objective or key result in detail"),
				line(c+" align O-5 to O-1", "align an objective to a parent objective or key result"),
				line(c+" grade O-3 0.7 two of three markets", "grade and close an objective"),
				line(c+" delete KR-7", "delete (asks to confirm)"),
				line(c+" initiative add KR-7 Run a webinar series", "plan the work that moves a key result"),
				line(c+" initiative done I-4", "mark an initiative done;  "+c+" initiative list [KR-7]  lists them"),
			}},
			{Heading: B("Every week"), Lines: []Text{
				line(c+" checkin", "this week's check-in form"),
				line(c+" update KR-7 28 confidence 7 good week", "check in on one key result (or: done)"),
				line(c+" away until 2026-12-01", "pause prompts;  "+c+" back  resumes them"),
				line(c+" digest preview", "see the weekly digest now"),
				line(c+" digest subscribe #leadership --company", "send the digest to a channel every week"),
				line(c+" settings checkin friday 15:00 timezone Europe/Paris", "change the rhythm (admins)"),
				line(c+" settings api-token create nightly-etl", "a token for the HTTP API (admins; also list, revoke)"),
			}},
			{Heading: B("KPIs"), Lines: []Text{
				line(k+` create web-leads "Web leads" unit /day higher target 35 warn 25 alert 15 every day`, "define a KPI"),
				line(k+" set web-leads 28", "record a value (also: on 2026-11-20, and a note)"),
				line(k+" source web-leads https://stats.example.com/leads.json json data.today", "fetch its value every period (also: prometheus <url> <query>, off)"),
				line(k+" show web-leads", "a KPI with its history"),
				line(k+" list", "every KPI, red first"),
			}},
		},
	}
	return Reply{Message: m}
}

// create makes an objective, or opens the creation form when there is no title.
func (ss *session) create(args string) Reply {
	p, err := parseArgs(args, flagSpec{"committed": false, "aspirational": false, "cycle": true, "parent": true, "team": true}, exCreate)
	if err != nil {
		return ss.fail(err, exCreate)
	}
	if len(p.words) == 0 {
		return Reply{Form: ss.createForm()}
	}
	o, err := ss.newObjective(p.text(0), p.has("aspirational"), p.has("committed"), p.flags["cycle"], p.flags["parent"], p.flags["team"])
	if err != nil {
		return ss.fail(err, exCreate)
	}
	if err := ss.store.CreateObjective(ss.ctx, &o); err != nil {
		return ss.fail(err, exCreate)
	}
	return ss.created(o)
}

// newObjective validates what a person gave for a new objective and returns
// it with a fresh ref. Nothing is stored.
func (ss *session) newObjective(title string, aspirational, committed bool, cycle, parent, team string) (domain.Objective, error) {
	o := domain.Objective{
		WorkspaceID: ss.ws.ID, Title: title, Owner: ss.actor.User, Team: ss.actor.Channel,
		Commitment: domain.Committed, Status: domain.Active, CreatedBy: ss.actor.User,
		Cycle: domain.CycleOf(ss.now, ss.wsLoc),
	}
	if aspirational && committed {
		return o, domain.Invalid(exCreate, "An objective is either --committed or --aspirational, not both.")
	}
	if aspirational {
		o.Commitment = domain.Aspirational
	}
	if cycle != "" {
		c, err := domain.ParseCycle(cycle)
		if err != nil {
			return o, err
		}
		o.Cycle = c
	}
	if team != "" {
		id, _, ok := parseChannel(team)
		if !ok {
			return o, domain.Invalid(exCreate+" --team #growth", "%q is not a channel; use --team #channel.", clip(team, 30))
		}
		o.Team = id
	}
	if parent != "" {
		r, err := ss.parentRef(parent)
		if err != nil {
			return o, err
		}
		o.Parent = r
	}
	if err := o.Validate(); err != nil {
		return o, err
	}
	ref, err := ss.store.NextRef(ss.ctx, ss.ws.ID, "O")
	if err != nil {
		return o, err
	}
	o.Ref = ref
	return o, nil
}

// parentRef checks that a parent ref names an existing objective or key result.
func (ss *session) parentRef(s string) (string, error) {
	kind, r, err := ref(s, "", exAlign)
	if err != nil {
		return "", err
	}
	if kind == "O" {
		_, err = ss.store.Objective(ss.ctx, ss.ws.ID, r)
	} else {
		_, err = ss.store.ObjectiveOfKR(ss.ctx, ss.ws.ID, r)
	}
	return r, err
}

func (ss *session) created(o domain.Objective) Reply {
	c := ss.cmd("okr")
	m := &Message{
		Summary: fmt.Sprintf("Created %s %s", o.Ref, o.Title),
		Sections: []Section{
			{Lines: []Text{Text{}.Add("Created ").AddCode(o.Ref).Add(" ").AddB(o.Title)},
				Note: T(fmt.Sprintf("%s · %s · owner ", o.Cycle, o.Commitment)).AddUser(o.Owner, ss.name(o.Owner))},
			{Lines: []Text{Text{}.Add("Add 2–5 key results: ").AddCode(c + " kr add " + o.Ref + " Increase web leads from 22 to 35 per day")}},
		},
	}
	r := Reply{Message: m}
	if ss.actor.Channel != "" {
		r.Announce = &Message{
			Summary: fmt.Sprintf("New objective %s %s", o.Ref, o.Title),
			Sections: []Section{{Lines: []Text{Text{}.AddUser(o.Owner, ss.name(o.Owner)).Add(" set a new objective for " + string(o.Cycle) + ": ").
				AddCode(o.Ref).Add(" ").AddB(o.Title)}}},
		}
	}
	return r
}

// addKR parses a key result's text and adds it to an objective.
func (ss *session) addKR(args string) Reply {
	p, err := parseArgs(args, flagSpec{"owner": true, "weight": true, "kpi": true}, exKRAdd)
	if err != nil {
		return ss.fail(err, exKRAdd)
	}
	_, oref, err := ref(p.word(0), "O", exKRAdd)
	if err != nil {
		return ss.fail(err, exKRAdd)
	}
	if len(p.words) < 2 {
		return ss.fail(domain.Invalid(exKRAdd, "Say what the key result is after %s.", oref), "")
	}
	o, err := ss.store.Objective(ss.ctx, ss.ws.ID, oref)
	if err != nil {
		return ss.fail(err, exKRAdd)
	}
	if err := ss.mayChange(o, "add key results to"); err != nil {
		return ss.fail(err, "")
	}
	kr, err := ss.newKR(p.text(1), p.flags["owner"], p.flags["weight"], p.flags["kpi"])
	if err != nil {
		return ss.fail(err, exKRAdd)
	}
	o, err = ss.store.ModifyObjective(ss.ctx, ss.ws.ID, oref, func(o *domain.Objective) error {
		if o.Status == domain.Closed {
			return domain.Invalid(exKRAdd, "%s is closed (graded); it takes no new key results.", o.Ref)
		}
		o.KeyResults = append(o.KeyResults, kr)
		return o.Validate()
	})
	if err != nil {
		return ss.fail(err, exKRAdd)
	}
	line := Text{}.Add("Added ").AddCode(kr.Ref).Add(" to ").AddCode(o.Ref).Add(": ").AddB(kr.Title)
	return Reply{Message: &Message{
		Summary:  fmt.Sprintf("Added %s to %s", kr.Ref, o.Ref),
		Sections: []Section{{Lines: []Text{line}, Note: T(describeKR(kr)).Add(" · owner ").AddUser(kr.Owner, ss.name(kr.Owner))}},
	}}
}

// newKR builds a key result from its text and options. Nothing is stored
// except the ref it claims.
func (ss *session) newKR(text, owner, weight, kpi string) (domain.KeyResult, error) {
	pk, err := domain.ParseKeyResult(text)
	if err != nil {
		return domain.KeyResult{}, err
	}
	kr := domain.KeyResult{
		Title: pk.Title, Kind: pk.Kind, Start: pk.Start, Target: pk.Target, Unit: pk.Unit,
		Weight: 1, Owner: ss.actor.User, UpdatedAt: ss.now, CreatedAt: ss.now,
	}
	if owner != "" {
		// The label of "<@U0002|label>" is ignored: it is whatever the
		// typist's client sent; the name comes from the platform.
		id, _, ok := parseUser(owner)
		if !ok {
			return kr, domain.Invalid(exKRAdd+" --owner @ada", "%q is not a person; use --owner @name.", clip(owner, 30))
		}
		if err := ss.person(id, exKRAdd+" --owner @ada"); err != nil {
			return kr, err
		}
		kr.Owner = id
	}
	if weight != "" {
		w, _, err := domain.ParseValue(weight)
		if err != nil {
			return kr, domain.Invalid("--weight 2", "The weight %q is not a number.", clip(weight, 20))
		}
		if err := domain.ValidateWeight(w); err != nil {
			return kr, err
		}
		kr.Weight = w
	}
	var latest *domain.KPIValue
	if kpi != "" {
		slug := strings.ToLower(kpi)
		if err := domain.ValidateSlug(slug); err != nil {
			return kr, err
		}
		k, err := ss.store.KPI(ss.ctx, ss.ws.ID, slug)
		if err != nil {
			return kr, err
		}
		if kr.Kind == domain.Milestone {
			return kr, domain.Invalid("/okr kr add O-3 Reach NPS 60 --kpi nps", "A milestone cannot follow a KPI; give a number to reach, e.g. Reach NPS 60.")
		}
		kr.KPI, latest = slug, k.Latest
		if kr.Unit == "" {
			kr.Unit = k.Unit
		}
	}
	if !pk.HasStart {
		switch {
		case latest != nil:
			kr.Start = latest.Value
		case kr.Kind == domain.Decrease:
			return kr, domain.Invalid("Reduce response time from 12h to 4h", "Say where it starts (from … to …), or link a KPI with --kpi.")
		}
	}
	kr.Current = kr.Start
	if latest != nil {
		kr.Current, kr.Measured = latest.Value, true
	}
	if err := kr.Validate(); err != nil {
		return kr, err
	}
	kr.Ref, err = ss.store.NextRef(ss.ctx, ss.ws.ID, "KR")
	return kr, err
}

// describeKR says in words what a key result measures.
func describeKR(kr domain.KeyResult) string {
	v := func(x float64) string { return domain.FormatValue(x, kr.Unit) }
	switch kr.Kind {
	case domain.Increase, domain.Decrease, domain.Reach:
		s := fmt.Sprintf("%s from %s to %s, now %s", kr.Kind, v(kr.Start), v(kr.Target), v(kr.Current))
		if kr.KPI != "" {
			s += " (follows KPI " + kr.KPI + ")"
		}
		return s
	case domain.StayAbove:
		return fmt.Sprintf("stay above %s, now %s", v(kr.Target), currentOrNone(kr))
	case domain.StayBelow:
		return fmt.Sprintf("stay below %s, now %s", v(kr.Target), currentOrNone(kr))
	}
	if kr.Done {
		return "milestone, done"
	}
	return "milestone, not done yet"
}

func currentOrNone(kr domain.KeyResult) string {
	if !kr.Measured && (kr.Kind == domain.StayAbove || kr.Kind == domain.StayBelow) {
		return "not measured yet"
	}
	return domain.FormatValue(kr.Current, kr.Unit)
}

// update is a quick check-in on one key result: value or done, confidence, note.
func (ss *session) update(args string) Reply {
	toks := tokenize(args)
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
	in := checkInInput{kr: *kr, objective: o.Ref}
	i := 1
	if i+1 < len(toks) && strings.EqualFold(toks[i].s, "not") && strings.EqualFold(toks[i+1].s, "done") {
		in.value = "not done"
		i += 2
	} else if i < len(toks) && !strings.EqualFold(toks[i].s, "confidence") {
		in.value = toks[i].s
		i++
	}
	if i < len(toks) && strings.EqualFold(toks[i].s, "confidence") {
		if i+1 >= len(toks) {
			return ss.fail(domain.Invalid(exUpdate, "Give the confidence after the word confidence, from 1 to 10."), "")
		}
		in.confidence = toks[i+1].s
		i += 2
	}
	var note []string
	for _, t := range toks[i:] {
		note = append(note, t.s)
	}
	in.note = strings.Join(note, " ")
	if in.value == "" && in.confidence == "" {
		return ss.fail(domain.Invalid(exUpdate, "Give a value (or done) and a confidence."), "")
	}
	c, errs := ss.readCheckIn(in, ss.week())
	for _, e := range errs {
		return ss.fail(e, exUpdate)
	}
	if err := ss.saveCheckIns([]domain.CheckIn{c}, domain.WeekNote{}); err != nil {
		return ss.fail(err, exUpdate)
	}
	if o, err = ss.store.ObjectiveOfKR(ss.ctx, ss.ws.ID, krRef); err != nil {
		return ss.fail(err, exUpdate) // deleted meanwhile
	}
	kr = o.KeyResult(krRef)
	line := Text{}.Add("Updated ").AddCode(krRef).Add(" ").AddBar(kr.Progress(), -1).Add(fmt.Sprintf(" %d%%", pct(kr.Progress())))
	return Reply{Message: &Message{
		Summary:  "Updated " + krRef,
		Sections: []Section{{Lines: []Text{line}, Note: T(describeKR(*kr) + fmt.Sprintf(" · confidence %d/10 · week %s", c.Confidence, c.Week))}},
	}}
}

// mayCheckIn: the key result's owner checks in; the objective's owner and
// admins may too.
func (ss *session) mayCheckIn(o domain.Objective, kr domain.KeyResult) error {
	if kr.Owner == ss.actor.User || o.Owner == ss.actor.User || ss.isAdmin() {
		if o.Status == domain.Closed {
			return domain.Invalid(exUpdate, "%s is closed; its key results take no more check-ins.", o.Ref)
		}
		return nil
	}
	return domain.Errorf(domain.EFORBIDDEN, "%s belongs to %s; only they (or the objective's owner) can check in on it.", kr.Ref, ss.name(kr.Owner))
}

// align sets an objective's parent.
func (ss *session) align(args string) Reply {
	toks := tokenize(args)
	if len(toks) != 3 || !strings.EqualFold(toks[1].s, "to") {
		return ss.fail(domain.Invalid(exAlign, "Say which objective aligns to which: <O-n> to <O-m | KR-m>."), "")
	}
	_, child, err := ref(toks[0].s, "O", exAlign)
	if err != nil {
		return ss.fail(err, exAlign)
	}
	parent, err := ss.parentRef(toks[2].s)
	if err != nil {
		return ss.fail(err, exAlign)
	}
	o, err := ss.store.Objective(ss.ctx, ss.ws.ID, child)
	if err != nil {
		return ss.fail(err, exAlign)
	}
	if err := ss.mayChange(o, "align"); err != nil {
		return ss.fail(err, "")
	}
	if err := ss.checkNoCycle(child, parent); err != nil {
		return ss.fail(err, exAlign)
	}
	o, err = ss.store.ModifyObjective(ss.ctx, ss.ws.ID, child, func(o *domain.Objective) error {
		o.Parent = parent
		return nil
	})
	if err != nil {
		return ss.fail(err, exAlign)
	}
	return Reply{Message: Lines("Aligned "+child+" to "+parent, Text{}.Add("Aligned ").AddCode(child).Add(" ").AddB(o.Title).Add(" to ").AddCode(parent).Add("."))}
}

// checkNoCycle refuses an alignment that would make an objective its own ancestor.
func (ss *session) checkNoCycle(child, parent string) error {
	seen := map[string]bool{}
	for cur := parent; cur != "" && len(seen) < 100; {
		var o domain.Objective
		var err error
		if strings.HasPrefix(cur, "KR-") {
			o, err = ss.store.ObjectiveOfKR(ss.ctx, ss.ws.ID, cur)
		} else {
			o, err = ss.store.Objective(ss.ctx, ss.ws.ID, cur)
		}
		if err != nil {
			return nil
		}
		if o.Ref == child {
			return domain.Invalid(exAlign, "%s cannot align to %s: that would make it its own parent.", child, parent)
		}
		if seen[o.Ref] {
			return nil
		}
		seen[o.Ref] = true
		cur = o.Parent
	}
	return nil
}

// grade closes an objective with a grade (its progress when none is given).
func (ss *session) grade(args string) Reply {
	toks := tokenize(args)
	if len(toks) == 0 {
		return ss.fail(domain.Invalid(exGrade, "Say which objective to grade."), "")
	}
	_, oref, err := ref(toks[0].s, "O", exGrade)
	if err != nil {
		return ss.fail(err, exGrade)
	}
	o, err := ss.store.Objective(ss.ctx, ss.ws.ID, oref)
	if err != nil {
		return ss.fail(err, exGrade)
	}
	if err := ss.mayChange(o, "grade"); err != nil {
		return ss.fail(err, "")
	}
	g := domain.DefaultGrade(o)
	noteFrom := 1
	if len(toks) > 1 {
		v, err := strconv.ParseFloat(strings.TrimSuffix(toks[1].s, "%"), 64)
		if err != nil {
			return ss.fail(domain.Invalid(exGrade, "The grade %q is not a number from 0.0 to 1.0.", clip(toks[1].s, 20)), "")
		}
		if strings.HasSuffix(toks[1].s, "%") {
			v /= 100
		}
		if err := domain.ValidateGrade(v); err != nil {
			return ss.fail(err, exGrade)
		}
		g, noteFrom = v, 2
	}
	var words []string
	for _, t := range toks[min(noteFrom, len(toks)):] {
		words = append(words, t.s)
	}
	note := strings.Join(words, " ")
	if err := domain.ValidateText("note", note, domain.MaxNoteLen, false); err != nil {
		return ss.fail(err, exGrade)
	}
	o, err = ss.store.ModifyObjective(ss.ctx, ss.ws.ID, oref, func(o *domain.Objective) error {
		o.Grade, o.GradeNote, o.Status = &g, note, domain.Closed
		return nil
	})
	if err != nil {
		return ss.fail(err, exGrade)
	}
	verdict := "falls short of"
	if domain.Succeeded(o.Commitment, g) {
		verdict = "meets"
	}
	line := Text{}.Add("Graded ").AddCode(o.Ref).Add(" ").AddB(o.Title).Add(fmt.Sprintf(": %.2f. That %s the %.1f expected of %s objective. It is now closed.", g, verdict, o.Commitment.Expected(), article(string(o.Commitment))))
	r := Reply{Message: Lines(fmt.Sprintf("Graded %s %.2f", o.Ref, g), line)}
	if note != "" {
		r.Message.Sections[0].Note = T("Note: " + note)
	}
	return r
}

// delete asks for confirmation, then deletes an objective or a key result.
func (ss *session) delete(args string) Reply {
	p, err := parseArgs(args, flagSpec{"yes": false}, exDelete)
	if err != nil {
		return ss.fail(err, exDelete)
	}
	if len(p.words) != 1 {
		return ss.fail(domain.Invalid(exDelete, "Say which objective or key result to delete."), "")
	}
	_, r, err := ref(p.word(0), "", exDelete)
	if err != nil {
		return ss.fail(err, exDelete)
	}
	if !p.has("yes") {
		return ss.confirmDelete(r)
	}
	return ss.deleteRef(r)
}

func (ss *session) target(r string) (domain.Objective, string, error) {
	if strings.HasPrefix(r, "KR-") {
		o, err := ss.store.ObjectiveOfKR(ss.ctx, ss.ws.ID, r)
		if err != nil {
			return o, "", err
		}
		return o, o.KeyResult(r).Title, nil
	}
	o, err := ss.store.Objective(ss.ctx, ss.ws.ID, r)
	return o, o.Title, err
}

func (ss *session) confirmDelete(r string) Reply {
	o, title, err := ss.target(r)
	if err != nil {
		return ss.fail(err, exDelete)
	}
	if err := ss.mayChange(o, "delete"); err != nil {
		return ss.fail(err, "")
	}
	what := "its check-ins"
	if r == o.Ref {
		what = fmt.Sprintf("its %d key results and their check-ins", len(o.KeyResults))
	}
	cmd := ss.cmd("okr") + " delete " + r + " --yes"
	return Reply{Message: &Message{
		Summary: "Delete " + r + "?",
		Sections: []Section{{
			Lines: []Text{Text{}.Add("Delete ").AddCode(r).Add(" ").AddB(title).Add(" with " + what + "? This cannot be undone.")},
			Buttons: []Button{
				{Label: "Delete " + r, Action: ActionDeleteConfirm, Value: r, Style: Danger, Command: cmd},
				{Label: "Cancel", Action: ActionDeleteCancel, Value: r},
			},
		}},
	}}
}

func (ss *session) deleteRef(r string) Reply {
	o, title, err := ss.target(r)
	if err != nil {
		return ss.fail(err, exDelete)
	}
	if err := ss.mayChange(o, "delete"); err != nil {
		return ss.fail(err, "")
	}
	if r == o.Ref {
		err = ss.store.DeleteObjective(ss.ctx, ss.ws.ID, r)
	} else {
		_, err = ss.store.DeleteKeyResult(ss.ctx, ss.ws.ID, r)
	}
	if err != nil {
		return ss.fail(err, exDelete)
	}
	return Reply{Message: Lines("Deleted "+r, Text{}.Add("Deleted ").AddCode(r).Add(" ").AddB(title).Add("."))}
}

// Action runs a button press.
func (s *Service) Action(ctx context.Context, a Actor, action, value string) Reply {
	r := s.action(ctx, a, action, value)
	s.observe("action", r)
	return r
}

func (s *Service) action(ctx context.Context, a Actor, action, value string) Reply {
	ss, err := s.begin(ctx, a)
	if err != nil {
		return s.fail(ctx, a, err, "")
	}
	switch action {
	case ActionCheckIn:
		return ss.openCheckIn()
	case ActionCreate:
		return Reply{Form: ss.createForm()}
	case ActionDeleteConfirm:
		if _, r, err := ref(value, "", exDelete); err == nil {
			return ss.deleteRef(r)
		}
	case ActionDeleteCancel:
		return Reply{Message: Lines("Kept "+value, T("Nothing was deleted."))}
	}
	return ss.fail(domain.Invalid("/okr help", "That button is no longer valid."), "")
}

func (ss *session) away(args string) Reply {
	toks := tokenize(args)
	if len(toks) != 2 || !strings.EqualFold(toks[0].s, "until") {
		return ss.fail(domain.Invalid(exAway, "Say until when: away until YYYY-MM-DD."), "")
	}
	d, err := domain.ParseDate(toks[1].s, ss.loc)
	if err != nil {
		return ss.fail(err, exAway)
	}
	today := time.Date(ss.now.In(ss.loc).Year(), ss.now.In(ss.loc).Month(), ss.now.In(ss.loc).Day(), 0, 0, 0, 0, ss.loc)
	if !d.After(today) {
		return ss.fail(domain.Invalid(exAway, "%s is not in the future.", toks[1].s), "")
	}
	if d.After(today.AddDate(1, 0, 0)) {
		return ss.fail(domain.Invalid(exAway, "okrbot pauses prompts for up to a year; pick a date before %s.", today.AddDate(1, 0, 0).Format(time.DateOnly)), "")
	}
	if err := ss.store.SetAway(ss.ctx, ss.ws.ID, ss.actor.User, d); err != nil {
		return ss.fail(err, exAway)
	}
	return Reply{Message: Lines("Away until "+toks[1].s, T(fmt.Sprintf("No check-in prompts or reminders until %s. Welcome back whenever: ", d.Format("Monday 2 January 2006"))).AddCode(ss.cmd("okr")+" back"))}
}

func (ss *session) back() Reply {
	if err := ss.store.SetAway(ss.ctx, ss.ws.ID, ss.actor.User, time.Time{}); err != nil {
		return ss.fail(err, "")
	}
	return Reply{Message: Lines("Welcome back", T("Welcome back. Check-in prompts resume this week."))}
}

// article prefixes a word with "a" or "an".
func article(w string) string {
	if w != "" && strings.ContainsRune("aeiou", rune(w[0])) {
		return "an " + w
	}
	return "a " + w
}

func pct(x float64) int { return int(x*100 + 0.5) }
