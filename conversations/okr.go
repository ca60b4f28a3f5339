package conversations

import (
	"context"
	"fmt"
	"sort"
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
	return ss.run(cmd, args)
}

func (ss *session) run(cmd, args string) Reply {
	switch strings.ToLower(cmd) {
	case "okr":
		return ss.okr(args)
	case "kpi":
		return ss.kpi(args)
	}
	return ss.fail(domain.Invalid("/okr help", "Unknown command %q; okrbot knows /okr and /kpi.", clip(cmd, 20)), "")
}

// confirmable lists the commands a confirmation button may run: those that
// ask before they act.
func confirmable(cmd, args string) bool {
	verb, rest, _ := strings.Cut(strings.ToLower(strings.TrimSpace(args)), " ")
	switch {
	case cmd == "okr" && (verb == "grade" || verb == "delete" || verb == "update"):
		return true
	case cmd == "okr" && verb == "kr" && strings.HasPrefix(rest, "edit "):
		return true
	case cmd == "kpi" && (verb == "edit" || verb == "archive" || verb == "set"):
		return true
	}
	return false
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// Usage examples, one per command; errors show the one of the failing
// command. {cycle}, {date} and {yesterday} are filled in relative to today
// (see session.example), so no example ever names a date already past.
const (
	exCreate   = `/okr create Grow the European market --aspirational --cycle {cycle}`
	exKRAdd    = `/okr kr add O-3 Increase web leads from 22 to 35 per day --kpi web-leads`
	exList     = `/okr list mine --cycle {cycle}`
	exShow     = `/okr show O-3`
	exUpdate   = `/okr update KR-7 28 confidence 7 two big deals closed`
	exAlign    = `/okr align O-5 to O-1`
	exGrade    = `/okr grade O-3 0.7 two of three markets opened`
	exDelete   = `/okr delete KR-7`
	exAway     = `/okr away until {date}`
	exDigest   = `/okr digest subscribe #leadership --company`
	exSettings = `/okr settings checkin friday 15:00 timezone Europe/Paris`
	exEdit     = `/okr edit O-3 Grow the Nordic market --owner @ada`
	exKREdit   = `/okr kr edit KR-7 --target 40`
	exReopen   = `/okr reopen O-3`
)

// okrVerbs are the /okr commands, for "did you mean".
var okrVerbs = []string{"help", "create", "new", "kr", "list", "ls", "show", "update", "checkin", "check-in", "align",
	"grade", "delete", "remove", "away", "back", "digest", "settings", "edit", "reopen", "initiative", "export"}

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
		switch strings.ToLower(sub) {
		case "add", "new":
			return ss.addKR(strings.TrimSpace(krest))
		case "edit", "change":
			return ss.editKR(strings.TrimSpace(krest))
		case "delete", "remove":
			return ss.delete(strings.TrimSpace(krest))
		case "show":
			return ss.show(strings.TrimSpace(krest))
		}
		if guess := didYouMean(sub, []string{"add", "edit", "delete", "show"}); guess != "" {
			return ss.fail(domain.Invalid("/okr kr "+guess+" "+strings.TrimSpace(krest), "Unknown command /okr kr %s; did you mean /okr kr %s?", clip(sub, 20), guess), "")
		}
		return ss.fail(domain.Invalid(exKRAdd, "Use /okr kr add to add a key result, /okr kr edit to change one."), "")
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
	case "edit", "rename":
		return ss.editObjective(rest)
	case "reopen":
		return ss.reopen(rest)
	case "delete", "remove":
		return ss.delete(rest)
	case "away":
		return ss.away(rest)
	case "back":
		return ss.back()
	case "digest":
		sub, _, _ := strings.Cut(rest, " ")
		switch strings.ToLower(sub) {
		case "", "subscribe", "unsubscribe", "preview":
		default:
			if guess := didYouMean(sub, []string{"subscribe", "unsubscribe", "preview"}); guess != "" {
				return ss.fail(domain.Invalid(exDigest, "Unknown command /okr digest %s; did you mean /okr digest %s?", clip(sub, 20), guess), "")
			}
		}
		return ss.digest(rest)
	case "settings":
		return ss.settings(rest)
	case "initiative", "initiatives":
		return ss.initiative(rest)
	case "export":
		return ss.exportCommand(rest)
	}
	if guess := didYouMean(verb, okrVerbs); guess != "" {
		return ss.fail(domain.Invalid("/okr help", "Unknown command /okr %s; did you mean /okr %s?", clip(verb, 30), guess), "")
	}
	return ss.fail(domain.Invalid("/okr help", "Unknown command /okr %s; see the list of commands.", clip(verb, 30)), "")
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
	// The store gives the objective its ref in the same write, after every
	// check: a refused command uses up no ref.
	if err := ss.store.CreateObjective(ss.ctx, &o); err != nil {
		return ss.fail(err, exCreate)
	}
	return ss.created(o)
}

