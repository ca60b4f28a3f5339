package mongo

// The outbox of the weekly rhythm (outbox.Store), the next-due index
// (rhythm.Schedules), the learned paces (pace.Store) and the scheduler's job
// leases. A delivery is one document whose _id is its natural key
// (workspace, recipient, kind, period), behind a unique index; a claim is
// one findOneAndUpdate conditional on the attempt it expects and on the
// entry being unfinished, so of several replicas exactly one wins an
// attempt, and the claim is recorded by the same write that wins it; a
// renewal or the end of an attempt is one update conditional on the
// attempt (holder and attempts). A lease is one document taken over by a
// conditional upsert.

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/okrbot/okrbot/domain"
)

// Enqueue writes deliveries to the outbox before anything is sent. An entry
// whose id exists already is left as it is. It returns how many were new.
func (s *Store) Enqueue(ctx context.Context, entries []domain.OutboxEntry) (int, error) {
	const op = "mongo.Enqueue"
	added := 0
	for start := 0; start < len(entries); start += 500 {
		batch := entries[start:min(start+500, len(entries))]
		docs := make([]any, len(batch))
		for i, e := range batch {
			if e.CreatedAt.IsZero() {
				e.CreatedAt = s.now()
			}
			if e.State == "" {
				e.State = domain.OutboxPending
			}
			docs[i] = fromOutbox(e)
		}
		r, err := s.c(colOutbox).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
		if r != nil {
			added += len(r.InsertedIDs)
		}
		var bwe mongo.BulkWriteException
		if errors.As(err, &bwe) {
			for _, we := range bwe.WriteErrors {
				if we.Code != 11000 {
					return added, fail(ctx, op, err)
				}
			}
			if r == nil || len(r.InsertedIDs) == 0 {
				added += len(batch) - len(bwe.WriteErrors)
			}
			continue
		}
		if err != nil {
			return added, fail(ctx, op, err)
		}
	}
	return added, nil
}

// unfinished are the states of a delivery not over yet.
var unfinished = bson.A{domain.OutboxPending, domain.OutboxSending, domain.OutboxFailed}

// scope is the filter of an outbox query.
func scope(q domain.OutboxQuery) bson.M {
	f := bson.M{}
	if len(q.Kinds) > 0 {
		f["kind"] = bson.M{"$in": q.Kinds}
	}
	if len(q.Workspaces) > 0 {
		f["workspace"] = bson.M{"$in": q.Workspaces}
	}
	return f
}

