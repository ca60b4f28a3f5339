package conformance

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
)

func testEditKPIKeepsValuesAndHistory(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	f := func(x float64) *float64 { return &x }
	k := domain.KPI{WorkspaceID: "w1", Slug: "leads", Name: "Leads", Unit: "/day", Direction: domain.HigherIsBetter,
		Target: f(35), Warn: f(25), Alert: f(15), Cadence: domain.Daily, Owner: "ada"}
	must(t, st.CreateKPI(ctx, k))
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	_, err := st.AddKPIValue(ctx, domain.KPIValue{WorkspaceID: "w1", Slug: "leads", Value: 22, At: at, By: "ada"})
	must(t, err)
	k.Name, k.Warn, k.Owner = "Web leads", nil, "bob"
	must(t, st.EditKPI(ctx, k, []domain.Change{{At: at, By: "ada", Ref: "leads", Field: "name", From: "Leads", To: "Web leads"}}))
	k.Archived = true
	must(t, st.EditKPI(ctx, k, []domain.Change{{At: at, By: "ada", Ref: "leads", Field: "archived", From: "no", To: "yes"}}))
	got, err := st.KPI(ctx, "w1", "leads")
	must(t, err)
	if got.Name != "Web leads" || got.Warn != nil || got.Target == nil || *got.Target != 35 || got.Owner != "bob" || !got.Archived {
		t.Errorf("edited KPI %+v", got)
	}
	if got.Latest == nil || got.Latest.Value != 22 {
		t.Errorf("the latest value was lost: %+v", got.Latest)
	}
	if len(got.History) != 2 || got.History[0].Field != "name" || got.History[1].To != "yes" || !got.History[0].At.Equal(at) {
		t.Errorf("history %+v", got.History)
	}
	if vs, _ := st.KPIValues(ctx, "w1", "leads", 10); len(vs) != 1 {
		t.Errorf("%d values after the edit", len(vs))
	}
	// Archived KPIs leave the list, not the store.
	if ks, _ := st.KPIs(ctx, "w1"); len(ks) != 0 {
		t.Errorf("archived KPI listed: %+v", ks)
	}
	k.Archived = false
	must(t, st.EditKPI(ctx, k, nil))
	if ks, _ := st.KPIs(ctx, "w1"); len(ks) != 1 || ks[0].History != nil {
		t.Errorf("an unarchived KPI listed as %+v (a list carries no history)", ks)
	}
	mustCode(t, "editing a missing KPI", st.EditKPI(ctx, domain.KPI{WorkspaceID: "w1", Slug: "nope"}, nil), domain.ENOTFOUND)
	mustCode(t, "editing another workspace's KPI", st.EditKPI(ctx, domain.KPI{WorkspaceID: "w2", Slug: "leads"}, nil), domain.ENOTFOUND)
}

func testObjectiveHistory(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	o := objective(t, st, "slack:T1", "U1")
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	edit := func(n int) {
		t.Helper()
		_, err := st.ModifyObjective(ctx, "slack:T1", o.Ref, func(x *domain.Objective) error {
			for i := range n {
				x.History = domain.Record(x.History, domain.Change{At: at.Add(time.Duration(len(x.History)) * time.Minute), By: "U1", Ref: x.Ref,
					Field: "title", From: fmt.Sprint(i), To: fmt.Sprint(i + 1)})
			}
			return nil
		})
		must(t, err)
	}
	edit(2)
	got, err := st.Objective(ctx, "slack:T1", o.Ref)
	must(t, err)
	if len(got.History) != 2 || got.History[1].To != "2" || !got.History[1].At.Equal(at.Add(time.Minute)) || got.History[0].By != "U1" {
		t.Fatalf("history %+v", got.History)
	}
	if viaKR, _ := st.ObjectiveOfKR(ctx, "slack:T1", o.KeyResults[0].Ref); len(viaKR.History) != 2 {
		t.Errorf("ObjectiveOfKR carries %d changes", len(viaKR.History))
	}
	if list, _ := st.Objectives(ctx, "slack:T1", domain.ObjectiveFilter{}); len(list) != 1 || list[0].History != nil {
		t.Errorf("a list carries the history: %+v", list)
	}
	// The history keeps the latest domain.MaxHistory changes.
	edit(domain.MaxHistory)
	got, _ = st.Objective(ctx, "slack:T1", o.Ref)
	if len(got.History) != domain.MaxHistory || got.History[len(got.History)-1].To != fmt.Sprint(domain.MaxHistory) {
		t.Fatalf("after %d changes: %d kept, last %+v", domain.MaxHistory+2, len(got.History), got.History[len(got.History)-1])
	}
	if first := got.History[0]; first.From != "0" || first.To != "1" || first.Ref != o.Ref {
		t.Errorf("the oldest kept is %+v", first)
	}
}

