package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/okrbot/okrbot/domain"
)

func nullFloat(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func floatPtr(n sql.NullFloat64) *float64 {
	if !n.Valid {
		return nil
	}
	v := n.Float64
	return &v
}

// CreateKPI stores a new KPI; a slug in use is a conflict.
func (s *Store) CreateKPI(ctx context.Context, k domain.KPI) error {
	err := s.tx(ctx, "sqlite.CreateKPI", func(tx *sql.Tx) error { return s.insertKPI(ctx, tx, k) })
	if err != nil {
		return fmt.Errorf("%s: %w", k.Slug, err)
	}
	return nil
}

// insertKPI stores a new KPI with its history, source and latest value.
func (s *Store) insertKPI(ctx context.Context, tx *sql.Tx, k domain.KPI) error {
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.now()
	}
	if k.Health == "" {
		k.Health = domain.HealthUnknown
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO kpis (workspace, slug, name, unit, direction, target, warn, alert, cadence, owner, team, health, health_since, created_at, archived)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.WorkspaceID, k.Slug, k.Name, k.Unit, string(k.Direction), nullFloat(k.Target), nullFloat(k.Warn), nullFloat(k.Alert),
		string(k.Cadence), k.Owner, k.Team, string(k.Health), ts(k.HealthSince), ts(k.CreatedAt), b2i(k.Archived))
	if isConstraint(err) {
		return domain.Errorf(domain.ECONFLICT, "There is a KPI called %s already.", k.Slug)
	}
	if err != nil {
		return err
	}
	if err := kpiHistory.add(ctx, tx, k.WorkspaceID, k.Slug, k.History); err != nil {
		return err
	}
	if k.Source != nil {
		if err := setSource(ctx, tx, k.WorkspaceID, k.Slug, k.Source); err != nil {
			return err
		}
	}
	if k.Latest != nil {
		_, err = addValue(ctx, tx, *k.Latest)
	}
	return err
}

// kpiBaseCols are a KPI's own columns and its latest value; kpiCols adds
// its source.
const kpiBaseCols = `workspace, slug, name, unit, direction, target, warn, alert, cadence, owner, team, health, health_since, created_at,
	archived, latest_value, latest_at, latest_note, latest_by`

const kpiCols = kpiBaseCols + `, ` + sourceCols

// sourceCols are a KPI's source and its state, in setSource's order.
const sourceCols = `source_kind, source_url, source_path, source_query, source_set_by, source_set_at,
	source_period, source_last_fetch, source_last_value, source_last_error, source_failing_since, source_failures, source_next_at`

func scanKPI(sc interface{ Scan(...any) error }) (domain.KPI, error) {
	var k domain.KPI
	var target, warn, alert, lv sql.NullFloat64
	var since, created, lat sql.NullInt64
	var lnote, lby sql.NullString
	var src domain.KPISource
	var setAt, lastFetch, failingSince, nextAt sql.NullInt64
	var lastValue sql.NullFloat64
	err := sc.Scan(&k.WorkspaceID, &k.Slug, &k.Name, &k.Unit, &k.Direction, &target, &warn, &alert, &k.Cadence, &k.Owner, &k.Team,
		&k.Health, &since, &created, &k.Archived, &lv, &lat, &lnote, &lby,
		&src.Kind, &src.URL, &src.Path, &src.Query, &src.SetBy, &setAt,
		&src.State.Period, &lastFetch, &lastValue, &src.State.LastError, &failingSince, &src.State.Failures, &nextAt)
	k.Target, k.Warn, k.Alert = floatPtr(target), floatPtr(warn), floatPtr(alert)
	k.HealthSince, k.CreatedAt = fromTS(since), fromTS(created)
	if lat.Valid {
		k.Latest = &domain.KPIValue{WorkspaceID: k.WorkspaceID, Slug: k.Slug, Value: lv.Float64, At: fromTS(lat), Note: lnote.String, By: lby.String}
	}
	if src.Kind != "" {
		src.SetAt, src.State.LastFetch, src.State.FailingSince, src.State.NextAt = fromTS(setAt), fromTS(lastFetch), fromTS(failingSince), fromTS(nextAt)
		src.State.LastValue = floatPtr(lastValue)
		k.Source = &src
	}
	return k, err
}

func sourceStateArgs(st domain.SourceState) []any {
	return []any{st.Period, ts(st.LastFetch), nullFloat(st.LastValue), st.LastError, ts(st.FailingSince), st.Failures, ts(st.NextAt)}
}

// setSource writes a KPI's source and its state (nil: none).
func setSource(ctx context.Context, tx *sql.Tx, workspace, slug string, src *domain.KPISource) error {
	if src == nil {
		src = &domain.KPISource{}
	}
	args := append([]any{string(src.Kind), src.URL, src.Path, src.Query, src.SetBy, ts(src.SetAt)}, sourceStateArgs(src.State)...)
	r, err := tx.ExecContext(ctx, `UPDATE kpis SET (`+sourceCols+`) = (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) WHERE workspace = ? AND slug = ?`,
		append(args, workspace, slug)...)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return domain.NotFound("There is no KPI %s.", slug)
	}
	return nil
}

