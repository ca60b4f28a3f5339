// Command cmdbench measures okrbot's Slack slash commands the way issue 9
// asks: a seeded company (internal/seed: 1,000 people, 1,000 objectives,
// 4,000 key results, 13 weeks of check-ins by default) in the embedded
// store, an `okrbot serve` process as operators run it, against the local
// fake Slack (internal/fakeslack) for its Web API calls, and the same load
// generator (bench/slackload: signed requests, fixed concurrency) sent to
// okrbot's /slack/commands and then to a Bolt for JavaScript hello-world
// (bench/bolt), one after the other, run after run.
//
//	cd bench/bolt && npm ci && cd ../..      # once, for the Bolt reference
//	go run ./bench/cmdbench                   # 3 runs of /okr help and /okr list mine
//	go run ./bench/cmdbench -people 10000 -commands 'list mine'
//
// For each run it prints okrbot's idle RSS (after -idle with no traffic),
// then per command the throughput, p50, p99 and maximum latency, the CPU
// okrbot spent per request and its RSS after the load, and Bolt's figures
// measured the same way; at the end, the range over the runs.
// docs/benchmarks.md has the figures and how they were taken.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/okrbot/okrbot/internal/fakeslack"
	"github.com/okrbot/okrbot/internal/seed"
	"github.com/okrbot/okrbot/internal/seed/seedfile"
)

const (
	secret    = "bench-signing-secret"
	team      = "T0001"
	workspace = "slack:T0001"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "cmdbench:", err)
		os.Exit(1)
	}
}

type config struct {
	people, runs    int
	concurrency, n  int
	warmup, users   int
	commands        []string
	bolt            string
	idle            time.Duration
	keep            bool
	okrbotBin, load string
}

func run(ctx context.Context, args []string, out, logw io.Writer) error {
	fs := flag.NewFlagSet("cmdbench", flag.ContinueOnError)
	var c config
	var commands string
	fs.IntVar(&c.people, "people", 1000, "size of the seeded company (one objective and 4 key results a person, 13 weeks of check-ins)")
	fs.IntVar(&c.runs, "runs", 3, "runs (each: okrbot, then Bolt)")
	fs.IntVar(&c.concurrency, "c", 16, "requests in flight at once")
	fs.IntVar(&c.n, "n", 5000, "requests measured per command and run")
	fs.IntVar(&c.warmup, "warmup", 500, "requests sent first and not measured")
	fs.IntVar(&c.users, "users", 200, "people of the company the requests come from, in turn")
	fs.StringVar(&commands, "commands", "help,list mine", "the /okr commands to measure, comma-separated")
	fs.StringVar(&c.bolt, "bolt", "bench/bolt", "directory of the Bolt app (npm ci first); empty: no Bolt")
	fs.DurationVar(&c.idle, "idle", 10*time.Second, "how long okrbot serve idles before its RSS is read")
	fs.BoolVar(&c.keep, "keep", false, "keep okrbot's logs and data directories")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, cmd := range strings.Split(commands, ",") {
		if cmd = strings.TrimSpace(cmd); cmd != "" {
			c.commands = append(c.commands, cmd)
		}
	}
	logf := func(format string, a ...any) { fmt.Fprintf(logw, "cmdbench: "+format+"\n", a...) }
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		logf("load average at start: %s", strings.TrimSpace(string(load)))
	}

	tmp, err := os.MkdirTemp("", "cmdbench-")
	if err != nil {
		return err
	}
	if c.keep {
		logf("keeping %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	logf("building okrbot and slackload")
	c.okrbotBin, c.load = filepath.Join(tmp, "okrbot"), filepath.Join(tmp, "slackload")
	for pkg, bin := range map[string]string{"./cmd/okrbot": c.okrbotBin, "./bench/slackload": c.load} {
		b := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
		b.Stdout, b.Stderr = logw, logw
		if err := b.Run(); err != nil {
			return fmt.Errorf("go build %s (run cmdbench from the repository's root): %w", pkg, err)
		}
	}

	at := seedfile.Moment(time.Now())
	file, co, err := seedfile.File(ctx, workspace, seed.Size{People: c.people}, at, func(s string) { logf("seeding: %s", s) })
	if err != nil {
		return err
	}
	logf("company: %d people, %d objectives, %d key results, %d check-ins (%s)", len(co.People), len(co.Objectives), len(co.KRs), co.CheckIns, file)
	users := co.People[:min(c.users, len(co.People))]

	fake := fakeslack.NewServer(fakeslack.Options{})
	defer fake.Close()
	for _, u := range users {
		fake.AddUser(fakeslack.User{ID: u, Name: strings.ToLower(u), RealName: "Person " + u, TZ: "Europe/Paris"})
	}
	for i, ch := range co.Teams {
		fake.AddChannel(fakeslack.Channel{ID: ch, Name: fmt.Sprintf("team-%d", i), Member: true})
	}

	boltOK := c.bolt != ""
	if boltOK {
		if _, err := os.Stat(filepath.Join(c.bolt, "node_modules", "@slack", "bolt")); err != nil {
			logf("no Bolt reference: run `cd %s && npm ci` first (or -bolt '' to skip it)", c.bolt)
			boltOK = false
		} else if _, err := exec.LookPath("node"); err != nil {
			logf("no Bolt reference: node is not installed")
			boltOK = false
		}
	}

	var all []result
	for r := 1; r <= c.runs; r++ {
		res, err := okrbotRun(ctx, c, r, tmp, file, fake, users, logf)
		if err != nil {
			return err
		}
		all = append(all, res...)
		if boltOK {
			res, err := boltRun(ctx, c, r, logf)
			if err != nil {
				return err
			}
			all = append(all, res...)
		}
		for _, x := range all {
			if x.run == r {
				fmt.Fprintln(out, x.line())
			}
		}
	}
	summary(out, all, c)
	return nil
}

// result is one command's load against one server in one run.
type result struct {
	run     int
	server  string // "okrbot" or "bolt"
	command string
	load    loadResult
	cpuUS   float64 // okrbot's CPU per request, µs
	rssMB   float64 // okrbot's RSS after the load
	idleMB  float64 // okrbot's RSS before any request
	peakMB  float64 // okrbot's peak RSS so far
}

type loadResult struct {
	Label  string  `json:"label"`
	N      int     `json:"n"`
	RPS    float64 `json:"rps"`
	P50    float64 `json:"p50_ms"`
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
	Non200 int     `json:"non200"`
	Errors int     `json:"errors"`
}

func (x result) line() string {
	s := fmt.Sprintf("run %d\t%-6s\t%-12s\t%6.0f req/s\tp50 %6.2f ms\tp99 %6.2f ms\tmax %7.2f ms\tnon-200 %d\terrors %d",
		x.run, x.server, x.command, x.load.RPS, x.load.P50, x.load.P99, x.load.Max, x.load.Non200, x.load.Errors)
	if x.server == "okrbot" {
		s += fmt.Sprintf("\tcpu %4.0f µs/req\trss idle %.1f MB, after %.1f MB, peak %.1f MB", x.cpuUS, x.idleMB, x.rssMB, x.peakMB)
	}
	return s
}

// warmLimits lifts the pace of the look-ups okrbot caches (see okrbotRun).
const warmLimits = "users.info=1000:1000,conversations.info=1000:1000"

var listenRE = regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)

