package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage/sqlite"
)

// quarterScript is a whole quarter typed into the console by a team.
const quarterScript = `# a team's quarter, typed into okrbot console
/kpi create web-leads "Web leads" unit /day higher target 35 warn 25 alert 15 every day
/kpi set web-leads 22
/okr create Grow the European market --aspirational
/okr kr add O-1 Increase web leads from 22 to 35 per day --kpi web-leads
/okr kr add O-1 Reduce support response time from 12h to 4h
/okr kr add O-1 Hire a VP of sales for Europe --owner @bob
/kpi set web-leads 27 campaign started
/okr checkin
8
first week
10
6
two agents hired



/okr checkin
7

9
7
three agents hired


a good week
/as bob
/okr update KR-3 done confidence 10 signed!
/okr grade O-1 0.2
/as console
/okr create Win the enterprise segment
/okr align O-2 to KR-1
/okr list
/okr show O-1
/okr show KR-2
/okr digest preview
/okr grade O-1 0.8 great quarter
/okr grade O-1 0.8 great quarter --yes
/quit
`

func TestConsoleRunsAWholeQuarter(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	err := run(context.Background(), []string{"okrbot", "console", "--workspace", "T024BE7LD", "--create", "--user", "console"},
		env(map[string]string{"OKRBOT_DATA_DIR": dir}), strings.NewReader(quarterScript), &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"Created KPI web-leads", "Created O-1", "Added KR-1", "Added KR-2", "Added KR-3",
		"Checked in on 2 key results", "Only the owner of O-1", "Aligned O-2", "Your objectives",
		"KR-2 Reduce support response time", "Company OKRs", "and close it?", "Graded O-1", "meets the 0.7",
		"Understood: decrease from 12h to 4h",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("console output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(text)
	}

	// What the console stored is in the store, for the Slack workspace.
	st := openDataDir(t, dir)
	o, err := st.Objective(context.Background(), "slack:T024BE7LD", "O-1")
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != domain.Closed || o.Grade == nil || *o.Grade != 0.8 {
		t.Errorf("O-1 not graded and closed: %+v", o)
	}
	kinds := []domain.Kind{domain.Increase, domain.Decrease, domain.Milestone}
	for i, k := range kinds {
		if o.KeyResults[i].Kind != k {
			t.Errorf("KR %d is %s, want %s", i+1, o.KeyResults[i].Kind, k)
		}
	}
	if o.KeyResults[0].KPI != "web-leads" || o.KeyResults[0].Current != 27 || !o.KeyResults[2].Done || o.KeyResults[2].Owner != "bob" {
		t.Errorf("key results: %+v", o.KeyResults)
	}
	cs, err := st.CheckIns(context.Background(), "slack:T024BE7LD", domain.CheckInFilter{KRs: []string{"KR-2"}})
	if err != nil || len(cs) != 1 || cs[0].Value != 9 || cs[0].Note != "three agents hired" {
		t.Errorf("two check-ins in one week must store one, the second: %+v %v", cs, err)
	}
	if o2, _ := st.Objective(context.Background(), "slack:T024BE7LD", "O-2"); o2.Parent != "KR-1" {
		t.Errorf("O-2 aligned to %q", o2.Parent)
	}
	vals, _ := st.KPIValues(context.Background(), "slack:T024BE7LD", "web-leads", 10)
	if len(vals) != 2 {
		t.Errorf("%d KPI values", len(vals))
	}
}

// TestConsoleDigestSubscriptionsNeedRights: in the console too, a plain
// member can neither unsubscribe the company roll-up nor subscribe a
// channel; an admin can, and the console says it could not check okrbot's
// membership (no platform is configured).
func TestConsoleDigestSubscriptionsNeedRights(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	script := "/as boss --admin\n/okr digest subscribe #leadership --company\n/as eve\n/okr digest unsubscribe #leadership\n/okr digest subscribe #growth\n/in #growth\n/okr digest subscribe\n/quit\n"
	err := run(context.Background(), []string{"okrbot", "console", "--workspace", "T024BE7LD", "--create"},
		env(map[string]string{"OKRBOT_DATA_DIR": dir}), strings.NewReader(script), &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"leadership will get the weekly digest of the company roll-up",
		"could not check from here that it is a member",
		"Only a workspace admin can stop the company roll-up in #leadership; nothing was changed.",
		"Only a workspace admin or the owner of one of #growth's objectives can subscribe #growth; nothing was changed.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("console output lacks %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "Only a workspace admin or the owner"); n != 2 {
		t.Errorf("%d refusals of the member's subscribe, want 2:\n%s", n, text)
	}
	st := openDataDir(t, dir)
	subs, err := st.Subscriptions(context.Background(), "slack:T024BE7LD")
	if err != nil || len(subs) != 1 || subs[0].Channel != "leadership" || !subs[0].Company || subs[0].By != "boss" {
		t.Errorf("subscriptions: %+v %v", subs, err)
	}
}

// seedWorkspaces writes workspaces (platform ids of Slack teams), each
// with one objective titled after it, into the data directory dir.
func seedWorkspaces(t *testing.T, dir string, ids ...string) {
	t.Helper()
	ctx := context.Background()
	st := openDataDir(t, dir)
	defer st.Close(ctx)
	for _, id := range ids {
		ws := domain.WorkspaceID(domain.Slack, id)
		if _, err := st.EnsureWorkspace(ctx, domain.Workspace{ID: ws, Platform: domain.Slack, ExternalID: id, Settings: domain.DefaultSettings("UTC")}); err != nil {
			t.Fatal(err)
		}
		o := domain.Objective{WorkspaceID: ws, Title: "Objective of " + id, Owner: "U1", Cycle: domain.CycleOf(time.Now(), time.UTC), Commitment: domain.Committed, Status: domain.Active}
		if err := st.CreateObjective(ctx, &o); err != nil {
			t.Fatal(err)
		}
	}
}

// storeIDs lists the workspaces of the store in dir.
func storeIDs(t *testing.T, dir string) []string {
	t.Helper()
	st := openDataDir(t, dir)
	defer st.Close(context.Background())
	wss, err := st.Workspaces(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, w := range wss {
		ids = append(ids, w.ID)
	}
	sort.Strings(ids)
	return ids
}

// dumpStore is every row of every table of the store in dir, as text, to
// show that a run changed nothing.
func dumpStore(t *testing.T, dir string) string {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// sqlite_stat1 and the like are SQLite's planner statistics, not data.
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var b strings.Builder
	for _, tb := range tables {
		rs, err := db.Query(`SELECT * FROM "` + tb + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rs.Columns()
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rs.Scan(ptrs...)
			fmt.Fprintf(&b, "%s %v\n", tb, vals)
		}
		rs.Close()
	}
	return b.String()
}

// console runs okrbot console on the data directory dir with input in
// and flags args, returning its output, its error output and its error.
func consoleRun(dir, in string, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"okrbot", "console"}, args...), env(map[string]string{"OKRBOT_DATA_DIR": dir}), strings.NewReader(in), &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestConsoleNeverMakesUpAWorkspace: the console acts in the only
// workspace there is, or the one named; with several and none named, or a
// mistyped one, it refuses with the list and an example, and creates
// nothing; only an empty store (a fresh install) or --create starts one,
// and the console says so.
func TestConsoleNeverMakesUpAWorkspace(t *testing.T) {
	t.Run("several, none named", func(t *testing.T) {
		dir := t.TempDir()
		seedWorkspaces(t, dir, "T0001", "T0002")
		out, _, err := consoleRun(dir, "/okr list all\n")
		if err == nil || exitCode(err) != 2 {
			t.Fatalf("err = %v; out:\n%s", err, out)
		}
		for _, want := range []string{"slack:T0001", "slack:T0002", "--workspace", "example: okrbot console --workspace T0001"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("refusal lacks %q: %v", want, err)
			}
		}
		if strings.Contains(err.Error(), "\n") || out != "" {
			t.Errorf("not one line, or answered anyway: %v\n%s", err, out)
		}
		if got := storeIDs(t, dir); strings.Join(got, " ") != "slack:T0001 slack:T0002" {
			t.Errorf("workspaces after the refusal: %v", got)
		}
	})
	t.Run("a mistyped one", func(t *testing.T) {
		dir := t.TempDir()
		seedWorkspaces(t, dir, "T0001", "T0002")
		_, _, err := consoleRun(dir, "/okr list all\n", "--workspace", "T0003")
		if err == nil || exitCode(err) != 2 {
			t.Fatalf("err = %v", err)
		}
		for _, want := range []string{"no workspace slack:T0003", "slack:T0001, slack:T0002", "--create"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("refusal lacks %q: %v", want, err)
			}
		}
		if got := storeIDs(t, dir); len(got) != 2 {
			t.Errorf("workspaces after the refusal: %v", got)
		}
		// Named in full, or by its platform id, it is found.
		for _, name := range []string{"slack:T0002", "T0002"} {
			out, _, err := consoleRun(dir, "/okr list all\n", "--workspace", name)
			if err != nil || !strings.Contains(out, "Objective of T0002") || strings.Contains(out, "Objective of T0001") {
				t.Errorf("--workspace %s: %v\n%s", name, err, out)
			}
		}
		// --create starts it, and says so.
		out, errOut, err := consoleRun(dir, "/okr create Third\n", "--workspace", "T0003", "--create")
		if err != nil || !strings.Contains(out, "Created O-1") || !strings.Contains(errOut, "started a new workspace slack:T0003") {
			t.Errorf("--create: %v\n%s\n%s", err, out, errOut)
		}
		if got := storeIDs(t, dir); len(got) != 3 {
			t.Errorf("workspaces after --create: %v", got)
		}
	})
	t.Run("the only one", func(t *testing.T) {
		dir := t.TempDir()
		seedWorkspaces(t, dir, "T0001")
		out, errOut, err := consoleRun(dir, "/okr list all\n")
		if err != nil || !strings.Contains(out, "Objective of T0001") || errOut != "" {
			t.Errorf("%v\n%s\n%s", err, out, errOut)
		}
		if got := storeIDs(t, dir); strings.Join(got, " ") != "slack:T0001" {
			t.Errorf("workspaces: %v", got)
		}
	})
	t.Run("a fresh install", func(t *testing.T) {
		dir := t.TempDir()
		out, errOut, err := consoleRun(dir, "/okr create Grow the European market\n")
		if err != nil || !strings.Contains(out, "Created O-1") || !strings.Contains(errOut, "started a new workspace slack:local") {
			t.Fatalf("%v\n%s\n%s", err, out, errOut)
		}
		// The next run acts there again, without a word about it.
		out, errOut, err = consoleRun(dir, "/okr list all\n")
		if err != nil || !strings.Contains(out, "Grow the European market") || errOut != "" {
			t.Errorf("second run: %v\n%s\n%s", err, out, errOut)
		}
		// An empty store and a named workspace: it is not made up either.
		_, _, err = consoleRun(t.TempDir(), "/okr list\n", "--workspace", "T024BE7LD")
		if err == nil || !strings.Contains(err.Error(), "the store has none yet") || !strings.Contains(err.Error(), "--create") {
			t.Errorf("a named workspace in an empty store: %v", err)
		}
	})
}

