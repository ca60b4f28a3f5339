package conversations_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
	"github.com/okrbot/okrbot/storage/storagetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var ctx = context.Background()

// friday is the tests' now: Friday 20 November 2026, 15:00 UTC, in 2026-Q4.
var friday = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

// clock is the tests' clock. Tests set t between steps; the mutex covers
// reads from goroutines the code under test starts.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

type fixture struct {
	t     *testing.T
	st    storage.Store
	svc   *conversations.Service
	clock *clock
	// archived are KPI slugs the snapshot reads although KPIs() hides them.
	archived []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c := &clock{t: friday}
	st := storagetest.Open(t, c.now)
	return &fixture{t: t, st: st, clock: c, svc: conversations.New(st, conversations.Options{Now: c.now})}
}

func actor(user string) conversations.Actor {
	return conversations.Actor{Platform: domain.Slack, Workspace: "T1", User: user, Name: strings.ToUpper(user[:1]) + user[1:]}
}

// run types a command as user and returns the answer as plain text.
func (f *fixture) run(user, line string) (conversations.Reply, string) {
	f.t.Helper()
	cmd, args, ok := conversations.SplitCommand(line)
	if !ok {
		f.t.Fatalf("not a command: %s", line)
	}
	r := f.svc.Command(ctx, actor(user), cmd, args)
	return r, conversations.PlainText(r.Message)
}

// must runs commands that must succeed (a reply without an error code).
func (f *fixture) must(user string, lines ...string) string {
	f.t.Helper()
	var out string
	for _, l := range lines {
		r, text := f.run(user, l)
		if r.Failed() {
			f.t.Fatalf("%s: %s: %s", l, r.Code, text)
		}
		out = text
	}
	return out
}

// snapshot is everything a command could change, as text.
func (f *fixture) snapshot() string {
	f.t.Helper()
	var b strings.Builder
	os, _ := f.st.Objectives(ctx, "slack:T1", domain.ObjectiveFilter{})
	for _, o := range os {
		fmt.Fprintf(&b, "%+v\n", o)
	}
	cs, _ := f.st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{})
	for _, c := range cs {
		fmt.Fprintf(&b, "%+v\n", c)
	}
	ks, _ := f.st.KPIs(ctx, "slack:T1")
	for _, slug := range f.archived {
		if k, err := f.st.KPI(ctx, "slack:T1", slug); err == nil {
			ks = append(ks, k)
		}
	}
	for _, k := range ks {
		fmt.Fprintf(&b, "%s %s %s %s %v %v %v %s %s %v %+v %+v\n", k.Slug, k.Name, k.Unit, k.Direction, deref(k.Target), deref(k.Warn), deref(k.Alert),
			k.Cadence, k.Owner, k.Archived, k.History, k.Latest)
		vs, _ := f.st.KPIValues(ctx, "slack:T1", k.Slug, 100)
		fmt.Fprintf(&b, "%d values\n", len(vs))
	}
	subs, _ := f.st.Subscriptions(ctx, "slack:T1")
	fmt.Fprintf(&b, "%+v\n", subs)
	ws, _ := f.st.Workspace(ctx, "slack:T1")
	fmt.Fprintf(&b, "%+v\n", ws.Settings)
	us, _ := f.st.Users(ctx, "slack:T1")
	for _, u := range us {
		fmt.Fprintf(&b, "%s %s %s %v\n", u.ID, u.Name, u.TimeZone, u.AwayUntil)
	}
	return b.String()
}

// quarter sets up a workspace with a KPI and an objective with an increase
// (linked to the KPI), a decrease and a milestone key result.
func (f *fixture) quarter() {
	f.t.Helper()
	f.must("ada",
		`/kpi create web-leads "Web leads" unit /day higher target 35 warn 25 alert 15 every day`,
		`/kpi set web-leads 22`,
		`/okr create Grow the European market --aspirational`,
		`/okr kr add O-1 Increase web leads from 22 to 35 per day --kpi web-leads`,
		`/okr kr add O-1 Reduce response time from 12h to 4h`,
		`/okr kr add O-1 Hire a VP of sales for Europe`,
	)
}

