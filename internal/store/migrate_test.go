package store_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestMigrate(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		s := storetest.Open(t, engine, store.Options{})
		ctx := t.Context()
		current, latest, err := s.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if current != 0 || latest < 1 {
			t.Fatalf("before migrating: version %d of %d, want 0 of at least 1", current, latest)
		}
		for range 2 { // the second run has nothing to do
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			current, latest, err = s.SchemaVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if current != latest {
				t.Fatalf("after migrating: version %d of %d", current, latest)
			}
		}
		if v := contentVersion(t, s); v != 0 {
			t.Errorf("content version of a new database = %d, want 0", v)
		}
		if empty, err := s.IsEmpty(ctx); err != nil || !empty {
			t.Errorf("IsEmpty() = %v, %v; want true", empty, err)
		}
	})
}

// TestMigrationsParity checks that both engines' migration trees have the
// same versions and build the same tables, columns and nullability.
func TestMigrationsParity(t *testing.T) {
	t.Parallel()
	files := map[string][]string{}
	for _, engine := range []string{"sqlite", "postgres"} {
		matches, err := filepath.Glob(filepath.Join("migrations", engine, "*.sql"))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range matches {
			files[engine] = append(files[engine], filepath.Base(m))
		}
	}
	if diff := cmp.Diff(files["sqlite"], files["postgres"]); diff != "" || len(files["sqlite"]) == 0 {
		t.Fatalf("migration files differ between engines (-sqlite +postgres):\n%s", diff)
	}

	sqliteCols := schemaColumns(t, storetest.NewEngine(t, "sqlite", store.Options{}))
	postgresCols := schemaColumns(t, storetest.NewEngine(t, "postgres", store.Options{}))
	if diff := cmp.Diff(sqliteCols, postgresCols); diff != "" {
		t.Errorf("migrated schemas differ (-sqlite +postgres):\n%s", diff)
	}
	for _, table := range []string{"authors", "tags", "articles", "article_tags", "article_authors", "pages", "settings", "content_state", "schema_migrations",
		"users", "user_tokens", "totp_secrets", "recovery_codes", "webauthn_credentials", "sessions", "login_throttle", "audit_log", "audit_tip",
		"newsletters", "subscribers", "subscriptions", "consents", "suppressions", "issues", "sends",
		"donors", "recurring_donations", "donations", "donor_tokens", "donation_events", "appeals", "appeal_views",
		"revisions", "preview_tokens", "media", "api_keys", "api_key_articles",
		"auto_drafts", "article_old_slugs", "held_edits", "record_revisions", "issue_approvals"} {
		if !slices.ContainsFunc(sqliteCols, func(c string) bool { return strings.HasPrefix(c, table+".") }) {
			t.Errorf("table %s is missing", table)
		}
	}
}

// schemaColumns lists "table.column NULL|NOT NULL" for every column, sorted.
func schemaColumns(t *testing.T, s *store.Store) []string {
	t.Helper()
	query := `SELECT table_name, column_name, is_nullable = 'NO' FROM information_schema.columns
WHERE table_schema = current_schema()`
	if s.Engine() == "sqlite" {
		query = `SELECT m.name, p.name, p."notnull" FROM sqlite_master m JOIN pragma_table_info(m.name) p
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`
	}
	rows, err := store.ReaderDB(s).QueryContext(t.Context(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var table, column string
		var notNull bool
		if err := rows.Scan(&table, &column, &notNull); err != nil {
			t.Fatal(err)
		}
		null := "NULL"
		if notNull {
			null = "NOT NULL"
		}
		cols = append(cols, table+"."+column+" "+null)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(cols)
	return cols
}

func TestMigrateFailureRollsBack(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		ctx := t.Context()
		init, err := os.ReadFile(filepath.Join("migrations", engine, "0001_init.sql"))
		if err != nil {
			t.Fatal(err)
		}
		s := storetest.Open(t, engine, store.Options{})
		store.SetMigrations(s, fstest.MapFS{
			"0001_init.sql": {Data: init},
			// The first statement succeeds; the second fails, and must take
			// the first down with it.
			"0002_broken.sql": {Data: []byte("CREATE TABLE half_done (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n")},
		})
		err = s.Migrate(ctx)
		if err == nil || !strings.Contains(err.Error(), "0002_broken.sql") {
			t.Fatalf("Migrate() = %v, want an error naming 0002_broken.sql", err)
		}
		current, latest, err := s.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if current != 1 || latest != 2 {
			t.Errorf("after the failure: version %d of %d, want 1 of 2", current, latest)
		}
		var tables int
		if err := store.ReaderDB(s).QueryRowContext(ctx, store.Rebind(s, store.TableExistsQuery(s)), "half_done").Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Error("the failed migration left table half_done behind")
		}
		if _, err := s.ContentVersion(ctx); err != nil {
			t.Errorf("migration 1 should have survived: %v", err)
		}
	})
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		ctx := t.Context()
		init, err := os.ReadFile(filepath.Join("migrations", engine, "0001_init.sql"))
		if err != nil {
			t.Fatal(err)
		}
		s := storetest.Open(t, engine, store.Options{})
		store.SetMigrations(s, fstest.MapFS{
			"0001_init.sql":   {Data: init},
			"0002_future.sql": {Data: []byte("CREATE TABLE future (id INTEGER);")},
		})
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		// An older build knows only 0001.
		store.SetMigrations(s, fstest.MapFS{"0001_init.sql": {Data: init}})
		err = s.Migrate(ctx)
		if err == nil || !strings.Contains(err.Error(), "newer") {
			t.Fatalf("Migrate() = %v, want a refusal mentioning a newer build", err)
		}
	})
}

func TestMigrateRejectsBadFileNames(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, "sqlite", store.Options{})
	for name, fsys := range map[string]fstest.MapFS{
		"no version":        {"init.sql": {Data: []byte("SELECT 1;")}},
		"duplicate version": {"0001_a.sql": {Data: []byte("SELECT 1;")}, "01_b.sql": {Data: []byte("SELECT 1;")}},
	} {
		store.SetMigrations(s, fsys)
		if err := s.Migrate(t.Context()); err == nil {
			t.Errorf("%s: Migrate() succeeded, want an error", name)
		}
	}
}
