package storage

import (
	"fmt"
	"strconv"
	"strings"
)

// RefNumber returns the n of a ref such as "O-12" or "KR-31", and 0 for a
// ref of another form. Stores order objectives by it and keep their
// counters above every ref given to them.
func RefNumber(ref string) int64 {
	i := strings.LastIndexByte(ref, '-')
	if i < 0 {
		return 0
	}
	n, err := strconv.ParseInt(ref[i+1:], 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// Ref formats the n-th ref of a prefix: Ref("KR", 31) is "KR-31".
func Ref(prefix string, n int64) string { return fmt.Sprintf("%s-%d", prefix, n) }
