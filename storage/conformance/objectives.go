package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/testclock"
)

func testObjectivesAreScopedByWorkspace(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	a := objective(t, st, "slack:TA", "UA")
	o := objective(t, st, "slack:TB", "UB")
	if a.Ref != "O-1" || o.Ref != "O-1" || a.KeyResults[0].Ref != "KR-1" || o.KeyResults[0].Ref != "KR-1" {
		t.Fatalf("refs are per workspace: got %s/%s and %s/%s", a.Ref, a.KeyResults[0].Ref, o.Ref, o.KeyResults[0].Ref)
	}
	got, err := st.Objectives(ctx, "slack:TB", domain.ObjectiveFilter{})
	must(t, err)
	if len(got) != 1 || got[0].WorkspaceID != "slack:TB" || got[0].Owner != "UB" {
		t.Fatalf("workspace B sees %+v", got)
	}
	// The same ref in B is B's objective, never A's.
	if o, err := st.Objective(ctx, "slack:TB", "O-1"); err != nil || o.Owner != "UB" {
		t.Fatalf("Objective(B, O-1) = %+v, %v", o, err)
	}
	if o, err := st.ObjectiveOfKR(ctx, "slack:TB", "KR-1"); err != nil || o.Owner != "UB" {
		t.Fatalf("ObjectiveOfKR(B, KR-1) = %+v, %v", o, err)
	}
	// A's person queried from B finds nothing.
	if got, err := st.Objectives(ctx, "slack:TB", domain.ObjectiveFilter{Person: "UA"}); err != nil || len(got) != 0 {
		t.Fatalf("B's query for A's owner returned %d objectives, %v", len(got), err)
	}
	_, err = st.ObjectiveOfKR(ctx, "slack:TC", a.KeyResults[0].Ref)
	mustCode(t, "ObjectiveOfKR from an empty workspace", err, domain.ENOTFOUND)
	_, err = st.Objective(ctx, "slack:TC", "O-1")
	mustCode(t, "Objective from an empty workspace", err, domain.ENOTFOUND)
	_, err = st.KPI(ctx, "slack:TB", "leads")
	mustCode(t, "KPI", err, domain.ENOTFOUND)
}

func testCreateAssignsRefs(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	o := domain.Objective{WorkspaceID: "slack:T1", Title: "Three results", Owner: "U1", Cycle: "2026-Q4", Commitment: domain.Aspirational,
		Status: domain.Active, KeyResults: []domain.KeyResult{
			{Title: "a", Kind: domain.Milestone, Target: 1, Weight: 1, Owner: "U1"},
			{Title: "b", Kind: domain.Increase, Start: 1, Target: 2, Current: 1, Weight: 2, Owner: "U2", Unit: "%"},
			{Title: "c", Kind: domain.StayBelow, Target: 3, Weight: 1, Owner: "U1", KPI: "churn"},
		}}
	must(t, st.CreateObjective(ctx, &o))
	if o.Ref != "O-1" || o.Version != 1 || o.CreatedAt.IsZero() || o.KeyResults[0].Ref != "KR-1" || o.KeyResults[2].Ref != "KR-3" {
		t.Fatalf("created %+v", o)
	}
	got, err := st.Objective(ctx, "slack:T1", "O-1")
	must(t, err)
	if len(got.KeyResults) != 3 || got.KeyResults[1].Ref != "KR-2" || got.KeyResults[1].Weight != 2 || got.KeyResults[1].Unit != "%" ||
		got.KeyResults[2].KPI != "churn" || got.Commitment != domain.Aspirational || !got.CreatedAt.Equal(o.CreatedAt) {
		t.Fatalf("stored %+v", got)
	}
	// A ref given from outside (an import) is kept, and later refs follow it.
	given := domain.Objective{WorkspaceID: "slack:T1", Ref: "O-7", Title: "imported", Owner: "U1", Cycle: "2026-Q4",
		Commitment: domain.Committed, Status: domain.Active, KeyResults: []domain.KeyResult{{Ref: "KR-9", Title: "x", Kind: domain.Milestone, Target: 1, Weight: 1, Owner: "U1"}}}
	must(t, st.CreateObjective(ctx, &given))
	next := objective(t, st, "slack:T1", "U1")
	if next.Ref != "O-8" || next.KeyResults[0].Ref != "KR-10" {
		t.Fatalf("after O-7 and KR-9 came %s and %s", next.Ref, next.KeyResults[0].Ref)
	}
	dup := given
	dup.KeyResults = nil
	mustCode(t, "an objective ref in use", st.CreateObjective(ctx, &dup), domain.ECONFLICT)
	dupKR := domain.Objective{WorkspaceID: "slack:T1", Ref: "O-20", Title: "dup", Owner: "U1", Cycle: "2026-Q4", Commitment: domain.Committed,
		Status: domain.Active, KeyResults: []domain.KeyResult{{Ref: "KR-2", Title: "x", Kind: domain.Milestone, Target: 1, Weight: 1, Owner: "U1"}}}
	mustCode(t, "a key result ref in use", st.CreateObjective(ctx, &dupKR), domain.ECONFLICT)
	if _, err := st.Objective(ctx, "slack:T1", "O-20"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("a refused create left its objective: %v", err)
	}
}