// TestConsoleReadOnlyCommandsWriteNothing: listing, showing, help and a
// digest preview change no row of the store (the "Check your backups"
// recipe of docs/operations.md runs them on a backup's copy).
func TestConsoleReadOnlyCommandsWriteNothing(t *testing.T) {
	dir := t.TempDir()
	seedWorkspaces(t, dir, "T0001")
	before := dumpStore(t, dir)
	out, _, err := consoleRun(dir, "/okr list all\n/okr show O-1\n/okr help\n/kpi list\n/okr digest preview\n/okr list mine\n")
	if err != nil || !strings.Contains(out, "Objective of T0001") {
		t.Fatalf("%v\n%s", err, out)
	}
	if after := dumpStore(t, dir); after != before {
		t.Errorf("read-only commands changed the store:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestConsoleTeamAndCompanyPreviewsKeepTheirCharts: a team's digest
// preview and the company's write two chart files, each path said, so the
// second does not overwrite the first.
func TestConsoleTeamAndCompanyPreviewsKeepTheirCharts(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where the console saves charts
	script := "/in #C0GROWTH\n/okr create Grow the European market\n/okr kr add O-1 Increase web leads from 22 to 35 per day\n/okr digest preview\n/in -\n/okr digest preview\n"
	out, _, err := consoleRun(t.TempDir(), script)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, l := range strings.Split(out, "\n") {
		if p, ok := strings.CutPrefix(l, "Chart: "); ok {
			paths = append(paths, p)
		}
	}
	if len(paths) != 2 || paths[0] == paths[1] {
		t.Fatalf("chart files %q, want two different ones:\n%s", paths, out)
	}
	for _, p := range paths {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 || filepath.Dir(p) != tmp {
			t.Errorf("chart %s: %v", p, err)
		}
	}
	if !strings.Contains(paths[1], "company") {
		t.Errorf("the company's chart is %s", paths[1])
	}
}
