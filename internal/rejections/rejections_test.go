package rejections_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/okrbot/okrbot/internal/rejections"
)

// TestOneLinePerReasonPerWindow: within a window only the first rejection
// of a reason is logged; the next line, a window later, says how many were
// skipped; reasons are limited apart; every rejection is counted.
func TestOneLinePerReasonPerWindow(t *testing.T) {
	now := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "test_rejected_total", Help: "test"}, []string{"reason"})
	l := rejections.New(c, func() time.Time { return now })

	type step struct {
		advance  time.Duration
		reason   string
		log      bool
		unlogged int
		what     string
	}
	steps := []step{
		{0, "bad_token", true, 0, "first of a reason"},
		{time.Second, "bad_token", false, 0, "same reason within the window"},
		{time.Second, "bad_token", false, 0, "again"},
		{0, "too_large", true, 0, "another reason has its own window"},
		{8 * time.Second, "bad_token", true, 2, "a window later: two skipped"},
		{time.Second, "bad_token", false, 0, "a new window began"},
		{-time.Minute, "bad_token", true, 1, "the clock stepped back: logged at once"},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		log, unlogged := l.Note(s.reason)
		if log != s.log || unlogged != s.unlogged {
			t.Errorf("%s: Note(%q) = %v, %d; want %v, %d", s.what, s.reason, log, unlogged, s.log, s.unlogged)
		}
	}
	if got := testutil.ToFloat64(c.WithLabelValues("bad_token")); got != 6 {
		t.Errorf("bad_token counted %v, want 6", got)
	}
	if got := testutil.ToFloat64(c.WithLabelValues("too_large")); got != 1 {
		t.Errorf("too_large counted %v, want 1", got)
	}
}
