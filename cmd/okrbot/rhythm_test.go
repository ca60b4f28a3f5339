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
	"github.com/okrbot/okrbot/outbox"
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

func newRhythmEnv(t testing.TB, n int, opts fakeslack.Options) *rhythmEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("runs okrbot as processes")
	}
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

// seedPeople stores objectives of ten key results each, owned by U0000…,
// in the fake Slack's workspace T0001.
func seedPeople(t testing.TB, st storage.Store, n int) {
	t.Helper()
	seedCompany(t, st, n, "slack:T0001", "T0001")
}

// seedCompany stores a workspace with n people, U0000…, each owning a key
// result of an active objective of 2026-Q4 (ten to an objective).
func seedCompany(t testing.TB, st storage.Store, n int, ws, external string) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.EnsureWorkspace(ctx, domain.Workspace{ID: ws, Platform: domain.Slack, ExternalID: external, Settings: domain.DefaultSettings("UTC")}); err != nil {
		t.Fatal(err)
	}
	for o := 0; o*10 < n; o++ {
		obj := domain.Objective{WorkspaceID: ws, Ref: fmt.Sprintf("O-%d", o+1), Title: fmt.Sprintf("Objective %d", o+1),
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
func (e *rhythmEnv) jobsCmd(t testing.TB, args ...string) (*exec.Cmd, *bytes.Buffer) {
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

func (e *rhythmEnv) run(t testing.TB, args ...string) string {
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

func exactlyOnce(t testing.TB, got map[string]int, n int) {
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

// reported returns how many a run's report says it sent itself.
func reported(out string) int {
	var n int
	if i := strings.Index(out, " by this run)"); i >= 0 {
		j := strings.LastIndex(out[:i], "(")
		fmt.Sscan(out[j+1:i], &n)
	}
	return n
}

func TestPromptFanOutIsExactlyOnce(t *testing.T) {
	t.Parallel()
	n := 200
	if v := os.Getenv("OKRBOT_TEST_FANOUT"); v != "" {
		fmt.Sscan(v, &n)
	}
	e := newRhythmEnv(t, n, fakeslack.Options{})
	start := time.Now()
	out := e.run(t, "checkin-prompts", "--at", friday1530)
	t.Logf("first run: %v\n%s", time.Since(start), out)
	if !strings.Contains(out, fmt.Sprintf("%d sent (%d by this run), 0 skipped, 0 still failing", n, n)) {
		t.Fatalf("first run:\n%s", out)
	}
	exactlyOnce(t, e.prompts("2026-W47"), n)

	out = e.run(t, "checkin-prompts", "--at", friday1530)
	if !strings.Contains(out, fmt.Sprintf("%d sent (0 by this run), 0 skipped, 0 still failing", n)) {
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
		total += reported(o)
	}
	if total != n {
		t.Errorf("the three processes report %d sent, want %d:\n%s", total, n, strings.Join(outs, "\n"))
	}
}

// With a fifth of the calls answered 429 or 500 and the process killed in
// the middle of its fan-out, a second run completes it: every prompt
// arrives exactly once, and no call is made inside a Retry-After window.
func TestFaultsAndAKillStillDeliverEveryPromptOnce(t *testing.T) {
	t.Parallel()
	const n = 40
	e := newRhythmEnv(t, n, fakeslack.Options{Seed: 7, Fault429: 0.1, Fault500: 0.1, FaultMethods: []string{"chat.postMessage"}})
	// Each post takes a while, so that several are in flight when the
	// process dies; Slack still delivers them.
	e.slack.Slow("chat.postMessage", 100*time.Millisecond)
	cmd, out := e.jobsCmd(t, "checkin-prompts", "--at", friday1530, "--lease", "2s", "--workers", "4")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(e.prompts("2026-W47")) < 10 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	killed := time.Now()
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	time.Sleep(200 * time.Millisecond) // the posts in flight land
	before := len(e.prompts("2026-W47"))
	if before == 0 || before >= n {
		t.Fatalf("killed after %d of %d prompts:\n%s", before, n, out)
	}
	e.slack.Slow("chat.postMessage", 0)

	// A second process finishes the rest; it waits out the dead one's leases
	// and asks Slack whether the sends in flight arrived.
	rest := e.run(t, "checkin-prompts", "--at", friday1530, "--lease", "2s")
	exactlyOnce(t, e.prompts("2026-W47"), n)
	if !strings.Contains(rest, fmt.Sprintf("%d sent (", n)) || !strings.Contains(rest, "0 still failing") {
		t.Errorf("the second run:\n%s", rest)
	}
	if len(e.slack.Calls("conversations.history")) == 0 {
		t.Errorf("the sends in flight were not checked with Slack:\n%s", rest)
	}
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
	// A window Slack opened in the very moment the process died may not
	// have reached the store: the next process cannot know of it.
	for _, v := range e.slack.Violations() {
		if opened := v.Until.Add(-time.Second); opened.Before(killed.Add(-100*time.Millisecond)) || opened.After(killed) {
			t.Errorf("a call inside a Retry-After window: %+v (the process was killed at %s)", v, killed.Format("15:04:05.000"))
		}
	}
	lines := strings.Split(strings.TrimSpace(rest), "\n")
	t.Logf("killed after %d prompts; %d calls in all, %d answered 429, %d answered 500; the second process: %s",
		before, len(calls), limited, failed, lines[len(lines)-1])
}

// A run reports every delivery of its period, not only those it touched:
// deliveries still failing from before (retried later) make it exit
// non-zero (issue 14, item 8).
func TestJobsRunReportsDeliveriesStillFailing(t *testing.T) {
	t.Parallel()
	const n = 25
	e := newRhythmEnv(t, n, fakeslack.Options{})
	ctx := context.Background()
	var es []domain.OutboxEntry
	for i := range n {
		u := fmt.Sprintf("U%04d", i)
		es = append(es, domain.OutboxEntry{ID: domain.OutboxID("slack:T0001", u, domain.KindCheckInPrompt, "2026-W47"), WorkspaceID: "slack:T0001",
			Recipient: u, Direct: true, Kind: domain.KindCheckInPrompt, Period: "2026-W47"})
	}
	if _, err := outbox.New(e.st, outbox.Options{}).Enqueue(ctx, es); err != nil {
		t.Fatal(err)
	}
	// 24 of them failed earlier and are due for a retry in an hour.
	due, _ := e.st.Due(ctx, domain.OutboxQuery{}, time.Now().Add(time.Second), 100)
	for _, d := range due {
		if d.Recipient == "U0000" {
			continue
		}
		c, won, err := e.st.Claim(ctx, d, "earlier", time.Now().Add(time.Minute))
		if err != nil || !won {
			t.Fatal(won, err)
		}
		c.State, c.NextAt, c.LastError = domain.OutboxFailed, time.Now().Add(time.Hour), "send failed: slack server error"
		if ok, err := e.st.Finish(ctx, c); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	cmd, out := e.jobsCmd(t, "checkin-prompts", "--at", friday1530, "--max-wait", "1s")
	err := cmd.Run()
	if err == nil {
		t.Fatalf("okrbot jobs run exited 0 with 24 deliveries still failing:\n%s", out)
	}
	if !strings.Contains(out.String(), "1 sent (1 by this run), 0 skipped, 24 still failing") {
		t.Errorf("the report does not say 24 are still failing:\n%s", out)
	}
}

// --at drives every date of what is composed: the digest of a run at
// Monday 1 March 2027 speaks of 2027-Q1 and its week 9, whatever the clock says
// (issue 14, item 9).
func TestJobsRunAtDrivesTheDigestsDates(t *testing.T) {
	t.Parallel()
	e := newRhythmEnv(t, 3, fakeslack.Options{})
	ctx := context.Background()
	if err := e.st.Subscribe(ctx, domain.Subscription{WorkspaceID: "slack:T0001", Channel: "C0OKRS", Company: true, By: "U0000", At: time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	obj := domain.Objective{WorkspaceID: "slack:T0001", Ref: "O-900", Title: "Win 2027", Owner: "U0000", Cycle: "2027-Q1",
		Commitment: domain.Committed, Status: domain.Active, KeyResults: []domain.KeyResult{{Ref: "KR-900", Title: "Increase deals from 0 to 10",
			Kind: domain.Increase, Target: 10, Weight: 1, Owner: "U0000"}}}
	if err := e.st.CreateObjective(ctx, &obj); err != nil {
		t.Fatal(err)
	}
	out := e.run(t, "digests", "--at", "2027-03-01T09:30:00Z")
	ms := e.slack.Messages("C0OKRS")
	if len(ms) == 0 {
		t.Fatalf("no digest posted:\n%s", out)
	}
	if !strings.Contains(ms[0].Text, "2027-Q1 · week 9") || !strings.Contains(string(ms[0].Blocks), "2027-Q1") {
		t.Errorf("the digest of a run --at 2027-03-01 says:\n%s\n%s", ms[0].Text, ms[0].Blocks)
	}
	if id := fmt.Sprint(ms[0].Metadata.EventPayload["outbox_id"]); !strings.HasSuffix(id, "/digest/2027-W08") {
		t.Errorf("recorded as %s", id)
	}
}
