package sqlite

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
)

var ctx = context.Background()

// migrationSteps checks what each migration did, on a file just brought
// from the version before to its own. Every migration has one: a new
// migration without its step fails TestMigrations.
var migrationSteps = map[int]func(t *testing.T, s *Store){
	1: func(t *testing.T, s *Store) {
		for _, table := range []string{"workspaces", "workspace_admins", "team_settings", "users", "ref_counters", "objectives", "objective_history", "key_results", "initiatives", "kpi_history",
			"check_ins", "week_notes", "kpis", "kpi_values", "subscriptions", "installations", "conversation_refs", "events", "outbox", "leases", "meta"} {
			var n int
			if err := s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil || n != 0 {
				t.Errorf("table %s: %d rows, %v", table, n, err)
			}
		}
		// The foreign keys hold: deleting an objective takes its key results and their check-ins.
		o := domain.Objective{WorkspaceID: "w", Title: "o", Owner: "u", Cycle: "2026-Q4", Commitment: domain.Committed, Status: domain.Active,
			KeyResults: []domain.KeyResult{{Title: "k", Kind: domain.Milestone, Target: 1, Weight: 1, Owner: "u"}}}
		if err := s.CreateObjective(ctx, &o); err != nil {
			t.Fatal(err)
		}
		// (The check-in as this schema holds it: SaveCheckIns writes what later ones have.)
		if _, err := s.w.ExecContext(ctx, `INSERT INTO check_ins (workspace, user, kr, week, objective, value, done, confidence, at)
			VALUES ('w', 'u', ?, '2026-W48', ?, 0, 0, 5, 1)`, o.KeyResults[0].Ref, o.Ref); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteObjective(ctx, "w", o.Ref); err != nil {
			t.Fatal(err)
		}
		var left int
		s.w.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM key_results) + (SELECT COUNT(*) FROM check_ins)`).Scan(&left)
		if left != 0 {
			t.Errorf("%d key results and check-ins outlived their objective", left)
		}
	},
	2: func(t *testing.T, s *Store) {
		var n int
		s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_stat1`).Scan(&n)
		if n < 20 {
			t.Errorf("%d planner statistics", n)
		}
		// A delivery as the engine before the outbox package wrote it.
		if _, err := s.w.ExecContext(ctx, `INSERT INTO outbox (id, workspace, recipient, direct, kind, period, state, created_at)
			VALUES ('w/u/checkin-prompt/2026-W48', 'w', 'u', 1, 'checkin-prompt', '2026-W48', 'pending', 1)`); err != nil {
			t.Fatal(err)
		}
	},
	3: func(t *testing.T, s *Store) {
		// The delivery written before is due, with the columns of now.
		due, err := s.Due(ctx, domain.OutboxQuery{Kinds: []string{"checkin-prompt"}}, time.Now(), 10)
		if err != nil || len(due) != 1 || due[0].NextAt.IsZero() || due[0].Unsure {
			t.Fatalf("a delivery from before the migration: %+v %v", due, err)
		}
		if err := s.SetNextDue(ctx, "w", "digest", time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := s.SavePace(ctx, "slack/T1/chat.postMessage", domain.LearnedPace{Rate: 5}); err != nil {
			t.Fatal(err)
		}
		// A connection opened before the migration plans with the new indexes.
		hotQueriesUseIndexes(t, s)
	},
	4: func(t *testing.T, s *Store) {
		for _, table := range []string{"api_tokens", "idempotency"} {
			var n int
			if err := s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil || n != 0 {
				t.Errorf("table %s: %d rows, %v", table, n, err)
			}
		}
		// The new columns are there.
		if _, err := s.w.ExecContext(ctx, `SELECT email FROM users; SELECT source_kind, source_set_at FROM kpis; SELECT key FROM kpi_values`); err != nil {
			t.Fatal(err)
		}
		// Keyed values are unique per KPI; values without a key are not.
		// (The workspace as okrbot wrote it then: today's code reads columns
		// of migration 5.)
		if _, err := s.w.ExecContext(ctx, `INSERT INTO workspaces (id, platform, external_id, checkin_weekday, checkin_minute, checkin_off, checkin_set,
			reminder_weekday, reminder_minute, reminder_off, reminder_set, digest_weekday, digest_minute, digest_off, digest_set, timezone)
			VALUES ('w3', 'slack', 'w3', 5, 900, 0, 1, 1, 600, 0, 1, 1, 540, 0, 1, 'UTC')`); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateKPI(ctx, domain.KPI{WorkspaceID: "w3", Slug: "k", Name: "k", Direction: domain.HigherIsBetter, Cadence: domain.Daily}); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"a", "a", "", ""} {
			if _, err := s.AddKPIValue(ctx, domain.KPIValue{WorkspaceID: "w3", Slug: "k", Value: 1, Key: key}); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM kpi_values WHERE workspace = 'w3'`).Scan(&n)
		if n != 3 {
			t.Errorf("%d values, want 3 (one keyed twice, two without a key)", n)
		}
		hotQueriesUseIndexes(t, s)
		// A workspace, a team's override and a person away, as okrbot
		// wrote them before the away history (migration 5).
		for _, q := range []string{
			`INSERT INTO workspaces (id, platform, external_id, checkin_weekday, checkin_minute, checkin_off, checkin_set, reminder_weekday, reminder_minute, reminder_off, reminder_set,
				digest_weekday, digest_minute, digest_off, digest_set, timezone) VALUES ('w', 'slack', 'T1', 5, 900, 0, 1, 1, 600, 0, 1, 1, 540, 0, 1, 'UTC')`,
			`INSERT INTO team_settings (workspace, channel, checkin_weekday, checkin_minute, checkin_off, checkin_set, reminder_weekday, reminder_minute, reminder_off, reminder_set,
				digest_weekday, digest_minute, digest_off, digest_set, timezone) VALUES ('w', 'C1', 4, 900, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, '')`,
			`INSERT INTO users (workspace, id, away_until, updated_at) VALUES ('w', 'away', 2000, 1000)`,
		} {
			if _, err := s.w.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
	},
	5: func(t *testing.T, s *Store) {
		// Settings from before read as the default escalation; a team
		// names no lead.
		w, err := s.Workspace(ctx, "w")
		if err != nil || w.Settings.Escalate != (domain.Escalation{}) || w.Settings.Escalate.Threshold() != domain.DefaultEscalateAfter {
			t.Fatalf("workspace after migration 5: %+v %v", w.Settings, err)
		}
		ts, err := s.TeamSettings(ctx, "w")
		if err != nil || len(ts) != 1 || ts[0].Lead != "" || ts[0].Settings.CheckIn.Weekday != time.Thursday || ts[0].Settings.Escalate.Set {
			t.Fatalf("team settings after migration 5: %+v %v", ts, err)
		}
		// The person away has their absence as its first period.
		ps, err := s.AwayPeriods(ctx, "w")
		if err != nil || len(ps) != 1 || ps[0].UserID != "away" || ps[0].From.UnixNano() != 1000 || ps[0].Until.UnixNano() != 2000 {
			t.Fatalf("away periods after migration 5: %+v %v", ps, err)
		}
		hotQueriesUseIndexes(t, s)
	},
	6: func(t *testing.T, s *Store) {
		// A key result's progress line is read from the index alone.
		plan := queryPlan(t, s, `SELECT user, kr, week, value, at FROM check_ins
			WHERE workspace = ? AND kr IN (SELECT value FROM json_each(?)) AND at >= ?`, "w", `["KR-1"]`, 0)
		if len(plan) == 0 || !strings.Contains(plan[0], "USING COVERING INDEX check_ins_kr") {
			t.Errorf("progress lines: %s", strings.Join(plan, "; "))
		}
		var stat string
		s.w.QueryRowContext(ctx, `SELECT stat FROM sqlite_stat1 WHERE idx = 'check_ins_kr'`).Scan(&stat)
		if stat != "200000 200000 13 1 1" {
			t.Errorf("check_ins_kr statistics %q", stat)
		}
		// Check-ins as this schema holds them, for migration 7 to draw
		// their key results' lines from: two weeks of KR-L1 (the second
		// answered twice, by two people), none of KR-L2.
		o := domain.Objective{WorkspaceID: "w", Title: "lines", Owner: "u", Cycle: "2026-Q4", Commitment: domain.Committed, Status: domain.Active,
			KeyResults: []domain.KeyResult{{Ref: "KR-L1", Title: "a", Kind: domain.Increase, Target: 10, Weight: 1, Owner: "u"},
				{Ref: "KR-L2", Title: "b", Kind: domain.Increase, Target: 10, Weight: 1, Owner: "u"}}}
		if err := s.CreateObjective(ctx, &o); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			user, week string
			value      float64
			at         int64
		}{{"u", "2026-W47", 0.1 + 0.2, 100}, {"u", "2026-W48", 2, 200}, {"v", "2026-W48", 3, 300}} {
			if _, err := s.w.ExecContext(ctx, `INSERT INTO check_ins (workspace, user, kr, week, objective, value, done, confidence, at)
				VALUES ('w', ?, ?, ?, ?, ?, 0, 5, ?)`, c.user, o.KeyResults[0].Ref, c.week, o.Ref, c.value, c.at); err != nil {
				t.Fatal(err)
			}
		}
	},
	7: func(t *testing.T, s *Store) {
		// Each key result's line is its check-ins' weekly points, exact.
		os, err := s.Objectives(ctx, "w", domain.ObjectiveFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var krs []string
		for _, o := range os {
			for _, kr := range o.KeyResults {
				krs = append(krs, kr.Ref)
			}
		}
		got, err := s.CheckInPoints(ctx, "w", krs, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		l1 := got[os[len(os)-1].KeyResults[0].Ref]
		if len(got) != 1 || len(l1) != 2 || l1[0].Value != 0.1+0.2 || l1[0].At.UnixNano() != 100 || l1[1].Value != 3 || l1[1].At.UnixNano() != 300 {
			t.Errorf("lines after migration 7: %+v", got)
		}
		hotQueriesUseIndexes(t, s)
	},
}

// queryPlan is SQLite's plan of q, one line per step.
func queryPlan(t *testing.T, s *Store, q string, args ...any) []string {
	t.Helper()
	plan, err := explain(s, q, args...)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// explain returns SQLite's plan of q.
func explain(s *Store, q string, args ...any) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		rows.Scan(&id, &parent, &unused, &detail)
		plan = append(plan, detail)
	}
	return plan, rows.Err()
}

func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	for i, m := range migrations {
		if m.version != i+1 {
			t.Fatalf("migration %d has version %d: versions go up by one", i, m.version)
		}
		step, ok := migrationSteps[m.version]
		if !ok {
			t.Fatalf("migration %d (%s) has no step in migrationSteps", m.version, m.name)
		}
		s, err := open(ctx, path, Options{}, migrations[:i+1])
		if err != nil {
			t.Fatalf("migrating to %d: %v", m.version, err)
		}
		if v, _ := s.schemaVersion(ctx); v != m.version {
			t.Fatalf("after migration %d the version is %d", m.version, v)
		}
		step(t, s)
		var problems int
		s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&problems)
		var ok2 string
		s.w.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok2)
		if problems != 0 || ok2 != "ok" {
			t.Fatalf("after migration %d: %d foreign key problems, integrity %q", m.version, problems, ok2)
		}
		s.Close(ctx)
	}
	// Opening again applies nothing twice.
	s, err := open(ctx, path, Options{}, migrations)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n)
	if n != len(migrations) {
		t.Errorf("%d migrations recorded, want %d", n, len(migrations))
	}
	// A file from a newer okrbot is refused, not written to.
	if _, err := s.w.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from the future', 0)`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	s.Close(ctx)
	_, err = open(ctx, path, Options{}, migrations)
	if err == nil || !strings.Contains(err.Error(), "newer okrbot") {
		t.Fatalf("a file from a newer okrbot: %v", err)
	}
}

// TestHotQueriesUseIndexes holds the queries the conversations and the
// rhythm make to index lookups: their cost follows what they return, not
// the history the store holds.
func TestHotQueriesUseIndexes(t *testing.T) {
	s, err := open(ctx, filepath.Join(t.TempDir(), FileName), Options{}, migrations)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	hotQueriesUseIndexes(t, s)
}

// dueOf, nextDueOf and deliveriesOf are the outbox's queries for q, with
// their arguments.
func dueOf(q domain.OutboxQuery) (string, []any) {
	where, args := scope(q)
	return dueQuery(where), append(args, time.Now().UnixNano(), time.Now().UnixNano(), 200)
}

func nextDueOf(q domain.OutboxQuery) (string, []any) {
	where, args := scope(q)
	return nextDueQuery(where), args
}

func deliveriesOf(q domain.OutboxQuery, periods []string) (string, []any) {
	where, args := scope(q)
	return deliveriesQuery(where), append(append(append([]any{}, args...), list(periods)), args...)
}

func hotQueriesUseIndexes(t *testing.T, s *Store) {
	week := []domain.Week{"2026-W48"}
	type q struct {
		sql  string
		args []any
	}
	of := func(sql string, args []any) q { return q{sql, args} }
	queries := map[string]q{
		"a person's objectives (list mine)":                                of(objectivesQuery("w", domain.ObjectiveFilter{Person: "U1", Cycle: "2026-Q4"})),
		"a person's key results (check-in form)":                           of(objectivesQuery("w", domain.ObjectiveFilter{KROwner: "U1", Statuses: []domain.ObjectiveStatus{domain.Active}})),
		"a team's objectives":                                              of(objectivesQuery("w", domain.ObjectiveFilter{Team: "C1", Cycle: "2026-Q4"})),
		"a cycle's objectives (company digest)":                            of(objectivesQuery("w", domain.ObjectiveFilter{Cycle: "2026-Q4"})),
		"objectives following a KPI":                                       of(objectivesQuery("w", domain.ObjectiveFilter{KPI: "leads"})),
		"one objective":                                                    of(objectivesQuery("w", domain.ObjectiveFilter{Refs: []string{"O-1"}})),
		"a key result's recent check-ins":                                  of(checkInsQuery("w", domain.CheckInFilter{KRs: []string{"KR-1"}, Since: time.Now()}, false)),
		"key results' progress lines (list)":                               {checkInPointsQuery, []any{"w", `["KR-1","KR-2"]`}},
		"a week's check-ins of a team":                                     of(checkInsQuery("w", domain.CheckInFilter{Team: "C1", Weeks: week}, false)),
		"a person's check-ins of a week":                                   of(checkInsQuery("w", domain.CheckInFilter{User: "U1", Weeks: week, KRs: []string{"KR-1"}}, false)),
		"a week's check-ins":                                               of(checkInsQuery("w", domain.CheckInFilter{Weeks: week}, false)),
		"the check-ins since a date (digest)":                              of(checkInsQuery("w", domain.CheckInFilter{Since: time.Now()}, false)),
		"the check-ins of most of the history (whole: a company's digest)": of(checkInsQuery("w", domain.CheckInFilter{Since: time.Now()}, true)),
		"the first check-in (whole range: MIN reads one entry)":            {`SELECT MIN(at) FROM check_ins WHERE workspace = ?`, []any{"w"}},
		"how many check-ins most of the history holds (sizes the read)":    {`SELECT COUNT(*) FROM check_ins WHERE workspace = ? AND at >= ?`, []any{"w", 0}},
		"due deliveries":                                                   of(dueOf(domain.OutboxQuery{Kinds: []string{"reminder"}, Workspaces: []string{"w"}})),
		"when the next delivery is due":                                    of(nextDueOf(domain.OutboxQuery{Kinds: []string{"reminder"}, Workspaces: []string{"w"}})),
		"a run's report":                                                   of(deliveriesOf(domain.OutboxQuery{Kinds: []string{"reminder"}, Workspaces: []string{"w"}}, []string{"2026-W48"})),
		"workspaces due (the idle tick)":                                   {dueWorkspacesQuery, []any{`["w","v"]`, "reminder", time.Now().UnixNano()}},
		"a KPI's latest values":                                            {`SELECT value FROM kpi_values WHERE workspace = ? AND slug = ? ORDER BY at DESC, id DESC LIMIT ?`, []any{"w", "leads", 20}},
		"a KPI's values since a moment (status)":                           {kpiReadingsQuery, []any{"w", "leads", "w", "leads", 0, 0, 1000}},
		"a key result by ref":                                              {`SELECT objective, ` + krCols + ` FROM key_results WHERE workspace = ? AND ref = ?`, []any{"w", "KR-1"}},
		"the bot's chat with a person":                                     {`SELECT ` + refCols + ` FROM conversation_refs WHERE workspace = ? AND user = ? AND type = 'personal' ORDER BY updated_at DESC LIMIT 1`, []any{"w", "u"}},
		"finished deliveries to clean up":                                  {strings.Replace(cleanupQuery, "DELETE", "SELECT id", 1), []any{0}},
		"an API token by its hash":                                         {`SELECT ` + tokenCols + ` FROM api_tokens WHERE id = ?`, []any{"h"}},
		"a workspace's API tokens (whole: a few)":                          {`SELECT ` + tokenCols + ` FROM api_tokens WHERE workspace = ? ORDER BY revoked_at IS NOT NULL, name, created_at`, []any{"w"}},
		"a live API token by name":                                         {`SELECT id FROM api_tokens WHERE workspace = ? AND name = ? AND revoked_at IS NULL`, []any{"w", "etl"}},
		"an idempotency key":                                               {`SELECT ` + idemCols + ` FROM idempotency WHERE id = ?`, []any{"w/k"}},
		"old idempotency keys to clean up":                                 {`SELECT id FROM idempotency WHERE created_at < ?`, []any{0}},
		"a KPI value by its key":                                           {`SELECT id FROM kpi_values WHERE workspace = ? AND slug = ? AND key = ?`, []any{"w", "leads", "k"}},
		"unfinished deliveries (depth metric)":                             {depthQuery, nil},
		"people's away history (streaks, review)":                          of(awayQuery("w", []string{"U1", "U2"})),
	}
	version, _ := s.schemaVersion(ctx)
	for name, q := range queries {
		plan, err := explain(s, q.sql, q.args...)
		if err != nil && version < len(migrations) && strings.Contains(err.Error(), "no such") {
			continue // a query of a later migration's tables, checked after it
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, line := range plan {
			scan := strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, "json_each")
			// A search on the workspace alone walks all of its history.
			whole := strings.HasSuffix(line, "(workspace=?)") && !strings.Contains(name, "whole")
			if scan || whole {
				t.Errorf("%s reads more than it needs (%s):\n  %s", name, line, strings.Join(plan, "\n  "))
				break
			}
		}
	}
}

// TestUpgradesAreLogged: each migration applied to a store that had a
// schema is logged with its version and name; a new file is created at the
// latest schema without a line per migration.
func TestUpgradesAreLogged(t *testing.T) {
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	path := filepath.Join(t.TempDir(), FileName)
	s, err := open(ctx, path, Options{Log: log}, migrations[:len(migrations)-2])
	if err != nil {
		t.Fatal(err)
	}
	s.Close(ctx)
	if logs.Len() != 0 {
		t.Errorf("a new file logged:\n%s", logs.String())
	}
	if s, err = open(ctx, path, Options{Log: log}, migrations); err != nil {
		t.Fatal(err)
	}
	s.Close(ctx)
	got := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(got) != 2 {
		t.Fatalf("two migrations applied, logged:\n%s", logs.String())
	}
	for i, m := range migrations[len(migrations)-2:] {
		if !strings.Contains(got[i], "upgraded the store's schema") || !strings.Contains(got[i], fmt.Sprintf("version=%d", m.version)) || !strings.Contains(got[i], m.name) {
			t.Errorf("line %d: %s", i, got[i])
		}
	}
}
