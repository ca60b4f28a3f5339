// Package storagetest gives tests a real store on a database of their own:
// on the MongoDB at MONGODB_URI when it is set, otherwise on an embedded
// FerretDB server started for the test. The database is dropped when the
// test ends.
package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/okrbot/okrbot/storage"
	"github.com/okrbot/okrbot/storage/embedded"
)

// URI returns a MongoDB connection string for the test: MONGODB_URI, or the
// URI of an embedded server in a temporary directory that stops with the test.
func URI(t testing.TB) string {
	t.Helper()
	if uri := os.Getenv("MONGODB_URI"); uri != "" {
		return uri
	}
	srv, err := embedded.Start(context.Background(), t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("start embedded store: %v", err)
	}
	t.Cleanup(func() {
		servers.Delete(srv.URI())
		if err := srv.Close(); err != nil {
			t.Errorf("stop embedded store: %v", err)
		}
	})
	servers.Store(srv.URI(), srv)
	return srv.URI()
}

// servers are the embedded servers URI started, by URI.
var servers sync.Map

// Prepare does what okrbot does after opening the embedded store at uri
// (see embedded.Server.Prepare); nothing for a real MongoDB.
func Prepare(t testing.TB, uri, database string) {
	t.Helper()
	if srv, ok := servers.Load(uri); ok {
		if err := srv.(*embedded.Server).Prepare(context.Background(), database); err != nil {
			t.Fatalf("prepare embedded store: %v", err)
		}
	}
}

// DatabaseName returns a database name no other test uses.
func DatabaseName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "okrbot_test_" + hex.EncodeToString(b)
}

// Open returns a store on a fresh database at uri (URI(t) when empty), with
// the given clock (time.Now when nil). The database is dropped at cleanup.
func Open(t testing.TB, uri string, now func() time.Time) *storage.Store {
	t.Helper()
	if uri == "" {
		uri = URI(t)
	}
	if now == nil {
		now = time.Now
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db := DatabaseName()
	st, err := storage.Open(ctx, uri, db, now)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	Prepare(t, uri, db)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := st.Drop(ctx); err != nil {
			t.Errorf("drop test database: %v", err)
		}
		st.Close(ctx)
	})
	return st
}

// Raw returns a stored document as extended JSON, to check what is really
// on disk (an encrypted token, say).
func Raw(t testing.TB, st *storage.Store, collection string, id any) string {
	t.Helper()
	s, err := st.RawDocument(context.Background(), collection, id)
	if err != nil {
		t.Fatalf("raw %s %v: %v", collection, id, err)
	}
	return s
}