// okrbotRun starts okrbot serve on a fresh copy of the seeded store and
// measures each command.
func okrbotRun(ctx context.Context, c config, r int, tmp, file string, fake *fakeslack.Server, users []string, logf func(string, ...any)) ([]result, error) {
	dir := filepath.Join(tmp, fmt.Sprintf("data-%d", r))
	if err := seedfile.Copy(file, dir); err != nil {
		return nil, err
	}
	logPath := filepath.Join(tmp, fmt.Sprintf("okrbot-%d.log", r))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.CommandContext(ctx, c.okrbotBin, "serve")
	cmd.Env = append(os.Environ(), "OKRBOT_ADDR=127.0.0.1:0", "OKRBOT_DATA_DIR="+dir, "MONGODB_URI=",
		"SLACK_SIGNING_SECRET="+secret, "SLACK_BOT_TOKEN="+fake.Team(team).Token, "SLACK_API_URL="+fake.APIURL,
		// The people's and channels' names are looked up once and cached
		// for an hour; at Slack's pace for users.info (100 a minute) the
		// warm-up would take minutes, so the measured requests find the
		// cache warm, as they would in a running company.
		"OKRBOT_SLACK_LIMITS="+warmLimits)
	pr, pw := io.Pipe()
	cmd.Stderr = io.MultiWriter(logFile, pw)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		pw.Close()
	}()
	addr, err := waitListening(pr, 30*time.Second)
	if err != nil {
		return nil, fmt.Errorf("okrbot serve (logs in %s): %w", logPath, err)
	}
	go io.Copy(io.Discard, pr)
	url := "http://" + addr
	if err := waitReady(ctx, url+"/readyz"); err != nil {
		return nil, err
	}
	logf("run %d: okrbot serve (pid %d) on %s; idling %v", r, cmd.Process.Pid, addr, c.idle)
	select {
	case <-time.After(c.idle):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	idle, _ := proc(cmd.Process.Pid)
	var out []result
	for _, text := range c.commands {
		before, _ := proc(cmd.Process.Pid)
		lr, err := slackload(ctx, c, url+"/slack/commands", text, strings.Join(users, ","))
		if err != nil {
			return nil, err
		}
		after, _ := proc(cmd.Process.Pid)
		out = append(out, result{run: r, server: "okrbot", command: text, load: lr,
			cpuUS:  (after.cpu - before.cpu).Seconds() * 1e6 / float64(c.n+c.warmup),
			idleMB: idle.rssMB, rssMB: after.rssMB, peakMB: after.peakMB})
	}
	return out, nil
}

