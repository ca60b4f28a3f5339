package mongo

// The outbox of the weekly rhythm and the scheduler's job leases. A
// delivery is one document whose _id is its natural key (workspace,
// recipient, kind, period), behind a unique index; a claim is one
// findOneAndUpdate conditional on the attempt it expects and on the entry
// being unfinished, so of several replicas exactly one wins an attempt, and the
// claim is recorded by the same write that wins it. A lease is one document
// taken over by a conditional upsert.

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

// due is the condition of a delivery a process may take at now.
func due(now time.Time) bson.A {
	return bson.A{
		bson.M{"state": domain.OutboxPending},
		bson.M{"state": domain.OutboxFailed, "next_at": bson.M{"$lte": now}},
		bson.M{"state": domain.OutboxSending, "lease_until": bson.M{"$lt": now}},
	}
}

// Due returns up to limit deliveries of a kind, in the given workspaces,
// that a process may take at now, oldest first.
func (s *Store) Due(ctx context.Context, kind string, workspaces []string, now time.Time, limit int) ([]domain.OutboxEntry, error) {
	f := bson.M{"kind": kind, "workspace": bson.M{"$in": workspaces}, "$or": due(now)}
	ds, err := findAll[outboxDoc](ctx, s.c(colOutbox), f, options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fail(ctx, "mongo.Due", err)
	}
	return mapDocs(ds), nil
}

// NextDue returns the earliest moment a delivery of kind that is not due
// now becomes due: a failed one's retry time, or the end of another
// process's lease on one it is sending.
func (s *Store) NextDue(ctx context.Context, kind string, workspaces []string) (time.Time, bool, error) {
	ds, err := findAll[outboxDoc](ctx, s.c(colOutbox), bson.M{"kind": kind, "workspace": bson.M{"$in": workspaces},
		"state": bson.M{"$in": bson.A{domain.OutboxFailed, domain.OutboxSending}}},
		options.Find().SetProjection(bson.M{"state": 1, "next_at": 1, "lease_until": 1}))
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

// Claim takes a delivery for one attempt, for lease: one findOneAndUpdate
// that matches only while the entry is unfinished and still at the attempt
// e read (Due, with the caller's clock, said it was due). The returned
// entry counts this attempt.
func (s *Store) Claim(ctx context.Context, e domain.OutboxEntry, holder string, lease time.Duration) (domain.OutboxEntry, bool, error) {
	const op = "mongo.Claim"
	now := s.now()
	var d outboxDoc
	err := s.c(colOutbox).FindOneAndUpdate(ctx,
		bson.M{"_id": e.ID, "attempts": e.Attempts, "state": bson.M{"$in": bson.A{domain.OutboxPending, domain.OutboxFailed, domain.OutboxSending}}},
		bson.M{"$set": bson.M{"state": domain.OutboxSending, "holder": holder, "lease_until": now.Add(lease)}, "$inc": bson.M{"attempts": 1}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fail(ctx, op+": "+e.ID, err)
	}
	return d.domain(), true, nil
}

// MarkSent records that a delivery arrived, with the platform's message id.
func (s *Store) MarkSent(ctx context.Context, id, messageID string) error {
	return s.finish(ctx, id, bson.M{"state": domain.OutboxSent, "message_id": messageID, "done_at": s.now(), "last_error": ""})
}

// MarkSkipped records that a delivery had nothing to say any more.
func (s *Store) MarkSkipped(ctx context.Context, id, reason string) error {
	return s.finish(ctx, id, bson.M{"state": domain.OutboxSkipped, "last_error": reason, "done_at": s.now()})
}

// MarkFailed records a failed attempt: retried at retryAt, or never when
// permanent (the entry stays, with its error, for people to see).
func (s *Store) MarkFailed(ctx context.Context, id, reason string, retryAt time.Time, permanent bool) error {
	set := bson.M{"state": domain.OutboxFailed, "last_error": reason, "next_at": retryAt}
	if permanent {
		set = bson.M{"state": domain.OutboxDead, "last_error": reason, "done_at": s.now()}
	}
	return s.finish(ctx, id, set)
}

func (s *Store) finish(ctx context.Context, id string, set bson.M) error {
	set["lease_until"] = time.Time{}
	_, err := s.c(colOutbox).UpdateOne(ctx, byID(id), bson.M{"$set": set})
	return fail(ctx, "mongo.finish delivery: "+id, err)
}

// OutboxDepth counts deliveries by kind and state (for metrics).
func (s *Store) OutboxDepth(ctx context.Context) (map[[2]string]int, error) {
	type row struct {
		Kind  string `bson:"kind"`
		State string `bson:"state"`
	}
	// Counted here rather than by $group: FerretDB, which the tests use,
	// computes only the first accumulator of a $group.
	rows, err := findAll[row](ctx, s.c(colOutbox), bson.M{"state": bson.M{"$in": bson.A{
		domain.OutboxPending, domain.OutboxSending, domain.OutboxFailed, domain.OutboxDead}}},
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

// CleanupOutbox deletes finished deliveries older than t (their periods
// are long over; the unique key no longer protects anything).
func (s *Store) CleanupOutbox(ctx context.Context, t time.Time) (int64, error) {
	r, err := s.c(colOutbox).DeleteMany(ctx, bson.M{
		"state":      bson.M{"$in": bson.A{domain.OutboxSent, domain.OutboxSkipped, domain.OutboxDead}},
		"created_at": bson.M{"$lt": t},
	})
	if err != nil {
		return 0, fail(ctx, "mongo.CleanupOutbox", err)
	}
	return r.DeletedCount, nil
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
