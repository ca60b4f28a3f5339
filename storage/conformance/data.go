package conformance

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
)

// What the HTTP API, KPI sources, imports and exports keep: API tokens,
// idempotency keys, keyed KPI values, sources, imports, and the reads of
// an export.

func token(workspace, name, secret string, at time.Time) domain.APIToken {
	return domain.APIToken{ID: domain.HashToken(secret), WorkspaceID: workspace, Name: name, Hint: secret[:6] + "…", CreatedBy: "U1", CreatedAt: at}
}

func testAPITokens(t *testing.T, b Backend) {
	at := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	st := b.Open(t, func() time.Time { return at })
	etl := token("slack:T1", "etl", "okrbot_secret-one", at)
	must(t, st.CreateAPIToken(ctx, etl))
	got, err := st.APIToken(ctx, etl.ID)
	if err != nil || got != etl {
		t.Fatalf("APIToken = %+v, %v; want %+v", got, err, etl)
	}
	mustCode(t, "a second live token of the same name", st.CreateAPIToken(ctx, token("slack:T1", "etl", "okrbot_secret-two", at)), domain.ECONFLICT)
	mustCode(t, "the same secret twice", st.CreateAPIToken(ctx, token("slack:T1", "grafana", "okrbot_secret-one", at)), domain.ECONFLICT)
	must(t, st.CreateAPIToken(ctx, token("slack:T2", "etl", "okrbot_secret-three", at))) // another workspace, same name
	must(t, st.CreateAPIToken(ctx, token("slack:T1", "grafana", "okrbot_secret-four", at)))
	_, err = st.APIToken(ctx, domain.HashToken("okrbot_nobody"))
	mustCode(t, "an unknown token", err, domain.ENOTFOUND)

	later := at.Add(time.Hour)
	revoked, err := st.RevokeAPIToken(ctx, "slack:T1", "etl", later)
	if err != nil || !revoked.RevokedAt.Equal(later) || revoked.ID != etl.ID {
		t.Fatalf("RevokeAPIToken = %+v, %v", revoked, err)
	}
	if got, _ := st.APIToken(ctx, etl.ID); !got.Revoked() {
		t.Errorf("a revoked token reads as live: %+v", got)
	}
	_, err = st.RevokeAPIToken(ctx, "slack:T1", "etl", later)
	mustCode(t, "revoking twice", err, domain.ENOTFOUND)
	_, err = st.RevokeAPIToken(ctx, "slack:T3", "grafana", later)
	mustCode(t, "revoking another workspace's token", err, domain.ENOTFOUND)
	again := token("slack:T1", "etl", "okrbot_secret-five", later)
	must(t, st.CreateAPIToken(ctx, again)) // a revoked token frees its name

	list, err := st.APITokens(ctx, "slack:T1")
	must(t, err)
	var names []string
	for _, tk := range list {
		names = append(names, fmt.Sprintf("%s/%v", tk.Name, tk.Revoked()))
	}
	if fmt.Sprint(names) != "[etl/false grafana/false etl/true]" {
		t.Errorf("APITokens = %v, want live ones by name, then revoked", names)
	}
	if list, _ := st.APITokens(ctx, "slack:T2"); len(list) != 1 || list[0].WorkspaceID != "slack:T2" {
		t.Errorf("another workspace's tokens: %+v", list)
	}

	must(t, st.TouchAPIToken(ctx, again.ID, later.Add(time.Minute)))
	must(t, st.TouchAPIToken(ctx, again.ID, later)) // an older use does not move it back
	if got, _ := st.APIToken(ctx, again.ID); !got.LastUsedAt.Equal(later.Add(time.Minute)) {
		t.Errorf("last used %v, want %v", got.LastUsedAt, later.Add(time.Minute))
	}
}

func idem(workspace, key, fingerprint string, at time.Time) domain.IdempotencyRecord {
	return domain.IdempotencyRecord{ID: domain.IdempotencyID(workspace, key), WorkspaceID: workspace, Key: key, Fingerprint: fingerprint, CreatedAt: at}
}

