package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations/rhythm"
	"github.com/okrbot/okrbot/internal/fakeslack"
	"github.com/okrbot/okrbot/internal/seed"
	"github.com/okrbot/okrbot/storage"
)

// The company-sized measurements: an idle okrbot serve, and every team's
// digest of a large company. They seed the company through the store, as
// okrbot would have it, and measure the okrbot process from outside.

// envInt reads a positive integer from the environment, else def.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// seedTeams writes a company of people in teams (internal/seed: a team
// channel each, subscribed to its digest, with weeks of check-ins) into the
// fake Slack's workspace T0001, as it stands at the moment at.
func seedTeams(t testing.TB, st storage.Store, people, teams int, at time.Time) {
	t.Helper()
	if _, err := seed.Write(context.Background(), st, "slack:T0001", seed.Size{People: people, Teams: teams}, at, nil); err != nil {
		t.Fatal(err)
	}
}

// procStat returns a process's CPU time and resident memory, from /proc.
func procStat(pid int) (cpu time.Duration, rss int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	pages, _ := strconv.ParseInt(f[21], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond, pages * int64(os.Getpagesize()), nil
}

// BenchmarkIdleServe runs okrbot serve, connected to a local Slack, with a
// company of OKRBOT_BENCH_PEOPLE people (10,000) in teams of ten, after
// jobs run has sent what was due, and reports the share of a core it uses
// and its resident memory after OKRBOT_BENCH_IDLE_MINUTES minutes (10),
// its first minute left out.
//
//	go test ./cmd/okrbot -run '^$' -bench IdleServe -benchtime 1x -timeout 30m
func BenchmarkIdleServe(b *testing.B) {
	people, minutes := envInt("OKRBOT_BENCH_PEOPLE", 10000), envInt("OKRBOT_BENCH_IDLE_MINUTES", 10)
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		fake := fakeslack.New(b, fakeslack.Options{})
		// The company is written into the data directory's store, which the
		// processes then share.
		st := openDataDir(b, dir)
		seedTeams(b, st, people, max(1, people/10), time.Now())
		st.Close(context.Background())
		env := append(os.Environ(), "OKRBOT_DATA_DIR="+dir, "MONGODB_URI=",
			"SLACK_BOT_TOKEN="+fake.Team("T0001").Token, "SLACK_API_URL="+fake.APIURL, "SLACK_SIGNING_SECRET=bench-secret")
		// What is due now is sent first: idle is the rest of the week.
		bin, _ := buildBinary()
		for _, job := range rhythm.Jobs {
			run := exec.Command(bin, "jobs", "run", job)
			run.Env = env
			if out, err := run.CombinedOutput(); err != nil {
				b.Fatalf("jobs run %s: %v\n%s", job, err, out)
			}
		}
		sent := len(fake.Calls("chat.postMessage"))
		cmd := exec.Command(bin, "serve")
		cmd.Env = append(env, "OKRBOT_ADDR=127.0.0.1:0")
		logs := &syncBuffer{}
		cmd.Stderr = logs
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		waitListening(b, logs)
		time.Sleep(time.Minute)
		cpu0, _, err := procStat(cmd.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		window := time.Duration(minutes) * time.Minute
		b.StartTimer()
		time.Sleep(window)
		b.StopTimer()
		cpu, rss, err := procStat(cmd.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		share := float64(cpu-cpu0) / float64(window) * 100
		b.ReportMetric(share, "%core")
		b.ReportMetric(float64(rss)/(1<<20), "RSS-MB")
		b.Logf("okrbot serve with %d people, idle for %v: %.2f%% of a core, RSS %.0f MB; %d messages posted while it ran", people, window, share,
			float64(rss)/(1<<20), len(fake.Calls("chat.postMessage"))-sent)
	}
}

// BenchmarkTeamDigests runs okrbot jobs run digests, as a process, for a
// company of OKRBOT_BENCH_PEOPLE people (10,000) in OKRBOT_BENCH_TEAMS
// teams (1,000), each team's channel subscribed to its digest, against a
// local Slack with no limit, and reports the time they all took and the
// process's peak resident memory.
//
//	go test ./cmd/okrbot -run '^$' -bench TeamDigests -benchtime 1x -timeout 60m
func BenchmarkTeamDigests(b *testing.B) {
	people, teams := envInt("OKRBOT_BENCH_PEOPLE", 10000), envInt("OKRBOT_BENCH_TEAMS", 1000)
	for range b.N {
		b.StopTimer()
		monday := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
		e := newRhythmEnv(b, 0, fakeslack.Options{})
		seedTeams(b, e.st, people, teams, monday)
		cmd, out := e.jobsCmd(b, "digests", "--at", monday.Format(time.RFC3339), "--max-wait", "30m")
		b.StartTimer()
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		// The peak is the process's own high-water mark (VmHWM), read
		// until it exits. Not the rusage's maxrss: Go starts a child with
		// vfork, so the child's maxrss counts the test process's resident
		// memory at the fork (this process holds the seeded company).
		var peak int64
		exited, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				peak = max(peak, vmHWM(cmd.Process.Pid))
				select {
				case <-exited:
					return
				case <-tick.C:
				}
			}
		}()
		err := cmd.Wait()
		took := time.Since(start)
		close(exited)
		<-done
		b.StopTimer()
		if err != nil {
			b.Fatalf("okrbot jobs run digests: %v\n%s", err, out)
		}
		rss := peak
		b.ReportMetric(took.Seconds(), "s")
		b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		b.Logf("%d team digests of a %d-person company in %v, peak RSS %.0f MB; %s", teams, people, took.Round(time.Millisecond),
			float64(rss)/(1<<20), lines[len(lines)-1])
	}
}

// vmHWM is a running process's peak resident memory in bytes, from
// /proc/PID/status; 0 once it is gone.
func vmHWM(pid int) int64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
