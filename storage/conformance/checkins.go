package conformance

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
)

func checkIn(o domain.Objective, i int, user string, week domain.Week, value float64, confidence int) domain.CheckIn {
	return domain.CheckIn{WorkspaceID: o.WorkspaceID, UserID: user, KR: o.KeyResults[i].Ref, Objective: o.Ref, Week: week, Value: value, Confidence: confidence}
}

func testCheckInOncePerWeek(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	o := objective(t, st, "slack:T1", "U1")
	c := checkIn(o, 0, "U1", "2026-W48", 25, 6)
	must(t, st.SaveCheckIns(ctx, []domain.CheckIn{c}, nil, domain.WeekNote{}))
	c.Value, c.Confidence, c.Note = 27, 8, "better week"
	must(t, st.SaveCheckIns(ctx, []domain.CheckIn{c}, nil, domain.WeekNote{}))
	// Concurrent submissions of the same week still leave one.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := c
			c.Value = float64(30 + i)
			if err := st.SaveCheckIns(ctx, []domain.CheckIn{c}, nil, domain.WeekNote{}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{User: "U1"})
	must(t, err)
	if len(got) != 1 || got[0].Note != "better week" || got[0].Confidence != 8 {
		t.Fatalf("%d check-ins stored for one week, want 1: %+v", len(got), got)
	}
	// Another week is another check-in; another workspace never sees them.
	c.Week = "2026-W49"
	must(t, st.SaveCheckIns(ctx, []domain.CheckIn{c}, nil, domain.WeekNote{}))
	if got, _ := st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{}); len(got) != 2 {
		t.Errorf("%d check-ins for two weeks", len(got))
	}
	if got, _ := st.CheckIns(ctx, "slack:T2", domain.CheckInFilter{}); len(got) != 0 {
		t.Errorf("another workspace sees %d check-ins", len(got))
	}
}

func testCheckInMovesItsKeyResult(t *testing.T, b Backend) {
	at := time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC)
	st := b.Open(t, func() time.Time { return at })
	o := domain.Objective{WorkspaceID: "slack:T1", Title: "o", Owner: "U1", Cycle: "2026-Q4", Commitment: domain.Committed, Status: domain.Active,
		KeyResults: []domain.KeyResult{
			{Title: "numbers", Kind: domain.Increase, Start: 22, Target: 35, Current: 22, Weight: 1, Owner: "U1"},
			{Title: "follows a KPI", Kind: domain.Increase, Start: 22, Target: 35, Current: 24, Measured: true, Weight: 1, Owner: "U1", KPI: "leads"},
			{Title: "milestone", Kind: domain.Milestone, Target: 1, Weight: 1, Owner: "U1"},
		}}
	must(t, st.CreateObjective(ctx, &o))
	done := checkIn(o, 2, "U1", "2026-W47", 1, 9)
	done.Done = true
	note := domain.WeekNote{WorkspaceID: "slack:T1", UserID: "U1", Week: "2026-W47", Note: "a good week"}
	must(t, st.SaveCheckIns(ctx, []domain.CheckIn{checkIn(o, 0, "U1", "2026-W47", 28, 7), checkIn(o, 1, "U1", "2026-W47", 99, 5), done}, nil, note))
	got, err := st.Objective(ctx, "slack:T1", o.Ref)
	must(t, err)
	k := got.KeyResults
	if k[0].Current != 28 || !k[0].Measured || k[0].Confidence != 7 || !k[0].UpdatedAt.Equal(at) {
		t.Errorf("numeric key result: %+v", k[0])
	}
	if k[1].Current != 24 || k[1].Confidence != 5 {
		t.Errorf("a key result that follows a KPI takes the confidence, not the value: %+v", k[1])
	}
	if !k[2].Done || k[2].Confidence != 9 {
		t.Errorf("milestone: %+v", k[2])
	}
	if got.Version != o.Version+1 {
		t.Errorf("version %d after one submission, want %d", got.Version, o.Version+1)
	}
	notes, err := st.WeekNotes(ctx, "slack:T1", "2026-W47")
	must(t, err)
	if len(notes) != 1 || notes[0].Note != "a good week" || notes[0].UserID != "U1" {
		t.Errorf("week notes %+v", notes)
	}
	cs, _ := st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{KRs: []string{o.KeyResults[1].Ref}})
	if len(cs) != 1 || cs[0].Value != 99 || cs[0].Objective != o.Ref || !cs[0].At.Equal(at) {
		t.Errorf("the check-in keeps what was said: %+v", cs)
	}
	// A note on its own, the same week, replaces the week's note.
	must(t, st.SaveCheckIns(ctx, nil, nil, domain.WeekNote{WorkspaceID: "slack:T1", UserID: "U1", Week: "2026-W47", Note: "better still"}))
	if notes, _ := st.WeekNotes(ctx, "slack:T1", "2026-W47"); len(notes) != 1 || notes[0].Note != "better still" {
		t.Errorf("week notes %+v", notes)
	}
}