// newObjective validates what a person gave for a new objective. Nothing is
// stored and no ref is taken: the store hands out refs when it stores it.
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
		id, ok, err := ss.channel(team, exCreate+" --team #growth")
		if err != nil {
			return o, err
		}
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

// krFlags are the options of /okr kr add.
var krFlags = flagSpec{"owner": true, "weight": true, "kpi": true, "start": true, "target": true, "unit": true, "milestone": false}

// addKR parses a key result's text and adds it to an objective. Everything
// is checked before the first write (the ref).
func (ss *session) addKR(args string) Reply {
	p, err := parseArgs(args, krFlags, exKRAdd)
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
	if err := canTakeKR(o); err != nil {
		return ss.fail(err, exKRAdd)
	}
	text := p.text(1)
	nk, err := ss.newKR(text, krInput{owner: p.flags["owner"], weight: p.flags["weight"], kpi: p.flags["kpi"],
		start: p.flags["start"], target: p.flags["target"], unit: p.flags["unit"], unitSet: p.has("unit"), milestone: p.has("milestone")})
	if err != nil {
		return ss.ask(err, exKRAdd, func(c domain.Choice) string {
			return ss.cmd("okr") + " kr add " + oref + " " + c.Text + withOptions(p, c.Options)
		})
	}
	kr := nk.kr // the store gives it its ref in the same write
	added := 0
	o, err = ss.store.ModifyObjective(ss.ctx, ss.ws.ID, oref, func(o *domain.Objective) error {
		if err := canTakeKR(*o); err != nil {
			return err
		}
		added = len(o.KeyResults)
		o.KeyResults = append(o.KeyResults, kr)
		return o.Validate()
	})
	if err != nil {
		return ss.fail(err, exKRAdd)
	}
	kr = o.KeyResults[added]
	line := Text{}.Add("Added ").AddCode(kr.Ref).Add(" to ").AddCode(o.Ref).Add(": ").AddB(kr.Title)
	note := T("Understood: "+describeKR(kr)+ss.startNote(nk.startFrom, kr, nk.baseline)).Add(" · owner ").AddUser(kr.Owner, ss.name(kr.Owner))
	r := Reply{Message: &Message{
		Summary:  fmt.Sprintf("Added %s to %s", kr.Ref, o.Ref),
		Sections: []Section{{Lines: []Text{line}, Note: note}},
	}}
	r.Message.Sections = append(r.Message.Sections, Section{Note: T("Not what you meant? ").AddCode(ss.cmd("okr") + " kr edit " + kr.Ref + " <text as you mean it>")})
	return r
}

// canTakeKR checks that an objective takes another key result.
func canTakeKR(o domain.Objective) error {
	if o.Status == domain.Closed {
		return domain.Invalid(exKRAdd, "%s is closed (graded); it takes no new key results. Reopen it first: /okr reopen %s", o.Ref, o.Ref)
	}
	if len(o.KeyResults) >= domain.MaxKRs {
		return domain.Invalid(exKRAdd, "%s has %d key results already, the most an objective takes; split it into two objectives.", o.Ref, len(o.KeyResults))
	}
	return nil
}

// withOptions writes a command's options back after a chosen reading,
// with the reading's own options in place of any of the same name.
func withOptions(p parsed, extra string) string {
	flags := map[string]string{}
	for k, v := range p.flags {
		flags[k] = v
	}
	et := tokenize(extra)
	for i := 0; i < len(et); i++ {
		name := strings.TrimPrefix(et[i].s, "--")
		if i+1 < len(et) && !strings.HasPrefix(et[i+1].s, "--") {
			flags[name] = et[i+1].s
			i++
		} else {
			flags[name] = ""
		}
	}
	names := make([]string, 0, len(flags))
	for k := range flags {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(" --" + k)
		if v := flags[k]; v != "" {
			if strings.ContainsAny(v, " \t") {
				v = `"` + v + `"`
			}
			b.WriteString(" " + v)
		}
	}
	return b.String()
}

