//go:build !unix

package embedded

import "os"

// tryLock on platforms without flock: the lock file's presence is the lock
// and is not shared; a second process opens its own server on the files.
func tryLock(f *os.File) (held bool, err error) { return false, nil }

func unlock(f *os.File) { f.Close() }
