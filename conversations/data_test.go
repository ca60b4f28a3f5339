package conversations_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/csvio"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/sources"
)

func TestKPISourceCommand(t *testing.T) {
	f := newFixture(t)
	f.must("ada", `/kpi create web-leads "Web leads" unit /day higher target 35 every day`, `/kpi create errors "Errors" lower every week`)
	tests := []struct {
		line string
		want *domain.KPISource // nil with code "": removed
		code string
	}{
		{"/kpi source web-leads https://stats.example.com/leads.json", &domain.KPISource{Kind: domain.SourceJSON, URL: "https://stats.example.com/leads.json"}, ""},
		{"/kpi source web-leads https://stats.example.com/leads.json json data.today", &domain.KPISource{Kind: domain.SourceJSON, URL: "https://stats.example.com/leads.json", Path: "data.today"}, ""},
		{"/kpi source Web-Leads <https://stats.example.com/l.json?a=1&amp;b=2|stats.example.com/l.json> json $.items[0].count",
			&domain.KPISource{Kind: domain.SourceJSON, URL: "https://stats.example.com/l.json?a=1&b=2", Path: "$.items[0].count"}, ""},
		{`/kpi source errors prometheus https://prom.example.com:9090 sum(rate(http_requests_total{code=~"5..", job="api"}[1d])) &gt; 0`,
			&domain.KPISource{Kind: domain.SourcePrometheus, URL: "https://prom.example.com:9090", Query: `sum(rate(http_requests_total{code=~"5..", job="api"}[1d])) > 0`}, ""},
		{"/kpi source web-leads off", nil, ""},
		{"/kpi source web-leads ftp://stats.example.com/x", nil, domain.EINVALID},
		{"/kpi source web-leads file:///etc/passwd", nil, domain.EINVALID},
		{"/kpi source web-leads https://user:pw@stats.example.com/x", nil, domain.EINVALID},
		{"/kpi source web-leads https://stats.example.com/x data.today", nil, domain.EINVALID},
		{"/kpi source web-leads https://stats.example.com/x json", nil, domain.EINVALID},
		{"/kpi source web-leads https://stats.example.com/x json a..b", nil, domain.EINVALID},
		{"/kpi source web-leads json data https://stats.example.com/x", nil, domain.EINVALID},
		{"/kpi source errors prometheus https://prom.example.com", nil, domain.EINVALID},
		{"/kpi source web-leads", nil, domain.EINVALID},
		{"/kpi source", nil, domain.EINVALID},
		{"/kpi source nope https://stats.example.com/x", nil, domain.ENOTFOUND},
	}
	for _, tt := range tests {
		r, text := f.run("ada", tt.line)
		if r.Code != tt.code {
			t.Errorf("%s: code %q, want %q: %s", tt.line, r.Code, tt.code, text)
			continue
		}
		if tt.code != "" {
			if strings.Count(strings.TrimSpace(text), "\n") > 0 || (tt.code == domain.EINVALID && !strings.Contains(text, "Example: /kpi source")) {
				t.Errorf("%s: answer not one line with an example:\n%s", tt.line, text)
			}
			continue
		}
		slug := strings.ToLower(strings.Fields(tt.line)[2])
		k, err := f.st.KPI(ctx, "slack:T1", slug)
		if err != nil {
			t.Fatal(err)
		}
		got := k.Source
		if (got == nil) != (tt.want == nil) || got != nil && (got.Kind != tt.want.Kind || got.URL != tt.want.URL || got.Path != tt.want.Path || got.Query != tt.want.Query || got.SetBy != "ada") {
			t.Errorf("%s: source %+v, want %+v", tt.line, got, tt.want)
		}
	}
	// Only the owner or an admin.
	if r, _ := f.run("bob", "/kpi source web-leads https://stats.example.com/x"); r.Code != domain.EFORBIDDEN {
		t.Errorf("bob: %q", r.Code)
	}
	// /kpi show hides the URL's query (it may hold a key).
	f.must("ada", "/kpi source web-leads https://stats.example.com/x.json?key=s3cret json v")
	if out := f.must("ada", "/kpi show web-leads"); !strings.Contains(out, "Source: https://stats.example.com/x.json?… json v") || strings.Contains(out, "s3cret") || !strings.Contains(out, "Not fetched yet.") {
		t.Errorf("/kpi show:\n%s", out)
	}
}

