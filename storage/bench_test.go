package storage_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/ferretdbtest"
	"github.com/okrbot/okrbot/internal/seed"
	"github.com/okrbot/okrbot/storage"
	"github.com/okrbot/okrbot/storage/mongo"
	"github.com/okrbot/okrbot/storage/sqlite"
)

func TestMain(m *testing.M) { ferretdbtest.Main(m) }

// The benchmarks of issue 9: the lookups the conversations and the rhythm
// make, on a company of 1,000 people, 1,000 objectives, 4,000 key results
// and 13 weeks of check-ins (52,000), on each store. See docs/benchmarks.md.
//
//	OKRBOT_BENCH_STORES=sqlite go test ./storage -run '^$' -bench Lookups -benchtime 200x -count 3
//	go test ./storage -run '^$' -bench Lookups -benchtime 5x
//
// OKRBOT_BENCH_PEOPLE changes the company's size, OKRBOT_BENCH_STORES
// picks stores (sqlite,ferretdb,mongodb); MONGODB_URI adds MongoDB.

var friday = time.Date(2026, 12, 18, 15, 30, 0, 0, time.UTC)

type seeded struct {
	name string
	st   storage.Store
	co   seed.Company
	took time.Duration
}

var (
	seedOnce sync.Once
	stores   []seeded
	seedErr  error
)

func people() int {
	var n int
	if _, err := fmt.Sscan(os.Getenv("OKRBOT_BENCH_PEOPLE"), &n); err == nil && n > 0 {
		return n
	}
	return 1000
}

// seededStores writes the company once per test binary into each store.
func seededStores(b *testing.B) []seeded {
	seedOnce.Do(func() {
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "okrbot-bench-")
		if err != nil {
			seedErr = err
			return
		}
		lite, err := sqlite.Open(ctx, dir, sqlite.Options{})
		if err != nil {
			seedErr = err
			return
		}
		type named struct {
			name string
			st   storage.Store
		}
		open := []named{{"SQLite", lite}}
		srv := ferretdbtest.Shared(b)
		ferDB := ferretdbtest.DatabaseName()
		fer, err := mongo.Open(ctx, srv.URI, ferDB, mongo.Options{Timeout: 10 * time.Minute})
		if err == nil {
			// The _id index okrbot's FerretDB store added (see ferretdbtest.Prepare).
			err = srv.Prepare(ctx, ferDB)
		}
		if err != nil {
			seedErr = err
			return
		}
		open = append(open, named{"FerretDB", fer})
		if uri := os.Getenv("MONGODB_URI"); uri != "" {
			m, err := mongo.Open(ctx, uri, ferretdbtest.DatabaseName(), mongo.Options{})
			if err != nil {
				seedErr = err
				return
			}
			open = append(open, named{"MongoDB", m})
		}
		for _, o := range open {
			if want := os.Getenv("OKRBOT_BENCH_STORES"); want != "" && !strings.Contains(","+strings.ToLower(want)+",", ","+strings.ToLower(o.name)+",") {
				continue
			}
			start := time.Now()
			co, err := seed.Write(ctx, o.st, "slack:T0BENCH", seed.Size{People: people()}, friday, nil)
			if err != nil {
				seedErr = fmt.Errorf("seed %s: %w", o.name, err)
				return
			}
			stores = append(stores, seeded{o.name, o.st, co, time.Since(start)})
		}
	})
	if seedErr != nil {
		b.Fatal(seedErr)
	}
	return stores
}

func BenchmarkLookups(b *testing.B) {
	ctx := context.Background()
	for _, s := range seededStores(b) {
		co := s.co
		b.Logf("%s: seeded %d people, %d objectives, %d key results, %d check-ins in %v", s.name, len(co.People), len(co.Objectives), len(co.KRs), co.CheckIns, s.took.Round(time.Second))
		person, kr, team, week := co.People[len(co.People)/2], co.KRs[len(co.KRs)/2], co.Teams[3], co.Weeks[len(co.Weeks)-1]
		lookups := []struct {
			name string
			do   func() (int, error)
		}{
			{"objectives-of-a-person", func() (int, error) {
				os, err := s.st.Objectives(ctx, co.Workspace, domain.ObjectiveFilter{Person: person, Cycle: co.Cycle})
				return len(os), err
			}},
			{"recent-checkins-of-a-kr", func() (int, error) {
				cs, err := s.st.CheckIns(ctx, co.Workspace, domain.CheckInFilter{KRs: []string{kr}, Since: friday.AddDate(0, 0, -28)})
				return len(cs), err
			}},
			{"week-checkins-of-a-team", func() (int, error) {
				cs, err := s.st.CheckIns(ctx, co.Workspace, domain.CheckInFilter{Team: team, Weeks: []domain.Week{week}})
				return len(cs), err
			}},
			{"due-deliveries", func() (int, error) {
				es, err := s.st.Due(ctx, domain.OutboxQuery{Kinds: []string{"checkin-prompt"}, Workspaces: []string{co.Workspace}}, friday, 200)
				return len(es), err
			}},
			{"kpi-latest-values", func() (int, error) {
				vs, err := s.st.KPIValues(ctx, co.Workspace, co.KPIs[2], 20)
				return len(vs), err
			}},
		}
		for _, l := range lookups {
			b.Run(s.name+"/"+l.name, func(b *testing.B) {
				n := 0
				for b.Loop() {
					got, err := l.do()
					if err != nil {
						b.Fatal(err)
					}
					n = got
				}
				if n == 0 {
					b.Fatalf("%s found nothing", l.name)
				}
				b.ReportMetric(float64(n), "rows")
			})
		}
		b.Run(s.name+"/checkin-and-its-kr", func(b *testing.B) {
			o, err := s.st.ObjectiveOfKR(ctx, co.Workspace, kr)
			if err != nil {
				b.Fatal(err)
			}
			owner := o.KeyResult(kr).Owner
			i := 0
			for b.Loop() {
				i++
				c := domain.CheckIn{WorkspaceID: co.Workspace, UserID: owner, KR: kr, Objective: o.Ref, Week: week, Value: float64(i), Confidence: 7}
				if err := s.st.SaveCheckIns(ctx, []domain.CheckIn{c}, nil, domain.WeekNote{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
