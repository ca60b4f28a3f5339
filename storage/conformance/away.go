package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/testclock"
	"github.com/okrbot/okrbot/storage"
)

// testAwayHistory: SetAway keeps every change, at the store's clock, and
// AwayPeriods reads the periods people were away, by person, scoped by
// workspace.
func testAwayHistory(t *testing.T, b Backend) {
	c := testclock.New(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	st := b.Open(t, c.Now)
	d := func(day int) time.Time { return time.Date(2026, 11, day, 0, 0, 0, 0, time.UTC) }
	at := func(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, time.UTC) }
	to := func(day, hour int) { c.Add(at(day, hour).Sub(c.Now())) }
	// U1: away on the 2nd until the 20th, back early on the 10th, away
	// again on the 16th until the 24th, extended on the 20th to the 30th.
	must(t, st.SetAway(ctx, "slack:T1", "U1", d(20)))
	to(10, 8)
	must(t, st.SetAway(ctx, "slack:T1", "U1", time.Time{}))
	to(16, 12)
	must(t, st.SetAway(ctx, "slack:T1", "U1", d(24)))
	must(t, st.SetAway(ctx, "slack:T2", "U1", d(28))) // the same id in another workspace
	to(20, 12)
	must(t, st.SetAway(ctx, "slack:T1", "U1", d(30)))
	// U2: away once; U3: never.
	must(t, st.SetAway(ctx, "slack:T1", "U2", d(22)))
	must(t, st.SaveUser(ctx, domain.User{WorkspaceID: "slack:T1", ID: "U3", Name: "Cy"}))

	show := func(ps []domain.AwayPeriod) string {
		s := ""
		for _, p := range ps {
			s += fmt.Sprintf("%s %s–%s; ", p.UserID, p.From.UTC().Format("2 15h"), p.Until.UTC().Format("2 15h"))
		}
		return s
	}
	want := "U1 2 09h–10 08h; U1 16 12h–30 00h; U2 20 12h–22 00h; "
	ps, err := st.AwayPeriods(ctx, "slack:T1")
	must(t, err)
	if got := show(ps); got != want {
		t.Errorf("AwayPeriods = %s\nwant            %s", got, want)
	}
	ps, err = st.AwayPeriods(ctx, "slack:T1", "U2", "U3", "U9")
	must(t, err)
	if got := show(ps); got != "U2 20 12h–22 00h; " {
		t.Errorf("AwayPeriods(U2, U3, U9) = %s", got)
	}
	if ps, _ := st.AwayPeriods(ctx, "slack:T2"); show(ps) != "U1 16 12h–28 00h; " {
		t.Errorf("another workspace: %s", show(ps))
	}
	if ps, _ := st.AwayPeriods(ctx, "slack:T9"); len(ps) != 0 {
		t.Errorf("a workspace nobody was away in: %s", show(ps))
	}
	// The current state is the last change, as before.
	if u, _ := st.User(ctx, "slack:T1", "U1"); !u.AwayUntil.Equal(d(30)) {
		t.Errorf("U1 away until %v", u.AwayUntil)
	}
	// The history survives a restart.
	if b.Reopen != nil {
		var st2 storage.Store = b.Reopen(t, st)
		if ps, _ := st2.AwayPeriods(ctx, "slack:T1"); show(ps) != want {
			t.Errorf("after a restart: %s", show(ps))
		}
	}
}
