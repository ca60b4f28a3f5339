package conversations

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/okrbot/okrbot/domain"
)

// Initiatives are the work planned to move a key result. They live inside
// their key result, so adding one or marking it done is one atomic write of
// its objective, and deleting the key result deletes them.

const (
	exInitiativeAdd  = `/okr initiative add KR-7 Run a webinar series for Dutch retailers`
	exInitiativeDone = `/okr initiative done I-4`
	exInitiativeList = `/okr initiative list KR-7`
	// maxInitiatives per key result: more is a project plan, not a list.
	maxInitiatives = 20
	// initiativesShown under a key result in App Home; the rest are counted.
	initiativesShown = 5
)

var initiativeRefRE = regexp.MustCompile(`^[Ii]-([1-9][0-9]{0,8})$`)

// initiative runs /okr initiative add | done | list.
func (ss *session) initiative(args string) Reply {
	verb, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(verb) {
	case "add", "new":
		return ss.initiativeAdd(rest)
	case "done", "finish", "complete":
		return ss.initiativeDone(rest)
	case "list", "ls", "":
		return ss.initiativeList(rest)
	}
	return ss.fail(domain.Invalid(exInitiativeAdd, "Use initiative add, done or list."), "")
}

func (ss *session) initiativeAdd(args string) Reply {
	toks := tokenize(args)
	if len(toks) == 0 {
		return ss.fail(domain.Invalid(exInitiativeAdd, "Say which key result the initiative moves, then what it is."), "")
	}
	_, krRef, err := ref(toks[0].s, "KR", exInitiativeAdd)
	if err != nil {
		return ss.fail(err, exInitiativeAdd)
	}
	words := make([]string, 0, len(toks)-1)
	for _, t := range toks[1:] {
		words = append(words, t.s)
	}
	title := strings.Join(words, " ")
	if title == "" {
		return ss.fail(domain.Invalid(exInitiativeAdd, "Say what the initiative is after %s.", krRef), "")
	}
	if err := domain.ValidateText("initiative", title, domain.MaxTitleLen, true); err != nil {
		return ss.fail(domain.Invalid(exInitiativeAdd, "%s", domain.ErrorMessage(err)), "")
	}
	o, err := ss.store.ObjectiveOfKR(ss.ctx, ss.ws.ID, krRef)
	if err != nil {
		return ss.fail(err, exInitiativeAdd)
	}
	if err := ss.mayPlan(o, *o.KeyResult(krRef)); err != nil {
		return ss.fail(err, "")
	}
	if n := len(o.KeyResult(krRef).Initiatives); n >= maxInitiatives {
		return ss.fail(domain.Invalid(exInitiativeDone, "%s has %d initiatives already, the most it can have; mark some done or split the key result.", krRef, n), "")
	}
	// The store gives the initiative its ref (I-n) in the same write.
	in := domain.Initiative{Title: title, CreatedBy: ss.actor.User, CreatedAt: ss.now}
	added := 0
	o, err = ss.store.ModifyObjective(ss.ctx, ss.ws.ID, o.Ref, func(o *domain.Objective) error {
		kr := o.KeyResult(krRef)
		switch {
		case kr == nil:
			return domain.NotFound("There is no key result %s.", krRef)
		case o.Status == domain.Closed:
			return domain.Invalid(exInitiativeAdd, "%s is closed (graded); it takes no new initiatives.", o.Ref)
		case len(kr.Initiatives) >= maxInitiatives:
			return domain.Invalid(exInitiativeDone, "%s has %d initiatives already, the most it can have.", krRef, len(kr.Initiatives))
		}
		added = len(kr.Initiatives)
		kr.Initiatives = append(kr.Initiatives, in)
		return nil
	})
	if err != nil {
		return ss.fail(err, exInitiativeAdd)
	}
	kr := o.KeyResult(krRef)
	r := kr.Initiatives[added].Ref
	return Reply{Message: &Message{
		Summary: fmt.Sprintf("Added %s to %s", r, krRef),
		Sections: []Section{{
			Lines: []Text{Text{}.Add("Added ").AddCode(r).Add(" ").AddB(title).Add(" to ").AddCode(krRef).Add(" " + clip(kr.Title, 60) + ".")},
			Note:  T(initiativeCount(*kr) + " · mark it done with ").AddCode(ss.cmd("okr") + " initiative done " + r),
		}},
	}}
}

