package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds a stmtCache. Query texts with IN lists of every
// length a caller uses (batches, group commits) stay well under it; past
// it, new texts run unprepared.
const maxCachedStmts = 512

// stmtCache keeps one prepared statement per query text for one SQLite
// connection pool: preparing cost about a tenth of the newsletter sender's
// CPU time. PostgreSQL has none, as pgx caches statements per connection
// itself. A statement can be prepared on the pool only while no transaction
// holds the connection, and SQLite's writer has one: a query first met in a
// transaction is queued and prepared once the transaction is over.
type stmtCache struct {
	db      *sql.DB
	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// get returns the statement prepared for query, or nil. On a miss it
// prepares it at once when now is set, and else queues it for prepare.
func (c *stmtCache) get(ctx context.Context, query string, now bool) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	st, full := c.stmts[query], len(c.stmts)+len(c.pending) >= maxCachedStmts
	if st == nil && !now && !full {
		c.pending[query] = true
	}
	c.mu.Unlock()
	if st != nil || !now || full {
		return st
	}
	return c.add(ctx, query)
}

// prepare prepares the queued queries. Call it with no transaction open on
// the pool.
func (c *stmtCache) prepare(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.Lock()
	var queue []string
	for q := range c.pending {
		queue = append(queue, q)
	}
	clear(c.pending)
	c.mu.Unlock()
	for _, q := range queue {
		c.add(ctx, q)
	}
}

// add prepares query and keeps it, unless another goroutine did first. A
// query that does not prepare is left to run unprepared, which reports its
// error to its caller.
func (c *stmtCache) add(ctx context.Context, query string) *sql.Stmt {
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if kept := c.stmts[query]; kept != nil {
		st.Close()
		return kept
	}
	c.stmts[query] = st
	return st
}

// close closes the prepared statements.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}
