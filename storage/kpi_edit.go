package storage

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/okrbot/okrbot/domain"
)

// EditKPI stores what a person may edit of a KPI (name, unit, direction,
// target and thresholds, cadence, owner, team, archived) as k has it, and
// appends changes to its history. Its values, latest value and alerted
// health are left alone, so an edit racing a new value loses neither; two
// edits racing each other keep both history entries, and the later edit's
// fields. The KPI must exist.
func (s *Store) EditKPI(ctx context.Context, k domain.KPI, changes []domain.Change) error {
	const op = "storage.EditKPI"
	set := bson.M{"name": k.Name, "unit": k.Unit, "direction": k.Direction, "cadence": k.Cadence,
		"owner": k.Owner, "team": k.Team, "archived": k.Archived}
	unset := bson.M{}
	for field, v := range map[string]*float64{"target": k.Target, "warn": k.Warn, "alert": k.Alert} {
		if v == nil {
			unset[field] = ""
		} else {
			set[field] = *v
		}
	}
	update := bson.M{"$set": set}
	if len(unset) > 0 {
		update["$unset"] = unset
	}
	if len(changes) > 0 {
		update["$push"] = bson.M{"history": bson.M{"$each": changes}}
	}
	r, err := s.c(colKPIs).UpdateOne(ctx, byID(key(k.WorkspaceID, k.Slug)), update)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", op, k.Slug, err)
	}
	if r.MatchedCount == 0 {
		return fmt.Errorf("%s: %w", op, domain.NotFound("There is no KPI %s.", k.Slug))
	}
	return nil
}
