package sqlite

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okrbot/okrbot/domain"
)

// TestRememberUnderConcurrency: keys remembered at once, several times
// each, are each new exactly once, however the group commit batches them;
// a store that cannot write fails every waiting key.
func TestRememberUnderConcurrency(t *testing.T) {
	s := openTest(t)
	const keys, copies = 200, 3
	fresh := make([]int, keys)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range keys * copies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := i % keys
			first, err := s.Remember(ctx, fmt.Sprint("key-", k))
			if err != nil {
				t.Error(err)
				return
			}
			if first {
				mu.Lock()
				fresh[k]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for k, n := range fresh {
		if n != 1 {
			t.Fatalf("key %d was new %d times", k, n)
		}
	}
	var n int
	s.k.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&n)
	if n != keys {
		t.Errorf("%d keys stored, want %d", n, keys)
	}
	s.Close(ctx)
	if _, err := s.Remember(ctx, "after close"); err == nil {
		t.Error("a closed store remembered a key")
	}
}

// TestRequestKeysLeaveTheStoreFileAlone: remembering a request commits
// nothing to the store file, so its readers keep their page caches (a
// commit there makes every reader drop its cache); a real write does.
func TestRequestKeysLeaveTheStoreFileAlone(t *testing.T) {
	s := openTest(t)
	c, err := s.r.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	version := func() int {
		var v int
		if err := c.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	v := version()
	for i := range 5 {
		if _, err := s.Remember(ctx, fmt.Sprint("k", i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := version(); got != v {
		t.Errorf("remembering requests changed the store file (data_version %d -> %d)", v, got)
	}
	if err := s.SaveUser(ctx, domain.User{WorkspaceID: "w", ID: "U1", Name: "Ada"}); err != nil {
		t.Fatal(err)
	}
	if got := version(); got == v {
		t.Error("data_version did not move with a write: the test proves nothing")
	}
}

// TestRequestKeysOfTheStoreFileAreAdopted: keys an earlier okrbot kept in
// the store file are still remembered after the upgrade, and leave it.
func TestRequestKeysOfTheStoreFileAreAdopted(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO events (key, at) VALUES ('slack/request/1/v0=old', 1)`); err != nil {
		t.Fatal(err)
	}
	s.Close(ctx)
	s, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	if fresh, err := s.Remember(ctx, "slack/request/1/v0=old"); err != nil || fresh {
		t.Errorf("a key of the earlier okrbot is new again: %v %v", fresh, err)
	}
	var n int
	s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&n)
	if n != 0 {
		t.Errorf("%d keys left in the store file", n)
	}
}

// TestSortCheckIns: the permutation sort gives the order of a plain sort,
// ties on time included.
func TestSortCheckIns(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	for _, n := range []int{0, 1, 2, 7, 100, 1000} {
		cs := make([]domain.CheckIn, n)
		for i := range cs {
			cs[i] = domain.CheckIn{UserID: fmt.Sprint("U", r.IntN(5)), KR: fmt.Sprint("KR-", r.IntN(5)), Week: domain.Week(fmt.Sprint("2026-W", 40+r.IntN(3))),
				At: base.Add(time.Duration(r.IntN(20)) * time.Minute), Value: float64(i)}
		}
		if n == 100 {
			// Also as the table returns them: by person, key result and week.
			slices.SortFunc(cs, func(a, b domain.CheckIn) int {
				return cmp.Or(strings.Compare(a.UserID, b.UserID), strings.Compare(a.KR, b.KR), strings.Compare(string(a.Week), string(b.Week)))
			})
		}
		want := slices.Clone(cs)
		slices.SortStableFunc(want, func(a, b domain.CheckIn) int {
			return cmp.Or(a.At.Compare(b.At), strings.Compare(a.UserID, b.UserID), strings.Compare(a.KR, b.KR), strings.Compare(string(a.Week), string(b.Week)))
		})
		sortCheckIns(cs)
		for i := range cs {
			a, b := cs[i], want[i]
			if !a.At.Equal(b.At) || a.UserID != b.UserID || a.KR != b.KR || a.Week != b.Week {
				t.Fatalf("n=%d: at %d got %+v, want %+v", n, i, a, b)
			}
		}
	}
}
