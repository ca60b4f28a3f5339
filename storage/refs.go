package storage

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/okrbot/okrbot/domain"
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

// ImportedObjective is an objective of an import as a store writes it: in
// workspace, its times as given (created now when it has none, updated
// when it was created when it says nothing), at version 1, refs required.
func ImportedObjective(o domain.Objective, workspace string, now time.Time) (domain.Objective, error) {
	o = o.Clone()
	o.WorkspaceID = workspace
	if o.Ref == "" {
		return o, errors.New("an imported objective needs its ref")
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = now
	}
	if o.UpdatedAt.IsZero() {
		o.UpdatedAt = o.CreatedAt
	}
	if o.KeyResults == nil {
		o.KeyResults = []domain.KeyResult{}
	}
	o.Version = 1
	return o, nil
}
