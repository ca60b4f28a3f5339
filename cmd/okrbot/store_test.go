package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/fakeslack"
	"github.com/okrbot/okrbot/internal/legacydata"
	"github.com/okrbot/okrbot/storage/sqlite"
)

// The embedded store as the program uses it: several okrbot processes on
// one data directory, killed, backed up, restored, migrated.

// slackEnv configures okrbot for the fake Slack's team T0001.
func slackEnv(fake *fakeslack.Server) []string {
	return []string{"SLACK_SIGNING_SECRET=" + testSecret, "SLACK_BOT_TOKEN=" + fake.Team("T0001").Token, "SLACK_API_URL=" + fake.APIURL}
}

// slash posts a signed slash command to okrbot at addr as user and returns
// the status and the answer: the inline one, or the one okrbot posts to the
// response_url after an empty acknowledgement (a busy machine), waited for.
func slash(addr string, fake *fakeslack.Server, user, text string) (int, string, error) {
	return slashWait(addr, fake, user, text, 30*time.Second)
}

// slashWait is slash waiting at most wait for a response_url answer.
func slashWait(addr string, fake *fakeslack.Server, user, text string, wait time.Duration) (int, string, error) {
	cmd, args, _ := strings.Cut(text, " ")
	form := fake.Command("T0001", user, "C0GROWTH", cmd, args)
	resp, err := http.DefaultClient.Do(fakeslack.SignedRequest(testSecret, "http://"+addr+"/slack/commands", fakeslack.Form, []byte(form.Encode())))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 || resp.StatusCode != 200 {
		return resp.StatusCode, string(b), nil
	}
	return resp.StatusCode, laterAnswer(fake, form.Get("response_url"), wait), nil
}

// laterAnswer waits for okrbot's post to a response_url.
func laterAnswer(fake *fakeslack.Server, responseURL string, wait time.Duration) string {
	u, err := url.Parse(responseURL)
	if err != nil {
		return ""
	}
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, p := range fake.Responses() {
			if p.Path == u.Path {
				return string(p.Body)
			}
		}
	}
	return ""
}

// okrbotProcess runs the built okrbot with args on dir and returns what it
// printed; it fails the test unless it exits 0.
func okrbotProcess(t *testing.T, dir, stdin string, env []string, args ...string) string {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "OKRBOT_DATA_DIR="+dir, "MONGODB_URI="), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("okrbot %v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

func ready(t *testing.T, addr string) {
	t.Helper()
	if code, body := get(t, "http://"+addr+"/readyz"); code != 200 {
		t.Fatalf("readyz of %s = %d %s", addr, code, body)
	}
}

// lastFriday is the latest Friday 15:30 UTC before now: the moment the
// weekly check-in prompts are due.
func lastFriday() time.Time {
	t := time.Now().UTC().Truncate(24 * time.Hour).Add(15*time.Hour + 30*time.Minute)
	for t.Weekday() != time.Friday || t.After(time.Now()) {
		t = t.AddDate(0, 0, -1)
	}
	return t
}

// TestProcessesShareOneDataDirectory: two okrbot serve, a console and a job
// run on one data directory at once; killing one serve leaves the others
// working, and it starts again at once.
func TestProcessesShareOneDataDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs okrbot processes")
	}
	dir := t.TempDir()
	fake := fakeslack.New(t, fakeslack.Options{})
	env := slackEnv(fake)
	a, aCmd, _ := startProcess(t, dir, env...)
	b, bCmd, _ := startProcess(t, dir, env...)
	ready(t, a)
	ready(t, b)

	friday := lastFriday()
	cycle := domain.CycleOf(friday, time.UTC)
	out := okrbotProcess(t, dir, "/okr create Grow the European market --cycle "+string(cycle)+"\n/okr kr add O-1 Increase web leads from 22 to 35 per day\n",
		nil, "console", "--workspace", "T0001", "--create", "--user", "U0ADA")
	if !strings.Contains(out, "Created O-1") || !strings.Contains(out, "Added KR-1") {
		t.Fatalf("console beside two serve:\n%s", out)
	}
	out = okrbotProcess(t, dir, "", env, "jobs", "run", "checkin-prompts", "--at", friday.Format(time.RFC3339))
	if !strings.Contains(out, "1 deliveries (") || !strings.Contains(out, ": 1 sent (") || !strings.Contains(out, "0 still failing") {
		t.Fatalf("jobs run beside two serve:\n%s", out)
	}
	if code, body, err := slash(a, fake, "U0ADA", "/okr update KR-1 25 confidence 6"); err != nil || code != 200 || !strings.Contains(body, "Updated") {
		t.Fatalf("update through A: %d %s %v", code, body, err)
	}

	// A dies; B and the console go on.
	aCmd.Process.Signal(syscall.SIGKILL)
	aCmd.Wait()
	ready(t, b)
	if code, body, err := slash(b, fake, "U0ADA", "/okr update KR-1 28 confidence 7"); err != nil || code != 200 || !strings.Contains(body, "Updated") {
		t.Fatalf("update through B after A was killed: %d %s %v", code, body, err)
	}
	out = okrbotProcess(t, dir, "/okr show KR-1\n", nil, "console", "--workspace", "T0001", "--user", "U0ADA")
	if !strings.Contains(out, "now 28") {
		t.Fatalf("the console after A was killed:\n%s", out)
	}
	// A starts again at once, nothing in its way, and sees it all.
	a, aCmd, _ = startProcess(t, dir, env...)
	ready(t, a)
	if code, body, _ := slash(a, fake, "U0ADA", "/okr list mine"); code != 200 || !strings.Contains(body, "Grow the European market") {
		t.Fatalf("list through the restarted A: %d %s", code, body)
	}
	for _, c := range []*exec.Cmd{aCmd, bCmd} {
		c.Process.Signal(syscall.SIGTERM)
		if err := c.Wait(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}
}

