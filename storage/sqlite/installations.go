package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// SaveInstallation stores (or replaces) a workspace's installation with its
// bot token sealed, bound to the workspace id.
func (s *Store) SaveInstallation(ctx context.Context, in domain.Installation) error {
	const op = "sqlite.SaveInstallation"
	sealed, err := s.tokens.Seal(in.BotToken, in.WorkspaceID)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", op, in.WorkspaceID, err)
	}
	if in.InstalledAt.IsZero() {
		in.InstalledAt = s.now()
	}
	err = s.tx(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO installations (workspace, team_id, team_name, enterprise_id, bot_token, bot_user_id, app_id, scope, installed_by, installed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.WorkspaceID, in.TeamID, in.TeamName, in.EnterpriseID, sealed, in.BotUserID, in.AppID, in.Scope, in.InstalledBy, ts(in.InstalledAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", in.WorkspaceID, err)
	}
	return nil
}

// Installation returns a workspace's installation with its token decrypted.
func (s *Store) Installation(ctx context.Context, workspace string) (domain.Installation, error) {
	const op = "sqlite.Installation"
	var in domain.Installation
	err := s.read(ctx, op, func(c *sql.Conn) error {
		var at sql.NullInt64
		err := c.QueryRowContext(ctx, `SELECT workspace, team_id, team_name, enterprise_id, bot_token, bot_user_id, app_id, scope, installed_by, installed_at
			FROM installations WHERE workspace = ?`, workspace).Scan(
			&in.WorkspaceID, &in.TeamID, &in.TeamName, &in.EnterpriseID, &in.BotToken, &in.BotUserID, &in.AppID, &in.Scope, &in.InstalledBy, &at)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.NotFound("okrbot is not installed in this workspace.")
		}
		in.InstalledAt = fromTS(at)
		return err
	})
	if err != nil {
		return in, fmt.Errorf("%s: %w", workspace, err)
	}
	tok, err := s.tokens.Open(in.BotToken, in.WorkspaceID)
	if err != nil {
		return domain.Installation{}, fmt.Errorf("%s: %s: %w", op, workspace, err)
	}
	in.BotToken = tok
	return in, nil
}

// DeleteInstallation forgets a workspace's installation and token.
func (s *Store) DeleteInstallation(ctx context.Context, workspace string) error {
	return s.exec(ctx, "sqlite.DeleteInstallation", `DELETE FROM installations WHERE workspace = ?`, workspace)
}

// exec runs one statement in its own transaction.
func (s *Store) exec(ctx context.Context, op, q string, args ...any) error {
	return s.tx(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	})
}

// execCount runs one statement in a write transaction and returns how
// many rows it changed (a clean-up's count).
func (s *Store) execCount(ctx context.Context, op, q string, args ...any) (int64, error) {
	return s.execCountOn(ctx, s.w, op, q, args...)
}

// execCountOn is execCount on the writer db of a file (the store's, or the
// request keys' of requests.go).
func (s *Store) execCountOn(ctx context.Context, db *sql.DB, op, q string, args ...any) (int64, error) {
	var n int64
	err := s.txOn(ctx, db, op, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, q, args...)
		if err == nil {
			n, _ = r.RowsAffected()
		}
		return err
	})
	return n, err
}

const refCols = `workspace, conversation, type, user, aad_object_id, user_name, team_id, service_url, bot_id, bot_name, updated_at`

// SaveConversationRef stores (or refreshes) a Teams conversation reference.
func (s *Store) SaveConversationRef(ctx context.Context, r domain.ConversationRef) error {
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = s.now()
	}
	return s.exec(ctx, "sqlite.SaveConversationRef", `INSERT OR REPLACE INTO conversation_refs (`+refCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.WorkspaceID, r.Conversation, r.Type, r.User, r.AADObjectID, r.UserName, r.TeamID, r.ServiceURL, r.BotID, r.BotName, ts(r.UpdatedAt))
}

func scanRef(sc interface{ Scan(...any) error }) (domain.ConversationRef, error) {
	var r domain.ConversationRef
	var at sql.NullInt64
	err := sc.Scan(&r.WorkspaceID, &r.Conversation, &r.Type, &r.User, &r.AADObjectID, &r.UserName, &r.TeamID, &r.ServiceURL, &r.BotID, &r.BotName, &at)
	r.UpdatedAt = fromTS(at)
	return r, err
}

func (s *Store) oneRef(ctx context.Context, op, missing, q string, args ...any) (domain.ConversationRef, error) {
	var r domain.ConversationRef
	err := s.read(ctx, op, func(c *sql.Conn) (err error) {
		r, err = scanRef(c.QueryRowContext(ctx, `SELECT `+refCols+` FROM conversation_refs WHERE `+q, args...))
		if errors.Is(err, sql.ErrNoRows) {
			return domain.NotFound("%s", missing)
		}
		return err
	})
	return r, err
}

// ConversationRef returns the stored reference of a conversation.
func (s *Store) ConversationRef(ctx context.Context, workspace, conversation string) (domain.ConversationRef, error) {
	return s.oneRef(ctx, "sqlite.ConversationRef", fmt.Sprintf("okrbot has no conversation %s.", conversation),
		`workspace = ? AND conversation = ?`, workspace, conversation)
}

// PersonalConversationRef returns the reference of the bot's personal chat
// with a user.
func (s *Store) PersonalConversationRef(ctx context.Context, workspace, user string) (domain.ConversationRef, error) {
	return s.oneRef(ctx, "sqlite.PersonalConversationRef", fmt.Sprintf("okrbot has no chat with %s yet.", user),
		`workspace = ? AND user = ? AND type = 'personal' ORDER BY updated_at DESC LIMIT 1`, workspace, user)
}

// DeleteConversationRef forgets a conversation okrbot was removed from.
func (s *Store) DeleteConversationRef(ctx context.Context, workspace, conversation string) error {
	return s.exec(ctx, "sqlite.DeleteConversationRef", `DELETE FROM conversation_refs WHERE workspace = ? AND conversation = ?`, workspace, conversation)
}

// ConversationRefs returns every stored reference of a workspace.
func (s *Store) ConversationRefs(ctx context.Context, workspace string) ([]domain.ConversationRef, error) {
	var out []domain.ConversationRef
	err := s.read(ctx, "sqlite.ConversationRefs", func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT `+refCols+` FROM conversation_refs WHERE workspace = ? ORDER BY conversation`, workspace)
		out, err = collect(rows, err, func(r *sql.Rows) (domain.ConversationRef, error) { return scanRef(r) })
		return err
	})
	return out, err
}

// Remember records a request key and reports whether it is new.
// Keys live in a file of their own, and keys arriving together are written
// in one transaction (requests.go).
func (s *Store) Remember(ctx context.Context, key string) (bool, error) {
	return s.remember(ctx, key)
}

// Forget removes a key, so that a request whose handling failed can be retried.
func (s *Store) Forget(ctx context.Context, key string) error {
	return s.forget(ctx, key)
}

// ForgetBefore deletes the keys remembered before t.
func (s *Store) ForgetBefore(ctx context.Context, t time.Time) (int64, error) {
	return s.forgetBefore(ctx, t.UnixNano())
}
