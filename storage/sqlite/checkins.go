package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// SaveCheckIns stores check-ins with what they do to their key results,
// the confidences of skipped answers, and the week note, in one
// transaction.
func (s *Store) SaveCheckIns(ctx context.Context, cs, skipped []domain.CheckIn, note domain.WeekNote) error {
	const op = "sqlite.SaveCheckIns"
	all := append(append([]domain.CheckIn(nil), cs...), skipped...)
	err := s.tx(ctx, op, func(tx *sql.Tx) error {
		touched := map[[2]string]bool{}
		lines := pendingLines{}
		for i, c := range all {
			if c.At.IsZero() {
				c.At = s.now()
			}
			kr, oref, err := keyResultIn(ctx, tx, c.WorkspaceID, c.KR)
			if err != nil {
				return err
			}
			c.Objective = oref
			if i < len(cs) {
				kr.Apply(c)
				if err := upsertCheckIn(ctx, tx, c, lines); err != nil {
					return err
				}
			} else {
				kr.ApplySkipped(c)
			}
			_, err = tx.ExecContext(ctx, `UPDATE key_results SET current = ?, measured = ?, done = ?, confidence = ?, updated_at = ?
				WHERE workspace = ? AND ref = ?`, kr.Current, b2i(kr.Measured), b2i(kr.Done), kr.Confidence, ts(kr.UpdatedAt), c.WorkspaceID, c.KR)
			if err != nil {
				return err
			}
			touched[[2]string{c.WorkspaceID, oref}] = true
		}
		if err := lines.refresh(ctx, tx); err != nil {
			return err
		}
		for k := range touched {
			if _, err := tx.ExecContext(ctx, `UPDATE objectives SET version = version + 1, updated_at = ? WHERE workspace = ? AND ref = ?`,
				ts(s.now()), k[0], k[1]); err != nil {
				return err
			}
		}
		if note.Empty() {
			return nil
		}
		if note.At.IsZero() {
			note.At = s.now()
		}
		return saveWeekNote(ctx, tx, note)
	})
	if err != nil {
		return err
	}
	return nil
}

// keyResultIn reads one key result and the ref of its objective.
func keyResultIn(ctx context.Context, q querier, workspace, ref string) (domain.KeyResult, string, error) {
	var kr domain.KeyResult
	var oref string
	var updated sql.NullInt64
	var created sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT objective, `+krCols+` FROM key_results WHERE workspace = ? AND ref = ?`, workspace, ref).Scan(
		&oref, &kr.Ref, &kr.Title, &kr.Kind, &kr.Start, &kr.Target, &kr.Current, &kr.Measured, &kr.Done, &kr.Unit, &kr.Weight,
		&kr.Owner, &kr.KPI, &kr.Confidence, &updated, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return kr, "", domain.NotFound("There is no key result %s.", ref)
	}
	kr.UpdatedAt, kr.CreatedAt = fromTS(updated), fromTS(created)
	return kr, oref, err
}

// upsertCheckIn stores c, or replaces the week's check-in of its person and
// key result with it, keeping when the week was first answered.
func upsertCheckIn(ctx context.Context, tx *sql.Tx, c domain.CheckIn, lines pendingLines) error {
	first := c.FirstAt
	if first.IsZero() {
		first = c.At
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO check_ins (workspace, user, kr, week, objective, value, done, confidence, note, at, first_at, by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace, user, kr, week) DO UPDATE SET objective = excluded.objective, value = excluded.value,
			done = excluded.done, confidence = excluded.confidence, note = excluded.note, at = excluded.at,
			first_at = COALESCE(first_at, excluded.first_at), by = excluded.by`,
		c.WorkspaceID, c.UserID, c.KR, string(c.Week), c.Objective, c.Value, b2i(c.Done), c.Confidence, c.Note, ts(c.At), ts(first), c.By)
	if isForeignKey(err) {
		return domain.NotFound("There is no key result %s.", c.KR)
	}
	if err == nil {
		lines.mark(c.WorkspaceID, c.KR)
	}
	return err
}

// ImportCheckIns stores check-ins as history, in one transaction.
func (s *Store) ImportCheckIns(ctx context.Context, cs []domain.CheckIn) error {
	return s.tx(ctx, "sqlite.ImportCheckIns", func(tx *sql.Tx) error {
		lines := pendingLines{}
		for _, c := range cs {
			if c.At.IsZero() {
				c.At = s.now()
			}
			if c.Objective == "" {
				var err error
				if c.Objective, err = objectiveOfKR(ctx, tx, c.WorkspaceID, c.KR); err != nil {
					return err
				}
			}
			if err := upsertCheckIn(ctx, tx, c, lines); err != nil {
				return err
			}
		}
		return lines.refresh(ctx, tx)
	})
}