func testIdempotencyKeys(t *testing.T, b Backend) {
	at := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	st := b.Open(t, nil)
	first := idem("slack:T1", "batch-1", "f1", at)
	rec, fresh, err := st.BeginIdempotent(ctx, first, at.Add(-2*time.Minute))
	if err != nil || !fresh || rec.ID != first.ID {
		t.Fatalf("a new key: %+v %v %v", rec, fresh, err)
	}
	first = rec
	// While it runs, the same key is busy, whatever the body.
	if got, fresh, err := st.BeginIdempotent(ctx, idem("slack:T1", "batch-1", "f2", at.Add(time.Second)), at.Add(-2*time.Minute)); err != nil || fresh || got.Done || got.Fingerprint != "f1" {
		t.Fatalf("a key in use: %+v %v %v", got, fresh, err)
	}
	// The same key in another workspace is another request.
	if _, fresh, _ := st.BeginIdempotent(ctx, idem("slack:T2", "batch-1", "f1", at), at.Add(-2*time.Minute)); !fresh {
		t.Error("a key of another workspace is taken")
	}
	must(t, st.FinishIdempotent(ctx, first, 201, []byte(`{"recorded":2}`)))
	got, fresh, err := st.BeginIdempotent(ctx, idem("slack:T1", "batch-1", "f1", at.Add(time.Hour)), at.Add(time.Hour-2*time.Minute))
	if err != nil || fresh || !got.Done || got.Status != 201 || string(got.Body) != `{"recorded":2}` {
		t.Fatalf("a finished key: %+v %v %v", got, fresh, err)
	}

	// A request that died is taken over once stale; the dead one's late
	// answer is not stored over the one that took over.
	dead := idem("slack:T1", "batch-2", "f1", at)
	dead, _, _ = st.BeginIdempotent(ctx, dead, at.Add(-2*time.Minute))
	if _, fresh, _ := st.BeginIdempotent(ctx, idem("slack:T1", "batch-2", "f1", at.Add(time.Minute)), at.Add(-time.Minute)); fresh {
		t.Error("a running request was taken over before it was stale")
	}
	next, fresh, err := st.BeginIdempotent(ctx, idem("slack:T1", "batch-2", "f1", at.Add(5*time.Minute)), at.Add(3*time.Minute))
	if err != nil || !fresh {
		t.Fatalf("a stale request was not taken over: %v %v", fresh, err)
	}
	must(t, st.FinishIdempotent(ctx, dead, 500, []byte("late")))
	must(t, st.AbandonIdempotent(ctx, dead))
	must(t, st.FinishIdempotent(ctx, next, 201, []byte("ok")))
	if got, _, _ := st.BeginIdempotent(ctx, idem("slack:T1", "batch-2", "f1", at.Add(6*time.Minute)), at); !got.Done || string(got.Body) != "ok" {
		t.Errorf("after a take-over: %+v", got)
	}

	// An abandoned request (a failure on okrbot's side) can be sent again.
	failed, _, _ := st.BeginIdempotent(ctx, idem("slack:T1", "batch-3", "f1", at), at.Add(-time.Minute))
	must(t, st.AbandonIdempotent(ctx, failed))
	if _, fresh, _ := st.BeginIdempotent(ctx, idem("slack:T1", "batch-3", "f1", at.Add(time.Second)), at.Add(-time.Minute)); !fresh {
		t.Error("an abandoned key is still taken")
	}

	n, err := st.CleanupIdempotent(ctx, at.Add(time.Minute))
	must(t, err)
	if n != 3 { // batch-1 and batch-3 of T1, batch-1 of T2; batch-2 began later
		t.Errorf("cleanup deleted %d, want 3", n)
	}
	if _, fresh, _ := st.BeginIdempotent(ctx, idem("slack:T1", "batch-1", "f9", at.Add(2*time.Hour)), at); !fresh {
		t.Error("a key cleaned up is still taken")
	}
}

func testIdempotencyTakeOverHasOneWinner(t *testing.T, b Backend) {
	b.require(t, true, false)
	at := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	st := b.Open(t, nil)
	st.BeginIdempotent(ctx, idem("slack:T1", "k", "f", at), at)
	var won atomic.Int32
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, fresh, err := st.BeginIdempotent(ctx, idem("slack:T1", "k", "f", at.Add(time.Hour+time.Duration(i)*time.Millisecond)), at.Add(time.Minute))
			if err != nil {
				t.Error(err)
			}
			if fresh {
				won.Add(1)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Errorf("%d callers took one stale request over, want 1", won.Load())
	}
}

