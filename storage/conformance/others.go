package conformance

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/testclock"
	"github.com/okrbot/okrbot/storage"
)

func testWorkspacesUsersSubscriptions(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	w := domain.Workspace{ID: "slack:T1", Platform: domain.Slack, ExternalID: "T1", Name: "Acme", Settings: domain.DefaultSettings("Europe/Paris")}
	got, err := st.EnsureWorkspace(ctx, w)
	if err != nil || got.Settings != w.Settings || got.Name != "Acme" || got.Platform != domain.Slack || got.CreatedAt.IsZero() {
		t.Fatalf("EnsureWorkspace = %+v, %v", got, err)
	}
	w.Settings.TimeZone = "UTC" // a second ensure keeps what is stored
	if got, _ = st.EnsureWorkspace(ctx, w); got.Settings.TimeZone != "Europe/Paris" {
		t.Errorf("EnsureWorkspace overwrote settings: %+v", got.Settings)
	}
	must(t, st.NameWorkspace(ctx, "slack:T1", "Acme Europe")) // renamed in Slack
	if got, _ := st.Workspace(ctx, "slack:T1"); got.Name != "Acme Europe" || got.Settings.TimeZone != "Europe/Paris" {
		t.Errorf("NameWorkspace: %+v", got)
	}
	mustCode(t, "naming a missing workspace", st.NameWorkspace(ctx, "slack:T9", "Nope"), domain.ENOTFOUND)
	_, err = st.Workspace(ctx, "slack:T9")
	mustCode(t, "a missing workspace", err, domain.ENOTFOUND)
	st.EnsureWorkspace(ctx, domain.Workspace{ID: "teams:X", Platform: domain.Teams, ExternalID: "X", Settings: domain.DefaultSettings("UTC")})
	if all, _ := st.Workspaces(ctx); len(all) != 2 || all[0].ID != "slack:T1" || all[1].ID != "teams:X" {
		t.Errorf("Workspaces = %+v", all)
	}
	set := domain.DefaultSettings("Asia/Tokyo")
	set.Digest.Off, set.CheckIn.Weekday, set.CheckIn.Minute = true, time.Thursday, 14*60+30
	set.Escalate = domain.Escalation{After: 3, Set: true}
	must(t, st.SaveSettings(ctx, "slack:T1", set))
	if got, _ := st.Workspace(ctx, "slack:T1"); got.Settings != set {
		t.Errorf("settings %+v, want %+v", got.Settings, set)
	}
	mustCode(t, "settings of a missing workspace", st.SaveSettings(ctx, "slack:T9", set), domain.ENOTFOUND)

	must(t, st.SaveUser(ctx, domain.User{WorkspaceID: "slack:T1", ID: "U1", Name: "Ada", TimeZone: "Asia/Tokyo"}))
	until := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	must(t, st.SetAway(ctx, "slack:T1", "U1", until))
	must(t, st.SaveUser(ctx, domain.User{WorkspaceID: "slack:T1", ID: "U1", Name: "Ada L."}))
	u, err := st.User(ctx, "slack:T1", "U1")
	if err != nil || u.Name != "Ada L." || u.TimeZone != "Asia/Tokyo" || !u.AwayUntil.Equal(until) || u.UpdatedAt.IsZero() {
		t.Fatalf("User = %+v, %v", u, err)
	}
	must(t, st.SetAway(ctx, "slack:T1", "U1", time.Time{}))
	if u, _ = st.User(ctx, "slack:T1", "U1"); !u.AwayUntil.IsZero() || u.Name != "Ada L." {
		t.Errorf("back: %+v", u)
	}
	must(t, st.SetAway(ctx, "slack:T1", "U2", until)) // someone okrbot has not met yet
	_, err = st.User(ctx, "slack:T2", "U1")
	mustCode(t, "a user from another workspace", err, domain.ENOTFOUND)
	if us, _ := st.Users(ctx, "slack:T1"); len(us) != 2 || us[0].ID != "U1" || us[1].ID != "U2" || !us[1].AwayUntil.Equal(until) {
		t.Errorf("Users = %+v", us)
	}
	if us, _ := st.Users(ctx, "slack:T1", "U2", "U7"); len(us) != 1 || us[0].ID != "U2" {
		t.Errorf("Users(U2, U7) = %+v", us)
	}

	must(t, st.Subscribe(ctx, domain.Subscription{WorkspaceID: "slack:T1", Channel: "C2", Company: true, By: "U1"}))
	must(t, st.Subscribe(ctx, domain.Subscription{WorkspaceID: "slack:T1", Channel: "C1", Company: true}))
	must(t, st.Subscribe(ctx, domain.Subscription{WorkspaceID: "slack:T1", Channel: "C1", By: "U2"}))
	subs, _ := st.Subscriptions(ctx, "slack:T1")
	if len(subs) != 2 || subs[0].Channel != "C1" || subs[0].Company || subs[0].By != "U2" || !subs[1].Company || subs[1].At.IsZero() {
		t.Errorf("subscriptions = %+v", subs)
	}
	if ok, _ := st.Unsubscribe(ctx, "slack:T1", "C1"); !ok {
		t.Error("unsubscribe found nothing")
	}
	if ok, _ := st.Unsubscribe(ctx, "slack:T1", "C1"); ok {
		t.Error("unsubscribed twice")
	}
	if subs, _ := st.Subscriptions(ctx, "slack:T2"); len(subs) != 0 {
		t.Errorf("another workspace sees %+v", subs)
	}
}

