package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/okrbot/okrbot/domain"
)

// CreateKPI stores a new KPI; a slug in use is a conflict.
func (s *Store) CreateKPI(ctx context.Context, k domain.KPI) error {
	const op = "mongo.CreateKPI"
	err := s.atomically(ctx, func(ctx context.Context) error { return s.insertKPI(ctx, k) })
	return fail(ctx, op+": "+k.Slug, err)
}

// insertKPI stores a new KPI with its history, source and latest value.
func (s *Store) insertKPI(ctx context.Context, k domain.KPI) error {
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.now()
	}
	if k.Health == "" {
		k.Health = domain.HealthUnknown
	}
	d := kpiDoc{ID: key(k.WorkspaceID, k.Slug), Workspace: k.WorkspaceID, Slug: k.Slug, Name: k.Name, Unit: k.Unit,
		Direction: string(k.Direction), Target: k.Target, Warn: k.Warn, Alert: k.Alert, Cadence: string(k.Cadence), Owner: k.Owner,
		Team: k.Team, Health: string(k.Health), HealthSince: k.HealthSince, CreatedAt: k.CreatedAt, Archived: k.Archived,
		History: fromChanges(k.History), Source: fromSource(k.Source)}
	if _, err := s.c(colKPIs).InsertOne(ctx, d); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return domain.Errorf(domain.ECONFLICT, "There is a KPI called %s already.", k.Slug)
		}
		return err
	}
	if k.Latest != nil {
		return s.addValue(ctx, *k.Latest)
	}
	return nil
}

// KPI returns the KPI with slug.
func (s *Store) KPI(ctx context.Context, workspace, slug string) (domain.KPI, error) {
	var d kpiDoc
	if err := s.c(colKPIs).FindOne(ctx, byID(key(workspace, slug))).Decode(&d); err != nil {
		return domain.KPI{}, fail(ctx, "mongo.KPI: "+slug, err, "There is no KPI %s.", slug)
	}
	return d.domain(), nil
}

// KPIs returns the KPIs of a workspace that are not archived, by slug, or
// those of them with the given slugs; without their history.
func (s *Store) KPIs(ctx context.Context, workspace string, slugs ...string) ([]domain.KPI, error) {
	q := ws(workspace)
	q["archived"] = bson.M{"$ne": true}
	return s.kpis(ctx, q, slugs)
}

// AllKPIs returns every KPI of a workspace, archived ones included, by
// slug, without their history.
func (s *Store) AllKPIs(ctx context.Context, workspace string) ([]domain.KPI, error) {
	return s.kpis(ctx, ws(workspace), nil)
}

func (s *Store) kpis(ctx context.Context, q bson.M, slugs []string) ([]domain.KPI, error) {
	workspace, _ := q["workspace"].(string)
	if len(slugs) > 0 {
		q["slug"] = bson.M{"$in": slugs}
	}
	ds, err := findAll[kpiDoc](ctx, s.c(colKPIs), q, options.Find().SetSort(bson.D{{Key: "slug", Value: 1}}).SetProjection(bson.M{"history": 0}))
	if err != nil {
		return nil, fail(ctx, "mongo.KPIs: "+workspace, err)
	}
	return mapDocs(ds), nil
}

// EditKPI stores what a person may edit of a KPI as k has it, and appends
// changes to its history (keeping the latest domain.MaxHistory), in one
// update: its values, latest value and alerted health are other fields, so
// an edit racing a new value loses neither.
func (s *Store) EditKPI(ctx context.Context, k domain.KPI, changes []domain.Change) error {
	const op = "mongo.EditKPI"
	set := bson.M{"name": k.Name, "unit": k.Unit, "direction": string(k.Direction), "cadence": string(k.Cadence),
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
		update["$push"] = bson.M{"history": bson.M{"$each": fromChanges(changes), "$slice": -domain.MaxHistory}}
	}
	r, err := s.c(colKPIs).UpdateOne(ctx, byID(key(k.WorkspaceID, k.Slug)), update)
	if err != nil {
		return fail(ctx, op+": "+k.Slug, err)
	}
	if r.MatchedCount == 0 {
		return fmt.Errorf("%s: %w", op, domain.NotFound("There is no KPI %s.", k.Slug))
	}
	return nil
}

// addValue inserts a value and makes it the KPI's latest with one
// conditional update: only if no later value is latest already, so two
// values recorded at once leave the later one, whatever the order.
// A value with a key has the KPI and the key as its _id: recorded once,
// its second insert collides and changes nothing.
func (s *Store) addValue(ctx context.Context, v domain.KPIValue) error {
	var doc any = fromKPIValue(v)
	if v.Key != "" {
		id := key(v.WorkspaceID, v.Slug, "key", v.Key)
		// Looked for first: in a transaction the colliding insert would
		// abort the whole transaction.
		switch err := s.c(colKPIValues).FindOne(ctx, byID(id)).Err(); {
		case err == nil:
			return nil // recorded already
		case !errors.Is(err, mongo.ErrNoDocuments):
			return err
		}
		doc = keyedValueDoc{ID: id, Value: fromKPIValue(v)}
	}
	if _, err := s.c(colKPIValues).InsertOne(ctx, doc); err != nil {
		if v.Key != "" && mongo.IsDuplicateKeyError(err) {
			return nil // recorded already
		}
		return err
	}
	_, err := s.c(colKPIs).UpdateOne(ctx, bson.M{"_id": key(v.WorkspaceID, v.Slug), "$or": bson.A{
		bson.M{"latest": nil}, bson.M{"latest.at": bson.M{"$lte": v.At}},
	}}, bson.M{"$set": bson.M{"latest": fromKPIValue(v)}})
	return err
}

