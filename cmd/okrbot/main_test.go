package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage/sqlite"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listenRE = regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)

// waitListening waits for the "listening" log line and returns the address.
func waitListening(t testing.TB, logs interface{ String() string }) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := listenRE.FindStringSubmatch(logs.String()); m != nil {
			return strings.Replace(m[1], "[::]", "127.0.0.1", 1)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("okrbot did not start listening; logs:\n%s", logs.String())
	return ""
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestServeWithNoConfiguration(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"okrbot"}, env(map[string]string{"OKRBOT_ADDR": "127.0.0.1:0", "OKRBOT_DATA_DIR": dir}), strings.NewReader(""), io.Discard, logs)
	}()
	addr := waitListening(t, logs)
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := get(t, "http://"+addr+path); code != 200 {
			t.Errorf("GET %s = %d %s", path, code, body)
		}
	}
	if code, body := get(t, "http://"+addr+"/metrics"); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Errorf("GET /metrics = %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "okrbot.db")); err != nil {
		t.Errorf("the embedded store's files are not in the data directory: %v", err)
	}
	if !strings.Contains(logs.String(), "set MONGODB_URI to use MongoDB instead") {
		t.Errorf("no log line about the embedded store:\n%s", logs)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %s", line)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return within 5s of cancellation")
	}
}

func TestHelpAndEachCommandsOwnFlags(t *testing.T) {
	for _, args := range [][]string{{"okrbot", "--help"}, {"okrbot", "-h"}, {"okrbot", "help"}} {
		var out bytes.Buffer
		err := run(context.Background(), args, env(nil), nil, &out, io.Discard)
		if err != nil || exitCode(err) != 0 {
			t.Errorf("%v: %v (exit %d)", args, err, exitCode(err))
		}
		for _, want := range []string{"okrbot [serve]", "okrbot console", "okrbot jobs run", "okrbot teams-package", "okrbot version"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v does not list %q:\n%s", args, want, out.String())
			}
		}
	}
	flags := func(args ...string) string {
		var errOut bytes.Buffer
		err := run(context.Background(), append([]string{"okrbot"}, args...), env(nil), nil, io.Discard, &errOut)
		if exitCode(err) != 0 {
			t.Errorf("%v: exit %d (%v)", args, exitCode(err), err)
		}
		return errOut.String()
	}
	console := flags("console", "-h")
	for _, want := range []string{"-user", "-workspace", "-data-dir", "-mongodb-uri", "-timezone"} {
		if !strings.Contains(console, want) {
			t.Errorf("console -h lacks %s:\n%s", want, console)
		}
	}
	for _, not := range []string{"-addr", "-slack-signing-secret", "-microsoft-app-id", "-slack-limits", "-encryption-key"} {
		if strings.Contains(console, not+" ") {
			t.Errorf("console -h lists %s, which it does not use:\n%s", not, console)
		}
	}
	if jobs := flags("jobs", "run", "-h"); strings.Contains(jobs, "-addr ") || !strings.Contains(jobs, "-slack-bot-token") {
		t.Errorf("jobs run -h:\n%s", jobs)
	}
	if serve := flags("serve", "-h"); !strings.Contains(serve, "-addr") {
		t.Errorf("serve -h:\n%s", serve)
	}
	err := run(context.Background(), []string{"okrbot", "consle"}, env(nil), nil, io.Discard, io.Discard)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), `did you mean "console"`) {
		t.Errorf("mistyped command: %v", err)
	}
}

