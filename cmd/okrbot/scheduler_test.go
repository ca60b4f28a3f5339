package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/okrbot/okrbot/conversations"
	"github.com/okrbot/okrbot/conversations/rhythm"
	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
)

func TestSchedulerTicksWithAFakeClock(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	f := newFixture(t)
	f.clock.Set(time.Date(2026, 11, 18, 12, 0, 0, 0, tokyo))
	f.team(map[string]string{"aki": "Asia/Tokyo"})
	start := time.Date(2026, 11, 20, 14, 57, 30, 0, tokyo)
	fc := clockwork.NewFakeClockAt(start)
	s := newFakeSender()
	// Two replicas on one database, each with its own scheduler.
	for range 2 {
		sc, err := newScheduler(f.engine(s, engineOptions{}), f.st, fc, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := sc.Start(bg); err != nil {
			t.Fatal(err)
		}
		defer sc.Shutdown()
	}
	f.clock.Set(start)
	for i := range 5 { // 14:58 … 15:02, one tick a minute
		fc.BlockUntilContext(bg, 2*len(rhythm.Jobs)+2)
		fc.Advance(time.Minute)
		f.clock.Set(fc.Now())
		time.Sleep(150 * time.Millisecond) // let the ticks run
		n, _ := s.count(domain.KindCheckInPrompt)
		if fc.Now().Before(time.Date(2026, 11, 20, 15, 0, 0, 0, tokyo)) && n != 0 {
			t.Fatalf("tick %d at %s: prompted early", i, fc.Now().In(tokyo))
		}
	}
	// A tick still running when the next is due makes gocron skip that one
	// (under the race detector on a busy machine the first tick, which
	// plans everything, can take seconds): keep the minutes coming.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if n, _ := s.count(domain.KindCheckInPrompt); n > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
		fc.Advance(time.Minute)
		f.clock.Set(fc.Now())
	}
	if n, dup := s.count(domain.KindCheckInPrompt); n != 1 || dup != 0 {
		t.Fatalf("%d prompts (%d duplicates) from two replicas", n, dup)
	}
}

// countingStore counts the calls the rhythm and the outbox make of the
// store; the compiler checks it has every one of them.
type countingStore struct {
	st storage.Store
	mu sync.Mutex
	n  map[string]int
}

var _ rhythmStore = (*countingStore)(nil)

func newCountingStore(st storage.Store) *countingStore {
	return &countingStore{st: st, n: map[string]int{}}
}

func (c *countingStore) count(name string) {
	c.mu.Lock()
	c.n[name]++
	c.mu.Unlock()
}

