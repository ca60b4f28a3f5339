package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/okrbot/okrbot/domain"
)

// The pace okrbot learned for a chat platform's API method in a workspace
// (see bot/pace), kept across runs so that a new process starts where the
// last one left off instead of from the documented rate, and waits out a
// Retry-After window the last one was given.

const colPaces = "paces"

type paceDoc struct {
	ID           string    `bson:"_id"`
	Rate         float64   `bson:"rate"`
	Ceiling      float64   `bson:"ceiling,omitempty"`
	BlockedUntil time.Time `bson:"blocked_until,omitempty"`
	At           time.Time `bson:"at"`
}

// LoadPace returns the pace learned under key; ok is false when none was
// saved.
func (s *Store) LoadPace(ctx context.Context, key string) (domain.LearnedPace, bool, error) {
	var d paceDoc
	err := s.c(colPaces).FindOne(ctx, byID(key)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.LearnedPace{}, false, nil
	}
	if err != nil {
		return domain.LearnedPace{}, false, fmt.Errorf("storage.LoadPace: %s: %w", key, err)
	}
	return domain.LearnedPace{Rate: d.Rate, Ceiling: d.Ceiling, BlockedUntil: d.BlockedUntil}, true, nil
}

// SavePace records the pace learned under key.
func (s *Store) SavePace(ctx context.Context, key string, p domain.LearnedPace) error {
	err := retryDup(func() error {
		_, err := s.c(colPaces).ReplaceOne(ctx, byID(key), paceDoc{ID: key, Rate: p.Rate, Ceiling: p.Ceiling, BlockedUntil: p.BlockedUntil, At: s.now()},
			options.Replace().SetUpsert(true))
		return err
	})
	if err != nil {
		return fmt.Errorf("storage.SavePace: %s: %w", key, err)
	}
	return nil
}
