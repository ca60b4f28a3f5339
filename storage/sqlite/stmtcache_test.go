package sqlite

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := open(ctx, filepath.Join(t.TempDir(), FileName), Options{}, migrations)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(ctx) })
	return s
}

// cached is how many statements the connection c keeps compiled.
func cached(t *testing.T, c *sql.Conn) int {
	t.Helper()
	var n int
	if err := c.Raw(func(dc any) error { n = len(dc.(*cachingConn).stmts); return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStatementCache: a connection runs a text again on its compiled
// statement, with new arguments; a run of a text whose rows are still open
// gets a statement of its own; the cache stays bounded, and a statement
// dropped while its rows are open is closed with them.
func TestStatementCache(t *testing.T) {
	s := openTest(t)
	c, err := s.r.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const q = `SELECT value FROM json_each(?) ORDER BY value`
	before := cached(t, c)
	for i := range 3 {
		var got int
		if err := c.QueryRowContext(ctx, q, fmt.Sprintf("[%d]", i)).Scan(&got); err != nil || got != i {
			t.Fatalf("run %d: %d, %v", i, got, err)
		}
	}
	if n := cached(t, c); n != before+1 {
		t.Errorf("%d statements cached after three runs of one text, want %d", n, before+1)
	}

	// The same text while its rows are open: each run sees its own rows.
	outer, err := c.QueryContext(ctx, q, "[1,2,3]")
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for outer.Next() {
		var a int
		outer.Scan(&a)
		inner, err := c.QueryContext(ctx, q, "[10,20]")
		if err != nil {
			t.Fatal(err)
		}
		for inner.Next() {
			var b int
			inner.Scan(&b)
			pairs = append(pairs, fmt.Sprint(a, b))
		}
		inner.Close()
	}
	outer.Close()
	if got := fmt.Sprint(pairs); got != "[1 10 1 20 2 10 2 20 3 10 3 20]" {
		t.Errorf("nested runs of one text: %s", got)
	}

	// Open rows of a text, then push it out of the cache with others.
	open, err := c.QueryContext(ctx, q, "[7,8]")
	if err != nil {
		t.Fatal(err)
	}
	for i := range maxCachedStatements + 10 {
		var got int
		if err := c.QueryRowContext(ctx, fmt.Sprintf("SELECT %d + ?", i), 1).Scan(&got); err != nil || got != i+1 {
			t.Fatalf("text %d: %d, %v", i, got, err)
		}
	}
	if n := cached(t, c); n > maxCachedStatements {
		t.Errorf("%d statements cached, more than %d", n, maxCachedStatements)
	}
	var vs []int
	for open.Next() {
		var v int
		open.Scan(&v)
		vs = append(vs, v)
	}
	if err := open.Close(); err != nil || fmt.Sprint(vs) != "[7 8]" {
		t.Errorf("rows of a statement dropped meanwhile: %v, %v", vs, err)
	}
	var got int
	if err := c.QueryRowContext(ctx, q, "[5]").Scan(&got); err != nil || got != 5 {
		t.Errorf("the text again: %d, %v", got, err)
	}

	// A failing run leaves the statement usable: a constraint, then success.
	if _, err := s.Remember(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		err := s.txOn(ctx, s.k, "test", func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO events (key, at) VALUES (?, 0)`, "k")
			return err
		})
		if !isConstraint(err) {
			t.Fatalf("a duplicate key: %v", err)
		}
	}
	if err := s.txOn(ctx, s.k, "test", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO events (key, at) VALUES (?, 0)`, "k2")
		return err
	}); err != nil {
		t.Errorf("after two failed runs: %v", err)
	}
}