// take returns the counts so far, and starts again.
func (c *countingStore) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.n
	c.n = map[string]int{}
	return out
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func (c *countingStore) Workspaces(ctx context.Context) ([]domain.Workspace, error) {
	c.count("Workspaces")
	return c.st.Workspaces(ctx)
}
func (c *countingStore) Workspace(ctx context.Context, id string) (domain.Workspace, error) {
	c.count("Workspace")
	return c.st.Workspace(ctx, id)
}
func (c *countingStore) TeamSettings(ctx context.Context, ws string) ([]domain.TeamSettings, error) {
	c.count("TeamSettings")
	return c.st.TeamSettings(ctx, ws)
}
func (c *countingStore) Users(ctx context.Context, ws string, ids ...string) ([]domain.User, error) {
	c.count("Users")
	return c.st.Users(ctx, ws, ids...)
}
func (c *countingStore) AwayPeriods(ctx context.Context, ws string, ids ...string) ([]domain.AwayPeriod, error) {
	c.count("AwayPeriods")
	return c.st.AwayPeriods(ctx, ws, ids...)
}
func (c *countingStore) Objectives(ctx context.Context, ws string, f domain.ObjectiveFilter) ([]domain.Objective, error) {
	c.count("Objectives")
	return c.st.Objectives(ctx, ws, f)
}
func (c *countingStore) CheckIns(ctx context.Context, ws string, f domain.CheckInFilter) ([]domain.CheckIn, error) {
	c.count("CheckIns")
	return c.st.CheckIns(ctx, ws, f)
}
func (c *countingStore) Subscriptions(ctx context.Context, ws string) ([]domain.Subscription, error) {
	c.count("Subscriptions")
	return c.st.Subscriptions(ctx, ws)
}
func (c *countingStore) KPI(ctx context.Context, ws, slug string) (domain.KPI, error) {
	c.count("KPI")
	return c.st.KPI(ctx, ws, slug)
}
func (c *countingStore) KPIs(ctx context.Context, ws string, slugs ...string) ([]domain.KPI, error) {
	c.count("KPIs")
	return c.st.KPIs(ctx, ws, slugs...)
}
func (c *countingStore) SetKPIHealth(ctx context.Context, ws, slug string, from, to domain.Health, since time.Time) (bool, error) {
	c.count("SetKPIHealth")
	return c.st.SetKPIHealth(ctx, ws, slug, from, to, since)
}
func (c *countingStore) DueWorkspaces(ctx context.Context, kind string, until time.Time, wss []string) ([]string, error) {
	c.count("DueWorkspaces")
	return c.st.DueWorkspaces(ctx, kind, until, wss)
}
func (c *countingStore) SetNextDue(ctx context.Context, ws, kind string, at time.Time) error {
	c.count("SetNextDue")
	return c.st.SetNextDue(ctx, ws, kind, at)
}
func (c *countingStore) Enqueue(ctx context.Context, es []domain.OutboxEntry) (int, error) {
	c.count("Enqueue")
	return c.st.Enqueue(ctx, es)
}
func (c *countingStore) Due(ctx context.Context, q domain.OutboxQuery, now time.Time, limit int) ([]domain.OutboxEntry, error) {
	c.count("Due")
	return c.st.Due(ctx, q, now, limit)
}
func (c *countingStore) NextDue(ctx context.Context, q domain.OutboxQuery) (time.Time, bool, error) {
	c.count("NextDue")
	return c.st.NextDue(ctx, q)
}
func (c *countingStore) Claim(ctx context.Context, e domain.OutboxEntry, holder string, until time.Time) (domain.OutboxEntry, bool, error) {
	c.count("Claim")
	return c.st.Claim(ctx, e, holder, until)
}
func (c *countingStore) Renew(ctx context.Context, e domain.OutboxEntry, until time.Time) (bool, error) {
	c.count("Renew")
	return c.st.Renew(ctx, e, until)
}
func (c *countingStore) Finish(ctx context.Context, e domain.OutboxEntry) (bool, error) {
	c.count("Finish")
	return c.st.Finish(ctx, e)
}
func (c *countingStore) Deliveries(ctx context.Context, q domain.OutboxQuery, periods []string) ([]domain.OutboxEntry, error) {
	c.count("Deliveries")
	return c.st.Deliveries(ctx, q, periods)
}
func (c *countingStore) OutboxDepth(ctx context.Context) (map[[2]string]int, error) {
	c.count("OutboxDepth")
	return c.st.OutboxDepth(ctx)
}
func (c *countingStore) CleanupOutbox(ctx context.Context, before time.Time) (int64, error) {
	c.count("CleanupOutbox")
	return c.st.CleanupOutbox(ctx, before)
}

// A prompt costs a constant number of store calls, whatever the size of the
// workspace: the workspace is read once per run, by the planning, and the
// composing reads the same snapshot.
func TestAPromptCostsConstantStoreCalls(t *testing.T) {
	perRun := map[int]map[string]int{}
	for _, n := range []int{10, 60} {
		f := newFixture(t)
		seedCompany(t, f.st, n, "slack:T1", "T1")
		cs := newCountingStore(f.st)
		en := newEngine(cs, f.svc, map[domain.Platform]conversations.Sender{domain.Slack: newFakeSender()}, engineOptions{})
		f.clock.Set(friday.Add(time.Hour))
		rep, err := en.run(bg, rhythm.JobCheckInPrompts, friday.Add(time.Hour), runOptions{All: true})
		if err != nil || rep.Stats.Sent != n {
			t.Fatalf("%d people: %s %v", n, rep, err)
		}
		perRun[n] = cs.take()
		for _, read := range []string{"Objectives", "Users", "CheckIns", "TeamSettings"} {
			if got := perRun[n][read]; got != 1 {
				t.Errorf("%d people: %s read %d times in one run, want once", n, read, got)
			}
		}
	}
	small, large := perRun[10], perRun[60]
	perPrompt := float64(total(large)-total(small)) / 50
	t.Logf("store calls: %d for 10 prompts, %d for 60: %.2f per prompt (%v)", total(small), total(large), perPrompt, large)
	if perPrompt > 2.1 {
		t.Errorf("%.2f store calls per prompt, want a claim and a finish", perPrompt)
	}
}