// TestKilledServeLosesNoCommittedWrite: okrbot serve is SIGKILLed while
// people update key results; every update it acknowledged is there after,
// each check-in agrees with its key result (both were written or neither),
// and the next start is not held up.
func TestKilledServeLosesNoCommittedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a process")
	}
	dir := t.TempDir()
	fake := fakeslack.New(t, fakeslack.Options{})
	env := slackEnv(fake)
	addr, cmd, _ := startProcess(t, dir, env...)
	ready(t, addr)
	st := openDataDir(t, dir)
	o := domain.Objective{WorkspaceID: "slack:T0001", Title: "Grow", Owner: "U0ADA", Cycle: domain.CycleOf(time.Now(), time.UTC), Commitment: domain.Committed, Status: domain.Active}
	for range 5 {
		o.KeyResults = append(o.KeyResults, domain.KeyResult{Title: "Increase deals from 0 to 1000", Kind: domain.Increase, Target: 1000, Weight: 1, Owner: "U0ADA"})
	}
	if err := st.CreateObjective(context.Background(), &o); err != nil {
		t.Fatal(err)
	}
	st.Close(context.Background())

	var acked [5]atomic.Int64 // the last value okrbot confirmed, per key result
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := 1; ; v++ {
				select {
				case <-stop:
					return
				default:
				}
				// An answer that did not come back at once is not counted
				// as confirmed: the process may die before it is posted.
				code, body, err := slashWait(addr, fake, "U0ADA", fmt.Sprintf("/okr update %s %d confidence %d", o.KeyResults[i].Ref, v, 1+v%10), 0)
				if err != nil {
					return // the process is gone
				}
				if code == 200 && strings.Contains(body, "Updated") {
					acked[i].Store(int64(v))
				}
			}
		}()
	}
	deadline := time.Now().Add(20 * time.Second)
	least := func() int64 {
		n := acked[0].Load()
		for i := range acked {
			n = min(n, acked[i].Load())
		}
		return n
	}
	for time.Now().Before(deadline) && least() < 5 {
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	close(stop)
	wg.Wait()

	start := time.Now()
	addr, cmd, _ = startProcess(t, dir, env...)
	ready(t, addr)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the start after a SIGKILL took %v", took)
	}
	st = openDataDir(t, dir)
	got, err := st.Objective(context.Background(), "slack:T0001", o.Ref)
	if err != nil {
		t.Fatal(err)
	}
	for i, kr := range got.KeyResults {
		cs, err := st.CheckIns(context.Background(), "slack:T0001", domain.CheckInFilter{KRs: []string{kr.Ref}})
		if err != nil || len(cs) != 1 {
			t.Fatalf("%s: %d check-ins, %v", kr.Ref, len(cs), err)
		}
		if int64(kr.Current) < acked[i].Load() {
			t.Errorf("%s: okrbot confirmed %d but %v is stored", kr.Ref, acked[i].Load(), kr.Current)
		}
		if cs[0].Value != kr.Current || cs[0].Confidence != kr.Confidence {
			t.Errorf("%s: the check-in (%v, confidence %d) and the key result (%v, %d) disagree", kr.Ref, cs[0].Value, cs[0].Confidence, kr.Current, kr.Confidence)
		}
		// The key result's progress line, written in the same transaction.
		if line, err := st.CheckInPoints(context.Background(), "slack:T0001", []string{kr.Ref}, time.Time{}); err != nil || len(line[kr.Ref]) != 1 || line[kr.Ref][0].Value != cs[0].Value {
			t.Errorf("%s: the progress line %v (%v) and the check-in (%v) disagree", kr.Ref, line[kr.Ref], err, cs[0].Value)
		}
	}
	t.Logf("killed after confirming %d, %d, %d, %d and %d updates", acked[0].Load(), acked[1].Load(), acked[2].Load(), acked[3].Load(), acked[4].Load())
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
}

