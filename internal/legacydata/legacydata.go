// Package legacydata holds a data directory written by okrbot's earlier
// embedded store (FerretDB v1.24 over SQLite, okrbot at commit 742f2d6), for
// the tests of its migration into the SQLite store. It is test support only.
//
// okrbot.sqlite.gz is the okrbot.sqlite file that store wrote; make_fixture.txt
// is the test that wrote it, run at that commit. What it holds is listed in
// Contents.
package legacydata

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"os"
	"path/filepath"
	"testing"
)

//go:embed okrbot.sqlite.gz
var sqliteGz []byte

// FileName is the store's file in the data directory.
const FileName = "okrbot.sqlite"

// Write puts the FerretDB store's file into dir, as that store left it
// (with the empty lock file its server kept beside it).
func Write(t testing.TB, dir string) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(sqliteGz))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "okrbot.lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Contents is what the file holds, for tests to check after a migration.
var Contents = struct {
	Workspace, TeamsWorkspace string
	Objectives                []string // O-4 was created and deleted
	NextObjective, NextKR     string   // the refs a new objective and key result get
	TokenKey                  []byte   // OKRBOT_ENCRYPTION_KEY of the stored installation
	Token                     string
}{
	Workspace: "slack:T024BE7LD", TeamsWorkspace: "teams:tenant-1",
	Objectives: []string{"O-1", "O-2", "O-3"}, NextObjective: "O-5", NextKR: "KR-5",
	TokenKey: func() []byte {
		k := make([]byte, 32)
		for i := range k {
			k[i] = byte(i)
		}
		return k
	}(),
	Token: "xoxb-fixture-token",
}
