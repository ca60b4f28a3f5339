package storage

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

// Enqueue writes deliveries to the outbox before anything is sent. An entry
// whose id exists already is left as it is: the unique _id (workspace,
// recipient, kind, period) is what makes a delivery happen once however
// often, and by however many processes, it is planned. It returns how many
// entries were new.
func (s *Store) Enqueue(ctx context.Context, entries []domain.OutboxEntry) (int, error) {
	const op = "storage.Enqueue"
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
			docs[i] = e
		}
		r, err := s.c(colOutbox).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
		if r != nil {
			added += len(r.InsertedIDs)
		}
		var bwe mongo.BulkWriteException
		if errors.As(err, &bwe) {
			for _, we := range bwe.WriteErrors {
				if we.Code != 11000 {
					return added, fmt.Errorf("%s: %w", op, err)
				}
			}
			if r == nil || len(r.InsertedIDs) == 0 {
				added += len(batch) - len(bwe.WriteErrors)
			}
			continue
		}
		if err != nil {
			return added, fmt.Errorf("%s: %w", op, err)
		}
	}
	return added, nil
}

// Due returns up to limit deliveries of a kind, in the given workspaces,
// that a process may take at now: pending ones, failed ones whose retry time
// has come, and sending ones whose lease ran out (their process died).
// Oldest first.
func (s *Store) Due(ctx context.Context, kind string, workspaces []string, now time.Time, limit int) ([]domain.OutboxEntry, error) {
	f := bson.M{"kind": kind, "workspace": bson.M{"$in": workspaces}, "$or": bson.A{
		bson.M{"state": domain.OutboxPending},
		bson.M{"state": domain.OutboxFailed, "next_at": bson.M{"$lte": now}},
		bson.M{"state": domain.OutboxSending, "lease_until": bson.M{"$lt": now}},
	}}
	out, err := findAll[domain.OutboxEntry](ctx, s.c(colOutbox), f, options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("storage.Due: %w", err)
	}
	return out, nil
}

