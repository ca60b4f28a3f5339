package conformance

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/testclock"
)

// parallel runs f(i) for i in [0, n) at once and waits for all.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}

func testConcurrentModifyLosesNothing(t *testing.T, b Backend) {
	b.require(t, true, false)
	st := b.Open(t, nil)
	o := objective(t, st, "slack:T1", "U1")
	parallel(20, func(int) {
		_, err := st.ModifyObjective(ctx, "slack:T1", o.Ref, func(o *domain.Objective) error {
			o.KeyResults[0].Current++
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})
	got, _ := st.Objective(ctx, "slack:T1", o.Ref)
	if got.KeyResults[0].Current != 42 || got.Version != 21 {
		t.Errorf("after 20 increments: current %v, version %d; want 42 and 21", got.KeyResults[0].Current, got.Version)
	}
}

func testRefsAreUniqueUnderConcurrency(t *testing.T, b Backend) {
	b.require(t, true, false)
	st := b.Open(t, nil)
	var mu sync.Mutex
	seen := map[string]bool{}
	parallel(20, func(i int) {
		o := domain.Objective{WorkspaceID: "slack:T1", Title: "o", Owner: "U1", Cycle: "2026-Q4", Commitment: domain.Committed, Status: domain.Active,
			KeyResults: []domain.KeyResult{{Title: "a", Kind: domain.Milestone, Target: 1, Weight: 1, Owner: "U1"}, {Title: "b", Kind: domain.Milestone, Target: 1, Weight: 1, Owner: "U1"}}}
		if i%2 == 1 { // half add their key results to an existing objective
			o.KeyResults = nil
		}
		if err := st.CreateObjective(ctx, &o); err != nil {
			t.Error(err)
			return
		}
		if i%2 == 1 {
			var err error
			o, err = st.ModifyObjective(ctx, "slack:T1", o.Ref, func(o *domain.Objective) error {
				o.KeyResults = append(o.KeyResults, domain.KeyResult{Title: "a", Kind: domain.Milestone, Target: 1, Weight: 1, Owner: "U1"},
					domain.KeyResult{Title: "b", Kind: domain.Milestone, Target: 1, Weight: 1, Owner: "U1"})
				return nil
			})
			if err != nil {
				t.Error(err)
				return
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range []string{o.Ref, o.KeyResults[0].Ref, o.KeyResults[1].Ref} {
			if seen[r] {
				t.Errorf("ref %s handed out twice", r)
			}
			seen[r] = true
		}
	})
	if !b.Guarantees.Transactions {
		return // without transactions a retried step may skip a number
	}
	for i := 1; i <= 20; i++ {
		if !seen[fmt.Sprintf("O-%d", i)] {
			t.Errorf("O-%d was skipped", i)
		}
	}
	for i := 1; i <= 40; i++ {
		if !seen[fmt.Sprintf("KR-%d", i)] {
			t.Errorf("KR-%d was skipped", i)
		}
	}
}

// testFiftyUpdatesOfOneObjectiveAllLand is fifty people answering
// "/okr update KR-n …" on key results of one objective at the same moment.
func testFiftyUpdatesOfOneObjectiveAllLand(t *testing.T, b Backend) {
	b.require(t, true, false)
	st := b.Open(t, nil)
	o := domain.Objective{WorkspaceID: "slack:T1", Title: "o", Owner: "U0", Cycle: "2026-Q4", Commitment: domain.Committed, Status: domain.Active}
	for i := range 50 {
		o.KeyResults = append(o.KeyResults, domain.KeyResult{Title: "k", Kind: domain.Increase, Target: 100, Weight: 1, Owner: fmt.Sprintf("U%d", i)})
	}
	must(t, st.CreateObjective(ctx, &o))
	parallel(50, func(i int) {
		c := checkIn(o, i, fmt.Sprintf("U%d", i), "2026-W48", float64(i+1), 1+i%10)
		if err := st.SaveCheckIns(ctx, []domain.CheckIn{c}, nil, domain.WeekNote{}); err != nil {
			t.Error(err)
		}
	})
	got, _ := st.Objective(ctx, "slack:T1", o.Ref)
	for i, kr := range got.KeyResults {
		if kr.Current != float64(i+1) || kr.Confidence != 1+i%10 || !kr.Measured {
			t.Errorf("%s lost its update: %+v", kr.Ref, kr)
		}
	}
	if got.Version != o.Version+50 {
		t.Errorf("version %d after 50 updates, want %d", got.Version, o.Version+50)
	}
	if cs, _ := st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{}); len(cs) != 50 {
		t.Errorf("%d check-ins, want 50", len(cs))
	}
}

// testFiftyCheckInsOfOneKeyResultAgree is one key result checked in fifty
// times at once (a double-clicked form, a retried request): whichever lands
// last, the check-in and the key result say the same.
func testFiftyCheckInsOfOneKeyResultAgree(t *testing.T, b Backend) {
	b.require(t, true, false)
	st := b.Open(t, nil)
	o := objective(t, st, "slack:T1", "U1")
	parallel(50, func(i int) {
		c := checkIn(o, 0, "U1", "2026-W48", float64(100+i), 1+i%10)
		c.Note = fmt.Sprint(i)
		if err := st.SaveCheckIns(ctx, []domain.CheckIn{c}, nil, domain.WeekNote{}); err != nil {
			t.Error(err)
		}
	})
	cs, _ := st.CheckIns(ctx, "slack:T1", domain.CheckInFilter{})
	got, _ := st.Objective(ctx, "slack:T1", o.Ref)
	kr := got.KeyResults[0]
	if len(cs) != 1 || cs[0].Value != kr.Current || cs[0].Confidence != kr.Confidence {
		t.Fatalf("the check-in %+v and the key result %+v disagree", cs, kr)
	}
	// Its progress line agrees too: one point, the check-in that stands.
	if line, err := st.CheckInPoints(ctx, "slack:T1", []string{kr.Ref}, time.Time{}); err != nil || len(line[kr.Ref]) != 1 ||
		line[kr.Ref][0].Value != cs[0].Value || !line[kr.Ref][0].At.Equal(cs[0].At) {
		t.Fatalf("the progress line %v (%v) and the check-in %+v disagree", line, err, cs[0])
	}
	if got.Version != o.Version+50 {
		t.Errorf("version %d after 50 check-ins, want %d", got.Version, o.Version+50)
	}
}

func testLeaseHasOneWinner(t *testing.T, b Backend) {
	b.require(t, true, false)
	c := testclock.New(friday)
	st := b.Open(t, c.Now)
	st.AcquireLease(ctx, "job/checkin-prompts", "A", time.Minute)
	c.Add(61 * time.Second) // A died
	for round := range 2 {
		var wins atomic.Int32
		parallel(5, func(i int) {
			if _, ok, err := st.AcquireLease(ctx, "job/checkin-prompts", fmt.Sprintf("%d-%d", round, i), time.Minute); err != nil {
				t.Error(err)
			} else if ok {
				wins.Add(1)
			}
		})
		if wins.Load() != 1 {
			t.Fatalf("round %d: %d processes took the expired lease", round, wins.Load())
		}
		c.Add(61 * time.Second)
	}
	// A lease nobody ever held, asked for by several at once.
	var wins atomic.Int32
	parallel(5, func(i int) {
		if _, ok, _ := st.AcquireLease(ctx, "job/digests", fmt.Sprint(i), time.Minute); ok {
			wins.Add(1)
		}
	})
	if wins.Load() != 1 {
		t.Fatalf("%d processes took a new lease", wins.Load())
	}
}

func testKPIHealthChangeHasOneWinner(t *testing.T, b Backend) {
	b.require(t, true, false)
	st := b.Open(t, nil)
	must(t, st.CreateKPI(ctx, domain.KPI{WorkspaceID: "slack:T1", Slug: "nps", Name: "NPS", Direction: domain.HigherIsBetter, Cadence: domain.Weekly}))
	var wins atomic.Int32
	parallel(10, func(int) {
		if ok, err := st.SetKPIHealth(ctx, "slack:T1", "nps", domain.HealthUnknown, domain.HealthRed, friday); err != nil {
			t.Error(err)
		} else if ok {
			wins.Add(1)
		}
	})
	if wins.Load() != 1 {
		t.Fatalf("%d callers recorded the same change", wins.Load())
	}
}
