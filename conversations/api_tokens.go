package conversations

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// TokenStore keeps the HTTP API's tokens, hashed.
type TokenStore interface {
	// CreateAPIToken stores a new token; a live token of the same name in
	// the workspace is a conflict.
	CreateAPIToken(ctx context.Context, t domain.APIToken) error
	// APIToken returns the token with the given hash, revoked or not.
	APIToken(ctx context.Context, hash string) (domain.APIToken, error)
	// APITokens returns a workspace's tokens, revoked ones included.
	APITokens(ctx context.Context, workspace string) ([]domain.APIToken, error)
	// RevokeAPIToken revokes the workspace's live token of that name.
	RevokeAPIToken(ctx context.Context, workspace, name string, at time.Time) (domain.APIToken, error)
	// TouchAPIToken records that the token was used.
	TouchAPIToken(ctx context.Context, hash string, at time.Time) error
}

const (
	exTokenCreate = "/okr settings api-token create nightly-etl"
	exTokenRevoke = "/okr settings api-token revoke nightly-etl"
)

// touchEvery bounds how often a token's last use is written.
const touchEvery = time.Minute

// newSecret returns a fresh token: the prefix and 256 random bits.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return domain.APITokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// CreateAPIToken makes a token for a workspace and returns its secret, which
// is not stored and cannot be shown again.
func (s *Service) CreateAPIToken(ctx context.Context, workspace, name, by string) (string, domain.APIToken, error) {
	const op = "conversations.CreateAPIToken"
	if err := domain.ValidateTokenName(name); err != nil {
		return "", domain.APIToken{}, err
	}
	if _, err := s.store.Workspace(ctx, workspace); err != nil {
		return "", domain.APIToken{}, fmt.Errorf("%s: %w", op, err)
	}
	secret := newSecret()
	t := domain.APIToken{
		ID: domain.HashToken(secret), WorkspaceID: workspace, Name: name,
		Hint: secret[:len(domain.APITokenPrefix)+4] + "…", CreatedBy: by, CreatedAt: s.opt.Now(),
	}
	if err := s.store.CreateAPIToken(ctx, t); err != nil {
		return "", domain.APIToken{}, fmt.Errorf("%s: %w", op, err)
	}
	return secret, t, nil
}

// APITokens lists a workspace's tokens, live ones first, by name.
func (s *Service) APITokens(ctx context.Context, workspace string) ([]domain.APIToken, error) {
	return s.store.APITokens(ctx, workspace)
}

// RevokeAPIToken revokes a workspace's token by name: from then on it gets
// 401 Unauthorized.
func (s *Service) RevokeAPIToken(ctx context.Context, workspace, name string) (domain.APIToken, error) {
	if err := domain.ValidateTokenName(name); err != nil {
		return domain.APIToken{}, err
	}
	return s.store.RevokeAPIToken(ctx, workspace, name, s.opt.Now())
}

// Authenticate finds the live token whose secret this is. ok is false for
// anything else (unknown, revoked, malformed); err is for a store that
// could not answer.
func (s *Service) Authenticate(ctx context.Context, secret string) (Caller, bool, error) {
	if !strings.HasPrefix(secret, domain.APITokenPrefix) || len(secret) > 200 {
		return Caller{}, false, nil
	}
	hash := domain.HashToken(secret)
	t, err := s.store.APIToken(ctx, hash)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return Caller{}, false, nil
	}
	if err != nil {
		return Caller{}, false, err
	}
	if t.Revoked() || t.ID != hash {
		return Caller{}, false, nil
	}
	now := s.opt.Now()
	if last, ok := s.touched.Load(hash); !ok || now.Sub(last.(time.Time)) >= touchEvery {
		s.touched.Store(hash, now)
		if err := s.store.TouchAPIToken(ctx, hash, now); err != nil {
			s.opt.Log.WarnContext(ctx, "api token: last use not recorded", "workspace", t.WorkspaceID, "token", t.Name, "err", err)
		}
	}
	return Caller{Workspace: t.WorkspaceID, TokenID: hash, TokenName: t.Name}, true, nil
}

