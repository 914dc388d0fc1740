package newsletter_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx", for the raw connection

	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// rawEnv is an env whose database the test can also read directly, to check
// what is really stored. For SQLite it also returns the database file.
func rawEnv(t *testing.T, engine string) (*env, *sql.DB, string) {
	t.Helper()
	clock := storetest.NewClock(t0)
	var dbURL, rawDriver, rawURL, file string
	switch engine {
	case "sqlite":
		file = filepath.Join(t.TempDir(), "news.db")
		dbURL, rawDriver, rawURL = "sqlite:"+file, "sqlite", file
	case "postgres":
		dbURL = postgresSchema(t)
		rawDriver, rawURL = "pgx", dbURL
	}
	st, err := store.Open(t.Context(), dbURL, store.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open(rawDriver, rawURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newEnvOn(t, st, clock, newsletter.Limits{PerClient: 100}), db, file
}

// postgresSchema makes a schema of its own for one test, as storetest
// does, and returns a URL that uses it; it skips when PostgreSQL is
// unreachable, unless storetest.EnvRequirePostgres says otherwise.
func postgresSchema(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(storetest.EnvPostgresDSN)
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	admin, err := sql.Open("pgx", dsn)
	if err == nil {
		err = admin.PingContext(t.Context())
	}
	if err != nil {
		if os.Getenv(storetest.EnvRequirePostgres) == "1" {
			t.Fatalf("PostgreSQL is required but unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable: %v", err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "nl_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// dumpTables returns every value of every table, as text.
func dumpTables(t *testing.T, db *sql.DB, engine string) string {
	t.Helper()
	query := `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	if engine == "sqlite" {
		query = `SELECT name FROM sqlite_master WHERE type = 'table'`
	}
	rows, err := db.QueryContext(t.Context(), query)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	var dump strings.Builder
	for _, table := range tables {
		rows, err := db.QueryContext(t.Context(), "SELECT * FROM "+table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			values := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range values {
				ptrs[i] = &values[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range values {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				fmt.Fprintf(&dump, "%s: %v\n", table, v)
			}
		}
		rows.Close()
	}
	return dump.String()
}

// TestNoPlaintextAtRest is requirement R5: after canary subscribers sign up
// and confirm, neither the database's rows nor (for SQLite) its files
// contain their addresses.
func TestNoPlaintextAtRest(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		e, db, file := rawEnv(t, engine)
		ctx := t.Context()
		canaries := []string{"canary-one@canary-domain.example", "Canary.Two@Canary-Domain.example", "canary3@пример-canary.рф"}
		for _, c := range canaries {
			if err := e.signup(c, "192.0.2.1", "weekly", "breaking"); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range e.mails() {
			if _, err := e.svc.Confirm(ctx, tokenIn(t, mailtest.TextOf(t, m), "newsletter/confirm")); err != nil {
				t.Fatal(err)
			}
		}
		if n, _ := e.st.ActiveRecipients(ctx, e.ns["weekly"].ID, "", 10); len(n) != len(canaries) {
			t.Fatalf("%d active recipients, want %d", len(n), len(canaries))
		}
		needles := []string{"canary", "пример", "xn--e1afmkfd"}
		sub, err := e.subscriber(canaries[0])
		if err != nil {
			t.Fatal(err)
		}
		raw := dumpTables(t, db, engine)
		if !strings.Contains(raw, sub.EmailSealed) {
			t.Fatal("the dump does not show the subscribers: the check below would prove nothing")
		}
		dump := strings.ToLower(raw)
		for _, needle := range needles {
			if strings.Contains(dump, needle) {
				t.Errorf("the database's rows contain %q", needle)
			}
		}
		if engine != "sqlite" {
			return
		}
		var files []byte
		for _, f := range []string{file, file + "-wal"} {
			data, err := os.ReadFile(f)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			files = append(files, data...)
		}
		if !bytes.Contains(files, []byte(sub.EmailSealed)) {
			t.Fatal("the database files do not hold the sealed address: wrong files?")
		}
		for _, needle := range needles {
			if bytes.Contains(bytes.ToLower(files), []byte(needle)) {
				t.Errorf("the database files contain %q", needle)
			}
		}
	})
}

// TestDeleteLeavesNothing is requirement R8: a subscriber who deletes
// themselves leaves no row with their address in any form, sealed or
// hashed, unless they ask never to be emailed again, when only the hash
// stays, in the suppression list.
func TestDeleteLeavesNothing(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		e, db, _ := rawEnv(t, engine)
		ctx := t.Context()
		tests := []struct {
			address    string
			neverAgain bool
		}{
			{"erase-me@example.org", false},
			{"never-again@example.org", true},
		}
		for _, tt := range tests {
			t.Run(tt.address, func(t *testing.T) {
				if err := e.signup(tt.address, "192.0.2.1", "weekly", "breaking"); err != nil {
					t.Fatal(err)
				}
				done, err := e.svc.Confirm(ctx, tokenIn(t, mailtest.TextOf(t, mailtest.LastToOf(t, e.mails(), tt.address)), "newsletter/confirm"))
				if err != nil {
					t.Fatal(err)
				}
				sub, err := e.subscriber(tt.address)
				if err != nil {
					t.Fatal(err)
				}
				if dump := dumpTables(t, db, engine); !strings.Contains(dump, sub.EmailSealed) || !strings.Contains(dump, sub.ID) {
					t.Fatal("the raw dump does not show the subscriber before deleting: the check below would prove nothing")
				}
				if err := e.svc.Delete(ctx, done.ManageToken, tt.neverAgain); err != nil {
					t.Fatal(err)
				}
				dump := dumpTables(t, db, engine)
				for what, value := range map[string]string{"sealed address": sub.EmailSealed, "subscriber ID": sub.ID} {
					if strings.Contains(dump, value) {
						t.Errorf("the %s is still stored after deleting", what)
					}
				}
				if got := strings.Count(dump, sub.EmailIndex); got != map[bool]int{false: 0, true: 1}[tt.neverAgain] {
					t.Errorf("the address's hash appears %d times after deleting", got)
				}
				if _, err := e.svc.Profile(ctx, done.ManageToken); err != newsletter.ErrGone {
					t.Errorf("Profile() after deleting = %v, want ErrGone", err)
				}
				// Signing up again reaches the address only if it was not
				// barred for good.
				before := len(e.mails())
				e.clock.Advance(time.Hour)
				if err := e.signup(tt.address, "192.0.2.1"); err != nil {
					t.Fatal(err)
				}
				if got := len(e.mails()) - before; got != map[bool]int{false: 1, true: 0}[tt.neverAgain] {
					t.Errorf("signing up again sent %d emails", got)
				}
			})
		}
	})
}