func kpi(t *testing.T, st storage.Store, workspace, slug string) domain.KPI {
	t.Helper()
	k := domain.KPI{WorkspaceID: workspace, Slug: slug, Name: "Web leads", Direction: domain.HigherIsBetter, Cadence: domain.Daily, Owner: "U1"}
	must(t, st.CreateKPI(ctx, k))
	return k
}

func testKeyedKPIValuesLandOnce(t *testing.T, b Backend) {
	at := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	st := b.Open(t, nil)
	kpi(t, st, "slack:T1", "leads")
	kpi(t, st, "slack:T1", "nps")
	v := domain.KPIValue{WorkspaceID: "slack:T1", Slug: "leads", Value: 27, At: at, By: "okrbot:api", Key: "api:batch-1#0"}
	k, err := st.AddKPIValue(ctx, v)
	if err != nil || k.Latest == nil || k.Latest.Value != 27 {
		t.Fatalf("AddKPIValue = %+v, %v", k.Latest, err)
	}
	again := v
	again.Value, again.At = 99, at.Add(time.Hour) // a retry after a crash: same key, whatever it carries
	if k, err = st.AddKPIValue(ctx, again); err != nil || k.Latest.Value != 27 {
		t.Fatalf("a value recorded twice under its key: %+v, %v", k.Latest, err)
	}
	other := v
	other.Slug = "nps" // the same key on another KPI is another value
	addValue(t, st, other)
	plain := domain.KPIValue{WorkspaceID: "slack:T1", Slug: "leads", Value: 27, At: at}
	addValue(t, st, plain)
	addValue(t, st, plain) // without a key, each call is a value
	vals, err := st.KPIValues(ctx, "slack:T1", "leads", 10)
	must(t, err)
	keyed := 0
	for _, v := range vals {
		if v.Key != "" {
			keyed++
		}
	}
	if len(vals) != 3 || keyed != 1 {
		t.Errorf("%d values (%d keyed), want 3 (1 keyed): %+v", len(vals), keyed, vals)
	}
	if !b.Guarantees.AtomicUpdates {
		return
	}
	// Sent at once, a keyed value still lands once.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := st.AddKPIValue(ctx, domain.KPIValue{WorkspaceID: "slack:T1", Slug: "nps", Value: 40, At: at, Key: "source:2026-11-20"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if vals, _ := st.KPIValues(ctx, "slack:T1", "nps", 20); len(vals) != 2 {
		t.Errorf("%d values of nps after eight concurrent sends of one key, want 2", len(vals))
	}
}

func addValue(t *testing.T, st storage.Store, v domain.KPIValue) {
	t.Helper()
	_, err := st.AddKPIValue(ctx, v)
	must(t, err)
}

