package storage_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
	"github.com/okrbot/okrbot/storage/storagetest"
)

// These tests run against the embedded FerretDB server in every run, and
// against a real MongoDB when MONGODB_URI is set.

var ctx = context.Background()

func objective(t *testing.T, st *storage.Store, workspace, owner string) domain.Objective {
	t.Helper()
	ref, err := st.NextRef(ctx, workspace, "O")
	if err != nil {
		t.Fatal(err)
	}
	kr, err := st.NextRef(ctx, workspace, "KR")
	if err != nil {
		t.Fatal(err)
	}
	o := domain.Objective{
		WorkspaceID: workspace, Ref: ref, Title: "Grow Europe", Owner: owner, Cycle: "2026-Q4",
		Commitment: domain.Committed, Status: domain.Active, CreatedBy: owner,
		KeyResults: []domain.KeyResult{{Ref: kr, Title: "Increase leads from 22 to 35", Kind: domain.Increase,
			Start: 22, Target: 35, Current: 22, Weight: 1, Owner: owner}},
	}
	if err := st.CreateObjective(ctx, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestObjectivesAreScopedByWorkspace(t *testing.T) {
	st := storagetest.Open(t, "", nil)
	a := objective(t, st, "slack:TA", "UA")
	b := objective(t, st, "slack:TB", "UB")
	if a.Ref != "O-1" || b.Ref != "O-1" {
		t.Fatalf("refs are per workspace: got %s and %s", a.Ref, b.Ref)
	}

	got, err := st.Objectives(ctx, "slack:TB", domain.ObjectiveFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].WorkspaceID != "slack:TB" || got[0].Owner != "UB" {
		t.Fatalf("workspace B sees %+v", got)
	}
	// The same ref in B is B's objective, never A's.
	o, err := st.Objective(ctx, "slack:TB", "O-1")
	if err != nil || o.Owner != "UB" {
		t.Fatalf("Objective(B, O-1) = %+v, %v", o, err)
	}
	// A's person queried from B finds nothing.
	got, err = st.Objectives(ctx, "slack:TB", domain.ObjectiveFilter{Person: "UA"})
	if err != nil || len(got) != 0 {
		t.Fatalf("B's query for A's owner returned %d objectives, %v", len(got), err)
	}
	if _, err := st.ObjectiveOfKR(ctx, "slack:TC", a.KeyResults[0].Ref); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("ObjectiveOfKR from an empty workspace: %v", err)
	}
	if _, err := st.KPI(ctx, "slack:TB", "leads"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("KPI: %v", err)
	}
}

func TestCheckInOncePerWeek(t *testing.T) {
	st := storagetest.Open(t, "", nil)
	o := objective(t, st, "slack:T1", "U1")
	kr := o.KeyResults[0].Ref
	c := domain.CheckIn{WorkspaceID: "slack:T1", UserID: "U1", KR: kr, Objective: o.Ref, Week: "2026-W48", Value: 25, Confidence: 6}
	created, err := st.SaveCheckIn(ctx, c)
	if err != nil || !created {
		t.Fatalf("first check-in: created=%v err=%v", created, err)
	}
	c.Value, c.Confidence, c.Note = 27, 8, "better week"
	created, err = st.SaveCheckIn(ctx, c)
	if err != nil || created {
		t.Fatalf("second check-in of the week: created=%v err=%v", created, err)
	}
	// Concurrent submissions of the same week still leave one.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := c
			c.Value = float64(30 + i)
			if _, err := st.SaveCheckIn(ctx, c); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{User: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d check-ins stored for one week, want 1", len(got))
	}
	// Another week is another check-in; another workspace never sees them.
	c.Week = "2026-W49"
	if created, _ := st.SaveCheckIn(ctx, c); !created {
		t.Error("a new week should create a check-in")
	}
	if got, _ := st.CheckIns(ctx, "slack:T2", domain.CheckInFilter{}); len(got) != 0 {
		t.Errorf("another workspace sees %d check-ins", len(got))
	}
	if got, _ := st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{Weeks: []domain.Week{"2026-W48"}}); len(got) != 1 || got[0].Note != "" && got[0].Confidence != 8 {
		t.Errorf("week filter: %+v", got)
	}
}