// AddKPIValue records a measurement of an existing KPI and, unless a later
// one is latest, makes it the KPI's latest value.
func (s *Store) AddKPIValue(ctx context.Context, v domain.KPIValue) (domain.KPI, error) {
	const op = "mongo.AddKPIValue"
	if v.At.IsZero() {
		v.At = s.now()
	}
	var out domain.KPI
	err := s.atomically(ctx, func(ctx context.Context) error {
		var d kpiDoc
		if err := s.c(colKPIs).FindOne(ctx, byID(key(v.WorkspaceID, v.Slug))).Decode(&d); err != nil {
			if err == mongo.ErrNoDocuments {
				return domain.NotFound("There is no KPI %s.", v.Slug)
			}
			return err
		}
		if err := s.addValue(ctx, v); err != nil {
			return err
		}
		if err := s.c(colKPIs).FindOne(ctx, byID(key(v.WorkspaceID, v.Slug))).Decode(&d); err != nil {
			return err
		}
		out = d.domain()
		return nil
	})
	return out, fail(ctx, op+": "+v.Slug, err)
}

// KPIValues returns a KPI's measurements, newest first, at most limit.
func (s *Store) KPIValues(ctx context.Context, workspace, slug string, limit int) ([]domain.KPIValue, error) {
	ds, err := findAll[kpiValueDoc](ctx, s.c(colKPIValues), and(ws(workspace), "slug", slug),
		options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fail(ctx, "mongo.KPIValues: "+slug, err)
	}
	return mapDocs(ds), nil
}

// KPIReadings returns, for each of slugs, the KPI's values at or after
// since and the last one before it, newest first, at most limit each; only
// their slug, value and time are read.
func (s *Store) KPIReadings(ctx context.Context, workspace string, slugs []string, since time.Time, limit int) (map[string][]domain.KPIValue, error) {
	const op = "mongo.KPIReadings"
	newest := bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}
	out := make(map[string][]domain.KPIValue, len(slugs))
	for _, slug := range slugs {
		if _, ok := out[slug]; ok {
			continue
		}
		from := since
		var before struct {
			At time.Time `bson:"at"`
		}
		q := and(ws(workspace), "slug", slug)
		q["at"] = bson.M{"$lt": since}
		switch err := s.c(colKPIValues).FindOne(ctx, q, options.FindOne().SetSort(newest).SetProjection(bson.M{"_id": 0, "at": 1})).Decode(&before); {
		case err == nil:
			from = before.At
		case !errors.Is(err, mongo.ErrNoDocuments):
			return nil, fail(ctx, op+": "+slug, err)
		}
		q = and(ws(workspace), "slug", slug)
		q["at"] = bson.M{"$gte": from}
		ds, err := findAll[kpiValueDoc](ctx, s.c(colKPIValues), q,
			options.Find().SetSort(newest).SetLimit(int64(limit)).SetProjection(bson.M{"_id": 0, "value": 1, "at": 1}))
		if err != nil {
			return nil, fail(ctx, op+": "+slug, err)
		}
		vals := make([]domain.KPIValue, len(ds))
		for i, d := range ds {
			vals[i] = domain.KPIValue{WorkspaceID: workspace, Slug: slug, Value: d.Value, At: d.At}
		}
		out[slug] = vals
	}
	return out, nil
}

// SetKPIHealth records that a KPI's alerted state moved from one health to
// another with one conditional update: only one caller wins a given change.
func (s *Store) SetKPIHealth(ctx context.Context, workspace, slug string, from, to domain.Health, since time.Time) (bool, error) {
	q := bson.M{"_id": key(workspace, slug), "health": from}
	if from == domain.HealthUnknown {
		q["health"] = bson.M{"$in": bson.A{from, nil, ""}}
	}
	r, err := s.c(colKPIs).UpdateOne(ctx, q, bson.M{"$set": bson.M{"health": to, "health_since": since}})
	if err != nil {
		return false, fail(ctx, "mongo.SetKPIHealth: "+slug, err)
	}
	return r.ModifiedCount > 0, nil
}

// SetKPISource sets (nil: removes) where okrbot fetches a KPI's values.
func (s *Store) SetKPISource(ctx context.Context, workspace, slug string, src *domain.KPISource) error {
	const op = "mongo.SetKPISource"
	update := bson.M{"$unset": bson.M{"source": ""}}
	if src != nil {
		update = bson.M{"$set": bson.M{"source": fromSource(src)}}
	}
	r, err := s.c(colKPIs).UpdateOne(ctx, byID(key(workspace, slug)), update)
	if err != nil {
		return fail(ctx, op+": "+slug, err)
	}
	if r.MatchedCount == 0 {
		return fmt.Errorf("%s: %w", op, domain.NotFound("There is no KPI %s.", slug))
	}
	return nil
}

// SaveSourceState records how the last fetch went, with one update that
// matches the source set at setAt: a source set since is left alone.
func (s *Store) SaveSourceState(ctx context.Context, workspace, slug string, setAt time.Time, st domain.SourceState) error {
	_, err := s.c(colKPIs).UpdateOne(ctx, bson.M{"_id": key(workspace, slug), "source.set_at": setAt.Truncate(time.Millisecond)},
		bson.M{"$set": bson.M{"source.state": fromState(st)}})
	return fail(ctx, "mongo.SaveSourceState: "+slug, err)
}
