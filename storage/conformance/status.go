package conformance

import (
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// testStatusAndDigestFields covers what the status and the digest store:
// initiatives inside key results (refs handed out by the store, found by
// ref, scoped by workspace), a key result's creation time, a check-in's
// first answer, the parts of a week note and a subscription's channel name.
func testStatusAndDigestFields(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	o := objective(t, st, "slack:TA", "UA")
	objective(t, st, "slack:TB", "UB")
	created := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	kr := o.KeyResults[0].Ref
	var added int
	got, err := st.ModifyObjective(ctx, "slack:TA", o.Ref, func(o *domain.Objective) error {
		o.KeyResults[0].CreatedAt = created
		added = len(o.KeyResults[0].Initiatives)
		o.KeyResults[0].Initiatives = append(o.KeyResults[0].Initiatives,
			domain.Initiative{Title: "Webinar series", CreatedBy: "UA", CreatedAt: created},
			domain.Initiative{Title: "Partner referrals", CreatedBy: "UA", CreatedAt: created, Done: true, DoneAt: created})
		return nil
	})
	must(t, err)
	if ins := got.KeyResults[0].Initiatives; len(ins) != 2 || ins[added].Ref != "I-1" || ins[added+1].Ref != "I-2" {
		t.Fatalf("initiatives got refs %+v", ins)
	}
	got, err = st.ObjectiveOfInitiative(ctx, "slack:TA", "I-2")
	must(t, err)
	k, in := got.Initiative("I-2")
	if got.Ref != o.Ref || k == nil || k.Ref != kr || !in.Done || !in.DoneAt.Equal(created) || in.Title != "Partner referrals" ||
		in.CreatedBy != "UA" || !k.CreatedAt.Equal(created) || k.InitiativesDone() != 1 {
		t.Errorf("read back %+v", got.KeyResults)
	}
	_, err = st.ObjectiveOfInitiative(ctx, "slack:TB", "I-2")
	mustCode(t, "another workspace's initiative", err, domain.ENOTFOUND)
	_, err = st.ObjectiveOfInitiative(ctx, "slack:TA", "I-9")
	mustCode(t, "a missing initiative", err, domain.ENOTFOUND)
	// Marking one done and dropping the other keeps the refs; a new one
	// gets the next.
	got, err = st.ModifyObjective(ctx, "slack:TA", o.Ref, func(o *domain.Objective) error {
		ins := o.KeyResults[0].Initiatives
		ins[0].Done, ins[0].DoneAt = true, created.Add(time.Hour)
		o.KeyResults[0].Initiatives = append(ins[:1], domain.Initiative{Title: "Trade show", CreatedBy: "UA", CreatedAt: created})
		return nil
	})
	must(t, err)
	if ins := got.KeyResults[0].Initiatives; len(ins) != 2 || ins[0].Ref != "I-1" || !ins[0].Done || ins[1].Ref != "I-3" {
		t.Fatalf("after a change: %+v", ins)
	}
	_, err = st.ObjectiveOfInitiative(ctx, "slack:TA", "I-2")
	mustCode(t, "a dropped initiative", err, domain.ENOTFOUND)
	// An objective created with initiatives gets their refs too.
	withIns := domain.Objective{WorkspaceID: "slack:TA", Title: "o", Owner: "UA", Cycle: "2026-Q4", Commitment: domain.Committed, Status: domain.Active,
		KeyResults: []domain.KeyResult{{Title: "k", Kind: domain.Milestone, Target: 1, Weight: 1, Owner: "UA", CreatedAt: created,
			Initiatives: []domain.Initiative{{Title: "i", CreatedBy: "UA", CreatedAt: created}}}}}
	must(t, st.CreateObjective(ctx, &withIns))
	if withIns.KeyResults[0].Initiatives[0].Ref != "I-4" {
		t.Errorf("a created objective's initiative got %q", withIns.KeyResults[0].Initiatives[0].Ref)
	}

	first := created.Add(time.Hour)
	c := domain.CheckIn{WorkspaceID: "slack:TA", UserID: "UA", KR: kr, Objective: o.Ref, Week: "2026-W45", Value: 23, Confidence: 7, At: first}
	must(t, st.SaveCheckIns(ctx, []domain.CheckIn{c}, nil, domain.WeekNote{}))
	c.At, c.Value = first.Add(72*time.Hour), 24
	n := domain.WeekNote{WorkspaceID: "slack:TA", UserID: "UA", Week: "2026-W45", Wins: "signed Acme", Blockers: "legal review", Help: "a Dutch speaker", At: first}
	must(t, st.SaveCheckIns(ctx, []domain.CheckIn{c}, nil, n))
	cs, err := st.CheckIns(ctx, "slack:TA", domain.CheckInFilter{})
	if err != nil || len(cs) != 1 {
		t.Fatalf("%v %+v", err, cs)
	}
	if !cs[0].Answered().Equal(first) || !cs[0].At.Equal(c.At) || cs[0].Value != 24 {
		t.Errorf("the week's first answer is not kept: %+v", cs[0])
	}
	ns, err := st.WeekNotes(ctx, "slack:TA", "2026-W45")
	if err != nil || len(ns) != 1 || ns[0].Wins != n.Wins || ns[0].Blockers != n.Blockers || ns[0].Help != n.Help || ns[0].Note != "" {
		t.Errorf("week notes %v %+v", err, ns)
	}
	must(t, st.Subscribe(ctx, domain.Subscription{WorkspaceID: "slack:TA", Channel: "C1", Name: "growth", By: "UA"}))
	subs, err := st.Subscriptions(ctx, "slack:TA")
	if err != nil || len(subs) != 1 || subs[0].Name != "growth" {
		t.Errorf("subscriptions %v %+v", err, subs)
	}
}
