package storage

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/okrbot/okrbot/domain"
)

// kpiDoc is a KPI as stored, with its natural key as _id.
type kpiDoc struct {
	ID          string `bson:"_id"`
	*domain.KPI `bson:",inline"`
}

// CreateKPI stores a new KPI; a slug in use is a conflict.
func (s *Store) CreateKPI(ctx context.Context, k domain.KPI) error {
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.now()
	}
	if k.Health == "" {
		k.Health = domain.HealthUnknown
	}
	if _, err := s.c(colKPIs).InsertOne(ctx, kpiDoc{ID: key(k.WorkspaceID, k.Slug), KPI: &k}); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("storage.CreateKPI: %w", domain.Errorf(domain.ECONFLICT, "There is a KPI called %s already.", k.Slug))
		}
		return fmt.Errorf("storage.CreateKPI: %s: %w", k.Slug, err)
	}
	return nil
}

// KPI returns the KPI with slug.
func (s *Store) KPI(ctx context.Context, workspace, slug string) (domain.KPI, error) {
	var k domain.KPI
	err := s.c(colKPIs).FindOne(ctx, byID(key(workspace, slug))).Decode(&k)
	if err != nil {
		return k, fmt.Errorf("storage.KPI: %s: %w", slug, notFound(err, "There is no KPI %s.", slug))
	}
	return k, nil
}

// KPIs returns the KPIs of a workspace by slug, or those with the given
// slugs; archived KPIs are left out (KPI still returns one by its slug).
func (s *Store) KPIs(ctx context.Context, workspace string, slugs ...string) ([]domain.KPI, error) {
	q := ws(workspace)
	q["archived"] = bson.M{"$ne": true}
	if len(slugs) > 0 {
		q["slug"] = bson.M{"$in": slugs}
	}
	out, err := findAll[domain.KPI](ctx, s.c(colKPIs), q, options.Find().SetSort(bson.D{{Key: "slug", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("storage.KPIs: %s: %w", workspace, err)
	}
	return out, nil
}

// AddKPIValue records a measurement and, when it is the newest, makes it the
// KPI's latest value. The KPI must exist.
func (s *Store) AddKPIValue(ctx context.Context, v domain.KPIValue) (domain.KPI, error) {
	const op = "storage.AddKPIValue"
	k, err := s.KPI(ctx, v.WorkspaceID, v.Slug)
	if err != nil {
		return k, fmt.Errorf("%s: %w", op, err)
	}
	if _, err := s.c(colKPIValues).InsertOne(ctx, v); err != nil {
		return k, fmt.Errorf("%s: %s: %w", op, v.Slug, err)
	}
	// Only move latest forward: a back-dated value must not replace a newer
	// one. Two values recorded in the same instant may race; the kpi-alerts
	// job recomputes latest from the values (RefreshLatest), which heals it.
	if k.Latest != nil && v.At.Before(k.Latest.At) {
		return k, nil
	}
	if _, err := s.c(colKPIs).UpdateOne(ctx, byID(key(v.WorkspaceID, v.Slug)), bson.M{"$set": bson.M{"latest": v}}); err != nil {
		return k, fmt.Errorf("%s: %s: %w", op, v.Slug, err)
	}
	k.Latest = &v
	return k, nil
}

// RefreshLatest sets a KPI's latest value from its stored values.
func (s *Store) RefreshLatest(ctx context.Context, workspace, slug string) (domain.KPI, error) {
	vals, err := s.KPIValues(ctx, workspace, slug, 1)
	if err != nil || len(vals) == 0 {
		k, kerr := s.KPI(ctx, workspace, slug)
		if err == nil {
			err = kerr
		}
		return k, err
	}
	k, err := s.KPI(ctx, workspace, slug)
	if err != nil {
		return k, err
	}
	if k.Latest == nil || !k.Latest.At.Equal(vals[0].At) || k.Latest.Value != vals[0].Value {
		if _, err := s.c(colKPIs).UpdateOne(ctx, byID(key(workspace, slug)), bson.M{"$set": bson.M{"latest": vals[0]}}); err != nil {
			return k, fmt.Errorf("storage.RefreshLatest: %s: %w", slug, err)
		}
		k.Latest = &vals[0]
	}
	return k, nil
}

// KPIValues returns a KPI's measurements, newest first, at most limit.
func (s *Store) KPIValues(ctx context.Context, workspace, slug string, limit int) ([]domain.KPIValue, error) {
	out, err := findAll[domain.KPIValue](ctx, s.c(colKPIValues), and(ws(workspace), "slug", slug),
		options.Find().SetSort(bson.D{{Key: "at", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("storage.KPIValues: %s: %w", slug, err)
	}
	return out, nil
}

// SetKPIHealth records that a KPI's alerted state moved from one health to
// another. Only one caller wins a given change: it reports false when the
// stored state is no longer from.
func (s *Store) SetKPIHealth(ctx context.Context, workspace, slug string, from, to domain.Health, since time.Time) (bool, error) {
	q := and(ws(workspace), "slug", slug, "health", from)
	if from == domain.HealthUnknown {
		q["health"] = bson.M{"$in": bson.A{from, nil, ""}}
	}
	r, err := s.c(colKPIs).UpdateOne(ctx, q, bson.M{"$set": bson.M{"health": to, "health_since": since}})
	if err != nil {
		return false, fmt.Errorf("storage.SetKPIHealth: %s: %w", slug, err)
	}
	return r.ModifiedCount > 0, nil
}
