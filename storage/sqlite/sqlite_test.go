package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"

	"github.com/okrbot/okrbot/storage"
	"github.com/okrbot/okrbot/storage/conformance"
	"github.com/okrbot/okrbot/storage/sqlite"
)

var ctx = context.Background()

// open opens a store in dir, closed at cleanup.
func open(t testing.TB, dir string, now func() time.Time) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(ctx, dir, sqlite.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(ctx) })
	return st
}

var backend = conformance.Backend{
	Name: "SQLite",
	Open: func(t testing.TB, now func() time.Time) storage.Store { return open(t, t.TempDir(), now) },
	Reopen: func(t testing.TB, st storage.Store) storage.Store {
		s := st.(*sqlite.Store)
		s.Close(ctx)
		return open(t, s.Dir(), nil)
	},
	RawInstallation: func(t testing.TB, st storage.Store, workspace string) string {
		db, err := sql.Open("sqlite", st.(*sqlite.Store).Path())
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var tok string
		if err := db.QueryRow(`SELECT bot_token FROM installations WHERE workspace = ?`, workspace).Scan(&tok); err != nil {
			t.Fatal(err)
		}
		return tok
	},
	Guarantees: conformance.Guarantees{AtomicUpdates: true, Transactions: true},
}

func TestConformance(t *testing.T) { conformance.Run(t, backend) }

// TestBusyIsEBUSY: a write that cannot start within the busy timeout,
// because another process holds the file's write lock, fails with EBUSY (the
// conversations answer "busy, try again in a moment"); reads go on.
func TestBusyIsEBUSY(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, dir, sqlite.Options{BusyTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	o := objectiveIn(t, st)
	other, err := sql.Open("sqlite", st.Path()+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`UPDATE objectives SET title = 'held' WHERE ref = ?`, o.Ref); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = st.ModifyObjective(ctx, "slack:T1", o.Ref, func(o *domain.Objective) error { o.Title = "mine"; return nil })
	if domain.ErrorCode(err) != domain.EBUSY {
		t.Fatalf("a write behind another process's transaction: %v, want EBUSY", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("EBUSY after %v", took)
	}
	if got, err := st.Objective(ctx, "slack:T1", o.Ref); err != nil || got.Title != o.Title {
		t.Fatalf("a read during another process's write: %+v, %v", got, err)
	}
	tx.Rollback()
	if _, err := st.ModifyObjective(ctx, "slack:T1", o.Ref, func(o *domain.Objective) error { o.Title = "mine"; return nil }); err != nil {
		t.Fatalf("after the other transaction ended: %v", err)
	}
}

// TestWritesQueueWithinAProcess: many writers at once in one process wait
// their turn, none fails.
func TestWritesQueueWithinAProcess(t *testing.T) {
	st := open(t, t.TempDir(), nil)
	errs := make(chan error, 64)
	for i := range 64 {
		go func() {
			_, err := st.Remember(ctx, fmt.Sprint("k", i))
			errs <- err
		}()
	}
	for range 64 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestBackupAndRestore: a backup made while the store is written to opens
// as a store holding what was committed before it.
func TestBackupAndRestore(t *testing.T) {
	st := open(t, t.TempDir(), nil)
	o := objectiveIn(t, st)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // writes go on during the backup
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			st.Remember(ctx, fmt.Sprint("busy-", i))
			time.Sleep(time.Millisecond)
		}
	}()
	file := filepath.Join(t.TempDir(), "backup.db")
	info, err := st.Backup(ctx, file)
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if info.Objectives != 1 || info.Bytes == 0 {
		t.Errorf("backup info %+v", info)
	}
	if _, err := st.Backup(ctx, file); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("a second backup over the first: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := st.Backup(ctx, filepath.Join(missing, "backup.db")); err == nil || !strings.Contains(err.Error(), "the directory "+missing+" does not exist") || strings.Contains(err.Error(), "unable to open") {
		t.Errorf("a backup into a missing directory: %v", err)
	}
	// Restore: the copy becomes okrbot.db of a data directory.
	dir := t.TempDir()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, sqlite.FileName), b, 0o640)
	restored := open(t, dir, nil)
	got, err := restored.Objective(ctx, "slack:T1", o.Ref)
	if err != nil || got.Title != o.Title || len(got.KeyResults) != 1 {
		t.Fatalf("restored %+v, %v", got, err)
	}
	if next := objectiveIn(t, restored); next.Ref != "O-2" {
		t.Errorf("the restored store's next ref is %s", next.Ref)
	}
}