func TestUpdateObjectiveDetectsConflicts(t *testing.T) {
	st := storagetest.Open(t, "", nil)
	o := objective(t, st, "slack:T1", "U1")
	first, second := o, o
	first.Title = "first"
	if err := st.UpdateObjective(ctx, &first); err != nil {
		t.Fatal(err)
	}
	second.Title = "second"
	if err := st.UpdateObjective(ctx, &second); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Fatalf("stale update: %v, want a conflict", err)
	}
	// ModifyObjective retries on top of the newest version.
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.ModifyObjective(ctx, "slack:T1", o.Ref, func(o *domain.Objective) error {
				o.KeyResults[0].Current++
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, _ := st.Objective(ctx, "slack:T1", o.Ref)
	if got.KeyResults[0].Current != 27 || got.Title != "first" {
		t.Errorf("after 5 increments: current %v, title %q", got.KeyResults[0].Current, got.Title)
	}
}

func TestRefsAreUniqueUnderConcurrency(t *testing.T) {
	st := storagetest.Open(t, "", nil)
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ref, err := st.NextRef(ctx, "slack:T1", "KR")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[ref] {
				t.Errorf("ref %s handed out twice", ref)
			}
			seen[ref] = true
		}()
	}
	wg.Wait()
	if len(seen) != 20 {
		t.Errorf("got %d refs", len(seen))
	}
}

