package rhythm_test

import (
	"testing"
	"time"

	"github.com/okrbot/okrbot/conversations/rhythm"
	"github.com/okrbot/okrbot/domain"
)

// A channel subscribed mid-week gets its first digest at the next digest
// moment (Monday 09:00), not last week's at once; one subscribed before the
// moment still gets it late, when the run comes late (QA finding 20).
func TestASubscriptionMidWeekWaitsForTheNextDigest(t *testing.T) {
	e := newEnv(t)
	e.now = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	e.as("ada", "UTC", "/okr create Grow --team <#C0NEW|new>", "/okr kr add O-1 Increase deals from 0 to 10")
	wed := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) // after Monday 23 Nov 09:00
	for _, sub := range []domain.Subscription{
		{WorkspaceID: "slack:T1", Channel: "C0NEW", Name: "new", By: "ada", At: wed},
		{WorkspaceID: "slack:T1", Channel: "C0OLD", Name: "old", By: "ada", At: e.now, Company: true},
	} {
		if err := e.st.Subscribe(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	_, q := e.plan(rhythm.JobDigests, wed.Add(time.Minute), true)
	if _, ok := q.entries[domain.OutboxID("slack:T1", "C0NEW", domain.KindDigest, "2026-W47")]; ok || len(q.entries) != 1 {
		t.Errorf("Wednesday: %v", q.entries)
	}
	_, q = e.plan(rhythm.JobDigests, time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), true)
	if _, ok := q.entries[domain.OutboxID("slack:T1", "C0NEW", domain.KindDigest, "2026-W48")]; !ok {
		t.Errorf("Monday: %v", q.entries)
	}
}