func TestKeyResultsFromPlainText(t *testing.T) {
	f := newFixture(t)
	f.quarter()
	o, err := f.st.Objective(ctx, "slack:T1", "O-1")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind          domain.Kind
		start, target float64
		unit, kpi     string
	}{
		{domain.Increase, 22, 35, "per day", "web-leads"},
		{domain.Decrease, 12, 4, "h", ""},
		{domain.Milestone, 0, 0, "", ""},
	}
	if len(o.KeyResults) != 3 {
		t.Fatalf("%d key results", len(o.KeyResults))
	}
	for i, w := range want {
		kr := o.KeyResults[i]
		if kr.Kind != w.kind || kr.Start != w.start || kr.Target != w.target || kr.Unit != w.unit || kr.KPI != w.kpi || kr.Owner != "ada" {
			t.Errorf("KR %d = %+v, want %+v", i, kr, w)
		}
	}
	// The linked key result follows the KPI.
	f.must("ada", `/kpi set web-leads 30`)
	o, _ = f.st.Objective(ctx, "slack:T1", "O-1")
	if kr := o.KeyResults[0]; kr.Current != 30 || !kr.Measured {
		t.Errorf("linked KR current = %v (measured %v), want 30", kr.Current, kr.Measured)
	}
	// Reach without a start takes the KPI's latest value.
	f.must("ada", `/okr kr add O-1 Reach 40 leads --kpi web-leads`)
	o, _ = f.st.Objective(ctx, "slack:T1", "O-1")
	if kr := o.KeyResults[3]; kr.Kind != domain.Reach || kr.Start != 30 || kr.Target != 40 {
		t.Errorf("reach KR = %+v", kr)
	}
}

func TestCheckInTwiceInOneWeekStoresOne(t *testing.T) {
	f := newFixture(t)
	f.quarter()
	f.must("ada", `/okr update KR-2 10 confidence 6 first`)
	f.must("ada", `/okr update KR-2 9 confidence 7 second`)
	r, _ := f.run("ada", `/okr checkin`)
	if r.Form == nil {
		t.Fatal("no check-in form")
	}
	values := map[string]string{"value/KR-2": "8", "confidence/KR-2": "8", "value/KR-3": "done", "confidence/KR-3": "9", "confidence/KR-1": "7"}
	sub := conversations.Submission{Form: r.Form.ID, State: r.Form.State, Values: values, Key: "view-1"}
	if r := f.svc.Submit(ctx, actor("ada"), sub); len(r.Errors) > 0 || r.Message == nil {
		t.Fatalf("submit: %+v", r)
	}
	// The same submission delivered again has no further effect.
	values["value/KR-2"] = "1"
	if r := f.svc.Submit(ctx, actor("ada"), sub); !strings.Contains(conversations.PlainText(r.Message), "already") {
		t.Fatalf("repeated submission: %s", conversations.PlainText(r.Message))
	}
	cs, _ := f.st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{KRs: []string{"KR-2"}})
	if len(cs) != 1 || cs[0].Value != 8 || cs[0].Confidence != 8 {
		t.Fatalf("check-ins of KR-2: %+v", cs)
	}
	all, _ := f.st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{})
	if len(all) != 3 {
		t.Fatalf("%d check-ins, want one per key result", len(all))
	}
	o, _ := f.st.Objective(ctx, "slack:T1", "O-1")
	if !o.KeyResults[2].Done || o.KeyResults[1].Current != 8 {
		t.Errorf("key results not moved: %+v", o.KeyResults)
	}
}

