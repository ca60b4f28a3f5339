package storage_test

import (
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage/storagetest"
)

// TestStatusAndDigestFields covers what the status and digest work stores:
// initiatives inside key results (found by ref, scoped by workspace), a key
// result's creation time, a check-in's first answer, the parts of a week
// note and a subscription's channel name.
func TestStatusAndDigestFields(t *testing.T) {
	st := storagetest.Open(t, "", nil)
	o := objective(t, st, "slack:TA", "UA")
	objective(t, st, "slack:TB", "UB")
	created := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	kr := o.KeyResults[0].Ref
	_, err := st.ModifyObjective(ctx, "slack:TA", o.Ref, func(o *domain.Objective) error {
		o.KeyResults[0].CreatedAt = created
		o.KeyResults[0].Initiatives = append(o.KeyResults[0].Initiatives,
			domain.Initiative{Ref: "I-1", Title: "Webinar series", CreatedBy: "UA", CreatedAt: created},
			domain.Initiative{Ref: "I-2", Title: "Partner referrals", CreatedBy: "UA", CreatedAt: created, Done: true, DoneAt: created})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.ObjectiveOfInitiative(ctx, "slack:TA", "I-2")
	if err != nil {
		t.Fatal(err)
	}
	k, in := got.Initiative("I-2")
	if got.Ref != o.Ref || k == nil || k.Ref != kr || !in.Done || !in.DoneAt.Equal(created) || !k.CreatedAt.Equal(created) || k.InitiativesDone() != 1 {
		t.Errorf("read back %+v", got.KeyResults)
	}
	if _, err := st.ObjectiveOfInitiative(ctx, "slack:TB", "I-2"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("another workspace's initiative: %v", err)
	}
	if _, err := st.ObjectiveOfInitiative(ctx, "slack:TA", "I-9"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("a missing initiative: %v", err)
	}

	first := created.Add(time.Hour)
	c := domain.CheckIn{WorkspaceID: "slack:TA", UserID: "UA", KR: kr, Objective: o.Ref, Week: "2026-W45", Value: 23, Confidence: 7, At: first}
	if _, err := st.SaveCheckIn(ctx, c); err != nil {
		t.Fatal(err)
	}
	c.At, c.Value = first.Add(72*time.Hour), 24
	if _, err := st.SaveCheckIn(ctx, c); err != nil {
		t.Fatal(err)
	}
	cs, err := st.CheckIns(ctx, "slack:TA", domain.CheckInFilter{})
	if err != nil || len(cs) != 1 {
		t.Fatalf("%v %+v", err, cs)
	}
	if !cs[0].Answered().Equal(first) || !cs[0].At.Equal(c.At) || cs[0].Value != 24 {
		t.Errorf("the week's first answer is not kept: %+v", cs[0])
	}

	n := domain.WeekNote{WorkspaceID: "slack:TA", UserID: "UA", Week: "2026-W45", Wins: "signed Acme", Blockers: "legal review", Help: "a Dutch speaker", At: first}
	if err := st.SaveWeekNote(ctx, n); err != nil {
		t.Fatal(err)
	}
	ns, err := st.WeekNotes(ctx, "slack:TA", "2026-W45")
	if err != nil || len(ns) != 1 || ns[0].Wins != n.Wins || ns[0].Blockers != n.Blockers || ns[0].Help != n.Help {
		t.Errorf("week notes %v %+v", err, ns)
	}

	if err := st.Subscribe(ctx, domain.Subscription{WorkspaceID: "slack:TA", Channel: "C1", Name: "growth", By: "UA"}); err != nil {
		t.Fatal(err)
	}
	subs, err := st.Subscriptions(ctx, "slack:TA")
	if err != nil || len(subs) != 1 || subs[0].Name != "growth" {
		t.Errorf("subscriptions %v %+v", err, subs)
	}
}
