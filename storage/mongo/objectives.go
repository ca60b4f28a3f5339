package mongo

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
)

// nextRefs hands out n consecutive numbers of prefix in the workspace with
// one atomic $inc of its counter, and returns the first. In a transaction
// the counter moves only if the transaction commits.
func (s *Store) nextRefs(ctx context.Context, workspace, prefix string, n int) (int64, error) {
	var c struct {
		Seq int64 `bson:"seq"`
	}
	err := retryDup(func() error {
		return s.c(colCounters).FindOneAndUpdate(ctx, byID(key(workspace, prefix)), bson.M{"$inc": bson.M{"seq": int64(n)}},
			options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&c)
	})
	return c.Seq - int64(n) + 1, err
}

// raiseRef keeps the counter of prefix at or above a ref given from outside
// (an import, a test), so that no later ref repeats it.
func (s *Store) raiseRef(ctx context.Context, workspace, prefix, ref string) error {
	return retryDup(func() error {
		_, err := s.c(colCounters).UpdateOne(ctx, byID(key(workspace, prefix)), bson.M{"$max": bson.M{"seq": storage.RefNumber(ref)}},
			options.UpdateOne().SetUpsert(true))
		return err
	})
}

// assignRefs gives the key results of o without a ref the next KR-n and
// its initiatives without one the next I-n, and checks that those with a
// ref the objective did not have before (old) exist nowhere else.
func (s *Store) assignRefs(ctx context.Context, o *domain.Objective, old domain.Objective) error {
	var oldKRs, oldIns []string
	for _, kr := range old.KeyResults {
		oldKRs = append(oldKRs, kr.Ref)
		for _, in := range kr.Initiatives {
			oldIns = append(oldIns, in.Ref)
		}
	}
	if err := s.assignKRRefs(ctx, o, oldKRs); err != nil {
		return err
	}
	var missing []*domain.Initiative
	var given []string
	for i := range o.KeyResults {
		for j := range o.KeyResults[i].Initiatives {
			in := &o.KeyResults[i].Initiatives[j]
			switch {
			case in.Ref == "":
				missing = append(missing, in)
			case !slices.Contains(oldIns, in.Ref):
				given = append(given, in.Ref)
			}
		}
	}
	if len(given) > 0 {
		err := s.c(colObjectives).FindOne(ctx, and(ws(o.WorkspaceID), "key_results.initiatives.ref", bson.M{"$in": given})).Err()
		if err == nil {
			return domain.Errorf(domain.ECONFLICT, "One of %s exists already.", strings.Join(given, ", "))
		}
		if !errors.Is(err, mongo.ErrNoDocuments) {
			return err
		}
		for _, r := range given {
			if err := s.raiseRef(ctx, o.WorkspaceID, "I", r); err != nil {
				return err
			}
		}
	}
	if len(missing) > 0 {
		first, err := s.nextRefs(ctx, o.WorkspaceID, "I", len(missing))
		if err != nil {
			return err
		}
		for j, in := range missing {
			in.Ref = storage.Ref("I", first+int64(j))
		}
	}
	return nil
}

// assignKRRefs gives the key results of o without a ref the next KR-n, and
// checks that those with a ref not in old exist nowhere else.
func (s *Store) assignKRRefs(ctx context.Context, o *domain.Objective, old []string) error {
	var missing []int
	var given []string
	for i, kr := range o.KeyResults {
		switch {
		case kr.Ref == "":
			missing = append(missing, i)
		case !slices.Contains(old, kr.Ref):
			given = append(given, kr.Ref)
		}
	}
	if len(given) > 0 {
		err := s.c(colObjectives).FindOne(ctx, and(ws(o.WorkspaceID), "key_results.ref", bson.M{"$in": given})).Err()
		if err == nil {
			return domain.Errorf(domain.ECONFLICT, "One of %s exists already.", strings.Join(given, ", "))
		}
		if !errors.Is(err, mongo.ErrNoDocuments) {
			return err
		}
		for _, r := range given {
			if err := s.raiseRef(ctx, o.WorkspaceID, "KR", r); err != nil {
				return err
			}
		}
	}
	if len(missing) > 0 {
		first, err := s.nextRefs(ctx, o.WorkspaceID, "KR", len(missing))
		if err != nil {
			return err
		}
		for j, i := range missing {
			o.KeyResults[i].Ref = storage.Ref("KR", first+int64(j))
		}
	}
	return nil
}

