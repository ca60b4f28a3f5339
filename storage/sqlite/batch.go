package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// Every signed Slack request is remembered before it is handled (a replay
// has no effect, on any process sharing the file), so a key is one write
// per request: on the command path, the only one for most commands. Each
// write transaction takes the file's write lock, appends to the WAL and
// releases the lock, and under load the requests queued behind each other
// for the one writer connection. Keys that arrive while a transaction runs
// are therefore written together in the next one (group commit): each
// request still returns only once its key is committed, so the guarantee
// across processes is the same, at one transaction per batch instead of
// one per request.

// keyBatch collects the keys waiting for the next transaction.
type keyBatch struct {
	mu      sync.Mutex
	waiting []*pendingKey
	writing bool // a writer is at work; it takes the waiting keys next
}

type pendingKey struct {
	key   string
	fresh bool
	err   error
	done  chan struct{}
}

// maxKeyBatch bounds one transaction's keys.
const maxKeyBatch = 256

// remember records key in the next batch and waits for its transaction.
func (s *Store) remember(ctx context.Context, key string) (bool, error) {
	p := &pendingKey{key: key, done: make(chan struct{})}
	b := &s.keys
	b.mu.Lock()
	b.waiting = append(b.waiting, p)
	lead := !b.writing
	b.writing = true
	b.mu.Unlock()
	if lead {
		// This caller writes the batches until none is waiting, on a
		// context of its own: others' keys ride on the transaction.
		go s.writeKeys(context.WithoutCancel(ctx))
	}
	select {
	case <-p.done:
		return p.fresh, p.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// writeKeys writes the waiting keys, a batch per transaction, until there
// are none.
func (s *Store) writeKeys(ctx context.Context) {
	b := &s.keys
	for {
		b.mu.Lock()
		batch := b.waiting[:min(len(b.waiting), maxKeyBatch)]
		b.waiting = b.waiting[len(batch):]
		if len(batch) == 0 {
			b.writing = false
			b.waiting = nil
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		at := s.now().UnixNano()
		fresh := make([]bool, len(batch))
		err := s.tx(ctx, "sqlite.Remember", func(tx *sql.Tx) error {
			for i, p := range batch {
				r, err := tx.ExecContext(ctx, `INSERT INTO events (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, p.key, at)
				if err != nil {
					return err
				}
				n, _ := r.RowsAffected()
				fresh[i] = n > 0
			}
			return nil
		})
		for i, p := range batch {
			p.fresh, p.err = fresh[i] && err == nil, err
			close(p.done)
		}
	}
}