func testObjectiveFilters(t *testing.T, b Backend) {
	c := testclock.New(time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC))
	st := b.Open(t, c.Now)
	mk := func(owner, team, cycle string, status domain.ObjectiveStatus, krOwner, kpi string) domain.Objective {
		c.Add(time.Minute)
		o := domain.Objective{WorkspaceID: "slack:T1", Title: "o", Owner: owner, Team: team, Cycle: domain.Cycle(cycle), Commitment: domain.Committed,
			Status: status, KeyResults: []domain.KeyResult{{Title: "k", Kind: domain.Increase, Target: 10, Weight: 1, Owner: krOwner, KPI: kpi}}}
		must(t, st.CreateObjective(ctx, &o))
		return o
	}
	o1 := mk("U1", "C1", "2026-Q4", domain.Active, "U1", "")
	o2 := mk("U2", "C1", "2026-Q4", domain.Active, "U1", "leads")
	o3 := mk("U2", "C2", "2026-Q3", domain.Closed, "U2", "")
	o4 := mk("U3", "", "2026-Q4", domain.Draft, "U3", "leads")
	refs := func(os []domain.Objective, err error) string {
		t.Helper()
		must(t, err)
		s := ""
		for _, o := range os {
			s += o.Ref + " "
		}
		return s
	}
	for name, c := range map[string]struct {
		f    domain.ObjectiveFilter
		want []domain.Objective
	}{
		"all":                     {domain.ObjectiveFilter{}, []domain.Objective{o1, o2, o3, o4}},
		"cycle":                   {domain.ObjectiveFilter{Cycle: "2026-Q4"}, []domain.Objective{o1, o2, o4}},
		"person (owner or KR)":    {domain.ObjectiveFilter{Person: "U1"}, []domain.Objective{o1, o2}},
		"person owns the object.": {domain.ObjectiveFilter{Person: "U2"}, []domain.Objective{o2, o3}},
		"key result owner":        {domain.ObjectiveFilter{KROwner: "U2"}, []domain.Objective{o3}},
		"team":                    {domain.ObjectiveFilter{Team: "C1"}, []domain.Objective{o1, o2}},
		"kpi":                     {domain.ObjectiveFilter{KPI: "leads"}, []domain.Objective{o2, o4}},
		"statuses":                {domain.ObjectiveFilter{Statuses: []domain.ObjectiveStatus{domain.Active, domain.Draft}}, []domain.Objective{o1, o2, o4}},
		"refs":                    {domain.ObjectiveFilter{Refs: []string{o3.Ref, o1.Ref}}, []domain.Objective{o1, o3}},
		"combined":                {domain.ObjectiveFilter{Cycle: "2026-Q4", KROwner: "U1", Statuses: []domain.ObjectiveStatus{domain.Active}}, []domain.Objective{o1, o2}},
		"nothing":                 {domain.ObjectiveFilter{Team: "C9"}, nil},
	} {
		got := refs(st.Objectives(ctx, "slack:T1", c.f))
		if want := refs(c.want, nil); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
	// Same creation moment: by ref number (O-10 after O-9), not as text.
	c2 := testclock.New(time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC))
	st2 := b.Open(t, c2.Now)
	var want string
	for range 11 {
		o := objective(t, st2, "slack:T1", "U1")
		want += o.Ref + " "
	}
	if got := refs(st2.Objectives(ctx, "slack:T1", domain.ObjectiveFilter{})); got != want {
		t.Errorf("order at one moment: %q, want %q", got, want)
	}
}

