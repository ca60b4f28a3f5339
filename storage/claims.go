package storage

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Claims decide races. The embedded server (FerretDB v1 over SQLite) applies
// an update by reading the document, changing it and writing it back, so two
// concurrent conditional updates can both "succeed" and one is lost; a
// findAndModify $inc can hand out the same number twice. Its unique indexes,
// though, are SQLite's own and hold. So wherever exactly one of several
// writers must win (the next ref, the next version of an objective, a lease,
// an outbox delivery), the writers race to insert a claim with a chosen _id
// and only the one whose insert succeeds goes on. On MongoDB this costs one
// small insert and is just as correct.

const colClaims = "claims"

type claimDoc struct {
	ID string    `bson:"_id"`
	At time.Time `bson:"at"`
}

// claim inserts the claim key. won is false when someone else holds it.
func (s *Store) claim(ctx context.Context, key string) (won bool, err error) {
	_, err = s.c(colClaims).InsertOne(ctx, claimDoc{ID: key, At: s.now()})
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("storage.claim: %s: %w", key, err)
	}
	return true, nil
}

// claimedAt returns when key was claimed (zero when it is not).
func (s *Store) claimedAt(ctx context.Context, key string) (time.Time, error) {
	var c claimDoc
	err := s.c(colClaims).FindOne(ctx, bson.M{"_id": key}).Decode(&c)
	if err == mongo.ErrNoDocuments {
		return time.Time{}, nil
	}
	return c.At, err
}

// release deletes a claim; with a non-zero at, only if it is still the claim
// made at that moment (so two cleaners cannot delete a newer claim).
func (s *Store) release(ctx context.Context, key string, at time.Time) error {
	f := bson.M{"_id": key}
	if !at.IsZero() {
		f["at"] = at
	}
	_, err := s.c(colClaims).DeleteOne(ctx, f)
	return err
}

// CleanupClaims deletes the claims on objective versions made before t (the
// embedded server has no TTL indexes, so a scheduled job calls this). Claims
// on refs are kept: they are what keeps refs unique for ever.
func (s *Store) CleanupClaims(ctx context.Context, t time.Time) (int64, error) {
	r, err := s.c(colClaims).DeleteMany(ctx, bson.M{"_id": bson.M{"$regex": "^rev/"}, "at": bson.M{"$lt": t}})
	if err != nil {
		return 0, fmt.Errorf("storage.CleanupClaims: %w", err)
	}
	return r.DeletedCount, nil
}
