package legacydata

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
)

// clock is the moment the fixture was written at.
var clock = time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC)

// Check fails t unless st holds everything the fixture holds. It ends by
// creating an objective (to check the refs go on where they stopped), so
// call it once per store.
func Check(t *testing.T, st storage.Store) {
	t.Helper()
	ctx := context.Background()
	c := Contents
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("after the migration: "+format, args...)
	}
	w, err := st.Workspace(ctx, c.Workspace)
	if err != nil || w.Name != "Acme" || w.Settings.TimeZone != "Europe/Paris" || !w.Settings.Digest.Off || !w.Settings.CheckIn.Set ||
		w.Settings.CheckIn.Weekday != time.Friday || w.Settings.CheckIn.Minute != 900 || strings.Join(w.Admins, ",") != "U0ADMIN" ||
		!w.CreatedAt.Equal(clock.AddDate(0, -2, 0)) {
		fail("workspace %+v, %v", w, err)
	}
	if wss, _ := st.Workspaces(ctx); len(wss) != 2 || wss[1].ID != c.TeamsWorkspace || wss[1].Platform != domain.Teams {
		fail("workspaces %+v", wss)
	}
	if ts, _ := st.TeamSettings(ctx, c.Workspace); len(ts) != 1 || ts[0].Channel != "C0GROWTH" || ts[0].Settings.TimeZone != "Asia/Tokyo" || ts[0].Settings.CheckIn.Weekday != time.Thursday {
		fail("team settings %+v", ts)
	}
	us, _ := st.Users(ctx, c.Workspace)
	if len(us) != 2 || us[0].Name != "Ada" || us[0].TimeZone != "Europe/London" || us[1].Name != "Bob" || !us[1].AwayUntil.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || !us[0].AwayUntil.IsZero() {
		fail("users %+v", us)
	}
	// Bob's absence under way is the first period of his away history, from
	// when he was last updated: the weeks he is away are not "missed".
	if ps, err := st.AwayPeriods(ctx, c.Workspace); err != nil || len(ps) != 1 || len(us) != 2 || ps[0].UserID != us[1].ID ||
		!ps[0].From.Equal(us[1].UpdatedAt) || !ps[0].Until.Equal(us[1].AwayUntil) {
		fail("away periods %+v, %v", ps, err)
	}
	k, err := st.KPI(ctx, c.Workspace, "web-leads")
	if err != nil || k.Target == nil || *k.Target != 35 || *k.Warn != 25 || *k.Alert != 15 || k.Unit != "/day" || k.Team != "C0GROWTH" ||
		k.Latest == nil || k.Latest.Value != 27 || k.Latest.Note != "day c" || !k.Latest.At.Equal(clock.AddDate(0, 0, -1)) ||
		k.Health != domain.HealthYellow || !k.HealthSince.Equal(clock.AddDate(0, 0, -1)) {
		fail("KPI web-leads %+v, %v", k, err)
	}
	if k, err := st.KPI(ctx, c.Workspace, "churn"); err != nil || k.Latest != nil || k.Direction != domain.LowerIsBetter || k.Health != domain.HealthUnknown || k.Target != nil {
		fail("KPI churn %+v, %v", k, err)
	}
	if vs, _ := st.KPIValues(ctx, c.Workspace, "web-leads", 10); len(vs) != 3 || vs[0].Value != 27 || vs[1].Value != 24.5 || vs[2].Value != 22 || vs[2].By != "U0ADA" {
		fail("KPI values %+v", vs)
	}
	os, _ := st.Objectives(ctx, c.Workspace, domain.ObjectiveFilter{})
	var refs []string
	for _, o := range os {
		refs = append(refs, o.Ref)
	}
	if strings.Join(refs, " ") != "O-2 O-1 O-3" { // by creation time
		fail("objectives %v", refs)
	}
	o1, err := st.Objective(ctx, c.Workspace, "O-1")
	if err != nil || len(o1.KeyResults) != 3 || o1.Commitment != domain.Aspirational || o1.Team != "C0GROWTH" || o1.Version != 2 {
		fail("O-1 %+v, %v", o1, err)
	} else {
		kr := o1.KeyResults
		if kr[0].Ref != "KR-1" || kr[0].KPI != "web-leads" || kr[0].Current != 27 || !kr[0].Measured || kr[0].Unit != "/day" ||
			kr[1].Ref != "KR-2" || kr[1].Kind != domain.Decrease || kr[1].Current != 9 || kr[1].Confidence != 7 || kr[1].Weight != 2 ||
			kr[2].Ref != "KR-3" || !kr[2].Done || kr[2].Confidence != 10 || kr[2].Owner != "U0BOB" || !kr[2].UpdatedAt.Equal(clock) {
			fail("key results of O-1 %+v", kr)
		}
	}
	o2, err := st.ObjectiveOfKR(ctx, c.Workspace, "KR-4")
	if err != nil || o2.Ref != "O-2" || o2.Status != domain.Closed || o2.Grade == nil || *o2.Grade != 0.8 || o2.GradeNote != "great quarter" ||
		o2.Parent != "KR-1" || o2.KeyResults[0].Kind != domain.StayBelow || o2.KeyResults[0].Confidence != 9 {
		fail("O-2 %+v, %v", o2, err)
	}
	if o3, err := st.Objective(ctx, c.Workspace, "O-3"); err != nil || len(o3.KeyResults) != 0 {
		fail("O-3 %+v, %v", o3, err)
	}
	if _, err := st.Objective(ctx, c.Workspace, "O-4"); domain.ErrorCode(err) != domain.ENOTFOUND {
		fail("the deleted O-4: %v", err)
	}
	cs, _ := st.CheckIns(ctx, c.Workspace, domain.CheckInFilter{})
	if len(cs) != 3 || cs[0].KR != "KR-2" || cs[0].Week != "2026-W46" || cs[0].Value != 11 || cs[0].Note != "week 2026-W46" ||
		cs[1].Value != 9 || cs[1].Confidence != 7 || cs[2].UserID != "U0BOB" || !cs[2].Done || cs[2].Objective != "O-1" || !cs[2].At.Equal(clock) {
		fail("check-ins %+v", cs)
	}
	if ns, _ := st.WeekNotes(ctx, c.Workspace, "2026-W47"); len(ns) != 1 || ns[0].Note != "a good week" {
		fail("week notes %+v", ns)
	}
	if subs, _ := st.Subscriptions(ctx, c.Workspace); len(subs) != 2 || subs[0].Channel != "C0GROWTH" || subs[0].Company || !subs[1].Company || subs[1].By != "U0ADMIN" {
		fail("subscriptions %+v", subs)
	}
	sent, err := st.Delivery(ctx, domain.OutboxID(c.Workspace, "U0ADA", "checkin-prompt", "2026-W47"))
	if err != nil || sent.State != domain.OutboxSent || sent.MessageID != "1700000000.000100" || sent.Attempts != 1 {
		fail("the sent prompt %+v, %v", sent, err)
	}
	if due, _ := st.Due(ctx, domain.OutboxQuery{Kinds: []string{"checkin-prompt"}, Workspaces: []string{c.Workspace}}, clock, 10); len(due) != 1 || due[0].Recipient != "U0BOB" {
		fail("due prompts %+v", due)
	}
	if due, _ := st.Due(ctx, domain.OutboxQuery{Kinds: []string{"digest"}, Workspaces: []string{c.Workspace}}, clock.Add(10*time.Minute), 10); len(due) != 1 || due[0].Subject != "company" || due[0].LastError != "ratelimited" {
		fail("due digests %+v", due)
	}
	if err := st.SetTokenKey(c.TokenKey); err != nil {
		t.Fatal(err)
	}
	if in, err := st.Installation(ctx, c.Workspace); err != nil || in.BotToken != c.Token || in.TeamName != "Acme" || in.InstalledBy != "U0ADMIN" {
		fail("installation %+v, %v", in, err)
	}
	if r, err := st.PersonalConversationRef(ctx, c.TeamsWorkspace, "29:ada"); err != nil || r.ServiceURL != "https://smba.trafficmanager.net/emea/" || r.BotName != "okrbot" {
		fail("Teams conversation %+v, %v", r, err)
	}
	if fresh, err := st.Remember(ctx, "slack-event/Ev0001"); err != nil || fresh {
		fail("a remembered Slack event is new again: %v %v", fresh, err)
	}
	o := domain.Objective{WorkspaceID: c.Workspace, Title: "new", Owner: "U0ADA", Cycle: "2026-Q4", Commitment: domain.Committed, Status: domain.Active,
		KeyResults: []domain.KeyResult{{Title: "k", Kind: domain.Milestone, Target: 1, Weight: 1, Owner: "U0ADA"}}}
	if err := st.CreateObjective(ctx, &o); err != nil || o.Ref != c.NextObjective || o.KeyResults[0].Ref != c.NextKR {
		fail("a new objective got %s and %s (%v), want %s and %s", o.Ref, o.KeyResults[0].Ref, err, c.NextObjective, c.NextKR)
	}
}
