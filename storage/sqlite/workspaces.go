package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// settingsCols are the columns of a domain.Settings, in settingsArgs order.
const settingsCols = `checkin_weekday, checkin_minute, checkin_off, checkin_set,
	reminder_weekday, reminder_minute, reminder_off, reminder_set,
	digest_weekday, digest_minute, digest_off, digest_set, timezone,
	escalate_after, escalate_off, escalate_set`

// settingsMarks are the placeholders of settingsCols.
var settingsMarks = marks(strings.Count(settingsCols, ",") + 1)

func settingsArgs(st domain.Settings) []any {
	var out []any
	for _, sc := range []domain.Schedule{st.CheckIn, st.Reminder, st.Digest} {
		out = append(out, int(sc.Weekday), sc.Minute, b2i(sc.Off), b2i(sc.Set))
	}
	e := st.Escalate
	return append(out, st.TimeZone, e.After, b2i(e.Off), b2i(e.Set))
}

func settingsDest(st *domain.Settings) []any {
	var out []any
	for _, sc := range []*domain.Schedule{&st.CheckIn, &st.Reminder, &st.Digest} {
		out = append(out, (*weekday)(&sc.Weekday), &sc.Minute, &sc.Off, &sc.Set)
	}
	e := &st.Escalate
	return append(out, &st.TimeZone, &e.After, &e.Off, &e.Set)
}

// marks returns n placeholders: "?, ?, ?".
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// weekday scans an integer column into a time.Weekday.
type weekday time.Weekday

func (w *weekday) Scan(v any) error {
	n, ok := v.(int64)
	if !ok {
		return fmt.Errorf("weekday: %T", v)
	}
	*w = weekday(n)
	return nil
}

// EnsureWorkspace stores w unless it exists and returns the stored one. It
// reads first: it runs on every request, and a read never waits for the
// writer.
func (s *Store) EnsureWorkspace(ctx context.Context, w domain.Workspace) (domain.Workspace, error) {
	const op = "sqlite.EnsureWorkspace"
	got, err := s.Workspace(ctx, w.ID)
	if domain.ErrorCode(err) != domain.ENOTFOUND {
		return got, err
	}
	if w.CreatedAt.IsZero() {
		w.CreatedAt = s.now()
	}
	err = s.tx(ctx, op, func(tx *sql.Tx) error {
		_, err := insertWorkspace(ctx, tx, w) // not inserted: another request made it meanwhile
		return err
	})
	if err != nil {
		return domain.Workspace{}, fmt.Errorf("%s: %w", w.ID, err)
	}
	return s.Workspace(ctx, w.ID)
}

// insertWorkspace stores w with its admins unless a workspace with its id
// exists, and reports whether it did.
func insertWorkspace(ctx context.Context, tx *sql.Tx, w domain.Workspace) (bool, error) {
	r, err := tx.ExecContext(ctx, `INSERT INTO workspaces (id, platform, external_id, name, `+settingsCols+`, created_at)
		VALUES (?, ?, ?, ?, `+settingsMarks+`, ?) ON CONFLICT (id) DO NOTHING`,
		append(append([]any{w.ID, string(w.Platform), w.ExternalID, w.Name}, settingsArgs(w.Settings)...), ts(w.CreatedAt))...)
	if err != nil {
		return false, err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return false, nil
	}
	for _, a := range w.Admins {
		if _, err := tx.ExecContext(ctx, `INSERT INTO workspace_admins (workspace, user) VALUES (?, ?) ON CONFLICT DO NOTHING`, w.ID, a); err != nil {
			return false, err
		}
	}
	return true, nil
}

const workspaceCols = `id, platform, external_id, name, ` + settingsCols + `, created_at,
	(SELECT json_group_array(user) FROM (SELECT user FROM workspace_admins a WHERE a.workspace = w.id ORDER BY rowid))`

func scanWorkspace(sc interface{ Scan(...any) error }) (domain.Workspace, error) {
	var w domain.Workspace
	var created sql.NullInt64
	var admins string
	dest := append([]any{&w.ID, &w.Platform, &w.ExternalID, &w.Name}, settingsDest(&w.Settings)...)
	if err := sc.Scan(append(dest, &created, &admins)...); err != nil {
		return w, err
	}
	w.CreatedAt = fromTS(created)
	if err := jsonStrings(admins, &w.Admins); err != nil {
		return w, err
	}
	return w, nil
}

