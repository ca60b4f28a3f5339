package sqlite

// The outbox of the weekly rhythm (outbox.Store), the next-due index
// (rhythm.Schedules), the learned paces (pace.Store) and the scheduler's
// job leases. The outbox keeps one row per delivery, keyed by its natural
// key (workspace, recipient, kind, period); a claim is one conditional
// UPDATE of that row (the attempt it expects, and that it is unfinished),
// so of several processes exactly one wins an attempt, and the claim and
// its record are one write: nothing is left half-claimed by a process that
// dies. A renewal and the end of an attempt are UPDATEs conditional on the
// attempt (holder and attempts) in the same way.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/okrbot/okrbot/domain"
)

const outboxCols = `id, workspace, recipient, direct, kind, period, subject, at, expires_at, state, attempts, next_at, lease_until, holder, unsure, message_id, last_error, created_at, done_at`

func scanEntry(sc interface{ Scan(...any) error }) (domain.OutboxEntry, error) {
	var e domain.OutboxEntry
	var at, expires, next, lease, created, done sql.NullInt64
	err := sc.Scan(&e.ID, &e.WorkspaceID, &e.Recipient, &e.Direct, &e.Kind, &e.Period, &e.Subject, &at, &expires, &e.State, &e.Attempts,
		&next, &lease, &e.Holder, &e.Unsure, &e.MessageID, &e.LastError, &created, &done)
	e.At, e.ExpiresAt, e.NextAt, e.LeaseUntil, e.CreatedAt, e.DoneAt = fromTS(at), fromTS(expires), fromTS(next), fromTS(lease), fromTS(created), fromTS(done)
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
				r, err := tx.ExecContext(ctx, `INSERT INTO outbox (`+outboxCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
					e.ID, e.WorkspaceID, e.Recipient, b2i(e.Direct), e.Kind, e.Period, e.Subject, ts(e.At), ts(e.ExpiresAt), string(e.State), e.Attempts,
					ts(e.NextAt), ts(e.LeaseUntil), e.Holder, b2i(e.Unsure), e.MessageID, e.LastError, ts(e.CreatedAt), ts(e.DoneAt))
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

// scope is the condition and arguments of an outbox query: the kinds and
// workspaces of q (any when empty), each a JSON list in one parameter.
func scope(q domain.OutboxQuery) (string, []any) {
	var conds []string
	var args []any
	if len(q.Kinds) > 0 {
		conds = append(conds, `kind IN (SELECT value FROM json_each(?))`)
		args = append(args, list(q.Kinds))
	}
	if len(q.Workspaces) > 0 {
		conds = append(conds, `workspace IN (SELECT value FROM json_each(?))`)
		args = append(args, list(q.Workspaces))
	}
	if len(conds) == 0 {
		return "1", nil
	}
	return strings.Join(conds, " AND "), args
}

// dueQuery is the query of Due for a scope: it looks up the unfinished
// deliveries in the outbox_due index and never visits finished ones, so
// its cost follows the work at hand, not the history.
func dueQuery(where string) string {
	return `SELECT ` + outboxCols + ` FROM outbox
	WHERE state IN ('pending', 'failed', 'sending') AND ` + where + `
	AND CASE state WHEN 'sending' THEN COALESCE(lease_until, 0) < ? ELSE COALESCE(next_at, 0) <= ? END
	ORDER BY next_at, id LIMIT ?`
}

// Due returns up to limit deliveries of q that a process may take at now,
// the earliest first.
func (s *Store) Due(ctx context.Context, q domain.OutboxQuery, now time.Time, limit int) ([]domain.OutboxEntry, error) {
	where, args := scope(q)
	args = append(args, now.UnixNano(), now.UnixNano(), limit)
	var out []domain.OutboxEntry
	err := s.read(ctx, "sqlite.Due", func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, dueQuery(where), args...)
		out, err = collect(rows, err, func(r *sql.Rows) (domain.OutboxEntry, error) { return scanEntry(r) })
		return err
	})
	return out, err
}