// checkInsQuery is the query of CheckIns for f: every filter is an index
// lookup (TestHotQueriesUseIndexes), but for most of the workspace's
// history (most), which is read in the table's own order instead.
func checkInsQuery(workspace string, f domain.CheckInFilter, most bool) (string, []any) {
	var b strings.Builder
	b.WriteString(`SELECT user, kr, objective, week, value, done, confidence, note, at, first_at, by FROM check_ins WHERE workspace = ?`)
	args := []any{workspace}
	and := func(cond string, a ...any) {
		b.WriteString(" AND " + cond)
		args = append(args, a...)
	}
	if f.User != "" {
		and(`user = ?`, f.User)
	}
	if len(f.Weeks) > 0 {
		and(`week IN (SELECT value FROM json_each(?))`, list(f.Weeks))
	}
	if len(f.KRs) > 0 {
		and(`kr IN (SELECT value FROM json_each(?))`, list(f.KRs))
	}
	if f.Team != "" {
		and(`kr IN (SELECT ref FROM key_results WHERE workspace = ? AND objective IN (SELECT ref FROM objectives WHERE workspace = ? AND team = ?))`,
			workspace, workspace, f.Team)
	}
	switch {
	case !f.Since.IsZero() && most:
		// Not the at index: a lookup of each row it finds costs four
		// times a walk of the workspace's rows in the table (2.3 s
		// against 0.5 s for the 520,000 check-ins of 10,000 people).
		and(`+at >= ?`, f.Since.UnixNano())
	case !f.Since.IsZero():
		and(`at >= ?`, f.Since.UnixNano())
	}
	// No ORDER BY: CheckIns sorts what the filters found in Go, which costs
	// a fraction of SQLite's sorter (and never tempts the planner to walk
	// the whole history in the at index to skip a sort).
	return b.String(), args
}

// sortCheckIns puts check-ins in CheckIns' order: oldest first, then by
// person, key result and week. A company's digest reads half a million,
// in the table's order: their positions are sorted, on the times as
// integers, and the check-ins then moved once each to their place (sorting
// the check-ins themselves moved each of them, 184 bytes, twenty times).
func sortCheckIns(cs []domain.CheckIn) {
	less := func(a, b *domain.CheckIn) int {
		return cmp.Or(strings.Compare(a.UserID, b.UserID), strings.Compare(a.KR, b.KR), strings.Compare(string(a.Week), string(b.Week)))
	}
	at := make([]int64, len(cs))
	for i := range cs {
		at[i] = cs[i].At.UnixNano()
	}
	sorted := true
	for i := 1; i < len(cs) && sorted; i++ {
		sorted = at[i-1] < at[i] || at[i-1] == at[i] && less(&cs[i-1], &cs[i]) <= 0
	}
	if sorted {
		return
	}
	pos := make([]int32, len(cs))
	for i := range pos {
		pos[i] = int32(i)
	}
	// Read in the table's order (person, key result, week), positions
	// break the ties of time as those would: no string is compared.
	inKeyOrder := true
	for i := 1; i < len(cs) && inKeyOrder; i++ {
		inKeyOrder = less(&cs[i-1], &cs[i]) <= 0
	}
	if inKeyOrder {
		slices.SortFunc(pos, func(a, b int32) int { return cmp.Or(cmp.Compare(at[a], at[b]), cmp.Compare(a, b)) })
	} else {
		slices.SortFunc(pos, func(a, b int32) int { return cmp.Or(cmp.Compare(at[a], at[b]), less(&cs[a], &cs[b])) })
	}
	// Place i takes the check-in at pos[i]: follow each cycle once.
	for i := range pos {
		if pos[i] == int32(i) {
			continue
		}
		held, j := cs[i], int32(i)
		for {
			k := pos[j]
			pos[j] = j
			if k == int32(i) {
				cs[j] = held
				break
			}
			cs[j] = cs[k]
			j = k
		}
	}
}

// mostOfHistory is the share of a workspace's history (by time, from its
// first check-in to now) beyond which CheckIns walks the table rather than
// the at index.
const mostOfHistory = 0.25