// Workspace returns the workspace with id.
func (s *Store) Workspace(ctx context.Context, id string) (domain.Workspace, error) {
	ctx = lookup(ctx)
	const op = "sqlite.Workspace"
	var w domain.Workspace
	err := s.read(ctx, op, func(c *sql.Conn) (err error) {
		w, err = scanWorkspace(c.QueryRowContext(ctx, `SELECT `+workspaceCols+` FROM workspaces w WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return domain.NotFound("This workspace is not set up yet.")
		}
		return err
	})
	if err != nil {
		return w, fmt.Errorf("%s: %w", id, err)
	}
	return w, nil
}

// Workspaces returns every workspace by id.
func (s *Store) Workspaces(ctx context.Context) ([]domain.Workspace, error) {
	var out []domain.Workspace
	err := s.read(ctx, "sqlite.Workspaces", func(c *sql.Conn) (err error) {
		rows, err := c.QueryContext(ctx, `SELECT `+workspaceCols+` FROM workspaces w ORDER BY id`)
		out, err = collect(rows, err, func(r *sql.Rows) (domain.Workspace, error) { return scanWorkspace(r) })
		return err
	})
	return out, err
}

// AddAdmin makes user an admin of the workspace.
func (s *Store) AddAdmin(ctx context.Context, workspace, user string) error {
	err := s.tx(ctx, "sqlite.AddAdmin", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO workspace_admins (workspace, user) SELECT id, ? FROM workspaces WHERE id = ? ON CONFLICT DO NOTHING`, user, workspace)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", workspace, err)
	}
	return nil
}

// NameWorkspace records the workspace's name.
func (s *Store) NameWorkspace(ctx context.Context, id, name string) error {
	return s.updateWorkspace(ctx, "sqlite.NameWorkspace", id, `UPDATE workspaces SET name = ? WHERE id = ?`, name, id)
}

// SaveSettings replaces the workspace's rhythm settings.
func (s *Store) SaveSettings(ctx context.Context, workspace string, st domain.Settings) error {
	return s.updateWorkspace(ctx, "sqlite.SaveSettings", workspace, `UPDATE workspaces SET (`+settingsCols+`) = (`+settingsMarks+`) WHERE id = ?`,
		append(settingsArgs(st), workspace)...)
}

// updateWorkspace runs an update of one workspace's row: ENOTFOUND when
// there is no such workspace.
func (s *Store) updateWorkspace(ctx context.Context, op, workspace, query string, args ...any) error {
	err := s.tx(ctx, op, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return domain.NotFound("This workspace is not set up yet.")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", workspace, err)
	}
	return nil
}

// TeamSettings returns the team overrides of a workspace by channel.
func (s *Store) TeamSettings(ctx context.Context, workspace string) ([]domain.TeamSettings, error) {
	var out []domain.TeamSettings
	err := s.read(ctx, "sqlite.TeamSettings", func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT workspace, channel, lead, `+settingsCols+` FROM team_settings WHERE workspace = ? ORDER BY channel`, workspace)
		out, err = collect(rows, err, func(r *sql.Rows) (domain.TeamSettings, error) {
			var t domain.TeamSettings
			return t, r.Scan(append([]any{&t.WorkspaceID, &t.Channel, &t.Lead}, settingsDest(&t.Settings)...)...)
		})
		return err
	})
	return out, err
}

// SaveTeamSettings stores a team's override.
func (s *Store) SaveTeamSettings(ctx context.Context, t domain.TeamSettings) error {
	err := s.tx(ctx, "sqlite.SaveTeamSettings", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO team_settings (workspace, channel, lead, `+settingsCols+`) VALUES (?, ?, ?, `+settingsMarks+`)
			ON CONFLICT (workspace, channel) DO UPDATE SET (lead, `+settingsCols+`) = (excluded.lead, `+excluded(settingsCols)+`)`,
			append([]any{t.WorkspaceID, t.Channel, t.Lead}, settingsArgs(t.Settings)...)...)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", t.WorkspaceID, t.Channel, err)
	}
	return nil
}

// SaveUser records a person's name, email and time zone; empty ones and
// the away state are left as they are.
func (s *Store) SaveUser(ctx context.Context, u domain.User) error {
	err := s.tx(ctx, "sqlite.SaveUser", func(tx *sql.Tx) error {
		return saveUser(ctx, tx, u, ts(s.now()))
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", u.WorkspaceID, u.ID, err)
	}
	return nil
}

func saveUser(ctx context.Context, tx *sql.Tx, u domain.User, updated any) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO users (workspace, id, name, email, timezone, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace, id) DO UPDATE SET
			name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE name END,
			email = CASE WHEN excluded.email <> '' THEN excluded.email ELSE email END,
			timezone = CASE WHEN excluded.timezone <> '' THEN excluded.timezone ELSE timezone END,
			updated_at = excluded.updated_at`,
		u.WorkspaceID, u.ID, u.Name, u.Email, u.TimeZone, updated)
	return err
}

const userCols = `workspace, id, name, email, timezone, away_until, updated_at`

func scanUser(sc interface{ Scan(...any) error }) (domain.User, error) {
	var u domain.User
	var away, updated sql.NullInt64
	err := sc.Scan(&u.WorkspaceID, &u.ID, &u.Name, &u.Email, &u.TimeZone, &away, &updated)
	u.AwayUntil, u.UpdatedAt = fromTS(away), fromTS(updated)
	return u, err
}

// User returns a person of the workspace.
func (s *Store) User(ctx context.Context, workspace, id string) (domain.User, error) {
	ctx = lookup(ctx)
	var u domain.User
	err := s.read(ctx, "sqlite.User", func(c *sql.Conn) (err error) {
		u, err = scanUser(c.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE workspace = ? AND id = ?`, workspace, id))
		if errors.Is(err, sql.ErrNoRows) {
			return domain.NotFound("okrbot does not know that person yet.")
		}
		return err
	})
	if err != nil {
		return u, fmt.Errorf("%s %s: %w", workspace, id, err)
	}
	return u, nil
}

