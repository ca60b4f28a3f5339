// Package rejections counts the requests an endpoint refuses, by reason,
// and says when to log one: at most one line per reason per Every, with the
// number left unlogged since the last line. Anyone can POST to okrbot's
// public endpoints (Slack's and Teams'), and ten thousand forged requests
// must not become ten thousand log lines; the counter has them all.
//
// It lives under internal/ because both chat adapters use it and an adapter
// never imports another.
package rejections

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Every is how often a rejection of one reason is logged at most.
const Every = 10 * time.Second

// Log counts rejections in a counter with a single "reason" label and rate
// limits their log lines. It is safe for concurrent use.
type Log struct {
	now     func() time.Time
	counter *prometheus.CounterVec

	mu         sync.Mutex
	lastLogged map[string]time.Time
	unlogged   map[string]int
}

// New returns a Log that counts in counter (labelled by reason only) and
// reads the time from now (time.Now when nil). Registering counter is the
// caller's: each adapter names its own metric.
func New(counter *prometheus.CounterVec, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{now: now, counter: counter, lastLogged: map[string]time.Time{}, unlogged: map[string]int{}}
}

// Note counts one rejection of reason and reports whether to log it now,
// and how many of that reason went unlogged before it. A clock that steps
// backwards logs at once rather than staying silent until it catches up.
func (l *Log) Note(reason string) (log bool, unlogged int) {
	l.counter.WithLabelValues(reason).Inc()
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if last, ok := l.lastLogged[reason]; ok && now.Sub(last) < Every && now.Sub(last) >= 0 {
		l.unlogged[reason]++
		return false, 0
	}
	unlogged = l.unlogged[reason]
	l.lastLogged[reason], l.unlogged[reason] = now, 0
	return true, unlogged
}
