package mongo_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/okrbot/okrbot/internal/ferretdbtest"
	"github.com/okrbot/okrbot/internal/legacydata"
	"github.com/okrbot/okrbot/storage"
	"github.com/okrbot/okrbot/storage/conformance"
	"github.com/okrbot/okrbot/storage/mongo"
)

func TestMain(m *testing.M) { ferretdbtest.Main(m) }

var ctx = context.Background()

// opened remembers each test store's database, for Reopen.
type opened struct {
	*mongo.Store
	uri, db string
	prepare func(database string) error
}

// openAt opens a store on database at uri and drops it at cleanup.
func openAt(t testing.TB, uri, db string, now func() time.Time, prepare func(string) error) *opened {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// A minute per operation: FerretDB in a race-instrumented test binary is slow.
	st, err := mongo.Open(cctx, uri, db, mongo.Options{Now: now, Timeout: time.Minute})
	if err != nil {
		t.Fatalf("open %s: %v", db, err)
	}
	if prepare != nil {
		if err := prepare(db); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		st.Drop(context.Background())
		st.Close(context.Background())
	})
	return &opened{Store: st, uri: uri, db: db, prepare: prepare}
}

// backend is the Mongo store on a server at uri (prepare, when set, runs
// after each open).
func backend(name, uri string, g conformance.Guarantees, prepare func(string) error) conformance.Backend {
	return conformance.Backend{
		Name: name,
		Open: func(t testing.TB, now func() time.Time) storage.Store {
			return openAt(t, uri, ferretdbtest.DatabaseName(), now, prepare)
		},
		Reopen: func(t testing.TB, st storage.Store) storage.Store {
			o := st.(*opened)
			o.Close(ctx) // the first cleanup drops the database through the closed client: harmless
			again, err := mongo.Open(ctx, o.uri, o.db, mongo.Options{Timeout: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { again.Drop(context.Background()); again.Close(context.Background()) })
			return &opened{Store: again, uri: o.uri, db: o.db, prepare: o.prepare}
		},
		RawInstallation: func(t testing.TB, st storage.Store, workspace string) string {
			raw, err := st.(*opened).RawDocument(ctx, "installations", workspace)
			if err != nil {
				t.Fatal(err)
			}
			return raw
		},
		Guarantees: g,
	}
}

// TestConformanceFerretDB runs the suite on FerretDB v1.24, the MongoDB
// stand-in: a real wire-protocol server, without atomic conditional updates
// or transactions (see conformance.Guarantees).
func TestConformanceFerretDB(t *testing.T) {
	srv := ferretdbtest.Shared(t)
	conformance.Run(t, backend("FerretDB", srv.URI, conformance.Guarantees{}, func(db string) error {
		return srv.Prepare(ctx, db)
	}))
}

// TestConformanceMongoDB runs the suite on the MongoDB at MONGODB_URI.
func TestConformanceMongoDB(t *testing.T) {
	uri := os.Getenv("MONGODB_URI")
	if uri == "" {
		t.Skip("MONGODB_URI is not set")
	}
	st, err := mongo.Open(ctx, uri, ferretdbtest.DatabaseName(), mongo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	txn := st.Transactions()
	st.Drop(ctx)
	st.Close(ctx)
	conformance.Run(t, backend("MongoDB", uri, conformance.Guarantees{AtomicUpdates: true, Transactions: txn}, nil))
}

// TestReadsADatabaseOfTheEarlierStore: a database okrbot's earlier store
// wrote (through FerretDB, as the embedded store did) reads the same
// through this one, field for field, and goes on from where it was.
func TestReadsADatabaseOfTheEarlierStore(t *testing.T) {
	dir := t.TempDir()
	legacydata.Write(t, dir)
	srv, err := ferretdbtest.Start(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() }) // after the store's own clean-up
	st := openAt(t, srv.URI, "okrbot", nil, func(db string) error { return srv.Prepare(ctx, db) })
	legacydata.Check(t, st)
}
