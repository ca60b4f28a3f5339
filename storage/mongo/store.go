// Package mongo keeps okrbot's data in MongoDB (6 or newer; a replica set
// or Atlas in production) through go.mongodb.org/mongo-driver/v2, for
// several okrbot replicas on several machines.
//
// Every query is scoped by workspace and has its index (indexes below).
// Races are decided by MongoDB's own atomic operations: unique indexes (a
// check-in per person, key result and week; a delivery per workspace,
// recipient, kind and period), conditional single-document updates (an
// objective's version, a delivery's attempt, a lease's holder, a KPI's
// health) and findOneAndUpdate ($inc of a ref counter). A change that spans
// documents (a check-in and the key result it moves; an objective and the
// refs it takes) runs in a multi-document transaction when the deployment
// has them (a replica set or a sharded cluster). On a standalone server it
// runs step by step, ordered so that a concurrent change is never lost, but
// a process dying between two steps can leave the first without the second.
//
// Documents map to domain types through this package's own structs
// (docs.go); their field names are the ones okrbot has always stored, so an
// existing database keeps working.
package mongo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/storage"
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
	colSchedules     = "schedules"
	colPaces         = "paces"
	colEvents        = "events"
	colInstallations = "installations"
	colConversations = "conversations"
	colAPITokens     = "api_tokens"
	colIdempotency   = "idempotency"
)

// Options tune a Store. Zero values give the defaults.
type Options struct {
	// Now is the clock for the times the store sets itself; time.Now when nil.
	Now func() time.Time
	// Log hears how the deployment was found (transactions or not).
	Log *slog.Logger
	// MaxPoolSize bounds the connections to the server; 100.
	MaxPoolSize uint64
	// Timeout bounds every operation, waiting for a connection included;
	// beyond it the caller hears EBUSY. 10 s.
	Timeout time.Duration
}

// Store is okrbot's MongoDB store. It is safe for concurrent use.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
	now    func() time.Time
	tokens storage.Tokens
	txn    bool // the deployment runs multi-document transactions
}

var _ storage.Store = (*Store)(nil)

