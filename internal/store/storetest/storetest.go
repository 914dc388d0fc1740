// Package storetest gives tests a fresh, migrated store.Store on SQLite or
// PostgreSQL, so that every test runs against a real database rather than a
// mock.
//
// SQLite needs no setup: each store is a new file in t.TempDir(). PostgreSQL
// is reached through TAMIZDAT_TEST_POSTGRES_DSN (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable); each store gets a
// schema of its own, dropped when the test ends, so tests may run in
// parallel. When PostgreSQL is unreachable its tests are skipped, unless
// TAMIZDAT_REQUIRE_POSTGRES=1, which makes them fail.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the admin connection

	"github.com/tamizdat/tamizdat/internal/store"
)

// Environment variables that choose the test database.
const (
	EnvEngine          = "TAMIZDAT_TEST_DB"           // "sqlite" (default) or "postgres"
	EnvPostgresDSN     = "TAMIZDAT_TEST_POSTGRES_DSN" // a postgres:// URL
	EnvRequirePostgres = "TAMIZDAT_REQUIRE_POSTGRES"  // "1": fail instead of skip
	defaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
)

// engines lists the engines a store can run on.
var engines = []string{"sqlite", "postgres"}

// New returns a fresh, migrated store on the engine named by
// TAMIZDAT_TEST_DB, closed when the test ends.
func New(t testing.TB) *store.Store {
	t.Helper()
	engine := os.Getenv(EnvEngine)
	if engine == "" {
		engine = "sqlite"
	}
	return NewEngine(t, engine, store.Options{})
}

// Each runs fn as the subtests "sqlite" and "postgres", each with a fresh,
// migrated store. The postgres subtest is skipped when PostgreSQL is
// unreachable (see the package comment).
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	EachEngine(t, func(t *testing.T, engine string) {
		fn(t, NewEngine(t, engine, store.Options{}))
	})
}

// EachEngine runs fn as one subtest per engine, for tests that need to open
// stores themselves, for instance with a clock.
func EachEngine(t *testing.T, fn func(t *testing.T, engine string)) {
	t.Helper()
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) { fn(t, engine) })
	}
}

// NewEngine returns a fresh, migrated store on engine, closed when the test
// ends. A nil opts.Logger logs warnings and errors to the test's output.
func NewEngine(t testing.TB, engine string, opts store.Options) *store.Store {
	t.Helper()
	s := Open(t, engine, opts)
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return s
}

// Open is NewEngine without the migrations, for testing them.
func Open(t testing.TB, engine string, opts store.Options) *store.Store {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	var dbURL string
	switch engine {
	case "sqlite":
		dbURL = "sqlite:" + filepath.Join(t.TempDir(), "tamizdat.db")
	case "postgres":
		dbURL = postgresSchema(t)
	default:
		t.Fatalf("storetest: unknown engine %q; %s must be sqlite or postgres", engine, EnvEngine)
	}
	s, err := store.Open(t.Context(), dbURL, opts)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("storetest: %v", err)
		}
	})
	return s
}

// postgresSchema creates a schema for one test, drops it when the test ends
// and returns a URL whose connections use it.
func postgresSchema(t testing.TB) string {
	t.Helper()
	admin, dsn := postgresAdmin(t)
	b := make([]byte, 8)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("storetest: create schema: %v", err)
	}
	t.Cleanup(func() {
		// t.Context() is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("storetest: %s is not a URL: %v", EnvPostgresDSN, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	// Tests run many stores at once; the server allows 100 connections.
	q.Set("pool_max_conns", "4")
	u.RawQuery = q.Encode()
	return u.String()
}

var admin struct {
	once sync.Once
	db   *sql.DB
	dsn  string
	err  error
}

// postgresAdmin returns the connection that creates and drops test schemas,
// opened once per test binary, and the DSN it uses. It skips or fails the
// test when PostgreSQL is unreachable.
func postgresAdmin(t testing.TB) (*sql.DB, string) {
	t.Helper()
	admin.once.Do(func() {
		admin.dsn = os.Getenv(EnvPostgresDSN)
		if admin.dsn == "" {
			admin.dsn = defaultPostgresDSN
		}
		admin.db, admin.err = sql.Open("pgx", admin.dsn)
		if admin.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if admin.err = admin.db.PingContext(ctx); admin.err != nil {
			admin.db.Close()
		}
	})
	if admin.err != nil {
		where := "(unparsable URL)"
		if u, err := url.Parse(admin.dsn); err == nil {
			where = u.Redacted()
		}
		if os.Getenv(EnvRequirePostgres) == "1" {
			t.Fatalf("storetest: PostgreSQL is required (%s=1) but unreachable at %s: %v", EnvRequirePostgres, where, admin.err)
		}
		t.Skipf("storetest: skipping PostgreSQL: unreachable at %s: %v (set %s, or %s=1 to fail instead)",
			where, admin.err, EnvPostgresDSN, EnvRequirePostgres)
	}
	return admin.db, admin.dsn
}

// Clock is a settable clock for store.Options.Now. It is safe for
// concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// IssueDigest is the digest of what the issue is says now, which an
// approval of its send names (see store.Store.ApproveIssue).
func IssueDigest(t testing.TB, s *store.Store, is store.Issue) string {
	t.Helper()
	digest, err := s.IssueDigest(t.Context(), is)
	if err != nil {
		t.Fatal(err)
	}
	return digest
}