// CreateObjective stores a new objective with its key results, handing out
// the refs they lack in the same transaction as the insert.
func (s *Store) CreateObjective(ctx context.Context, o *domain.Objective) error {
	const op = "mongo.CreateObjective"
	base := *o
	if base.CreatedAt.IsZero() {
		base.CreatedAt = s.now()
	}
	base.CreatedAt = base.CreatedAt.Truncate(time.Millisecond)
	base.UpdatedAt, base.Version = base.CreatedAt, 1
	var done domain.Objective
	err := retry(ctx, func() error {
		return s.atomically(ctx, func(ctx context.Context) error {
			next := base.Clone()
			if next.KeyResults == nil {
				next.KeyResults = []domain.KeyResult{}
			}
			assigned := next.Ref == ""
			if assigned {
				n, err := s.nextRefs(ctx, next.WorkspaceID, "O", 1)
				if err != nil {
					return err
				}
				next.Ref = storage.Ref("O", n)
			} else if err := s.raiseRef(ctx, next.WorkspaceID, "O", next.Ref); err != nil {
				return err
			}
			if err := s.assignRefs(ctx, &next, domain.Objective{}); err != nil {
				return err
			}
			if _, err := s.c(colObjectives).InsertOne(ctx, fromObjective(next)); err != nil {
				if mongo.IsDuplicateKeyError(err) {
					if assigned {
						return errConflict // the counter was behind a ref in use: take the next
					}
					return domain.Errorf(domain.ECONFLICT, "%s exists already.", next.Ref)
				}
				return err
			}
			done = next
			return nil
		})
	})
	if err != nil {
		return fail(ctx, op+": "+base.Ref, err)
	}
	*o = done
	return nil
}

// Objective returns the objective with ref.
func (s *Store) Objective(ctx context.Context, workspace, ref string) (domain.Objective, error) {
	var d objectiveDoc
	if err := s.c(colObjectives).FindOne(ctx, byID(key(workspace, ref))).Decode(&d); err != nil {
		return domain.Objective{}, fail(ctx, "mongo.Objective: "+ref, err, "There is no objective %s.", ref)
	}
	return d.domain(), nil
}

// ObjectiveOfKR returns the objective that holds the key result with ref.
func (s *Store) ObjectiveOfKR(ctx context.Context, workspace, krRef string) (domain.Objective, error) {
	var d objectiveDoc
	if err := s.c(colObjectives).FindOne(ctx, and(ws(workspace), "key_results.ref", krRef)).Decode(&d); err != nil {
		return domain.Objective{}, fail(ctx, "mongo.ObjectiveOfKR: "+krRef, err, "There is no key result %s.", krRef)
	}
	return d.domain(), nil
}

// ObjectiveOfInitiative returns the objective holding the initiative ref
// ("I-4"): initiatives live inside their key result, in the objective's
// document, so they are written and deleted with it.
func (s *Store) ObjectiveOfInitiative(ctx context.Context, workspace, ref string) (domain.Objective, error) {
	var d objectiveDoc
	if err := s.c(colObjectives).FindOne(ctx, and(ws(workspace), "key_results.initiatives.ref", ref)).Decode(&d); err != nil {
		return domain.Objective{}, fail(ctx, "mongo.ObjectiveOfInitiative: "+ref, err, "There is no initiative %s.", ref)
	}
	return d.domain(), nil
}

// Objectives returns the objectives of a workspace that match f, oldest
// first, then by ref number, without their history.
func (s *Store) Objectives(ctx context.Context, workspace string, f domain.ObjectiveFilter) ([]domain.Objective, error) {
	q := ws(workspace)
	if f.Cycle != "" {
		q["cycle"] = string(f.Cycle)
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
	ds, err := findAll[objectiveDoc](ctx, s.c(colObjectives), q, options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}).SetProjection(bson.M{"history": 0}))
	if err != nil {
		return nil, fail(ctx, "mongo.Objectives: "+workspace, err)
	}
	out := mapDocs(ds)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return storage.RefNumber(a.Ref) < storage.RefNumber(b.Ref)
	})
	return out, nil
}

