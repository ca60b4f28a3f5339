// Package embedded runs okrbot's default store: FerretDB (a MongoDB
// wire-protocol server) over SQLite, in-process, on a loopback port.
//
// The files belong to one process at a time: a lock file in the data
// directory says who. A second okrbot on the same directory (okrbot console
// beside okrbot serve) connects to the server the first one runs, whose
// address is recorded beside the lock. A lock left by a dead process is free
// again (the kernel drops it with the process), so it is simply taken over.
package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	_ "modernc.org/sqlite" // the driver FerretDB itself uses, for Prepare
)

const (
	lockName = "okrbot.lock"
	addrName = "okrbot.addr"
)

// Server is the embedded store, either run by this process or shared with the
// process that holds the data directory's lock.
type Server struct {
	uri    string
	owner  bool
	lock   *os.File
	dir    string
	cancel context.CancelFunc
	done   chan error
}

// Start opens the embedded store in dir, creating dir if needed. log receives
// FerretDB's own errors.
func Start(ctx context.Context, dir string, log *slog.Logger) (*Server, error) {
	const op = "embedded.Start"
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	lock, err := os.OpenFile(filepath.Join(abs, lockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	// Another live process may hold the lock. Wait briefly for the address it
	// records; the owner may itself be exiting, in which case the lock frees up.
	deadline := time.Now().Add(10 * time.Second)
	for {
		held, err := tryLock(lock)
		if err != nil {
			lock.Close()
			return nil, fmt.Errorf("%s: lock %s: %w", op, abs, err)
		}
		if !held {
			break
		}
		if uri, err := os.ReadFile(filepath.Join(abs, addrName)); err == nil && len(uri) > 0 {
			lock.Close()
			return &Server{uri: strings.TrimSpace(string(uri)), dir: abs}, nil
		}
		if time.Now().After(deadline) {
			lock.Close()
			return nil, fmt.Errorf("%s: %s is locked by another okrbot that has not published its address", op, abs)
		}
		select {
		case <-ctx.Done():
			lock.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + filepath.ToSlash(abs) + "/",
		Logger:    log,
	})
	if err != nil {
		unlock(lock)
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Server{owner: true, lock: lock, dir: abs, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- f.Run(runCtx) }()
	s.uri = f.MongoDBURI() // blocks until the listener is up
	if err := writeAtomic(filepath.Join(abs, addrName), []byte(s.uri+"\n")); err != nil {
		s.Close()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return s, nil
}

// URI is the mongodb:// connection string of the server.
func (s *Server) URI() string { return s.uri }

// Owner reports whether this process runs the server (rather than sharing
// another process's).
func (s *Server) Owner() bool { return s.owner }

// Dir is the absolute data directory.
func (s *Server) Dir() string { return s.dir }

// Close stops the server if this process runs it and releases the lock.
func (s *Server) Close() error {
	if !s.owner {
		return nil
	}
	s.owner = false
	os.Remove(filepath.Join(s.dir, addrName))
	s.cancel()
	var err error
	select {
	case err = <-s.done:
	case <-time.After(5 * time.Second):
		err = errors.New("embedded.Close: FerretDB did not stop within 5s")
	}
	unlock(s.lock)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// Prepare indexes every collection of database by _id, in SQL. FerretDB
// v1.24 indexes _id under one expression (sjson->"_id") and queries it
// under another (sjson->'$._id'), so SQLite never uses its index: every
// lookup by _id, and every update, scans the whole table. An index on the
// expression the queries use makes them logarithmic (BenchmarkByID: finding
// one of 5,000 documents 3 ms → 0.3 ms, updating it 6–13 ms → 0.3 ms).
// SQLite maintains the index on its own; FerretDB never sees it.
// Only the process that runs the server prepares; call it after every
// collection exists.
func (s *Server) Prepare(ctx context.Context, database string) error {
	if !s.owner {
		return nil
	}
	const op = "embedded.Prepare"
	file := filepath.Join(s.dir, database+".sqlite")
	if _, err := os.Stat(file); err != nil {
		return nil // nothing stored yet
	}
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(file)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM _ferretdb_collections`)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("%s: %w", op, err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, t+"_okrbot_id", t)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %s: %w", op, t, err)
		}
	}
	return nil
}

func writeAtomic(name string, b []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}
