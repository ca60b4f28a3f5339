// Package sqlite is okrbot's embedded store: one SQLite file (okrbot.db) in
// the data directory, through the pure-Go driver modernc.org/sqlite.
//
// The schema is relational (schema.go) with an index for every query the
// conversations and the rhythm make, so a lookup costs the same after a
// year of check-ins as after a week. Every multi-step change is one
// transaction. The file is in WAL mode: readers never wait for the writer,
// and several okrbot processes on one data directory (okrbot console and
// okrbot jobs run beside okrbot serve) share it through SQLite's own file
// locks, which the kernel releases when a process dies. Nothing else
// coordinates them, so killing any one leaves the others working, and a
// killed process loses no committed write: an interrupted transaction is
// rolled back by the next one to open the file.
//
// Within a process, writes queue for one connection, in order; across
// processes, SQLite's busy timeout waits for the other's transaction. A
// write that cannot start within the busy timeout fails with a domain.EBUSY
// error ("try again in a moment"), never a generic one.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
)

// FileName is the store's file in the data directory.
const FileName = "okrbot.db"

// Options tune a Store. Zero values give the defaults.
type Options struct {
	// Now is the clock for the times the store sets itself; time.Now when nil.
	Now func() time.Time
	// Log hears what Open does to the data directory (a migration); nothing when nil.
	Log *slog.Logger
	// BusyTimeout bounds how long a write waits for its turn, behind this
	// process's other writes and then behind another process's transaction,
	// before it fails with EBUSY; 5 s.
	BusyTimeout time.Duration
	// Readers is how many connections read at once; 4. With the one writer
	// it bounds the store's memory (each connection has its own page cache).
	Readers int
}

func (opt Options) withDefaults() Options {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.BusyTimeout <= 0 {
		opt.BusyTimeout = 5 * time.Second
	}
	if opt.Readers <= 0 {
		opt.Readers = 4
	}
	return opt
}

// Store is the SQLite store. It is safe for concurrent use.
type Store struct {
	dir, path string
	w         *sql.DB // one connection: writes queue here
	r         *sql.DB // readers
	k         *sql.DB // the request keys' file (requests.go)
	now       func() time.Time
	busy      time.Duration
	tokens    storage.Tokens
	file      os.FileInfo // the file as opened, to notice it vanishing
	gone      atomic.Bool // the file was found removed or replaced: writes are refused
	closed    atomic.Bool
	keys      keyBatch // Remember's group commit
}

var _ storage.Store = (*Store)(nil)