// TestBackupBesideServeAndRestore: okrbot backup copies the store while
// okrbot serve runs; restored into the data directory, the copy is what
// okrbot starts with.
func TestBackupBesideServeAndRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("runs okrbot processes")
	}
	dir := t.TempDir()
	addr, cmd, _ := startProcess(t, dir)
	ready(t, addr)
	okrbotProcess(t, dir, "/okr create Before the backup\n", nil, "console", "--workspace", "T0001", "--create")
	file := filepath.Join(t.TempDir(), "okrbot-backup.db")
	out := okrbotProcess(t, dir, "", nil, "backup", file)
	if !strings.Contains(out, "backed up to "+file) || !strings.Contains(out, "1 objectives") {
		t.Fatalf("backup:\n%s", out)
	}
	okrbotProcess(t, dir, "/okr create After the backup\n", nil, "console", "--workspace", "T0001")
	// A second backup to the same file is refused.
	bin, _ := buildBinary()
	again := exec.Command(bin, "backup", file)
	again.Env = append(os.Environ(), "OKRBOT_DATA_DIR="+dir, "MONGODB_URI=")
	if msg, err := again.CombinedOutput(); err == nil || !strings.Contains(string(msg), "exists already") {
		t.Fatalf("a backup over a backup: %v %s", err, msg)
	}

	// Restore: stop okrbot, put the copy in place of okrbot.db, start okrbot.
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"okrbot.db", "okrbot.db-wal", "okrbot.db-shm"} {
		os.Remove(filepath.Join(dir, n))
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "okrbot.db"), b, 0o640); err != nil {
		t.Fatal(err)
	}
	addr, cmd, _ = startProcess(t, dir)
	ready(t, addr)
	out = okrbotProcess(t, dir, "/okr list all\n", nil, "console", "--workspace", "T0001")
	if !strings.Contains(out, "Before the backup") || strings.Contains(out, "After the backup") {
		t.Fatalf("after the restore:\n%s", out)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
}

