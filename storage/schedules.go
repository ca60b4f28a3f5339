package storage

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The next-due index: one small document per workspace and kind of
// delivery, holding when that workspace next has one due (see
// conversations/rhythm). A tick reads it instead of every person.

const colSchedules = "schedules"

type scheduleDoc struct {
	ID        string    `bson:"_id"` // workspace/kind
	Workspace string    `bson:"workspace"`
	Kind      string    `bson:"kind"`
	NextAt    time.Time `bson:"next_at"`
}

// DueWorkspaces returns those of workspaces whose next moment for kind is
// at or before until, or unknown (no document, or a zero moment: marked
// changed). It reads one document per workspace.
func (s *Store) DueWorkspaces(ctx context.Context, kind string, until time.Time, workspaces []string) ([]string, error) {
	if len(workspaces) == 0 {
		return nil, nil
	}
	ids := make(bson.A, len(workspaces))
	for i, w := range workspaces {
		ids[i] = key(w, kind)
	}
	rows, err := findAll[scheduleDoc](ctx, s.c(colSchedules), bson.M{"_id": bson.M{"$in": ids}})
	if err != nil {
		return nil, fmt.Errorf("storage.DueWorkspaces: %w", err)
	}
	next := make(map[string]time.Time, len(rows))
	for _, r := range rows {
		next[r.Workspace] = r.NextAt
	}
	var out []string
	for _, w := range workspaces {
		if t, ok := next[w]; !ok || t.IsZero() || !t.After(until) {
			out = append(out, w)
		}
	}
	return out, nil
}

// SetNextDue records when workspace next has a delivery of kind due; the
// zero time marks it for planning at the next tick.
func (s *Store) SetNextDue(ctx context.Context, workspace, kind string, at time.Time) error {
	err := retryDup(func() error {
		_, err := s.c(colSchedules).ReplaceOne(ctx, byID(key(workspace, kind)),
			scheduleDoc{ID: key(workspace, kind), Workspace: workspace, Kind: kind, NextAt: at}, options.Replace().SetUpsert(true))
		return err
	})
	if err != nil {
		return fmt.Errorf("storage.SetNextDue: %s %s: %w", workspace, kind, err)
	}
	return nil
}