// Users returns the people of a workspace, or those with ids, by id.
func (s *Store) Users(ctx context.Context, workspace string, ids ...string) ([]domain.User, error) {
	ctx = lookup(ctx)
	var out []domain.User
	err := s.read(ctx, "sqlite.Users", func(c *sql.Conn) error {
		q, args := `SELECT `+userCols+` FROM users WHERE workspace = ?`, []any{workspace}
		if len(ids) > 0 {
			q, args = q+` AND id IN (SELECT value FROM json_each(?))`, append(args, list(ids))
		}
		rows, err := c.QueryContext(ctx, q+` ORDER BY id`, args...)
		out, err = collect(rows, err, func(r *sql.Rows) (domain.User, error) { return scanUser(r) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", workspace, err)
	}
	return out, nil
}

// SetAway pauses a person's prompts until a moment (zero: back now), and
// records the change in their away history, in one transaction.
func (s *Store) SetAway(ctx context.Context, workspace, user string, until time.Time) error {
	now := s.now()
	err := s.tx(ctx, "sqlite.SetAway", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (workspace, id, away_until, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (workspace, id) DO UPDATE SET away_until = excluded.away_until, updated_at = excluded.updated_at`,
			workspace, user, ts(until), ts(now))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO away_changes (workspace, user, at, until) VALUES (?, ?, ?, ?)`,
			workspace, user, now.UnixNano(), ts(until))
		return err
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", workspace, user, err)
	}
	return nil
}

// Subscribe makes a channel receive the weekly digest (or changes whether
// it gets the company roll-up).
func (s *Store) Subscribe(ctx context.Context, sub domain.Subscription) error {
	if sub.At.IsZero() {
		sub.At = s.now()
	}
	err := s.tx(ctx, "sqlite.Subscribe", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO subscriptions (workspace, channel, name, company, by, at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (workspace, channel) DO UPDATE SET name = excluded.name, company = excluded.company, by = excluded.by, at = excluded.at`,
			sub.WorkspaceID, sub.Channel, sub.Name, b2i(sub.Company), sub.By, ts(sub.At))
		return err
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", sub.WorkspaceID, sub.Channel, err)
	}
	return nil
}

// Unsubscribe stops a channel's digest and reports whether there was one.
func (s *Store) Unsubscribe(ctx context.Context, workspace, channel string) (bool, error) {
	var found bool
	err := s.tx(ctx, "sqlite.Unsubscribe", func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE workspace = ? AND channel = ?`, workspace, channel)
		if err == nil {
			n, _ := r.RowsAffected()
			found = n > 0
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("%s %s: %w", workspace, channel, err)
	}
	return found, nil
}

// Subscriptions returns the channels of a workspace that get the digest.
func (s *Store) Subscriptions(ctx context.Context, workspace string) ([]domain.Subscription, error) {
	ctx = lookup(ctx)
	var out []domain.Subscription
	err := s.read(ctx, "sqlite.Subscriptions", func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT workspace, channel, name, company, by, at FROM subscriptions WHERE workspace = ? ORDER BY channel`, workspace)
		out, err = collect(rows, err, func(r *sql.Rows) (domain.Subscription, error) {
			var sub domain.Subscription
			var at sql.NullInt64
			err := r.Scan(&sub.WorkspaceID, &sub.Channel, &sub.Name, &sub.Company, &sub.By, &at)
			sub.At = fromTS(at)
			return sub, err
		})
		return err
	})
	return out, err
}
