package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// BackupInfo describes a backup just written.
type BackupInfo struct {
	File                   string
	Bytes                  int64
	Objectives, CheckIns   int
	Workspaces, Deliveries int
}

// Backup writes a consistent copy of the store to file while the store
// stays in use, here and in other processes: VACUUM INTO reads one snapshot
// of the file (in WAL mode a reader never blocks a writer) into a new,
// compact database. The copy is written beside file and renamed into place
// once complete and checked, so file is never a partial backup. file must
// not exist.
//
// To restore: stop okrbot, replace okrbot.db in the data directory with the
// copy (and remove okrbot.db-wal and okrbot.db-shm if they are there), start okrbot.
func (s *Store) Backup(ctx context.Context, file string) (BackupInfo, error) {
	const op = "sqlite.Backup"
	info := BackupInfo{File: file}
	if err := CheckBackupFile(file); err != nil {
		return info, err
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return info, fmt.Errorf("%s: %w", op, err)
	}
	tmp := abs + ".partial"
	os.Remove(tmp)
	// Can the copy be written there? Asked now, so that the answer names
	// the directory instead of SQLite's "unable to open database file".
	probe, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return info, fmt.Errorf("cannot write the copy in %s (%v); choose a directory okrbot may write to (example: okrbot backup ./okrbot-2026-11-20.db)", filepath.Dir(abs), errors.Unwrap(err))
	}
	probe.Close()
	os.Remove(tmp)
	// A connection of its own: a backup must not hold the writer, and a
	// reader is query_only.
	db, err := sql.Open("sqlite", s.path+fmt.Sprintf("?_pragma=busy_timeout(%d)", s.busy.Milliseconds()))
	if err != nil {
		return info, fmt.Errorf("%s: %w", op, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		os.Remove(tmp)
		return info, fail(op, err)
	}
	if err := checkCopy(ctx, tmp, &info); err != nil {
		os.Remove(tmp)
		return info, fmt.Errorf("%s: the copy does not read back: %w", op, err)
	}
	if err := os.Rename(tmp, abs); err != nil {
		os.Remove(tmp)
		return info, fmt.Errorf("%s: %w", op, err)
	}
	if fi, err := os.Stat(abs); err == nil {
		info.Bytes = fi.Size()
	}
	return info, nil
}

// CheckBackupFile says, in one line with an example, why a backup cannot
// be written to file: it exists already (a backup never overwrites), or
// the directory it names is missing or is not a directory. nil when file
// can be tried.
func CheckBackupFile(file string) error {
	const example = "example: okrbot backup ./okrbot-2026-11-20.db"
	if _, err := os.Lstat(file); err == nil {
		return fmt.Errorf("%s exists already; give a new file name, okrbot backup never overwrites (%s)", file, example)
	} else if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("cannot write the backup to %s: %v (%s)", file, errors.Unwrap(err), example)
	}
	dir := filepath.Dir(file)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("the directory %s does not exist; make it first (mkdir -p %s) or give a file in an existing directory (%s)", dir, dir, example)
	case err != nil:
		return fmt.Errorf("cannot write the backup in %s: %v (%s)", dir, errors.Unwrap(err), example)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory; give a file in a directory (%s)", dir, example)
	}
	return nil
}

// checkCopy checks a copy's integrity and counts what it holds.
func checkCopy(ctx context.Context, file string, info *BackupInfo) error {
	db, err := sql.Open("sqlite", file+"?_pragma=query_only(1)")
	if err != nil {
		return err
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&ok); err != nil {
		return err
	}
	if ok != "ok" {
		return errors.New(strings.TrimSpace(ok))
	}
	for table, n := range map[string]*int{"objectives": &info.Objectives, "check_ins": &info.CheckIns, "workspaces": &info.Workspaces, "outbox": &info.Deliveries} {
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(n); err != nil {
			return err
		}
	}
	return nil
}