// ModifyObjective reads the objective, applies change and replaces it if
// its version is still the one read (a conditional write MongoDB makes
// atomic); when another writer got there first it reads again and retries,
// so no change is lost. New key results get their refs, and removed ones
// lose their check-ins, in the same transaction.
func (s *Store) ModifyObjective(ctx context.Context, workspace, ref string, change func(*domain.Objective) error) (domain.Objective, error) {
	const op = "mongo.ModifyObjective"
	var out domain.Objective
	var refused error // change's own error, returned as it is
	err := retry(ctx, func() error {
		return s.atomically(ctx, func(ctx context.Context) error {
			var d objectiveDoc
			if err := s.c(colObjectives).FindOne(ctx, byID(key(workspace, ref))).Decode(&d); err != nil {
				if errors.Is(err, mongo.ErrNoDocuments) {
					return domain.NotFound("There is no objective %s.", ref)
				}
				return err
			}
			cur := d.domain()
			next := cur.Clone()
			if refused = change(&next); refused != nil {
				return refused
			}
			next.WorkspaceID, next.Ref = cur.WorkspaceID, cur.Ref
			next.Version, next.UpdatedAt = cur.Version+1, s.now()
			old := make([]string, len(cur.KeyResults))
			for i, kr := range cur.KeyResults {
				old[i] = kr.Ref
			}
			if err := s.assignRefs(ctx, &next, cur); err != nil {
				return err
			}
			if err := s.replace(ctx, next, cur.Version); err != nil {
				return err
			}
			var gone []string
			for _, r := range old {
				if next.KeyResult(r) == nil {
					gone = append(gone, r)
				}
			}
			if err := s.deleteCheckIns(ctx, workspace, gone...); err != nil {
				return err
			}
			out = next
			return nil
		})
	})
	if refused != nil {
		return out, refused
	}
	if err != nil {
		return out, fail(ctx, op+": "+ref, err)
	}
	return out, nil
}

// replace writes o over the stored objective if that is still at version.
func (s *Store) replace(ctx context.Context, o domain.Objective, version int) error {
	r, err := s.c(colObjectives).ReplaceOne(ctx, bson.M{"_id": key(o.WorkspaceID, o.Ref), "version": version}, fromObjective(o))
	if err != nil {
		return err
	}
	if r.MatchedCount == 0 {
		return errConflict
	}
	return nil
}

// DeleteObjective removes an objective with its key results and their check-ins.
func (s *Store) DeleteObjective(ctx context.Context, workspace, ref string) error {
	const op = "mongo.DeleteObjective"
	err := s.atomically(ctx, func(ctx context.Context) error {
		var d objectiveDoc
		if err := s.c(colObjectives).FindOneAndDelete(ctx, byID(key(workspace, ref))).Decode(&d); err != nil {
			if errors.Is(err, mongo.ErrNoDocuments) {
				return domain.NotFound("There is no objective %s.", ref)
			}
			return err
		}
		krs := make([]string, len(d.KeyResults))
		for i, kr := range d.KeyResults {
			krs[i] = kr.Ref
		}
		return s.deleteCheckIns(ctx, workspace, krs...)
	})
	return fail(ctx, op+": "+ref, err)
}

func (s *Store) deleteCheckIns(ctx context.Context, workspace string, krs ...string) error {
	if len(krs) == 0 {
		return nil
	}
	_, err := s.c(colCheckIns).DeleteMany(ctx, and(ws(workspace), "kr", bson.M{"$in": krs}))
	return err
}

// DeleteKeyResult removes one key result from its objective, and its check-ins.
func (s *Store) DeleteKeyResult(ctx context.Context, workspace, krRef string) (domain.Objective, error) {
	o, err := s.ObjectiveOfKR(ctx, workspace, krRef)
	if err != nil {
		return o, err
	}
	return s.ModifyObjective(ctx, workspace, o.Ref, func(o *domain.Objective) error {
		for i, kr := range o.KeyResults {
			if kr.Ref == krRef {
				o.KeyResults = append(o.KeyResults[:i], o.KeyResults[i+1:]...)
				return nil
			}
		}
		return domain.NotFound("There is no key result %s.", krRef)
	})
}
