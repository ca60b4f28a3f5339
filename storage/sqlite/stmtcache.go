package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"

	sqlite "modernc.org/sqlite"
)

// SQLite compiles every statement before it runs it. The store's queries
// are a small, fixed set of texts (arguments are bound, lists are one JSON
// parameter), yet compiling them was a quarter of a bulk write's CPU and
// the largest part of a small read's (the profiles in docs/benchmarks.md).
// So each connection keeps the statements it has run compiled, keyed by
// their text, and runs them again with new arguments; the store's code
// keeps writing plain QueryContext and ExecContext calls.
//
// A compiled statement is one cursor: while the rows of one run are open it
// cannot run again, so a second run of the same text on the same
// connection meanwhile (a query nested in another's loop) compiles a
// statement of its own for that run. SQLite recompiles a cached statement
// by itself when the schema changes (a migration).

// maxCachedStatements bounds each connection's cache. The store runs fewer
// distinct texts than this; beyond it the oldest is dropped.
const maxCachedStatements = 256

// connector opens connections of modernc.org/sqlite that cache their statements.
type connector struct {
	dsn string
	d   driver.Driver
}

func newConnector(dsn string) connector { return connector{dsn: dsn, d: &sqlite.Driver{}} }

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.d.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn)
}

func (c connector) Driver() driver.Driver { return c.d }

// inner is what a connection of modernc.org/sqlite can do, and what the
// caching connection needs of it.
type inner interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn is a connection that keeps its statements compiled.
// database/sql never uses one connection from two goroutines at once.
type cachingConn struct {
	inner
	stmts map[string]*cachedStmt
	order []string // oldest first, for eviction
}

type cachedStmt struct {
	s interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	busy    bool // rows of a run are open
	evicted bool // dropped from the cache while busy: closed with its rows
}

var (
	_ driver.Conn               = (*cachingConn)(nil)
	_ driver.ExecerContext      = (*cachingConn)(nil)
	_ driver.QueryerContext     = (*cachingConn)(nil)
	_ driver.ConnPrepareContext = (*cachingConn)(nil)
	_ driver.ConnBeginTx        = (*cachingConn)(nil)
	_ driver.SessionResetter    = (*cachingConn)(nil)
	_ driver.Validator          = (*cachingConn)(nil)
	_ driver.Pinger             = (*cachingConn)(nil)
)

func newCachingConn(c driver.Conn) (*cachingConn, error) {
	in, ok := c.(inner)
	if !ok {
		c.Close()
		return nil, errors.New("sqlite: the driver's connection lacks a method the store needs")
	}
	return &cachingConn{inner: in, stmts: map[string]*cachedStmt{}}, nil
}

// stmt returns the compiled statement of query, compiling it on first use;
// nil with no error when query must be compiled for this run only (its
// cached statement is busy, or it is a script of several statements).
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if cs := c.stmts[query]; cs != nil {
		if cs.busy {
			return nil, nil
		}
		return cs, nil
	}
	ds, err := c.inner.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s, ok := ds.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		ds.Close()
		return nil, errors.New("sqlite: the driver's statement lacks a method the store needs")
	}
	if len(c.order) >= maxCachedStatements {
		old := c.order[0]
		c.order = c.order[1:]
		if o := c.stmts[old]; o != nil && o.busy {
			o.evicted = true
		} else if o != nil {
			o.s.Close()
		}
		delete(c.stmts, old)
	}
	cs := &cachedStmt{s: s}
	c.stmts[query] = cs
	c.order = append(c.order, query)
	return cs, nil
}

// ExecContext runs query with args on its cached statement.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.once(ctx, query, func(s driver.Stmt) (driver.Result, error) {
			return s.(driver.StmtExecContext).ExecContext(ctx, args)
		})
	}
	return cs.s.ExecContext(ctx, args)
}

// once compiles query for one run.
func (c *cachingConn) once(ctx context.Context, query string, run func(driver.Stmt) (driver.Result, error)) (driver.Result, error) {
	s, err := c.inner.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return run(s)
}

// QueryContext runs query with args on its cached statement, busy until
// its rows are closed.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		s, err := c.inner.PrepareContext(ctx, query)
		if err != nil {
			return nil, err
		}
		r, err := s.(driver.StmtQueryContext).QueryContext(ctx, args)
		if err != nil {
			s.Close()
			return nil, err
		}
		return &onceRows{Rows: r, s: s}, nil
	}
	r, err := cs.s.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: r, cs: cs}, nil
}

// Close finalises the cached statements, then closes the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for _, cs := range c.stmts {
		errs = append(errs, cs.s.Close())
	}
	c.stmts, c.order = nil, nil
	return errors.Join(append(errs, c.inner.Close())...)
}

// cachedRows frees its statement for the next run when closed.
type cachedRows struct {
	driver.Rows
	cs     *cachedStmt
	closed bool
}

func (r *cachedRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.Rows.Close() // resets the statement, keeping it compiled
	r.cs.busy = false
	if r.cs.evicted {
		err = errors.Join(err, r.cs.s.Close())
	}
	return err
}

// onceRows finalises its one-run statement when closed.
type onceRows struct {
	driver.Rows
	s driver.Stmt
}

func (r *onceRows) Close() error {
	return errors.Join(r.Rows.Close(), r.s.Close())
}
