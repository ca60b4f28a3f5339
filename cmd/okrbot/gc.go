package main

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// okrbot serve's garbage collector, where the operator sets neither GOGC
// nor GOMEMLIMIT. A command allocates about 100 kB and okrbot's live heap
// is a few megabytes, so at Go's default (GOGC=100) the collector ran some
// forty times a second under load, each time scanning the stacks and the
// pure-Go SQLite's large globals whatever the heap: a fifth of a command's
// CPU (docs/benchmarks.md). At 400 it runs a quarter as often; the soft
// memory limit keeps a large heap (a big company's digest) from growing to
// five times its size: near it the collector simply works harder.
const (
	serveGCPercent   = 400
	serveMemoryLimit = 256 << 20
	// jobsMemoryLimit is okrbot jobs run's: a batch, not latency-bound, so
	// the collector may work harder. At 160 MiB the 1,000 team digests of a
	// 10,000-person company peaked at 294–296 MB resident in 46–47 s,
	// against 321 MB at 256 MiB (docs/benchmarks.md).
	jobsMemoryLimit = 160 << 20
)

// tuneGC applies serveGCPercent and serveMemoryLimit unless the process
// environment sets GOGC or GOMEMLIMIT, which the Go runtime has applied.
func tuneGC(log *slog.Logger) {
	var set []any
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(serveGCPercent)
		set = append(set, "gogc", serveGCPercent)
	}
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		debug.SetMemoryLimit(serveMemoryLimit)
		set = append(set, "gomemlimit", "256MiB")
	}
	if len(set) > 0 {
		log.Info("garbage collector tuned for serving (set GOGC or GOMEMLIMIT to choose)", set...)
	}
}

// limitMemory applies jobsMemoryLimit to okrbot jobs run, unless the
// environment sets GOMEMLIMIT: it does the scheduler's work, and a large
// company's digest holds some 165 MB of check-ins, timeline and progress
// lines at its height, which Go's default collector lets grow to twice that
// (447 MB resident for a 10,000-person company's digest, 311 MB with the
// limit; docs/benchmarks.md). The collector keeps its default pace
// otherwise: a run is short and not latency-bound.
func limitMemory(log *slog.Logger) {
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		debug.SetMemoryLimit(jobsMemoryLimit)
		log.Info("soft memory limit for the run (set GOMEMLIMIT to choose)", "gomemlimit", "160MiB")
	}
}