func TestCheckInFormErrorsStayOnTheirField(t *testing.T) {
	f := newFixture(t)
	f.quarter()
	r, _ := f.run("ada", `/okr checkin`)
	before := f.snapshot()
	values := map[string]string{"value/KR-2": "eight", "confidence/KR-2": "11", "value/KR-3": "7", "confidence/KR-3": "9", "confidence/KR-1": "7"}
	res := f.svc.Submit(ctx, actor("ada"), conversations.Submission{Form: r.Form.ID, State: r.Form.State, Values: values, Key: "view-2"})
	for _, id := range []string{"value/KR-2", "confidence/KR-2", "value/KR-3"} {
		if res.Errors[id] == "" {
			t.Errorf("no error on %s: %v", id, res.Errors)
		}
	}
	if res.Errors["confidence/KR-1"] != "" {
		t.Errorf("a valid field has an error: %v", res.Errors)
	}
	if after := f.snapshot(); after != before {
		t.Errorf("a rejected form changed the store:\n%s\n---\n%s", before, after)
	}
	// After the errors, the corrected form goes through (the key was released).
	values["value/KR-2"], values["confidence/KR-2"], values["value/KR-3"] = "8", "7", "done"
	if res := f.svc.Submit(ctx, actor("ada"), conversations.Submission{Form: r.Form.ID, State: r.Form.State, Values: values, Key: "view-2"}); len(res.Errors) > 0 || res.Message == nil {
		t.Fatalf("corrected form: %+v", res)
	}
}

func TestMalformedCommandsChangeNothing(t *testing.T) {
	f := newFixture(t)
	f.quarter()
	f.must("ada", `/okr update KR-2 10 confidence 6`)
	before := f.snapshot()
	bad := []string{
		`/okr frobnicate`,
		`/okr show O-99`,
		`/okr show KR-99`,
		`/okr show $ne`,
		`/okr update KR-2 10 confidence 0`,
		`/okr update KR-2 10 confidence 11`,
		`/okr update KR-2 ten confidence 7`,
		`/okr update KR-3 42 confidence 7`,
		`/okr update KR-1 40 confidence 7`,
		`/okr update KR-99 1 confidence 7`,
		`/okr update {"$gt":""} 1 confidence 7`,
		`/okr away until 2026-13-45`,
		`/okr away until tomorrow`,
		`/okr away until 2020-01-01`,
		`/kpi set web-leads 30 on 2026-02-30`,
		`/kpi set web-leads thirty`,
		`/kpi set web-leads 30 on 2099-01-01`,
		`/okr create ` + strings.Repeat("x", 10000),
		`/okr create Grow --cycle 2026-Q9`,
		`/okr create Grow --cycle {"$gt":""}`,
		`/okr create Grow --parent O-77`,
		`/okr create Grow --committed --aspirational`,
		`/okr create Grow --bogus`,
		`/okr kr add O-1 ` + strings.Repeat("y", 10000),
		`/okr kr add O-1 Increase leads from 35 to 22`,
		`/okr kr add O-1 Reach 60 --kpi $gt`,
		`/okr kr add O-1 Reach 60 --kpi a.b`,
		`/okr kr add O-1 Reach 60 --weight lots`,
		`/okr kr add O-1 Reach 60 --owner nobody`,
		`/okr kr add O-9 Reach 60`,
		`/okr kr add KR-1 Reach 60`,
		`/okr list @$where`,
		`/okr list --cycle 1999-Q1`,
		`/okr align O-1 to O-1`,
		`/okr align O-1 with O-2`,
		`/okr grade O-1 1.5`,
		`/okr grade O-1 high`,
		`/okr delete O-1 O-2`,
		`/okr delete $ne`,
		`/okr digest subscribe`,
		`/okr digest subscribe general`,
		`/okr settings checkin funday 15:00`,
		`/okr settings checkin friday 25:99`,
		`/okr settings timezone Mars/Base`,
		`/kpi create $gt "x"`,
		`/kpi create a.b "x"`,
		`/kpi create leads`,
		`/kpi create leads "Leads" target lots`,
		`/kpi create leads "Leads" higher target 10 warn 20`,
		`/kpi create leads "Leads" every fortnight`,
		`/kpi create web-leads "Again"`,
		`/kpi show nope`,
		`/kpi frobnicate`,
		// Mistyped commands get "did you mean".
		`/okr updte KR-2 3 confidence 7`,
		`/okr kr ad O-1 Reach 60`,
		`/okr digest subscibe #general`,
		`/kpi sett web-leads 30`,
		`/okr kr add O-1 Reach 60 --wieght 2`,
		// Correcting refuses what it cannot do, and writes nothing.
		`/okr edit O-99 New title`,
		`/okr edit O-1 --owner nobody`,
		`/okr edit O-1 --cycle 2026-Q9`,
		`/okr edit O-1 --parent O-1`,
		`/okr edit O-1 --parent KR-2`,
		`/okr edit O-1 --team general`,
		`/okr edit O-1 --committed --aspirational`,
		`/okr edit O-1 Title --title Other`,
		`/okr edit KR-1 New title`,
		`/okr kr edit KR-99 --target 3`,
		`/okr kr edit KR-2 --target 12`,
		`/okr kr edit KR-2 --target 20`,
		`/okr kr edit KR-3 --target 3`,
		`/okr kr edit KR-2 --weight lots`,
		`/okr kr edit KR-2 --kpi nope`,
		`/okr kr edit KR-1 --unit h`,
		`/okr kr edit KR-2 --target 3 min`,
		`/okr kr edit KR-2 Reduce response time from 4h to 12h`,
		`/okr kr edit KR-2 --bogus`,
		`/okr reopen O-1`,
		`/okr reopen O-1 O-2`,
		`/okr grade O-1`,
		`/okr grade O-1 0.5 --bogus`,
		`/kpi edit web-leads warn 40`,
		`/kpi edit web-leads frobnicate 3`,
		`/kpi edit web-leads target lots`,
		`/kpi edit web-leads owner nobody`,
		`/kpi edit nope target 3`,
		`/kpi edit web-leads unit %`,
		`/kpi archive web-leads`,
		`/kpi archive nope`,
		`/kpi set web-leads 30 h`,
		// A key result an objective cannot take.
		`/okr kr add O-1 Increase leads from 1,2 to 3,4 and CSAT from 80 to 90`,
	}
	for _, line := range bad {
		t.Run(clipName(line), func(t *testing.T) {
			r, text := f.run("ada", line)
			if r.Message == nil || len(r.Message.Sections) != 1 || len(r.Message.Sections[0].Lines) != 1 {
				t.Fatalf("not a one-line answer: %q", text)
			}
			if strings.Count(strings.TrimSpace(text), "\n") != 0 {
				t.Errorf("answer has several lines: %q", text)
			}
			if !r.Failed() {
				t.Errorf("refused without an error code: %q", text)
			}
			if !strings.Contains(text, "Example:") && r.Code != domain.EFORBIDDEN {
				t.Errorf("no example: %q", text)
			}
			if r.Public || r.Announce != nil || r.Form != nil {
				t.Errorf("an error is shown to others or opens a form: %+v", r)
			}
		})
	}
	if after := f.snapshot(); after != before {
		t.Errorf("malformed commands changed the store:\n%s\n---\n%s", before, after)
	}
	f.assertNextRefs("O-2", "KR-4")
}

