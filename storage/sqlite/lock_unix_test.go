//go:build unix

package sqlite_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/okrbot/okrbot/internal/legacydata"
	"github.com/okrbot/okrbot/storage/sqlite"
)

// holdLock takes name's lock as a running process would.
func holdLock(t *testing.T, name string) (release func()) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	return func() { f.Close() }
}

func TestFerretDBStillRunningIsRefused(t *testing.T) {
	dir := t.TempDir()
	legacydata.Write(t, dir)
	release := holdLock(t, filepath.Join(dir, "okrbot.lock"))
	_, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err == nil || !strings.Contains(err.Error(), "still running") {
		t.Fatalf("err = %v", err)
	}
	release()
	st := open(t, dir, nil)
	legacydata.Check(t, st)
}