// Open connects to uri, checks the server answers, finds whether it runs
// transactions, and makes sure every collection and index exists.
func Open(ctx context.Context, uri, database string, opt Options) (*Store, error) {
	const op = "mongo.Open"
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.MaxPoolSize == 0 {
		opt.MaxPoolSize = 100
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Second
	}
	co := options.Client().ApplyURI(uri).
		SetAppName("okrbot").
		SetServerSelectionTimeout(10 * time.Second).
		SetConnectTimeout(10 * time.Second).
		SetMaxPoolSize(opt.MaxPoolSize).
		SetTimeout(opt.Timeout)
	client, err := mongo.Connect(co)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	// BSON dates hold milliseconds: the store's own times are cut to them,
	// so that what it returns is what it stored.
	now := opt.Now
	s := &Store{client: client, now: func() time.Time { return now().Truncate(time.Millisecond) }}
	s.db = client.Database(database)
	closeOnErr := func(err error) (*Store, error) {
		client.Disconnect(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := s.Ping(ctx); err != nil {
		return closeOnErr(err)
	}
	if s.txn, err = hasTransactions(ctx, client); err != nil {
		return closeOnErr(err)
	}
	if !s.txn {
		opt.Log.Warn("MongoDB is a standalone server, without transactions: a check-in and its key result are written one after the other; use a replica set (or Atlas) in production")
	}
	if err := s.ensureCollections(ctx); err != nil {
		return closeOnErr(err)
	}
	if err := s.ensureIndexes(ctx); err != nil {
		return closeOnErr(err)
	}
	if err := s.upgradeAwayHistory(ctx); err != nil {
		return closeOnErr(err)
	}
	return s, nil
}

// hasTransactions reports whether the deployment runs multi-document
// transactions: a replica set member or a mongos answers hello with its set
// name or "isdbgrid".
func hasTransactions(ctx context.Context, c *mongo.Client) (bool, error) {
	var hello struct {
		SetName string `bson:"setName"`
		Msg     string `bson:"msg"`
	}
	if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&hello); err != nil {
		return false, fmt.Errorf("hello: %w", err)
	}
	return hello.SetName != "" || hello.Msg == "isdbgrid", nil
}

// Transactions reports whether multi-document changes run in transactions.
func (s *Store) Transactions() bool { return s.txn }

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

// SetTokenKey sets the key that encrypts stored bot tokens.
func (s *Store) SetTokenKey(key []byte) error { return s.tokens.SetKey(key) }

func (s *Store) c(name string) *mongo.Collection { return s.db.Collection(name) }

type index struct {
	keys   bson.D
	unique bool
}

// indexes lists, per collection, the index each query needs. The first
// field is workspace wherever a query is scoped by it (all but the outbox's
// due query, which names its workspaces).
var indexes = map[string][]index{
	colTeamSettings: {{bson.D{{Key: "workspace", Value: 1}, {Key: "channel", Value: 1}}, true}},
	colUsers:        {{bson.D{{Key: "workspace", Value: 1}, {Key: "user", Value: 1}}, true}},
	colObjectives: {
		{bson.D{{Key: "workspace", Value: 1}, {Key: "ref", Value: 1}}, true},
		// ObjectiveOfKR, and a person's key results.
		{bson.D{{Key: "workspace", Value: 1}, {Key: "key_results.ref", Value: 1}}, false},
		{bson.D{{Key: "workspace", Value: 1}, {Key: "owner", Value: 1}, {Key: "cycle", Value: 1}}, false},
		{bson.D{{Key: "workspace", Value: 1}, {Key: "key_results.owner", Value: 1}, {Key: "status", Value: 1}}, false},
		{bson.D{{Key: "workspace", Value: 1}, {Key: "team", Value: 1}, {Key: "cycle", Value: 1}}, false},
		{bson.D{{Key: "workspace", Value: 1}, {Key: "cycle", Value: 1}, {Key: "status", Value: 1}}, false},
		{bson.D{{Key: "workspace", Value: 1}, {Key: "key_results.kpi", Value: 1}}, false},
		// ObjectiveOfInitiative.
		{bson.D{{Key: "workspace", Value: 1}, {Key: "key_results.initiatives.ref", Value: 1}}, false},
	},
	colCheckIns: {
		// One check-in per person, key result and week: a second one is an update.
		{bson.D{{Key: "workspace", Value: 1}, {Key: "user", Value: 1}, {Key: "kr", Value: 1}, {Key: "week", Value: 1}}, true},
		{bson.D{{Key: "workspace", Value: 1}, {Key: "kr", Value: 1}, {Key: "at", Value: 1}}, false},
		{bson.D{{Key: "workspace", Value: 1}, {Key: "week", Value: 1}}, false},
		{bson.D{{Key: "workspace", Value: 1}, {Key: "at", Value: 1}}, false},
	},
	colWeekNotes:     {{bson.D{{Key: "workspace", Value: 1}, {Key: "week", Value: 1}, {Key: "user", Value: 1}}, true}},
	colKPIs:          {{bson.D{{Key: "workspace", Value: 1}, {Key: "slug", Value: 1}}, true}},
	colKPIValues:     {{bson.D{{Key: "workspace", Value: 1}, {Key: "slug", Value: 1}, {Key: "at", Value: -1}}, false}},
	colSubscriptions: {{bson.D{{Key: "workspace", Value: 1}, {Key: "channel", Value: 1}}, true}},
	colOutbox: {
		// Exactly once: one delivery per workspace, recipient, kind and period.
		{bson.D{{Key: "workspace", Value: 1}, {Key: "recipient", Value: 1}, {Key: "kind", Value: 1}, {Key: "period", Value: 1}}, true},
		// Due and NextDue: unfinished entries by kind and time.
		{bson.D{{Key: "state", Value: 1}, {Key: "kind", Value: 1}, {Key: "next_at", Value: 1}}, false},
		// A run's report: the entries of its periods.
		{bson.D{{Key: "kind", Value: 1}, {Key: "period", Value: 1}}, false},
		// The clean-up of finished entries.
		{bson.D{{Key: "state", Value: 1}, {Key: "done_at", Value: 1}}, false},
	},
	colEvents: {{bson.D{{Key: "at", Value: 1}}, false}},
	colAPITokens: {
		// One live token per name and workspace (revoked ones hold revoked/<hash>).
		{bson.D{{Key: "workspace", Value: 1}, {Key: "live", Value: 1}}, true},
	},
	colIdempotency: {{bson.D{{Key: "created_at", Value: 1}}, false}},
	colConversations: {
		{bson.D{{Key: "workspace", Value: 1}, {Key: "conversation", Value: 1}}, true},
		{bson.D{{Key: "workspace", Value: 1}, {Key: "user", Value: 1}, {Key: "type", Value: 1}}, false},
	},
}

// collections lists every collection okrbot uses.
var collections = []string{colWorkspaces, colTeamSettings, colUsers, colCounters, colObjectives, colCheckIns, colWeekNotes,
	colKPIs, colKPIValues, colSubscriptions, colOutbox, colLeases, colEvents, colInstallations, colConversations, colSchedules, colPaces,
	colAPITokens, colIdempotency}

// ensureCollections creates the collections that do not exist yet: inside a
// transaction MongoDB cannot create one implicitly on older servers.
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
		// One index per call: FerretDB (the stand-in the tests use) panics
		// on a createIndexes holding two or more indexes that exist already.
		for _, ix := range idx {
			m := mongo.IndexModel{Keys: ix.keys, Options: options.Index().SetUnique(ix.unique)}
			if _, err := s.c(col).Indexes().CreateOne(ctx, m); err != nil {
				return fmt.Errorf("indexes of %s: %w", col, err)
			}
		}
	}
	return nil
}

