package mongo

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/okrbot/okrbot/domain"
)

// SaveInstallation stores (or replaces) a workspace's installation with its
// bot token encrypted. The workspace id is bound into the ciphertext, so a
// token copied to another workspace's record does not decrypt.
func (s *Store) SaveInstallation(ctx context.Context, in domain.Installation) error {
	const op = "mongo.SaveInstallation"
	sealed, err := s.tokens.Seal(in.BotToken, in.WorkspaceID)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", op, in.WorkspaceID, err)
	}
	if in.InstalledAt.IsZero() {
		in.InstalledAt = s.now()
	}
	d := installationDoc{WorkspaceID: in.WorkspaceID, TeamID: in.TeamID, TeamName: in.TeamName, EnterpriseID: in.EnterpriseID,
		BotToken: sealed, BotUserID: in.BotUserID, AppID: in.AppID, Scope: in.Scope, InstalledBy: in.InstalledBy, InstalledAt: in.InstalledAt}
	_, err = s.c(colInstallations).ReplaceOne(ctx, byID(in.WorkspaceID), d, options.Replace().SetUpsert(true))
	return fail(ctx, op+": "+in.WorkspaceID, err)
}

// Installation returns a workspace's installation with its token decrypted.
func (s *Store) Installation(ctx context.Context, workspace string) (domain.Installation, error) {
	const op = "mongo.Installation"
	var d installationDoc
	if err := s.c(colInstallations).FindOne(ctx, byID(workspace)).Decode(&d); err != nil {
		return domain.Installation{}, fail(ctx, op+": "+workspace, err, "okrbot is not installed in this workspace.")
	}
	tok, err := s.tokens.Open(d.BotToken, d.WorkspaceID)
	if err != nil {
		return domain.Installation{}, fmt.Errorf("%s: %s: %w", op, workspace, err)
	}
	return domain.Installation{WorkspaceID: d.WorkspaceID, TeamID: d.TeamID, TeamName: d.TeamName, EnterpriseID: d.EnterpriseID,
		BotToken: tok, BotUserID: d.BotUserID, AppID: d.AppID, Scope: d.Scope, InstalledBy: d.InstalledBy, InstalledAt: d.InstalledAt}, nil
}

// DeleteInstallation forgets a workspace's installation and token (on
// app_uninstalled or tokens_revoked). The workspace's OKRs stay.
func (s *Store) DeleteInstallation(ctx context.Context, workspace string) error {
	_, err := s.c(colInstallations).DeleteOne(ctx, byID(workspace))
	return fail(ctx, "mongo.DeleteInstallation: "+workspace, err)
}

// SaveConversationRef stores (or refreshes) a Teams conversation reference.
func (s *Store) SaveConversationRef(ctx context.Context, r domain.ConversationRef) error {
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = s.now()
	}
	err := retryDup(func() error {
		_, err := s.c(colConversations).ReplaceOne(ctx, and(ws(r.WorkspaceID), "conversation", r.Conversation), fromConversation(r), options.Replace().SetUpsert(true))
		return err
	})
	return fail(ctx, "mongo.SaveConversationRef: "+r.WorkspaceID, err)
}

// ConversationRef returns the stored reference of a conversation.
func (s *Store) ConversationRef(ctx context.Context, workspace, conversation string) (domain.ConversationRef, error) {
	var d conversationDoc
	err := s.c(colConversations).FindOne(ctx, and(ws(workspace), "conversation", conversation)).Decode(&d)
	if err != nil {
		return domain.ConversationRef{}, fail(ctx, "mongo.ConversationRef", err, "okrbot has no conversation %s.", conversation)
	}
	return d.domain(), nil
}

// PersonalConversationRef returns the reference of the bot's personal chat
// with a user (the latest, should there be several).
func (s *Store) PersonalConversationRef(ctx context.Context, workspace, user string) (domain.ConversationRef, error) {
	var d conversationDoc
	err := s.c(colConversations).FindOne(ctx, and(ws(workspace), "user", user, "type", "personal"),
		options.FindOne().SetSort(bson.D{{Key: "updated_at", Value: -1}})).Decode(&d)
	if err != nil {
		return domain.ConversationRef{}, fail(ctx, "mongo.PersonalConversationRef", err, "okrbot has no chat with %s yet.", user)
	}
	return d.domain(), nil
}

// DeleteConversationRef forgets a conversation okrbot was removed from.
func (s *Store) DeleteConversationRef(ctx context.Context, workspace, conversation string) error {
	_, err := s.c(colConversations).DeleteOne(ctx, and(ws(workspace), "conversation", conversation))
	return fail(ctx, "mongo.DeleteConversationRef", err)
}

// ConversationRefs returns every stored reference of a workspace.
func (s *Store) ConversationRefs(ctx context.Context, workspace string) ([]domain.ConversationRef, error) {
	ds, err := findAll[conversationDoc](ctx, s.c(colConversations), ws(workspace), options.Find().SetSort(bson.D{{Key: "conversation", Value: 1}}))
	if err != nil {
		return nil, fail(ctx, "mongo.ConversationRefs", err)
	}
	return mapDocs(ds), nil
}
