package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Remember records a request key (a Slack event id, a form submission) and
// reports whether it is new: the unique _id makes exactly one of several
// deliveries of the same request new.
func (s *Store) Remember(ctx context.Context, key string) (bool, error) {
	_, err := s.c(colEvents).InsertOne(ctx, bson.M{"_id": key, "at": s.now()})
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	if err != nil {
		return false, fail(ctx, "mongo.Remember", err)
	}
	return true, nil
}

// Forget removes a key, so that a request whose handling failed can be retried.
func (s *Store) Forget(ctx context.Context, key string) error {
	_, err := s.c(colEvents).DeleteOne(ctx, byID(key))
	return fail(ctx, "mongo.Forget", err)
}

// ForgetBefore deletes remembered keys older than t (a scheduled clean-up:
// FerretDB, which the tests use, has no TTL indexes).
func (s *Store) ForgetBefore(ctx context.Context, t time.Time) (int64, error) {
	r, err := s.c(colEvents).DeleteMany(ctx, bson.M{"at": bson.M{"$lt": t}})
	if err != nil {
		return 0, fail(ctx, "mongo.ForgetBefore", err)
	}
	return r.DeletedCount, nil
}