func testCheckInsAreAllOrNothing(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	o := objective(t, st, "slack:T1", "U1")
	good := checkIn(o, 0, "U1", "2026-W48", 30, 7)
	missing := domain.CheckIn{WorkspaceID: "slack:T1", UserID: "U1", KR: "KR-99", Objective: o.Ref, Week: "2026-W48", Value: 1, Confidence: 5}
	err := st.SaveCheckIns(ctx, []domain.CheckIn{good, missing}, nil, domain.WeekNote{WorkspaceID: "slack:T1", UserID: "U1", Week: "2026-W48", Note: "n"})
	mustCode(t, "a check-in of a missing key result", err, domain.ENOTFOUND)
	if cs, _ := st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{}); len(cs) != 0 {
		t.Errorf("a refused submission stored %d check-ins", len(cs))
	}
	if got, _ := st.Objective(ctx, "slack:T1", o.Ref); got.KeyResults[0].Current != 22 || got.Version != o.Version {
		t.Errorf("a refused submission moved the key result: %+v", got)
	}
	if notes, _ := st.WeekNotes(ctx, "slack:T1", "2026-W48"); len(notes) != 0 {
		t.Errorf("a refused submission stored its note")
	}
	other := objective(t, st, "slack:T2", "U1") // KR-1 of another workspace
	err = st.SaveCheckIns(ctx, []domain.CheckIn{{WorkspaceID: "slack:T3", UserID: "U1", KR: other.KeyResults[0].Ref, Week: "2026-W48", Confidence: 5}}, nil, domain.WeekNote{})
	mustCode(t, "a check-in from a workspace without that key result", err, domain.ENOTFOUND)
}

func testImportCheckIns(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	o := objective(t, st, "slack:T1", "U1")
	at := time.Date(2026, 10, 2, 15, 0, 0, 0, time.UTC)
	var cs []domain.CheckIn
	for w := range 3 {
		c := checkIn(o, 0, "U1", domain.WeekOf(at.AddDate(0, 0, 7*w), time.UTC), float64(23+w), 6)
		c.At, c.Objective = at.AddDate(0, 0, 7*w), ""
		cs = append(cs, c)
	}
	must(t, st.ImportCheckIns(ctx, cs))
	must(t, st.ImportCheckIns(ctx, cs[:1])) // again: replaces, never duplicates
	got, _ := st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{KRs: []string{o.KeyResults[0].Ref}})
	if len(got) != 3 || got[0].Value != 23 || got[2].Value != 25 || got[0].Objective != o.Ref {
		t.Fatalf("imported %+v", got)
	}
	if now, _ := st.Objective(ctx, "slack:T1", o.Ref); now.KeyResults[0].Current != 22 {
		t.Errorf("an import moved the key result to %v", now.KeyResults[0].Current)
	}
	bad := cs[0]
	bad.KR = "KR-42"
	mustCode(t, "importing a check-in of a missing key result", st.ImportCheckIns(ctx, []domain.CheckIn{bad}), domain.ENOTFOUND)
}

