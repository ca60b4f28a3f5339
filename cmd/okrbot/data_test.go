package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/rhythm"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/seed"
	"github.com/okrbot/okrbot/sources"
	"github.com/okrbot/okrbot/storage/sqlite"
)

// seeded writes a seeded company (internal/seed) into a new data directory
// and returns the directory, with initiatives, week notes, an archived KPI
// and a KPI source added: what an export must carry beyond the seed.
func seeded(t *testing.T, size seed.Size) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	// A Friday of 2025-Q4: in the past, as every date an import accepts.
	at := time.Date(2025, 12, 19, 15, 0, 0, 0, time.UTC)
	st, err := sqlite.Open(ctx, dir, sqlite.Options{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	c, err := seed.Write(ctx, st, "slack:T0SEED", size, at, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveUser(ctx, domain.User{WorkspaceID: c.Workspace, ID: c.People[0], Email: "first@example.com"}); err != nil {
		t.Fatal(err)
	}
	_, err = st.ModifyObjective(ctx, c.Workspace, c.Objectives[0], func(o *domain.Objective) error {
		o.KeyResults[0].Initiatives = append(o.KeyResults[0].Initiatives,
			domain.Initiative{Title: "Run a webinar series", CreatedBy: o.Owner, CreatedAt: at.AddDate(0, 0, -20)},
			domain.Initiative{Title: "Fix the signup form", Done: true, CreatedBy: o.Owner, CreatedAt: at.AddDate(0, 0, -30), DoneAt: at.AddDate(0, 0, -2)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range c.Weeks[len(c.Weeks)-3:] {
		note := domain.WeekNote{WorkspaceID: c.Workspace, UserID: c.People[i], Week: w, Wins: "two deals", Blockers: "legal, again", At: at.AddDate(0, 0, -7*(2-i))}
		if err := st.SaveCheckIns(ctx, nil, nil, note); err != nil {
			t.Fatal(err)
		}
	}
	// A check-in typed by someone else for the key result's owner, answered twice.
	o, err := st.ObjectiveOfKR(ctx, c.Workspace, c.KRs[1])
	if err != nil {
		t.Fatal(err)
	}
	typed := domain.CheckIn{WorkspaceID: c.Workspace, UserID: o.KeyResults[1].Owner, KR: c.KRs[1], Week: c.Weeks[len(c.Weeks)-1], Value: 7, Confidence: 4,
		Note: "typed by an admin", At: at.Add(-time.Hour), FirstAt: at.AddDate(0, 0, -1), By: "U0ADMIN"}
	if err := st.ImportCheckIns(ctx, []domain.CheckIn{typed}); err != nil {
		t.Fatal(err)
	}
	k, err := st.KPI(ctx, c.Workspace, c.KPIs[1])
	if err != nil {
		t.Fatal(err)
	}
	k.Archived = true
	if err := st.EditKPI(ctx, k, nil); err != nil {
		t.Fatal(err)
	}
	src := &domain.KPISource{Kind: domain.SourcePrometheus, URL: "https://prometheus.example.com", Query: `sum(rate(signups_total[1d]))`, SetBy: c.People[0], SetAt: at}
	if err := st.SetKPISource(ctx, c.Workspace, c.KPIs[0], src); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// TestExportImportRoundTrip: a seeded quarter exported, imported into an
// empty store and exported again gives the same files, byte for byte; a
// second import of the same files creates nothing.
func TestExportImportRoundTrip(t *testing.T) {
	src := seeded(t, seed.Size{People: 40, Weeks: 13, Teams: 4, KPIs: 3})
	dst := t.TempDir()
	first, second := t.TempDir(), t.TempDir()
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"okrbot", "export", "--out", first}, env(map[string]string{"OKRBOT_DATA_DIR": src}), nil, &stdout, &stderr); err != nil {
		t.Fatalf("export: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "40 objectives, 160 key results, 2 initiatives, 2080 check-ins, 3 week notes, 3 KPIs with 273 values, 40 people") {
		t.Errorf("export: %s", stdout.String())
	}
	stdout.Reset()
	stderr.Reset()
	dstEnv := env(map[string]string{"OKRBOT_DATA_DIR": dst})
	if err := run(ctx, []string{"okrbot", "import", first}, dstEnv, nil, &stdout, &stderr); err != nil {
		t.Fatalf("import: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	for _, want := range []string{"checkins.csv 2080 0", "initiatives.csv 2 0", "imported into slack:T0SEED"} {
		if !strings.Contains(strings.Join(strings.Fields(stdout.String()), " "), want) {
			t.Errorf("import output has no %q:\n%s", want, stdout.String())
		}
	}
	if !strings.Contains(stderr.String(), "read checkins.csv: 2080 rows") || !strings.Contains(stderr.String(), "writing 2") {
		t.Errorf("import progress:\n%s", stderr.String())
	}
	if err := run(ctx, []string{"okrbot", "export", "--out", second}, dstEnv, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	a, b := readDir(t, first), readDir(t, second)
	if len(a) != 9 || len(b) != len(a) {
		t.Fatalf("%d and %d files", len(a), len(b))
	}
	for name, data := range a {
		if b[name] != data {
			t.Errorf("%s differs after export, import, export:\n%s", name, firstDiff(data, b[name]))
		}
	}
	// Again: everything is there already.
	stdout.Reset()
	if err := run(ctx, []string{"okrbot", "import", first}, dstEnv, nil, &stdout, io.Discard); err != nil {
		t.Fatalf("second import: %v\n%s", err, stdout.String())
	}
	for _, line := range strings.Split(stdout.String(), "\n")[1:] {
		if f := strings.Fields(line); len(f) == 3 && f[1] != "0" && f[0] != "week_notes.csv" {
			t.Errorf("a second import creates: %s", line)
		}
	}
	if third := t.TempDir(); run(ctx, []string{"okrbot", "export", "--out", third}, dstEnv, nil, io.Discard, io.Discard) == nil {
		if c := readDir(t, third); c["checkins.csv"] != a["checkins.csv"] || c["objectives.csv"] != a["objectives.csv"] {
			t.Error("a second import changed what is exported")
		}
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return "line " + strconv.Itoa(i+1) + ":\n  " + al[i] + "\n  " + bl[i]
		}
	}
	return "lengths " + strconv.Itoa(len(al)) + " and " + strconv.Itoa(len(bl))
}

// TestImportCommand: bad rows are reported with their row, column and an
// example, nothing is written, and the exit status says so; --dry-run
// writes nothing either; --skip-bad-rows writes the rest.
func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	getenv := env(map[string]string{"OKRBOT_DATA_DIR": dir})
	ctx := context.Background()
	if err := run(ctx, []string{"okrbot", "console", "--workspace", "T024BE7LD", "--create", "--user", "ada"}, getenv,
		strings.NewReader("/okr create Grow the European market\n"), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	files := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(files, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("people.csv", "user,name,email\nbob,Bob,bob@example.com\n")
	write("objectives.csv", "ref,title,owner,cycle\nO-7,Win the enterprise segment,bob@example.com,2026-Q4\nO-8,Open Spain,nobody@example.com,2026-Q4\n")
	write("key_results.csv", "ref,objective,title,kind,start,target,owner\nKR-20,O-7,Sign 5 enterprise customers,increase,0,5,bob\nKR-21,O-7,Hire a country manager,milestone,,,bob\n")
	write("checkins.csv", "kr,user,week,value,confidence\nKR-20,bob,2026-W46,\"1,5\",6\n")
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"okrbot", "import", files, "--workspace", "T024BE7LD"}, getenv, nil, &stdout, &stderr)
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "nothing was written: 2 problems") {
		t.Fatalf("err %v (exit %d)\n%s", err, exitCode(err), stdout.String())
	}
	for _, want := range []string{
		`objectives.csv row 3, column owner: "nobody@example.com": no person with this email`,
		`checkins.csv row 2, column value: "1,5": not a plain number: use a dot for decimals and no thousands separators (example: 1250.5)`,
		"objectives.csv 1 0",
	} {
		if !strings.Contains(strings.Join(strings.Fields(stdout.String()), " "), want) {
			t.Errorf("no %q in:\n%s", want, stdout.String())
		}
	}
	stdout.Reset()
	if err := run(ctx, []string{"okrbot", "import", "--dry-run", "--workspace", "slack:T024BE7LD", files}, getenv, nil, &stdout, io.Discard); exitCode(err) != 1 ||
		!strings.Contains(stdout.String(), "dry run: 2 rows refused; nothing was written") {
		t.Errorf("dry run: %v\n%s", err, stdout.String())
	}
	// One refused row is one row; problems come in row order.
	one := t.TempDir()
	os.WriteFile(filepath.Join(one, "objectives.csv"), []byte("ref,title,owner,cycle,grade\nO-9,Open Spain,nobody@example.com,2026-Q4,\nO-10,Open Italy,bob,2026-Q4,1.5\n"), 0o644)
	stdout.Reset()
	if err := run(ctx, []string{"okrbot", "import", "--dry-run", "--workspace", "T024BE7LD", one}, getenv, nil, &stdout, io.Discard); exitCode(err) != 1 ||
		!strings.Contains(stdout.String(), "dry run: 2 rows refused") || strings.Index(stdout.String(), "row 2") > strings.Index(stdout.String(), "row 3") ||
		!strings.Contains(stdout.String(), "(example: 0.7)") {
		t.Errorf("dry run: %v\n%s", err, stdout.String())
	}
	os.WriteFile(filepath.Join(one, "objectives.csv"), []byte("ref,title,owner,cycle\nO-9,Open Spain,nobody@example.com,2026-Q4\n"), 0o644)
	stdout.Reset()
	if err := run(ctx, []string{"okrbot", "import", "--dry-run", "--workspace", "T024BE7LD", one}, getenv, nil, &stdout, io.Discard); err == nil ||
		!strings.Contains(stdout.String(), "dry run: 1 row refused") || err.Error() != "1 problem" {
		t.Errorf("dry run: %v\n%s", err, stdout.String())
	}
	stdout.Reset()
	if err := run(ctx, []string{"okrbot", "import", "--skip-bad-rows", "--workspace", "T024BE7LD", files}, getenv, nil, &stdout, io.Discard); err != nil {
		t.Fatalf("--skip-bad-rows: %v\n%s", err, stdout.String())
	}
	st, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	o, err := st.Objective(ctx, "slack:T024BE7LD", "O-7")
	if err != nil || o.Owner != "bob" || len(o.KeyResults) != 2 {
		t.Fatalf("O-7 %+v %v", o, err)
	}
	if _, err := st.Objective(ctx, "slack:T024BE7LD", "O-8"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("the refused O-8: %v", err)
	}
	for _, bad := range [][]string{
		{"okrbot", "import"},
		{"okrbot", "import", filepath.Join(files, "nope")},
		{"okrbot", "import", t.TempDir()},
		{"okrbot", "import", files, "--workspace", "T999"},
	} {
		if err := run(ctx, bad, getenv, nil, io.Discard, io.Discard); exitCode(err) != 2 {
			t.Errorf("%v: %v (exit %d)", bad, err, exitCode(err))
		}
	}
}

// TestTokenCommand: okrbot token create prints the secret alone on
// stdout (for a script to capture), list shows it by its hint, revoke
// makes it useless; names are checked.
func TestTokenCommand(t *testing.T) {
	dir := t.TempDir()
	getenv := env(map[string]string{"OKRBOT_DATA_DIR": dir})
	ctx := context.Background()
	if err := run(ctx, []string{"okrbot", "console", "--workspace", "T024BE7LD", "--create", "--user", "ada"}, getenv, strings.NewReader("/okr help\n"), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"okrbot", "token", "create", "nightly-etl", "--workspace", "T024BE7LD"}, getenv, nil, &stdout, &stderr); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	secret := strings.TrimSpace(stdout.String())
	if !strings.HasPrefix(secret, domain.APITokenPrefix) || strings.Contains(secret, "\n") || !strings.Contains(stderr.String(), "not shown again") {
		t.Fatalf("stdout %q stderr %q", stdout.String(), stderr.String())
	}
	if err := run(ctx, []string{"okrbot", "token", "create", "--workspace", "T024BE7LD", "nightly-etl"}, getenv, nil, io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "already") {
		t.Errorf("a second live token of one name: %v", err)
	}
	stdout.Reset()
	if err := run(ctx, []string{"okrbot", "token", "list"}, getenv, nil, &stdout, io.Discard); err != nil || !strings.Contains(stdout.String(), "nightly-etl  "+secret[:11]) ||
		strings.Contains(stdout.String(), secret) {
		t.Errorf("list: %v\n%s", err, stdout.String())
	}
	if err := run(ctx, []string{"okrbot", "token", "revoke", "--workspace", "slack:T024BE7LD", "nightly-etl"}, getenv, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	if tok, err := st.APIToken(ctx, domain.HashToken(secret)); err != nil || !tok.Revoked() {
		t.Errorf("after revoke: %+v %v", tok, err)
	}
	for _, bad := range [][]string{
		{"okrbot", "token"},
		{"okrbot", "token", "rotate", "x"},
		{"okrbot", "token", "create"},
		{"okrbot", "token", "create", "two", "names"},
		{"okrbot", "token", "create", "<!channel>"},
		{"okrbot", "token", "list", "extra"},
		{"okrbot", "token", "list", "--workspace", "T999"},
	} {
		if err := run(ctx, bad, getenv, nil, io.Discard, io.Discard); exitCode(err) != 2 {
			t.Errorf("%v: %v (exit %d)", bad, err, exitCode(err))
		}
	}
}

// TestServeAPI: okrbot serve answers the HTTP API under /api/v1 with a
// token made by okrbot token create, and a value posted there shows in
// okrbot console's /kpi show.
func TestServeAPI(t *testing.T) {
	dir := t.TempDir()
	getenv := env(map[string]string{"OKRBOT_DATA_DIR": dir, "OKRBOT_ADDR": "127.0.0.1:0"})
	ctx := context.Background()
	if err := run(ctx, []string{"okrbot", "console", "--workspace", "T024BE7LD", "--create", "--user", "ada"}, getenv,
		strings.NewReader(`/kpi create web-leads "Web leads" unit /day higher target 35 every day`+"\n"), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	var secret bytes.Buffer
	if err := run(ctx, []string{"okrbot", "token", "create", "cron"}, getenv, nil, &secret, io.Discard); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(sctx, []string{"okrbot"}, getenv, strings.NewReader(""), io.Discard, logs) }()
	defer func() {
		cancel()
		<-done
	}()
	base := "http://" + waitListening(t, logs)
	if code, body := get(t, base+"/api/v1/openapi.json"); code != 200 || !strings.Contains(body, `"openapi": "3.1`) {
		t.Errorf("openapi.json: %d %.100s", code, body)
	}
	req, _ := http.NewRequest("POST", base+"/api/v1/kpis/web-leads/values", strings.NewReader(`{"value": 31, "note": "from cron"}`))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(secret.String()))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("POST value: %d %s", resp.StatusCode, b)
	}
	if code, _ := get(t, base+"/api/v1/kpis"); code != 401 {
		t.Errorf("without a token: %d", code)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"okrbot", "console", "--workspace", "T024BE7LD", "--user", "ada"}, getenv, strings.NewReader("/kpi show web-leads\n"), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "31/day") || !strings.Contains(out.String(), "from cron") {
		t.Errorf("/kpi show after the API:\n%s", out.String())
	}
}

// TestKPISourcesJob: the kpi-sources job, as the scheduler runs it (only
// the workspaces the next-due index says are due), fetches a new source at
// the next tick, a daily KPI's value once a day however often it ticks,
// and sends the failing-source alert through the outbox once, to the KPI's
// owner, however many times it runs and in however many engines.
func TestKPISourcesJob(t *testing.T) {
	f := newFixture(t)
	var failing atomic.Bool
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if failing.Load() {
			http.Error(w, "no", http.StatusBadGateway)
			return
		}
		fmt.Fprint(w, `{"value": 41}`)
	}))
	defer srv.Close()
	fetcher := sources.New(sources.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	f.svc = conversations.New(rhythm.Watch(f.st, f.st, nil), conversations.Options{Now: f.clock.Now, Sources: fetcher})
	ada := testActor("ada")
	f.must(ada, `/kpi create signups "Signups" higher target 50 every day`)
	s := newFakeSender()
	engines := []*engine{f.engine(s, engineOptions{}), f.engine(s, engineOptions{})}
	tick := func(at time.Time) {
		t.Helper()
		f.clock.Set(at)
		for _, en := range engines {
			if _, err := en.run(bg, rhythm.JobKPISources, at, runOptions{MaxWait: 5 * time.Second}); err != nil {
				t.Fatal(err)
			}
		}
	}
	values := func() int {
		vals, err := f.st.KPIValues(bg, "slack:T1", "signups", 100)
		if err != nil {
			t.Fatal(err)
		}
		return len(vals)
	}
	tick(friday) // the index plans the new workspace; no source yet
	f.must(ada, "/kpi source signups "+srv.URL+" json value")
	tick(friday.Add(time.Minute)) // the next tick: the source set marks the index
	if values() != 1 {
		t.Fatalf("%d values after the first tick with a source", values())
	}
	for i := 2; i < 60; i++ {
		tick(friday.Add(time.Duration(i) * time.Minute))
	}
	if values() != 1 || hits.Load() != 1 {
		t.Fatalf("%d values and %d fetches in an hour of ticks of one day", values(), hits.Load())
	}
	tick(time.Date(2026, 11, 21, 0, 1, 0, 0, time.UTC)) // the next day, as the index says
	if values() != 2 {
		t.Fatalf("%d values on the second day", values())
	}
	failing.Store(true)
	start := time.Date(2026, 11, 22, 0, 1, 0, 0, time.UTC)
	for m := 0; m < 6*60; m += 5 {
		tick(start.Add(time.Duration(m) * time.Minute))
	}
	sent := s.to("ada", domain.KindSourceFailing)
	if len(sent) != 1 {
		t.Fatalf("%d failing-source alerts sent, want 1: %v", len(sent), sent)
	}
	if text := conversations.PlainText(s.message(sent[0])); !strings.Contains(text, "okrbot cannot fetch Signups") || !strings.Contains(text, "502") {
		t.Errorf("alert:\n%s", text)
	}
	if _, dup := s.count(domain.KindSourceFailing); dup != 0 {
		t.Errorf("%d alerts sent twice", dup)
	}
	if n := hits.Load(); n < 6 || n > 12 {
		t.Errorf("%d fetches in six failing hours (5, 10, 20, 40 minutes, then hourly)", n)
	}
}

