package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
)

// ImportData writes an import in one transaction: all of it or nothing.
// Times are kept as the batch gives them, and every ref it holds raises
// its counter (insertObjective, saveKeyResults), so none is handed out
// again.
func (s *Store) ImportData(ctx context.Context, workspace string, b domain.ImportBatch) error {
	const op = "sqlite.ImportData"
	now := s.now()
	err := s.tx(ctx, op, func(tx *sql.Tx) error {
		if w := b.Workspace; w != nil {
			if w.ID != workspace {
				return domain.Invalid("", "The import's workspace is %s, not %s.", w.ID, workspace)
			}
			in := *w
			if in.CreatedAt.IsZero() {
				in.CreatedAt = now
			}
			ok, err := insertWorkspace(ctx, tx, in)
			if err != nil {
				return err
			}
			if !ok {
				return domain.Errorf(domain.ECONFLICT, "The workspace %s exists already.", w.ID)
			}
		}
		for _, u := range b.People {
			u.WorkspaceID = workspace
			updated := u.UpdatedAt
			if updated.IsZero() {
				updated = now
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO users (workspace, id, name, email, timezone, away_until, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (workspace, id) DO UPDATE SET
					name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE name END,
					email = CASE WHEN excluded.email <> '' THEN excluded.email ELSE email END,
					timezone = CASE WHEN excluded.timezone <> '' THEN excluded.timezone ELSE timezone END,
					away_until = COALESCE(excluded.away_until, away_until),
					updated_at = excluded.updated_at`,
				u.WorkspaceID, u.ID, u.Name, u.Email, u.TimeZone, ts(u.AwayUntil), ts(updated)); err != nil {
				return err
			}
			// An absence imported is a change of the away history (as
			// SetAway's), from when the person was last updated.
			if !u.AwayUntil.IsZero() {
				if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO away_changes (workspace, user, at, until) VALUES (?, ?, ?, ?)`,
					u.WorkspaceID, u.ID, updated.UnixNano(), ts(u.AwayUntil)); err != nil {
					return err
				}
			}
		}
		for _, k := range b.KPIs {
			k.WorkspaceID = workspace
			if err := s.insertKPI(ctx, tx, k); err != nil {
				return fmt.Errorf("%s: %w", k.Slug, err)
			}
		}
		for _, v := range b.KPIValues {
			v.WorkspaceID = workspace
			if _, err := addValue(ctx, tx, v); err != nil {
				return fmt.Errorf("%s: %w", v.Slug, err)
			}
		}
		for _, in := range b.Objectives {
			o, err := storage.ImportedObjective(in, workspace, now)
			if err != nil {
				return err
			}
			if err := insertObjective(ctx, tx, &o); err != nil {
				return fmt.Errorf("%s: %w", o.Ref, err)
			}
		}
		for oref, krs := range b.KeyResults {
			o, err := objectiveIn(ctx, tx, workspace, oref)
			if err != nil {
				return err
			}
			old := make([]string, len(o.KeyResults))
			for i, kr := range o.KeyResults {
				old[i] = kr.Ref
			}
			o.KeyResults = append(o.KeyResults, krs...)
			o.Version, o.UpdatedAt = o.Version+1, now
			if err := updateObjective(ctx, tx, o); err != nil {
				return err
			}
			if err := saveKeyResults(ctx, tx, &o, old); err != nil {
				return fmt.Errorf("%s: %w", oref, err)
			}
		}
		lines := pendingLines{}
		for _, c := range b.CheckIns {
			c.WorkspaceID = workspace
			if c.At.IsZero() {
				c.At = now
			}
			if c.Objective == "" {
				var err error
				if c.Objective, err = objectiveOfKR(ctx, tx, workspace, c.KR); err != nil {
					return err
				}
			}
			if err := upsertCheckIn(ctx, tx, c, lines); err != nil {
				return err
			}
		}
		if err := lines.refresh(ctx, tx); err != nil {
			return err
		}
		for _, n := range b.WeekNotes {
			n.WorkspaceID = workspace
			if n.At.IsZero() {
				n.At = now
			}
			if err := saveWeekNote(ctx, tx, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", workspace, err)
	}
	return nil
}
