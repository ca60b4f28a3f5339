package storage

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/okrbot/okrbot/domain"
)

// encPrefix marks an encrypted token: AES-256-GCM, nonce first, base64.
const encPrefix = "enc:v1:"

// ErrNoKey is returned when a token would have to be stored in clear.
var ErrNoKey = errors.New("OKRBOT_ENCRYPTION_KEY is not set: refusing to store a token unencrypted")

// SetTokenKey sets the 32-byte key that encrypts stored tokens.
func (s *Store) SetTokenKey(key []byte) error {
	block, err := aes.NewCipher(key)
	if err != nil {
		return fmt.Errorf("storage.SetTokenKey: %w", err)
	}
	if len(key) != 32 {
		return errors.New("storage.SetTokenKey: the key must be 32 bytes")
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return fmt.Errorf("storage.SetTokenKey: %w", err)
	}
	s.aead = gcm
	return nil
}

func (s *Store) seal(plain, aad string) (string, error) {
	if s.aead == nil {
		return "", ErrNoKey
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := s.aead.Seal(nonce, nonce, []byte(plain), []byte(aad))
	return encPrefix + base64.StdEncoding.EncodeToString(out), nil
}

func (s *Store) open(sealed, aad string) (string, error) {
	if !strings.HasPrefix(sealed, encPrefix) {
		return "", errors.New("stored token is not encrypted")
	}
	if s.aead == nil {
		return "", ErrNoKey
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, encPrefix))
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errors.New("stored token is corrupt")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], []byte(aad))
	if err != nil {
		return "", errors.New("stored token does not decrypt with this OKRBOT_ENCRYPTION_KEY")
	}
	return string(plain), nil
}

// SaveInstallation stores (or replaces) a workspace's installation with its
// bot token encrypted. The workspace id is bound into the ciphertext, so a
// token copied to another workspace's record does not decrypt.
func (s *Store) SaveInstallation(ctx context.Context, in domain.Installation) error {
	const op = "storage.SaveInstallation"
	sealed, err := s.seal(in.BotToken, in.WorkspaceID)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", op, in.WorkspaceID, err)
	}
	in.BotToken = sealed
	if in.InstalledAt.IsZero() {
		in.InstalledAt = s.now()
	}
	_, err = s.c(colInstallations).ReplaceOne(ctx, bson.M{"_id": in.WorkspaceID}, in, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("%s: %s: %w", op, in.WorkspaceID, err)
	}
	return nil
}

// Installation returns a workspace's installation with its token decrypted.
func (s *Store) Installation(ctx context.Context, workspace string) (domain.Installation, error) {
	const op = "storage.Installation"
	var in domain.Installation
	if err := s.c(colInstallations).FindOne(ctx, bson.M{"_id": workspace}).Decode(&in); err != nil {
		return in, fmt.Errorf("%s: %s: %w", op, workspace, notFound(err, "okrbot is not installed in this workspace."))
	}
	tok, err := s.open(in.BotToken, in.WorkspaceID)
	if err != nil {
		return domain.Installation{}, fmt.Errorf("%s: %s: %w", op, workspace, err)
	}
	in.BotToken = tok
	return in, nil
}

// DeleteInstallation forgets a workspace's installation and token (on
// app_uninstalled or tokens_revoked). The workspace's OKRs stay.
func (s *Store) DeleteInstallation(ctx context.Context, workspace string) error {
	if _, err := s.c(colInstallations).DeleteOne(ctx, bson.M{"_id": workspace}); err != nil {
		return fmt.Errorf("storage.DeleteInstallation: %s: %w", workspace, err)
	}
	return nil
}

// SaveConversationRef stores (or refreshes) a Teams conversation reference.
func (s *Store) SaveConversationRef(ctx context.Context, r domain.ConversationRef) error {
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = s.now()
	}
	err := retryDup(func() error {
		_, err := s.c(colConversations).ReplaceOne(ctx, and(ws(r.WorkspaceID), "conversation", r.Conversation), r, options.Replace().SetUpsert(true))
		return err
	})
	if err != nil {
		return fmt.Errorf("storage.SaveConversationRef: %s: %w", r.WorkspaceID, err)
	}
	return nil
}

// ConversationRef returns the stored reference of a conversation.
func (s *Store) ConversationRef(ctx context.Context, workspace, conversation string) (domain.ConversationRef, error) {
	var r domain.ConversationRef
	err := s.c(colConversations).FindOne(ctx, and(ws(workspace), "conversation", conversation)).Decode(&r)
	if err != nil {
		return r, fmt.Errorf("storage.ConversationRef: %w", notFound(err, "okrbot has no conversation %s.", conversation))
	}
	return r, nil
}

// PersonalConversationRef returns the reference of the bot's personal chat
// with a user.
func (s *Store) PersonalConversationRef(ctx context.Context, workspace, user string) (domain.ConversationRef, error) {
	var r domain.ConversationRef
	err := s.c(colConversations).FindOne(ctx, and(ws(workspace), "user", user, "type", "personal")).Decode(&r)
	if err != nil {
		return r, fmt.Errorf("storage.PersonalConversationRef: %w", notFound(err, "okrbot has no chat with %s yet.", user))
	}
	return r, nil
}

// DeleteConversationRef forgets a conversation okrbot was removed from.
func (s *Store) DeleteConversationRef(ctx context.Context, workspace, conversation string) error {
	if _, err := s.c(colConversations).DeleteOne(ctx, and(ws(workspace), "conversation", conversation)); err != nil {
		return fmt.Errorf("storage.DeleteConversationRef: %w", err)
	}
	return nil
}

// ConversationRefs returns every stored reference of a workspace.
func (s *Store) ConversationRefs(ctx context.Context, workspace string) ([]domain.ConversationRef, error) {
	out, err := findAll[domain.ConversationRef](ctx, s.c(colConversations), ws(workspace))
	if err != nil {
		return nil, fmt.Errorf("storage.ConversationRefs: %w", err)
	}
	return out, nil
}