func testModifyAddsAndRemovesKeyResults(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	o := objective(t, st, "slack:T1", "U1")
	kr1 := o.KeyResults[0].Ref
	must(t, st.SaveCheckIns(ctx, []domain.CheckIn{{WorkspaceID: "slack:T1", UserID: "U1", KR: kr1, Objective: o.Ref, Week: "2026-W48", Value: 25, Confidence: 6}}, nil, domain.WeekNote{}))
	var added int
	got, err := st.ModifyObjective(ctx, "slack:T1", o.Ref, func(o *domain.Objective) error {
		o.Title = "Grow Europe and Asia"
		added = len(o.KeyResults)
		o.KeyResults = append(o.KeyResults, domain.KeyResult{Title: "Hire a VP", Kind: domain.Milestone, Target: 1, Weight: 1, Owner: "U2"})
		return nil
	})
	must(t, err)
	if got.KeyResults[added].Ref != "KR-2" || got.Version != o.Version+2 || got.Title != "Grow Europe and Asia" {
		// +2: the check-in moved the objective once already.
		t.Fatalf("after adding: %+v", got)
	}
	if o2, _ := st.ObjectiveOfKR(ctx, "slack:T1", "KR-2"); o2.Ref != o.Ref || len(o2.KeyResults) != 2 {
		t.Fatalf("ObjectiveOfKR(KR-2) = %+v", o2)
	}
	// Removing a key result in a change takes its check-ins along.
	got, err = st.ModifyObjective(ctx, "slack:T1", o.Ref, func(o *domain.Objective) error {
		o.KeyResults = o.KeyResults[1:]
		return nil
	})
	must(t, err)
	if len(got.KeyResults) != 1 || got.KeyResults[0].Ref != "KR-2" {
		t.Fatalf("after removing: %+v", got.KeyResults)
	}
	if cs, _ := st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{}); len(cs) != 0 {
		t.Fatalf("%d check-ins of a removed key result remain", len(cs))
	}
	_, err = st.ObjectiveOfKR(ctx, "slack:T1", kr1)
	mustCode(t, "a removed key result", err, domain.ENOTFOUND)
	_, err = st.ModifyObjective(ctx, "slack:T1", "O-99", func(*domain.Objective) error { return nil })
	mustCode(t, "modifying a missing objective", err, domain.ENOTFOUND)
	// The stored key results keep every field.
	got, err = st.ModifyObjective(ctx, "slack:T1", o.Ref, func(o *domain.Objective) error {
		g := 0.7
		o.Grade, o.GradeNote, o.Status, o.Parent = &g, "two of three", domain.Closed, "KR-7"
		o.KeyResults[0].Done, o.KeyResults[0].Confidence, o.KeyResults[0].Current = true, 9, 1
		return nil
	})
	must(t, err)
	again, err := st.Objective(ctx, "slack:T1", o.Ref)
	must(t, err)
	if again.Grade == nil || *again.Grade != 0.7 || again.GradeNote != "two of three" || again.Status != domain.Closed || again.Parent != "KR-7" ||
		!again.KeyResults[0].Done || again.KeyResults[0].Confidence != 9 || again.Version != got.Version {
		t.Fatalf("stored %+v", again)
	}
}

func testRefusedChangesWriteNothing(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	o := objective(t, st, "slack:T1", "U1")
	refused := domain.Invalid("/okr kr add O-1 …", "O-1 is closed.")
	_, err := st.ModifyObjective(ctx, "slack:T1", o.Ref, func(o *domain.Objective) error {
		o.Title = "changed"
		o.KeyResults = append(o.KeyResults, domain.KeyResult{Title: "new", Kind: domain.Milestone, Target: 1, Weight: 1, Owner: "U1"})
		return refused
	})
	if err != refused {
		t.Fatalf("a refused change returned %v, not the change's own error", err)
	}
	got, _ := st.Objective(ctx, "slack:T1", o.Ref)
	if got.Title != o.Title || len(got.KeyResults) != 1 || got.Version != o.Version {
		t.Fatalf("a refused change wrote %+v", got)
	}
	// It used up no ref: the next key result is KR-2.
	next := objective(t, st, "slack:T1", "U1")
	if next.Ref != "O-2" || next.KeyResults[0].Ref != "KR-2" {
		t.Fatalf("after a refused change the next refs are %s and %s", next.Ref, next.KeyResults[0].Ref)
	}
}