// krInput is what a person gave for a key result besides its text.
type krInput struct {
	owner, weight, kpi  string
	start, target, unit string
	unitSet, milestone  bool
}

// newKRResult is a checked key result, ready to store.
type newKRResult struct {
	kr        domain.KeyResult
	startFrom string
	baseline  *domain.Baseline
}

// newKR builds a key result from its text and options. Nothing is stored
// and no ref is claimed.
func (ss *session) newKR(text string, in krInput) (newKRResult, error) {
	out := newKRResult{}
	kr := domain.KeyResult{Weight: 1, Owner: ss.actor.User, UpdatedAt: ss.now, CreatedAt: ss.now}
	if in.owner != "" {
		// The label of "<@U0002|label>" is ignored: it is whatever the
		// typist's client sent; the name comes from the platform.
		id, _, ok := parseUser(in.owner)
		if !ok {
			return out, domain.Invalid(exKRAdd+" --owner @ada", "%q is not a person; use --owner @name.", clip(in.owner, 30))
		}
		kr.Owner = id // checked with the platform last, once all else is valid
	}
	if in.weight != "" {
		w, err := parseWeight(in.weight)
		if err != nil {
			return out, err
		}
		kr.Weight = w
	}
	var k *domain.KPI
	if in.kpi != "" {
		kk, err := ss.linkableKPI(in.kpi)
		if err != nil {
			return out, err
		}
		k, kr.KPI = &kk, kk.Slug
	}
	opt := domain.ParseOptions{Start: in.start, Target: in.target, Unit: in.unit, UnitSet: in.unitSet, Milestone: in.milestone}
	if k != nil {
		opt.Baseline = &domain.Baseline{Unit: k.Unit, Direction: k.Direction, Name: "KPI " + k.Slug, Follows: true, Unmeasured: k.Latest == nil}
		if k.Latest != nil {
			opt.Baseline.Value = k.Latest.Value
		}
	}
	pk, err := domain.ParseKeyResult(text, opt)
	if err != nil {
		return out, err
	}
	if k != nil && pk.Kind == domain.Milestone {
		return out, domain.Invalid("/okr kr add O-3 Reach NPS 60 --kpi nps", "A milestone cannot follow a KPI; give a number to reach, e.g. Reach NPS 60.")
	}
	kr.Title, kr.Kind, kr.Start, kr.Target, kr.Unit = pk.Title, pk.Kind, pk.Start, pk.Target, pk.Unit
	if k != nil && kr.Unit == "" {
		kr.Unit = k.Unit
	}
	kr.Current = kr.Start
	if k != nil && k.Latest != nil {
		kr.Current, kr.Measured = k.Latest.Value, true
	}
	if err := kr.Validate(); err != nil {
		return out, err
	}
	// The platform's lookup of the owner remembers their name: it comes
	// after every other check.
	if in.owner != "" {
		if err := ss.person(kr.Owner, exKRAdd+" --owner @ada"); err != nil {
			return out, err
		}
	}
	out.kr, out.startFrom, out.baseline = kr, pk.StartFrom, opt.Baseline
	return out, nil
}

// linkableKPI returns the KPI a key result may follow.
func (ss *session) linkableKPI(slug string) (domain.KPI, error) {
	slug = strings.ToLower(slug)
	if err := domain.ValidateSlug(slug); err != nil {
		return domain.KPI{}, err
	}
	k, err := ss.store.KPI(ss.ctx, ss.ws.ID, slug)
	if err != nil {
		return k, err
	}
	if k.Archived {
		return k, domain.Invalid(ss.cmd("kpi")+" unarchive "+slug, "The KPI %s is archived; restore it with /kpi unarchive %s to follow it.", slug, slug)
	}
	return k, nil
}

func parseWeight(s string) (float64, error) {
	a, err := domain.ParseAmount(s)
	if err != nil || a.Unit != "" {
		return 0, domain.Invalid("--weight 2", "The weight %q is not a number.", clip(s, 20))
	}
	if err := domain.ValidateWeight(a.Value); err != nil {
		return 0, err
	}
	return a.Value, nil
}