// SetKPISource sets (nil: removes) where okrbot fetches a KPI's values.
func (s *Store) SetKPISource(ctx context.Context, workspace, slug string, src *domain.KPISource) error {
	err := s.tx(ctx, "sqlite.SetKPISource", func(tx *sql.Tx) error { return setSource(ctx, tx, workspace, slug, src) })
	if err != nil {
		return fmt.Errorf("%s: %w", slug, err)
	}
	return nil
}

// SaveSourceState records how the last fetch went, if the KPI's source is
// still the one set at setAt.
func (s *Store) SaveSourceState(ctx context.Context, workspace, slug string, setAt time.Time, st domain.SourceState) error {
	err := s.tx(ctx, "sqlite.SaveSourceState", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE kpis SET (source_period, source_last_fetch, source_last_value, source_last_error,
			source_failing_since, source_failures, source_next_at) = (?, ?, ?, ?, ?, ?, ?)
			WHERE workspace = ? AND slug = ? AND source_kind <> '' AND source_set_at IS ?`,
			append(sourceStateArgs(st), workspace, slug, ts(setAt))...)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", slug, err)
	}
	return nil
}

func kpiIn(ctx context.Context, q querier, workspace, slug string) (domain.KPI, error) {
	k, err := scanKPI(q.QueryRowContext(ctx, `SELECT `+kpiCols+` FROM kpis WHERE workspace = ? AND slug = ?`, workspace, slug))
	if errors.Is(err, sql.ErrNoRows) {
		return k, domain.NotFound("There is no KPI %s.", slug)
	}
	if err != nil {
		return k, err
	}
	k.History, err = kpiHistory.load(ctx, q, workspace, slug)
	return k, err
}

// KPI returns the KPI with slug.
func (s *Store) KPI(ctx context.Context, workspace, slug string) (domain.KPI, error) {
	var k domain.KPI
	err := s.snapshot(ctx, "sqlite.KPI", func(tx *sql.Tx) (err error) {
		k, err = kpiIn(ctx, tx, workspace, slug)
		return err
	})
	if err != nil {
		return k, fmt.Errorf("%s: %w", slug, err)
	}
	return k, nil
}

// KPIs returns the KPIs of a workspace that are not archived, or those
// of them with slugs, by slug, without their history.
func (s *Store) KPIs(ctx context.Context, workspace string, slugs ...string) ([]domain.KPI, error) {
	return s.kpis(ctx, workspace, false, slugs)
}

// AllKPIs returns every KPI of a workspace, archived ones included, by
// slug, without their history.
func (s *Store) AllKPIs(ctx context.Context, workspace string) ([]domain.KPI, error) {
	return s.kpis(ctx, workspace, true, nil)
}

func (s *Store) kpis(ctx context.Context, workspace string, archived bool, slugs []string) ([]domain.KPI, error) {
	var out []domain.KPI
	err := s.read(ctx, "sqlite.KPIs", func(c *sql.Conn) error {
		q, args := `SELECT `+kpiCols+` FROM kpis WHERE workspace = ?`, []any{workspace}
		if !archived {
			q += ` AND archived = 0`
		}
		if len(slugs) > 0 {
			q, args = q+` AND slug IN (SELECT value FROM json_each(?))`, append(args, list(slugs))
		}
		rows, err := c.QueryContext(ctx, q+` ORDER BY slug`, args...)
		out, err = collect(rows, err, func(r *sql.Rows) (domain.KPI, error) { return scanKPI(r) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", workspace, err)
	}
	return out, nil
}

// EditKPI stores what a person may edit of a KPI (name, unit, direction,
// target and thresholds, cadence, owner, team, archived) as k has it, and
// appends changes to its history, in one transaction; its values, latest
// value and alerted health are left alone.
func (s *Store) EditKPI(ctx context.Context, k domain.KPI, changes []domain.Change) error {
	err := s.tx(ctx, "sqlite.EditKPI", func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE kpis SET name = ?, unit = ?, direction = ?, target = ?, warn = ?, alert = ?, cadence = ?,
			owner = ?, team = ?, archived = ? WHERE workspace = ? AND slug = ?`,
			k.Name, k.Unit, string(k.Direction), nullFloat(k.Target), nullFloat(k.Warn), nullFloat(k.Alert), string(k.Cadence),
			k.Owner, k.Team, b2i(k.Archived), k.WorkspaceID, k.Slug)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return domain.NotFound("There is no KPI %s.", k.Slug)
		}
		return kpiHistory.add(ctx, tx, k.WorkspaceID, k.Slug, changes)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", k.Slug, err)
	}
	return nil
}