// NextDue returns the earliest moment a delivery of kind that is not due
// now becomes due: a failed one's retry time, or the end of another
// process's lease on one it is sending.
func (s *Store) NextDue(ctx context.Context, kind string, workspaces []string) (time.Time, bool, error) {
	rows, err := findAll[domain.OutboxEntry](ctx, s.c(colOutbox), bson.M{"kind": kind, "workspace": bson.M{"$in": workspaces},
		"state": bson.M{"$in": bson.A{domain.OutboxFailed, domain.OutboxSending}}},
		options.Find().SetProjection(bson.M{"state": 1, "next_at": 1, "lease_until": 1}))
	if err != nil {
		return time.Time{}, false, fmt.Errorf("storage.NextDue: %w", err)
	}
	var next time.Time
	for _, e := range rows {
		t := e.NextAt
		if e.State == domain.OutboxSending {
			t = e.LeaseUntil
		}
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	return next, !next.IsZero(), nil
}

// Delivery returns one outbox entry.
func (s *Store) Delivery(ctx context.Context, id string) (domain.OutboxEntry, error) {
	var e domain.OutboxEntry
	if err := s.c(colOutbox).FindOne(ctx, byID(id)).Decode(&e); err != nil {
		return e, fmt.Errorf("storage.Delivery: %w", notFound(err, "No delivery %s.", id))
	}
	return e, nil
}

// Claim takes a delivery for one attempt, for lease. Of several processes
// claiming the same attempt, exactly one wins (a unique claim, see
// claims.go); the others get false. The returned entry is the claimed one,
// its Attempts counting this attempt.
//
// A claim whose holder died before it recorded the attempt on the entry
// would block the delivery for ever: when the claim on the next attempt is
// older than lease and the entry still does not count it, the attempt after
// it is claimed instead.
func (s *Store) Claim(ctx context.Context, e domain.OutboxEntry, holder string, lease time.Duration) (domain.OutboxEntry, bool, error) {
	const op = "storage.Claim"
	attempt := e.Attempts + 1
	for {
		key := fmt.Sprintf("send/%s/%d", e.ID, attempt)
		won, err := s.claim(ctx, key)
		if err != nil {
			return e, false, err
		}
		if won {
			break
		}
		at, err := s.claimedAt(ctx, key)
		if err != nil || at.IsZero() || s.now().Sub(at) < lease || attempt > e.Attempts+5 {
			return e, false, err
		}
		cur, err := s.Delivery(ctx, e.ID)
		if err != nil || cur.Attempts >= attempt {
			return e, false, err // the holder did record it: it is theirs
		}
		attempt++
	}
	e.Attempts = attempt
	e.State, e.Holder, e.LeaseUntil = domain.OutboxSending, holder, s.now().Add(lease)
	_, err := s.c(colOutbox).UpdateOne(ctx, byID(e.ID), bson.M{"$set": bson.M{
		"state": e.State, "attempts": e.Attempts, "holder": holder, "lease_until": e.LeaseUntil,
	}})
	if err != nil {
		return e, false, fmt.Errorf("%s: %s: %w", op, e.ID, err)
	}
	return e, true, nil
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
	if _, err := s.c(colOutbox).UpdateOne(ctx, byID(id), bson.M{"$set": set}); err != nil {
		return fmt.Errorf("storage.finish delivery: %s: %w", id, err)
	}
	return nil
}

// OutboxDepth counts deliveries by kind and state (for metrics).
func (s *Store) OutboxDepth(ctx context.Context) (map[[2]string]int, error) {
	type row struct {
		Kind  string `bson:"kind"`
		State string `bson:"state"`
	}
	rows, err := findAll[row](ctx, s.c(colOutbox), bson.M{"state": bson.M{"$in": bson.A{
		domain.OutboxPending, domain.OutboxSending, domain.OutboxFailed, domain.OutboxDead}}},
		options.Find().SetProjection(bson.M{"kind": 1, "state": 1}))
	if err != nil {
		return nil, fmt.Errorf("storage.OutboxDepth: %w", err)
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
		return 0, fmt.Errorf("storage.CleanupOutbox: %w", err)
	}
	if _, err := s.c(colClaims).DeleteMany(ctx, bson.M{"_id": bson.M{"$regex": "^(send|lease)/"}, "at": bson.M{"$lt": t}}); err != nil {
		return 0, fmt.Errorf("storage.CleanupOutbox: claims: %w", err)
	}
	return r.DeletedCount, nil
}

// AcquireLease takes the lease name for ttl unless another holder has it.
// A lease whose holder stopped renewing it expires and goes to the next
// process that asks; exactly one of several asking at once gets it.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (domain.Lease, bool, error) {
	const op = "storage.AcquireLease"
	var cur domain.Lease
	err := s.c(colLeases).FindOne(ctx, byID(name)).Decode(&cur)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return cur, false, fmt.Errorf("%s: %s: %w", op, name, err)
	}
	now := s.now()
	if cur.Holder != "" && cur.Holder != holder && now.Before(cur.Until) {
		return cur, false, nil
	}
	if cur.Holder == holder && now.Before(cur.Until) {
		return s.renew(ctx, cur, ttl)
	}
	won, err := s.claim(ctx, fmt.Sprintf("lease/%s/%d", name, cur.Generation+1))
	if err != nil || !won {
		return cur, false, err
	}
	next := domain.Lease{Name: name, Holder: holder, Generation: cur.Generation + 1, Until: now.Add(ttl)}
	if _, err := s.c(colLeases).ReplaceOne(ctx, byID(name), next, options.Replace().SetUpsert(true)); err != nil {
		return cur, false, fmt.Errorf("%s: %s: %w", op, name, err)
	}
	return next, true, nil
}

// RenewLease extends a held lease. It reports false when the lease has gone
// to another holder meanwhile: the caller must stop.
func (s *Store) RenewLease(ctx context.Context, l domain.Lease, ttl time.Duration) (domain.Lease, bool, error) {
	var cur domain.Lease
	if err := s.c(colLeases).FindOne(ctx, byID(l.Name)).Decode(&cur); err != nil {
		return l, false, fmt.Errorf("storage.RenewLease: %s: %w", l.Name, err)
	}
	if cur.Generation != l.Generation || cur.Holder != l.Holder {
		return cur, false, nil
	}
	return s.renew(ctx, cur, ttl)
}

func (s *Store) renew(ctx context.Context, l domain.Lease, ttl time.Duration) (domain.Lease, bool, error) {
	l.Until = s.now().Add(ttl)
	if _, err := s.c(colLeases).UpdateOne(ctx, byID(l.Name), bson.M{"$set": bson.M{"until": l.Until}}); err != nil {
		return l, false, fmt.Errorf("storage.RenewLease: %s: %w", l.Name, err)
	}
	return l, true, nil
}

// ReleaseLease gives a lease up at once (a clean stop), if still held.
func (s *Store) ReleaseLease(ctx context.Context, l domain.Lease) error {
	var cur domain.Lease
	if err := s.c(colLeases).FindOne(ctx, byID(l.Name)).Decode(&cur); err != nil || cur.Generation != l.Generation {
		return nil
	}
	_, err := s.c(colLeases).UpdateOne(ctx, byID(l.Name), bson.M{"$set": bson.M{"until": time.Time{}}})
	return err
}