// startNote says where a key result's start came from, when the text did
// not say it: so that a start okrbot took is never a surprise.
func (ss *session) startNote(from string, kr domain.KeyResult, b *domain.Baseline) string {
	switch from {
	case "baseline":
		if b != nil {
			return fmt.Sprintf(" (the start is %s's latest value)", b.Name)
		}
	case "zero":
		return fmt.Sprintf(" (counting from 0; if it stands elsewhere now: %s kr edit %s --start N)", ss.cmd("okr"), kr.Ref)
	case "option":
		return " (the start you gave)"
	}
	return ""
}

// describeKR says in words what a key result measures, with the numbers
// as okrbot read them: "increase from 2.5% to 4%, now 2.5%".
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
		s := fmt.Sprintf("stay at or above %s, now %s", v(kr.Target), currentOrNone(kr))
		if kr.KPI != "" {
			s += " (follows KPI " + kr.KPI + ")"
		}
		return s
	case domain.StayBelow:
		s := fmt.Sprintf("stay at or below %s, now %s", v(kr.Target), currentOrNone(kr))
		if kr.KPI != "" {
			s += " (follows KPI " + kr.KPI + ")"
		}
		return s
	}
	if kr.Done {
		return "milestone, done"
	}
	return "milestone (done or not done), not done yet"
}

func currentOrNone(kr domain.KeyResult) string {
	if !kr.Measured && (kr.Kind == domain.StayAbove || kr.Kind == domain.StayBelow) {
		return "not measured yet"
	}
	return domain.FormatValue(kr.Current, kr.Unit)
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
		if o.Parent != parent {
			o.History = domain.Record(o.History, ss.change(o.Ref, "parent", orNone(o.Parent), parent))
		}
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

// grade closes an objective with a grade, after asking to confirm: a
// closed objective takes no more check-ins. Without a grade it asks for one.
func (ss *session) grade(args string) Reply {
	p, err := parseArgs(args, flagSpec{"yes": false}, exGrade)
	if err != nil {
		return ss.fail(err, exGrade)
	}
	if len(p.words) == 0 {
		return ss.fail(domain.Invalid(exGrade, "Say which objective to grade."), "")
	}
	_, oref, err := ref(p.word(0), "O", exGrade)
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
	if o.Status == domain.Closed {
		return ss.fail(domain.Invalid(ss.cmd("okr")+" reopen "+o.Ref, "%s is graded and closed already; reopen it first to grade it again.", o.Ref), "")
	}
	progress := domain.DefaultGrade(o)
	if len(p.words) < 2 {
		return ss.fail(domain.Invalid(fmt.Sprintf("%s grade %s %.2f", ss.cmd("okr"), o.Ref, progress),
			"Give %s a grade from 0.0 to 1.0; its progress is %.2f.", o.Ref, progress), "")
	}
	gs := p.words[1].s
	g, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSuffix(gs, "%"), ",", "."), 64)
	if err != nil {
		return ss.fail(domain.Invalid(exGrade, "The grade %q is not a number from 0.0 to 1.0.", clip(gs, 20)), "")
	}
	if strings.HasSuffix(gs, "%") {
		g /= 100
	}
	if err := domain.ValidateGrade(g); err != nil {
		return ss.fail(err, exGrade)
	}
	note := p.text(2)
	if err := domain.ValidateText("note", note, domain.MaxNoteLen, false); err != nil {
		return ss.fail(err, exGrade)
	}
	verdict := "falls short of"
	if domain.Succeeded(o.Commitment, g) {
		verdict = "meets"
	}
	judged := fmt.Sprintf("%.2f %s the %.1f expected of %s objective", g, verdict, o.Commitment.Expected(), article(string(o.Commitment)))
	if !p.has("yes") {
		cmd := strings.TrimSpace(fmt.Sprintf("%s grade %s %s %s", ss.cmd("okr"), o.Ref, gs, note))
		return Reply{Message: &Message{
			Summary: "Grade " + o.Ref + "?",
			Sections: []Section{{
				Lines: []Text{Text{}.Add("Grade ").AddCode(o.Ref).Add(" ").AddB(o.Title).Add(fmt.Sprintf(" %.2f and close it? %s; its progress is %.2f. A closed objective takes no more check-ins.", g, upperFirst(judged), progress))},
				Buttons: []Button{
					{Label: "Grade and close " + o.Ref, Action: ActionConfirm, Value: "okr " + strings.TrimSpace("grade "+o.Ref+" "+gs+" "+note), Style: Primary, Command: cmd + " --yes"},
					{Label: "Cancel", Action: ActionCancel, Value: o.Ref},
				},
			}},
		}}
	}
	o, err = ss.store.ModifyObjective(ss.ctx, ss.ws.ID, oref, func(o *domain.Objective) error {
		if o.Status == domain.Closed {
			return domain.Invalid(ss.cmd("okr")+" reopen "+o.Ref, "%s was graded and closed meanwhile.", o.Ref)
		}
		o.History = domain.Record(o.History, ss.change(o.Ref, "status", string(o.Status), fmt.Sprintf("closed, graded %.2f", g)))
		o.Grade, o.GradeNote, o.Status = &g, note, domain.Closed
		return nil
	})
	if err != nil {
		return ss.fail(err, exGrade)
	}
	line := Text{}.Add("Graded ").AddCode(o.Ref).Add(" ").AddB(o.Title).Add(": " + judged + ". It is now closed; ").AddCode(ss.cmd("okr") + " reopen " + o.Ref).Add(" undoes it.")
	r := Reply{Message: Lines(fmt.Sprintf("Graded %s %.2f", o.Ref, g), line)}
	if note != "" {
		r.Message.Sections[0].Note = T("Note: " + note)
	}
	return r
}

