// Package storagetest gives the tests of other packages (conversations,
// the adapters, cmd/okrbot) a real store of their own: a fresh SQLite store
// in the test's temporary directory, which takes milliseconds to open.
//
// To run those tests against MongoDB instead, set OKRBOT_TEST_STORE=mongodb
// and MONGODB_URI: each test then gets a database of its own, dropped when
// it ends. The stores' own guarantees are the conformance suite's business
// (storage/conformance); this package only hands out stores.
package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/okrbot/okrbot/storage"
	"github.com/okrbot/okrbot/storage/mongo"
	"github.com/okrbot/okrbot/storage/sqlite"
)

// Open returns an empty store with the given clock (time.Now when nil),
// closed (and, on MongoDB, dropped) at the end of the test.
func Open(t testing.TB, now func() time.Time) storage.Store {
	t.Helper()
	if now == nil {
		now = time.Now
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if os.Getenv("OKRBOT_TEST_STORE") == "mongodb" && os.Getenv("MONGODB_URI") == "" {
		t.Fatal("OKRBOT_TEST_STORE=mongodb needs MONGODB_URI")
	}
	if Mongo() {
		st, err := mongo.Open(ctx, os.Getenv("MONGODB_URI"), DatabaseName(), mongo.Options{Now: now})
		if err != nil {
			t.Fatalf("open MongoDB store: %v", err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			st.Drop(ctx)
			st.Close(ctx)
		})
		return st
	}
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{Now: now})
	if err != nil {
		t.Fatalf("open SQLite store: %v", err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	return st
}

// Mongo reports whether tests were asked to use MongoDB
// (OKRBOT_TEST_STORE=mongodb, with MONGODB_URI set).
func Mongo() bool {
	return os.Getenv("OKRBOT_TEST_STORE") == "mongodb" && os.Getenv("MONGODB_URI") != ""
}

// DatabaseName returns a MongoDB database name no other test uses.
func DatabaseName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "okrbot_test_" + hex.EncodeToString(b)
}
