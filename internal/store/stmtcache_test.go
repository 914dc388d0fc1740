package store

import (
	"context"
	"path/filepath"
	"testing"
)

// TestStatementCache: on SQLite a query first met in a transaction is
// prepared once it is over and reused by the next transactions, with the
// same results; a read is prepared at once.
func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "cache.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const insert = `INSERT INTO suppressions (email_index, reason, created_at) VALUES (?, 'manual', ?)`
	cached := func(c *stmtCache, query string) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.stmts[query] != nil
	}
	for i, index := range []string{"a", "b", "c"} {
		err := s.write(ctx, false, func(r *runner) error {
			_, err := r.exec(ctx, "insert", insert, index, timeArg(s.clock()))
			return err
		})
		if err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
		if !cached(s.writeStmts, insert) {
			t.Fatalf("after transaction %d the insert is not prepared", i)
		}
	}
	var n int
	if err := s.read().scanRow(ctx, "count", `SELECT COUNT(*) FROM suppressions`, nil, &n); err != nil || n != 3 {
		t.Errorf("suppressions: %d, %v; want 3", n, err)
	}
	if !cached(s.readStmts, `SELECT COUNT(*) FROM suppressions`) {
		t.Error("the read is not prepared")
	}
	// A failing statement is not kept and still reports its error.
	err = s.write(ctx, false, func(r *runner) error {
		_, err := r.exec(ctx, "bad", `INSERT INTO no_such_table VALUES (1)`)
		return err
	})
	if err == nil || cached(s.writeStmts, `INSERT INTO no_such_table VALUES (1)`) {
		t.Errorf("a statement on a missing table: error %v; cached %v", err, cached(s.writeStmts, `INSERT INTO no_such_table VALUES (1)`))
	}
}