// reopen makes a closed objective active again; its grade stays in the history.
func (ss *session) reopen(args string) Reply {
	toks := tokenize(args)
	if len(toks) != 1 {
		return ss.fail(domain.Invalid(exReopen, "Say which objective to reopen."), "")
	}
	_, oref, err := ref(toks[0].s, "O", exReopen)
	if err != nil {
		return ss.fail(err, exReopen)
	}
	o, err := ss.store.Objective(ss.ctx, ss.ws.ID, oref)
	if err != nil {
		return ss.fail(err, exReopen)
	}
	if err := ss.mayChange(o, "reopen"); err != nil {
		return ss.fail(err, "")
	}
	if o.Status != domain.Closed {
		return ss.fail(domain.Invalid(exGrade, "%s is not closed; there is nothing to reopen.", o.Ref), "")
	}
	o, err = ss.store.ModifyObjective(ss.ctx, ss.ws.ID, oref, func(o *domain.Objective) error {
		if o.Status != domain.Closed {
			return domain.Invalid(exGrade, "%s was reopened meanwhile.", o.Ref)
		}
		from := "closed"
		if o.Grade != nil {
			from = fmt.Sprintf("closed, graded %.2f", *o.Grade)
		}
		o.History = domain.Record(o.History, ss.change(o.Ref, "status", from, string(domain.Active)))
		o.Status, o.Grade, o.GradeNote = domain.Active, nil, ""
		return nil
	})
	if err != nil {
		return ss.fail(err, exReopen)
	}
	return Reply{Message: Lines("Reopened "+o.Ref, Text{}.Add("Reopened ").AddCode(o.Ref).Add(" ").AddB(o.Title).Add(". It takes check-ins again; its grade is kept in its history."))}
}

// change is one history entry by the actor, now.
func (ss *session) change(ref, field, from, to string) domain.Change {
	return domain.Change{At: ss.now, By: ss.actor.User, Ref: ref, Field: field, From: from, To: to}
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
	case ActionCancel:
		return Reply{Message: Lines("Cancelled", T("Nothing was changed."))}
	case ActionConfirm:
		// The command the button confirms, run as if --yes were typed.
		if cmd, args, ok := SplitCommand(value); ok && confirmable(cmd, args) {
			return ss.run(cmd, args+" --yes")
		}
	case ActionEdit:
		return ss.openEdit(value)
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
	return Reply{Message: Lines("Away until "+toks[1].s, T(fmt.Sprintf("No check-in prompts or reminders until %s, and those weeks do not count as missed. Welcome back whenever: ", d.Format("Monday 2 January 2006"))).AddCode(ss.cmd("okr")+" back"))}
}

func (ss *session) back() Reply {
	if err := ss.store.SetAway(ss.ctx, ss.ws.ID, ss.actor.User, time.Time{}); err != nil {
		return ss.fail(err, "")
	}
	return Reply{Message: Lines("Welcome back", T("Welcome back. Check-in prompts resume this week."))}
}

// upperFirst capitalises the first letter.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// article prefixes a word with "a" or "an".
func article(w string) string {
	if w != "" && strings.ContainsRune("aeiou", rune(w[0])) {
		return "an " + w
	}
	return "a " + w
}

func pct(x float64) int { return int(x*100 + 0.5) }
