package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

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
				if err := upsertCheckIn(ctx, tx, c); err != nil {
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
func upsertCheckIn(ctx context.Context, tx *sql.Tx, c domain.CheckIn) error {
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
	return err
}

// ImportCheckIns stores check-ins as history, in one transaction.
func (s *Store) ImportCheckIns(ctx context.Context, cs []domain.CheckIn) error {
	return s.tx(ctx, "sqlite.ImportCheckIns", func(tx *sql.Tx) error {
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
			if err := upsertCheckIn(ctx, tx, c); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkInsQuery is the query of CheckIns for f: every filter is an index
// lookup (TestHotQueriesUseIndexes).
func checkInsQuery(workspace string, f domain.CheckInFilter) (string, []any) {
	var b strings.Builder
	b.WriteString(`SELECT workspace, user, kr, objective, week, value, done, confidence, note, at, first_at, by FROM check_ins WHERE workspace = ?`)
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
	if !f.Since.IsZero() {
		and(`at >= ?`, f.Since.UnixNano())
	}
	// +at: sort what the filters found, rather than walk the whole history
	// in the at index to skip the sort.
	b.WriteString(` ORDER BY +at, user, kr`)
	return b.String(), args
}

// CheckIns returns the check-ins matching f, oldest first.
func (s *Store) CheckIns(ctx context.Context, workspace string, f domain.CheckInFilter) ([]domain.CheckIn, error) {
	var out []domain.CheckIn
	err := s.read(ctx, "sqlite.CheckIns", func(c *sql.Conn) error {
		q, args := checkInsQuery(workspace, f)
		rows, err := c.QueryContext(ctx, q, args...)
		out, err = collect(rows, err, func(r *sql.Rows) (domain.CheckIn, error) {
			var c domain.CheckIn
			var at, first sql.NullInt64
			err := r.Scan(&c.WorkspaceID, &c.UserID, &c.KR, &c.Objective, &c.Week, &c.Value, &c.Done, &c.Confidence, &c.Note, &at, &first, &c.By)
			c.At, c.FirstAt = fromTS(at), fromTS(first)
			return c, err
		})
		return err
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
