// Package store keeps tamizdat's content in SQLite or PostgreSQL behind one
// API. The SQL is hand-written in the portable subset both engines accept;
// what differs between them (connection setup, placeholders, error codes)
// lives in dialect_sqlite.go and dialect_postgres.go and nowhere else.
//
// Time always comes from Go (Options.Now), never from SQL, and is stored in
// UTC with microsecond precision on both engines.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tamizdat/tamizdat/internal/model"
)

// Options tune a Store. The zero value is ready to use.
type Options struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives the slow-query log; slog.Default() when nil.
	Logger *slog.Logger
	// SlowQuery is the duration above which a query is logged, by name and
	// without its arguments; 200ms when zero.
	SlowQuery time.Duration
	// SecondApprovalOver is the two-person rule of large sends
	// (requirement S5): an issue whose audience is more than this many
	// recipients is scheduled or started only once two different people
	// approved it, and never started without. 0 turns the rule off.
	SecondApprovalOver int
}

// dialect is everything the engines do differently. Keep it small: a new
// method here means a feature is leaning on non-portable SQL.
type dialect interface {
	// name is "sqlite" or "postgres".
	name() string
	// rebind rewrites the ? placeholders of query for the engine.
	rebind(query string) string
	// classify maps unique and foreign-key violations onto
	// model.ErrConflict and returns other errors unchanged.
	classify(err error) error
	// migrationsTable is the DDL that creates schema_migrations if missing.
	migrationsTable() string
	// tableExists is a query counting the tables named by its one argument.
	tableExists() string
	// skipLocked ends a SELECT of rows to claim: on PostgreSQL it locks
	// them and skips rows another transaction holds, so that concurrent
	// claimers take disjoint batches instead of queueing on the same rows.
	// SQLite runs one writer at a time and needs nothing.
	skipLocked() string
	// utcText is an expression giving a timestamp column as UTC text,
	// YYYY-MM-DDTHH:MM:SS…, so that its first 10 or 7 characters are the
	// day or month.
	utcText(column string) string
}

// Store is the database. It is safe for concurrent use.
type Store struct {
	d dialect
	// writer takes every write. On SQLite it holds a single connection,
	// so writers queue in Go instead of failing with "database is locked".
	writer *sql.DB
	// reader serves reads; it is the writer's pool on PostgreSQL.
	reader *sql.DB
	// writeStmts and readStmts cache prepared statements on SQLite's
	// pools; nil on PostgreSQL.
	writeStmts, readStmts *stmtCache
	now                   func() time.Time
	log                   *slog.Logger
	slow                  time.Duration
	migrations            fs.FS
	secondApprovalOver    int // Options.SecondApprovalOver
}

// Open connects to the database at dbURL and checks that it answers. It does
// not migrate; call Migrate for that. Accepted forms are sqlite:PATH,
// sqlite://PATH and postgres://… or postgresql://… URLs.
func Open(ctx context.Context, dbURL string, opts Options) (*Store, error) {
	var (
		s   *Store
		err error
	)
	switch {
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		s, err = openPostgres(ctx, dbURL)
	case strings.HasPrefix(dbURL, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite:"), "//")
		s, err = openSQLite(ctx, path)
	default:
		return nil, fmt.Errorf("store: open: unknown database URL scheme %q; use sqlite:PATH, sqlite://PATH or postgres://USER@HOST/DB", scheme(dbURL))
	}
	if err != nil {
		return nil, err
	}
	s.now = opts.Now
	if s.now == nil {
		s.now = time.Now
	}
	s.log = opts.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	s.secondApprovalOver = max(opts.SecondApprovalOver, 0)
	s.slow = opts.SlowQuery
	if s.slow == 0 {
		s.slow = 200 * time.Millisecond
	}
	s.migrations, err = fs.Sub(migrationFiles, "migrations/"+s.d.name())
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open: %w", err)
	}
	return s, nil
}

// scheme returns what precedes the first colon of a database URL, the only
// part safe to echo when the rest is not understood.
func scheme(dbURL string) string {
	s, _, ok := strings.Cut(dbURL, ":")
	if !ok || strings.ContainsAny(s, " =@/") {
		return ""
	}
	return s
}

