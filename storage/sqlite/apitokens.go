package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// The HTTP API's tokens (only their hash is stored) and the requests sent
// with an Idempotency-Key.

const tokenCols = `id, workspace, name, hint, created_by, created_at, last_used_at, revoked_at`

func scanToken(sc interface{ Scan(...any) error }) (domain.APIToken, error) {
	var t domain.APIToken
	var created, used, revoked sql.NullInt64
	err := sc.Scan(&t.ID, &t.WorkspaceID, &t.Name, &t.Hint, &t.CreatedBy, &created, &used, &revoked)
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = fromTS(created), fromTS(used), fromTS(revoked)
	return t, err
}

// CreateAPIToken stores a new token; the partial unique index allows one
// live token per name and workspace.
func (s *Store) CreateAPIToken(ctx context.Context, t domain.APIToken) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	err := s.tx(ctx, "sqlite.CreateAPIToken", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.WorkspaceID, t.Name, t.Hint, t.CreatedBy, ts(t.CreatedAt), ts(t.LastUsedAt), ts(t.RevokedAt))
		if isConstraint(err) {
			return domain.Errorf(domain.ECONFLICT, "There is an API token called %s already; revoke it first, or choose another name.", t.Name)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", t.WorkspaceID, t.Name, err)
	}
	return nil
}

// APIToken returns the token with the given hash.
func (s *Store) APIToken(ctx context.Context, hash string) (domain.APIToken, error) {
	var t domain.APIToken
	err := s.read(ctx, "sqlite.APIToken", func(c *sql.Conn) (err error) {
		t, err = scanToken(c.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE id = ?`, hash))
		if errors.Is(err, sql.ErrNoRows) {
			return domain.NotFound("There is no such API token.")
		}
		return err
	})
	return t, err
}

// APITokens returns a workspace's tokens: live ones first, by name.
func (s *Store) APITokens(ctx context.Context, workspace string) ([]domain.APIToken, error) {
	var out []domain.APIToken
	err := s.read(ctx, "sqlite.APITokens", func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE workspace = ?
			ORDER BY revoked_at IS NOT NULL, name, created_at`, workspace)
		out, err = collect(rows, err, func(r *sql.Rows) (domain.APIToken, error) { return scanToken(r) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", workspace, err)
	}
	return out, nil
}

// RevokeAPIToken revokes the workspace's live token called name.
func (s *Store) RevokeAPIToken(ctx context.Context, workspace, name string, at time.Time) (domain.APIToken, error) {
	var t domain.APIToken
	err := s.tx(ctx, "sqlite.RevokeAPIToken", func(tx *sql.Tx) (err error) {
		t, err = scanToken(tx.QueryRowContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE workspace = ? AND name = ? AND revoked_at IS NULL
			RETURNING `+tokenCols, ts(at), workspace, name))
		if errors.Is(err, sql.ErrNoRows) {
			return domain.NotFound("There is no live API token called %s.", name)
		}
		return err
	})
	if err != nil {
		return t, fmt.Errorf("%s %s: %w", workspace, name, err)
	}
	return t, nil
}

// TouchAPIToken records a use of the token, never moving it back.
func (s *Store) TouchAPIToken(ctx context.Context, hash string, at time.Time) error {
	return s.exec(ctx, "sqlite.TouchAPIToken", `UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
		ts(at), hash, at.UnixNano())
}

const idemCols = `id, workspace, key, fingerprint, done, status, body, created_at`

func scanIdem(sc interface{ Scan(...any) error }) (domain.IdempotencyRecord, error) {
	var r domain.IdempotencyRecord
	var created sql.NullInt64
	err := sc.Scan(&r.ID, &r.WorkspaceID, &r.Key, &r.Fingerprint, &r.Done, &r.Status, &r.Body, &created)
	r.CreatedAt = fromTS(created)
	return r, err
}

// BeginIdempotent stores rec unless its key is taken; a record left
// unfinished since before staleBefore is taken over. One write
// transaction: of several callers exactly one goes ahead.
func (s *Store) BeginIdempotent(ctx context.Context, rec domain.IdempotencyRecord, staleBefore time.Time) (domain.IdempotencyRecord, bool, error) {
	var got domain.IdempotencyRecord
	var fresh bool
	err := s.tx(ctx, "sqlite.BeginIdempotent", func(tx *sql.Tx) error {
		old, err := scanIdem(tx.QueryRowContext(ctx, `SELECT `+idemCols+` FROM idempotency WHERE id = ?`, rec.ID))
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case old.Done || !old.CreatedAt.Before(staleBefore):
			got = old
			return nil
		}
		rec.Done, rec.Status, rec.Body = false, 0, nil
		_, err = tx.ExecContext(ctx, `INSERT INTO idempotency (`+idemCols+`) VALUES (?, ?, ?, ?, 0, 0, NULL, ?)
			ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, done = 0, status = 0, body = NULL, created_at = excluded.created_at`,
			rec.ID, rec.WorkspaceID, rec.Key, rec.Fingerprint, rec.CreatedAt.UnixNano())
		got, fresh = rec, err == nil
		return err
	})
	return got, fresh, err
}

// FinishIdempotent stores the answer of the request that began rec.
func (s *Store) FinishIdempotent(ctx context.Context, rec domain.IdempotencyRecord, status int, body []byte) error {
	return s.exec(ctx, "sqlite.FinishIdempotent", `UPDATE idempotency SET done = 1, status = ?, body = ? WHERE id = ? AND created_at = ? AND done = 0`,
		status, body, rec.ID, rec.CreatedAt.UnixNano())
}

// AbandonIdempotent forgets the request that began rec.
func (s *Store) AbandonIdempotent(ctx context.Context, rec domain.IdempotencyRecord) error {
	return s.exec(ctx, "sqlite.AbandonIdempotent", `DELETE FROM idempotency WHERE id = ? AND created_at = ? AND done = 0`, rec.ID, rec.CreatedAt.UnixNano())
}

// CleanupIdempotent deletes the records of requests begun before t.
func (s *Store) CleanupIdempotent(ctx context.Context, t time.Time) (int64, error) {
	return s.execCount(ctx, "sqlite.CleanupIdempotent", `DELETE FROM idempotency WHERE created_at < ?`, t.UnixNano())
}