func nextDueQuery(where string) string {
	return `SELECT MIN(CASE state WHEN 'sending' THEN lease_until ELSE next_at END) FROM outbox
	WHERE state IN ('pending', 'failed', 'sending') AND ` + where
}

// NextDue returns when the earliest unfinished delivery of q comes due.
func (s *Store) NextDue(ctx context.Context, q domain.OutboxQuery) (time.Time, bool, error) {
	where, args := scope(q)
	var next sql.NullInt64
	err := s.read(ctx, "sqlite.NextDue", func(c *sql.Conn) error {
		return c.QueryRowContext(ctx, nextDueQuery(where), args...).Scan(&next)
	})
	if err != nil || !next.Valid || next.Int64 == 0 {
		return time.Time{}, false, err
	}
	return fromTS(next), true, nil
}

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

// Claim takes a delivery for its next attempt by holder until a moment:
// one UPDATE that only matches while the entry is unfinished and still at
// the attempt e read (Due said it was due), so of several processes
// claiming the same attempt exactly one wins, and none claims a delivery
// another finished meanwhile.
func (s *Store) Claim(ctx context.Context, e domain.OutboxEntry, holder string, until time.Time) (domain.OutboxEntry, bool, error) {
	var got domain.OutboxEntry
	won := false
	err := s.tx(ctx, "sqlite.Claim", func(tx *sql.Tx) (err error) {
		got, err = scanEntry(tx.QueryRowContext(ctx, `UPDATE outbox SET state = 'sending', attempts = attempts + 1, holder = ?, lease_until = ?
			WHERE id = ? AND attempts = ? AND state IN ('pending', 'failed', 'sending') RETURNING `+outboxCols,
			holder, until.UnixNano(), e.ID, e.Attempts))
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

// attemptOf is the condition of the attempt claimed as e.
const attemptOf = `id = ? AND state = 'sending' AND holder = ? AND attempts = ?`

// Renew extends the lease of the attempt claimed as e; false when the
// entry is no longer e's attempt.
func (s *Store) Renew(ctx context.Context, e domain.OutboxEntry, until time.Time) (bool, error) {
	var n int64
	err := s.tx(ctx, "sqlite.Renew", func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE outbox SET lease_until = ? WHERE `+attemptOf, until.UnixNano(), e.ID, e.Holder, e.Attempts)
		if err == nil {
			n, _ = r.RowsAffected()
		}
		return err
	})
	return n == 1, err
}

// Finish records the end of the attempt claimed as e, with e's outcome;
// false (and nothing written) when the entry is no longer e's attempt.
func (s *Store) Finish(ctx context.Context, e domain.OutboxEntry) (bool, error) {
	var n int64
	err := s.tx(ctx, "sqlite.Finish", func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE outbox SET state = ?, next_at = ?, unsure = ?, message_id = ?, last_error = ?, done_at = ?,
			lease_until = NULL, holder = '' WHERE `+attemptOf,
			string(e.State), ts(e.NextAt), b2i(e.Unsure), e.MessageID, e.LastError, ts(e.DoneAt), e.ID, e.Holder, e.Attempts)
		if err == nil {
			n, _ = r.RowsAffected()
		}
		return err
	})
	return n == 1, err
}

// deliveriesQuery reads a run's report: the entries of its periods (the
// outbox_period index) and the unfinished ones (outbox_due).
func deliveriesQuery(where string) string {
	return `SELECT ` + outboxCols + ` FROM outbox INDEXED BY outbox_period WHERE ` + where + ` AND period IN (SELECT value FROM json_each(?))
	UNION SELECT ` + outboxCols + ` FROM outbox INDEXED BY outbox_due WHERE ` + where + ` AND state IN ('pending', 'failed', 'sending')`
}

// Deliveries returns the deliveries of q whose period is one of periods,
// and every unfinished one of q.
func (s *Store) Deliveries(ctx context.Context, q domain.OutboxQuery, periods []string) ([]domain.OutboxEntry, error) {
	where, args := scope(q)
	all := append(append(append([]any{}, args...), list(periods)), args...)
	var out []domain.OutboxEntry
	err := s.read(ctx, "sqlite.Deliveries", func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, deliveriesQuery(where), all...)
		out, err = collect(rows, err, func(r *sql.Rows) (domain.OutboxEntry, error) { return scanEntry(r) })
		return err
	})
	return out, err
}