func testFailedCreateUsesNoRef(t *testing.T, b Backend) {
	b.require(t, false, true)
	st := b.Open(t, nil)
	objective(t, st, "slack:T1", "U1") // O-1, KR-1
	// The objective's ref is handed out, then its key result collides:
	// the whole create is undone, the ref included.
	bad := domain.Objective{WorkspaceID: "slack:T1", Title: "x", Owner: "U1", Cycle: "2026-Q4", Commitment: domain.Committed, Status: domain.Active,
		KeyResults: []domain.KeyResult{{Title: "a", Kind: domain.Milestone, Target: 1, Weight: 1, Owner: "U1"}, {Ref: "KR-1", Title: "b", Kind: domain.Milestone, Target: 1, Weight: 1, Owner: "U1"}}}
	mustCode(t, "a create whose key result collides", st.CreateObjective(ctx, &bad), domain.ECONFLICT)
	next := objective(t, st, "slack:T1", "U1")
	if next.Ref != "O-2" || next.KeyResults[0].Ref != "KR-2" {
		t.Fatalf("a failed create used up refs: next are %s and %s", next.Ref, next.KeyResults[0].Ref)
	}
}

func testDeleteRemovesCheckIns(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	o := objective(t, st, "slack:T1", "U1")
	o, err := st.ModifyObjective(ctx, "slack:T1", o.Ref, func(o *domain.Objective) error {
		o.KeyResults = append(o.KeyResults, domain.KeyResult{Title: "second", Kind: domain.Milestone, Target: 1, Weight: 1, Owner: "U1"})
		return nil
	})
	must(t, err)
	kr1, kr2 := o.KeyResults[0].Ref, o.KeyResults[1].Ref
	for _, kr := range []string{kr1, kr2} {
		must(t, st.SaveCheckIns(ctx, []domain.CheckIn{{WorkspaceID: "slack:T1", UserID: "U1", KR: kr, Objective: o.Ref, Week: "2026-W48", Confidence: 5}}, nil, domain.WeekNote{}))
	}
	got, err := st.DeleteKeyResult(ctx, "slack:T1", kr1)
	must(t, err)
	if len(got.KeyResults) != 1 || got.KeyResults[0].Ref != kr2 {
		t.Fatalf("after deleting %s: %+v", kr1, got.KeyResults)
	}
	if cs, _ := st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{}); len(cs) != 1 || cs[0].KR != kr2 {
		t.Fatalf("check-ins after deleting a key result: %+v", cs)
	}
	_, err = st.DeleteKeyResult(ctx, "slack:T1", kr1)
	mustCode(t, "deleting it twice", err, domain.ENOTFOUND)
	must(t, st.DeleteObjective(ctx, "slack:T1", o.Ref))
	_, err = st.Objective(ctx, "slack:T1", o.Ref)
	mustCode(t, "a deleted objective", err, domain.ENOTFOUND)
	if cs, _ := st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{}); len(cs) != 0 {
		t.Fatalf("%d check-ins left after deleting the objective", len(cs))
	}
	mustCode(t, "deleting it twice", st.DeleteObjective(ctx, "slack:T1", o.Ref), domain.ENOTFOUND)
	// Refs are never reused.
	if next := objective(t, st, "slack:T1", "U1"); next.Ref != "O-2" || next.KeyResults[0].Ref != "KR-3" {
		t.Fatalf("refs reused: %s, %s", next.Ref, next.KeyResults[0].Ref)
	}
}

func testDataSurvivesReopen(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	o := objective(t, st, "slack:T1", "U1")
	must(t, st.SaveCheckIns(ctx, []domain.CheckIn{{WorkspaceID: "slack:T1", UserID: "U1", KR: o.KeyResults[0].Ref, Objective: o.Ref, Week: "2026-W48", Value: 30, Confidence: 7}}, nil,
		domain.WeekNote{WorkspaceID: "slack:T1", UserID: "U1", Week: "2026-W48", Note: "good"}))
	for i := range 2 {
		st = b.Reopen(t, st)
		got, err := st.Objective(ctx, "slack:T1", o.Ref)
		if err != nil || got.KeyResults[0].Current != 30 {
			t.Fatalf("reopen %d: %+v, %v", i+1, got, err)
		}
		if next := objective(t, st, "slack:T1", "U1"); next.Ref != fmt.Sprintf("O-%d", i+2) {
			t.Fatalf("reopen %d: the next ref is %s", i+1, next.Ref)
		}
	}
}