func testTeamSettingsAndAdmins(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	_, err := st.EnsureWorkspace(ctx, domain.Workspace{ID: "slack:T1", Platform: domain.Slack, ExternalID: "T1", Settings: domain.DefaultSettings("UTC"), Admins: []string{"U0"}})
	must(t, err)
	must(t, st.AddAdmin(ctx, "slack:T1", "U2"))
	must(t, st.AddAdmin(ctx, "slack:T1", "U1"))
	must(t, st.AddAdmin(ctx, "slack:T1", "U2"))
	w, _ := st.Workspace(ctx, "slack:T1")
	if strings.Join(w.Admins, ",") != "U0,U2,U1" || !w.IsAdmin("U1") {
		t.Errorf("admins %v, want U0,U2,U1", w.Admins)
	}
	ts := domain.DefaultSettings("America/New_York")
	ts.Reminder.Off = true
	must(t, st.SaveTeamSettings(ctx, domain.TeamSettings{WorkspaceID: "slack:T1", Channel: "C2", Settings: ts}))
	must(t, st.SaveTeamSettings(ctx, domain.TeamSettings{WorkspaceID: "slack:T1", Channel: "C1", Settings: domain.DefaultSettings("UTC")}))
	ts.Reminder.Off = false
	ts.Escalate = domain.Escalation{Off: true, Set: true}
	must(t, st.SaveTeamSettings(ctx, domain.TeamSettings{WorkspaceID: "slack:T1", Channel: "C2", Settings: ts, Lead: "U7"}))
	got, err := st.TeamSettings(ctx, "slack:T1")
	must(t, err)
	if len(got) != 2 || got[0].Channel != "C1" || got[1].Settings != ts || got[1].Lead != "U7" || got[0].Lead != "" {
		t.Errorf("team settings %+v", got)
	}
	// Saving a team's override replaces its lead too.
	must(t, st.SaveTeamSettings(ctx, domain.TeamSettings{WorkspaceID: "slack:T1", Channel: "C2", Settings: ts}))
	if got, _ := st.TeamSettings(ctx, "slack:T1"); len(got) != 2 || got[1].Lead != "" {
		t.Errorf("team settings after the lead was cleared %+v", got)
	}
	if got, _ := st.TeamSettings(ctx, "slack:T2"); len(got) != 0 {
		t.Errorf("another workspace sees %+v", got)
	}
}

