// Package seed writes a realistic company through a store, for benchmarks
// and performance tests: people in several time zones, a team channel each,
// one objective per person with key results of every kind, weeks of
// check-ins, KPIs with daily values, digest subscriptions and the outbox of
// the weeks gone by. Everything goes through the store's own methods, so
// the data is what okrbot itself would have written; a seed with the same
// Size and moment writes the same company every time.
//
// It is test support: benchmarks call it from their setup, and a later
// performance pass can build larger companies with it.
package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
)

// Size says how large a company to write. Zero fields take the defaults,
// those of issue 9's benchmarks.
type Size struct {
	People          int // 1,000
	KRsPerObjective int // 4 (one objective per person)
	Weeks           int // 13 weeks of check-ins
	Teams           int // 20 team channels
	KPIs            int // 10, with a value a day over the weeks
}

// WithDefaults is s with its zero fields set to the defaults.
func (s Size) WithDefaults() Size {
	if s.People == 0 {
		s.People = 1000
	}
	if s.KRsPerObjective == 0 {
		s.KRsPerObjective = 4
	}
	if s.Weeks == 0 {
		s.Weeks = 13
	}
	if s.Teams == 0 {
		s.Teams = 20
	}
	if s.KPIs == 0 {
		s.KPIs = 10
	}
	return s
}

// Company is what Write wrote.
type Company struct {
	Workspace  string
	Cycle      domain.Cycle
	People     []string      // user ids, U00000…
	Teams      []string      // channel ids, C0000…
	Objectives []string      // refs, one per person in order
	KRs        []string      // refs, KRsPerObjective per objective in order
	KPIs       []string      // slugs
	Weeks      []domain.Week // of the check-ins, oldest first
	At         time.Time     // the moment the company was written for
	CheckIns   int
}

// Store is what Write needs of a store.
type Store interface {
	EnsureWorkspace(ctx context.Context, w domain.Workspace) (domain.Workspace, error)
	SaveUser(ctx context.Context, u domain.User) error
	Subscribe(ctx context.Context, s domain.Subscription) error
	CreateKPI(ctx context.Context, k domain.KPI) error
	AddKPIValue(ctx context.Context, v domain.KPIValue) (domain.KPI, error)
	CreateObjective(ctx context.Context, o *domain.Objective) error
	ImportCheckIns(ctx context.Context, cs []domain.CheckIn) error
	Enqueue(ctx context.Context, entries []domain.OutboxEntry) (int, error)
}

var _ Store = storage.Store(nil)

var zones = []string{"Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC", "America/Los_Angeles", "Europe/London", "Asia/Kolkata"}