// Open opens (creating it if needed) the store in dir. It refuses a data
// directory whose store file vanished while other files of it remain,
// migrates a store written by okrbot's earlier embedded store (FerretDB)
// once, and brings the schema up to date.
func Open(ctx context.Context, dir string, opt Options) (*Store, error) {
	const op = "sqlite.Open"
	opt = opt.withDefaults()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if strings.ContainsAny(abs, "?#") {
		return nil, fmt.Errorf("%s: the data directory %s contains ? or #, which SQLite file names cannot hold; choose another OKRBOT_DATA_DIR", op, abs)
	}
	// Starting is serialised across processes: the checks below and a
	// migration must not interleave with another process's.
	unlock, err := lockStart(ctx, abs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer unlock()
	if err := prepareDir(ctx, abs, opt); err != nil {
		return nil, err
	}
	s, err := open(ctx, filepath.Join(abs, FileName), opt, migrations)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	s.dir = abs
	if err := s.adoptKeys(ctx); err != nil {
		s.Close(ctx)
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := s.checkLegacyAfterOpen(ctx); err != nil {
		s.Close(ctx)
		return nil, err
	}
	if err := writeMarker(abs); err != nil {
		s.Close(ctx)
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return s, nil
}

// open opens the file at path as a store and migrates its schema, with no
// check of the directory around it.
func open(ctx context.Context, path string, opt Options, ms []migration) (*Store, error) {
	opt = opt.withDefaults()
	params := url.Values{}
	params.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opt.BusyTimeout.Milliseconds()))
	params.Add("_pragma", "foreign_keys(1)")
	params.Add("_pragma", "synchronous(NORMAL)")
	params.Add("_pragma", "cache_size(-8000)") // KiB per connection
	wp := url.Values{}
	for k, v := range params {
		wp[k] = append([]string(nil), v...)
	}
	wp.Add("_pragma", "journal_mode(WAL)")
	wp.Set("_txlock", "immediate")
	w := sql.OpenDB(newConnector(path + "?" + wp.Encode()))
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	s := &Store{path: path, w: w, now: opt.Now, busy: opt.BusyTimeout}
	// The writer opens (and creates) the file first, and puts it in WAL
	// mode, before any reader looks at it.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	rp := url.Values{}
	for k, v := range params {
		rp[k] = append([]string(nil), v...)
	}
	rp.Add("_pragma", "query_only(1)")
	r := sql.OpenDB(newConnector(path + "?" + rp.Encode()))
	r.SetMaxOpenConns(opt.Readers)
	r.SetMaxIdleConns(opt.Readers)
	r.SetConnMaxIdleTime(time.Minute)
	s.r = r
	k, err := openRequests(ctx, path, params)
	if err != nil {
		s.Close(ctx)
		return nil, err
	}
	s.k = k
	if err := s.migrate(ctx, ms, opt.Log); err != nil {
		s.Close(ctx)
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		s.Close(ctx)
		return nil, err
	}
	s.file = fi
	return s, nil
}

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// Ping reports whether the store answers and its file is still the one it
// opened: a file deleted under a running okrbot would otherwise go on
// taking writes that vanish when it stops.
func (s *Store) Ping(ctx context.Context) error {
	const op = "sqlite.Ping"
	if err := s.checkFile(); err != nil {
		return fmt.Errorf("%s: the store file %s was removed or replaced while okrbot was running; okrbot refuses every write from now on: restore the file from a backup (docs/operations.md) and restart okrbot", op, s.path)
	}
	return s.read(ctx, op, func(c *sql.Conn) error {
		var one int
		return c.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
	})
}

// errGone is what a person hears when a write is refused because the
// store's file is no longer there: without the refusal the write would be
// acknowledged, kept in a deleted file, and lost at the next stop.
var errGone = domain.Errorf(domain.EUNAVAILABLE, "okrbot cannot save right now: its store file is gone; an operator must restore it. Nothing was changed.")

// checkFile fails with errGone once the store's file was removed or
// replaced by another file. That is for good: the open file is no longer
// the one the next start reads, so nothing written to it may be
// acknowledged again.
func (s *Store) checkFile() error {
	if s.gone.Load() {
		return errGone
	}
	if s.file == nil { // during open, before the file is known
		return nil
	}
	fi, err := os.Stat(s.path)
	switch {
	case err == nil && os.SameFile(fi, s.file):
		return nil
	case err == nil || errors.Is(err, os.ErrNotExist):
		s.gone.Store(true)
		return errGone
	}
	// Any other failure to look (EACCES, EIO) refuses this write only.
	return fmt.Errorf("%w (%v)", errGone, err)
}

// Close closes the store. The last process to close the file folds the
// write-ahead log back into it.
func (s *Store) Close(ctx context.Context) error {
	if s.closed.Swap(true) {
		return nil
	}
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.k != nil {
		errs = append(errs, s.k.Close())
	}
	errs = append(errs, s.w.Close())
	return errors.Join(errs...)
}

// SetTokenKey sets the key that encrypts stored bot tokens.
func (s *Store) SetTokenKey(key []byte) error { return s.tokens.SetKey(key) }

// errBusy is what a person hears when the store cannot take more for now.
var errBusy = domain.Errorf(domain.EBUSY, "okrbot is busy right now; try again in a moment.")

// fail wraps err for op, turning SQLite's "busy" and "locked" into EBUSY.
func fail(op string, err error) error {
	if err == nil {
		return nil
	}
	if isBusy(err) {
		return fmt.Errorf("%s: %w (%v)", op, errBusy, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}

// isConstraint reports a violated primary key or unique constraint.
func isConstraint(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return true
		}
	}
	return false
}

// isForeignKey reports a violated foreign key.
func isForeignKey(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// conn takes a connection from pool, waiting at most the busy timeout for
// one: beyond that the store is saturated and the caller hears EBUSY.
func (s *Store) conn(ctx context.Context, pool *sql.DB) (*sql.Conn, error) {
	if s.closed.Load() {
		return nil, errors.New("the store is closed")
	}
	wctx, cancel := context.WithTimeout(ctx, s.busy)
	defer cancel()
	c, err := pool.Conn(wctx)
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("%w (no connection within %v)", errBusy, s.busy)
	}
	return c, err
}

// tx runs f in a write transaction (BEGIN IMMEDIATE: it holds the file's
// write lock from the start, so it never fails half-way on a lock) and
// commits it; any error rolls everything back.
//
// A write is refused (EUNAVAILABLE) once the store's file is gone, checked
// before it starts and again just before it commits, so that a write made
// while the file was being deleted is not acknowledged either.
func (s *Store) tx(ctx context.Context, op string, f func(tx *sql.Tx) error) error {
	if err := s.checkFile(); err != nil {
		return fail(op, err)
	}
	return s.txOn(ctx, s.w, op, f)
}

// txOn is tx on the writer db of a file.
func (s *Store) txOn(ctx context.Context, db *sql.DB, op string, f func(tx *sql.Tx) error) error {
	c, err := s.conn(ctx, db)
	if err != nil {
		return fail(op, err)
	}
	defer c.Close()
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return fail(op, err)
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return fail(op, err)
	}
	if err := s.checkFile(); err != nil {
		tx.Rollback()
		return fail(op, err)
	}
	return fail(op, tx.Commit())
}