func TestKPIValuesAndLatest(t *testing.T) {
	st := storagetest.Open(t, "", nil)
	target := 35.0
	k := domain.KPI{WorkspaceID: "slack:T1", Slug: "leads", Name: "Web leads", Direction: domain.HigherIsBetter, Target: &target, Cadence: domain.Daily, Owner: "U1"}
	if err := st.CreateKPI(ctx, k); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateKPI(ctx, k); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Fatalf("duplicate slug: %v", err)
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for i, v := range []float64{22, 25, 24} {
		if _, err := st.AddKPIValue(ctx, domain.KPIValue{WorkspaceID: "slack:T1", Slug: "leads", Value: v, At: day.AddDate(0, 0, i), By: "U1"}); err != nil {
			t.Fatal(err)
		}
	}
	// A back-dated value does not become the latest.
	got, err := st.AddKPIValue(ctx, domain.KPIValue{WorkspaceID: "slack:T1", Slug: "leads", Value: 1, At: day.AddDate(0, 0, -5), By: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Latest == nil || got.Latest.Value != 24 {
		t.Fatalf("latest = %+v, want 24", got.Latest)
	}
	vals, _ := st.KPIValues(ctx, "slack:T1", "leads", 2)
	if len(vals) != 2 || vals[0].Value != 24 || vals[1].Value != 25 {
		t.Errorf("KPIValues = %+v", vals)
	}
	if _, err := st.AddKPIValue(ctx, domain.KPIValue{WorkspaceID: "slack:T2", Slug: "leads", Value: 3, At: day}); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("value for another workspace's KPI: %v", err)
	}
	ok, err := st.SetKPIHealth(ctx, "slack:T1", "leads", domain.HealthUnknown, domain.HealthYellow, day)
	if err != nil || !ok {
		t.Fatalf("first health change: %v %v", ok, err)
	}
	if ok, _ := st.SetKPIHealth(ctx, "slack:T1", "leads", domain.HealthUnknown, domain.HealthYellow, day); ok {
		t.Error("the same change was recorded twice")
	}
}

func TestWorkspacesUsersSubscriptions(t *testing.T) {
	st := storagetest.Open(t, "", nil)
	w := domain.Workspace{ID: "slack:T1", Platform: domain.Slack, ExternalID: "T1", Settings: domain.DefaultSettings("Europe/Paris")}
	got, err := st.EnsureWorkspace(ctx, w)
	if err != nil || got.Settings.TimeZone != "Europe/Paris" {
		t.Fatalf("EnsureWorkspace = %+v, %v", got, err)
	}
	w.Settings.TimeZone = "UTC" // a second ensure keeps what is stored
	if got, _ = st.EnsureWorkspace(ctx, w); got.Settings.TimeZone != "Europe/Paris" {
		t.Errorf("EnsureWorkspace overwrote settings: %+v", got.Settings)
	}
	if err := st.SaveUser(ctx, domain.User{WorkspaceID: "slack:T1", ID: "U1", Name: "Ada", TimeZone: "Asia/Tokyo"}); err != nil {
		t.Fatal(err)
	}
	until := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if err := st.SetAway(ctx, "slack:T1", "U1", until); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveUser(ctx, domain.User{WorkspaceID: "slack:T1", ID: "U1", Name: "Ada L."}); err != nil {
		t.Fatal(err)
	}
	u, err := st.User(ctx, "slack:T1", "U1")
	if err != nil || u.Name != "Ada L." || u.TimeZone != "Asia/Tokyo" || !u.AwayUntil.Equal(until) {
		t.Fatalf("User = %+v, %v", u, err)
	}
	if err := st.SetAway(ctx, "slack:T1", "U1", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if u, _ = st.User(ctx, "slack:T1", "U1"); !u.AwayUntil.IsZero() {
		t.Errorf("back: away until %v", u.AwayUntil)
	}
	if _, err := st.User(ctx, "slack:T2", "U1"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("user from another workspace: %v", err)
	}
	if err := st.Subscribe(ctx, domain.Subscription{WorkspaceID: "slack:T1", Channel: "C1", Company: true}); err != nil {
		t.Fatal(err)
	}
	if err := st.Subscribe(ctx, domain.Subscription{WorkspaceID: "slack:T1", Channel: "C1"}); err != nil {
		t.Fatal(err)
	}
	subs, _ := st.Subscriptions(ctx, "slack:T1")
	if len(subs) != 1 || subs[0].Company {
		t.Errorf("subscriptions = %+v", subs)
	}
	if ok, _ := st.Unsubscribe(ctx, "slack:T1", "C1"); !ok {
		t.Error("unsubscribe found nothing")
	}
}

func TestDeleteRemovesCheckIns(t *testing.T) {
	st := storagetest.Open(t, "", nil)
	o := objective(t, st, "slack:T1", "U1")
	kr := o.KeyResults[0].Ref
	st.SaveCheckIn(ctx, domain.CheckIn{WorkspaceID: "slack:T1", UserID: "U1", KR: kr, Week: "2026-W48", Confidence: 5})
	if _, err := st.DeleteKeyResult(ctx, "slack:T1", kr); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{}); len(got) != 0 {
		t.Errorf("%d check-ins left", len(got))
	}
	if err := st.DeleteObjective(ctx, "slack:T1", o.Ref); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Objective(ctx, "slack:T1", o.Ref); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("deleted objective: %v", err)
	}
	if next, _ := st.NextRef(ctx, "slack:T1", "O"); next != "O-2" {
		t.Errorf("refs are reused: %s", next)
	}
}

func TestOpenTwiceOnOneDatabase(t *testing.T) {
	// A restart opens a database whose indexes exist already.
	uri := storagetest.URI(t)
	name := storagetest.DatabaseName()
	for i := range 3 {
		st, err := storage.Open(ctx, uri, name, time.Now)
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		if i == 2 {
			st.Drop(ctx)
		}
		st.Close(ctx)
	}
}

