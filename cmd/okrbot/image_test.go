package main

import (
	"bufio"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// repoRoot is the repository's root, seen from this package's directory
// (where go test runs).
const repoRoot = "../.."

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, …
	args string
	line int
}

// dockerfile is the repository's Dockerfile, read into its stages.
type dockerfile struct {
	globalArgs map[string]string
	stages     [][]instruction // each starts with its FROM
}

// readDockerfile parses the Dockerfile far enough for the tests: comments,
// line continuations, instructions and stages.
func readDockerfile(path string) (*dockerfile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d := &dockerfile{globalArgs: map[string]string{}}
	var cur strings.Builder
	start, n := 0, 0
	flush := func() error {
		text := strings.TrimSpace(cur.String())
		cur.Reset()
		if text == "" {
			return nil
		}
		cmd, args, _ := strings.Cut(text, " ")
		in := instruction{strings.ToUpper(cmd), strings.TrimSpace(args), start}
		switch {
		case in.cmd == "FROM":
			d.stages = append(d.stages, []instruction{in})
		case len(d.stages) == 0 && in.cmd == "ARG":
			k, v, _ := strings.Cut(in.args, "=")
			d.globalArgs[k] = v
		case len(d.stages) == 0:
			return fmt.Errorf("Dockerfile:%d: %s before the first FROM", in.line, in.cmd)
		default:
			d.stages[len(d.stages)-1] = append(d.stages[len(d.stages)-1], in)
		}
		return nil
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue // comments (and the syntax directive), also inside continuations
		}
		if cur.Len() == 0 {
			if trimmed == "" {
				continue
			}
			start = n
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
			continue
		}
		cur.WriteString(trimmed)
		if err := flush(); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(d.stages) < 2 {
		return nil, fmt.Errorf("Dockerfile: %d stages, want a build stage and a final one", len(d.stages))
	}
	return d, nil
}

// final is the last stage: the image.
func (d *dockerfile) final() []instruction { return d.stages[len(d.stages)-1] }