// lookup is the context of a short read, an index lookup of microseconds:
// without cancellation, because for a cancellable context database/sql and
// the driver each start a goroutine to watch it, for every statement (a
// tenth of the lookup). It still waits for a connection at most the busy
// timeout.
func lookup(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// read runs f on a reader connection.
func (s *Store) read(ctx context.Context, op string, f func(c *sql.Conn) error) error {
	c, err := s.conn(ctx, s.r)
	if err != nil {
		return fail(op, err)
	}
	defer c.Close()
	return fail(op, f(c))
}

// snapshot runs f in a read transaction: every query of f sees the same
// state of the file.
func (s *Store) snapshot(ctx context.Context, op string, f func(tx *sql.Tx) error) error {
	return s.read(ctx, op, func(c *sql.Conn) error {
		tx, err := c.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return err
		}
		defer tx.Rollback()
		return f(tx)
	})
}

// querier is what both a transaction and a connection can do.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Times are stored as Unix nanoseconds (UTC), and the zero time as NULL.

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func fromTS(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// list turns values into the JSON array `IN (SELECT value FROM json_each(?))`
// reads, so that a list of any length is one parameter.
func list[T ~string](vs []T) string {
	ss := make([]string, len(vs))
	for i, v := range vs {
		ss[i] = string(v)
	}
	b, _ := json.Marshal(ss) // strings always marshal
	return string(b)
}

// collect reads every row with scan.
func collect[T any](rows *sql.Rows, err error, scan func(*sql.Rows) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// excluded turns "a, b" into "excluded.a, excluded.b", for an upsert's SET.
func excluded(cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = "excluded." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// jsonStrings decodes a JSON array of strings; an empty one is nil.
func jsonStrings(s string, dst *[]string) error {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return err
	}
	if len(out) == 0 {
		out = nil
	}
	*dst = out
	return nil
}

// Dir is the data directory.
func (s *Store) Dir() string { return s.dir }
