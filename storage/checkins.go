package storage

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/okrbot/okrbot/domain"
)

// SaveCheckIn stores a person's check-in for a key result and week. The
// unique index on (workspace, user, kr, week) makes a second check-in of the
// same week an update of the first, never a duplicate. created reports
// whether this was the week's first.
func (s *Store) SaveCheckIn(ctx context.Context, c domain.CheckIn) (created bool, err error) {
	if c.At.IsZero() {
		c.At = s.now()
	}
	err = retryDup(func() error {
		r, err := s.c(colCheckIns).UpdateOne(ctx,
			byID(key(c.WorkspaceID, c.UserID, c.KR, string(c.Week))),
			bson.M{
				"$set": bson.M{"objective": c.Objective, "value": c.Value, "done": c.Done,
					"confidence": c.Confidence, "note": c.Note, "at": c.At, "by": c.By},
				"$setOnInsert": bson.M{"workspace": c.WorkspaceID, "user": c.UserID, "kr": c.KR, "week": c.Week, "first_at": c.At},
			},
			options.UpdateOne().SetUpsert(true))
		if err == nil {
			created = r.UpsertedCount > 0
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("storage.SaveCheckIn: %s %s %s: %w", c.UserID, c.KR, c.Week, err)
	}
	return created, nil
}

// SaveWeekNote stores a person's overall note for a week (one per week).
func (s *Store) SaveWeekNote(ctx context.Context, n domain.WeekNote) error {
	if n.At.IsZero() {
		n.At = s.now()
	}
	err := retryDup(func() error {
		_, err := s.c(colWeekNotes).UpdateOne(ctx, byID(key(n.WorkspaceID, n.UserID, string(n.Week))),
			bson.M{"$set": bson.M{"note": n.Note, "wins": n.Wins, "blockers": n.Blockers, "help": n.Help, "at": n.At}, "$setOnInsert": bson.M{"workspace": n.WorkspaceID, "user": n.UserID, "week": n.Week}},
			options.UpdateOne().SetUpsert(true))
		return err
	})
	if err != nil {
		return fmt.Errorf("storage.SaveWeekNote: %s %s: %w", n.UserID, n.Week, err)
	}
	return nil
}

// WeekNotes returns the overall notes of a week, by person.
func (s *Store) WeekNotes(ctx context.Context, workspace string, week domain.Week) ([]domain.WeekNote, error) {
	out, err := findAll[domain.WeekNote](ctx, s.c(colWeekNotes), and(ws(workspace), "week", week), options.Find().SetSort(bson.D{{Key: "user", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("storage.WeekNotes: %w", err)
	}
	return out, nil
}

// CheckIns returns a workspace's check-ins that match f, oldest first.
func (s *Store) CheckIns(ctx context.Context, workspace string, f domain.CheckInFilter) ([]domain.CheckIn, error) {
	q := ws(workspace)
	if f.User != "" {
		q["user"] = f.User
	}
	if len(f.Weeks) > 0 {
		q["week"] = bson.M{"$in": f.Weeks}
	}
	if len(f.KRs) > 0 {
		q["kr"] = bson.M{"$in": f.KRs}
	}
	if !f.Since.IsZero() {
		q["at"] = bson.M{"$gte": f.Since}
	}
	out, err := findAll[domain.CheckIn](ctx, s.c(colCheckIns), q, options.Find().SetSort(bson.D{{Key: "at", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("storage.CheckIns: %s: %w", workspace, err)
	}
	return out, nil
}
