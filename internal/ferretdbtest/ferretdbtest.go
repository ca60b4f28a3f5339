// Package ferretdbtest runs FerretDB v1.24 (a MongoDB wire-protocol server
// over SQLite) in-process for tests: the stand-in for MongoDB that the Mongo
// store's conformance run and benchmarks use when there is no MONGODB_URI.
// It is test support only; okrbot itself never starts FerretDB.
//
// One server serves a whole test binary (starting one costs more than most
// tests); each test takes a database of its own. A test binary that uses it
// calls Main from TestMain, which stops the server and removes its files.
package ferretdbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/FerretDB/FerretDB/ferretdb"
	_ "modernc.org/sqlite" // FerretDB's own driver; Prepare reaches under it
)

// Server is a running FerretDB.
type Server struct {
	URI    string
	Dir    string
	cancel context.CancelFunc
	done   chan error
}

// Start runs a FerretDB server on a loopback port over the SQLite files in
// dir, one file per database (<database>.sqlite).
func Start(dir string) (*Server, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + filepath.ToSlash(abs) + "/",
		Logger:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{Dir: abs, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- f.Run(ctx) }()
	s.URI = f.MongoDBURI() // blocks until the listener is up
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error {
	s.cancel()
	if err := <-s.done; err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// Prepare indexes every collection of database by _id in SQL. FerretDB
// v1.24 indexes _id under one expression (sjson->"_id") and queries it under
// another (sjson->'$._id'), so SQLite never uses its index and every lookup
// by _id scans the table; this index on the queried expression makes them
// logarithmic. Call it once every collection exists.
func (s *Server) Prepare(ctx context.Context, database string) error {
	file := filepath.Join(s.Dir, database+".sqlite")
	if _, err := os.Stat(file); err != nil {
		return nil // nothing stored yet
	}
	db, err := sql.Open("sqlite", file+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM _ferretdb_collections`)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, t+"_okrbot_id", t)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("ferretdbtest.Prepare: %s: %w", t, err)
		}
	}
	return nil
}

var shared struct {
	once sync.Once
	srv  *Server
	dir  string
	err  error
}

// Shared returns this test binary's server, starting it on first use.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "okrbot-ferretdb-")
		if shared.err == nil {
			shared.srv, shared.err = Start(shared.dir)
		}
	})
	if shared.err != nil {
		tb.Fatalf("start FerretDB: %v", shared.err)
	}
	return shared.srv
}

// Main runs the tests and then stops the shared server, if one started.
func Main(m *testing.M) {
	code := m.Run()
	if shared.srv != nil {
		shared.srv.Close()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// DatabaseName returns a database name no other test uses.
func DatabaseName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "okrbot_test_" + hex.EncodeToString(b)
}
