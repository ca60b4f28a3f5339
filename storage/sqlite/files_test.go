package sqlite_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okrbot/okrbot/domain"
	"github.com/okrbot/okrbot/internal/legacydata"
	"github.com/okrbot/okrbot/storage/sqlite"
)

func exists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

func TestStoreFileVanishedIsRefused(t *testing.T) {
	for _, left := range [][]string{{"okrbot.store"}, {"okrbot.db-wal"}, {"okrbot.db-shm", "okrbot.db-wal"}} {
		dir := t.TempDir()
		st := open(t, dir, nil)
		objectiveIn(t, st)
		st.Close(ctx)
		for _, n := range []string{"okrbot.store", "okrbot.db-wal", "okrbot.db-shm"} {
			os.Remove(filepath.Join(dir, n))
		}
		os.Remove(filepath.Join(dir, sqlite.FileName))
		for _, n := range left {
			if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		_, err := sqlite.Open(ctx, dir, sqlite.Options{})
		if err == nil {
			t.Fatalf("with %v left, an empty store was started", left)
		}
		for _, n := range left {
			if !strings.Contains(err.Error(), n) {
				t.Errorf("the refusal does not name %s: %v", n, err)
			}
		}
		if strings.Count(err.Error(), "\n") > 0 || !strings.Contains(err.Error(), "backup") {
			t.Errorf("the refusal is not one line saying what to do: %v", err)
		}
		if exists(filepath.Join(dir, sqlite.FileName)) {
			t.Error("a refused start created a store file")
		}
	}
	// A fresh directory, or one emptied on purpose, starts empty.
	dir := t.TempDir()
	st := open(t, dir, nil)
	if !exists(filepath.Join(dir, "okrbot.store")) {
		t.Fatal("no marker beside the store")
	}
	st.Close(ctx)
}

func TestPingNoticesTheFileVanishing(t *testing.T) {
	dir := t.TempDir()
	st := open(t, dir, nil)
	if err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, sqlite.FileName))
	if err := st.Ping(ctx); err == nil || !strings.Contains(err.Error(), "removed") {
		t.Fatalf("Ping after the file was removed: %v", err)
	}
	// …and the next start refuses the directory (the WAL and marker remain).
	if _, err := sqlite.Open(ctx, dir, sqlite.Options{}); err == nil {
		t.Fatal("started beside a running store whose file was removed")
	}
}

// TestWritesAreRefusedOnceTheFileIsGone: with the store file deleted (or
// replaced) under a running okrbot, a write fails with EUNAVAILABLE and a
// message saying what happened, instead of being acknowledged into a file
// nobody will read again; and it stays refused even once a file is back
// at the path (it is not the one this process has open).
func TestWritesAreRefusedOnceTheFileIsGone(t *testing.T) {
	for _, how := range []string{"removed", "replaced"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			st := open(t, dir, nil)
			objectiveIn(t, st)
			path := filepath.Join(dir, sqlite.FileName)
			switch how {
			case "removed":
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
			case "replaced":
				if err := os.WriteFile(path+".new", []byte("restored"), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(path+".new", path); err != nil {
					t.Fatal(err)
				}
			}
			o := domain.Objective{WorkspaceID: "slack:T1", Title: "After delete", Owner: "U1", Cycle: "2026-Q4", Commitment: domain.Committed, Status: domain.Active}
			err := st.CreateObjective(ctx, &o)
			if domain.ErrorCode(err) != domain.EUNAVAILABLE {
				t.Fatalf("CreateObjective after the file was %s: code %q, err %v", how, domain.ErrorCode(err), err)
			}
			if msg := domain.ErrorMessage(err); !strings.Contains(msg, "store file is gone") || !strings.Contains(msg, "operator") {
				t.Errorf("message does not say what happened and who acts: %q", msg)
			}
			if err := st.SaveUser(ctx, domain.User{WorkspaceID: "slack:T1", ID: "U2"}); domain.ErrorCode(err) != domain.EUNAVAILABLE {
				t.Errorf("SaveUser after the file was %s: %v", how, err)
			}
			// A file put back at the path is not the one open here: still refused.
			os.Remove(path)
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := st.SaveUser(ctx, domain.User{WorkspaceID: "slack:T1", ID: "U3"}); domain.ErrorCode(err) != domain.EUNAVAILABLE {
				t.Errorf("SaveUser with another file at the path: %v", err)
			}
			if err := st.Ping(ctx); err == nil || !strings.Contains(err.Error(), "refuses every write") {
				t.Errorf("Ping: %v", err)
			}
		})
	}
}