func TestBackupRefusals(t *testing.T) {
	withStore := t.TempDir()
	openDataDir(t, withStore).Close(context.Background())
	missing := filepath.Join(t.TempDir(), "backups")
	notDir := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(notDir, []byte("x"), 0o600)
	for name, c := range map[string]struct {
		args []string
		env  map[string]string
		want string
		code int
	}{
		"no file":      {[]string{"okrbot", "backup"}, map[string]string{}, "say where the copy goes", 2},
		"no store":     {[]string{"okrbot", "backup", "x.db"}, map[string]string{"OKRBOT_DATA_DIR": t.TempDir()}, "nothing to back up", 1},
		"with MongoDB": {[]string{"okrbot", "backup", "x.db"}, map[string]string{"MONGODB_URI": "mongodb://db.example/"}, "mongodump", 1},
		"missing directory": {[]string{"okrbot", "backup", filepath.Join(missing, "okrbot.db")}, map[string]string{"OKRBOT_DATA_DIR": withStore},
			"the directory " + missing + " does not exist; make it first (mkdir -p " + missing + ")", 2},
		"a file as directory": {[]string{"okrbot", "backup", filepath.Join(notDir, "okrbot.db")}, map[string]string{"OKRBOT_DATA_DIR": withStore},
			notDir + " is not a directory", 2},
	} {
		var out bytes.Buffer
		err := run(context.Background(), c.args, env(c.env), nil, &out, io.Discard)
		if err == nil || exitCode(err) != c.code || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v (exit %d)", name, err, exitCode(err))
		}
		if strings.Contains(err.Error(), "sqlite") || strings.Contains(out.String(), "backing up") {
			t.Errorf("%s: a raw error, or a backup said to start: %v\n%s", name, err, out.String())
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("the missing directory was made")
	}
}

// TestServeMigratesTheFerretDBStore: okrbot serve started on a data
// directory of the earlier embedded store migrates it, says so, and serves it.
func TestServeMigratesTheFerretDBStore(t *testing.T) {
	dir := t.TempDir()
	legacydata.Write(t, dir)
	addr, logs := startServe(t, map[string]string{"OKRBOT_DATA_DIR": dir})
	ready(t, addr)
	if !strings.Contains(logs.String(), "migrated the earlier embedded store (FerretDB) okrbot.sqlite into okrbot.db") {
		t.Fatalf("no log line about the migration:\n%s", logs)
	}
	st := openDataDir(t, dir)
	if o, err := st.Objective(context.Background(), legacydata.Contents.Workspace, "O-1"); err != nil || o.Title != "Grow the European market" {
		t.Fatalf("migrated O-1: %+v, %v", o, err)
	}
}

// TestServeRefusesAVanishedStore: a data directory whose okrbot.db is gone
// while its marker remains stops okrbot serve with one line saying so.
func TestServeRefusesAVanishedStore(t *testing.T) {
	dir := t.TempDir()
	st := openDataDir(t, dir)
	st.Close(context.Background())
	os.Remove(filepath.Join(dir, sqlite.FileName))
	err := run(context.Background(), []string{"okrbot", "serve"}, env(map[string]string{"OKRBOT_ADDR": "127.0.0.1:0", "OKRBOT_DATA_DIR": dir}), nil, io.Discard, io.Discard)
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "okrbot.store") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err == nil {
		t.Fatal("an empty store was started")
	}
}

