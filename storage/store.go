// Package storage keeps okrbot's data in MongoDB (or the embedded
// MongoDB-compatible server) with go.mongodb.org/mongo-driver/v2.
//
// Every query is scoped by workspace. Invariants live in single-document
// updates and unique indexes, so the same code runs on MongoDB and on
// FerretDB, which has no multi-document transactions.
package storage

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/okrbot/okrbot/domain"
)

// Collection names.
const (
	colWorkspaces    = "workspaces"
	colTeamSettings  = "team_settings"
	colUsers         = "users"
	colCounters      = "counters"
	colObjectives    = "objectives"
	colCheckIns      = "checkins"
	colWeekNotes     = "week_notes"
	colKPIs          = "kpis"
	colKPIValues     = "kpi_values"
	colSubscriptions = "subscriptions"
	colOutbox        = "outbox"
	colLeases        = "leases"
	colEvents        = "events"
	colInstallations = "installations"
	colConversations = "conversations"
)

// Store is okrbot's MongoDB store.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
	now    func() time.Time
	aead   cipher.AEAD // encrypts stored tokens; nil until SetTokenKey
}

// Open connects to uri, checks the server answers, and makes sure every
// index exists. now is the clock used for timestamps the store sets itself.
func Open(ctx context.Context, uri, database string, now func() time.Time) (*Store, error) {
	const op = "storage.Open"
	opts := options.Client().ApplyURI(uri).
		SetAppName("okrbot").
		SetServerSelectionTimeout(10 * time.Second).
		SetConnectTimeout(10 * time.Second)
	client, err := mongo.Connect(opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	s := &Store{client: client, db: client.Database(database), now: now}
	if err := s.Ping(ctx); err != nil {
		client.Disconnect(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := s.ensureCollections(ctx); err != nil {
		client.Disconnect(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := s.ensureIndexes(ctx); err != nil {
		client.Disconnect(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return s, nil
}

// Ping reports whether the store answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.client.Ping(ctx, readpref.Primary())
}

// Close disconnects from the server.
func (s *Store) Close(ctx context.Context) error {
	return s.client.Disconnect(ctx)
}

// Drop deletes the whole database. Tests use it to clean up after themselves.
func (s *Store) Drop(ctx context.Context) error {
	return s.db.Drop(ctx)
}

func (s *Store) c(name string) *mongo.Collection { return s.db.Collection(name) }

type index struct {
	keys   bson.D
	unique bool
}

// indexes lists, per collection, the index each query needs. The first
// field is always workspace: every query is scoped by it.
var indexes = map[string][]index{
	colWorkspaces:   {},
	colTeamSettings: {{bson.D{{Key: "workspace", Value: 1}, {Key: "channel", Value: 1}}, true}},
	colUsers:        {{bson.D{{Key: "workspace", Value: 1}, {Key: "user", Value: 1}}, true}},
	colObjectives: {
		{bson.D{{Key: "workspace", Value: 1}, {Key: "ref", Value: 1}}, true},
		{bson.D{{Key: "workspace", Value: 1}, {Key: "key_results.ref", Value: 1}}, false},
		{bson.D{{Key: "workspace", Value: 1}, {Key: "cycle", Value: 1}, {Key: "owner", Value: 1}}, false},
		{bson.D{{Key: "workspace", Value: 1}, {Key: "cycle", Value: 1}, {Key: "team", Value: 1}}, false},
		{bson.D{{Key: "workspace", Value: 1}, {Key: "key_results.owner", Value: 1}, {Key: "status", Value: 1}}, false},
		{bson.D{{Key: "workspace", Value: 1}, {Key: "key_results.kpi", Value: 1}}, false},
	},
	colCheckIns: {
		// One check-in per person, key result and week: a second one is an update.
		{bson.D{{Key: "workspace", Value: 1}, {Key: "user", Value: 1}, {Key: "kr", Value: 1}, {Key: "week", Value: 1}}, true},
		{bson.D{{Key: "workspace", Value: 1}, {Key: "kr", Value: 1}, {Key: "week", Value: 1}}, false},
		{bson.D{{Key: "workspace", Value: 1}, {Key: "week", Value: 1}}, false},
	},
	colWeekNotes:     {{bson.D{{Key: "workspace", Value: 1}, {Key: "user", Value: 1}, {Key: "week", Value: 1}}, true}},
	colKPIs:          {{bson.D{{Key: "workspace", Value: 1}, {Key: "slug", Value: 1}}, true}},
	colKPIValues:     {{bson.D{{Key: "workspace", Value: 1}, {Key: "slug", Value: 1}, {Key: "at", Value: -1}}, false}},
	colSubscriptions: {{bson.D{{Key: "workspace", Value: 1}, {Key: "channel", Value: 1}}, true}},
	colOutbox: {
		// Exactly once: one delivery per workspace, recipient, kind and period.
		{bson.D{{Key: "workspace", Value: 1}, {Key: "recipient", Value: 1}, {Key: "kind", Value: 1}, {Key: "period", Value: 1}}, true},
		{bson.D{{Key: "state", Value: 1}, {Key: "kind", Value: 1}, {Key: "next_at", Value: 1}}, false},
		{bson.D{{Key: "kind", Value: 1}, {Key: "period", Value: 1}}, false},
		{bson.D{{Key: "state", Value: 1}, {Key: "done_at", Value: 1}}, false},
	},
	colSchedules:     {},
	colPaces:         {},
	colEvents:        {{bson.D{{Key: "at", Value: 1}}, false}},
	colInstallations: {},
	colConversations: {
		{bson.D{{Key: "workspace", Value: 1}, {Key: "conversation", Value: 1}}, true},
		{bson.D{{Key: "workspace", Value: 1}, {Key: "user", Value: 1}}, false},
	},
}

// collections lists every collection okrbot uses.
var collections = []string{colWorkspaces, colTeamSettings, colUsers, colCounters, colObjectives, colCheckIns, colWeekNotes,
	colKPIs, colKPIValues, colSubscriptions, colOutbox, colLeases, colEvents, colInstallations, colConversations, colClaims,
	colSchedules, colPaces}

// ensureCollections creates the collections that do not exist yet, so that
// the embedded store can index them all at start (see embedded.Prepare).
func (s *Store) ensureCollections(ctx context.Context) error {
	have, err := s.db.ListCollectionNames(ctx, bson.M{})
	if err != nil {
		return fmt.Errorf("list collections: %w", err)
	}
	for _, name := range collections {
		if slices.Contains(have, name) {
			continue
		}
		var ce mongo.CommandError
		if err := s.db.CreateCollection(ctx, name); err != nil && !(errors.As(err, &ce) && ce.Code == 48) {
			return fmt.Errorf("create collection %s: %w", name, err)
		}
	}
	return nil
}

func (s *Store) ensureIndexes(ctx context.Context) error {
	for col, idx := range indexes {
		// One index per call: FerretDB v1.24 panics on a createIndexes
		// holding two or more indexes that already exist.
		for _, ix := range idx {
			m := mongo.IndexModel{Keys: ix.keys, Options: options.Index().SetUnique(ix.unique)}
			if _, err := s.c(col).Indexes().CreateOne(ctx, m); err != nil {
				return fmt.Errorf("indexes of %s: %w", col, err)
			}
		}
	}
	return nil
}

// retryDup runs f again when a concurrent upsert on the same unique key lost
// the race (E11000); the second attempt finds the document and updates it.
func retryDup(f func() error) error {
	var err error
	for range 5 {
		if err = f(); !mongo.IsDuplicateKeyError(err) {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
	return err
}

// notFound turns mongo.ErrNoDocuments into a domain ENOTFOUND error.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return domain.NotFound(format, args...)
	}
	return err
}

func ws(workspace string) bson.M { return bson.M{"workspace": workspace} }

// key builds the _id of a document from its natural key, workspace first:
// "slack:T1/O-12". Lookups by _id alone are the one filter the embedded
// server (FerretDB v1 over SQLite) pushes down to SQL; any other filter
// decodes and tests every document of the collection in Go. So single
// documents are always fetched by _id, and the workspace in the key keeps
// every such lookup scoped by workspace.
func key(parts ...string) string { return strings.Join(parts, "/") }

func byID(id string) bson.M { return bson.M{"_id": id} }

func and(base bson.M, kv ...any) bson.M {
	m := bson.M{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func findAll[T any](ctx context.Context, col *mongo.Collection, filter any, opts ...options.Lister[options.FindOptions]) ([]T, error) {
	cur, err := col.Find(ctx, filter, opts...)
	if err != nil {
		return nil, err
	}
	out := []T{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// RawDocument returns the document with _id as extended JSON. It is for
// tests and troubleshooting: it reads what is stored, undecrypted.
func (s *Store) RawDocument(ctx context.Context, collection string, id any) (string, error) {
	raw, err := s.c(collection).FindOne(ctx, bson.M{"_id": id}).Raw()
	if err != nil {
		return "", err
	}
	b, err := bson.MarshalExtJSON(raw, false, false)
	return string(b), err
}
