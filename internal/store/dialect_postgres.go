package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/tamizdat/tamizdat/internal/model"
)

type postgresDialect struct {
	// rebound caches rebind results by query text.
	rebound *sync.Map
}

// defaultPoolSize is how many connections one server opens at most.
const defaultPoolSize = 16

// openPostgres opens one pool for reads and writes. pool_max_conns in the
// URL sets its size; several servers on one database (whose default limit
// is 100 connections) may need a smaller one. Query parameters pgx does not
// know, such as search_path, are sent to the server as run-time settings.
func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	dsn, size, err := poolSize(dsn)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("pgx", dsn)
	if err == nil {
		err = db.PingContext(ctx)
		if err != nil {
			db.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store: open postgres database %q: %w", redactURL(dsn), err)
	}
	db.SetMaxOpenConns(size)
	db.SetMaxIdleConns(min(size, 4))
	return &Store{d: postgresDialect{rebound: &sync.Map{}}, writer: db, reader: db}, nil
}

// poolSize takes pool_max_conns out of a PostgreSQL URL, which pgx would
// otherwise send to the server as an unknown setting, and returns it, or
// defaultPoolSize when the URL has none.
func poolSize(dsn string) (string, int, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", 0, fmt.Errorf("store: the PostgreSQL URL %s does not parse: %w", redactURL(dsn), err)
	}
	q := u.Query()
	if !q.Has("pool_max_conns") {
		return dsn, defaultPoolSize, nil
	}
	size, err := strconv.Atoi(q.Get("pool_max_conns"))
	if err != nil || size < 1 {
		return "", 0, fmt.Errorf("store: pool_max_conns=%q in the PostgreSQL URL: expected a whole number of connections, at least 1", q.Get("pool_max_conns"))
	}
	q.Del("pool_max_conns")
	u.RawQuery = q.Encode()
	return u.String(), size, nil
}

func (postgresDialect) name() string { return "postgres" }

// rebind turns each ? outside quotes into $1, $2, ….
func (d postgresDialect) rebind(query string) string {
	if q, ok := d.rebound.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote rune
	for _, c := range query {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	d.rebound.Store(query, b.String())
	return b.String()
}

func (postgresDialect) classify(err error) error {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		switch e.Code {
		case "23505", "23503": // unique_violation, foreign_key_violation
			return fmt.Errorf("%w: %w", model.ErrConflict, err)
		}
	}
	return err
}

func (postgresDialect) migrationsTable() string {
	return `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
)`
}

func (postgresDialect) tableExists() string {
	return `SELECT COUNT(*) FROM information_schema.tables
WHERE table_schema = current_schema() AND table_name = ?`
}

func (postgresDialect) skipLocked() string { return " FOR UPDATE SKIP LOCKED" }
func (postgresDialect) utcText(column string) string {
	return `to_char(` + column + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')`
}