func (ss *session) initiativeDone(args string) Reply {
	toks := tokenize(args)
	if len(toks) != 1 {
		return ss.fail(domain.Invalid(exInitiativeDone, "Say which initiative is done, by its ref."), "")
	}
	m := initiativeRefRE.FindStringSubmatch(toks[0].s)
	if m == nil {
		return ss.fail(domain.Invalid(exInitiativeDone, "%q is not an initiative ref like I-4.", clip(toks[0].s, 30)), "")
	}
	r := "I-" + m[1]
	o, err := ss.store.ObjectiveOfInitiative(ss.ctx, ss.ws.ID, r)
	if err != nil {
		return ss.fail(err, exInitiativeDone)
	}
	kr, in := o.Initiative(r)
	if err := ss.mayPlan(o, *kr); err != nil {
		return ss.fail(err, "")
	}
	if in.Done {
		return Reply{Message: Lines(r+" was already done", Text{}.AddCode(r).Add(" ").AddB(in.Title).Add(" was already done; nothing changed."))}
	}
	o, err = ss.store.ModifyObjective(ss.ctx, ss.ws.ID, o.Ref, func(o *domain.Objective) error {
		_, in := o.Initiative(r)
		if in == nil {
			return domain.NotFound("There is no initiative %s.", r)
		}
		in.Done, in.DoneAt = true, ss.now
		return nil
	})
	if err != nil {
		return ss.fail(err, exInitiativeDone)
	}
	kr, in = o.Initiative(r)
	return Reply{Message: &Message{
		Summary: "Done: " + r,
		Sections: []Section{{
			Lines: []Text{Text{}.Add("Done: ").AddCode(r).Add(" ").AddB(in.Title).Add(".")},
			Note:  Text{}.AddCode(kr.Ref).Add(" " + clip(kr.Title, 60) + " · " + initiativeCount(*kr)),
		}},
	}}
}

func (ss *session) initiativeList(args string) Reply {
	toks := tokenize(args)
	if len(toks) > 1 {
		return ss.fail(domain.Invalid(exInitiativeList, "List takes at most one key result ref."), "")
	}
	var os []domain.Objective
	title := "Initiatives of your key results"
	if len(toks) == 1 {
		_, krRef, err := ref(toks[0].s, "KR", exInitiativeList)
		if err != nil {
			return ss.fail(err, exInitiativeList)
		}
		o, err := ss.store.ObjectiveOfKR(ss.ctx, ss.ws.ID, krRef)
		if err != nil {
			return ss.fail(err, exInitiativeList)
		}
		o.KeyResults = []domain.KeyResult{*o.KeyResult(krRef)}
		os, title = []domain.Objective{o}, "Initiatives of "+krRef
	} else {
		var err error
		if os, err = ss.ownedKRs(ss.actor.User); err != nil {
			return ss.fail(err, exInitiativeList)
		}
	}
	m := &Message{Summary: title, Title: title}
	for _, o := range os {
		for _, kr := range o.KeyResults {
			if len(toks) == 0 && len(kr.Initiatives) == 0 {
				continue
			}
			sec := Section{Heading: Text{}.AddCode(kr.Ref).Add(" ").AddB(clip(kr.Title, 80)), Note: T(initiativeCount(kr) + " · in " + o.Ref + " " + clip(o.Title, 60))}
			sec.Lines = initiativeLines(kr, maxInitiatives, ss.cmd("okr"))
			if len(kr.Initiatives) == 0 {
				sec.Lines = []Text{T("No initiatives yet: ").AddCode(ss.cmd("okr") + " initiative add " + kr.Ref + " Run a webinar series")}
			}
			m.Sections = append(m.Sections, sec)
		}
	}
	if len(m.Sections) == 0 {
		return Reply{Message: Lines(title+": none", T("None of your key results this cycle has initiatives yet. Add one: ").AddCode(ss.example(exInitiativeAdd)))}
	}
	return Reply{Message: m}
}

// mayPlan: the key result's owner plans its initiatives; the objective's
// owner and admins may too.
func (ss *session) mayPlan(o domain.Objective, kr domain.KeyResult) error {
	if kr.Owner == ss.actor.User || o.Owner == ss.actor.User || ss.isAdmin() {
		return nil
	}
	return domain.Errorf(domain.EFORBIDDEN, "%s belongs to %s; only they, the owner of %s or an admin can plan its initiatives.", kr.Ref, ss.name(kr.Owner), o.Ref)
}

// initiativeCount says how many of a key result's initiatives are done: "1 of 3 initiatives done".
func initiativeCount(kr domain.KeyResult) string {
	return countDone(kr.InitiativesDone(), len(kr.Initiatives))
}

func countDone(done, n int) string {
	if n == 1 {
		return fmt.Sprintf("%d of 1 initiative done", done)
	}
	return fmt.Sprintf("%d of %d initiatives done", done, n)
}

// initiativeLines lists a key result's initiatives, open ones first, at most max.
func initiativeLines(kr domain.KeyResult, max int, cmd string) []Text {
	var open, done []Text
	for _, in := range kr.Initiatives {
		if in.Done {
			done = append(done, Text{}.Add("        ☑ ").AddCode(in.Ref).Add(" "+clip(in.Title, 100)))
		} else {
			open = append(open, Text{}.Add("        ☐ ").AddCode(in.Ref).Add(" "+clip(in.Title, 100)))
		}
	}
	all := append(open, done...)
	if len(all) > max {
		rest := len(all) - max
		all = append(all[:max], T(fmt.Sprintf("        …and %d more: ", rest)).AddCode(cmd+" initiative list "+kr.Ref))
	}
	return all
}

// objectiveInitiatives sums an objective's initiatives: done and all.
func objectiveInitiatives(o domain.Objective) (done, n int) {
	for _, kr := range o.KeyResults {
		done += kr.InitiativesDone()
		n += len(kr.Initiatives)
	}
	return done, n
}