// apiToken is /okr settings api-token create|list|revoke.
func (ss *session) apiToken(args string) Reply {
	toks := tokenize(args)
	verb := ""
	if len(toks) > 0 {
		verb = strings.ToLower(toks[0].s)
	}
	if !ss.isAdmin() {
		return ss.fail(domain.Errorf(domain.EFORBIDDEN, "Only a workspace admin can manage API tokens."), "")
	}
	switch verb {
	case "create", "new":
		if len(toks) != 2 {
			return ss.fail(domain.Invalid(exTokenCreate, "Give the new token a name (what will use it)."), "")
		}
		// In a Teams channel every answer is seen by everyone there.
		if ss.actor.Platform == domain.Teams && ss.actor.Channel != "" {
			return ss.fail(domain.Invalid("okr settings api-token create "+clip(toks[1].s, 40), "Create API tokens in our personal chat: a token is shown once, and everyone in this channel would see it."), "")
		}
		secret, t, err := ss.CreateAPIToken(ss.ctx, ss.ws.ID, toks[1].s, ss.actor.User)
		if err != nil {
			return ss.fail(err, exTokenCreate)
		}
		return Reply{Message: &Message{
			Summary: "API token " + t.Name + " created",
			Title:   "API token " + t.Name,
			Sections: []Section{{
				Lines: []Text{T("Copy it now: it is shown only this once."), Text{}.AddCode(secret)},
				Note: T("Use it as ").AddCode("Authorization: Bearer okrbot_…").Add(" on ").AddCode("/api/v1").
					Add(". It acts as an admin of this workspace for the API and sees no other. Revoke it with ").AddCode(ss.example(exTokenRevoke)),
			}},
		}}
	case "list", "ls", "":
		if len(toks) > 1 {
			return ss.fail(domain.Invalid("/okr settings api-token list", "api-token list takes nothing more."), "")
		}
		list, err := ss.APITokens(ss.ctx, ss.ws.ID)
		if err != nil {
			return ss.fail(err, "")
		}
		if len(list) == 0 {
			return Reply{Message: Lines("No API tokens", T("No API tokens yet. Create one: ").AddCode(ss.example(exTokenCreate)))}
		}
		sec := Section{}
		for _, t := range list {
			line := Text{}.AddCode(t.Name).Add(" "+t.Hint+" · made by ").AddUser(t.CreatedBy, ss.name(t.CreatedBy)).
				Add(" on " + t.CreatedAt.In(ss.loc).Format(time.DateOnly))
			switch {
			case t.Revoked():
				line = line.Add(" · revoked " + t.RevokedAt.In(ss.loc).Format(time.DateOnly))
			case t.LastUsedAt.IsZero():
				line = line.Add(" · never used")
			default:
				line = line.Add(" · last used " + t.LastUsedAt.In(ss.loc).Format("2006-01-02 15:04"))
			}
			sec.Lines = append(sec.Lines, line)
		}
		sec.Note = T("Revoke one with ").AddCode(ss.example(exTokenRevoke))
		return Reply{Message: &Message{Summary: fmt.Sprintf("%d API tokens", len(list)), Title: "API tokens", Sections: []Section{sec}}}
	case "revoke", "delete", "remove":
		if len(toks) != 2 {
			return ss.fail(domain.Invalid(exTokenRevoke, "Say which token to revoke, by name."), "")
		}
		t, err := ss.RevokeAPIToken(ss.ctx, ss.ws.ID, toks[1].s)
		if err != nil {
			return ss.fail(err, exTokenRevoke)
		}
		return Reply{Message: Lines("API token "+t.Name+" revoked", Text{}.Add("Revoked ").AddCode(t.Name).Add(": requests with it now get 401 Unauthorized."))}
	}
	return ss.fail(domain.Invalid(exTokenCreate, "Unknown api-token command %q; use create, list or revoke.", clip(verb, 20)), "")
}