func TestBadConfigurationIsAUsageError(t *testing.T) {
	for name, e := range map[string]map[string]string{
		"time zone":      {"OKRBOT_TIMEZONE": "Mars/Olympus"},
		"encryption key": {"OKRBOT_ENCRYPTION_KEY": "c2hvcnQ="},
	} {
		err := run(context.Background(), []string{"okrbot", "serve"}, env(e), nil, io.Discard, io.Discard)
		if err == nil || exitCode(err) != 2 || strings.Contains(err.Error(), "c2hvcnQ") {
			t.Errorf("%s: err = %v (exit %d)", name, err, exitCode(err))
		}
	}
	if err := run(context.Background(), []string{"okrbot", "frobnicate"}, env(nil), nil, io.Discard, io.Discard); exitCode(err) != 2 {
		t.Errorf("unknown command: %v", err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"okrbot", "version"}, env(nil), nil, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "okrbot ") {
		t.Errorf("version: %q %v", out.String(), err)
	}
}

// buildBinary builds okrbot once for the tests that run it as a process.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "okrbot-bin")
	if err != nil {
		return "", err
	}
	// Built as the Dockerfile builds it: the processes tested are the
	// binary the image ships.
	bin := filepath.Join(dir, "okrbot")
	if err := buildLikeDockerfile(bin); err != nil {
		return "", err
	}
	return bin, nil
})

type buildError struct{ out string }

func (b *buildError) Error() string { return "go build: " + b.out }

// startProcess runs the built okrbot with a data directory and returns its
// address and the command.
func startProcess(t testing.TB, dataDir string, env ...string) (string, *exec.Cmd, *syncBuffer) {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(append(os.Environ(), "OKRBOT_ADDR=127.0.0.1:0", "OKRBOT_DATA_DIR="+dataDir, "MONGODB_URI="), env...)
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return waitListening(t, logs), cmd, logs
}

func TestProcessStopsOnSIGTERMAndKeepsData(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	addr, cmd, logs := startProcess(t, dir)
	if code, _ := get(t, "http://"+addr+"/readyz"); code != 200 {
		t.Fatalf("readyz = %d", code)
	}

	// Store something beside the running process, in the same file.
	ctx := context.Background()
	st := openDataDir(t, dir)
	if _, err := st.EnsureWorkspace(ctx, domain.Workspace{ID: "slack:T1", Platform: domain.Slack, ExternalID: "T1", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	st.Close(ctx)

	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("stopping took %v", took)
	}
	if err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs)
	}

	// Restarted, the process serves what was stored before.
	addr, cmd, _ = startProcess(t, dir)
	if code, _ := get(t, "http://"+addr+"/readyz"); code != 200 {
		t.Fatalf("readyz after restart = %d", code)
	}
	st = openDataDir(t, dir)
	w, err := st.Workspace(ctx, "slack:T1")
	st.Close(ctx)
	if err != nil || w.Name != "Acme" {
		t.Fatalf("after restart: %+v, %v", w, err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

// TestREADMEConfigurationTable keeps the README's table in step with the code.
func TestREADMEConfigurationTable(t *testing.T) {
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := regexp.MustCompile("^\\| `([A-Z_]+)`").FindStringSubmatch(sc.Text()); m != nil {
			rows[m[1]] = sc.Text()
		}
	}
	for _, s := range settings {
		row, ok := rows[s.env]
		if !ok {
			t.Errorf("README has no row for %s", s.env)
			continue
		}
		if s.def != "" && !strings.Contains(row, "`"+s.def+"`") {
			t.Errorf("README row for %s does not give the default %q: %s", s.env, s.def, row)
		}
		if !strings.Contains(row, "`--"+s.flag+"`") {
			t.Errorf("README row for %s does not name the flag --%s", s.env, s.flag)
		}
	}
}

// TestEverySubcommandsHelp: "okrbot <command> -h" exits 0 and lists
// exactly that command's flags (export and backup do not list serve's
// Slack and Teams settings), under a usage line of its own; "jobs -h" is
// "jobs run -h"; "version -h" says what version does.
func TestEverySubcommandsHelp(t *testing.T) {
	names := func(extra ...string) []string { return append(append([]string(nil), extra...), storeFlags...) }
	var all []string
	for _, s := range settings {
		all = append(all, s.flag)
	}
	jobs := append(jobFlags(), "at", "lease", "max-wait", "workers")
	for _, c := range []struct {
		args  []string
		usage string
		flags []string
	}{
		{[]string{"serve", "-h"}, "Usage: okrbot [serve]", all},
		{[]string{"console", "-h"}, "Usage: okrbot console", names("platform", "workspace", "create", "user", "as", "channel", "admin", "tz")},
		{[]string{"jobs", "-h"}, "Usage: okrbot jobs run", jobs},
		{[]string{"jobs", "--help"}, "Usage: okrbot jobs run", jobs},
		{[]string{"jobs", "run", "-h"}, "Usage: okrbot jobs run", jobs},
		{[]string{"teams-package", "-h"}, "Usage: okrbot teams-package", []string{"out", "microsoft-app-id", "app-version"}},
		{[]string{"export", "-h"}, "Usage: okrbot export", []string{"cycle", "workspace", "out", "mongodb-uri", "mongodb-database", "data-dir"}},
		{[]string{"import", "-h"}, "Usage: okrbot import", names("workspace", "dry-run", "skip-bad-rows")},
		{[]string{"token", "-h"}, "okrbot token create", names("workspace")},
		{[]string{"backup", "-h"}, "Usage: okrbot backup", []string{"data-dir"}},
		{[]string{"version", "-h"}, "Usage: okrbot version", nil},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"okrbot"}, c.args...), env(nil), nil, &out, &errOut)
		if exitCode(err) != 0 {
			t.Errorf("%v: exit %d (%v)", c.args, exitCode(err), err)
		}
		text := out.String() + errOut.String()
		if !strings.Contains(text, c.usage) {
			t.Errorf("%v has no %q:\n%s", c.args, c.usage, text)
		}
		var got []string
		for _, l := range strings.Split(text, "\n") {
			if f, ok := strings.CutPrefix(l, "  -"); ok && f != "" && f[0] != ' ' {
				got = append(got, strings.Fields(f)[0])
			}
		}
		want := append([]string(nil), c.flags...)
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%v lists flags\n  %v\nwant\n  %v", c.args, got, want)
		}
	}
	for _, bad := range [][]string{{"jobs"}, {"jobs", "walk"}, {"version", "extra"}} {
		err := run(context.Background(), append([]string{"okrbot"}, bad...), env(nil), nil, io.Discard, io.Discard)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), "example: okrbot") {
			t.Errorf("%v: %v (exit %d)", bad, err, exitCode(err))
		}
	}
}