func testKPISources(t *testing.T, b Backend) {
	at := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	st := b.Open(t, nil)
	kpi(t, st, "slack:T1", "leads")
	src := &domain.KPISource{Kind: domain.SourceJSON, URL: "https://stats.example.com/leads.json", Path: "data.today", SetBy: "U1", SetAt: at}
	must(t, st.SetKPISource(ctx, "slack:T1", "leads", src))
	k, err := st.KPI(ctx, "slack:T1", "leads")
	if err != nil || k.Source == nil || *k.Source != *src {
		t.Fatalf("KPI source = %+v, %v; want %+v", k.Source, err, src)
	}
	v := 31.5
	state := domain.SourceState{Period: "2026-11-20", LastFetch: at.Add(time.Minute), LastValue: &v}
	must(t, st.SaveSourceState(ctx, "slack:T1", "leads", at, state))
	ks, _ := st.KPIs(ctx, "slack:T1")
	if len(ks) != 1 || ks[0].Source == nil || ks[0].Source.State.Period != "2026-11-20" || *ks[0].Source.State.LastValue != 31.5 || ks[0].Source.URL != src.URL {
		t.Fatalf("KPIs source = %+v", ks[0].Source)
	}
	// A state of a fetch of an earlier source is not saved onto a new one.
	prom := &domain.KPISource{Kind: domain.SourcePrometheus, URL: "https://prometheus.example.com", Query: "sum(up)", SetBy: "U2", SetAt: at.Add(time.Hour)}
	must(t, st.SetKPISource(ctx, "slack:T1", "leads", prom))
	failing := domain.SourceState{LastFetch: at.Add(2 * time.Hour), LastError: "timeout", FailingSince: at.Add(2 * time.Hour), Failures: 1, NextAt: at.Add(2*time.Hour + 5*time.Minute)}
	must(t, st.SaveSourceState(ctx, "slack:T1", "leads", at, failing))
	if k, _ := st.KPI(ctx, "slack:T1", "leads"); k.Source.State != (domain.SourceState{}) || k.Source.Kind != domain.SourcePrometheus {
		t.Fatalf("the old source's state landed on the new one: %+v", k.Source)
	}
	must(t, st.SaveSourceState(ctx, "slack:T1", "leads", at.Add(time.Hour), failing))
	if k, _ := st.KPI(ctx, "slack:T1", "leads"); k.Source.State != failing {
		t.Fatalf("state %+v, want %+v", k.Source.State, failing)
	}
	must(t, st.SetKPISource(ctx, "slack:T1", "leads", nil))
	if k, _ := st.KPI(ctx, "slack:T1", "leads"); k.Source != nil {
		t.Errorf("a removed source: %+v", k.Source)
	}
	must(t, st.SaveSourceState(ctx, "slack:T1", "leads", at.Add(time.Hour), failing)) // no source: nothing to save, no error
	if k, _ := st.KPI(ctx, "slack:T1", "leads"); k.Source != nil {
		t.Errorf("a state brought a removed source back: %+v", k.Source)
	}
	mustCode(t, "the source of a missing KPI", st.SetKPISource(ctx, "slack:T1", "nope", src), domain.ENOTFOUND)
	mustCode(t, "the source of another workspace's KPI", st.SetKPISource(ctx, "slack:T2", "leads", src), domain.ENOTFOUND)
}

func testExportReads(t *testing.T, b Backend) {
	at := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	st := b.Open(t, nil)
	old := kpi(t, st, "slack:T1", "churn")
	kpi(t, st, "slack:T1", "leads")
	kpi(t, st, "slack:T2", "other")
	old.Archived = true
	must(t, st.EditKPI(ctx, old, nil))
	if ks, _ := st.KPIs(ctx, "slack:T1"); len(ks) != 1 || ks[0].Slug != "leads" {
		t.Errorf("KPIs = %+v, want leads only", ks)
	}
	ks, err := st.AllKPIs(ctx, "slack:T1")
	if err != nil || len(ks) != 2 || ks[0].Slug != "churn" || !ks[0].Archived || ks[1].Slug != "leads" || ks[0].History != nil {
		t.Errorf("AllKPIs = %+v, %v", ks, err)
	}
	o := objective(t, st, "slack:T1", "U1")
	for i, w := range []domain.Week{"2026-W47", "2026-W46"} {
		for _, u := range []string{"U2", "U1"} {
			c := checkIn(o, 0, "U1", w, 25, 6)
			c.At = at.AddDate(0, 0, -7*i)
			must(t, st.SaveCheckIns(ctx, []domain.CheckIn{c}, nil, domain.WeekNote{WorkspaceID: "slack:T1", UserID: u, Week: w, Wins: "wins of " + u, At: c.At}))
		}
	}
	st.SaveCheckIns(ctx, nil, nil, domain.WeekNote{WorkspaceID: "slack:T2", UserID: "U1", Week: "2026-W47", Note: "elsewhere"})
	notes, err := st.AllWeekNotes(ctx, "slack:T1")
	must(t, err)
	var got []string
	for _, n := range notes {
		got = append(got, string(n.Week)+"/"+n.UserID+"/"+n.Wins)
	}
	if fmt.Sprint(got) != "[2026-W46/U1/wins of U1 2026-W46/U2/wins of U2 2026-W47/U1/wins of U1 2026-W47/U2/wins of U2]" {
		t.Errorf("AllWeekNotes = %v", got)
	}

	must(t, st.SaveUser(ctx, domain.User{WorkspaceID: "slack:T1", ID: "U1", Name: "Ada", Email: "ada@example.com"}))
	must(t, st.SaveUser(ctx, domain.User{WorkspaceID: "slack:T1", ID: "U1", Name: "Ada L."})) // the platform knows no email
	if u, _ := st.User(ctx, "slack:T1", "U1"); u.Email != "ada@example.com" || u.Name != "Ada L." {
		t.Errorf("SaveUser lost the email: %+v", u)
	}
	if us, _ := st.Users(ctx, "slack:T1"); len(us) != 1 || us[0].Email != "ada@example.com" {
		t.Errorf("Users = %+v", us)
	}
}