// addValue records a value and moves the KPI's latest to it unless a later
// one is there. A value whose key the KPI has already is not recorded
// again: recorded is false.
func addValue(ctx context.Context, tx *sql.Tx, v domain.KPIValue) (recorded bool, err error) {
	var key any
	if v.Key != "" {
		key = v.Key
	}
	r, err := tx.ExecContext(ctx, `INSERT INTO kpi_values (workspace, slug, value, at, note, by, key) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, v.WorkspaceID, v.Slug, v.Value, v.At.UnixNano(), v.Note, v.By, key)
	if err != nil {
		if isForeignKey(err) {
			return false, domain.NotFound("There is no KPI %s.", v.Slug)
		}
		return false, err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return false, nil // recorded already, under its key
	}
	_, err = tx.ExecContext(ctx, `UPDATE kpis SET latest_value = ?, latest_at = ?, latest_note = ?, latest_by = ?
		WHERE workspace = ? AND slug = ? AND (latest_at IS NULL OR latest_at <= ?)`,
		v.Value, v.At.UnixNano(), v.Note, v.By, v.WorkspaceID, v.Slug, v.At.UnixNano())
	return true, err
}

// AddKPIValue records a measurement and, unless a later one is recorded,
// makes it the KPI's latest value, in one transaction. A value with a key
// recorded already is left out.
func (s *Store) AddKPIValue(ctx context.Context, v domain.KPIValue) (domain.KPI, error) {
	var k domain.KPI
	if v.At.IsZero() {
		v.At = s.now()
	}
	err := s.tx(ctx, "sqlite.AddKPIValue", func(tx *sql.Tx) (err error) {
		if _, err := addValue(ctx, tx, v); err != nil {
			return err
		}
		k, err = kpiIn(ctx, tx, v.WorkspaceID, v.Slug)
		return err
	})
	if err != nil {
		return k, fmt.Errorf("%s: %w", v.Slug, err)
	}
	return k, nil
}

// KPIValues returns a KPI's measurements, newest first, at most limit.
func (s *Store) KPIValues(ctx context.Context, workspace, slug string, limit int) ([]domain.KPIValue, error) {
	if limit <= 1000 {
		ctx = lookup(ctx) // a list's or a show's read of a KPI it follows: an index range
	}
	var out []domain.KPIValue
	err := s.read(ctx, "sqlite.KPIValues", func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT workspace, slug, value, at, note, by, key FROM kpi_values
			WHERE workspace = ? AND slug = ? ORDER BY at DESC, id DESC LIMIT ?`, workspace, slug, limit)
		out, err = collect(rows, err, func(r *sql.Rows) (domain.KPIValue, error) {
			var v domain.KPIValue
			var at sql.NullInt64
			var key sql.NullString
			err := r.Scan(&v.WorkspaceID, &v.Slug, &v.Value, &at, &v.Note, &v.By, &key)
			v.At, v.Key = fromTS(at), key.String
			return v, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", slug, err)
	}
	return out, nil
}

// kpiReadingsQuery is a KPI's values from the last one before a moment
// (the value it stood at then) onwards, newest first: two ranges of the
// kpi_values_latest index.
const kpiReadingsQuery = `SELECT value, at FROM kpi_values WHERE workspace = ? AND slug = ? AND at >= coalesce(
	(SELECT at FROM kpi_values WHERE workspace = ? AND slug = ? AND at < ? ORDER BY at DESC, id DESC LIMIT 1), ?)
	ORDER BY at DESC, id DESC LIMIT ?`

// KPIReadings returns, for each of slugs, the KPI's values at or after
// since and the last one before it, newest first, at most limit each; only
// their slug, value and time are read.
func (s *Store) KPIReadings(ctx context.Context, workspace string, slugs []string, since time.Time, limit int) (map[string][]domain.KPIValue, error) {
	ctx = lookup(ctx)
	out := make(map[string][]domain.KPIValue, len(slugs))
	err := s.read(ctx, "sqlite.KPIReadings", func(c *sql.Conn) error {
		for _, slug := range slugs {
			if _, ok := out[slug]; ok {
				continue
			}
			from := since.UnixNano()
			rows, err := c.QueryContext(ctx, kpiReadingsQuery, workspace, slug, workspace, slug, from, from, limit)
			vals, err := collect(rows, err, func(r *sql.Rows) (domain.KPIValue, error) {
				v := domain.KPIValue{WorkspaceID: workspace, Slug: slug}
				var at int64
				err := r.Scan(&v.Value, &at)
				v.At = time.Unix(0, at).UTC()
				return v, err
			})
			if err != nil {
				return fmt.Errorf("%s: %w", slug, err)
			}
			out[slug] = vals
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetKPIHealth records a move of a KPI's alerted state; only the caller
// that finds the state still at from gets true.
func (s *Store) SetKPIHealth(ctx context.Context, workspace, slug string, from, to domain.Health, since time.Time) (bool, error) {
	var moved bool
	err := s.tx(ctx, "sqlite.SetKPIHealth", func(tx *sql.Tx) error {
		q := `UPDATE kpis SET health = ?, health_since = ? WHERE workspace = ? AND slug = ? AND health = ?`
		if from == domain.HealthUnknown {
			q = `UPDATE kpis SET health = ?, health_since = ? WHERE workspace = ? AND slug = ? AND health IN (?, '')`
		}
		r, err := tx.ExecContext(ctx, q, string(to), ts(since), workspace, slug, string(from))
		if err == nil {
			n, _ := r.RowsAffected()
			moved = n > 0
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("%s: %w", slug, err)
	}
	return moved, nil
}