// boltRun starts the Bolt app and measures its hello-world command.
func boltRun(ctx context.Context, c config, r int, logf func(string, ...any)) ([]result, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "node", "app.js")
	cmd.Dir = c.bolt
	cmd.Env = append(os.Environ(), "SLACK_SIGNING_SECRET="+secret, "PORT="+strconv.Itoa(port))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if conn, err := net.Dial("tcp", addr); err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("bolt did not start: %s", logs.String())
		}
	}
	logf("run %d: Bolt (pid %d) on %s", r, cmd.Process.Pid, addr)
	lr, err := slackload(ctx, c, "http://"+addr+"/slack/events", "help", "U0001")
	if err != nil {
		return nil, err
	}
	return []result{{run: r, server: "bolt", command: "hello world", load: lr}}, nil
}

func slackload(ctx context.Context, c config, url, text, users string) (loadResult, error) {
	cmd := exec.CommandContext(ctx, c.load, "-url", url, "-secret", secret, "-text", text, "-users", users, "-team", team,
		"-channel", "C0001", "-c", strconv.Itoa(c.concurrency), "-n", strconv.Itoa(c.n), "-warmup", strconv.Itoa(c.warmup), "-json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return loadResult{}, fmt.Errorf("slackload %s: %w: %s", url, err, stderr.String())
	}
	var lr loadResult
	if err := json.Unmarshal(stdout.Bytes(), &lr); err != nil {
		return lr, fmt.Errorf("slackload printed %q: %w", stdout.String(), err)
	}
	return lr, nil
}

func waitListening(r io.Reader, wait time.Duration) (string, error) {
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- strings.Replace(m[1], "[::]", "127.0.0.1", 1)
				io.Copy(io.Discard, r)
				return
			}
		}
		close(found)
	}()
	select {
	case a, ok := <-found:
		if !ok {
			return "", errors.New("okrbot exited before listening")
		}
		return a, nil
	case <-time.After(wait):
		return "", errors.New("okrbot did not start listening")
	}
}

func waitReady(ctx context.Context, url string) error {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return errors.New("okrbot did not become ready")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// procStat is what /proc says of a process.
type procStat struct {
	cpu           time.Duration // user + system
	rssMB, peakMB float64
}

// proc reads a process's CPU time and resident memory (Linux only; zeros
// elsewhere).
func proc(pid int) (procStat, error) {
	var p procStat
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return p, err
	}
	// Fields after the command name (which may hold spaces), from field 3.
	s := string(stat)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) > 13 {
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		p.cpu = time.Duration(ut+st) * time.Second / 100 // USER_HZ
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return p, err
	}
	for _, l := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(l, ":")
		kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		switch k {
		case "VmRSS":
			p.rssMB = kb / 1024
		case "VmHWM":
			p.peakMB = kb / 1024
		}
	}
	return p, nil
}

// summary prints the range of each figure over the runs, and okrbot's
// throughput as a fraction of Bolt's in the same run.
func summary(out io.Writer, all []result, c config) {
	fmt.Fprintf(out, "\n%d runs, %d people, c=%d, n=%d (after %d warm-up requests)\n", c.runs, c.people, c.concurrency, c.n, c.warmup)
	fmt.Fprintln(out, "| server | command | req/s | p50 ms | p99 ms | × Bolt's req/s | CPU µs/req | RSS idle MB | RSS after MB |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|")
	type key struct{ server, command string }
	var keys []key
	group := map[key][]result{}
	bolt := map[int]float64{}
	for _, x := range all {
		k := key{x.server, x.command}
		if group[k] == nil {
			keys = append(keys, k)
		}
		group[k] = append(group[k], x)
		if x.server == "bolt" {
			bolt[x.run] = x.load.RPS
		}
	}
	rng := func(xs []result, f func(result) float64, prec int) string {
		var vs []float64
		for _, x := range xs {
			if v := f(x); v == v { // not NaN
				vs = append(vs, v)
			}
		}
		if len(vs) == 0 {
			return "—"
		}
		lo, hi := slices.Min(vs), slices.Max(vs)
		if strconv.FormatFloat(lo, 'f', prec, 64) == strconv.FormatFloat(hi, 'f', prec, 64) {
			return strconv.FormatFloat(lo, 'f', prec, 64)
		}
		return strconv.FormatFloat(lo, 'f', prec, 64) + "–" + strconv.FormatFloat(hi, 'f', prec, 64)
	}
	nan := func() float64 { var z float64; return z / z }
	for _, k := range keys {
		xs := group[k]
		ratio := rng(xs, func(x result) float64 {
			if b, ok := bolt[x.run]; ok && b > 0 && x.server == "okrbot" {
				return x.load.RPS / b
			}
			return nan()
		}, 2)
		okr := func(f func(result) float64) func(result) float64 {
			return func(x result) float64 {
				if x.server != "okrbot" {
					return nan()
				}
				return f(x)
			}
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", k.server, k.command,
			rng(xs, func(x result) float64 { return x.load.RPS }, 0),
			rng(xs, func(x result) float64 { return x.load.P50 }, 1),
			rng(xs, func(x result) float64 { return x.load.P99 }, 1),
			ratio,
			rng(xs, okr(func(x result) float64 { return x.cpuUS }), 0),
			rng(xs, okr(func(x result) float64 { return x.idleMB }), 1),
			rng(xs, okr(func(x result) float64 { return x.rssMB }), 1))
	}
}