// CheckIns returns the check-ins matching f, oldest first.
func (s *Store) CheckIns(ctx context.Context, workspace string, f domain.CheckInFilter) ([]domain.CheckIn, error) {
	var out []domain.CheckIn
	err := s.read(ctx, "sqlite.CheckIns", func(c *sql.Conn) error {
		most := false
		if !f.Since.IsZero() && f.User == "" && len(f.Weeks) == 0 && len(f.KRs) == 0 && f.Team == "" {
			// Only a time (a company's digest): how much of the history?
			var first sql.NullInt64
			if err := c.QueryRowContext(ctx, `SELECT MIN(at) FROM check_ins WHERE workspace = ?`, workspace).Scan(&first); err != nil {
				return err
			}
			now := s.now().UnixNano()
			most = first.Valid && (f.Since.UnixNano() <= first.Int64 ||
				float64(now-f.Since.UnixNano()) >= mostOfHistory*float64(now-first.Int64))
		}
		// Most of the history (a company's digest: half a million check-ins
		// of 184 bytes) is counted first, from the at index, so that the
		// slice is allocated once: grown by appending, its last two arrays
		// were alive together, some 170 MB.
		var size int64
		if most {
			if err := c.QueryRowContext(ctx, `SELECT COUNT(*) FROM check_ins WHERE workspace = ? AND at >= ?`, workspace, f.Since.UnixNano()).Scan(&size); err != nil {
				return err
			}
		}
		q, args := checkInsQuery(workspace, f, most)
		rows, err := c.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		out = make([]domain.CheckIn, 0, size)
		// Scanned as the driver's values, converted here: database/sql
		// converts to float64, int and named string types by reflection,
		// a third of the time of a digest's half million rows. People, key
		// results, objectives and weeks repeat from row to row: one copy
		// of each is kept (a digest's half million check-ins held 40 MB
		// of copies of the same names).
		var v [11]any
		dest := []any{&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10]}
		seen := map[string]string{}
		intern := func(x any) string {
			t := colText(x)
			if u, ok := seen[t]; ok {
				return u
			}
			seen[t] = t
			return t
		}
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			out = append(out, domain.CheckIn{WorkspaceID: workspace, UserID: intern(v[0]), KR: intern(v[1]), Objective: intern(v[2]), Week: domain.Week(intern(v[3])),
				Value: colFloat(v[4]), Done: colInt(v[5]) != 0, Confidence: int(colInt(v[6])), Note: colText(v[7]),
				At: colTime(v[8]), FirstAt: colTime(v[9]), By: intern(v[10])})
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", workspace, err)
	}
	sortCheckIns(out)
	return out, nil
}

// checkInPointsQuery reads key results' progress lines (lines.go): one
// row each, by its primary key.
const checkInPointsQuery = `SELECT ref, line FROM key_results
	WHERE workspace = ? AND ref IN (SELECT value FROM json_each(?))`

// CheckInPoints returns the progress lines of key results since a moment.
func (s *Store) CheckInPoints(ctx context.Context, workspace string, krs []string, since time.Time) (map[string][]domain.Point, error) {
	ctx = lookup(ctx)
	out := make(map[string][]domain.Point, len(krs))
	if len(krs) == 0 {
		return out, nil
	}
	err := s.read(ctx, "sqlite.CheckInPoints", func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, checkInPointsQuery, workspace, list(krs))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ref string
			var line sql.RawBytes
			if err := rows.Scan(&ref, &line); err != nil {
				return err
			}
			pts, err := decodeLine(line, since)
			if err != nil {
				return fmt.Errorf("%s: %w", ref, err)
			}
			if len(pts) > 0 {
				out[ref] = pts
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", workspace, err)
	}
	return out, nil
}

// WeekNotes returns the notes of a week by person.
func (s *Store) WeekNotes(ctx context.Context, workspace string, week domain.Week) ([]domain.WeekNote, error) {
	return s.weekNotes(ctx, `WHERE workspace = ? AND week = ? ORDER BY user`, workspace, string(week))
}

// AllWeekNotes returns every week note of a workspace, by week and person.
func (s *Store) AllWeekNotes(ctx context.Context, workspace string) ([]domain.WeekNote, error) {
	return s.weekNotes(ctx, `WHERE workspace = ? ORDER BY week, user`, workspace)
}

func (s *Store) weekNotes(ctx context.Context, where string, args ...any) ([]domain.WeekNote, error) {
	var out []domain.WeekNote
	err := s.read(ctx, "sqlite.WeekNotes", func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT workspace, user, week, note, wins, blockers, help, at FROM week_notes `+where, args...)
		out, err = collect(rows, err, func(r *sql.Rows) (domain.WeekNote, error) {
			var n domain.WeekNote
			var at sql.NullInt64
			err := r.Scan(&n.WorkspaceID, &n.UserID, &n.Week, &n.Note, &n.Wins, &n.Blockers, &n.Help, &at)
			n.At = fromTS(at)
			return n, err
		})
		return err
	})
	return out, err
}

// saveWeekNote stores a person's note of a week, replacing the one there.
func saveWeekNote(ctx context.Context, tx *sql.Tx, note domain.WeekNote) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO week_notes (workspace, week, user, note, wins, blockers, help, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace, week, user) DO UPDATE SET note = excluded.note, wins = excluded.wins, blockers = excluded.blockers,
			help = excluded.help, at = excluded.at`,
		note.WorkspaceID, string(note.Week), note.UserID, note.Note, note.Wins, note.Blockers, note.Help, ts(note.At))
	return err
}

// The driver's values of a column, as scanned into an any: TEXT is a
// string, INTEGER an int64, REAL a float64, NULL nil.

func colText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return ""
}

func colInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}

func colFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	}
	return 0
}

// colTime is a time column: Unix nanoseconds, NULL for none.
func colTime(v any) time.Time {
	if n, ok := v.(int64); ok {
		return time.Unix(0, n).UTC()
	}
	return time.Time{}
}
