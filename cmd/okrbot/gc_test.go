package main

import (
	"io"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"testing"
)

// okrbot serve and okrbot jobs run bound their heap unless the operator
// chose (GOGC, GOMEMLIMIT); serve also collects less often.
func TestGarbageCollectorDefaults(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) })
	reset := func() { debug.SetGCPercent(100); debug.SetMemoryLimit(math.MaxInt64) }
	for _, c := range []struct {
		name        string
		env         map[string]string
		tune        func(*slog.Logger)
		gogc        int
		memoryLimit int64
	}{
		{"serve", nil, tuneGC, serveGCPercent, serveMemoryLimit},
		{"serve, GOGC set", map[string]string{"GOGC": "100"}, tuneGC, 100, serveMemoryLimit},
		{"serve, GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, tuneGC, serveGCPercent, math.MaxInt64},
		{"jobs run", nil, limitMemory, 100, jobsMemoryLimit},
		{"jobs run, GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, limitMemory, 100, math.MaxInt64},
	} {
		t.Run(c.name, func(t *testing.T) {
			reset()
			for _, k := range []string{"GOGC", "GOMEMLIMIT"} {
				if v, ok := c.env[k]; ok {
					t.Setenv(k, v)
				} else {
					unsetenv(t, k)
				}
			}
			c.tune(log)
			if got := debug.SetGCPercent(100); got != c.gogc {
				t.Errorf("GOGC %d, want %d", got, c.gogc)
			}
			if got := debug.SetMemoryLimit(math.MaxInt64); got != c.memoryLimit {
				t.Errorf("memory limit %d, want %d", got, c.memoryLimit)
			}
		})
	}
}

// unsetenv removes k from the environment for the test (t.Setenv restores it).
func unsetenv(t *testing.T, k string) {
	t.Setenv(k, "")
	os.Unsetenv(k)
}
