package embedded_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/okrbot/okrbot/storage/embedded"
)

// BenchmarkByID finds and updates one of 5,000 documents by _id, before and
// after Prepare indexes the expression FerretDB queries _id with.
//
//	go test ./storage/embedded -run '^$' -bench ByID
func BenchmarkByID(b *testing.B) {
	ctx := context.Background()
	srv, err := embedded.Start(ctx, b.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	c, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Disconnect(ctx)
	col := c.Database("bench").Collection("docs")
	docs := make([]any, 5000)
	for i := range docs {
		docs[i] = bson.M{"_id": fmt.Sprintf("slack:T1/U%04d", i), "state": "pending", "n": i}
	}
	if _, err := col.InsertMany(ctx, docs); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B) {
		b.Run("find", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := col.FindOne(ctx, bson.M{"_id": fmt.Sprintf("slack:T1/U%04d", i%5000)}).Err(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("update", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := col.UpdateOne(ctx, bson.M{"_id": fmt.Sprintf("slack:T1/U%04d", i%5000)}, bson.M{"$set": bson.M{"state": "sent"}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("as-ferretdb-indexes", run)
	if err := srv.Prepare(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	b.Run("prepared", run)
}
