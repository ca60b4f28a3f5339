package storage

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Remember records a request key (a Slack event id, a form submission) and
// reports whether it is new. A repeated delivery of the same request finds
// its key and is skipped: one effect, however often it arrives.
func (s *Store) Remember(ctx context.Context, key string) (bool, error) {
	_, err := s.c(colEvents).InsertOne(ctx, bson.M{"_id": key, "at": s.now()})
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("storage.Remember: %w", err)
	}
	return true, nil
}

// Forget removes a key, so that a request whose handling failed can be retried.
func (s *Store) Forget(ctx context.Context, key string) error {
	if _, err := s.c(colEvents).DeleteOne(ctx, bson.M{"_id": key}); err != nil {
		return fmt.Errorf("storage.Forget: %w", err)
	}
	return nil
}

// ForgetBefore deletes remembered keys older than t. The embedded server has
// no TTL indexes, so a scheduled cleanup calls this.
func (s *Store) ForgetBefore(ctx context.Context, t time.Time) (int64, error) {
	r, err := s.c(colEvents).DeleteMany(ctx, bson.M{"at": bson.M{"$lt": t}})
	if err != nil {
		return 0, fmt.Errorf("storage.ForgetBefore: %w", err)
	}
	return r.DeletedCount, nil
}