func testSkippedAnswersMoveOnlyConfidence(t *testing.T, b Backend) {
	at := time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC)
	st := b.Open(t, func() time.Time { return at })
	o := domain.Objective{WorkspaceID: "slack:T1", Title: "o", Owner: "U1", Cycle: "2026-Q4", Commitment: domain.Committed, Status: domain.Active,
		KeyResults: []domain.KeyResult{
			{Title: "a", Kind: domain.Increase, Start: 1, Target: 10, Current: 1, Weight: 1, Owner: "U1", Confidence: 5},
			{Title: "b", Kind: domain.StayBelow, Target: 3, Weight: 1, Owner: "U1", Confidence: 5},
			{Title: "c", Kind: domain.StayBelow, Target: 3, Weight: 1, Owner: "U1", Confidence: 5},
		}}
	must(t, st.CreateObjective(ctx, &o))
	done := checkIn(o, 0, "U1", "2026-W47", 4, 7)
	done.By = "U0LEAD" // typed by the objective's lead for U1
	skipWithConfidence := checkIn(o, 1, "U1", "2026-W47", 0, 3)
	skipBare := checkIn(o, 2, "U1", "2026-W47", 0, 0)
	must(t, st.SaveCheckIns(ctx, []domain.CheckIn{done}, []domain.CheckIn{skipWithConfidence, skipBare}, domain.WeekNote{}))
	cs, _ := st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{})
	if len(cs) != 1 || cs[0].KR != o.KeyResults[0].Ref || cs[0].By != "U0LEAD" {
		t.Fatalf("check-ins %+v: only the answered key result has one", cs)
	}
	got, _ := st.Objective(ctx, "slack:T1", o.Ref)
	k := got.KeyResults
	if k[0].Current != 4 || k[0].Confidence != 7 {
		t.Errorf("answered: %+v", k[0])
	}
	if k[1].Confidence != 3 || k[1].Measured || k[1].Current != 0 {
		t.Errorf("skipped with a confidence: %+v", k[1])
	}
	if k[2].Confidence != 5 || k[2].Measured {
		t.Errorf("skipped without one: %+v", k[2])
	}
	missing := skipBare
	missing.KR = "KR-99"
	mustCode(t, "a skipped answer of a missing key result", st.SaveCheckIns(ctx, []domain.CheckIn{done}, []domain.CheckIn{missing}, domain.WeekNote{}), domain.ENOTFOUND)
}

// testTextIsData stores text shaped like MongoDB operators and query
// syntax where people type text, and reads it back unchanged: values are
// data, never query syntax, so the conversations need not refuse such words.
func testTextIsData(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	texts := []string{`$where is the money`, `{"$gt": ""}`, `$set everything`, `a.b.c`, `$ne`, `Win “enterprise” deals`, `'; DROP TABLE objectives; --`,
		"a \"quoted\" \\ back\nslash\t🚀 \u2028"}
	for i, text := range texts {
		o := objective(t, st, "w1", "ada")
		_, err := st.ModifyObjective(ctx, "w1", o.Ref, func(x *domain.Objective) error {
			x.Title, x.KeyResults[0].Title = text, text
			x.KeyResults[0].Initiatives = []domain.Initiative{{Title: text, CreatedBy: text}}
			x.History = []domain.Change{{Ref: x.Ref, Field: "title", From: text, To: text}}
			return nil
		})
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		got, err := st.Objective(ctx, "w1", o.Ref)
		if err != nil || got.Title != text || got.KeyResults[0].Title != text || len(got.History) != 1 || got.History[0].From != text {
			t.Errorf("%q came back as %+v, %v", text, got, err)
		}
		for _, o := range append([]domain.Objective{got}, mustObjectives(t, st, "w1", o.Ref)...) {
			if ins := o.KeyResults[0].Initiatives; len(ins) != 1 || ins[0].Title != text || ins[0].CreatedBy != text {
				t.Errorf("initiative %q came back as %+v", text, ins)
			}
		}
		c := domain.CheckIn{WorkspaceID: "w1", UserID: "ada", KR: o.KeyResults[0].Ref, Objective: o.Ref, Week: "2026-W47",
			Value: float64(i), Confidence: 7, Note: text, By: "carol"}
		must(t, st.SaveCheckIns(ctx, []domain.CheckIn{c}, nil, domain.WeekNote{WorkspaceID: "w1", UserID: "ada", Week: "2026-W47", Wins: text}))
		cs, _ := st.CheckIns(ctx, "w1", domain.CheckInFilter{KRs: []string{c.KR}})
		if len(cs) != 1 || cs[0].Note != text || cs[0].By != "carol" {
			t.Errorf("check-in note %q came back as %+v", text, cs)
		}
		if ns, _ := st.WeekNotes(ctx, "w1", "2026-W47"); len(ns) != 1 || ns[0].Wins != text {
			t.Errorf("week note %q came back as %+v", text, ns)
		}
		k := domain.KPI{WorkspaceID: "w1", Slug: "k" + string(rune('a'+i)), Name: text, Unit: "x", Direction: domain.HigherIsBetter, Cadence: domain.Weekly, Owner: "ada"}
		must(t, st.CreateKPI(ctx, k))
		_, err = st.AddKPIValue(ctx, domain.KPIValue{WorkspaceID: "w1", Slug: k.Slug, Value: 1, Note: text, By: "ada"})
		must(t, err)
		if got, _ := st.KPI(ctx, "w1", k.Slug); got.Name != text || got.Latest == nil || got.Latest.Note != text {
			t.Errorf("KPI text %q came back as %+v", text, got)
		}
	}
	// Text shaped like an operator finds nothing when used as a key.
	_, err := st.Objective(ctx, "w1", `{"$gt": ""}`)
	mustCode(t, "an operator-shaped ref", err, domain.ENOTFOUND)
	_, err = st.KPI(ctx, "w1", `$ne`)
	mustCode(t, "an operator-shaped slug", err, domain.ENOTFOUND)
}

// mustObjectives lists the objectives with refs.
func mustObjectives(t *testing.T, st interface {
	Objectives(ctx context.Context, workspace string, f domain.ObjectiveFilter) ([]domain.Objective, error)
}, workspace string, refs ...string) []domain.Objective {
	t.Helper()
	os, err := st.Objectives(ctx, workspace, domain.ObjectiveFilter{Refs: refs})
	must(t, err)
	return os
}
