package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tamizdat/tamizdat/internal/model"
)

// sqlitePragmas configure every connection. busy_timeout comes first so the
// others wait for locks instead of failing; WAL lets readers run alongside
// the writer. temp_store keeps statement journals in memory: otherwise every
// statement that changes several rows in a transaction creates, writes and
// deletes a temporary file, which cost the newsletter sender about a tenth
// of its database time.
const sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)" +
	"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)"

type sqliteDialect struct{}

// openSQLite opens the database file at path with a one-connection writer
// pool and a read-only reader pool, creating the file and its directory if
// needed.
func openSQLite(ctx context.Context, path string) (*Store, error) {
	fail := func(err error) (*Store, error) {
		return nil, fmt.Errorf("store: open sqlite database %q: %w", path, err)
	}
	switch {
	case path == "":
		return fail(errors.New("no file path; use sqlite:PATH"))
	case path == ":memory:" || strings.HasPrefix(path, "file:"):
		return fail(errors.New("only a plain file path is supported; an in-memory database cannot be shared by the reader and writer pools"))
	case strings.ContainsAny(path, "?#"):
		return fail(errors.New("the file path must not contain '?' or '#'"))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fail(err)
	}
	// _txlock=immediate takes the write lock at BEGIN, so a transaction
	// never fails half-way when another process holds it.
	writer, err := sql.Open("sqlite", path+"?"+sqlitePragmas+"&_txlock=immediate")
	if err != nil {
		return fail(err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetConnMaxIdleTime(0)
	// Ping the writer first: it is the connection that may create the file
	// and switch it to WAL.
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return fail(err)
	}
	reader, err := sql.Open("sqlite", path+"?"+sqlitePragmas+"&_pragma=query_only(1)")
	if err != nil {
		writer.Close()
		return fail(err)
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(readers)
	reader.SetMaxIdleConns(readers)
	if err := reader.PingContext(ctx); err != nil {
		writer.Close()
		reader.Close()
		return fail(err)
	}
	return &Store{d: sqliteDialect{}, writer: writer, reader: reader, writeStmts: newStmtCache(writer), readStmts: newStmtCache(reader)}, nil
}

func (sqliteDialect) name() string { return "sqlite" }

// rebind is the identity: SQLite takes ? natively, and numbered $n would
// bind by first appearance rather than by number.
func (sqliteDialect) rebind(query string) string { return query }

func (sqliteDialect) classify(err error) error {
	var e *sqlite.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY,
			sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %w", model.ErrConflict, err)
		}
	}
	return err
}

func (sqliteDialect) migrationsTable() string {
	return `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
)`
}

func (sqliteDialect) tableExists() string {
	return `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
}

func (sqliteDialect) skipLocked() string { return "" }

// utcText is the column itself: SQLite keeps timestamps as UTC text.
func (sqliteDialect) utcText(column string) string { return column }
