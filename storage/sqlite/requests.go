package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
)

// Every signed Slack request is remembered before it is handled (a replay
// has no effect, on any process sharing the data directory), so a request
// key is one write per request: on the command path, the only one for most
// commands. Two things keep that write cheap.
//
// The keys live in a file of their own beside the store, okrbot.requests.db
// (RequestsFileName). A commit to the store file makes every other
// connection drop its page cache at its next read (SQLite's WAL mode
// cannot tell which pages changed), so with the keys in the store file
// each command's reads went back to the file for every page: thirty reads
// of the file a command. Keys are only needed for the minutes a signature
// is valid: they are not data, so they need not be in the store file, its
// backups or its write lock either.
//
// Keys that arrive while a write runs are written together in the next one
// (group commit), a statement that is a transaction of its own: each
// request still returns only once its key is committed, so the guarantee
// across processes is the same.

// RequestsFileName is the file of request keys in the data directory.
const RequestsFileName = "okrbot.requests.db"

// requestsSchema is the keys file's schema. The file holds nothing that
// outlives a signature's validity: should its schema ever change, it is
// made anew. There is no index on at: every request writes a key, and the
// daily clean-up (ForgetBefore) can afford to read them all.
const requestsSchema = `
CREATE TABLE IF NOT EXISTS events (
	key TEXT PRIMARY KEY,
	at  INTEGER NOT NULL
) WITHOUT ROWID
`

// requestsPath is the keys file of the data directory of the store file at
// path (also while a migration builds that store file under another name).
func requestsPath(path string) string {
	return filepath.Join(filepath.Dir(path), RequestsFileName)
}

// openRequests opens (creating it) the keys file beside the store file.
func openRequests(ctx context.Context, path string, params url.Values) (*sql.DB, error) {
	kp := url.Values{}
	for k, v := range params {
		kp[k] = append([]string(nil), v...)
	}
	kp.Add("_pragma", "journal_mode(WAL)")
	kp.Set("_txlock", "immediate")
	db := sql.OpenDB(newConnector(requestsPath(path) + "?" + kp.Encode()))
	db.SetMaxOpenConns(1) // every use is a write
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	for _, stmt := range strings.Split(requestsSchema, ";\n") {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			db.Close()
			return nil, fmt.Errorf("open %s: %w", requestsPath(path), err)
		}
	}
	return db, nil
}

// keyBatch collects the keys waiting for the next write. Each batch is
// written by one of its own requests, the leader: no goroutine is started
// and no request waits for a writer of its own.
type keyBatch struct {
	mu      sync.Mutex
	waiting []*pendingKey
	writing bool // a leader is at work; the waiting keys go in its next batch
}

type pendingKey struct {
	key   string
	fresh bool
	err   error
	done  chan struct{} // the key is written (or failed)
	turn  chan struct{} // this request leads the next batch
}

// maxKeyBatch bounds one write's keys.
const maxKeyBatch = 256

// remember records key in the next batch and waits for it to be written.
// It does not give up with ctx: a write takes milliseconds, is bounded by
// the busy timeout, and a leader must not leave the others waiting.
func (s *Store) remember(ctx context.Context, key string) (bool, error) {
	p := &pendingKey{key: key, done: make(chan struct{}), turn: make(chan struct{})}
	b := &s.keys
	b.mu.Lock()
	b.waiting = append(b.waiting, p)
	lead := !b.writing
	b.writing = true
	b.mu.Unlock()
	if !lead {
		select {
		case <-p.done:
			return p.fresh, p.err
		case <-p.turn:
		}
	}
	s.writeKeys(context.WithoutCancel(ctx))
	<-p.done // written in this batch: the waiting keys include this one
	return p.fresh, p.err
}

// writeKeys writes one batch of the waiting keys, then hands the lead to
// the first key still waiting, if any.
func (s *Store) writeKeys(ctx context.Context) {
	b := &s.keys
	b.mu.Lock()
	batch := b.waiting[:min(len(b.waiting), maxKeyBatch)]
	b.waiting = b.waiting[len(batch):]
	b.mu.Unlock()
	keys := make([]string, len(batch))
	for i, p := range batch {
		keys[i] = p.key
	}
	fresh := map[string]bool{}
	err := s.writeKeyBatch(ctx, keys, fresh)
	for _, p := range batch {
		// A key twice in one batch is new once: for its first request.
		p.fresh, p.err = fresh[p.key] && err == nil, err
		delete(fresh, p.key)
		close(p.done)
	}
	b.mu.Lock()
	if len(b.waiting) > 0 {
		close(b.waiting[0].turn)
	} else {
		b.writing = false
		b.waiting = nil
	}
	b.mu.Unlock()
}

// rememberKeys inserts a batch of keys (a JSON array) in one statement,
// which SQLite runs as one transaction of its own, and returns those that
// were new. A statement costs less than a transaction's BEGIN, INSERT and
// COMMIT (batches are small: a key and a half on average at 5,000 requests
// a second, each transaction being that quick).
const rememberKeys = `INSERT INTO events (key, at) SELECT value, ? FROM json_each(?) WHERE true
	ON CONFLICT (key) DO NOTHING RETURNING key`

// writeKeyBatch stores keys and marks in fresh those that were new.
func (s *Store) writeKeyBatch(ctx context.Context, keys []string, fresh map[string]bool) error {
	const op = "sqlite.Remember"
	c, err := s.conn(ctx, s.k)
	if err != nil {
		return fail(op, err)
	}
	defer c.Close()
	rows, err := c.QueryContext(ctx, rememberKeys, s.now().UnixNano(), list(keys))
	if err != nil {
		return fail(op, err)
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return fail(op, err)
		}
		fresh[k] = true
	}
	// The statement, and with it its transaction, ends with its rows.
	return fail(op, errors.Join(rows.Err(), rows.Close()))
}

// forget deletes a key.
func (s *Store) forget(ctx context.Context, key string) error {
	_, err := s.execCountOn(ctx, s.k, "sqlite.Forget", `DELETE FROM events WHERE key = ?`, key)
	return err
}

// forgetBefore deletes the keys remembered before at (Unix nanoseconds).
func (s *Store) forgetBefore(ctx context.Context, at int64) (int64, error) {
	return s.execCountOn(ctx, s.k, "sqlite.ForgetBefore", `DELETE FROM events WHERE at < ?`, at)
}

// adoptKeys moves the request keys the store file holds (written by an
// okrbot before the keys had a file of their own, or copied from the
// FerretDB store) into the keys file, so that none of them is forgotten.
func (s *Store) adoptKeys(ctx context.Context) error {
	const op = "sqlite.adoptKeys"
	type key struct {
		key string
		at  int64
	}
	rows, err := s.w.QueryContext(ctx, `SELECT key, at FROM events`)
	keys, err := collect(rows, err, func(r *sql.Rows) (key, error) {
		var k key
		return k, r.Scan(&k.key, &k.at)
	})
	if err != nil || len(keys) == 0 {
		return fail(op, err)
	}
	err = s.txOn(ctx, s.k, op, func(tx *sql.Tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO events (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, k.key, k.at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.tx(ctx, op, func(tx *sql.Tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `DELETE FROM events WHERE key = ?`, k.key); err != nil {
				return err
			}
		}
		return nil
	})
}
