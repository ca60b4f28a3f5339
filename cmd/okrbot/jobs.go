package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/okrbot/okrbot/conversations/rhythm"
)

const jobsUsage = `Usage: okrbot jobs run <job> [--at RFC3339] [flags]

Runs one scheduled job once, through the same outbox as the scheduler: every
delivery of that kind due at --at (default: now) and not yet sent is sent,
with every date in it as of --at. Running it again, or in several processes
at once, sends nothing twice. It reports where every delivery of the period
stands (sent, skipped, still failing, held by another process, expired,
refused for good) and exits non-zero while any is still failing.
Jobs: checkin-prompts, reminders, digests, kpi-alerts, kpi-sources (fetches
the KPIs' sources that are due, with or without a chat platform configured,
and tells the owner of one that fails when this process can send to them),
escalations (tells team leads of people who missed check-ins in a row).
`

// jobFlags are every setting but the HTTP address: a job sends, it serves nothing.
func jobFlags() []string {
	var out []string
	for _, s := range settings {
		if s.flag != "addr" {
			out = append(out, s.flag)
		}
	}
	return out
}

func runJobs(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		// "okrbot jobs -h" asks what "jobs run -h" answers.
		args = []string{"run", "-h"}
	}
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprint(stderr, jobsUsage)
		if len(args) > 0 {
			return usageError{fmt.Errorf("unknown jobs command %q; expected: okrbot jobs run <job> (example: okrbot jobs run digests)", args[0])}
		}
		return usageError{fmt.Errorf("expected: okrbot jobs run <job> (example: okrbot jobs run digests)")}
	}
	args = args[1:]
	job := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		job, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("okrbot jobs run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, jobsUsage); fs.PrintDefaults() }
	cfg := bindSettings(fs, getenv, jobFlags()...)
	atFlag := fs.String("at", "", "the moment to run at, RFC 3339 (default: now)")
	lease := fs.Duration("lease", 2*time.Minute, "how long a claimed delivery stays ours without renewal before another process may take it over")
	maxWait := fs.Duration("max-wait", 10*time.Minute, "how long to wait for failed deliveries to come due for a retry")
	workers := fs.Int("workers", 8, "deliveries sent at once")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if job == "" && fs.NArg() > 0 {
		job = fs.Arg(0)
	}
	if _, ok := rhythm.KindOf(job); !ok {
		fmt.Fprint(stderr, jobsUsage)
		return usageError{fmt.Errorf("unknown job %q; one of %s", job, strings.Join(rhythm.Jobs, ", "))}
	}
	if err := cfg.validate(); err != nil {
		return usageError{err}
	}
	at := time.Now()
	if *atFlag != "" {
		t, err := time.Parse(time.RFC3339, *atFlag)
		if err != nil {
			return usageError{fmt.Errorf("--at %q is not an RFC 3339 time (example: 2026-11-27T15:00:00+09:00)", *atFlag)}
		}
		at = t
	}

	log := slog.New(levelFilter{newLogger(stderr).Handler(), slog.LevelWarn})
	limitMemory(log)
	st, closeStore, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore()
	svc := newService(st, cfg, log, nil, nil)
	senders, err := buildSenders(ctx, cfg, st, svc, log, prometheus.NewRegistry())
	if err != nil {
		return err
	}
	switch {
	case len(senders) == 0 && job == rhythm.JobKPISources:
		fmt.Fprintln(stdout, "No chat platform is configured (SLACK_BOT_TOKEN, SLACK_CLIENT_ID or MICROSOFT_APP_ID): the sources are fetched, but the alert of one that fails cannot be sent from here.")
	case len(senders) == 0:
		fmt.Fprintln(stdout, "No chat platform is configured (SLACK_BOT_TOKEN, SLACK_CLIENT_ID or MICROSOFT_APP_ID): nothing can be sent.")
	}
	var mu sync.Mutex
	last := time.Now()
	progress := func(r jobRun) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		fmt.Fprintf(stdout, "%s: %d newly due, %d sent, %d failed attempts so far\n", r.Job, r.Plan.Planned, r.Stats.Sent, r.Stats.Failed)
	}
	en := newEngine(st, svc, senders, engineOptions{Lease: *lease, Workers: *workers, Log: log})
	fmt.Fprintf(stdout, "%s: running at %s\n", job, at.Format(time.RFC3339))
	rep, err := en.run(ctx, job, at, runOptions{All: true, MaxWait: *maxWait, Progress: progress})
	fmt.Fprintln(stdout, rep.String())
	for _, e := range rep.Status.Failing {
		fmt.Fprintf(stdout, "  still failing: %s after %d attempts (next try %s): %s\n", e.ID, e.Attempts, e.NextAt.Format(time.RFC3339), e.LastError)
	}
	for _, e := range rep.Status.Refused {
		to := e.Recipient
		if !e.Direct {
			to = "channel " + to
		}
		fmt.Fprintf(stdout, "  refused for good: %s to %s (%s): %s\n", e.Kind, to, e.Period, e.LastError)
	}
	if err != nil {
		return err
	}
	if n := rep.Failing(); n > 0 {
		return fmt.Errorf("%d deliveries still failing; they stay in the outbox and are retried by the scheduler or the next run", n)
	}
	if n := rep.Refused(); n > 0 {
		// Not retried: the platform said no for good (okrbot is not in the
		// channel, the channel is gone). Whoever subscribed it is told.
		return fmt.Errorf("%d deliveries refused for good (listed above); for a channel, invite okrbot there (/invite @okrbot) or unsubscribe it; its subscriber was told by DM", n)
	}
	return nil
}
