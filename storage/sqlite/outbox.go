package sqlite

// The outbox of the weekly rhythm and the scheduler's job leases. The
// table keeps one row per delivery, keyed by its natural key (workspace,
// recipient, kind, period); a claim is one conditional UPDATE of that row
// (the attempt it expects, and that it is unfinished), so of several
// processes exactly one wins an attempt, and the claim and its record are
// one write: nothing is left half-claimed by a process that dies.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/okrbot/okrbot/domain"
)

const outboxCols = `id, workspace, recipient, direct, kind, period, subject, state, attempts, next_at, lease_until, holder, message_id, last_error, created_at, done_at`

// openStates are the states of unfinished deliveries: a due query looks
// them up in the outbox_state index and never visits finished ones.
const openStates = `state IN ('pending', 'failed', 'sending')`

// dueNow is the condition of a delivery a process may take at ?1.
const dueNow = `(state = 'pending' OR (state = 'failed' AND COALESCE(next_at, 0) <= ?1) OR (state = 'sending' AND COALESCE(lease_until, 0) < ?1))`

func scanEntry(sc interface{ Scan(...any) error }) (domain.OutboxEntry, error) {
	var e domain.OutboxEntry
	var next, lease, created, done sql.NullInt64
	err := sc.Scan(&e.ID, &e.WorkspaceID, &e.Recipient, &e.Direct, &e.Kind, &e.Period, &e.Subject, &e.State, &e.Attempts,
		&next, &lease, &e.Holder, &e.MessageID, &e.LastError, &created, &done)
	e.NextAt, e.LeaseUntil, e.CreatedAt, e.DoneAt = fromTS(next), fromTS(lease), fromTS(created), fromTS(done)
	return e, err
}

// Enqueue writes deliveries before anything is sent; an entry whose id (or
// natural key) exists is left as it is. It returns how many were new.
func (s *Store) Enqueue(ctx context.Context, entries []domain.OutboxEntry) (int, error) {
	added := 0
	for start := 0; start < len(entries); start += 500 {
		batch := entries[start:min(start+500, len(entries))]
		err := s.tx(ctx, "sqlite.Enqueue", func(tx *sql.Tx) error {
			n := 0
			for _, e := range batch {
				if e.CreatedAt.IsZero() {
					e.CreatedAt = s.now()
				}
				if e.State == "" {
					e.State = domain.OutboxPending
				}
				r, err := tx.ExecContext(ctx, `INSERT INTO outbox (`+outboxCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
					e.ID, e.WorkspaceID, e.Recipient, b2i(e.Direct), e.Kind, e.Period, e.Subject, string(e.State), e.Attempts,
					ts(e.NextAt), ts(e.LeaseUntil), e.Holder, e.MessageID, e.LastError, ts(e.CreatedAt), ts(e.DoneAt))
				if err != nil {
					return err
				}
				k, _ := r.RowsAffected()
				n += int(k)
			}
			added += n
			return nil
		})
		if err != nil {
			return added, err
		}
	}
	return added, nil
}

// Due returns up to limit deliveries of kind in workspaces that a process
// may take at now, oldest first.
func (s *Store) Due(ctx context.Context, kind string, workspaces []string, now time.Time, limit int) ([]domain.OutboxEntry, error) {
	var out []domain.OutboxEntry
	err := s.read(ctx, "sqlite.Due", func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, dueQuery, now.UnixNano(), kind, list(workspaces), limit)
		out, err = collect(rows, err, func(r *sql.Rows) (domain.OutboxEntry, error) { return scanEntry(r) })
		return err
	})
	return out, err
}

const dueQuery = `SELECT ` + outboxCols + ` FROM outbox
	WHERE kind = ?2 AND workspace IN (SELECT value FROM json_each(?3)) AND ` + openStates + ` AND ` + dueNow + `
	ORDER BY created_at, id LIMIT ?4`

// NextDue returns when the next delivery of kind not due now becomes due.
func (s *Store) NextDue(ctx context.Context, kind string, workspaces []string) (time.Time, bool, error) {
	var next sql.NullInt64
	err := s.read(ctx, "sqlite.NextDue", func(c *sql.Conn) error {
		return c.QueryRowContext(ctx, nextDueQuery, kind, list(workspaces)).Scan(&next)
	})
	if err != nil || !next.Valid || next.Int64 == 0 {
		return time.Time{}, false, err
	}
	return fromTS(next), true, nil
}

const nextDueQuery = `SELECT MIN(CASE state WHEN 'sending' THEN lease_until ELSE next_at END) FROM outbox
	WHERE kind = ? AND workspace IN (SELECT value FROM json_each(?)) AND ` + openStates + ` AND state <> 'pending'`

// Delivery returns one outbox entry.
func (s *Store) Delivery(ctx context.Context, id string) (domain.OutboxEntry, error) {
	var e domain.OutboxEntry
	err := s.read(ctx, "sqlite.Delivery", func(c *sql.Conn) (err error) {
		e, err = scanEntry(c.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return domain.NotFound("No delivery %s.", id)
		}
		return err
	})
	return e, err
}