// all returns the arguments of every instruction cmd of a stage.
func all(stage []instruction, cmd string) []string {
	var out []string
	for _, in := range stage {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

// env returns a stage's ENV settings (KEY=value forms).
func (d *dockerfile) env(stage []instruction) map[string]string {
	out := map[string]string{}
	for _, a := range all(stage, "ENV") {
		for _, kv := range strings.Fields(a) {
			k, v, _ := strings.Cut(kv, "=")
			out[k] = v
		}
	}
	return out
}

// buildCommand is the Dockerfile's `go build` RUN: its environment and
// arguments, in the build stage, with the ARGs declared there.
type buildCommand struct {
	env          []string // KEY=value, as written (with ${ARG} references)
	args         []string // after "go"
	argsDeclared map[string]bool
}

// goBuild finds the RUN of the build stage that runs go build. The command
// must be one simple command (no &&, ;, | or $(…)), so that what the test
// runs is exactly what docker runs.
func (d *dockerfile) goBuild() (*buildCommand, error) {
	for _, stage := range d.stages[:len(d.stages)-1] {
		declared := map[string]bool{}
		for _, in := range stage {
			if in.cmd == "ARG" {
				k, _, _ := strings.Cut(in.args, "=")
				declared[k] = true
			}
			if in.cmd != "RUN" || !strings.Contains(in.args, "go build") {
				continue
			}
			words, err := shellWords(in.args)
			if err != nil {
				return nil, fmt.Errorf("Dockerfile:%d: %v", in.line, err)
			}
			for len(words) > 0 && strings.HasPrefix(words[0], "--mount=") {
				words = words[1:]
			}
			b := &buildCommand{argsDeclared: declared}
			for len(words) > 0 && regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`).MatchString(words[0]) {
				b.env, words = append(b.env, words[0]), words[1:]
			}
			if len(words) < 2 || words[0] != "go" || words[1] != "build" {
				return nil, fmt.Errorf("Dockerfile:%d: the build RUN is not one go build command: %q", in.line, in.args)
			}
			b.args = words[1:]
			return b, nil
		}
	}
	return nil, fmt.Errorf("Dockerfile: no RUN with go build in a build stage")
}

// shellWords splits a simple shell command into words: blanks separate,
// single and double quotes group; anything that would make it more than
// one simple command is refused.
func shellWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				w.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words, inWord = append(words, w.String()), false
				w.Reset()
			}
		case strings.ContainsRune(";&|<>`\\", r):
			return nil, fmt.Errorf("%q is not one simple command (%q)", s, r)
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unbalanced quote in %q", s)
	}
	if inWord {
		words = append(words, w.String())
	}
	for _, w := range words {
		if strings.Contains(w, "$(") {
			return nil, fmt.Errorf("%q: command substitution", w)
		}
	}
	return words, nil
}

// expand replaces ${NAME} and $NAME with vars[NAME]; an unknown name is an error.
func expand(s string, vars map[string]string) (string, error) {
	var missing []string
	out := os.Expand(s, func(k string) string {
		v, ok := vars[k]
		if !ok {
			missing = append(missing, k)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("%q uses %v, which the test does not know", s, missing)
	}
	return out, nil
}

// testVersion is the version the tests stamp into the binary they build.
const testVersion = "v0.0.0-image-test"

// buildLikeDockerfile builds okrbot into out with the Dockerfile's own
// build command: its environment (CGO_ENABLED=0, …) and its flags, with
// VERSION set to testVersion and the target platform this machine's.
func buildLikeDockerfile(out string) error {
	d, err := readDockerfile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		return err
	}
	b, err := d.goBuild()
	if err != nil {
		return err
	}
	vars := map[string]string{"VERSION": testVersion, "TARGETOS": runtime.GOOS, "TARGETARCH": runtime.GOARCH}
	cmd := exec.Command("go")
	cmd.Dir = repoRoot // the Dockerfile's WORKDIR holds the whole repository
	cmd.Env = os.Environ()
	for _, kv := range b.env {
		if kv, err = expand(kv, vars); err != nil {
			return err
		}
		cmd.Env = append(cmd.Env, kv)
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	for i := 0; i < len(b.args); i++ {
		a, err := expand(b.args[i], vars)
		if err != nil {
			return err
		}
		if a == "-o" && i+1 < len(b.args) {
			cmd.Args = append(cmd.Args, "-o", abs)
			i++
			continue
		}
		cmd.Args = append(cmd.Args, a)
	}
	if o, err := cmd.CombinedOutput(); err != nil {
		return &buildError{fmt.Sprintf("%v: %v\n%s", cmd.Args, err, o)}
	}
	return nil
}

// imageUID is the user the image runs as (USER uid[:gid]).
func imageUID(t *testing.T, d *dockerfile) int {
	t.Helper()
	users := all(d.final(), "USER")
	if len(users) != 1 {
		t.Fatalf("final stage USER: %q, want one numeric USER", users)
	}
	uid, _, _ := strings.Cut(users[0], ":")
	n, err := strconv.Atoi(uid)
	if err != nil || n == 0 {
		t.Fatalf("USER %q: want a numeric non-root uid (Kubernetes' runAsNonRoot checks numbers)", users[0])
	}
	return n
}

// TestDockerfile checks what docker would build without docker: the build
// command, the base, the user, the data volume, the port, and the binary
// the same command makes here.
func TestDockerfile(t *testing.T) {
	d, err := readDockerfile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	// The build stage uses the Go that go.mod names.
	gomod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	if goVersion == nil || d.globalArgs["GO_VERSION"] != string(goVersion[1]) {
		t.Errorf("ARG GO_VERSION=%s, go.mod says go %s", d.globalArgs["GO_VERSION"], goVersion[1])
	}
	if from := d.stages[0][0].args; !strings.Contains(from, "golang:${GO_VERSION}") {
		t.Errorf("build stage FROM %s, want golang:${GO_VERSION}", from)
	}

	b, err := d.goBuild()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(b.env, "CGO_ENABLED=0") {
		t.Errorf("go build runs with %v, want CGO_ENABLED=0 (a static binary)", b.env)
	}
	for _, want := range []string{"-trimpath", "./cmd/okrbot"} {
		if !slices.Contains(b.args, want) {
			t.Errorf("go build %v lacks %s", b.args, want)
		}
	}
	if i := slices.Index(b.args, "-ldflags"); i < 0 || i+1 >= len(b.args) || !strings.Contains(b.args[i+1], "-X main.version=${VERSION}") {
		t.Errorf("go build %v does not stamp -X main.version=${VERSION}", b.args)
	}
	if !b.argsDeclared["VERSION"] {
		t.Error("the build stage does not declare ARG VERSION")
	}

	final := d.final()
	if from := final[0].args; !strings.HasPrefix(from, "gcr.io/distroless/static") {
		t.Errorf("final stage FROM %s, want distroless static", from)
	}
	uid := imageUID(t, d)
	env := d.env(final)
	if env["OKRBOT_DATA_DIR"] != "/data" {
		t.Errorf("ENV OKRBOT_DATA_DIR=%q, want /data", env["OKRBOT_DATA_DIR"])
	}
	known := map[string]bool{}
	for _, s := range settings {
		known[s.env] = true
	}
	for k := range env {
		if !known[k] {
			t.Errorf("ENV %s is not a setting okrbot reads", k)
		}
	}
	if v := all(final, "VOLUME"); len(v) != 1 || v[0] != env["OKRBOT_DATA_DIR"] {
		t.Errorf("VOLUME %q, want the data directory %s", v, env["OKRBOT_DATA_DIR"])
	}
	if want := fmt.Sprintf("--chown=%d:", uid); !slices.ContainsFunc(all(final, "COPY"), func(c string) bool {
		return strings.Contains(c, want) && strings.HasSuffix(c, " "+env["OKRBOT_DATA_DIR"])
	}) {
		t.Errorf("no COPY %s… %s: the data directory must belong to the image's user", want, env["OKRBOT_DATA_DIR"])
	}
	_, port, _ := net.SplitHostPort(settingDefault("OKRBOT_ADDR"))
	if e := all(final, "EXPOSE"); len(e) != 1 || e[0] != port {
		t.Errorf("EXPOSE %q, want okrbot's default port %s", e, port)
	}
	if h := all(final, "HEALTHCHECK"); len(h) != 0 {
		t.Errorf("HEALTHCHECK %q: the image has none (Kubernetes probes /healthz and /readyz)", h)
	}
	var entry, cmd []string
	if e := all(final, "ENTRYPOINT"); len(e) != 1 || json.Unmarshal([]byte(e[0]), &entry) != nil || len(entry) != 1 {
		t.Errorf("ENTRYPOINT %q, want the binary in exec form", e)
	}
	if c := all(final, "CMD"); len(c) != 1 || json.Unmarshal([]byte(c[0]), &cmd) != nil || !slices.Equal(cmd, []string{"serve"}) {
		t.Errorf("CMD %q, want [\"serve\"]", c)
	}
	copied := false
	for _, c := range all(final, "COPY") {
		if len(entry) == 1 && strings.HasSuffix(c, " "+entry[0]) && strings.Contains(c, "--from=") {
			copied = true
		}
	}
	if !copied {
		t.Errorf("ENTRYPOINT %v is not the binary copied from the build stage", entry)
	}

	dockerignore, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".git", "data"} {
		if !slices.Contains(strings.Fields(string(dockerignore)), want) {
			t.Errorf(".dockerignore does not leave out %s", want)
		}
	}

	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	checkStatic(t, bin)
	runLikeTheImage(t, bin, uid)
}

// settingDefault is a setting's built-in default.
func settingDefault(env string) string {
	for _, s := range settings {
		if s.env == env {
			return s.def
		}
	}
	return ""
}

// checkStatic: no dynamic loader, no shared libraries, built without cgo,
// with the time zones inside.
func checkStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary has a %v program header: it is not static", p.Type)
		}
	}
	if f.Section(".dynamic") != nil || f.Section(".interp") != nil {
		t.Error("the binary has a .dynamic or .interp section: it is not static")
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs %v", libs)
	}
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range bi.Settings {
		got[s.Key] = s.Value
	}
	if got["CGO_ENABLED"] != "0" || got["-trimpath"] != "true" || !strings.Contains(got["-tags"], "timetzdata") {
		t.Errorf("build settings %v, want CGO_ENABLED=0, -trimpath and the timetzdata tag", got)
	}
}

// runLikeTheImage runs the binary as the image does: as uid (when the test
// may switch users), with nothing but its own environment, from a
// read-only working directory, its data directory elsewhere, and a
// separate temporary directory. It must say its version and serve
// /healthz and /readyz; afterwards nothing may be left in the temporary
// directory.
func runLikeTheImage(t *testing.T, bin string, uid int) {
	t.Helper()
	root, err := os.MkdirTemp("", "okrbot-image")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	// rootfs stands for the read-only root filesystem: okrbot's working
	// directory, where it must not need to write.
	for name, mode := range map[string]os.FileMode{"": 0o755, "bin": 0o755, "rootfs": 0o555, "data": 0o700, "tmp": 0o700} {
		p := filepath.Join(root, name)
		if name != "" {
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	asImage := os.Geteuid() == 0
	if asImage {
		for _, d := range []string{"data", "tmp"} {
			if err := os.Chown(filepath.Join(root, d), uid, uid); err != nil {
				t.Fatal(err)
			}
		}
	} else {
		t.Logf("not root: running as uid %d rather than the image's %d", os.Geteuid(), uid)
	}
	exe := filepath.Join(root, "bin", "okrbot")
	if err := copyFile(bin, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := func(args ...string) *exec.Cmd {
		c := exec.Command(exe, args...)
		c.Dir = filepath.Join(root, "rootfs")
		c.Env = []string{
			"OKRBOT_ADDR=127.0.0.1:0",
			"OKRBOT_DATA_DIR=" + filepath.Join(root, "data"),
			"OKRBOT_TIMEZONE=Europe/Paris",
			"TMPDIR=" + filepath.Join(root, "tmp"),
		}
		if asImage {
			c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
		}
		return c
	}

	out, err := cmd("version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "okrbot "+testVersion {
		t.Errorf("okrbot version: %q %v, want %q (stamped by -ldflags)", out, err, "okrbot "+testVersion)
	}

	serve := cmd("serve")
	logs := &syncBuffer{}
	serve.Stdout, serve.Stderr = io.Discard, logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { serve.Process.Kill(); serve.Wait() })
	addr := waitListening(t, logs)
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := get(t, "http://"+addr+path); code != 200 {
			t.Errorf("GET %s = %d %q\n%s", path, code, body, logs)
		}
	}
	serve.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- serve.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, logs)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("still running 10 s after SIGTERM\n%s", logs)
	}
	// What the store wrote belongs to the image's user: the process ran as it.
	if asImage {
		files, _ := os.ReadDir(filepath.Join(root, "data"))
		if len(files) == 0 {
			t.Error("the data directory is empty")
		}
		for _, f := range files {
			if fi, err := f.Info(); err == nil {
				if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != uid {
					t.Errorf("%s belongs to uid %d, not the image's %d", f.Name(), st.Uid, uid)
				}
			}
		}
	}
	if left, _ := os.ReadDir(filepath.Join(root, "tmp")); len(left) > 0 {
		t.Errorf("okrbot left %d files in its temporary directory (%s…)", len(left), left[0].Name())
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("errors logged:\n%s", logs)
	}
}

func copyFile(from, to string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
