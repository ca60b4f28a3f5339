package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/fakeslack"
	"github.com/okrbot/okrbot/storage"
	"github.com/okrbot/okrbot/storage/mongo"
	"github.com/okrbot/okrbot/storage/storagetest"
)

// The weekly rhythm end to end: okrbot jobs run, as a process, against a
// store and a local server that plays Slack's Web API.

// friday1530 is Friday 20 November 2026, after the 15:00 UTC prompt moment.
const friday1530 = "2026-11-20T15:30:00Z"

// rhythmEnv is a store with n people who own a key result each in the fake
// Slack's team T0001, and the environment for okrbot to reach both.
type rhythmEnv struct {
	st    storage.Store
	slack *fakeslack.Server
	env   []string
}

func newRhythmEnv(t *testing.T, n int, opts fakeslack.Options) *rhythmEnv {
	t.Helper()
	// The okrbot jobs processes share the test's SQLite file (or, with
	// OKRBOT_TEST_STORE=mongodb, its MongoDB database).
	var st storage.Store
	var storeEnv []string
	if storagetest.Mongo() {
		db := storagetest.DatabaseName()
		m, err := mongo.Open(context.Background(), os.Getenv("MONGODB_URI"), db, mongo.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Drop(context.Background()); m.Close(context.Background()) })
		st, storeEnv = m, []string{"MONGODB_URI=" + os.Getenv("MONGODB_URI"), "MONGODB_DATABASE=" + db}
	} else {
		dir := t.TempDir()
		st, storeEnv = openDataDir(t, dir), []string{"MONGODB_URI=", "OKRBOT_DATA_DIR=" + dir}
	}
	seedPeople(t, st, n)
	fs := fakeslack.New(t, opts)
	return &rhythmEnv{st: st, slack: fs, env: []string{
		storeEnv[0], storeEnv[1],
		"SLACK_BOT_TOKEN=" + fs.Team("T0001").Token, "SLACK_API_URL=" + fs.APIURL,
		"OKRBOT_SLACK_LIMITS=chat.postMessage=2000:200,conversations.history=200:50,conversations.open=200:50",
	}}
}

// seedPeople stores objectives of ten key results each, owned by U0000…
func seedPeople(t testing.TB, st storage.Store, n int) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.EnsureWorkspace(ctx, domain.Workspace{ID: "slack:T0001", Platform: domain.Slack, ExternalID: "T0001", Settings: domain.DefaultSettings("UTC")}); err != nil {
		t.Fatal(err)
	}
	for o := 0; o*10 < n; o++ {
		obj := domain.Objective{WorkspaceID: "slack:T0001", Ref: fmt.Sprintf("O-%d", o+1), Title: fmt.Sprintf("Objective %d", o+1),
			Owner: fmt.Sprintf("U%04d", o*10), Cycle: "2026-Q4", Commitment: domain.Committed, Status: domain.Active}
		for k := o * 10; k < min(n, o*10+10); k++ {
			obj.KeyResults = append(obj.KeyResults, domain.KeyResult{Ref: fmt.Sprintf("KR-%d", k+1), Title: "Increase deals from 0 to 10",
				Kind: domain.Increase, Target: 10, Weight: 1, Owner: fmt.Sprintf("U%04d", k)})
		}
		if err := st.CreateObjective(ctx, &obj); err != nil {
			t.Fatal(err)
		}
	}
}

// jobsCmd is okrbot jobs run as a process.
func (e *rhythmEnv) jobsCmd(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"jobs", "run"}, args...)...)
	cmd.Env = append(os.Environ(), e.env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}

func (e *rhythmEnv) run(t *testing.T, args ...string) string {
	t.Helper()
	cmd, out := e.jobsCmd(t, args...)
	if err := cmd.Run(); err != nil {
		t.Fatalf("okrbot jobs run %v: %v\n%s", args, err, out)
	}
	return out.String()
}

// prompts counts the prompts each person got for a week.
func (e *rhythmEnv) prompts(week string) map[string]int {
	got := map[string]int{}
	for ch, msgs := range e.slack.AllMessages() {
		for _, m := range msgs {
			if m.Metadata != nil && strings.HasSuffix(fmt.Sprint(m.Metadata.EventPayload["outbox_id"]), "/checkin-prompt/"+week) {
				got[ch]++
			}
		}
	}
	return got
}

func exactlyOnce(t *testing.T, got map[string]int, n int) {
	t.Helper()
	twice := 0
	for _, c := range got {
		if c > 1 {
			twice++
		}
	}
	if len(got) != n || twice > 0 {
		t.Fatalf("%d of %d people prompted, %d more than once", len(got), n, twice)
	}
}

func TestPromptFanOutIsExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("fans out to 2,000 people")
	}
	n := 2000
	if v := os.Getenv("OKRBOT_TEST_FANOUT"); v != "" {
		fmt.Sscan(v, &n)
	}
	e := newRhythmEnv(t, n, fakeslack.Options{})
	start := time.Now()
	out := e.run(t, "checkin-prompts", "--at", friday1530)
	t.Logf("first run: %v\n%s", time.Since(start), out)
	if !strings.Contains(out, fmt.Sprintf("sent %d, skipped 0, failed 0", n)) {
		t.Fatalf("first run:\n%s", out)
	}
	exactlyOnce(t, e.prompts("2026-W47"), n)

	out = e.run(t, "checkin-prompts", "--at", friday1530)
	if !strings.Contains(out, "sent 0, skipped 0, failed 0") {
		t.Fatalf("second run:\n%s", out)
	}
	exactlyOnce(t, e.prompts("2026-W47"), n)

	// Three processes at once, the week after: still one prompt each.
	var wg sync.WaitGroup
	outs := make([]string, 3)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd, buf := e.jobsCmd(t, "checkin-prompts", "--at", "2026-11-27T15:30:00Z")
			if err := cmd.Run(); err != nil {
				t.Errorf("process %d: %v\n%s", i, err, buf)
			}
			outs[i] = buf.String()
		}()
	}
	wg.Wait()
	exactlyOnce(t, e.prompts("2026-W48"), n)
	total := 0
	for _, o := range outs {
		var sent int
		if i := strings.Index(o, "checkin-prompts: sent "); i >= 0 {
			fmt.Sscanf(o[i:], "checkin-prompts: sent %d", &sent)
		}
		total += sent
	}
	if total != n {
		t.Errorf("the three processes report %d sent, want %d:\n%s", total, n, strings.Join(outs, "\n"))
	}
}

func TestPromptsSurviveRateLimitsAndServerErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out Retry-After windows")
	}
	const n = 80
	e := newRhythmEnv(t, n, fakeslack.Options{Seed: 7, Fault429: 0.1, Fault500: 0.1, FaultMethods: []string{"chat.postMessage"}})
	out := e.run(t, "checkin-prompts", "--at", friday1530)
	if !strings.Contains(out, fmt.Sprintf("sent %d, skipped 0, failed 0", n)) {
		t.Fatalf("run:\n%s", out)
	}
	exactlyOnce(t, e.prompts("2026-W47"), n)
	calls := e.slack.Calls("chat.postMessage")
	var limited, failed int
	for _, c := range calls {
		switch c.Status {
		case 429:
			limited++
		case 500:
			failed++
		}
	}
	if limited == 0 || failed == 0 {
		t.Fatalf("the fault injection did not bite: %d 429s, %d 500s in %d calls", limited, failed, len(calls))
	}
	if v := e.slack.Violations(); len(v) > 0 {
		t.Fatalf("%d calls inside a Retry-After window, first %+v", len(v), v[0])
	}
	t.Logf("%d calls for %d prompts: %d answered 429, %d answered 500", len(calls), n, limited, failed)
}

func TestKilledFanOutIsCompletedWithoutDuplicates(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a process")
	}
	const n = 80
	e := newRhythmEnv(t, n, fakeslack.Options{})
	// Each post takes a while, so that several are in flight when the
	// process dies; Slack still delivers them.
	e.slack.Slow("chat.postMessage", 300*time.Millisecond)
	cmd, out := e.jobsCmd(t, "checkin-prompts", "--at", friday1530, "--lease", "2s", "--workers", "4")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(e.prompts("2026-W47")) < 20 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	time.Sleep(400 * time.Millisecond) // the posts in flight land
	before := len(e.prompts("2026-W47"))
	if before == 0 || before >= n {
		t.Fatalf("killed after %d of %d prompts:\n%s", before, n, out)
	}
	e.slack.Slow("chat.postMessage", 0)

	// A second process finishes the rest; it waits out the dead one's leases
	// and asks Slack whether the sends in flight arrived.
	rest := e.run(t, "checkin-prompts", "--at", friday1530, "--lease", "2s")
	exactlyOnce(t, e.prompts("2026-W47"), n)
	if len(e.slack.Calls("conversations.history")) == 0 {
		t.Errorf("the sends in flight were not checked with Slack:\n%s", rest)
	}
	lines := strings.Split(strings.TrimSpace(rest), "\n")
	t.Logf("killed after %d prompts; the second process: %s", before, lines[len(lines)-1])
}