// TestConcurrentSlackCommandsAreAllAnswered: 128 signed slash commands at
// once through the Slack handler of an okrbot serve process (updates,
// lists, creates and KPI values): every one is acknowledged within Slack's
// 3 s, every one is answered (inline or through response_url), and none
// with an internal error. The process is the built binary, as operators
// run it (not instrumented by the race detector, which makes SQLite ten
// times slower).
func TestConcurrentSlackCommandsAreAllAnswered(t *testing.T) {
	if testing.Short() {
		t.Skip("runs okrbot serve")
	}
	fake := fakeslack.New(t, fakeslack.Options{})
	dir := t.TempDir()
	st := openDataDir(t, dir)
	ctx := context.Background()
	if _, err := st.EnsureWorkspace(ctx, domain.Workspace{ID: "slack:T0001", Platform: domain.Slack, ExternalID: "T0001", Settings: domain.DefaultSettings("UTC")}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateKPI(ctx, domain.KPI{WorkspaceID: "slack:T0001", Slug: "leads", Name: "Leads", Direction: domain.HigherIsBetter, Cadence: domain.Daily, Owner: "U0000"}); err != nil {
		t.Fatal(err)
	}
	const people = 32
	var krs []string
	for i := range people {
		u := fmt.Sprintf("U%04d", i)
		o := domain.Objective{WorkspaceID: "slack:T0001", Title: "Objective of " + u, Owner: u, Cycle: domain.CycleOf(time.Now(), time.UTC), Commitment: domain.Committed, Status: domain.Active,
			KeyResults: []domain.KeyResult{{Title: "Increase deals from 0 to 10", Kind: domain.Increase, Target: 10, Weight: 1, Owner: u}}}
		if err := st.CreateObjective(ctx, &o); err != nil {
			t.Fatal(err)
		}
		krs = append(krs, o.KeyResults[0].Ref)
	}
	addr, cmd, _ := startProcess(t, dir, slackEnv(fake)...)
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()

	type result struct {
		took   time.Duration
		code   int
		inline string
		url    string
		err    error
	}
	results := make([]result, 4*people)
	var wg sync.WaitGroup
	begin := make(chan struct{})
	for i := range results {
		u := fmt.Sprintf("U%04d", i%people)
		text := []string{
			fmt.Sprintf("/okr update %s %d confidence 7 steady week", krs[i%people], i%10),
			"/okr list mine",
			fmt.Sprintf("/okr create Load objective %d", i),
			fmt.Sprintf("/kpi set leads %d", i),
		}[i/people]
		if i/people == 3 {
			u = "U0000" // the KPI's owner
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd, args, _ := strings.Cut(text, " ")
			form := fake.Command("T0001", u, "C0GROWTH", cmd, args)
			req := fakeslack.SignedRequest(testSecret, "http://"+addr+"/slack/commands", fakeslack.Form, []byte(form.Encode()))
			<-begin
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			r := result{took: time.Since(start), err: err}
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				r.code, r.inline = resp.StatusCode, string(b)
			}
			r.url = form.Get("response_url")
			results[i] = r
		}()
	}
	close(begin)
	wg.Wait()
	deadline := time.Now().Add(60 * time.Second)
	var slowest time.Duration
	for i, r := range results {
		slowest = max(slowest, r.took)
		a := r.inline
		if a == "" {
			a = laterAnswer(fake, r.url, time.Until(deadline))
		}
		switch {
		case r.err != nil || r.code != 200:
			t.Errorf("command %d: %d %v", i, r.code, r.err)
		case r.took > 3*time.Second:
			t.Errorf("command %d acknowledged after %v", i, r.took)
		case a == "":
			t.Errorf("command %d was never answered", i)
		case strings.Contains(a, "went wrong") || strings.Contains(a, "Internal error") || strings.Contains(a, "okrbot is busy"):
			t.Errorf("command %d answered %s", i, a)
		}
	}
	if code, body := get(t, "http://"+addr+"/metrics"); code != 200 || strings.Contains(body, `okrbot_command_errors_total{code="internal"}`) || strings.Contains(body, `okrbot_command_errors_total{code="busy"}`) {
		t.Errorf("errors counted:\n%s", grepLines(body, "okrbot_command_errors_total"))
	}
	if os, _ := st.Objectives(ctx, "slack:T0001", domain.ObjectiveFilter{}); len(os) != 2*people {
		t.Errorf("%d objectives after %d creates", len(os), people)
	}
	if vs, _ := st.KPIValues(ctx, "slack:T0001", "leads", 1000); len(vs) != people {
		t.Errorf("%d KPI values after %d /kpi set", len(vs), people)
	}
	t.Logf("slowest acknowledgement of %d: %v", len(results), slowest)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestFiftyConcurrentUpdatesOfOneObjectiveAllLand: fifty signed
// "/okr update" commands at once, five on each of the ten key results of one
// objective, through okrbot serve: every one is confirmed, every one is in
// the objective (its version moved fifty times), and each key result agrees
// with its check-in.
func TestFiftyConcurrentUpdatesOfOneObjectiveAllLand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs okrbot serve")
	}
	fake := fakeslack.New(t, fakeslack.Options{})
	dir := t.TempDir()
	st := openDataDir(t, dir)
	ctx := context.Background()
	o := domain.Objective{WorkspaceID: "slack:T0001", Title: "Grow", Owner: "U0LEAD", Cycle: domain.CycleOf(time.Now(), time.UTC), Commitment: domain.Committed, Status: domain.Active}
	for i := range domain.MaxKRs {
		o.KeyResults = append(o.KeyResults, domain.KeyResult{Title: "Increase deals from 0 to 100", Kind: domain.Increase, Target: 100, Weight: 1, Owner: fmt.Sprintf("U%04d", i)})
	}
	if err := st.CreateObjective(ctx, &o); err != nil {
		t.Fatal(err)
	}
	addr, cmd, _ := startProcess(t, dir, slackEnv(fake)...)
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	var wg sync.WaitGroup
	begin := make(chan struct{})
	answers := make([]string, 50)
	for i := range answers {
		kr := o.KeyResults[i%len(o.KeyResults)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-begin
			_, body, err := slash(addr, fake, kr.Owner, fmt.Sprintf("/okr update %s %d confidence %d", kr.Ref, 10+i, 1+i%10))
			if err != nil {
				t.Error(err)
			}
			answers[i] = body
		}()
	}
	close(begin)
	wg.Wait()
	for i, a := range answers {
		if !strings.Contains(a, "Updated") {
			t.Errorf("update %d answered %q", i, a)
		}
	}
	got, err := st.Objective(ctx, "slack:T0001", o.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != o.Version+50 {
		t.Errorf("the objective moved %d times for 50 updates", got.Version-o.Version)
	}
	for i, kr := range got.KeyResults {
		cs, _ := st.CheckIns(ctx, "slack:T0001", domain.CheckInFilter{KRs: []string{kr.Ref}})
		sent := false
		for j := i; j < 50; j += len(got.KeyResults) {
			sent = sent || kr.Current == float64(10+j)
		}
		if len(cs) != 1 || cs[0].Value != kr.Current || cs[0].Confidence != kr.Confidence || !sent {
			t.Errorf("%s = %v (confidence %d), check-ins %+v", kr.Ref, kr.Current, kr.Confidence, cs)
		}
	}
}

