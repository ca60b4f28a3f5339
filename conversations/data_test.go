package conversations_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/csvio"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/sources"
	"github.com/okrbot/okrbot/storage"
	"github.com/okrbot/okrbot/storage/storagetest"
)

// dataStore is the real store with KPI sources and API tokens kept beside
// it in memory, until the store keeps them itself.
type dataStore struct {
	*storage.Store
	mu      sync.Mutex
	sources map[string]*domain.KPISource // workspace/slug
	tokens  map[string]domain.APIToken
}

func (s *dataStore) attach(k domain.KPI) domain.KPI {
	s.mu.Lock()
	defer s.mu.Unlock()
	if src := s.sources[k.WorkspaceID+"/"+k.Slug]; src != nil {
		c := *src
		k.Source = &c
	}
	return k
}

func (s *dataStore) KPI(ctx context.Context, ws, slug string) (domain.KPI, error) {
	k, err := s.Store.KPI(ctx, ws, slug)
	return s.attach(k), err
}

func (s *dataStore) KPIs(ctx context.Context, ws string, slugs ...string) ([]domain.KPI, error) {
	ks, err := s.Store.KPIs(ctx, ws, slugs...)
	for i := range ks {
		ks[i] = s.attach(ks[i])
	}
	return ks, err
}

func (s *dataStore) AddKPIValue(ctx context.Context, v domain.KPIValue) (domain.KPI, error) {
	k, err := s.Store.AddKPIValue(ctx, v)
	return s.attach(k), err
}

func (s *dataStore) SetKPISource(_ context.Context, ws, slug string, src *domain.KPISource) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sources[ws+"/"+slug] = src
	return nil
}

func (s *dataStore) SaveSourceState(_ context.Context, ws, slug string, st domain.SourceState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if src := s.sources[ws+"/"+slug]; src != nil {
		src.State = st
	}
	return nil
}

func (s *dataStore) CreateAPIToken(_ context.Context, t domain.APIToken) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.tokens {
		if o.WorkspaceID == t.WorkspaceID && o.Name == t.Name && !o.Revoked() {
			return domain.Errorf(domain.ECONFLICT, "There is a token called %s already.", t.Name)
		}
	}
	s.tokens[t.ID] = t
	return nil
}

func (s *dataStore) APIToken(_ context.Context, hash string) (domain.APIToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[hash]; ok {
		return t, nil
	}
	return domain.APIToken{}, domain.NotFound("No such token.")
}

func (s *dataStore) APITokens(_ context.Context, ws string) ([]domain.APIToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.APIToken
	for _, t := range s.tokens {
		if t.WorkspaceID == ws {
			out = append(out, t)
		}
	}
	return out, nil
}

func (s *dataStore) RevokeAPIToken(_ context.Context, ws, name string, at time.Time) (domain.APIToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, t := range s.tokens {
		if t.WorkspaceID == ws && t.Name == name && !t.Revoked() {
			t.RevokedAt = at
			s.tokens[id] = t
			return t, nil
		}
	}
	return domain.APIToken{}, domain.NotFound("There is no API token called %s.", name)
}

func (s *dataStore) TouchAPIToken(context.Context, string, time.Time) error { return nil }

func newDataFixture(t *testing.T) (*fixture, *dataStore) {
	t.Helper()
	c := &clock{t: friday}
	ds := &dataStore{Store: storagetest.Open(t, "", c.now), sources: map[string]*domain.KPISource{}, tokens: map[string]domain.APIToken{}}
	return &fixture{t: t, st: ds.Store, clock: c, svc: conversations.New(ds, conversations.Options{Now: c.now})}, ds
}

func TestKPISourceCommand(t *testing.T) {
	f, ds := newDataFixture(t)
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
		got := ds.sources["slack:T1/"+slug]
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
	f, ds := newDataFixture(t)
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
	f.must("ada",
		`/kpi create web-leads "Web leads" unit /day higher target 35 warn 25 alert 15 every day`,
		`/okr create Grow the European market`,
		`/okr kr add O-1 Increase web leads from 22 to 35 per day --kpi web-leads`,
		`/kpi source web-leads `+srv.URL+`/leads.json json data.today`,
	)
	run := func() conversations.SourceReport {
		t.Helper()
		rep, err := f.svc.FetchSources(ctx, ds, fetcher, f.clock.now())
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
	due, err := f.st.Due(ctx, conversations.KindSourceFailing, []string{"slack:T1"}, f.clock.now(), 10)
	if err != nil || len(due) != 1 || due[0].Recipient != "ada" || due[0].Subject != "web-leads" || !due[0].Direct {
		t.Fatalf("outbox %+v %v", due, err)
	}
	out := f.must("ada", "/kpi show web-leads")
	if !strings.Contains(out, "failed: the server answered 503 Service Unavailable") || !strings.Contains(out, "failures since 2026-11-22 00:01") {
		t.Errorf("/kpi show while failing:\n%s", out)
	}
	ws, _ := f.st.Workspace(ctx, "slack:T1")
	k, _ := ds.KPI(ctx, "slack:T1", "web-leads")
	if m := conversations.PlainText(f.svc.SourceFailingMessage(ws, k)); !strings.Contains(m, "503") || !strings.Contains(m, "/kpi source web-leads off") {
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
	f, ds := newDataFixture(t)
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
	for _, tok := range ds.tokens {
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

// batchStore records what an import would write.
type batchStore struct {
	*dataStore
	batches []conversations.ImportBatch
}

func (b *batchStore) ImportData(_ context.Context, _ string, batch conversations.ImportBatch) error {
	b.batches = append(b.batches, batch)
	return nil
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
	f, ds := newDataFixture(t)
	bs := &batchStore{dataStore: ds}
	svc := conversations.New(bs, conversations.Options{Now: f.clock.now})
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
	n := len(bs.batches)
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
		`key_results.csv row 3, column objective: "O-8": no objective O-8 in objectives.csv (or it was refused)`,
		`checkins.csv row 3, column kr: "KR-21": no key result KR-21`,
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
	if rep.Written || len(bs.batches) != n || rep.Refused() != 5 {
		t.Errorf("written %v, batches %d, refused %d", rep.Written, len(bs.batches)-n, rep.Refused())
	}
	// With --skip-bad-rows the rest is written: O-7, KR-20 and its check-in, by ada (from her email).
	rep, _ = svc.Import(ctx, files(), conversations.ImportOptions{Workspace: "slack:T1", SkipBadRows: true})
	if !rep.Written || len(bs.batches) != n+1 {
		t.Fatalf("not written: %+v", rep)
	}
	b := bs.batches[n]
	if len(b.Objectives) != 1 || b.Objectives[0].Ref != "O-7" || b.Objectives[0].Owner != "ada" || len(b.Objectives[0].KeyResults) != 1 ||
		len(b.CheckIns) != 1 || b.CheckIns[0].UserID != "ada" || b.CheckIns[0].Objective != "O-7" || len(b.People) != 0 {
		t.Errorf("batch %+v", b)
	}
}