// OutboxDepth counts the unfinished deliveries by kind and state (for
// metrics).
func (s *Store) OutboxDepth(ctx context.Context) (map[[2]string]int, error) {
	out := map[[2]string]int{}
	err := s.read(ctx, "sqlite.OutboxDepth", func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, depthQuery)
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

const depthQuery = `SELECT kind, state, COUNT(*) FROM outbox WHERE state IN ('pending', 'sending', 'failed') GROUP BY kind, state`

// cleanupQuery deletes the finished deliveries by the outbox_done index.
const cleanupQuery = `DELETE FROM outbox WHERE state IN ('sent', 'skipped', 'dead', 'expired') AND done_at < ?`

// CleanupOutbox deletes the deliveries that finished before t.
func (s *Store) CleanupOutbox(ctx context.Context, t time.Time) (int64, error) {
	return s.execCount(ctx, "sqlite.CleanupOutbox", cleanupQuery, t.UnixNano())
}

// DueWorkspaces returns those of workspaces whose next moment for kind is
// at or before until, or unknown (no row, or a NULL moment: marked
// changed). It reads one row per workspace, by its primary key.
func (s *Store) DueWorkspaces(ctx context.Context, kind string, until time.Time, workspaces []string) ([]string, error) {
	if len(workspaces) == 0 {
		return nil, nil
	}
	var out []string
	err := s.read(ctx, "sqlite.DueWorkspaces", func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, dueWorkspacesQuery, list(workspaces), kind, until.UnixNano())
		out, err = collect(rows, err, func(r *sql.Rows) (string, error) {
			var w string
			return w, r.Scan(&w)
		})
		return err
	})
	return out, err
}

const dueWorkspacesQuery = `SELECT json_each.value FROM json_each(?1)
	LEFT JOIN schedules AS s ON s.workspace = json_each.value AND s.kind = ?2
	WHERE s.next_at IS NULL OR s.next_at <= ?3`

// SetNextDue records when workspace next has a delivery of kind due; the
// zero time marks it for planning at the next tick.
func (s *Store) SetNextDue(ctx context.Context, workspace, kind string, at time.Time) error {
	return s.exec(ctx, "sqlite.SetNextDue", `INSERT INTO schedules (workspace, kind, next_at) VALUES (?, ?, ?)
		ON CONFLICT (workspace, kind) DO UPDATE SET next_at = excluded.next_at`, workspace, kind, ts(at))
}

// LoadPace returns the pace learned under key; ok is false when none was
// saved.
func (s *Store) LoadPace(ctx context.Context, key string) (domain.LearnedPace, bool, error) {
	var p domain.LearnedPace
	var blocked sql.NullInt64
	ok := false
	err := s.read(ctx, "sqlite.LoadPace", func(c *sql.Conn) error {
		err := c.QueryRowContext(ctx, `SELECT rate, ceiling, blocked_until FROM paces WHERE key = ?`, key).Scan(&p.Rate, &p.Ceiling, &blocked)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		ok = err == nil
		return err
	})
	p.BlockedUntil = fromTS(blocked)
	return p, ok, err
}

// SavePace records the pace learned under key.
func (s *Store) SavePace(ctx context.Context, key string, p domain.LearnedPace) error {
	return s.exec(ctx, "sqlite.SavePace", `INSERT INTO paces (key, rate, ceiling, blocked_until, at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET rate = excluded.rate, ceiling = excluded.ceiling, blocked_until = excluded.blocked_until, at = excluded.at`,
		key, p.Rate, p.Ceiling, ts(p.BlockedUntil), s.now().UnixNano())
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
