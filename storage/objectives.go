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

// objectiveDoc is an objective as stored, with its natural key as _id.
type objectiveDoc struct {
	ID                string `bson:"_id"`
	*domain.Objective `bson:",inline"`
}

// CreateObjective stores a new objective with its key results. Its ref must
// come from NextRef; a ref that exists already is a conflict.
func (s *Store) CreateObjective(ctx context.Context, o *domain.Objective) error {
	const op = "storage.CreateObjective"
	if o.CreatedAt.IsZero() {
		o.CreatedAt = s.now()
	}
	o.UpdatedAt = o.CreatedAt
	o.Version = 1
	if o.KeyResults == nil {
		o.KeyResults = []domain.KeyResult{}
	}
	if _, err := s.c(colObjectives).InsertOne(ctx, objectiveDoc{ID: key(o.WorkspaceID, o.Ref), Objective: o}); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("%s: %s: %w", op, o.Ref, domain.Errorf(domain.ECONFLICT, "%s exists already.", o.Ref))
		}
		return fmt.Errorf("%s: %s: %w", op, o.Ref, err)
	}
	return nil
}

// Objective returns the objective with ref.
func (s *Store) Objective(ctx context.Context, workspace, ref string) (domain.Objective, error) {
	var o domain.Objective
	err := s.c(colObjectives).FindOne(ctx, byID(key(workspace, ref))).Decode(&o)
	if err != nil {
		return o, fmt.Errorf("storage.Objective: %s: %w", ref, notFound(err, "There is no objective %s.", ref))
	}
	return o, nil
}

// ObjectiveOfKR returns the objective that holds the key result with ref.
func (s *Store) ObjectiveOfKR(ctx context.Context, workspace, krRef string) (domain.Objective, error) {
	var o domain.Objective
	err := s.c(colObjectives).FindOne(ctx, and(ws(workspace), "key_results.ref", krRef)).Decode(&o)
	if err != nil {
		return o, fmt.Errorf("storage.ObjectiveOfKR: %s: %w", krRef, notFound(err, "There is no key result %s.", krRef))
	}
	return o, nil
}

// Objectives returns the objectives of a workspace that match f, by ref number.
func (s *Store) Objectives(ctx context.Context, workspace string, f domain.ObjectiveFilter) ([]domain.Objective, error) {
	q := ws(workspace)
	if f.Cycle != "" {
		q["cycle"] = f.Cycle
	}
	if f.Person != "" {
		q["$or"] = bson.A{bson.M{"owner": f.Person}, bson.M{"key_results.owner": f.Person}}
	}
	if f.KROwner != "" {
		q["key_results.owner"] = f.KROwner
	}
	if f.Team != "" {
		q["team"] = f.Team
	}
	if f.KPI != "" {
		q["key_results.kpi"] = f.KPI
	}
	if len(f.Statuses) > 0 {
		q["status"] = bson.M{"$in": f.Statuses}
	}
	if len(f.Refs) > 0 {
		q["ref"] = bson.M{"$in": f.Refs}
	}
	out, err := findAll[domain.Objective](ctx, s.c(colObjectives), q, options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "ref", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("storage.Objectives: %s: %w", workspace, err)
	}
	return out, nil
}

// staleClaim is how long a claim on an objective's next version may stand
// before others assume its writer died between claiming and writing.
const staleClaim = 30 * time.Second