func testCheckInFilters(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	mk := func(team, owner string) domain.Objective {
		o := domain.Objective{WorkspaceID: "slack:T1", Title: "o", Owner: owner, Team: team, Cycle: "2026-Q4", Commitment: domain.Committed, Status: domain.Active,
			KeyResults: []domain.KeyResult{{Title: "a", Kind: domain.Increase, Target: 10, Weight: 1, Owner: owner}, {Title: "b", Kind: domain.Increase, Target: 10, Weight: 1, Owner: owner}}}
		must(t, st.CreateObjective(ctx, &o))
		return o
	}
	growth, sales := mk("C0GROWTH", "U1"), mk("C0SALES", "U2")
	day := time.Date(2026, 11, 6, 15, 0, 0, 0, time.UTC) // a Friday of 2026-W45
	var all []domain.CheckIn
	for w := range 3 {
		week := domain.Week([]string{"2026-W45", "2026-W46", "2026-W47"}[w])
		for _, o := range []domain.Objective{growth, sales} {
			for i := range o.KeyResults {
				c := checkIn(o, i, o.Owner, week, float64(w), 5)
				c.At = day.AddDate(0, 0, 7*w).Add(time.Duration(i) * time.Minute)
				all = append(all, c)
			}
		}
	}
	must(t, st.ImportCheckIns(ctx, all))
	count := func(f domain.CheckInFilter) int {
		t.Helper()
		cs, err := st.CheckIns(ctx, "slack:T1", f)
		must(t, err)
		for i := 1; i < len(cs); i++ {
			if cs[i].At.Before(cs[i-1].At) {
				t.Fatalf("check-ins out of order: %+v", cs)
			}
		}
		return len(cs)
	}
	for name, c := range map[string]struct {
		f    domain.CheckInFilter
		want int
	}{
		"all":               {domain.CheckInFilter{}, 12},
		"a person":          {domain.CheckInFilter{User: "U1"}, 6},
		"a week":            {domain.CheckInFilter{Weeks: []domain.Week{"2026-W46"}}, 4},
		"two weeks":         {domain.CheckInFilter{Weeks: []domain.Week{"2026-W46", "2026-W47"}}, 8},
		"a key result":      {domain.CheckInFilter{KRs: []string{growth.KeyResults[1].Ref}}, 3},
		"a team":            {domain.CheckInFilter{Team: "C0SALES"}, 6},
		"a team's week":     {domain.CheckInFilter{Team: "C0GROWTH", Weeks: []domain.Week{"2026-W47"}}, 2},
		"a team and a KR":   {domain.CheckInFilter{Team: "C0GROWTH", KRs: []string{growth.KeyResults[0].Ref, sales.KeyResults[0].Ref}}, 3},
		"a team without":    {domain.CheckInFilter{Team: "C0NONE"}, 0},
		"since":             {domain.CheckInFilter{Since: day.AddDate(0, 0, 7)}, 8},
		"recent of one KR":  {domain.CheckInFilter{KRs: []string{sales.KeyResults[0].Ref}, Since: day.AddDate(0, 0, 8)}, 1},
		"a person's week":   {domain.CheckInFilter{User: "U2", Weeks: []domain.Week{"2026-W45"}}, 2},
		"someone elsewhere": {domain.CheckInFilter{User: "U9"}, 0},
	} {
		if got := count(c.f); got != c.want {
			t.Errorf("%s: %d check-ins, want %d", name, got, c.want)
		}
	}
}

