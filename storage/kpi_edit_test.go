package storage_test

import (
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage/storagetest"
)

func TestEditKPIKeepsValuesAndHistory(t *testing.T) {
	st := storagetest.Open(t, "", nil)
	f := func(x float64) *float64 { return &x }
	k := domain.KPI{WorkspaceID: "w1", Slug: "leads", Name: "Leads", Unit: "/day", Direction: domain.HigherIsBetter,
		Target: f(35), Warn: f(25), Alert: f(15), Cadence: domain.Daily, Owner: "ada"}
	if err := st.CreateKPI(ctx, k); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	if _, err := st.AddKPIValue(ctx, domain.KPIValue{WorkspaceID: "w1", Slug: "leads", Value: 22, At: at, By: "ada"}); err != nil {
		t.Fatal(err)
	}
	k.Name, k.Warn, k.Owner = "Web leads", nil, "bob"
	change := []domain.Change{{At: at, By: "ada", Ref: "leads", Field: "name", From: "Leads", To: "Web leads"}}
	if err := st.EditKPI(ctx, k, change); err != nil {
		t.Fatal(err)
	}
	k.Archived = true
	if err := st.EditKPI(ctx, k, []domain.Change{{At: at, By: "ada", Ref: "leads", Field: "archived", From: "no", To: "yes"}}); err != nil {
		t.Fatal(err)
	}
	got, err := st.KPI(ctx, "w1", "leads")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Web leads" || got.Warn != nil || got.Target == nil || *got.Target != 35 || got.Owner != "bob" || !got.Archived {
		t.Errorf("edited KPI %+v", got)
	}
	if got.Latest == nil || got.Latest.Value != 22 {
		t.Errorf("the latest value was lost: %+v", got.Latest)
	}
	if len(got.History) != 2 || got.History[0].Field != "name" || got.History[1].To != "yes" {
		t.Errorf("history %+v", got.History)
	}
	if vs, _ := st.KPIValues(ctx, "w1", "leads", 10); len(vs) != 1 {
		t.Errorf("%d values after the edit", len(vs))
	}
	// Archived KPIs leave the list, not the store.
	if ks, _ := st.KPIs(ctx, "w1"); len(ks) != 0 {
		t.Errorf("archived KPI listed: %+v", ks)
	}
	if err := st.EditKPI(ctx, domain.KPI{WorkspaceID: "w1", Slug: "nope"}, nil); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("editing a missing KPI: %v", err)
	}
	if err := st.EditKPI(ctx, domain.KPI{WorkspaceID: "w2", Slug: "leads"}, nil); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("editing another workspace's KPI: %v", err)
	}
}

// TestTextIsData stores text shaped like MongoDB operators and query
// syntax where people type text, and reads it back unchanged: values are
// data, never query syntax, so the conversations need not refuse such words.
func TestTextIsData(t *testing.T) {
	st := storagetest.Open(t, "", nil)
	texts := []string{`$where is the money`, `{"$gt": ""}`, `$set everything`, `a.b.c`, `$ne`, `Win “enterprise” deals`, `'; DROP TABLE objectives; --`}
	for i, text := range texts {
		o := objective(t, st, "w1", "ada")
		o.KeyResults[0].Title = text
		o.Title = text
		o.History = []domain.Change{{Ref: o.Ref, Field: "title", From: text, To: text}}
		if _, err := st.ModifyObjective(ctx, "w1", o.Ref, func(x *domain.Objective) error {
			x.Title, x.KeyResults[0].Title, x.History = o.Title, o.KeyResults[0].Title, o.History
			return nil
		}); err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		got, err := st.Objective(ctx, "w1", o.Ref)
		if err != nil || got.Title != text || got.KeyResults[0].Title != text || len(got.History) != 1 || got.History[0].From != text {
			t.Errorf("%q came back as %+v, %v", text, got, err)
		}
		c := domain.CheckIn{WorkspaceID: "w1", UserID: "ada", KR: o.KeyResults[0].Ref, Objective: o.Ref, Week: domain.Week("2026-W47"),
			Value: float64(i), Confidence: 7, Note: text, By: "carol"}
		if _, err := st.SaveCheckIn(ctx, c); err != nil {
			t.Fatal(err)
		}
		cs, _ := st.CheckIns(ctx, "w1", domain.CheckInFilter{KRs: []string{c.KR}})
		if len(cs) != 1 || cs[0].Note != text || cs[0].By != "carol" {
			t.Errorf("check-in note %q came back as %+v", text, cs)
		}
		k := domain.KPI{WorkspaceID: "w1", Slug: "k" + string(rune('a'+i)), Name: text, Unit: "x", Direction: domain.HigherIsBetter, Cadence: domain.Weekly, Owner: "ada"}
		if err := st.CreateKPI(ctx, k); err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddKPIValue(ctx, domain.KPIValue{WorkspaceID: "w1", Slug: k.Slug, Value: 1, Note: text, By: "ada"}); err != nil {
			t.Fatal(err)
		}
		got2, _ := st.KPI(ctx, "w1", k.Slug)
		if got2.Name != text || got2.Latest == nil || got2.Latest.Note != text {
			t.Errorf("KPI text %q came back as %+v", text, got2)
		}
	}
	// Text shaped like an operator finds nothing when used as a key.
	if _, err := st.Objective(ctx, "w1", `{"$gt": ""}`); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("an operator-shaped ref found something: %v", err)
	}
	if _, err := st.KPI(ctx, "w1", `$ne`); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("an operator-shaped slug found something: %v", err)
	}
}
