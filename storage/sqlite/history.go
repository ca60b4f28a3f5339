package sqlite

import (
	"context"
	"database/sql"

	"github.com/okrbot/okrbot/domain"
)

// History (domain.Change) lives in objective_history and kpi_history, one
// row per change, read with a single objective or KPI (lists leave it out:
// it can hold domain.MaxHistory entries each, and no list shows it).

// history names a history table and its subject column.
type history struct{ table, subject string }

var (
	objectiveHistory = history{"objective_history", "objective"}
	kpiHistory       = history{"kpi_history", "slug"}
)

func (h history) load(ctx context.Context, q querier, workspace, subject string) ([]domain.Change, error) {
	rows, err := q.QueryContext(ctx, `SELECT at, by, ref, field, from_value, to_value FROM `+h.table+`
		WHERE workspace = ? AND `+h.subject+` = ? ORDER BY seq`, workspace, subject)
	out, err := collect(rows, err, func(r *sql.Rows) (domain.Change, error) {
		var c domain.Change
		var at sql.NullInt64
		err := r.Scan(&at, &c.By, &c.Ref, &c.Field, &c.From, &c.To)
		c.At = fromTS(at)
		return c, err
	})
	if len(out) == 0 {
		out = nil
	}
	return out, err
}

// save writes next as the subject's history, which was cur: the new
// entries when next only adds to cur (the usual edit), else all of it.
func (h history) save(ctx context.Context, tx *sql.Tx, workspace, subject string, cur, next []domain.Change) error {
	if len(next) >= len(cur) && sameChanges(cur, next[:len(cur)]) {
		return h.add(ctx, tx, workspace, subject, next[len(cur):])
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+h.table+` WHERE workspace = ? AND `+h.subject+` = ?`, workspace, subject); err != nil {
		return err
	}
	return h.add(ctx, tx, workspace, subject, next)
}

// add appends changes to the subject's history and drops the oldest beyond
// domain.MaxHistory.
func (h history) add(ctx context.Context, tx *sql.Tx, workspace, subject string, changes []domain.Change) error {
	if len(changes) == 0 {
		return nil
	}
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM `+h.table+` WHERE workspace = ? AND `+h.subject+` = ?`,
		workspace, subject).Scan(&last); err != nil {
		return err
	}
	for i, c := range changes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+h.table+` (workspace, `+h.subject+`, seq, at, by, ref, field, from_value, to_value)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, workspace, subject, last+int64(i)+1, ts(c.At), c.By, c.Ref, c.Field, c.From, c.To); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM `+h.table+` WHERE workspace = ? AND `+h.subject+` = ? AND seq <= ?`,
		workspace, subject, last+int64(len(changes))-domain.MaxHistory)
	return err
}

func sameChanges(a, b []domain.Change) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if !x.At.Equal(y.At) || x.By != y.By || x.Ref != y.Ref || x.Field != y.Field || x.From != y.From || x.To != y.To {
			return false
		}
	}
	return true
}