// TestWritesAfterTheStoreFileIsDeletedAreRefused: with okrbot.db deleted
// under a running okrbot, a command that writes is answered with an error
// (code unavailable) saying an operator must restore the file, never
// "Created O-2" for an objective that is gone at the next start.
func TestWritesAfterTheStoreFileIsDeletedAreRefused(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st := openDataDir(t, dir)
	svc := newService(st, &Config{TimeZone: "UTC"}, slog.New(slog.DiscardHandler), nil, nil)
	a := conversations.Actor{Platform: domain.Slack, Workspace: "T0001", User: "U0ADA"}
	if r := svc.Command(ctx, a, "okr", "create Before delete"); r.Failed() {
		t.Fatalf("before: %s", conversations.PlainText(r.Message))
	}
	if err := os.Remove(filepath.Join(dir, sqlite.FileName)); err != nil {
		t.Fatal(err)
	}
	r := svc.Command(ctx, a, "okr", "create After delete")
	text := conversations.PlainText(r.Message)
	if r.Code != domain.EUNAVAILABLE || !strings.Contains(text, "store file is gone") || strings.Contains(text, "Created") || strings.Contains(text, "Example") {
		t.Fatalf("after the file was deleted: code %q, %s", r.Code, text)
	}
	if r := svc.Command(ctx, a, "kpi", `create leads "Leads"`); r.Code != domain.EUNAVAILABLE {
		t.Errorf("/kpi create after the file was deleted: code %q, %s", r.Code, conversations.PlainText(r.Message))
	}
}