// TestKPISourcesWithoutPlatform: with no chat platform configured the
// kpi-sources job still fetches (serve's scheduler and okrbot jobs run
// plan the same way); the alert of a failing source cannot be sent from
// such a process, and says so; it waits in the outbox, and a process with
// a sender sends it, once.
func TestKPISourcesWithoutPlatform(t *testing.T) {
	var failing atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			http.Error(w, "no", http.StatusBadGateway)
			return
		}
		fmt.Fprint(w, `{"value": 41}`)
	}))
	defer srv.Close()

	t.Run("engine", func(t *testing.T) {
		f := newFixture(t)
		fetcher := sources.New(sources.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
		f.svc = conversations.New(rhythm.Watch(f.st, f.st, nil), conversations.Options{Now: f.clock.Now, Sources: fetcher})
		ada := testActor("ada")
		f.must(ada, `/kpi create signups "Signups" higher target 50 every day`, "/kpi source signups "+srv.URL+" json value")
		none := newEngine(f.st, f.svc, map[domain.Platform]conversations.Sender{domain.Slack: nil, domain.Teams: nil}, engineOptions{})
		// As the scheduler's tick plans it (the next-due index), and by hand.
		for i, all := range []bool{false, true} {
			at := friday.Add(time.Duration(i) * 24 * time.Hour)
			f.clock.Set(at)
			rep, err := none.run(bg, rhythm.JobKPISources, at, runOptions{All: all, MaxWait: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Plan.Fetched != 1 || !strings.Contains(rep.String(), "1 KPI sources fetched, 0 of them failing") {
				t.Fatalf("all=%v: %s", all, rep)
			}
		}
		failing.Store(true)
		at := friday.Add(48 * time.Hour)
		f.clock.Set(at)
		rep, err := none.run(bg, rhythm.JobKPISources, at, runOptions{All: true, MaxWait: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Plan.FetchFailed != 1 || rep.Undeliverable != 1 || !strings.Contains(rep.String(), "1 alerts wait in the outbox, undeliverable here") {
			t.Fatalf("%s", rep)
		}
		s := newFakeSender()
		if _, err := f.engine(s, engineOptions{}).run(bg, rhythm.JobKPISources, at.Add(time.Minute), runOptions{All: true, MaxWait: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
		if sent := s.to("ada", domain.KindSourceFailing); len(sent) != 1 {
			t.Errorf("%d alerts sent by the process with a sender", len(sent))
		}
	})

	t.Run("okrbot jobs run", func(t *testing.T) {
		failing.Store(false)
		dir := t.TempDir()
		ctx := context.Background()
		st, err := sqlite.Open(ctx, dir, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ws, err := st.EnsureWorkspace(ctx, domain.Workspace{ID: "slack:T1", Platform: domain.Slack, ExternalID: "T1", Settings: domain.DefaultSettings("UTC")})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateKPI(ctx, domain.KPI{WorkspaceID: ws.ID, Slug: "signups", Name: "Signups", Direction: domain.HigherIsBetter, Cadence: domain.Daily, Owner: "U1", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		src := &domain.KPISource{Kind: domain.SourceJSON, URL: srv.URL, Path: "value", SetBy: "U1", SetAt: time.Now()}
		if err := st.SetKPISource(ctx, ws.ID, "signups", src); err != nil {
			t.Fatal(err)
		}
		st.Close(ctx)
		var out, errs bytes.Buffer
		e := env(map[string]string{"OKRBOT_DATA_DIR": dir, "OKRBOT_SOURCE_ALLOW": "127.0.0.1/32"})
		if err := run(ctx, []string{"okrbot", "jobs", "run", "kpi-sources"}, e, nil, &out, &errs); err != nil {
			t.Fatalf("%v\n%s\n%s", err, out.String(), errs.String())
		}
		for _, want := range []string{"the sources are fetched, but the alert of one that fails cannot be sent from here", "1 KPI sources fetched, 0 of them failing"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("no %q in:\n%s", want, out.String())
			}
		}
		st, err = sqlite.Open(ctx, dir, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close(ctx)
		if k, _ := st.KPI(ctx, ws.ID, "signups"); k.Latest == nil || k.Latest.Value != 41 {
			t.Errorf("not fetched: %+v", k.Latest)
		}
	})
}