// testCheckInPoints: a key result's progress line is the value of its
// latest check-in of each week (the first person by id on a tie), oldest
// first, from the moment asked for, in the workspace asked for: what
// domain.WeeklyPoints makes of the same check-ins read whole.
func testCheckInPoints(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	mk := func(workspace string) domain.Objective {
		o := domain.Objective{WorkspaceID: workspace, Title: "o", Owner: "U1", Cycle: "2026-Q4", Commitment: domain.Committed, Status: domain.Active,
			KeyResults: []domain.KeyResult{
				{Title: "a", Kind: domain.Increase, Target: 10, Weight: 1, Owner: "U1"},
				{Title: "b", Kind: domain.Increase, Target: 10, Weight: 1, Owner: "U2"},
				{Title: "c", Kind: domain.Increase, Target: 10, Weight: 1, Owner: "U1"},
			}}
		must(t, st.CreateObjective(ctx, &o))
		return o
	}
	o, elsewhere := mk("slack:T1"), mk("slack:T2")       // the same refs in two workspaces
	day := time.Date(2026, 11, 6, 15, 0, 0, 0, time.UTC) // a Friday of 2026-W45
	at := func(week int, d time.Duration) time.Time { return day.AddDate(0, 0, 7*week).Add(d) }
	ci := func(o domain.Objective, kr int, user string, week int, d time.Duration, v float64) domain.CheckIn {
		c := checkIn(o, kr, user, domain.Week([]string{"2026-W44", "2026-W45", "2026-W46", "2026-W47"}[week+1]), v, 5)
		c.At = at(week, d)
		return c
	}
	must(t, st.ImportCheckIns(ctx, []domain.CheckIn{
		ci(o, 0, "U1", -1, 0, 1),          // before the moment asked for
		ci(o, 0, "U1", 0, 0, 2),           // W45
		ci(o, 0, "U1", 1, 0, 3),           // W46, then someone else later that week
		ci(o, 0, "U3", 1, time.Hour, 4),   // … whose value is the week's
		ci(o, 0, "U1", 2, 0, 5),           // W47
		ci(o, 1, "U9", 0, time.Minute, 6), // the same moment: the first by id
		ci(o, 1, "U2", 0, time.Minute, 7),
		ci(elsewhere, 0, "U1", 0, 0, 99), // another workspace
	}))
	since := at(0, 0)
	got, err := st.CheckInPoints(ctx, "slack:T1", []string{o.KeyResults[0].Ref, o.KeyResults[1].Ref, o.KeyResults[2].Ref, "KR-404"}, since)
	must(t, err)
	want := map[string][]domain.Point{
		o.KeyResults[0].Ref: {{At: at(0, 0), Value: 2}, {At: at(1, time.Hour), Value: 4}, {At: at(2, 0), Value: 5}},
		o.KeyResults[1].Ref: {{At: at(0, time.Minute), Value: 7}},
	}
	same := func(got, want map[string][]domain.Point) bool {
		if len(got) != len(want) {
			return false
		}
		for kr, w := range want {
			g := got[kr]
			if len(g) != len(w) {
				return false
			}
			for i := range w {
				if !g[i].At.Equal(w[i].At) || g[i].Value != w[i].Value {
					return false
				}
			}
		}
		return true
	}
	if !same(got, want) {
		t.Errorf("progress lines:\n got %v\nwant %v", got, want)
	}
	// The same as the check-ins read whole.
	cs, err := st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{KRs: []string{o.KeyResults[0].Ref, o.KeyResults[1].Ref}, Since: since})
	must(t, err)
	ps := make([]domain.CheckInPoint, len(cs))
	for i, c := range cs {
		ps[i] = domain.CheckInPoint{User: c.UserID, KR: c.KR, Week: c.Week, Point: domain.Point{At: c.At, Value: c.Value}}
	}
	if whole := domain.WeeklyPoints(ps); !same(got, whole) {
		t.Errorf("progress lines %v, but of the check-ins read whole %v", got, whole)
	}
	if got, err := st.CheckInPoints(ctx, "slack:T1", nil, since); err != nil || len(got) != 0 {
		t.Errorf("no key results: %v %v", got, err)
	}
}

