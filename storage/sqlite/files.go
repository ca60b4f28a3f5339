package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The data directory holds the store file and, beside it:
//
//	okrbot.db-wal, okrbot.db-shm  SQLite's write-ahead log and its index,
//	                              while some process has the file open
//	okrbot.store                  the marker: a store lives here
//	okrbot.db.lock                serialises okrbot processes starting
//	                              (the kernel releases it with its process)
//	okrbot.requests.db (-wal, -shm)  the keys of requests handled in the last
//	                              days, so that a replay has no effect
//	                              (requests.go); not data: no backup needs it
const (
	markerName = "okrbot.store"
	lockName   = FileName + ".lock"
)

// storeFiles are the files that belong to a store file: any of them
// without the store file means the store file vanished.
var storeFiles = []string{FileName + "-wal", FileName + "-shm", markerName}

// prepareDir refuses a data directory whose store vanished and migrates
// a FerretDB store once, before the store file is opened.
func prepareDir(ctx context.Context, dir string, opt Options) error {
	db := filepath.Join(dir, FileName)
	_, err := os.Stat(db)
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("sqlite.Open: %w", err)
	}
	if left := existing(dir, storeFiles); len(left) > 0 {
		return fmt.Errorf("the store file %s is missing but %s of it remain: refusing to start an empty store in its place; restore %s from a backup (okrbot backup), or move the remaining files away to start empty",
			db, strings.Join(left, " and "), FileName)
	}
	legacy, err := findFerretDB(dir)
	if err != nil || legacy == "" {
		return err
	}
	return migrateFerretDB(ctx, dir, legacy, opt)
}

// existing returns the names of dir that exist.
func existing(dir string, names []string) []string {
	var out []string
	for _, n := range names {
		if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// markerText is what the marker says to a person who finds it.
const markerText = `This directory holds an okrbot store: %s (SQLite), created %s.
okrbot refuses to start when %s is missing while this file is here, rather
than start an empty store in its place. To start empty on purpose, remove
this file too. Back the store up with: okrbot backup FILE
`

// writeMarker writes the marker unless it exists.
func writeMarker(dir string) error {
	f, err := os.OpenFile(filepath.Join(dir, markerName), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, markerText, FileName, time.Now().UTC().Format(time.RFC3339), FileName)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// lockStart takes the data directory's start lock, waiting for another
// process's start (a migration can take a while) up to a minute.
func lockStart(ctx context.Context, dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		held, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		if !held {
			return func() { unlock(f) }, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("another okrbot has been starting on %s for a minute (%s is locked); is it stuck?", dir, lockName)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