// TestKPISourceFetching: against a local server, a daily KPI's value lands
// once a day (however often the job runs), moves the key result that
// follows it, and a failing source tells its owner once, however long it
// fails; /kpi show says how the last fetch went.
func TestKPISourceFetching(t *testing.T) {
	f := newFixture(t)
	var value atomic.Int64
	var failing atomic.Bool
	var hits atomic.Int64
	value.Store(20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if failing.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, `{"data":{"today":%d}}`, value.Load())
	}))
	defer srv.Close()
	fetcher := sources.New(sources.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	f.svc = conversations.New(f.st, conversations.Options{Now: f.clock.now, Sources: fetcher})
	f.must("ada",
		`/kpi create web-leads "Web leads" unit /day higher target 35 warn 25 alert 15 every day`,
		`/okr create Grow the European market`,
		`/okr kr add O-1 Increase web leads from 22 to 35 per day --kpi web-leads`,
		`/kpi source web-leads `+srv.URL+`/leads.json json data.today`,
	)
	run := func() conversations.SourceReport {
		t.Helper()
		ws, err := f.st.Workspace(ctx, "slack:T1")
		if err != nil {
			t.Fatal(err)
		}
		rep, err := f.svc.FetchSources(ctx, ws, f.st, f.clock.now())
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	// The job ticks every minute; the value lands once a day.
	if rep := run(); rep.Fetched != 1 {
		t.Fatalf("first run %+v", rep)
	}
	for i := 0; i < 5; i++ {
		f.clock.t = f.clock.t.Add(time.Minute)
		if rep := run(); rep.Fetched != 0 {
			t.Fatalf("fetched again the same day: %+v", rep)
		}
	}
	value.Store(27)
	f.clock.t = time.Date(2026, 11, 21, 0, 1, 0, 0, time.UTC)
	if rep := run(); rep.Fetched != 1 {
		t.Fatalf("next day %+v", rep)
	}
	vals, _ := f.st.KPIValues(ctx, "slack:T1", "web-leads", 100)
	if len(vals) != 2 || vals[0].Value != 27 || vals[1].Value != 20 || vals[0].By != "okrbot:source" {
		t.Fatalf("values %+v", vals)
	}
	if o, _ := f.st.ObjectiveOfKR(ctx, "slack:T1", "KR-1"); o.KeyResult("KR-1").Current != 27 {
		t.Errorf("KR-1 did not follow: %+v", o.KeyResult("KR-1"))
	}
	if hits.Load() != 2 {
		t.Errorf("the server was asked %d times for two days", hits.Load())
	}
	// The source fails for a day and a half: retried with a growing wait,
	// one alert.
	failing.Store(true)
	f.clock.t = time.Date(2026, 11, 22, 0, 1, 0, 0, time.UTC)
	failures, alerts := 0, 0
	for end := f.clock.t.Add(36 * time.Hour); f.clock.t.Before(end); f.clock.t = f.clock.t.Add(time.Minute) {
		rep := run()
		failures += rep.Failed
		alerts += rep.Alerted
	}
	if alerts != 1 {
		t.Errorf("%d alerts for one run of failures", alerts)
	}
	if failures < 30 || failures > 45 {
		t.Errorf("%d attempts in 36 hours (5, 10, 20, 40 minutes, then hourly)", failures)
	}
	due, err := f.st.Deliveries(ctx, domain.OutboxQuery{Kinds: []string{conversations.KindSourceFailing}, Workspaces: []string{"slack:T1"}}, nil)
	if err != nil || len(due) != 1 || due[0].Recipient != "ada" || due[0].Subject != "web-leads" || !due[0].Direct {
		t.Fatalf("outbox %+v %v", due, err)
	}
	out := f.must("ada", "/kpi show web-leads")
	if !strings.Contains(out, "failed: the server answered 503 Service Unavailable") || !strings.Contains(out, "failures since 2026-11-22 00:01") {
		t.Errorf("/kpi show while failing:\n%s", out)
	}
	ws, _ := f.st.Workspace(ctx, "slack:T1")
	k, _ := f.st.KPI(ctx, "slack:T1", "web-leads")
	if m := conversations.PlainText(conversations.SourceFailingMessage(ws, k)); !strings.Contains(m, "503") || !strings.Contains(m, "/kpi source web-leads off") {
		t.Errorf("alert:\n%s", m)
	}
	// It recovers: the value lands, the state is clear; failing again later
	// is a new run of failures with its own alert.
	failing.Store(false)
	value.Store(31)
	for i := 0; i < 61; i++ {
		f.clock.t = f.clock.t.Add(time.Minute)
		run()
	}
	out = f.must("ada", "/kpi show web-leads")
	if !strings.Contains(out, "✅ Last fetch") || !strings.Contains(out, ": 31/day") {
		t.Errorf("/kpi show after recovery:\n%s", out)
	}
	failing.Store(true)
	f.clock.t = f.clock.t.Add(24 * time.Hour)
	if rep := run(); rep.Alerted != 1 {
		t.Errorf("a new failure after recovery: %+v", rep)
	}
}

func TestAPITokenCommands(t *testing.T) {
	f := newFixture(t)
	admin := actor("ada")
	admin.Admin = true
	do := func(a conversations.Actor, line string) (conversations.Reply, string) {
		cmd, args, _ := conversations.SplitCommand(line)
		r := f.svc.Command(ctx, a, cmd, args)
		return r, conversations.PlainText(r.Message)
	}
	r, text := do(admin, "/okr settings api-token create grafana")
	if r.Failed() || r.Public {
		t.Fatalf("%s: %s", r.Code, text)
	}
	var secret string
	for _, w := range strings.Fields(text) {
		if strings.HasPrefix(w, domain.APITokenPrefix) && len(w) > 40 {
			secret = w
		}
	}
	if secret == "" || !strings.Contains(text, "shown only this once") {
		t.Fatalf("no token in:\n%s", text)
	}
	// Stored hashed: the secret is nowhere in the store's copy.
	toks, err := f.st.APITokens(ctx, "slack:T1")
	if err != nil || len(toks) != 1 {
		t.Fatalf("tokens %+v %v", toks, err)
	}
	for _, tok := range toks {
		if strings.Contains(fmt.Sprintf("%+v", tok), secret) || tok.ID != domain.HashToken(secret) {
			t.Errorf("stored %+v", tok)
		}
	}
	c, ok, err := f.svc.Authenticate(ctx, secret)
	if err != nil || !ok || c.Workspace != "slack:T1" || c.TokenName != "grafana" {
		t.Fatalf("authenticate: %+v %v %v", c, ok, err)
	}
	if _, ok, _ := f.svc.Authenticate(ctx, secret+"x"); ok {
		t.Error("a wrong secret opened")
	}
	tests := []struct {
		a    conversations.Actor
		line string
		code string
		want string
	}{
		{admin, "/okr settings api-token create grafana", domain.ECONFLICT, "already"},
		{admin, "/okr settings api-token create", domain.EINVALID, "Example: /okr settings api-token create"},
		{admin, "/okr settings api-token create two words", domain.EINVALID, ""},
		{admin, "/okr settings api-token create <!channel>", domain.EINVALID, "not a token name"},
		{actor("bob"), "/okr settings api-token create mine", domain.EFORBIDDEN, "Only a workspace admin"},
		{actor("bob"), "/okr settings api-token list", domain.EFORBIDDEN, ""},
		{admin, "/okr settings api-token list", "", "grafana okrbot_"},
		{admin, "/okr settings api-token rotate grafana", domain.EINVALID, "use create, list or revoke"},
		{admin, "/okr settings api-token revoke nope", domain.ENOTFOUND, ""},
		{conversations.Actor{Platform: domain.Teams, Workspace: "tenant", User: "29:ada", Channel: "19:general@thread.tacv2", Admin: true},
			"okr settings api-token create grafana", domain.EINVALID, "personal chat"},
		{admin, "/okr settings api-token revoke grafana", "", "401"},
		{admin, "/okr settings api-token list", "", "revoked 2026-11-20"},
		{admin, "/okr settings api-token create grafana", "", "shown only this once"},
	}
	for _, tt := range tests {
		r, text := do(tt.a, tt.line)
		if r.Code != tt.code || !strings.Contains(text, tt.want) {
			t.Errorf("%s: %q %s", tt.line, r.Code, text)
		}
	}
	if _, ok, _ := f.svc.Authenticate(ctx, secret); ok {
		t.Error("a revoked token still opens")
	}
}

func inputsOf(files []csvio.File) []csvio.Input {
	var in []csvio.Input
	for _, f := range files {
		in = append(in, csvio.Input{Name: f.Name, R: bytes.NewReader(f.Data)})
	}
	return in
}

// TestImportPlan: an export imported again into its own workspace creates
// nothing (everything is there); into an empty store it creates
// everything; a bad row refuses the whole import unless --skip-bad-rows,
// which also refuses what depends on the bad row; owners may be emails.
func TestImportPlan(t *testing.T) {
	f := newFixture(t)
	svc := f.svc
	f.must("ada",
		`/kpi create web-leads "Web leads" unit /day higher target 35 every day`,
		`/kpi set web-leads 22`,
		`/okr create Grow the European market`,
		`/okr kr add O-1 Increase web leads from 22 to 35 per day --kpi web-leads`,
		`/okr kr add O-1 Hire a VP of sales for Europe`,
		`/okr update KR-2 not done confidence 6 interviews`,
	)
	exp, err := svc.Export(ctx, "slack:T1", "")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := svc.Import(ctx, inputsOf(exp.Files), conversations.ImportOptions{})
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("%v %v", err, rep.Problems)
	}
	for file, n := range rep.Create {
		if n > 0 && file != csvio.FileWeekNotes {
			t.Errorf("re-import creates %d in %s", n, file)
		}
	}
	if rep.Exists[csvio.FileObjectives] != 1 || rep.Exists[csvio.FileKeyResults] != 2 || rep.Exists[csvio.FileCheckIns] != 1 || rep.Exists[csvio.FileKPIValues] != 1 {
		t.Errorf("exists %v", rep.Exists)
	}

	// Into another, empty workspace: everything is new.
	rep, err = svc.Import(ctx, inputsOf(exp.Files), conversations.ImportOptions{Workspace: "slack:T2", DryRun: true})
	if err != nil || len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].String(), "no workspace slack:T2") {
		t.Fatalf("%v %v", err, rep.Problems)
	}

	// Bad rows, spreadsheet style, into the workspace that exists.
	objs := "ref,title,owner,cycle\nO-7,Win the enterprise segment,ada@example.com,2026-Q4\nO-8,Open Spain,nobody@example.com,2026-Q4\nO-1,Another title,ada,2026-Q4\n"
	krs := "ref,objective,title,kind,start,target,owner\nKR-20,O-7,Sign 5 enterprise customers,increase,0,5,ada\nKR-21,O-8,Hire a country manager,milestone,,,ada\n"
	cis := "kr,user,week,value,confidence\nKR-20,ada@example.com,2026-W46,1,6\nKR-21,ada,2026-W46,0,5\nKR-99,ada,2026-W46,0,5\n"
	people := "user,name,email\nada,Ada,Ada@Example.com\n"
	files := func() []csvio.Input {
		return []csvio.Input{{Name: "people.csv", R: strings.NewReader(people)}, {Name: "objectives.csv", R: strings.NewReader(objs)},
			{Name: "key_results.csv", R: strings.NewReader(krs)}, {Name: "checkins.csv", R: strings.NewReader(cis)}}
	}
	before := f.snapshot()
	rep, err = svc.Import(ctx, files(), conversations.ImportOptions{Workspace: "slack:T1"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range rep.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`objectives.csv row 3, column owner: "nobody@example.com": no person with this email`,
		`objectives.csv row 4, column ref: "O-1": okrbot has O-1 already, as "Grow the European market"`,
		`key_results.csv row 3, column objective: "O-8": depends on objectives.csv row 3, refused`,
		`checkins.csv row 3, column kr: "KR-21": depends on key_results.csv row 3, refused`,
		`checkins.csv row 4, column kr: "KR-99": no key result KR-99`,
	}
	if len(got) != len(want) {
		t.Fatalf("problems:\n%s", strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d:\n%s\nwant\n%s…", i, got[i], want[i])
		}
	}
	if rep.Written || rep.Refused() != 5 || f.snapshot() != before {
		t.Errorf("written %v, refused %d, store changed: %v", rep.Written, rep.Refused(), f.snapshot() != before)
	}
	// With --skip-bad-rows the rest is written: O-7, KR-20 and its check-in, by ada (from her email).
	rep, _ = svc.Import(ctx, files(), conversations.ImportOptions{Workspace: "slack:T1", SkipBadRows: true})
	if !rep.Written {
		t.Fatalf("not written: %+v", rep)
	}
	o, err := f.st.Objective(ctx, "slack:T1", "O-7")
	if err != nil || o.Owner != "ada" || len(o.KeyResults) != 1 || o.KeyResults[0].Ref != "KR-20" {
		t.Fatalf("O-7: %+v %v", o, err)
	}
	cs, _ := f.st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{KRs: []string{"KR-20"}})
	if len(cs) != 1 || cs[0].UserID != "ada" || cs[0].Objective != "O-7" {
		t.Errorf("check-ins %+v", cs)
	}
	if _, err := f.st.Objective(ctx, "slack:T1", "O-8"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("the refused O-8 was written: %v", err)
	}
	if u, _ := f.st.User(ctx, "slack:T1", "ada"); u.Email != "ada@example.com" {
		t.Errorf("ada's email from people.csv: %+v", u)
	}
	// The import's refs are not handed out again.
	f.must("ada", "/okr create Open the Nordics")
	if os, _ := f.st.Objectives(ctx, "slack:T1", domain.ObjectiveFilter{}); os[len(os)-1].Ref != "O-8" {
		t.Errorf("after importing O-7 the next objective is %s", os[len(os)-1].Ref)
	}
}