// testKPIReadings: a status reads a KPI's values since a moment and the
// one before it (the value the KPI stood at then), never the whole history,
// and never another workspace's.
func testKPIReadings(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	day := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	for _, w := range []string{"slack:T1", "slack:T2"} {
		for _, slug := range []string{"leads", "nps", "quiet"} {
			must(t, st.CreateKPI(ctx, domain.KPI{WorkspaceID: w, Slug: slug, Name: slug, Direction: domain.HigherIsBetter, Cadence: domain.Daily, Owner: "U1"}))
		}
	}
	add := func(w, slug string, v float64, at time.Time) {
		t.Helper()
		if _, err := st.AddKPIValue(ctx, domain.KPIValue{WorkspaceID: w, Slug: slug, Value: v, At: at, By: "U1", Note: "n"}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 { // leads: 0..9 on days 0..9
		add("slack:T1", "leads", float64(i), day.AddDate(0, 0, i))
	}
	add("slack:T1", "leads", 99, day.AddDate(0, 0, 40)) // dated in the future of the others
	add("slack:T2", "leads", -1, day.AddDate(0, 0, 8))
	add("slack:T1", "nps", 30, day.AddDate(0, -6, 0)) // only long before since
	since := day.AddDate(0, 0, 7)
	got, err := st.KPIReadings(ctx, "slack:T1", []string{"leads", "nps", "quiet", "leads", "gone"}, since, 100)
	if err != nil {
		t.Fatal(err)
	}
	values := func(vs []domain.KPIValue) []float64 {
		out := []float64{}
		for _, v := range vs {
			out = append(out, v.Value)
		}
		return out
	}
	if v := values(got["leads"]); !slices.Equal(v, []float64{99, 9, 8, 7, 6}) {
		t.Errorf("leads since day 7 = %v, want [99 9 8 7 6] (newest first, and the one before since)", v)
	}
	if l := got["leads"]; len(l) > 0 && (!l[0].At.Equal(day.AddDate(0, 0, 40)) || l[0].Slug != "leads" || l[0].WorkspaceID != "slack:T1") {
		t.Errorf("leads' newest reading = %+v", l[0])
	}
	if v := values(got["nps"]); !slices.Equal(v, []float64{30}) {
		t.Errorf("nps = %v, want [30]: its last value before since is where it stands", v)
	}
	if len(got["quiet"]) != 0 || len(got["gone"]) != 0 {
		t.Errorf("a KPI without values, an unknown slug: %v, %v", got["quiet"], got["gone"])
	}
	// A since that falls on a value keeps that value and the one before.
	got, _ = st.KPIReadings(ctx, "slack:T1", []string{"leads"}, day.AddDate(0, 0, 9), 100)
	if v := values(got["leads"]); !slices.Equal(v, []float64{99, 9, 8}) {
		t.Errorf("leads since day 9 = %v, want [99 9 8]", v)
	}
	// At most limit each, the newest.
	got, _ = st.KPIReadings(ctx, "slack:T1", []string{"leads"}, day, 3)
	if v := values(got["leads"]); !slices.Equal(v, []float64{99, 9, 8}) {
		t.Errorf("leads, at most 3 = %v", v)
	}
	got, _ = st.KPIReadings(ctx, "slack:T2", []string{"leads"}, day, 100)
	if v := values(got["leads"]); !slices.Equal(v, []float64{-1}) {
		t.Errorf("the other workspace's leads = %v", v)
	}
}

func testKPIValuesAndLatest(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	target, warn := 35.0, 25.0
	k := domain.KPI{WorkspaceID: "slack:T1", Slug: "leads", Name: "Web leads", Unit: "/day", Direction: domain.HigherIsBetter, Target: &target, Warn: &warn,
		Cadence: domain.Daily, Owner: "U1", Team: "C1"}
	must(t, st.CreateKPI(ctx, k))
	mustCode(t, "a slug in use", st.CreateKPI(ctx, k), domain.ECONFLICT)
	got, err := st.KPI(ctx, "slack:T1", "leads")
	if err != nil || got.Health != domain.HealthUnknown || got.Latest != nil || *got.Target != 35 || got.Alert != nil || got.Unit != "/day" || got.Team != "C1" {
		t.Fatalf("KPI = %+v, %v", got, err)
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for i, v := range []float64{22, 25, 24} {
		got, err = st.AddKPIValue(ctx, domain.KPIValue{WorkspaceID: "slack:T1", Slug: "leads", Value: v, At: day.AddDate(0, 0, i), By: "U1", Note: "n"})
		must(t, err)
	}
	if got.Latest == nil || got.Latest.Value != 24 || got.Latest.By != "U1" || got.Latest.Note != "n" {
		t.Fatalf("AddKPIValue returned %+v", got.Latest)
	}
	// A back-dated value does not become the latest.
	got, err = st.AddKPIValue(ctx, domain.KPIValue{WorkspaceID: "slack:T1", Slug: "leads", Value: 1, At: day.AddDate(0, 0, -5), By: "U1"})
	must(t, err)
	if got.Latest == nil || got.Latest.Value != 24 || !got.Latest.At.Equal(day.AddDate(0, 0, 2)) {
		t.Fatalf("latest = %+v, want 24", got.Latest)
	}
	vals, _ := st.KPIValues(ctx, "slack:T1", "leads", 2)
	if len(vals) != 2 || vals[0].Value != 24 || vals[1].Value != 25 {
		t.Errorf("KPIValues = %+v", vals)
	}
	if vals, _ := st.KPIValues(ctx, "slack:T1", "leads", 10); len(vals) != 4 || vals[3].Value != 1 {
		t.Errorf("all values = %+v", vals)
	}
	_, err = st.AddKPIValue(ctx, domain.KPIValue{WorkspaceID: "slack:T2", Slug: "leads", Value: 3, At: day})
	mustCode(t, "a value for another workspace's KPI", err, domain.ENOTFOUND)
	ok, err := st.SetKPIHealth(ctx, "slack:T1", "leads", domain.HealthUnknown, domain.HealthYellow, day)
	if err != nil || !ok {
		t.Fatalf("first health change: %v %v", ok, err)
	}
	if ok, _ := st.SetKPIHealth(ctx, "slack:T1", "leads", domain.HealthUnknown, domain.HealthYellow, day); ok {
		t.Error("the same change was recorded twice")
	}
	if got, _ := st.KPI(ctx, "slack:T1", "leads"); got.Health != domain.HealthYellow || !got.HealthSince.Equal(day) {
		t.Errorf("health %s since %v", got.Health, got.HealthSince)
	}
	must(t, st.CreateKPI(ctx, domain.KPI{WorkspaceID: "slack:T1", Slug: "churn", Name: "Churn", Direction: domain.LowerIsBetter, Cadence: domain.Monthly}))
	if ks, _ := st.KPIs(ctx, "slack:T1"); len(ks) != 2 || ks[0].Slug != "churn" || ks[1].Latest == nil {
		t.Errorf("KPIs = %+v", ks)
	}
	if ks, _ := st.KPIs(ctx, "slack:T1", "leads", "nps"); len(ks) != 1 || ks[0].Slug != "leads" {
		t.Errorf("KPIs(leads, nps) = %+v", ks)
	}
}

func testInstallationTokensAreEncrypted(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	in := domain.Installation{WorkspaceID: "slack:T1", TeamID: "T1", TeamName: "Acme", BotToken: "xoxb-secret-token", BotUserID: "UBOT", Scope: "commands"}
	if err := st.SaveInstallation(ctx, in); !errors.Is(err, storage.ErrNoKey) {
		t.Fatalf("saving without a key: %v, want ErrNoKey", err)
	}
	key := make([]byte, 32)
	key[0] = 7
	must(t, st.SetTokenKey(key))
	must(t, st.SaveInstallation(ctx, in))
	if raw := b.RawInstallation(t, st, "slack:T1"); strings.Contains(raw, "xoxb") || !strings.Contains(raw, "enc:v1:") {
		t.Fatalf("token stored in clear: %s", raw)
	}
	got, err := st.Installation(ctx, "slack:T1")
	if err != nil || got.BotToken != "xoxb-secret-token" || got.TeamName != "Acme" || got.BotUserID != "UBOT" || got.InstalledAt.IsZero() {
		t.Fatalf("Installation = %+v, %v", got, err)
	}
	key[0] = 8
	must(t, st.SetTokenKey(key))
	if _, err := st.Installation(ctx, "slack:T1"); err == nil || strings.Contains(err.Error(), "xoxb") {
		t.Fatalf("wrong key: %v", err)
	}
	must(t, st.DeleteInstallation(ctx, "slack:T1"))
	_, err = st.Installation(ctx, "slack:T1")
	mustCode(t, "after delete", err, domain.ENOTFOUND)
}

func testConversationRefs(t *testing.T, b Backend) {
	st := b.Open(t, nil)
	r := domain.ConversationRef{WorkspaceID: "teams:X", Conversation: "a:1", Type: "personal", User: "29:u", ServiceURL: "https://smba/", BotID: "28:b"}
	must(t, st.SaveConversationRef(ctx, r))
	r.ServiceURL = "https://smba2/"
	must(t, st.SaveConversationRef(ctx, r))
	must(t, st.SaveConversationRef(ctx, domain.ConversationRef{WorkspaceID: "teams:X", Conversation: "19:channel", Type: "channel", TeamID: "19:team", ServiceURL: "https://smba2/"}))
	got, err := st.PersonalConversationRef(ctx, "teams:X", "29:u")
	if err != nil || got.ServiceURL != "https://smba2/" || got.BotID != "28:b" || got.UpdatedAt.IsZero() {
		t.Fatalf("PersonalConversationRef = %+v, %v", got, err)
	}
	if all, _ := st.ConversationRefs(ctx, "teams:X"); len(all) != 2 || all[0].Conversation != "19:channel" {
		t.Fatalf("refs %+v", all)
	}
	_, err = st.PersonalConversationRef(ctx, "teams:Y", "29:u")
	mustCode(t, "another tenant", err, domain.ENOTFOUND)
	must(t, st.DeleteConversationRef(ctx, "teams:X", "a:1"))
	_, err = st.ConversationRef(ctx, "teams:X", "a:1")
	mustCode(t, "after delete", err, domain.ENOTFOUND)
	if c, err := st.ConversationRef(ctx, "teams:X", "19:channel"); err != nil || c.TeamID != "19:team" {
		t.Fatalf("ConversationRef = %+v, %v", c, err)
	}
}

func testRemember(t *testing.T, b Backend) {
	c := testclock.New(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	st := b.Open(t, c.Now)
	if first, err := st.Remember(ctx, "k"); err != nil || !first {
		t.Fatalf("first: %v %v", first, err)
	}
	if first, _ := st.Remember(ctx, "k"); first {
		t.Fatal("a key was new twice")
	}
	must(t, st.Forget(ctx, "k"))
	if first, _ := st.Remember(ctx, "k"); !first {
		t.Fatal("a forgotten key is not new")
	}
	c.Add(time.Hour)
	st.Remember(ctx, "later")
	n, err := st.ForgetBefore(ctx, c.Now().Add(-time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("ForgetBefore removed %d, %v; want the 1 older key", n, err)
	}
	if first, _ := st.Remember(ctx, "later"); first {
		t.Fatal("ForgetBefore removed a newer key")
	}
}
