package mongo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/okrbot/okrbot/domain"
)

// The HTTP API's tokens (only their hash is stored) and the requests sent
// with an Idempotency-Key.

// liveName is a live token's value of the unique live field.
func liveName(workspace, name string) string { return key(workspace, name) }

// CreateAPIToken stores a new token: the unique index on live allows one
// live token per name and workspace.
func (s *Store) CreateAPIToken(ctx context.Context, t domain.APIToken) error {
	const op = "mongo.CreateAPIToken"
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	d := apiTokenDoc{ID: t.ID, Workspace: t.WorkspaceID, Name: t.Name, Live: liveName(t.WorkspaceID, t.Name), Hint: t.Hint,
		CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
	if t.Revoked() {
		d.Live = "revoked/" + t.ID
	}
	if _, err := s.c(colAPITokens).InsertOne(ctx, d); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("%s: %w", op, domain.Errorf(domain.ECONFLICT, "There is an API token called %s already; revoke it first, or choose another name.", t.Name))
		}
		return fail(ctx, op, err)
	}
	return nil
}

// APIToken returns the token with the given hash.
func (s *Store) APIToken(ctx context.Context, hash string) (domain.APIToken, error) {
	var d apiTokenDoc
	if err := s.c(colAPITokens).FindOne(ctx, byID(hash)).Decode(&d); err != nil {
		return domain.APIToken{}, fail(ctx, "mongo.APIToken", err, "There is no such API token.")
	}
	return d.domain(), nil
}

// APITokens returns a workspace's tokens: live ones first, by name.
func (s *Store) APITokens(ctx context.Context, workspace string) ([]domain.APIToken, error) {
	ds, err := findAll[apiTokenDoc](ctx, s.c(colAPITokens), ws(workspace))
	if err != nil {
		return nil, fail(ctx, "mongo.APITokens: "+workspace, err)
	}
	out := mapDocs(ds)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Revoked() != b.Revoked() {
			return !a.Revoked()
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.CreatedAt.Before(b.CreatedAt)
	})
	return out, nil
}

// RevokeAPIToken revokes the workspace's live token called name: one
// update matching it live, which frees its name.
func (s *Store) RevokeAPIToken(ctx context.Context, workspace, name string, at time.Time) (domain.APIToken, error) {
	const op = "mongo.RevokeAPIToken"
	var d apiTokenDoc
	if err := s.c(colAPITokens).FindOne(ctx, and(ws(workspace), "live", liveName(workspace, name))).Decode(&d); err != nil {
		return domain.APIToken{}, fail(ctx, op, err, "There is no live API token called %s.", name)
	}
	at = at.Truncate(time.Millisecond)
	r, err := s.c(colAPITokens).UpdateOne(ctx, bson.M{"_id": d.ID, "live": d.Live},
		bson.M{"$set": bson.M{"revoked_at": at, "live": "revoked/" + d.ID}})
	if err != nil {
		return domain.APIToken{}, fail(ctx, op, err)
	}
	if r.MatchedCount == 0 {
		return domain.APIToken{}, fmt.Errorf("%s: %w", op, domain.NotFound("There is no live API token called %s.", name))
	}
	d.RevokedAt = at
	return d.domain(), nil
}

// TouchAPIToken records a use of the token, never moving it back.
func (s *Store) TouchAPIToken(ctx context.Context, hash string, at time.Time) error {
	at = at.Truncate(time.Millisecond)
	_, err := s.c(colAPITokens).UpdateOne(ctx, bson.M{"_id": hash, "$or": bson.A{
		bson.M{"last_used_at": bson.M{"$exists": false}}, bson.M{"last_used_at": bson.M{"$lt": at}},
	}}, bson.M{"$set": bson.M{"last_used_at": at}})
	return fail(ctx, "mongo.TouchAPIToken", err)
}

// BeginIdempotent inserts rec; when its key is taken by a request left
// unfinished since before staleBefore, it takes the record over with one
// update matching the record as read, so of several callers one wins.
func (s *Store) BeginIdempotent(ctx context.Context, rec domain.IdempotencyRecord, staleBefore time.Time) (domain.IdempotencyRecord, bool, error) {
	const op = "mongo.BeginIdempotent"
	rec.CreatedAt = rec.CreatedAt.Truncate(time.Millisecond)
	rec.Done, rec.Status, rec.Body = false, 0, nil
	d := idempotencyDoc{ID: rec.ID, Workspace: rec.WorkspaceID, Key: rec.Key, Fingerprint: rec.Fingerprint, CreatedAt: rec.CreatedAt}
	for range 5 {
		_, err := s.c(colIdempotency).InsertOne(ctx, d)
		if err == nil {
			return rec, true, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return rec, false, fail(ctx, op, err)
		}
		var old idempotencyDoc
		err = s.c(colIdempotency).FindOne(ctx, byID(rec.ID)).Decode(&old)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue // abandoned meanwhile: insert again
		}
		if err != nil {
			return rec, false, fail(ctx, op, err)
		}
		if old.Done || !old.CreatedAt.Before(staleBefore) {
			return old.domain(), false, nil
		}
		r, err := s.c(colIdempotency).UpdateOne(ctx, bson.M{"_id": rec.ID, "done": false, "created_at": old.CreatedAt},
			bson.M{"$set": bson.M{"fingerprint": rec.Fingerprint, "created_at": rec.CreatedAt}, "$unset": bson.M{"status": "", "body": ""}})
		if err != nil {
			return rec, false, fail(ctx, op, err)
		}
		if r.ModifiedCount > 0 {
			return rec, true, nil
		}
		// Another caller took it over first: read what it stored.
	}
	var got idempotencyDoc
	if err := s.c(colIdempotency).FindOne(ctx, byID(rec.ID)).Decode(&got); err != nil {
		return rec, false, fail(ctx, op, err)
	}
	return got.domain(), false, nil
}

// FinishIdempotent stores the answer of the request that began rec.
func (s *Store) FinishIdempotent(ctx context.Context, rec domain.IdempotencyRecord, status int, body []byte) error {
	_, err := s.c(colIdempotency).UpdateOne(ctx, bson.M{"_id": rec.ID, "done": false, "created_at": rec.CreatedAt.Truncate(time.Millisecond)},
		bson.M{"$set": bson.M{"done": true, "status": status, "body": body}})
	return fail(ctx, "mongo.FinishIdempotent", err)
}

// AbandonIdempotent forgets the request that began rec.
func (s *Store) AbandonIdempotent(ctx context.Context, rec domain.IdempotencyRecord) error {
	_, err := s.c(colIdempotency).DeleteOne(ctx, bson.M{"_id": rec.ID, "done": false, "created_at": rec.CreatedAt.Truncate(time.Millisecond)})
	return fail(ctx, "mongo.AbandonIdempotent", err)
}

// CleanupIdempotent deletes the records of requests begun before t.
func (s *Store) CleanupIdempotent(ctx context.Context, t time.Time) (int64, error) {
	r, err := s.c(colIdempotency).DeleteMany(ctx, bson.M{"created_at": bson.M{"$lt": t}})
	if err != nil {
		return 0, fail(ctx, "mongo.CleanupIdempotent", err)
	}
	return r.DeletedCount, nil
}