// Claim takes a delivery for its next attempt, for lease: one UPDATE that
// only matches while the entry is unfinished and still at the attempt e
// read (Due, with the caller's clock, said it was due), so of several
// processes claiming the same attempt exactly one wins, and none claims a
// delivery another finished meanwhile.
func (s *Store) Claim(ctx context.Context, e domain.OutboxEntry, holder string, lease time.Duration) (domain.OutboxEntry, bool, error) {
	const op = "sqlite.Claim"
	now := s.now()
	var got domain.OutboxEntry
	won := false
	err := s.tx(ctx, op, func(tx *sql.Tx) (err error) {
		got, err = scanEntry(tx.QueryRowContext(ctx, `UPDATE outbox SET state = 'sending', attempts = attempts + 1, holder = ?, lease_until = ?
			WHERE id = ? AND attempts = ? AND `+openStates+` RETURNING `+outboxCols,
			holder, now.Add(lease).UnixNano(), e.ID, e.Attempts))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		won = err == nil
		return err
	})
	if err != nil || !won {
		return e, false, err
	}
	return got, true, nil
}

// MarkSent records that a delivery arrived, with the platform's message id.
func (s *Store) MarkSent(ctx context.Context, id, messageID string) error {
	return s.exec(ctx, "sqlite.MarkSent", `UPDATE outbox SET state = 'sent', message_id = ?, done_at = ?, last_error = '', lease_until = NULL WHERE id = ?`,
		messageID, ts(s.now()), id)
}

// MarkSkipped records that a delivery had nothing to say any more.
func (s *Store) MarkSkipped(ctx context.Context, id, reason string) error {
	return s.exec(ctx, "sqlite.MarkSkipped", `UPDATE outbox SET state = 'skipped', last_error = ?, done_at = ?, lease_until = NULL WHERE id = ?`,
		reason, ts(s.now()), id)
}

// MarkFailed records a failed attempt: retried at retryAt, or never when
// permanent (the entry stays, with its error, for people to see).
func (s *Store) MarkFailed(ctx context.Context, id, reason string, retryAt time.Time, permanent bool) error {
	if permanent {
		return s.exec(ctx, "sqlite.MarkFailed", `UPDATE outbox SET state = 'dead', last_error = ?, done_at = ?, lease_until = NULL WHERE id = ?`,
			reason, ts(s.now()), id)
	}
	return s.exec(ctx, "sqlite.MarkFailed", `UPDATE outbox SET state = 'failed', last_error = ?, next_at = ?, lease_until = NULL WHERE id = ?`,
		reason, ts(retryAt), id)
}

// OutboxDepth counts deliveries by kind and state (for metrics).
func (s *Store) OutboxDepth(ctx context.Context) (map[[2]string]int, error) {
	out := map[[2]string]int{}
	err := s.read(ctx, "sqlite.OutboxDepth", func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, `SELECT kind, state, COUNT(*) FROM outbox WHERE state IN ('pending', 'sending', 'failed', 'dead') GROUP BY kind, state`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var kind, state string
			var n int
			if err := rows.Scan(&kind, &state, &n); err != nil {
				return err
			}
			out[[2]string{kind, state}] = n
		}
		return rows.Err()
	})
	return out, err
}

// CleanupOutbox deletes finished deliveries created before t.
func (s *Store) CleanupOutbox(ctx context.Context, t time.Time) (int64, error) {
	return s.execCount(ctx, "sqlite.CleanupOutbox", `DELETE FROM outbox WHERE state IN ('sent', 'skipped', 'dead') AND created_at < ?`, t.UnixNano())
}

// AcquireLease takes the lease name for ttl unless another holder has it,
// in one transaction: exactly one of several asking at once gets it.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (domain.Lease, bool, error) {
	var out domain.Lease
	won := false
	err := s.tx(ctx, "sqlite.AcquireLease", func(tx *sql.Tx) error {
		cur, err := leaseIn(ctx, tx, name)
		if err != nil {
			return err
		}
		now := s.now()
		switch {
		case cur.Holder != "" && cur.Holder != holder && now.Before(cur.Until):
			out = cur
			return nil
		case cur.Holder == holder && now.Before(cur.Until):
			out = cur // renewed below, same generation
		default:
			out = domain.Lease{Name: name, Holder: holder, Generation: cur.Generation + 1}
		}
		out.Until = now.Add(ttl)
		won = true
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO leases (name, holder, generation, until) VALUES (?, ?, ?, ?)`,
			out.Name, out.Holder, out.Generation, ts(out.Until))
		return err
	})
	if err != nil {
		return out, false, fmt.Errorf("%s: %w", name, err)
	}
	return out, won, nil
}

func leaseIn(ctx context.Context, q querier, name string) (domain.Lease, error) {
	l := domain.Lease{Name: name}
	var until sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT holder, generation, until FROM leases WHERE name = ?`, name).Scan(&l.Holder, &l.Generation, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return l, nil
	}
	l.Until = fromTS(until)
	return l, err
}

// RenewLease extends a held lease; false when it has gone to another holder.
func (s *Store) RenewLease(ctx context.Context, l domain.Lease, ttl time.Duration) (domain.Lease, bool, error) {
	out, won := l, false
	err := s.tx(ctx, "sqlite.RenewLease", func(tx *sql.Tx) error {
		until := s.now().Add(ttl)
		r, err := tx.ExecContext(ctx, `UPDATE leases SET until = ? WHERE name = ? AND holder = ? AND generation = ?`, ts(until), l.Name, l.Holder, l.Generation)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 1 {
			out.Until, won = until, true
			return nil
		}
		out, err = leaseIn(ctx, tx, l.Name)
		return err
	})
	if err != nil {
		return l, false, fmt.Errorf("%s: %w", l.Name, err)
	}
	return out, won, nil
}

// ReleaseLease gives a lease up at once (a clean stop), if still held.
func (s *Store) ReleaseLease(ctx context.Context, l domain.Lease) error {
	return s.exec(ctx, "sqlite.ReleaseLease", `UPDATE leases SET until = NULL WHERE name = ? AND holder = ? AND generation = ?`, l.Name, l.Holder, l.Generation)
}