// testLinesFollowEveryWrite: whatever writes check-ins (a check-in, a
// second answer the same week, someone else's answer, an import of
// history, an import of a workspace) or removes them (a key result taken
// out, an objective deleted), a key result's progress line is the weekly
// points of its check-ins as they are then, exactly (a store may keep the
// lines rather than draw them from the check-ins each time).
func testLinesFollowEveryWrite(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	mk := func(workspace string, n int) domain.Objective {
		o := domain.Objective{WorkspaceID: workspace, Title: "o", Owner: "U1", Cycle: "2026-Q4", Commitment: domain.Committed, Status: domain.Active}
		for i := range n {
			o.KeyResults = append(o.KeyResults, domain.KeyResult{Title: fmt.Sprint("kr ", i), Kind: domain.Increase, Target: 100, Weight: 1, Owner: "U1"})
		}
		must(t, st.CreateObjective(ctx, &o))
		return o
	}
	o, other := mk("slack:T1", 3), mk("slack:T1", 1)
	weeks := []domain.Week{"2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48"}
	monday := time.Date(2026, 10, 26, 9, 0, 0, 0, time.UTC) // of 2026-W44
	r := rand.New(rand.NewPCG(7, 9))
	ci := func(o domain.Objective) domain.CheckIn {
		w := r.IntN(len(weeks))
		c := checkIn(o, r.IntN(len(o.KeyResults)), []string{"U1", "U2", "U3"}[r.IntN(3)], weeks[w], float64(r.IntN(1000))/10+0.1, 1+r.IntN(10))
		c.At = monday.AddDate(0, 0, 7*w).Add(time.Duration(r.IntN(5*24)) * time.Hour)
		if r.IntN(4) == 0 {
			c.At = c.At.Truncate(24 * time.Hour) // moments that tie
		}
		return c
	}
	check := func(step string, workspace string, os ...domain.Objective) {
		t.Helper()
		var krs []string
		for _, o := range os {
			for _, kr := range o.KeyResults {
				krs = append(krs, kr.Ref)
			}
		}
		for _, since := range []time.Time{{}, monday.AddDate(0, 0, 10)} {
			got, err := st.CheckInPoints(ctx, workspace, krs, since)
			must(t, err)
			f := domain.CheckInFilter{KRs: krs}
			if !since.IsZero() {
				f.Since = since
			}
			cs, err := st.CheckIns(ctx, workspace, f)
			must(t, err)
			ps := make([]domain.CheckInPoint, len(cs))
			for i, c := range cs {
				ps[i] = domain.CheckInPoint{User: c.UserID, KR: c.KR, Week: c.Week, Point: domain.Point{At: c.At, Value: c.Value}}
			}
			want := domain.WeeklyPoints(ps)
			if len(got) != len(want) {
				t.Fatalf("%s (since %v): lines of %d key results, want %d:\n got %v\nwant %v", step, since, len(got), len(want), got, want)
			}
			for kr, w := range want {
				g := got[kr]
				if len(g) != len(w) {
					t.Fatalf("%s (since %v): %s's line %v, want %v", step, since, kr, g, w)
				}
				for i := range w {
					if !g[i].At.Equal(w[i].At) || g[i].Value != w[i].Value {
						t.Fatalf("%s (since %v): %s's line %v, want %v", step, since, kr, g, w)
					}
				}
			}
		}
	}
	check("no check-ins", "slack:T1", o, other)
	for i := range 12 {
		cs := []domain.CheckIn{ci(o), ci(o)}
		if cs[0].UserID == cs[1].UserID && cs[0].KR == cs[1].KR && cs[0].Week == cs[1].Week {
			cs = cs[:1]
		}
		must(t, st.SaveCheckIns(ctx, cs, nil, domain.WeekNote{}))
		check(fmt.Sprint("check-ins ", i), "slack:T1", o, other)
	}
	var history []domain.CheckIn
	for range 20 {
		history = append(history, ci(o), ci(other))
	}
	must(t, st.ImportCheckIns(ctx, history))
	check("history imported", "slack:T1", o, other)
	// An answer again, the same week, later: the week's value is the new one.
	again := history[len(history)-2]
	again.Value, again.At = again.Value+1, again.At.Add(time.Minute)
	must(t, st.SaveCheckIns(ctx, []domain.CheckIn{again}, nil, domain.WeekNote{}))
	check("answered again", "slack:T1", o, other)

	o2, err := st.ModifyObjective(ctx, "slack:T1", o.Ref, func(x *domain.Objective) error {
		x.KeyResults = x.KeyResults[1:]
		return nil
	})
	must(t, err)
	check("a key result taken out", "slack:T1", o, other) // its line goes with it
	check("a key result taken out", "slack:T1", o2)
	must(t, st.DeleteObjective(ctx, "slack:T1", other.Ref))
	check("an objective deleted", "slack:T1", o2, other)

	batch := domain.ImportBatch{
		Workspace: &domain.Workspace{ID: "slack:T8", Platform: domain.Slack, ExternalID: "T8", Name: "Imported", Settings: domain.DefaultSettings("UTC")},
		Objectives: []domain.Objective{{Ref: "O-1", Title: "Imported", Owner: "U1", Cycle: "2026-Q4", Commitment: domain.Committed, Status: domain.Active,
			KeyResults: []domain.KeyResult{{Ref: "KR-1", Title: "a", Kind: domain.Increase, Target: 10, Weight: 1, Owner: "U1"}}}},
	}
	imported := batch.Objectives[0]
	imported.WorkspaceID = "slack:T8"
	for range 8 {
		c := ci(imported)
		c.WorkspaceID = ""
		batch.CheckIns = append(batch.CheckIns, c)
	}
	must(t, st.ImportData(ctx, "slack:T8", batch))
	check("a workspace imported", "slack:T8", imported)
	check("the other workspace", "slack:T1", o2)
}
