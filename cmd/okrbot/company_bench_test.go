package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations/rhythm"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/fakeslack"
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

// seedTeams stores a company of people in teams: each team a channel
// (C0000…) subscribed to its digest, with objectives of ten key results
// owned by the team's people, who have checked in last week.
func seedTeams(t testing.TB, st *storage.Store, people, teams int, at time.Time, set domain.Settings) {
	t.Helper()
	ctx := context.Background()
	ws := "slack:T0001"
	if _, err := st.EnsureWorkspace(ctx, domain.Workspace{ID: ws, Platform: domain.Slack, ExternalID: "T0001", Settings: set}); err != nil {
		t.Fatal(err)
	}
	week := domain.CheckInWeek(at.AddDate(0, 0, -3), time.UTC, time.Friday)
	ref := 0
	for team := range teams {
		ch := fmt.Sprintf("C%04d", team)
		if err := st.Subscribe(ctx, domain.Subscription{WorkspaceID: ws, Channel: ch, By: "U0000", At: at}); err != nil {
			t.Fatal(err)
		}
		members := people / teams
		for o := 0; o*10 < members; o++ {
			ref++
			obj := domain.Objective{WorkspaceID: ws, Ref: fmt.Sprintf("O-%d", ref), Title: fmt.Sprintf("Objective %d of %s", o+1, ch),
				Owner: fmt.Sprintf("U%05d", team*members+o*10), Team: ch, Cycle: domain.CycleOf(at, time.UTC), Commitment: domain.Committed,
				Status: domain.Active, CreatedAt: at.AddDate(0, 0, -30)}
			for k := o * 10; k < min(members, o*10+10); k++ {
				user := fmt.Sprintf("U%05d", team*members+k)
				kr := fmt.Sprintf("KR-%d-%d", ref, k)
				obj.KeyResults = append(obj.KeyResults, domain.KeyResult{Ref: kr, Title: "Increase deals from 0 to 10",
					Kind: domain.Increase, Target: 10, Weight: 1, Owner: user, Current: 3, Measured: true})
				if _, err := st.SaveCheckIn(ctx, domain.CheckIn{WorkspaceID: ws, UserID: user, KR: kr, Objective: obj.Ref, Week: week,
					Value: 3, Confidence: 7, At: at.AddDate(0, 0, -3)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.CreateObjective(ctx, &obj); err != nil {
				t.Fatal(err)
			}
		}
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
		// A first process makes the data directory and its store; seeded,
		// it stops, and the measured one starts on it.
		_, seeder, _ := startProcess(b, dir)
		addr, err := os.ReadFile(filepath.Join(dir, "okrbot.addr"))
		if err != nil {
			b.Fatal(err)
		}
		st, err := storage.Open(context.Background(), strings.TrimSpace(string(addr)), "okrbot", time.Now)
		if err != nil {
			b.Fatal(err)
		}
		seedTeams(b, st, people, max(1, people/10), time.Now(), domain.DefaultSettings("UTC"))
		st.Close(context.Background())
		seeder.Process.Signal(syscall.SIGTERM)
		seeder.Wait()
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
		seedTeams(b, e.st, people, teams, monday, domain.DefaultSettings("UTC"))
		cmd, out := e.jobsCmd(b, "digests", "--at", monday.Format(time.RFC3339), "--max-wait", "30m")
		b.StartTimer()
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("okrbot jobs run digests: %v\n%s", err, out)
		}
		took := time.Since(start)
		b.StopTimer()
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024
		b.ReportMetric(took.Seconds(), "s")
		b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		b.Logf("%d team digests of a %d-person company in %v, peak RSS %.0f MB; %s", teams, people, took.Round(time.Millisecond),
			float64(rss)/(1<<20), lines[len(lines)-1])
	}
}
