//go:build !unix

package sqlite

import "os"

// tryLock on platforms without flock does not lock: processes starting at
// the same moment are not serialised there (SQLite's own locking still
// protects the store file itself).
func tryLock(f *os.File) (held bool, err error) { return false, nil }

func unlock(f *os.File) { f.Close() }