func TestSecretsNeverReachTheUsageText(t *testing.T) {
	secrets := map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-very-secret", "SLACK_SIGNING_SECRET": "signing-secret-123", "SLACK_CLIENT_SECRET": "client-secret-456",
		"MONGODB_URI": "mongodb://user:hunter2@db/", "OKRBOT_ENCRYPTION_KEY": "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U=",
		"MICROSOFT_APP_PASSWORD": "ms-password-789", "SLACK_APP_TOKEN": "xapp-secret",
	}
	for _, args := range [][]string{{"okrbot", "serve", "--bogus"}, {"okrbot", "serve", "-h"}, {"okrbot", "console", "--nope"}, {"okrbot", "jobs", "run", "reminders", "--nope"}} {
		var out bytes.Buffer
		run(context.Background(), args, env(secrets), strings.NewReader(""), &out, &out)
		for name, v := range secrets {
			if strings.Contains(out.String(), v) {
				t.Errorf("%v prints %s", args[1:], name)
			}
		}
	}
	// They still come from the environment.
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	c := bindConfig(fs, env(secrets))
	fs.Parse([]string{"--slack-client-secret", "from-flag"})
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	if c.SlackBotToken != "xoxb-very-secret" || c.MongoURI != "mongodb://user:hunter2@db/" || c.SlackClientSecret != "from-flag" {
		t.Errorf("config %+v", c)
	}
}

// openDataDir opens the embedded store of a data directory, as another
// okrbot process on it would; it is closed at the end of the test.
func openDataDir(t testing.TB, dir string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	return st
}
