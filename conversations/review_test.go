package conversations_test

import (
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations"
)

// The cycle review is in exactly one digest, the first after the cycle
// ends, by its slot: a digest run late on the cycle's last days is that
// cycle's, with no review. Headers name one cycle and a week in it, and
// check-ins count on the digest's own key results only (QA finding 18).
func TestTheCycleReviewIsInOneDigest(t *testing.T) {
	f := newFixture(t)
	f.clock.t = time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	f.must("ada", `/okr create Win Q3 --cycle 2026-Q3`, `/okr kr add O-1 Increase deals from 0 to 10`, `/okr update KR-1 4 confidence 6`)
	f.must("ada", `/okr create Win Q4 --cycle 2026-Q4`, `/okr kr add O-2 Increase offers from 0 to 10`)
	// A late check-in on the Q3 key result, in the first week of Q4.
	f.clock.t = time.Date(2026, 10, 3, 10, 0, 0, 0, time.UTC)
	f.must("ada", `/okr update KR-1 5 confidence 6`)

	digest := func(at time.Time) string {
		t.Helper()
		m, err := f.svc.Digest(ctx, "slack:T1", conversations.DigestScope{Company: true}, at)
		if err != nil {
			t.Fatal(err)
		}
		return conversations.PlainText(m)
	}
	reviews := 0
	for _, tc := range []struct {
		at           time.Time
		want, unwant []string
	}{
		// Thursday 1 October: W39's digest, sent late; its slot (Monday 28
		// September) is in Q3.
		{time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC), []string{"Company OKRs · 2026-Q3 · week 13", "O-1 Win Q3"}, []string{"review of", "2026-Q4", "O-2"}},
		// Monday 5 October: the first digest after Q3 ended.
		{time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC), []string{"review of 2026-Q3", "Now: Company OKRs · 2026-Q4 · week 1", "O-2 Win Q4", "Check-ins: 0 of 1", "Missing: @Ada"}, []string{"week 40", "Everyone checked in"}},
		// Previewed on Saturday 3 October: what Monday will bring.
		{time.Date(2026, 10, 3, 12, 0, 0, 0, time.UTC), []string{"review of 2026-Q3", "2026-Q4 · week 1"}, nil},
		{time.Date(2026, 10, 12, 9, 0, 0, 0, time.UTC), []string{"Company OKRs · 2026-Q4 · week 2"}, []string{"review of"}},
	} {
		got := digest(tc.at)
		if strings.Contains(got, "review of") && tc.at.Weekday() == time.Monday {
			reviews++
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: want %q in\n%s", tc.at, w, got)
			}
		}
		for _, w := range tc.unwant {
			if strings.Contains(got, w) {
				t.Errorf("%s: %q in\n%s", tc.at, w, got)
			}
		}
	}
	if reviews != 1 {
		t.Errorf("the Q3 review was in %d Monday digests", reviews)
	}
}
