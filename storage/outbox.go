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
	out, err := findAll[domain.OutboxEntry](ctx, s.c(colOutbox), f, options.Find().SetSort(bson.D{{Key: "next_at", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("storage.Due: %w", err)
	}
	return out, nil
}

// NextDue returns the earliest moment an unfinished delivery of q comes
// due: a pending or failed one's time, or the end of another process's
// lease on one it is sending.
func (s *Store) NextDue(ctx context.Context, q domain.OutboxQuery) (time.Time, bool, error) {
	f := scope(q)
	f["state"] = bson.M{"$in": unfinished}
	rows, err := findAll[domain.OutboxEntry](ctx, s.c(colOutbox), f,
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

// Claim takes a delivery, as Due returned it, for one attempt by holder
// until the given moment. Of several processes claiming the same attempt,
// exactly one wins (a unique claim, see claims.go: the embedded server's
// conditional updates are not atomic); the others get false. The returned
// entry is the claimed one, its Attempts counting this attempt.
//
// A claim whose holder died before it recorded the attempt on the entry
// would block the delivery for ever: when the claim on the next attempt is
// older than the lease and the entry still does not count it, the attempt
// after it is claimed instead.
func (s *Store) Claim(ctx context.Context, e domain.OutboxEntry, holder string, until time.Time) (domain.OutboxEntry, bool, error) {
	const op = "storage.Claim"
	lease := until.Sub(s.now())
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
	// The claim decided the winner: the update is by _id alone, the one
	// filter the embedded server does not answer by scanning the outbox.
	_, err := s.c(colOutbox).UpdateOne(ctx, byID(e.ID), bson.M{"$set": bson.M{
		"state": domain.OutboxSending, "attempts": attempt, "holder": holder, "lease_until": until,
	}})
	if err != nil {
		return e, false, fmt.Errorf("%s: %s: %w", op, e.ID, err)
	}
	e.Attempts, e.State, e.Holder, e.LeaseUntil = attempt, domain.OutboxSending, holder, until
	return e, true, nil
}

// stillOurs reports whether the stored entry is still the attempt claimed
// as e. On MongoDB a filter on the attempt makes the update that follows
// conditional by itself; the embedded server answers any filter but one on
// _id alone by scanning the whole outbox, so the condition is read first.
// Between the read and the write another process can only take the entry
// over after e's lease ended, which the holder renewing it prevents.
func (s *Store) stillOurs(ctx context.Context, e domain.OutboxEntry) (bool, error) {
	cur, err := s.Delivery(ctx, e.ID)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return cur.State == domain.OutboxSending && cur.Holder == e.Holder && cur.Attempts == e.Attempts, nil
}

// Renew extends the lease of the attempt claimed as e; false when the
// entry is no longer e's attempt.
func (s *Store) Renew(ctx context.Context, e domain.OutboxEntry, until time.Time) (bool, error) {
	if ok, err := s.stillOurs(ctx, e); !ok || err != nil {
		return false, err
	}
	if _, err := s.c(colOutbox).UpdateOne(ctx, byID(e.ID), bson.M{"$set": bson.M{"lease_until": until}}); err != nil {
		return false, fmt.Errorf("storage.Renew: %s: %w", e.ID, err)
	}
	return true, nil
}

// Finish records the end of the attempt claimed as e, with e's outcome;
// false (and nothing changed) when the entry is no longer e's attempt.
func (s *Store) Finish(ctx context.Context, e domain.OutboxEntry) (bool, error) {
	if ok, err := s.stillOurs(ctx, e); !ok || err != nil {
		return false, err
	}
	_, err := s.c(colOutbox).UpdateOne(ctx, byID(e.ID), bson.M{"$set": bson.M{
		"state": e.State, "next_at": e.NextAt, "unsure": e.Unsure, "message_id": e.MessageID, "last_error": e.LastError,
		"done_at": e.DoneAt, "lease_until": time.Time{}, "holder": "",
	}})
	if err != nil {
		return false, fmt.Errorf("storage.Finish: %s: %w", e.ID, err)
	}
	return true, nil
}

// Deliveries returns the deliveries of q whose period is one of periods,
// and every unfinished one of q.
func (s *Store) Deliveries(ctx context.Context, q domain.OutboxQuery, periods []string) ([]domain.OutboxEntry, error) {
	f := scope(q)
	if periods == nil {
		periods = []string{}
	}
	f["$or"] = bson.A{bson.M{"period": bson.M{"$in": periods}}, bson.M{"state": bson.M{"$in": unfinished}}}
	out, err := findAll[domain.OutboxEntry](ctx, s.c(colOutbox), f)
	if err != nil {
		return nil, fmt.Errorf("storage.Deliveries: %w", err)
	}
	return out, nil
}

// OutboxDepth counts deliveries not finished by kind and state (for metrics).
func (s *Store) OutboxDepth(ctx context.Context) (map[[2]string]int, error) {
	type row struct {
		Kind  string `bson:"kind"`
		State string `bson:"state"`
	}
	rows, err := findAll[row](ctx, s.c(colOutbox), bson.M{"state": bson.M{"$in": unfinished}},
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

// CleanupOutbox deletes deliveries that finished before t (their periods
// are over; the unique key no longer protects anything), and the claims of
// their attempts.
func (s *Store) CleanupOutbox(ctx context.Context, t time.Time) (int64, error) {
	r, err := s.c(colOutbox).DeleteMany(ctx, bson.M{
		"state":   bson.M{"$in": bson.A{domain.OutboxSent, domain.OutboxSkipped, domain.OutboxDead, domain.OutboxExpired}},
		"done_at": bson.M{"$lt": t},
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
