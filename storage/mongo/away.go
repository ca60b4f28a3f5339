package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/okrbot/okrbot/domain"
)

// AwayPeriods returns when people were or will be away, from the away
// history kept in their documents, by person, oldest first.
func (s *Store) AwayPeriods(ctx context.Context, workspace string, ids ...string) ([]domain.AwayPeriod, error) {
	f := ws(workspace)
	if len(ids) > 0 {
		f["user"] = bson.M{"$in": ids}
	}
	f["away_log"] = bson.M{"$exists": true}
	ds, err := findAll[userDoc](ctx, s.c(colUsers), f, options.Find().SetSort(bson.D{{Key: "user", Value: 1}}).
		SetProjection(bson.M{"user": 1, "away_log": 1}))
	if err != nil {
		return nil, fail(ctx, "mongo.AwayPeriods: "+workspace, err)
	}
	var out []domain.AwayPeriod
	for _, d := range ds {
		cs := make([]domain.AwayChange, len(d.AwayLog))
		for i, c := range d.AwayLog {
			cs[i] = domain.AwayChange{At: c.At, Until: c.Until}
		}
		out = append(out, domain.AwayPeriodsOf(d.User, cs)...)
	}
	return out, nil
}

// upgradeAwayHistory gives the people away in a database written before the
// away history was kept their absence as its first change, from when they
// were last updated. Once done it finds nobody, and each update matches
// only a document still without a history.
func (s *Store) upgradeAwayHistory(ctx context.Context) error {
	const op = "mongo.upgradeAwayHistory"
	old := bson.M{"away_until": bson.M{"$exists": true}, "away_log": bson.M{"$exists": false}}
	ds, err := findAll[userDoc](ctx, s.c(colUsers), old)
	if err != nil {
		return fail(ctx, op, err)
	}
	for _, d := range ds {
		f := bson.M{"_id": key(d.Workspace, d.User), "away_log": bson.M{"$exists": false}}
		first := []awayChangeDoc{{At: d.UpdatedAt, Until: d.AwayUntil}}
		if _, err := s.c(colUsers).UpdateOne(ctx, f, bson.M{"$set": bson.M{"away_log": first}}); err != nil {
			return fail(ctx, op+": "+d.Workspace+" "+d.User, err)
		}
	}
	return nil
}