// redactURL hides the password of a database URL, for error messages.
func redactURL(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		// Do not echo what failed to parse: it may hold a secret.
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// Engine names the database engine: "sqlite" or "postgres".
func (s *Store) Engine() string { return s.d.name() }

// Close closes the connection pools.
func (s *Store) Close() error {
	s.writeStmts.close()
	s.readStmts.close()
	err := s.writer.Close()
	if s.reader != s.writer {
		err = errors.Join(err, s.reader.Close())
	}
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Ping checks that the database answers on both pools.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if err := s.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// clock returns the current time as the store keeps it.
func (s *Store) clock() time.Time { return normTime(s.now()) }

// newID returns a time-ordered unique ID.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// dbtx is what *sql.DB and *sql.Tx have in common.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// runner runs named queries written with ? placeholders: it rebinds them for
// the engine, classifies errors and logs slow ones.
type runner struct {
	s *Store
	q dbtx
	// tx is q when it is a transaction.
	tx *sql.Tx
	// stmts, when non-nil, makes the runner prepare each query text once and
	// reuse it, which pays off for bulk work in one transaction.
	stmts map[string]*sql.Stmt
	// cache is the pool's statement cache, when it has one.
	cache *stmtCache
}

func (s *Store) read() *runner { return &runner{s: s, q: s.reader, cache: s.readStmts} }

// cached returns the cached prepared statement for query, bound to the
// runner's transaction if it has one; nil when there is none yet.
func (r *runner) cached(ctx context.Context, query string) *sql.Stmt {
	st := r.cache.get(ctx, query, r.tx == nil)
	if st == nil || r.tx == nil {
		return st
	}
	// Reuses the statement prepared on the transaction's connection.
	return r.tx.StmtContext(ctx, st)
}

func (r *runner) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := r.stmts[query]; ok {
		return st, nil
	}
	st, err := r.q.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	r.stmts[query] = st
	return st, nil
}

func (r *runner) closeStmts() {
	for _, st := range r.stmts {
		st.Close()
	}
}

func (r *runner) exec(ctx context.Context, name, query string, args ...any) (sql.Result, error) {
	query = r.s.d.rebind(query)
	defer r.s.timeQuery(name, time.Now())
	var (
		res sql.Result
		err error
	)
	if r.stmts != nil {
		var st *sql.Stmt
		if st, err = r.prepared(ctx, query); err == nil {
			res, err = st.ExecContext(ctx, args...)
		}
	} else if st := r.cached(ctx, query); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = r.q.ExecContext(ctx, query, args...)
	}
	return res, r.s.d.classify(err)
}

// execOne runs a statement that must change a row, and fails with
// model.ErrNotFound when it changed none.
func (r *runner) execOne(ctx context.Context, name, query string, args ...any) error {
	res, err := r.exec(ctx, name, query, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return model.ErrNotFound
	}
	return nil
}

func (r *runner) query(ctx context.Context, name, query string, args ...any) (*sql.Rows, error) {
	query = r.s.d.rebind(query)
	defer r.s.timeQuery(name, time.Now())
	var (
		rows *sql.Rows
		err  error
	)
	if r.stmts != nil {
		var st *sql.Stmt
		if st, err = r.prepared(ctx, query); err == nil {
			rows, err = st.QueryContext(ctx, args...)
		}
	} else if st := r.cached(ctx, query); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = r.q.QueryContext(ctx, query, args...)
	}
	return rows, r.s.d.classify(err)
}

// scanRow runs a query expected to return at most one row and scans it;
// sql.ErrNoRows comes back unchanged.
func (r *runner) scanRow(ctx context.Context, name, query string, args []any, dest ...any) error {
	rows, err := r.query(ctx, name, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// timeQuery logs a query that ran longer than Options.SlowQuery. For
// queries returning rows it times the execution, not the reading of rows.
func (s *Store) timeQuery(name string, start time.Time) {
	if d := time.Since(start); d >= s.slow {
		// Never the arguments: they carry readers' and authors' data.
		s.log.Warn("store: slow query", "query", name, "duration", d, "engine", s.d.name())
	}
}

// write runs fn in a transaction on the writer pool and commits if fn
// returns nil. With bulk set, the runner reuses prepared statements.
func (s *Store) write(ctx context.Context, bulk bool, fn func(r *runner) error) error {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	// Queries first met in this transaction are prepared after it, when
	// the connection is free again.
	defer s.writeStmts.prepare(context.WithoutCancel(ctx))
	r := &runner{s: s, q: tx, tx: tx}
	if bulk {
		r.stmts = map[string]*sql.Stmt{}
		defer r.closeStmts()
	} else {
		r.cache = s.writeStmts
	}
	if err := fn(r); err != nil {
		return errors.Join(err, ignoreDone(tx.Rollback()))
	}
	return s.d.classify(tx.Commit())
}

// writeContent is write for content changes: it also bumps content_state in
// the same transaction.
func (s *Store) writeContent(ctx context.Context, bulk bool, fn func(r *runner) error) error {
	return s.write(ctx, bulk, func(r *runner) error {
		if err := fn(r); err != nil {
			return err
		}
		return bumpContent(ctx, r)
	})
}

// ignoreDone drops the error of rolling back a transaction that is already
// over, which is not news to the caller.
func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// notFound turns sql.ErrNoRows into model.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return model.ErrNotFound
	}
	return err
}

// placeholders returns "?, ?, …" for n arguments.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
