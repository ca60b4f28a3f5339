package mongo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
)

// chunk is how many documents one query or bulk write carries.
const chunk = 1000

// ImportData writes an import in one transaction where the deployment has
// them. Without transactions it is written step by step, in the order of
// what refers to what (people, KPIs, their values, objectives, check-ins),
// and a failure half-way leaves what was written; every ref is checked
// before the first write, so a conflict writes nothing. The counters of
// refs are raised above every ref imported, once per prefix.
func (s *Store) ImportData(ctx context.Context, workspace string, b domain.ImportBatch) error {
	const op = "mongo.ImportData"
	var err error
	if s.txn {
		err = retry(ctx, func() error {
			return s.atomically(ctx, func(ctx context.Context) error { return s.importData(ctx, workspace, b) })
		})
	} else if err = s.importData(ctx, workspace, b); errors.Is(err, errConflict) {
		// Written step by step: running it again would meet its own writes.
		err = domain.Errorf(domain.ECONFLICT, "An objective of %s changed while the import ran; check what was written and import the rest again.", workspace)
	}
	return fail(ctx, op+": "+workspace, err)
}

func (s *Store) importData(ctx context.Context, workspace string, b domain.ImportBatch) error {
	now := s.now()
	objs := make([]domain.Objective, len(b.Objectives))
	refs := map[string][]string{} // prefix -> refs the batch brings
	for i, in := range b.Objectives {
		o, err := storage.ImportedObjective(in, workspace, now)
		if err != nil {
			return err
		}
		objs[i] = o
		refs["O"] = append(refs["O"], o.Ref)
		for _, kr := range o.KeyResults {
			refs["KR"] = append(refs["KR"], kr.Ref)
			for _, in := range kr.Initiatives {
				refs["I"] = append(refs["I"], in.Ref)
			}
		}
	}
	for _, krs := range b.KeyResults {
		for _, kr := range krs {
			refs["KR"] = append(refs["KR"], kr.Ref)
			for _, in := range kr.Initiatives {
				refs["I"] = append(refs["I"], in.Ref)
			}
		}
	}
	if err := s.refsFree(ctx, workspace, refs); err != nil {
		return err
	}

	if w := b.Workspace; w != nil {
		if w.ID != workspace {
			return domain.Invalid("", "The import's workspace is %s, not %s.", w.ID, workspace)
		}
		d := workspaceDoc{ID: w.ID, Platform: string(w.Platform), ExternalID: w.ExternalID, Name: w.Name, Settings: fromSettings(w.Settings),
			Admins: w.Admins, CreatedAt: w.CreatedAt}
		if d.CreatedAt.IsZero() {
			d.CreatedAt = now
		}
		if _, err := s.c(colWorkspaces).InsertOne(ctx, d); err != nil {
			if mongo.IsDuplicateKeyError(err) {
				return domain.Errorf(domain.ECONFLICT, "The workspace %s exists already.", w.ID)
			}
			return err
		}
	}
	if err := s.importPeople(ctx, workspace, b.People, now); err != nil {
		return err
	}
	for _, k := range b.KPIs {
		k.WorkspaceID = workspace
		if err := s.insertKPI(ctx, k); err != nil {
			return fmt.Errorf("%s: %w", k.Slug, err)
		}
	}
	if err := s.importValues(ctx, workspace, b.KPIValues); err != nil {
		return err
	}
	for prefix, rs := range refs {
		top := ""
		for _, r := range rs {
			if storage.RefNumber(r) > storage.RefNumber(top) {
				top = r
			}
		}
		if err := s.raiseRef(ctx, workspace, prefix, top); err != nil {
			return err
		}
	}
	for start := 0; start < len(objs); start += chunk {
		var docs []any
		for _, o := range objs[start:min(start+chunk, len(objs))] {
			docs = append(docs, fromObjective(o))
		}
		if _, err := s.c(colObjectives).InsertMany(ctx, docs); err != nil {
			if mongo.IsDuplicateKeyError(err) {
				return domain.Errorf(domain.ECONFLICT, "An objective of the import exists already.")
			}
			return err
		}
	}
	oRefs := make([]string, 0, len(b.KeyResults))
	for oref := range b.KeyResults {
		oRefs = append(oRefs, oref)
	}
	sort.Strings(oRefs)
	for _, oref := range oRefs {
		var d objectiveDoc
		if err := s.c(colObjectives).FindOne(ctx, byID(key(workspace, oref))).Decode(&d); err != nil {
			if errors.Is(err, mongo.ErrNoDocuments) {
				return domain.NotFound("There is no objective %s.", oref)
			}
			return err
		}
		o := d.domain()
		version := o.Version
		o.KeyResults = append(o.KeyResults, b.KeyResults[oref]...)
		o.Version, o.UpdatedAt = version+1, now
		if err := s.replace(ctx, o, version); err != nil {
			return err // errConflict: a concurrent change; ImportData starts again
		}
	}
	if err := s.importCheckIns(ctx, workspace, b.CheckIns, objs, now); err != nil {
		return err
	}
	for _, n := range b.WeekNotes {
		n.WorkspaceID = workspace
		if err := s.saveWeekNote(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// refsFree checks that no objective, key result or initiative of the
// workspace has one of refs (by prefix).
func (s *Store) refsFree(ctx context.Context, workspace string, refs map[string][]string) error {
	field := map[string]string{"O": "ref", "KR": "key_results.ref", "I": "key_results.initiatives.ref"}
	for prefix, rs := range refs {
		for start := 0; start < len(rs); start += chunk {
			part := rs[start:min(start+chunk, len(rs))]
			var d objectiveDoc
			err := s.c(colObjectives).FindOne(ctx, and(ws(workspace), field[prefix], bson.M{"$in": part}),
				options.FindOne().SetProjection(bson.M{"ref": 1, "key_results.ref": 1, "key_results.initiatives.ref": 1})).Decode(&d)
			if errors.Is(err, mongo.ErrNoDocuments) {
				continue
			}
			if err != nil {
				return err
			}
			taken := d.Ref
			for _, kr := range d.KeyResults {
				if prefix == "KR" && slices.Contains(part, kr.Ref) {
					taken = kr.Ref
				}
				for _, in := range kr.Initiatives {
					if prefix == "I" && slices.Contains(part, in.Ref) {
						taken = in.Ref
					}
				}
			}
			return domain.Errorf(domain.ECONFLICT, "%s exists already.", taken)
		}
	}
	return nil
}

func (s *Store) importPeople(ctx context.Context, workspace string, people []domain.User, now time.Time) error {
	for start := 0; start < len(people); start += chunk {
		var models []mongo.WriteModel
		for _, u := range people[start:min(start+chunk, len(people))] {
			set := bson.M{"updated_at": now}
			if !u.UpdatedAt.IsZero() {
				set["updated_at"] = u.UpdatedAt
			}
			for k, v := range map[string]string{"name": u.Name, "email": u.Email, "timezone": u.TimeZone} {
				if v != "" {
					set[k] = v
				}
			}
			upd := bson.M{"$set": set, "$setOnInsert": bson.M{"workspace": workspace, "user": u.ID}}
			if !u.AwayUntil.IsZero() {
				set["away_until"] = u.AwayUntil
				// An absence imported is a change of the away history (as
				// SetAway's), from when the person was last updated.
				upd["$push"] = bson.M{"away_log": awayChangeDoc{At: set["updated_at"].(time.Time), Until: u.AwayUntil}}
			}
			models = append(models, mongo.NewUpdateOneModel().SetFilter(byID(key(workspace, u.ID))).SetUpsert(true).SetUpdate(upd))
		}
		if len(models) == 0 {
			continue
		}
		if err := retryDup(func() error {
			_, err := s.c(colUsers).BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// importValues inserts values in bulk and then moves each KPI's latest to
// the latest imported value, unless a later one is latest already. Keyed
// values go one by one (addValue), to be recorded once.
func (s *Store) importValues(ctx context.Context, workspace string, vals []domain.KPIValue) error {
	latest := map[string]domain.KPIValue{}
	var bulk []any
	for _, v := range vals {
		v.WorkspaceID = workspace
		if v.Key != "" {
			if err := s.addValue(ctx, v); err != nil {
				return err
			}
			continue
		}
		bulk = append(bulk, fromKPIValue(v))
		if l, ok := latest[v.Slug]; !ok || !v.At.Before(l.At) {
			latest[v.Slug] = v
		}
	}
	for start := 0; start < len(bulk); start += chunk {
		if _, err := s.c(colKPIValues).InsertMany(ctx, bulk[start:min(start+chunk, len(bulk))]); err != nil {
			return err
		}
	}
	for slug, v := range latest {
		r, err := s.c(colKPIs).UpdateOne(ctx, bson.M{"_id": key(workspace, slug), "$or": bson.A{
			bson.M{"latest": nil}, bson.M{"latest.at": bson.M{"$lte": v.At}},
		}}, bson.M{"$set": bson.M{"latest": fromKPIValue(v)}})
		if err != nil {
			return err
		}
		if r.MatchedCount == 0 {
			if err := s.c(colKPIs).FindOne(ctx, byID(key(workspace, slug))).Err(); errors.Is(err, mongo.ErrNoDocuments) {
				return domain.NotFound("There is no KPI %s.", slug)
			}
		}
	}
	return nil
}

// importCheckIns stores check-ins as history after checking that their
// key results exist: in objs (the import's objectives) or in the store.
func (s *Store) importCheckIns(ctx context.Context, workspace string, cs []domain.CheckIn, objs []domain.Objective, now time.Time) error {
	known := map[string]string{} // kr -> objective
	for _, o := range objs {
		for _, kr := range o.KeyResults {
			known[kr.Ref] = o.Ref
		}
	}
	var ask []string
	asked := map[string]bool{}
	for _, c := range cs {
		if _, ok := known[c.KR]; !ok && !asked[c.KR] {
			asked[c.KR] = true
			ask = append(ask, c.KR)
		}
	}
	for start := 0; start < len(ask); start += chunk {
		ds, err := findAll[objectiveDoc](ctx, s.c(colObjectives), and(ws(workspace), "key_results.ref", bson.M{"$in": ask[start:min(start+chunk, len(ask))]}),
			options.Find().SetProjection(bson.M{"ref": 1, "key_results.ref": 1}))
		if err != nil {
			return err
		}
		for _, d := range ds {
			for _, kr := range d.KeyResults {
				known[kr.Ref] = d.Ref
			}
		}
	}
	all := make([]domain.CheckIn, len(cs))
	for i, c := range cs {
		oref, ok := known[c.KR]
		if !ok {
			return domain.NotFound("There is no key result %s.", c.KR)
		}
		c.WorkspaceID, c.Objective = workspace, oref
		if c.At.IsZero() {
			c.At = now
		}
		all[i] = c
	}
	return s.writeCheckIns(ctx, all)
}