func objectiveIn(t *testing.T, st *sqlite.Store) domain.Objective {
	t.Helper()
	o := domain.Objective{WorkspaceID: "slack:T1", Title: "o", Owner: "U1", Cycle: "2026-Q4", Commitment: domain.Committed, Status: domain.Active,
		KeyResults: []domain.KeyResult{{Title: "k", Kind: domain.Increase, Target: 10, Weight: 1, Owner: "U1"}}}
	if err := st.CreateObjective(ctx, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestFerretDBStoreIsMigratedOnce(t *testing.T) {
	dir := t.TempDir()
	legacydata.Write(t, dir)
	var logs bytes.Buffer
	st, err := sqlite.Open(ctx, dir, sqlite.Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	line := logs.String()
	for _, want := range []string{"migrated the earlier embedded store (FerretDB) okrbot.sqlite into okrbot.db", "3 objectives", "3 check-ins", "2 workspaces", "3 deliveries", "okrbot.sqlite.migrated"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %q: %s", want, line)
		}
	}
	if strings.Count(strings.TrimSpace(line), "\n") != 0 {
		t.Errorf("more than one log line: %s", line)
	}
	if exists(filepath.Join(dir, "okrbot.sqlite")) || !exists(filepath.Join(dir, "okrbot.sqlite.migrated")) || exists(filepath.Join(dir, "okrbot.lock")) {
		t.Error("the FerretDB store was not set aside")
	}
	legacydata.Check(t, st)
	st.Close(ctx)
	// Once: the next start opens okrbot.db as it is.
	logs.Reset()
	again, err := sqlite.Open(ctx, dir, sqlite.Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close(ctx)
	if logs.Len() != 0 {
		t.Errorf("a second start logged %s", logs.String())
	}
	if os, _ := again.Objectives(ctx, legacydata.Contents.Workspace, domain.ObjectiveFilter{}); len(os) != 4 {
		t.Errorf("%d objectives after the second start, want the 3 migrated and 1 new", len(os))
	}
}

func TestFerretDBStoreNotMigratedIsRefused(t *testing.T) {
	// An okrbot.db beside a FerretDB store it did not come from: which is
	// the real one is the operator's call.
	dir := t.TempDir()
	st := open(t, dir, nil)
	st.Close(ctx)
	legacydata.Write(t, dir)
	_, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err == nil || !strings.Contains(err.Error(), "never migrated") || !strings.Contains(err.Error(), "okrbot.sqlite") {
		t.Fatalf("err = %v", err)
	}
	// A FerretDB file that is not a readable store is refused, and left alone.
	dir = t.TempDir()
	legacydata.Write(t, dir)
	sabotage(t, filepath.Join(dir, "okrbot.sqlite"))
	_, err = sqlite.Open(ctx, dir, sqlite.Options{})
	if err == nil || !strings.Contains(err.Error(), "could not migrate") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v", err)
	}
	if !exists(filepath.Join(dir, "okrbot.sqlite")) || exists(filepath.Join(dir, sqlite.FileName)) {
		t.Fatal("a failed migration moved the old store or left a new one")
	}
}

// sabotage puts a document okrbot never wrote into the FerretDB store.
func sabotage(t *testing.T, file string) {
	t.Helper()
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var table string
	if err := db.QueryRow(`SELECT table_name FROM _ferretdb_collections WHERE name = 'objectives'`).Scan(&table); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf(`INSERT INTO %q (_ferretdb_sjson) VALUES (?)`, table),
		`{"$s":{"p":{"_id":{"t":"string"},"x":{"t":"regex","o":""}},"$k":["_id","x"]},"_id":"bad","x":"^a"}`); err != nil {
		t.Fatal(err)
	}
}
