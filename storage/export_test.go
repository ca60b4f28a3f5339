package storage

import "context"

// RawInsertClaim inserts a claim as a process would, for tests that play a
// process dying right after claiming.
func (s *Store) RawInsertClaim(ctx context.Context, key string) (bool, error) {
	return s.claim(ctx, key)
}