// assertNextRefs checks that no refused command used up a ref: the next
// objective and key result get exactly the next numbers.
func (f *fixture) assertNextRefs(o, kr string) {
	f.t.Helper()
	text := f.must("zed", `/okr create Counting refs`)
	if !strings.Contains(text, "Created "+o+" ") {
		f.t.Errorf("the next objective is not %s: %s", o, text)
	}
	text = f.must("zed", `/okr kr add `+o+` Hire a VP of marketing`)
	if !strings.Contains(text, "Added "+kr+" ") {
		f.t.Errorf("the next key result is not %s: %s", kr, text)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func clipName(s string) string {
	if len(s) > 50 {
		return s[:50]
	}
	return s
}

func TestOthersCannotChangeWhatTheyDoNotOwn(t *testing.T) {
	f := newFixture(t)
	f.quarter()
	f.must("bob", `/okr create Bob's own objective`)
	before := f.snapshot()
	for _, line := range []string{
		`/okr kr add O-1 Reach 60`,
		`/okr grade O-1 0.5`,
		`/okr delete O-1 --yes`,
		`/okr delete KR-2 --yes`,
		`/okr align O-1 to O-2`,
		`/okr update KR-2 5 confidence 5`,
		`/kpi set web-leads 99`,
		`/okr settings checkin monday 09:00`,
	} {
		r, text := f.run("bob", line)
		if r.Code != domain.EFORBIDDEN {
			t.Errorf("%s by another person: code %q, %q", line, r.Code, text)
		}
		if r.Message == nil {
			t.Errorf("%s: no answer", line)
		}
	}
	if r := f.svc.Action(ctx, actor("bob"), conversations.ActionDeleteConfirm, "O-1"); r.Code != domain.EFORBIDDEN {
		t.Errorf("delete button by another person: %s", conversations.PlainText(r.Message))
	}
	if after := f.snapshot(); after != before {
		t.Errorf("refused commands changed the store")
	}
	// An admin may.
	admin := actor("carol")
	admin.Admin = true
	if r := f.svc.Command(ctx, admin, "okr", "grade O-1 0.5 closing it"); r.Failed() {
		t.Errorf("admin refused: %s", conversations.PlainText(r.Message))
	}
	// Anyone may read.
	if _, text := f.run("bob", `/okr show O-1`); !strings.Contains(text, "Grow the European market") {
		t.Errorf("reading refused: %s", text)
	}
}

func TestDeleteAsksFirst(t *testing.T) {
	f := newFixture(t)
	f.quarter()
	r, text := f.run("ada", `/okr delete O-1`)
	if len(r.Message.Sections[0].Buttons) != 2 || !strings.Contains(text, "cannot be undone") {
		t.Fatalf("no confirmation: %s", text)
	}
	if _, err := f.st.Objective(ctx, "slack:T1", "O-1"); err != nil {
		t.Fatal("deleted before confirmation")
	}
	btn := r.Message.Sections[0].Buttons[0]
	if r := f.svc.Action(ctx, actor("ada"), btn.Action, btn.Value); !strings.Contains(conversations.PlainText(r.Message), "Deleted O-1") {
		t.Fatalf("confirm: %s", conversations.PlainText(r.Message))
	}
	if _, err := f.st.Objective(ctx, "slack:T1", "O-1"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("after confirm: %v", err)
	}
	if cs, _ := f.st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{}); len(cs) != 0 {
		t.Fatalf("%d check-ins left", len(cs))
	}
}

func TestUserTextStaysLiteral(t *testing.T) {
	f := newFixture(t)
	title := `<!channel> <@U123> *bold* <b>html</b> & _it_`
	r, _ := f.run("ada", `/okr create `+title)
	o, err := f.st.Objective(ctx, "slack:T1", "O-1")
	if err != nil || o.Title != title {
		t.Fatalf("stored title %q, %v", o.Title, err)
	}
	r.Announce = nil
	a := actor("ada")
	a.Channel = "C1"
	r2 := f.svc.Command(ctx, a, "okr", "create "+title)
	for _, m := range []*conversations.Message{r.Message, r2.Message, r2.Announce} {
		found := false
		for _, s := range m.Sections {
			for _, l := range s.Lines {
				for _, sp := range l {
					if sp.Text == title {
						found = true
						if sp.User != "" || sp.Channel != "" || sp.Notify {
							t.Errorf("title became a reference: %+v", sp)
						}
					}
					if sp.Notify {
						t.Errorf("a span notifies: %+v", sp)
					}
				}
			}
		}
		if !found {
			t.Errorf("title is not one literal span in %+v", m)
		}
	}
	_, text := f.run("ada", `/okr list`)
	if !strings.Contains(text, title) {
		t.Errorf("list does not show the title literally:\n%s", text)
	}
}

func TestAwayAndBack(t *testing.T) {
	f := newFixture(t)
	f.must("ada", `/okr away until 2026-12-01`)
	u, _ := f.st.User(ctx, "slack:T1", "ada")
	if !u.Away(friday) || u.AwayUntil.Format(time.DateOnly) != "2026-12-01" {
		t.Fatalf("away until %v", u.AwayUntil)
	}
	f.must("ada", `/okr back`)
	if u, _ = f.st.User(ctx, "slack:T1", "ada"); u.Away(friday) {
		t.Fatal("still away")
	}
}

func TestSettings(t *testing.T) {
	f := newFixture(t)
	admin := actor("carol")
	admin.Admin = true
	r := f.svc.Command(ctx, admin, "okr", "settings checkin thursday 16:30 reminder off timezone Europe/Paris")
	if text := conversations.PlainText(r.Message); !strings.Contains(text, "Thursday 16:30") || !strings.Contains(text, "Europe/Paris") {
		t.Fatalf("settings: %s", text)
	}
	ws, _ := f.st.Workspace(ctx, "slack:T1")
	if ws.Settings.CheckIn != (domain.Schedule{Weekday: time.Thursday, Minute: 16*60 + 30, Set: true}) || !ws.Settings.Reminder.Off || ws.Settings.TimeZone != "Europe/Paris" {
		t.Fatalf("stored %+v", ws.Settings)
	}
	// In a channel, the settings are the team's.
	admin.Channel = "C9"
	f.svc.Command(ctx, admin, "okr", "settings digest tuesday 08:00")
	ts, _ := f.st.TeamSettings(ctx, "slack:T1")
	if len(ts) != 1 || ts[0].Channel != "C9" || ts[0].Settings.Digest.Weekday != time.Tuesday {
		t.Fatalf("team settings %+v", ts)
	}
	if ws2, _ := f.st.Workspace(ctx, "slack:T1"); ws2.Settings.Digest != ws.Settings.Digest {
		t.Fatal("a team setting changed the workspace's")
	}
}

func TestDigest(t *testing.T) {
	f := newFixture(t)
	f.clock.t = friday.AddDate(0, 0, -35) // set up in October
	f.quarter()
	f.must("bob", `/okr create Ship the mobile app`, `/okr kr add O-2 Launch on both stores`)
	f.must("carol", `/okr create Hire well`, `/okr kr add O-3 Increase offers from 0 to 10`, `/okr away until 2026-12-31`)
	// Last week Ada was confident; the numbers hardly moved since.
	f.clock.t = friday.AddDate(0, 0, -14)
	f.must("ada", `/okr update KR-2 12 confidence 9`)
	f.clock.t = friday.AddDate(0, 0, -7)
	f.must("ada", `/okr update KR-2 12 confidence 9`)
	f.clock.t = friday
	f.must("ada", `/okr update KR-2 11.5 confidence 9`, `/kpi set web-leads 12`)
	m, err := f.svc.Digest(ctx, "slack:T1", conversations.DigestScope{Company: true}, friday.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	text := conversations.PlainText(m)
	for _, want := range []string{"At risk", "at this rate it ends near", "Missing: @Bob", "Away: @Carol", "KPI health", "🔴 web-leads"} {
		if !strings.Contains(text, want) {
			t.Errorf("digest lacks %q:\n%s", want, text)
		}
	}
	if strings.Index(text, "At risk") > strings.Index(text, "Objectives (") {
		t.Error("at-risk key results are not first")
	}
	golden(t, "digest.txt", text)
}

func TestDigestOf200ObjectivesIsSummarised(t *testing.T) {
	f := newFixture(t)
	for i := range 200 {
		f.must(fmt.Sprintf("u%d", i%40), fmt.Sprintf("/okr create Objective number %d", i+1), fmt.Sprintf("/okr kr add O-%d Increase things from 0 to 10", i+1))
	}
	m, err := f.svc.Digest(ctx, "slack:T1", conversations.DigestScope{Company: true}, friday)
	if err != nil {
		t.Fatal(err)
	}
	text := conversations.PlainText(m)
	if !strings.Contains(text, "and 175 more objectives") || !strings.Contains(text, "Objectives (200)") {
		t.Errorf("not summarised:\n%s", text)
	}
	lines := 0
	for _, s := range m.Sections {
		lines += len(s.Lines)
	}
	if lines > 100 {
		t.Errorf("%d lines in a digest", lines)
	}
}

func TestGoldenAnswers(t *testing.T) {
	f := newFixture(t)
	f.quarter()
	f.must("ada", `/okr update KR-2 10 confidence 6 two agents hired`)
	for name, line := range map[string]string{
		"help.txt":    `/okr help`,
		"list.txt":    `/okr list`,
		"show-o.txt":  `/okr show O-1`,
		"show-kr.txt": `/okr show KR-2`,
		"kpi.txt":     `/kpi show web-leads`,
	} {
		_, text := f.run("ada", line)
		golden(t, name, text)
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test ./conversations -update rewrites it):\n--- want\n%s\n--- got\n%s", name, want, got)
	}
}
