package embedded_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/okrbot/okrbot/storage/embedded"
)

// with runs f on a collection of the server at uri and disconnects, so that
// the server can stop without waiting for idle clients.
func with(t *testing.T, uri string, f func(*mongo.Collection) error) {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(context.Background())
	if err := f(c.Database("okrbot").Collection("things")); err != nil {
		t.Fatal(err)
	}
}

func TestDataSurvivesRestartAndIsShared(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	log := slog.New(slog.DiscardHandler)

	first, err := embedded.Start(ctx, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Owner() {
		t.Fatal("the first server should own the data directory")
	}
	with(t, first.URI(), func(c *mongo.Collection) error {
		_, err := c.InsertOne(ctx, bson.M{"_id": "a", "v": 1})
		return err
	})
	if _, err := os.Stat(filepath.Join(dir, "okrbot.sqlite")); err != nil {
		t.Errorf("no database file under the data directory: %v", err)
	}

	// A second process on the same directory shares the first one's server.
	second, err := embedded.Start(ctx, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	if second.Owner() || second.URI() != first.URI() {
		t.Fatalf("second start: owner=%v uri=%s, want shared %s", second.Owner(), second.URI(), first.URI())
	}
	with(t, second.URI(), func(c *mongo.Collection) error {
		if n, err := c.CountDocuments(ctx, bson.M{}); err != nil || n != 1 {
			t.Errorf("shared server sees %d documents, %v", n, err)
		}
		return nil
	})
	second.Close()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	// After a restart, what was stored is still there.
	again, err := embedded.Start(ctx, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if !again.Owner() {
		t.Fatal("a restarted server should own the directory again")
	}
	with(t, again.URI(), func(c *mongo.Collection) error {
		return c.FindOne(ctx, bson.M{"_id": "a"}).Err()
	})
}

func TestStaleAddressIsIgnored(t *testing.T) {
	// A dead owner leaves its address file behind; its lock died with it.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "okrbot.addr"), []byte("mongodb://127.0.0.1:1/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := embedded.Start(context.Background(), dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.Owner() || s.URI() == "mongodb://127.0.0.1:1/" {
		t.Fatalf("stale address reused: owner=%v uri=%s", s.Owner(), s.URI())
	}
}