// errBusy is what a person hears when the database cannot take more for now.
var errBusy = domain.Errorf(domain.EBUSY, "okrbot is busy right now; try again in a moment.")

// fail wraps err for op: a missing document becomes ENOTFOUND with the
// message given, a timeout (no connection free, a slow server) EBUSY.
func fail(ctx context.Context, op string, err error, missing ...any) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, mongo.ErrNoDocuments) && len(missing) > 0 {
		return fmt.Errorf("%s: %w", op, domain.NotFound(missing[0].(string), missing[1:]...))
	}
	if ctx.Err() == nil && mongo.IsTimeout(err) {
		return fmt.Errorf("%s: %w (%v)", op, errBusy, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// errConflict says a conditional write found the document changed since
// it was read: read again and retry.
var errConflict = errors.New("changed concurrently")

// retry runs f until it does not report errConflict, backing off with
// jitter. Each conflict means another writer made progress, so this ends;
// the bound is a guard against a bug, and ctx.
func retry(ctx context.Context, f func() error) error {
	for attempt := 0; ; attempt++ {
		err := f()
		if !errors.Is(err, errConflict) {
			return err
		}
		if attempt == 500 {
			return domain.Errorf(domain.EBUSY, "okrbot is busy right now; try again in a moment.")
		}
		d := time.Duration(rand.Int64N(int64(time.Millisecond)*int64(min(attempt+1, 20)))) + time.Millisecond
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
}

// atomically runs f in a transaction when the deployment has them, else
// directly (f then orders its writes so that none is lost to a concurrent
// change). f may run more than once.
func (s *Store) atomically(ctx context.Context, f func(ctx context.Context) error) error {
	if !s.txn {
		return f(ctx)
	}
	sess, err := s.client.StartSession()
	if err != nil {
		return err
	}
	defer sess.EndSession(context.WithoutCancel(ctx))
	_, err = sess.WithTransaction(ctx, func(ctx context.Context) (any, error) { return nil, f(ctx) })
	return err
}

// retryDup runs f again when a concurrent upsert on the same unique key
// lost the race (E11000, which MongoDB itself returns for simultaneous
// upserts); the second attempt finds the document and updates it.
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

func ws(workspace string) bson.M { return bson.M{"workspace": workspace} }

// key builds the _id of a document from its natural key, workspace first:
// "slack:T1/O-12", as okrbot has always keyed them.
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

// RawDocument returns the document with _id as extended JSON: what is
// stored, undecrypted. For tests that check what is on disk.
func (s *Store) RawDocument(ctx context.Context, collection string, id any) (string, error) {
	raw, err := s.c(collection).FindOne(ctx, bson.M{"_id": id}).Raw()
	if err != nil {
		return "", err
	}
	b, err := bson.MarshalExtJSON(raw, false, false)
	return string(b), err
}