// Write writes a company of size into workspace ("slack:T…") of st, as it
// stands at the moment at (a Friday afternoon, say): the check-ins of the
// size.Weeks weeks before, this week's check-in prompts pending, the earlier
// weeks' sent. progress, when not nil, hears what is being written.
func Write(ctx context.Context, st Store, workspace string, size Size, at time.Time, progress func(string)) (Company, error) {
	size = size.WithDefaults()
	if progress == nil {
		progress = func(string) {}
	}
	r := rand.New(rand.NewPCG(uint64(size.People), 42))
	c := Company{Workspace: workspace, Cycle: domain.CycleOf(at, time.UTC), At: at}
	platform, external := domain.Slack, workspace
	if p, e, ok := strings.Cut(workspace, ":"); ok {
		platform, external = domain.Platform(p), e
	}
	if _, err := st.EnsureWorkspace(ctx, domain.Workspace{ID: workspace, Platform: platform, ExternalID: external, Name: "Seeded company",
		Settings: domain.DefaultSettings("Europe/Paris"), CreatedAt: at.AddDate(0, -6, 0)}); err != nil {
		return c, err
	}
	for i := range size.Weeks {
		c.Weeks = append(c.Weeks, domain.WeekOf(at.AddDate(0, 0, -7*(size.Weeks-1-i)), time.UTC))
	}
	progress(fmt.Sprintf("%d people", size.People))
	for i := range size.People {
		u := fmt.Sprintf("U%05d", i)
		c.People = append(c.People, u)
		if err := st.SaveUser(ctx, domain.User{WorkspaceID: workspace, ID: u, Name: fmt.Sprintf("Person %d", i), TimeZone: zones[i%len(zones)]}); err != nil {
			return c, err
		}
	}
	for i := range size.Teams {
		ch := fmt.Sprintf("C%04d", i)
		c.Teams = append(c.Teams, ch)
		if err := st.Subscribe(ctx, domain.Subscription{WorkspaceID: workspace, Channel: ch, By: c.People[0], At: at.AddDate(0, -1, 0)}); err != nil {
			return c, err
		}
	}
	st.Subscribe(ctx, domain.Subscription{WorkspaceID: workspace, Channel: "C0LEADERS", Company: true, By: c.People[0], At: at.AddDate(0, -1, 0)})

	progress(fmt.Sprintf("%d KPIs with %d days of values", size.KPIs, 7*size.Weeks))
	for i := range size.KPIs {
		slug := fmt.Sprintf("kpi-%d", i)
		c.KPIs = append(c.KPIs, slug)
		target, warn, alert := 100.0, 80.0, 60.0
		if err := st.CreateKPI(ctx, domain.KPI{WorkspaceID: workspace, Slug: slug, Name: fmt.Sprintf("KPI %d", i), Unit: "/day", Direction: domain.HigherIsBetter,
			Target: &target, Warn: &warn, Alert: &alert, Cadence: domain.Daily, Owner: c.People[i%len(c.People)], Team: c.Teams[i%len(c.Teams)],
			CreatedAt: at.AddDate(0, 0, -7*size.Weeks-1)}); err != nil {
			return c, err
		}
		v := 70 + r.Float64()*30
		for d := 7 * size.Weeks; d > 0; d-- {
			v += r.NormFloat64() * 3
			if _, err := st.AddKPIValue(ctx, domain.KPIValue{WorkspaceID: workspace, Slug: slug, Value: v, At: at.AddDate(0, 0, -d), By: c.People[i%len(c.People)]}); err != nil {
				return c, err
			}
		}
	}

	progress(fmt.Sprintf("%d objectives with %d key results each", size.People, size.KRsPerObjective))
	var history []domain.CheckIn
	created := at.AddDate(0, 0, -7*size.Weeks-3)
	for i, owner := range c.People {
		team := c.Teams[i%len(c.Teams)]
		o := domain.Objective{WorkspaceID: workspace, Title: fmt.Sprintf("Objective %d of %s", i, team), Owner: owner, Team: team, Cycle: c.Cycle,
			Commitment: []domain.Commitment{domain.Committed, domain.Aspirational}[i%2], Status: domain.Active, CreatedBy: owner, CreatedAt: created.Add(time.Duration(i) * time.Second)}
		type track struct {
			values []float64
			conf   []int
		}
		var tracks []track
		for k := range size.KRsPerObjective {
			kr := keyResult(r, k, owner, c.People, c.KPIs)
			var tr track
			v := kr.Start
			for range size.Weeks {
				v += (kr.Target - kr.Start) / float64(size.Weeks) * (0.5 + r.Float64())
				tr.values = append(tr.values, v)
				tr.conf = append(tr.conf, 3+r.IntN(8))
			}
			// The key result carries where the check-ins left it.
			last := len(tr.values) - 1
			if kr.Kind != domain.Milestone && kr.KPI == "" {
				kr.Current, kr.Measured = tr.values[last], true
			}
			kr.Confidence, kr.UpdatedAt = tr.conf[last], at
			o.KeyResults = append(o.KeyResults, kr)
			tracks = append(tracks, tr)
		}
		if err := st.CreateObjective(ctx, &o); err != nil {
			return c, err
		}
		c.Objectives = append(c.Objectives, o.Ref)
		for k, kr := range o.KeyResults {
			c.KRs = append(c.KRs, kr.Ref)
			for w, week := range c.Weeks {
				history = append(history, domain.CheckIn{WorkspaceID: workspace, UserID: kr.Owner, KR: kr.Ref, Objective: o.Ref, Week: week,
					Value: tracks[k].values[w], Done: kr.Kind == domain.Milestone && w == len(c.Weeks)-1 && kr.Done, Confidence: tracks[k].conf[w],
					Note: []string{"", "", "on track", "blocked on legal", "great week"}[r.IntN(5)],
					At:   week.Start(time.UTC).AddDate(0, 0, 4).Add(15*time.Hour + time.Duration(r.IntN(4*3600))*time.Second)})
			}
		}
	}

	progress(fmt.Sprintf("%d check-ins", len(history)))
	for start := 0; start < len(history); start += 2000 {
		if err := st.ImportCheckIns(ctx, history[start:min(start+2000, len(history))]); err != nil {
			return c, err
		}
	}
	c.CheckIns = len(history)

	progress("the outbox of the weeks gone by")
	for w, week := range c.Weeks {
		entries := make([]domain.OutboxEntry, len(c.People))
		planned := week.Start(time.UTC).AddDate(0, 0, 4).Add(15 * time.Hour)
		for i, u := range c.People {
			e := domain.OutboxEntry{ID: domain.OutboxID(workspace, u, "checkin-prompt", string(week)), WorkspaceID: workspace, Recipient: u,
				Direct: true, Kind: "checkin-prompt", Period: string(week), At: planned, State: domain.OutboxPending, NextAt: planned,
				CreatedAt: planned, ExpiresAt: planned.Add(67 * time.Hour)}
			if w < len(c.Weeks)-1 { // this week's are pending, the earlier weeks' sent
				e.State, e.Attempts, e.MessageID, e.DoneAt = domain.OutboxSent, 1, fmt.Sprintf("%d.%06d", w, r.IntN(1e6)), planned.Add(time.Minute)
			}
			entries[i] = e
		}
		if _, err := st.Enqueue(ctx, entries); err != nil {
			return c, err
		}
	}
	return c, nil
}

// keyResult is the k-th key result of an objective: a mix of every kind,
// some owned by someone else, some following a KPI.
func keyResult(r *rand.Rand, k int, owner string, people, kpis []string) domain.KeyResult {
	kr := domain.KeyResult{Weight: 1, Owner: owner}
	if r.IntN(4) == 0 {
		kr.Owner = people[r.IntN(len(people))]
	}
	switch k % 4 {
	case 0:
		kr.Title, kr.Kind, kr.Start, kr.Target, kr.Unit = "Increase web leads from 22 to 35 per day", domain.Increase, 22, 35, "/day"
		if r.IntN(3) == 0 {
			kr.KPI = kpis[r.IntN(len(kpis))]
		}
	case 1:
		kr.Title, kr.Kind, kr.Start, kr.Target, kr.Unit = "Reduce support response time from 12h to 4h", domain.Decrease, 12, 4, "h"
	case 2:
		kr.Title, kr.Kind, kr.Target, kr.Unit = "Keep churn below 2%", domain.StayBelow, 2, "%"
	default:
		kr.Title, kr.Kind, kr.Target = "Hire a VP of sales for Europe", domain.Milestone, 1
		kr.Done = r.IntN(3) == 0
	}
	kr.Current = kr.Start
	return kr
}