// Due returns up to limit deliveries of q that a process may take at now:
// pending and failed ones whose time has come, and sending ones whose lease
// ran out (their process died). Oldest first.
func (s *Store) Due(ctx context.Context, q domain.OutboxQuery, now time.Time, limit int) ([]domain.OutboxEntry, error) {
	f := scope(q)
	f["$or"] = bson.A{
		bson.M{"state": bson.M{"$in": bson.A{domain.OutboxPending, domain.OutboxFailed}}, "next_at": bson.M{"$lte": now}},
		bson.M{"state": domain.OutboxSending, "lease_until": bson.M{"$lt": now}},
	}
	ds, err := findAll[outboxDoc](ctx, s.c(colOutbox), f, options.Find().SetSort(bson.D{{Key: "next_at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fail(ctx, "mongo.Due", err)
	}
	return mapDocs(ds), nil
}

// NextDue returns the earliest moment an unfinished delivery of q comes
// due: a pending or failed one's time, or the end of a lease.
func (s *Store) NextDue(ctx context.Context, q domain.OutboxQuery) (time.Time, bool, error) {
	f := scope(q)
	f["state"] = bson.M{"$in": unfinished}
	ds, err := findAll[outboxDoc](ctx, s.c(colOutbox), f, options.Find().SetProjection(bson.M{"state": 1, "next_at": 1, "lease_until": 1}))
	if err != nil {
		return time.Time{}, false, fail(ctx, "mongo.NextDue", err)
	}
	var next time.Time
	for _, d := range ds {
		t := d.NextAt
		if d.State == string(domain.OutboxSending) {
			t = d.LeaseUntil
		}
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next, !next.IsZero(), nil
}

// Delivery returns one outbox entry.
func (s *Store) Delivery(ctx context.Context, id string) (domain.OutboxEntry, error) {
	var d outboxDoc
	if err := s.c(colOutbox).FindOne(ctx, byID(id)).Decode(&d); err != nil {
		return domain.OutboxEntry{}, fail(ctx, "mongo.Delivery", err, "No delivery %s.", id)
	}
	return d.domain(), nil
}

// Claim takes a delivery, as Due returned it, for one attempt by holder
// until the given moment: one findOneAndUpdate that matches only while the
// entry is unfinished and still at the attempt e read. The returned entry
// counts this attempt.
func (s *Store) Claim(ctx context.Context, e domain.OutboxEntry, holder string, until time.Time) (domain.OutboxEntry, bool, error) {
	const op = "mongo.Claim"
	var d outboxDoc
	err := s.c(colOutbox).FindOneAndUpdate(ctx,
		bson.M{"_id": e.ID, "attempts": e.Attempts, "state": bson.M{"$in": unfinished}},
		bson.M{"$set": bson.M{"state": domain.OutboxSending, "holder": holder, "lease_until": until}, "$inc": bson.M{"attempts": 1}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fail(ctx, op+": "+e.ID, err)
	}
	return d.domain(), true, nil
}

// attemptOf is the filter of the attempt claimed as e.
func attemptOf(e domain.OutboxEntry) bson.M {
	return bson.M{"_id": e.ID, "state": domain.OutboxSending, "holder": e.Holder, "attempts": e.Attempts}
}

// Renew extends the lease of the attempt claimed as e; false when the
// entry is no longer e's attempt.
func (s *Store) Renew(ctx context.Context, e domain.OutboxEntry, until time.Time) (bool, error) {
	r, err := s.c(colOutbox).UpdateOne(ctx, attemptOf(e), bson.M{"$set": bson.M{"lease_until": until}})
	if err != nil {
		return false, fail(ctx, "mongo.Renew: "+e.ID, err)
	}
	return r.MatchedCount == 1, nil
}

// Finish records the end of the attempt claimed as e, with e's outcome;
// false (and nothing changed) when the entry is no longer e's attempt.
func (s *Store) Finish(ctx context.Context, e domain.OutboxEntry) (bool, error) {
	r, err := s.c(colOutbox).UpdateOne(ctx, attemptOf(e), bson.M{"$set": bson.M{
		"state": e.State, "next_at": e.NextAt, "unsure": e.Unsure, "message_id": e.MessageID, "last_error": e.LastError,
		"done_at": e.DoneAt, "lease_until": time.Time{}, "holder": "",
	}})
	if err != nil {
		return false, fail(ctx, "mongo.Finish: "+e.ID, err)
	}
	return r.MatchedCount == 1, nil
}

// Deliveries returns the deliveries of q whose period is one of periods,
// and every unfinished one of q.
func (s *Store) Deliveries(ctx context.Context, q domain.OutboxQuery, periods []string) ([]domain.OutboxEntry, error) {
	f := scope(q)
	if periods == nil {
		periods = []string{}
	}
	f["$or"] = bson.A{bson.M{"period": bson.M{"$in": periods}}, bson.M{"state": bson.M{"$in": unfinished}}}
	ds, err := findAll[outboxDoc](ctx, s.c(colOutbox), f)
	if err != nil {
		return nil, fail(ctx, "mongo.Deliveries", err)
	}
	return mapDocs(ds), nil
}

// OutboxDepth counts the unfinished deliveries by kind and state (for
// metrics).
func (s *Store) OutboxDepth(ctx context.Context) (map[[2]string]int, error) {
	type row struct {
		Kind  string `bson:"kind"`
		State string `bson:"state"`
	}
	// Counted here rather than by $group: FerretDB, which the tests use,
	// computes only the first accumulator of a $group.
	rows, err := findAll[row](ctx, s.c(colOutbox), bson.M{"state": bson.M{"$in": unfinished}},
		options.Find().SetProjection(bson.M{"kind": 1, "state": 1}))
	if err != nil {
		return nil, fail(ctx, "mongo.OutboxDepth", err)
	}
	out := map[[2]string]int{}
	for _, r := range rows {
		out[[2]string{r.Kind, r.State}]++
	}
	return out, nil
}

// CleanupOutbox deletes the deliveries that finished before t (their
// periods are long over; the unique key no longer protects anything).
func (s *Store) CleanupOutbox(ctx context.Context, t time.Time) (int64, error) {
	r, err := s.c(colOutbox).DeleteMany(ctx, bson.M{
		"state":   bson.M{"$in": bson.A{domain.OutboxSent, domain.OutboxSkipped, domain.OutboxDead, domain.OutboxExpired}},
		"done_at": bson.M{"$lt": t},
	})
	if err != nil {
		return 0, fail(ctx, "mongo.CleanupOutbox", err)
	}
	return r.DeletedCount, nil
}

// DueWorkspaces returns those of workspaces whose next moment for kind is
// at or before until, or unknown (no document, or a zero moment: marked
// changed). It reads one small document per workspace.
func (s *Store) DueWorkspaces(ctx context.Context, kind string, until time.Time, workspaces []string) ([]string, error) {
	if len(workspaces) == 0 {
		return nil, nil
	}
	ids := make(bson.A, len(workspaces))
	for i, w := range workspaces {
		ids[i] = w + "/" + kind
	}
	rows, err := findAll[nextDueDoc](ctx, s.c(colSchedules), bson.M{"_id": bson.M{"$in": ids}})
	if err != nil {
		return nil, fail(ctx, "mongo.DueWorkspaces", err)
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
	id := workspace + "/" + kind
	_, err := s.c(colSchedules).ReplaceOne(ctx, byID(id), nextDueDoc{ID: id, Workspace: workspace, Kind: kind, NextAt: at},
		options.Replace().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) { // two upserts of a new key at once: the other won, write again
		_, err = s.c(colSchedules).ReplaceOne(ctx, byID(id), nextDueDoc{ID: id, Workspace: workspace, Kind: kind, NextAt: at})
	}
	return fail(ctx, "mongo.SetNextDue: "+id, err)
}

// LoadPace returns the pace learned under key; ok is false when none was
// saved.
func (s *Store) LoadPace(ctx context.Context, key string) (domain.LearnedPace, bool, error) {
	var d paceDoc
	err := s.c(colPaces).FindOne(ctx, byID(key)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.LearnedPace{}, false, nil
	}
	if err != nil {
		return domain.LearnedPace{}, false, fail(ctx, "mongo.LoadPace: "+key, err)
	}
	return domain.LearnedPace{Rate: d.Rate, Ceiling: d.Ceiling, BlockedUntil: d.BlockedUntil}, true, nil
}

// SavePace records the pace learned under key.
func (s *Store) SavePace(ctx context.Context, key string, p domain.LearnedPace) error {
	d := paceDoc{ID: key, Rate: p.Rate, Ceiling: p.Ceiling, BlockedUntil: p.BlockedUntil, At: s.now()}
	_, err := s.c(colPaces).ReplaceOne(ctx, byID(key), d, options.Replace().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		_, err = s.c(colPaces).ReplaceOne(ctx, byID(key), d)
	}
	return fail(ctx, "mongo.SavePace: "+key, err)
}

// AcquireLease takes the lease name for ttl unless another holder has it.
// Its holder renews a live lease; anyone takes an expired (or released)
// one with a conditional upsert: when the lease is live the upsert's
// insert collides with the existing _id, so of several asking at once
// exactly one gets it.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (domain.Lease, bool, error) {
	const op = "mongo.AcquireLease"
	now := s.now()
	var d leaseDoc
	err := s.c(colLeases).FindOneAndUpdate(ctx, bson.M{"_id": name, "holder": holder, "until": bson.M{"$gt": now}},
		bson.M{"$set": bson.M{"until": now.Add(ttl)}}, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if err == nil {
		return d.domain(), true, nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Lease{}, false, fail(ctx, op+": "+name, err)
	}
	err = s.c(colLeases).FindOneAndUpdate(ctx, bson.M{"_id": name, "until": bson.M{"$lte": now}},
		bson.M{"$set": bson.M{"holder": holder, "until": now.Add(ttl)}, "$inc": bson.M{"generation": 1}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&d)
	if mongo.IsDuplicateKeyError(err) {
		cur, err := s.lease(ctx, name)
		return cur, false, fail(ctx, op+": "+name, err)
	}
	if err != nil {
		return domain.Lease{}, false, fail(ctx, op+": "+name, err)
	}
	return d.domain(), true, nil
}

func (s *Store) lease(ctx context.Context, name string) (domain.Lease, error) {
	var d leaseDoc
	err := s.c(colLeases).FindOne(ctx, byID(name)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.Lease{Name: name}, nil
	}
	return d.domain(), err
}

// RenewLease extends a held lease. It reports false when the lease has gone
// to another holder meanwhile: the caller must stop.
func (s *Store) RenewLease(ctx context.Context, l domain.Lease, ttl time.Duration) (domain.Lease, bool, error) {
	const op = "mongo.RenewLease"
	var d leaseDoc
	err := s.c(colLeases).FindOneAndUpdate(ctx, bson.M{"_id": l.Name, "holder": l.Holder, "generation": l.Generation},
		bson.M{"$set": bson.M{"until": s.now().Add(ttl)}}, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		cur, err := s.lease(ctx, l.Name)
		return cur, false, fail(ctx, op+": "+l.Name, err)
	}
	if err != nil {
		return l, false, fail(ctx, op+": "+l.Name, err)
	}
	return d.domain(), true, nil
}

// ReleaseLease gives a lease up at once (a clean stop), if still held.
func (s *Store) ReleaseLease(ctx context.Context, l domain.Lease) error {
	_, err := s.c(colLeases).UpdateOne(ctx, bson.M{"_id": l.Name, "holder": l.Holder, "generation": l.Generation},
		bson.M{"$set": bson.M{"until": time.Time{}}})
	return fail(ctx, "mongo.ReleaseLease: "+l.Name, err)
}