// importBatch is a small company's data as an import brings it: refs,
// times and states as given.
func importBatch(at time.Time) domain.ImportBatch {
	grade := 0.7
	target := 35.0
	return domain.ImportBatch{
		Workspace: &domain.Workspace{ID: "slack:T9", Platform: domain.Slack, ExternalID: "T9", Name: "Imported", Settings: domain.DefaultSettings("Europe/Paris"),
			Admins: []string{"U1"}, CreatedAt: at.AddDate(-1, 0, 0)},
		People: []domain.User{{ID: "U1", Name: "Ada", Email: "ada@example.com", TimeZone: "Europe/Paris"}, {ID: "U2", Name: "Bob", AwayUntil: at.AddDate(0, 2, 0)}},
		KPIs: []domain.KPI{{Slug: "leads", Name: "Web leads", Unit: "/day", Direction: domain.HigherIsBetter, Target: &target, Cadence: domain.Daily,
			Owner: "U1", Health: domain.HealthGreen, HealthSince: at.AddDate(0, -1, 0), CreatedAt: at.AddDate(0, -6, 0),
			Source: &domain.KPISource{Kind: domain.SourceJSON, URL: "https://stats.example.com/leads.json", SetBy: "U1", SetAt: at.AddDate(0, -2, 0)}}},
		KPIValues: []domain.KPIValue{{Slug: "leads", Value: 30, At: at.AddDate(0, 0, -1)}, {Slug: "leads", Value: 28, At: at.AddDate(0, 0, -2), Note: "holiday", By: "U1"}},
		Objectives: []domain.Objective{
			{Ref: "O-7", Title: "Grow Europe", Owner: "U1", Cycle: "2026-Q4", Commitment: domain.Committed, Status: domain.Active, CreatedBy: "U1",
				CreatedAt: at.AddDate(0, -2, 0), UpdatedAt: at.AddDate(0, 0, -3),
				KeyResults: []domain.KeyResult{
					{Ref: "KR-30", Title: "Increase leads from 22 to 35 per day", Kind: domain.Increase, Start: 22, Target: 35, Current: 30, Measured: true,
						Unit: "/day", Weight: 1, Owner: "U1", KPI: "leads", Confidence: 7, UpdatedAt: at.AddDate(0, 0, -3), CreatedAt: at.AddDate(0, -2, 0),
						Initiatives: []domain.Initiative{{Ref: "I-12", Title: "Run webinars", CreatedBy: "U1", CreatedAt: at.AddDate(0, -1, 0)}}},
					{Ref: "KR-31", Title: "Hire a VP of sales", Kind: domain.Milestone, Target: 1, Weight: 2, Owner: "U2", Confidence: 5, UpdatedAt: at.AddDate(0, 0, -3)},
				}},
			{Ref: "O-3", Title: "Closed last quarter", Owner: "U2", Cycle: "2026-Q3", Commitment: domain.Aspirational, Status: domain.Closed, Grade: &grade,
				GradeNote: "most of it", Parent: "O-7", CreatedBy: "U2", CreatedAt: at.AddDate(0, -5, 0), UpdatedAt: at.AddDate(0, -2, 0), KeyResults: []domain.KeyResult{}},
		},
		CheckIns: []domain.CheckIn{
			{UserID: "U1", KR: "KR-30", Objective: "O-7", Week: "2026-W46", Value: 27, Confidence: 6, Note: "slow", At: at.AddDate(0, 0, -7), FirstAt: at.AddDate(0, 0, -8)},
			{UserID: "U1", KR: "KR-30", Objective: "O-7", Week: "2026-W47", Value: 30, Confidence: 7, At: at, By: "U2"},
		},
		WeekNotes: []domain.WeekNote{{UserID: "U1", Week: "2026-W47", Wins: "two deals", Blockers: "none", At: at}},
	}
}

