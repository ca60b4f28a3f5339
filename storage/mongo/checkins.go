package mongo

import (
	"context"
	"errors"
	"slices"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/okrbot/okrbot/domain"
)

func checkInID(c domain.CheckIn) string { return key(c.WorkspaceID, c.UserID, c.KR, string(c.Week)) }

// checkInUpsert is the write that stores c: the _id is its natural key
// (workspace, user, key result, week), so a second check-in of the week is
// an update of the first.
func checkInUpsert(c domain.CheckIn) mongo.WriteModel {
	return mongo.NewUpdateOneModel().SetFilter(byID(checkInID(c))).SetUpsert(true).SetUpdate(bson.M{
		"$set": bson.M{"objective": c.Objective, "value": c.Value, "done": c.Done,
			"confidence": c.Confidence, "note": c.Note, "at": c.At, "by": c.By},
		"$setOnInsert": bson.M{"workspace": c.WorkspaceID, "user": c.UserID, "kr": c.KR, "week": string(c.Week), "first_at": firstAt(c)},
	})
}

// firstAt is when the week was first answered, as far as c knows.
func firstAt(c domain.CheckIn) time.Time {
	if c.FirstAt.IsZero() {
		return c.At
	}
	return c.FirstAt
}

// writeCheckIns upserts check-ins in one unordered bulk write, retrying
// the ones that lost a race between simultaneous upserts (E11000).
func (s *Store) writeCheckIns(ctx context.Context, cs []domain.CheckIn) error {
	for start := 0; start < len(cs); start += 1000 {
		batch := cs[start:min(start+1000, len(cs))]
		models := make([]mongo.WriteModel, len(batch))
		for i, c := range batch {
			models[i] = checkInUpsert(c)
		}
		err := retryDup(func() error {
			_, err := s.c(colCheckIns).BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// byObjective groups check-ins by the objective of their key result (the
// _id of its document), in a fixed order of writes, with their time set
// (now when they have none); all is every check-in, in that order.
func (s *Store) byObjective(ctx context.Context, cs []domain.CheckIn) (keys []string, groups map[string][]domain.CheckIn, all []domain.CheckIn, err error) {
	now := s.now()
	groups = map[string][]domain.CheckIn{}
	for _, c := range cs {
		if c.At.IsZero() {
			c.At = now
		}
		if c.Objective == "" {
			o, err := s.ObjectiveOfKR(ctx, c.WorkspaceID, c.KR)
			if err != nil {
				return nil, nil, nil, err
			}
			c.Objective = o.Ref
		}
		k := key(c.WorkspaceID, c.Objective)
		groups[k] = append(groups[k], c)
	}
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		all = append(all, groups[k]...)
	}
	return keys, groups, all, nil
}

// SaveCheckIns stores check-ins with what they do to their key results,
// the confidences of skipped answers, and the week note, in one transaction. Without transactions the
// check-ins are written first and each objective is then replaced only if
// unchanged since read, else everything is done again: a concurrent
// check-in is never lost, and the last to land is what both show.
func (s *Store) SaveCheckIns(ctx context.Context, cs, skipped []domain.CheckIn, note domain.WeekNote) error {
	const op = "mongo.SaveCheckIns"
	now := s.now()
	keys, groups, cs, err := s.byObjective(ctx, cs)
	if err != nil {
		return fail(ctx, op, err)
	}
	skipKeys, skips, _, err := s.byObjective(ctx, skipped)
	if err != nil {
		return fail(ctx, op, err)
	}
	for _, k := range skipKeys {
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	err = retry(ctx, func() error {
		return s.atomically(ctx, func(ctx context.Context) error {
			type change struct {
				next    domain.Objective
				version int
			}
			var changes []change
			for _, k := range keys {
				var d objectiveDoc
				if err := s.c(colObjectives).FindOne(ctx, byID(k)).Decode(&d); err != nil {
					if errors.Is(err, mongo.ErrNoDocuments) {
						return domain.NotFound("There is no key result %s.", append(groups[k], skips[k]...)[0].KR)
					}
					return err
				}
				o := d.domain()
				for _, c := range groups[k] {
					kr := o.KeyResult(c.KR)
					if kr == nil {
						return domain.NotFound("There is no key result %s.", c.KR)
					}
					kr.Apply(c)
				}
				for _, c := range skips[k] {
					kr := o.KeyResult(c.KR)
					if kr == nil {
						return domain.NotFound("There is no key result %s.", c.KR)
					}
					kr.ApplySkipped(c)
				}
				version := o.Version
				o.Version, o.UpdatedAt = version+1, now
				changes = append(changes, change{o, version})
			}
			if err := s.writeCheckIns(ctx, cs); err != nil {
				return err
			}
			for _, c := range changes {
				if err := s.replace(ctx, c.next, c.version); err != nil {
					return err
				}
			}
			if note.Empty() {
				return nil
			}
			return s.saveWeekNote(ctx, note)
		})
	})
	return fail(ctx, op, err)
}

func (s *Store) saveWeekNote(ctx context.Context, n domain.WeekNote) error {
	if n.At.IsZero() {
		n.At = s.now()
	}
	return retryDup(func() error {
		_, err := s.c(colWeekNotes).UpdateOne(ctx, byID(key(n.WorkspaceID, n.UserID, string(n.Week))),
			bson.M{"$set": bson.M{"note": n.Note, "wins": n.Wins, "blockers": n.Blockers, "help": n.Help, "at": n.At},
				"$setOnInsert": bson.M{"workspace": n.WorkspaceID, "user": n.UserID, "week": string(n.Week)}},
			options.UpdateOne().SetUpsert(true))
		return err
	})
}

// ImportCheckIns stores check-ins as history: their key results must
// exist (one lookup per objective), then one bulk write.
func (s *Store) ImportCheckIns(ctx context.Context, cs []domain.CheckIn) error {
	const op = "mongo.ImportCheckIns"
	keys, groups, all, err := s.byObjective(ctx, cs)
	if err != nil {
		return fail(ctx, op, err)
	}
	for _, k := range keys {
		var d objectiveDoc
		err := s.c(colObjectives).FindOne(ctx, byID(k), options.FindOne().SetProjection(bson.M{"key_results.ref": 1})).Decode(&d)
		if err != nil {
			return fail(ctx, op, err, "There is no key result %s.", groups[k][0].KR)
		}
		o := d.domain()
		for _, c := range groups[k] {
			if o.KeyResult(c.KR) == nil {
				return fail(ctx, op, domain.NotFound("There is no key result %s.", c.KR))
			}
		}
	}
	return fail(ctx, op, s.writeCheckIns(ctx, all))
}

// WeekNotes returns the overall notes of a week, by person.
func (s *Store) WeekNotes(ctx context.Context, workspace string, week domain.Week) ([]domain.WeekNote, error) {
	return s.weekNotes(ctx, and(ws(workspace), "week", string(week)))
}

// AllWeekNotes returns every week note of a workspace, by week and person.
func (s *Store) AllWeekNotes(ctx context.Context, workspace string) ([]domain.WeekNote, error) {
	return s.weekNotes(ctx, ws(workspace))
}

func (s *Store) weekNotes(ctx context.Context, q bson.M) ([]domain.WeekNote, error) {
	ds, err := findAll[weekNoteDoc](ctx, s.c(colWeekNotes), q, options.Find().SetSort(bson.D{{Key: "week", Value: 1}, {Key: "user", Value: 1}}))
	if err != nil {
		return nil, fail(ctx, "mongo.WeekNotes", err)
	}
	out := make([]domain.WeekNote, len(ds))
	for i, d := range ds {
		out[i] = domain.WeekNote{WorkspaceID: d.Workspace, UserID: d.User, Week: domain.Week(d.Week), Note: d.Note, Wins: d.Wins,
			Blockers: d.Blockers, Help: d.Help, At: d.At}
	}
	return out, nil
}

// CheckIns returns a workspace's check-ins that match f, oldest first.
func (s *Store) CheckIns(ctx context.Context, workspace string, f domain.CheckInFilter) ([]domain.CheckIn, error) {
	const op = "mongo.CheckIns"
	q := ws(workspace)
	if f.User != "" {
		q["user"] = f.User
	}
	if len(f.Weeks) > 0 {
		weeks := make([]string, len(f.Weeks))
		for i, w := range f.Weeks {
			weeks[i] = string(w)
		}
		q["week"] = bson.M{"$in": weeks}
	}
	krs := f.KRs
	if f.Team != "" {
		// A team's key results first (an index lookup), then theirs.
		ds, err := findAll[objectiveDoc](ctx, s.c(colObjectives), and(ws(workspace), "team", f.Team),
			options.Find().SetProjection(bson.M{"key_results.ref": 1}))
		if err != nil {
			return nil, fail(ctx, op, err)
		}
		var team []string
		for _, d := range ds {
			for _, kr := range d.KeyResults {
				if len(f.KRs) == 0 || slices.Contains(f.KRs, kr.Ref) {
					team = append(team, kr.Ref)
				}
			}
		}
		if len(team) == 0 {
			return []domain.CheckIn{}, nil
		}
		krs = team
	}
	if len(krs) > 0 {
		q["kr"] = bson.M{"$in": krs}
	}
	if !f.Since.IsZero() {
		q["at"] = bson.M{"$gte": f.Since}
	}
	ds, err := findAll[checkInDoc](ctx, s.c(colCheckIns), q, options.Find().SetSort(bson.D{{Key: "at", Value: 1}}))
	if err != nil {
		return nil, fail(ctx, op+": "+workspace, err)
	}
	out := mapDocs(ds)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		if a.UserID != b.UserID {
			return a.UserID < b.UserID
		}
		return a.KR < b.KR
	})
	return out, nil
}

// CheckInPoints returns the progress lines of key results since a moment,
// reading only the fields a line needs.
func (s *Store) CheckInPoints(ctx context.Context, workspace string, krs []string, since time.Time) (map[string][]domain.Point, error) {
	const op = "mongo.CheckInPoints"
	if len(krs) == 0 {
		return map[string][]domain.Point{}, nil
	}
	q := and(ws(workspace), "kr", bson.M{"$in": krs})
	q["at"] = bson.M{"$gte": since}
	ds, err := findAll[checkInDoc](ctx, s.c(colCheckIns), q,
		options.Find().SetProjection(bson.M{"_id": 0, "user": 1, "kr": 1, "week": 1, "value": 1, "at": 1}))
	if err != nil {
		return nil, fail(ctx, op+": "+workspace, err)
	}
	ps := make([]domain.CheckInPoint, len(ds))
	for i, d := range ds {
		ps[i] = domain.CheckInPoint{User: d.User, KR: d.KR, Week: domain.Week(d.Week), Point: domain.Point{At: d.At, Value: d.Value}}
	}
	return domain.WeeklyPoints(ps), nil
}