func TestInstallationTokensAreEncrypted(t *testing.T) {
	st := storagetest.Open(t, "", nil)
	in := domain.Installation{WorkspaceID: "slack:T1", TeamID: "T1", BotToken: "xoxb-secret-token"}
	if err := st.SaveInstallation(ctx, in); !errors.Is(err, storage.ErrNoKey) {
		t.Fatalf("saving without a key: %v, want ErrNoKey", err)
	}
	key := make([]byte, 32)
	key[0] = 7
	if err := st.SetTokenKey(key); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveInstallation(ctx, in); err != nil {
		t.Fatal(err)
	}
	if raw := storagetest.Raw(t, st, "installations", "slack:T1"); strings.Contains(raw, "xoxb") {
		t.Fatalf("token stored in clear: %s", raw)
	}
	got, err := st.Installation(ctx, "slack:T1")
	if err != nil || got.BotToken != "xoxb-secret-token" {
		t.Fatalf("Installation = %+v, %v", got, err)
	}
	key[0] = 8
	st.SetTokenKey(key)
	if _, err := st.Installation(ctx, "slack:T1"); err == nil || strings.Contains(err.Error(), "xoxb") {
		t.Fatalf("wrong key: %v", err)
	}
	if err := st.DeleteInstallation(ctx, "slack:T1"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Installation(ctx, "slack:T1"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("after delete: %v", err)
	}
}

func TestConversationRefs(t *testing.T) {
	st := storagetest.Open(t, "", nil)
	r := domain.ConversationRef{WorkspaceID: "teams:X", Conversation: "a:1", Type: "personal", User: "29:u", ServiceURL: "https://smba/"}
	if err := st.SaveConversationRef(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.ServiceURL = "https://smba2/"
	if err := st.SaveConversationRef(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := st.PersonalConversationRef(ctx, "teams:X", "29:u")
	if err != nil || got.ServiceURL != "https://smba2/" {
		t.Fatalf("PersonalConversationRef = %+v, %v", got, err)
	}
	if all, _ := st.ConversationRefs(ctx, "teams:X"); len(all) != 1 {
		t.Fatalf("%d refs", len(all))
	}
	if _, err := st.PersonalConversationRef(ctx, "teams:Y", "29:u"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("other tenant: %v", err)
	}
	if err := st.DeleteConversationRef(ctx, "teams:X", "a:1"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ConversationRef(ctx, "teams:X", "a:1"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("after delete: %v", err)
	}
}

func TestRemember(t *testing.T) {
	st := storagetest.Open(t, "", nil)
	if first, err := st.Remember(ctx, "k"); err != nil || !first {
		t.Fatalf("first: %v %v", first, err)
	}
	if first, _ := st.Remember(ctx, "k"); first {
		t.Fatal("a key was new twice")
	}
	st.Forget(ctx, "k")
	if first, _ := st.Remember(ctx, "k"); !first {
		t.Fatal("a forgotten key is not new")
	}
}

func TestCleanupClaimsKeepsRefs(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	st := storagetest.Open(t, "", func() time.Time { return now })
	o := objective(t, st, "slack:T1", "U1")
	for range 3 {
		if _, err := st.ModifyObjective(ctx, "slack:T1", o.Ref, func(o *domain.Objective) error { o.Title += "!"; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	n, err := st.CleanupClaims(ctx, now.Add(time.Second))
	if err != nil || n != 3 {
		t.Fatalf("cleaned %d claims, %v; want the 3 version claims", n, err)
	}
	if ref, _ := st.NextRef(ctx, "slack:T1", "O"); ref != "O-2" {
		t.Errorf("after cleanup the next ref is %s", ref)
	}
}

func TestRefreshLatest(t *testing.T) {
	st := storagetest.Open(t, "", nil)
	k := domain.KPI{WorkspaceID: "slack:T1", Slug: "nps", Name: "NPS", Direction: domain.HigherIsBetter, Cadence: domain.Weekly}
	if err := st.CreateKPI(ctx, k); err != nil {
		t.Fatal(err)
	}
	if got, err := st.RefreshLatest(ctx, "slack:T1", "nps"); err != nil || got.Latest != nil {
		t.Fatalf("no values: %+v %v", got.Latest, err)
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	st.AddKPIValue(ctx, domain.KPIValue{WorkspaceID: "slack:T1", Slug: "nps", Value: 40, At: day})
	st.AddKPIValue(ctx, domain.KPIValue{WorkspaceID: "slack:T1", Slug: "nps", Value: 45, At: day.Add(time.Hour)})
	if got, err := st.RefreshLatest(ctx, "slack:T1", "nps"); err != nil || got.Latest.Value != 45 {
		t.Fatalf("latest = %+v, %v", got.Latest, err)
	}
}