// A tick at a moment nobody is due reads nobody: one look at the next-due
// index, and not even the outbox.
func TestAnIdleTickReadsNobody(t *testing.T) {
	f := newFixture(t)
	seedCompany(t, f.st, 20, "slack:T1", "T1")
	cs := newCountingStore(f.st)
	en := newEngine(cs, f.svc, map[domain.Platform]conversations.Sender{domain.Slack: newFakeSender()}, engineOptions{})
	fc := clockwork.NewFakeClockAt(time.Date(2026, 11, 18, 12, 0, 0, 0, time.UTC))
	sc, err := newScheduler(en, f.st, fc, nil)
	if err != nil {
		t.Fatal(err)
	}
	tick := func() {
		t.Helper()
		fc.Advance(time.Minute)
		for _, job := range rhythm.Jobs {
			if _, err := sc.run(bg, job); err != nil {
				t.Fatal(err)
			}
		}
	}
	tick() // the first tick plans every workspace once
	cs.take()
	for range 3 {
		tick()
	}
	calls := cs.take()
	if want := map[string]int{"Workspaces": 3 * len(rhythm.Jobs), "DueWorkspaces": 3 * len(rhythm.Jobs)}; !maps.Equal(calls, want) {
		t.Errorf("store calls of %d idle ticks: %v, want %v", 3*len(rhythm.Jobs), calls, want)
	}
	// Friday 15:00 comes: the index says so, and the workspace is planned.
	fc.Advance(friday.Add(time.Minute).Sub(fc.Now()))
	f.clock.Set(fc.Now())
	rep, err := sc.run(bg, rhythm.JobCheckInPrompts)
	if err != nil || rep.Stats.Sent != 20 {
		t.Fatalf("the Friday tick: %+v %v", rep.Stats, err)
	}
	// A change of settings marks the workspace: the next tick plans it.
	admin := testActor("boss")
	admin.Admin = true
	f.must(admin, "/okr settings checkin thursday 15:00")
	cs.take()
	tick()
	if calls := cs.take(); calls["Objectives"] == 0 {
		t.Errorf("a tick after a change of settings did not plan the workspace: %v", calls)
	}
}

// checkInRecorder records the check-in reads of the conversations.
type checkInRecorder struct {
	conversations.Store
	mu      sync.Mutex
	filters []domain.CheckInFilter
}

func (r *checkInRecorder) CheckIns(ctx context.Context, ws string, f domain.CheckInFilter) ([]domain.CheckIn, error) {
	r.mu.Lock()
	r.filters = append(r.filters, f)
	r.mu.Unlock()
	return r.Store.CheckIns(ctx, ws, f)
}

// A team's digest reads its own team's check-ins, not the workspace's.
func TestATeamsDigestReadsOnlyItsTeam(t *testing.T) {
	f := newFixture(t)
	rec := &checkInRecorder{Store: rhythm.Watch(f.st, f.st, nil)}
	f.svc = conversations.New(rec, conversations.Options{Now: f.clock.Now})
	f.clock.Set(friday.Add(-48 * time.Hour))
	for i, team := range []string{"CA", "CB"} {
		lead := testActor(fmt.Sprintf("lead%d", i))
		lead.Channel = team
		f.must(lead, "/okr create Objective of "+team, fmt.Sprintf("/okr kr add O-%d Increase deals from 0 to 10", i+1))
		f.must(lead, fmt.Sprintf("/okr update KR-%d 3 confidence 7", i+1))
	}
	admin := testActor("boss")
	admin.Admin, admin.Channel = true, "CA"
	f.must(admin, "/okr digest subscribe")
	s := newFakeSender()
	rec.filters = nil
	rep := f.run(f.engine(s, engineOptions{}), rhythm.JobDigests, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	if rep.Stats.Sent != 1 {
		t.Fatalf("%s", rep)
	}
	if len(rec.filters) == 0 {
		t.Fatal("the digest read no check-ins")
	}
	for _, fl := range rec.filters {
		if !slices.Equal(fl.KRs, []string{"KR-1"}) {
			t.Errorf("team CA's digest read check-ins with %+v", fl)
		}
	}
}