// UpdateObjective replaces the stored objective with o if nobody changed it
// since o was read (same Version); o.Version then moves on by one. A lost race
// is an ECONFLICT error: read again and retry (ModifyObjective does).
//
// The writer of version n+1 is whoever claims it first (see claims.go), so
// two concurrent updates never both land, even on the embedded server.
func (s *Store) UpdateObjective(ctx context.Context, o *domain.Objective) error {
	const op = "storage.UpdateObjective"
	next := *o
	next.Version = o.Version + 1
	next.UpdatedAt = s.now()
	claimKey := fmt.Sprintf("rev/%s/%s/%d", o.WorkspaceID, o.Ref, next.Version)
	conflict := domain.Errorf(domain.ECONFLICT, "%s was changed by someone else just now; try again.", o.Ref)
	won, err := s.claim(ctx, claimKey)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if !won {
		s.releaseIfStale(ctx, claimKey, o)
		return fmt.Errorf("%s: %s: %w", op, o.Ref, conflict)
	}
	// Winning the claim on version n+1 makes this the only writer of the
	// stored version n, so the replace needs no version condition (which
	// would also keep the embedded server from using the _id).
	r, err := s.c(colObjectives).ReplaceOne(ctx, byID(key(o.WorkspaceID, o.Ref)), objectiveDoc{ID: key(o.WorkspaceID, o.Ref), Objective: &next})
	if err != nil || r.MatchedCount == 0 {
		s.release(ctx, claimKey, time.Time{})
		if err != nil {
			return fmt.Errorf("%s: %s: %w", op, o.Ref, err)
		}
		if _, err := s.Objective(ctx, o.WorkspaceID, o.Ref); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		return fmt.Errorf("%s: %s: %w", op, o.Ref, conflict)
	}
	// The claims of earlier versions stay: releasing one would let a writer
	// still holding that version win it again and overwrite newer work.
	// CleanupClaims removes them once nobody can hold such an old read.
	*o = next
	return nil
}

// releaseIfStale frees a claim whose writer never wrote: the claim is old and
// the objective is still at the version before it.
func (s *Store) releaseIfStale(ctx context.Context, key string, o *domain.Objective) {
	at, err := s.claimedAt(ctx, key)
	if err != nil || at.IsZero() || s.now().Sub(at) < staleClaim {
		return
	}
	if cur, err := s.Objective(ctx, o.WorkspaceID, o.Ref); err == nil && cur.Version == o.Version {
		s.release(ctx, key, at)
	}
}

// ModifyObjective reads the objective with ref, applies change and stores
// the result, retrying when another writer got there first. change may
// return an error to abandon the update; nothing is written then.
func (s *Store) ModifyObjective(ctx context.Context, workspace, ref string, change func(*domain.Objective) error) (domain.Objective, error) {
	for attempt := 0; ; attempt++ {
		o, err := s.Objective(ctx, workspace, ref)
		if err != nil {
			return o, err
		}
		if err := change(&o); err != nil {
			return o, err
		}
		err = s.UpdateObjective(ctx, &o)
		if domain.ErrorCode(err) == domain.ECONFLICT && attempt < 20 {
			time.Sleep(time.Duration(attempt+1) * 3 * time.Millisecond)
			continue
		}
		return o, err
	}
}

// DeleteObjective removes an objective with its key results and their check-ins.
func (s *Store) DeleteObjective(ctx context.Context, workspace, ref string) error {
	const op = "storage.DeleteObjective"
	o, err := s.Objective(ctx, workspace, ref)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	r, err := s.c(colObjectives).DeleteOne(ctx, byID(key(workspace, ref)))
	if err != nil {
		return fmt.Errorf("%s: %s: %w", op, ref, err)
	}
	if r.DeletedCount == 0 {
		return fmt.Errorf("%s: %w", op, domain.NotFound("There is no objective %s.", ref))
	}
	krs := make([]string, len(o.KeyResults))
	for i, kr := range o.KeyResults {
		krs[i] = kr.Ref
	}
	return s.deleteCheckIns(ctx, workspace, krs...)
}

func (s *Store) deleteCheckIns(ctx context.Context, workspace string, krs ...string) error {
	if len(krs) == 0 {
		return nil
	}
	if _, err := s.c(colCheckIns).DeleteMany(ctx, and(ws(workspace), "kr", bson.M{"$in": krs})); err != nil {
		return fmt.Errorf("storage.deleteCheckIns: %w", err)
	}
	return nil
}

// DeleteKeyResult removes one key result from its objective, and its check-ins.
func (s *Store) DeleteKeyResult(ctx context.Context, workspace, krRef string) (domain.Objective, error) {
	o, err := s.ObjectiveOfKR(ctx, workspace, krRef)
	if err != nil {
		return o, err
	}
	o, err = s.ModifyObjective(ctx, workspace, o.Ref, func(o *domain.Objective) error {
		for i, kr := range o.KeyResults {
			if kr.Ref == krRef {
				o.KeyResults = append(o.KeyResults[:i], o.KeyResults[i+1:]...)
				return nil
			}
		}
		return domain.NotFound("There is no key result %s.", krRef)
	})
	if err != nil {
		return o, err
	}
	return o, s.deleteCheckIns(ctx, workspace, krRef)
}