func testImportData(t *testing.T, b Backend) {
	at := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	now := at.AddDate(0, 1, 0)
	st := b.Open(t, func() time.Time { return now })
	in := importBatch(at)
	must(t, st.ImportData(ctx, "slack:T9", in))

	w, err := st.Workspace(ctx, "slack:T9")
	if err != nil || w.Name != "Imported" || !w.CreatedAt.Equal(at.AddDate(-1, 0, 0)) || w.Settings != in.Workspace.Settings || !w.IsAdmin("U1") {
		t.Errorf("workspace %+v, %v", w, err)
	}
	us, _ := st.Users(ctx, "slack:T9")
	if len(us) != 2 || us[0].Email != "ada@example.com" || us[0].TimeZone != "Europe/Paris" || !us[1].AwayUntil.Equal(at.AddDate(0, 2, 0)) {
		t.Errorf("people %+v", us)
	}
	// Bob's absence (still ahead at the import) is in his away history, from
	// when he was last updated.
	if ps, err := st.AwayPeriods(ctx, "slack:T9"); err != nil || len(ps) != 1 || len(us) != 2 || ps[0].UserID != "U2" ||
		!ps[0].From.Equal(us[1].UpdatedAt) || !ps[0].Until.Equal(us[1].AwayUntil) {
		t.Errorf("away periods %+v, %v", ps, err)
	}
	k, err := st.KPI(ctx, "slack:T9", "leads")
	if err != nil || !k.CreatedAt.Equal(at.AddDate(0, -6, 0)) || k.Health != domain.HealthGreen || k.Source == nil || k.Source.URL != "https://stats.example.com/leads.json" ||
		k.Latest == nil || k.Latest.Value != 30 || *k.Target != 35 {
		t.Errorf("KPI %+v, %v", k, err)
	}
	if vals, _ := st.KPIValues(ctx, "slack:T9", "leads", 10); len(vals) != 2 || vals[1].Note != "holiday" || vals[1].By != "U1" {
		t.Errorf("values %+v", vals)
	}
	o, err := st.Objective(ctx, "slack:T9", "O-7")
	must(t, err)
	want := in.Objectives[0]
	want.WorkspaceID, want.Version = "slack:T9", o.Version
	if !o.CreatedAt.Equal(want.CreatedAt) || !o.UpdatedAt.Equal(want.UpdatedAt) || len(o.KeyResults) != 2 {
		t.Fatalf("objective %+v", o)
	}
	kr := o.KeyResults[0]
	if kr.Ref != "KR-30" || kr.Current != 30 || !kr.Measured || kr.Confidence != 7 || !kr.UpdatedAt.Equal(at.AddDate(0, 0, -3)) || len(kr.Initiatives) != 1 ||
		kr.Initiatives[0].Ref != "I-12" || o.KeyResults[1].Weight != 2 {
		t.Errorf("key results %+v", o.KeyResults)
	}
	closed, _ := st.Objective(ctx, "slack:T9", "O-3")
	if closed.Status != domain.Closed || closed.Grade == nil || *closed.Grade != 0.7 || closed.Parent != "O-7" {
		t.Errorf("closed objective %+v", closed)
	}
	cs, _ := st.CheckIns(ctx, "slack:T9", domain.CheckInFilter{})
	if len(cs) != 2 || !cs[0].FirstAt.Equal(at.AddDate(0, 0, -8)) || cs[1].By != "U2" || cs[0].Note != "slow" {
		t.Errorf("check-ins %+v", cs)
	}
	if notes, _ := st.WeekNotes(ctx, "slack:T9", "2026-W47"); len(notes) != 1 || notes[0].Wins != "two deals" {
		t.Errorf("week notes %+v", notes)
	}

	// The refs of the import are never handed out again.
	next := domain.Objective{WorkspaceID: "slack:T9", Title: "New", Owner: "U1", Cycle: "2026-Q4", Commitment: domain.Committed, Status: domain.Active,
		KeyResults: []domain.KeyResult{{Title: "k", Kind: domain.Milestone, Target: 1, Weight: 1, Owner: "U1",
			Initiatives: []domain.Initiative{{Title: "i", CreatedBy: "U1"}}}}}
	must(t, st.CreateObjective(ctx, &next))
	if next.Ref != "O-8" || next.KeyResults[0].Ref != "KR-32" || next.KeyResults[0].Initiatives[0].Ref != "I-13" {
		t.Errorf("after an import of O-7, KR-31 and I-12 the next refs are %s, %s, %s", next.Ref, next.KeyResults[0].Ref, next.KeyResults[0].Initiatives[0].Ref)
	}

	// Key results of an objective the store has are appended to it.
	more := domain.ImportBatch{KeyResults: map[string][]domain.KeyResult{"O-7": {{Ref: "KR-40", Title: "Open Madrid", Kind: domain.Milestone, Target: 1, Weight: 1, Owner: "U2"}}},
		CheckIns: []domain.CheckIn{{UserID: "U2", KR: "KR-40", Week: "2026-W47", Confidence: 8, At: at}}}
	must(t, st.ImportData(ctx, "slack:T9", more))
	if o, _ := st.Objective(ctx, "slack:T9", "O-7"); len(o.KeyResults) != 3 || o.KeyResults[2].Ref != "KR-40" || o.KeyResults[0].Current != 30 {
		t.Errorf("appended key results: %+v", o.KeyResults)
	}
	if cs, _ := st.CheckIns(ctx, "slack:T9", domain.CheckInFilter{KRs: []string{"KR-40"}}); len(cs) != 1 || cs[0].Objective != "O-7" {
		t.Errorf("check-in of an appended key result: %+v", cs)
	}

	// What exists already is a conflict.
	mustCode(t, "importing a workspace that exists", st.ImportData(ctx, "slack:T9", domain.ImportBatch{Workspace: in.Workspace}), domain.ECONFLICT)
	mustCode(t, "importing a ref in use", st.ImportData(ctx, "slack:T9", domain.ImportBatch{Objectives: in.Objectives[1:]}), domain.ECONFLICT)
	dup := in.Objectives[0].Clone()
	dup.Ref = "O-50"
	mustCode(t, "importing a key result ref in use", st.ImportData(ctx, "slack:T9", domain.ImportBatch{Objectives: []domain.Objective{dup}}), domain.ECONFLICT)
	mustCode(t, "importing a KPI slug in use", st.ImportData(ctx, "slack:T9", domain.ImportBatch{KPIs: in.KPIs}), domain.ECONFLICT)
	if _, err := st.Objective(ctx, "slack:T9", "O-50"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("a refused import wrote its objective: %v", err)
	}
}

func testImportIsAllOrNothing(t *testing.T, b Backend) {
	b.require(t, false, true)
	at := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	st := b.Open(t, nil)
	in := importBatch(at)
	in.CheckIns = append(in.CheckIns, domain.CheckIn{UserID: "U1", KR: "KR-99", Week: "2026-W47", Confidence: 5, At: at}) // no such key result
	mustCode(t, "an import with a check-in of a missing key result", st.ImportData(ctx, "slack:T9", in), domain.ENOTFOUND)
	if _, err := st.Workspace(ctx, "slack:T9"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("a failed import left its workspace: %v", err)
	}
	if os, _ := st.Objectives(ctx, "slack:T9", domain.ObjectiveFilter{}); len(os) != 0 {
		t.Errorf("a failed import left %d objectives", len(os))
	}
	if ks, _ := st.AllKPIs(ctx, "slack:T9"); len(ks) != 0 {
		t.Errorf("a failed import left %d KPIs", len(ks))
	}
	// ... and used up no ref.
	o := objective(t, st, "slack:T9", "U1")
	if o.Ref != "O-1" || o.KeyResults[0].Ref != "KR-1" {
		t.Errorf("after a failed import the refs are %s, %s", o.Ref, o.KeyResults[0].Ref)
	}
}
