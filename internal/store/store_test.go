package store_test

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name, url string
		want      []string // in the error
		notWant   string   // must not leak
	}{
		{"unknown scheme", "mysql://root:hunter2@db/news", []string{`"mysql"`, "sqlite:PATH", "postgres://"}, "hunter2"},
		{"key=value DSN", "host=db password=hunter2", []string{"sqlite:PATH"}, "hunter2"},
		{"in-memory sqlite", "sqlite::memory:", []string{":memory:", "file path"}, ""},
		{"empty sqlite path", "sqlite:", []string{"no file path"}, ""},
		{"sqlite path is a directory", "sqlite:" + dir, []string{dir}, ""},
		{"unreachable postgres", "postgres://bob:hunter2@127.0.0.1:1/news?connect_timeout=5", []string{"127.0.0.1:1", "bob:xxxxx@"}, "hunter2"},
		{"pool of no connections", "postgres://bob:hunter2@127.0.0.1:1/news?pool_max_conns=0", []string{`pool_max_conns="0"`, "at least 1"}, "hunter2"},
		{"pool size not a number", "postgres://bob@127.0.0.1:1/news?pool_max_conns=lots", []string{`"lots"`, "whole number"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := store.Open(t.Context(), tt.url, store.Options{})
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tt.url)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if tt.notWant != "" && strings.Contains(err.Error(), tt.notWant) {
				t.Errorf("error %q leaks %q", err, tt.notWant)
			}
		})
	}
}

func TestOpenSQLite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, url := range []string{
		"sqlite:" + filepath.Join(dir, "a", "b", "site.db"),
		"sqlite://" + filepath.Join(dir, "c", "site.db"),
	} {
		t.Run(url, func(t *testing.T) {
			s, err := store.Open(t.Context(), url, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Engine() != "sqlite" {
				t.Errorf("Engine() = %q", s.Engine())
			}
			if err := s.Ping(t.Context()); err != nil {
				t.Fatal(err)
			}
			path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//")
			if _, err := os.Stat(path); err != nil {
				t.Errorf("database file: %v", err)
			}
			db := store.ReaderDB(s)
			for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "5000", "synchronous": "1", "temp_store": "2"} {
				var got string
				if err := db.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
				}
			}
			// Writes must go through the writer pool.
			if _, err := db.ExecContext(t.Context(), "CREATE TABLE t (x)"); err == nil {
				t.Error("the reader pool accepted a write")
			}
		})
	}
}

func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		const writers, each = 8, 10
		var wg sync.WaitGroup
		errs := make(chan error, writers*each*2)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					tag := model.Tag{Slug: "shared", Name: "Shared"}
					errs <- s.CreateTag(t.Context(), &tag)
					a := published("story", t0.Add(time.Duration(w*each+i)*time.Minute))
					errs <- s.CreateArticle(t.Context(), a)
					if _, _, err := s.ListArticles(t.Context(), store.ArticleQuery{Limit: 5}); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			// PostgreSQL may report a conflict when two transactions pick
			// the same free slug at once; SQLite serialises writers.
			if err != nil && (s.Engine() == "sqlite" || !errors.Is(err, model.ErrConflict)) {
				t.Errorf("concurrent write: %v", err)
			}
		}
		tags, err := s.ListTags(t.Context(), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if s.Engine() == "sqlite" && len(tags) != writers*each {
			t.Errorf("%d tags, want %d", len(tags), writers*each)
		}
	})
}

func TestSlowQueryLog(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		var buf bytes.Buffer
		var mu sync.Mutex
		logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
		s := storetest.NewEngine(t, engine, store.Options{Logger: logger, SlowQuery: time.Nanosecond})
		if _, err := s.ArticleBySlug(t.Context(), "secret-investigation"); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("error = %v, want not found", err)
		}
		mu.Lock()
		out := buf.String()
		mu.Unlock()
		if !strings.Contains(out, "query=article_by_slug") || !strings.Contains(out, "duration=") {
			t.Errorf("slow-query log lacks the query name or duration:\n%s", out)
		}
		if strings.Contains(out, "secret-investigation") {
			t.Errorf("slow-query log leaks an argument:\n%s", out)
		}
	})
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// The pool size comes from pool_max_conns in the URL (the test stores ask
// for 4), which must not reach the server as a setting it does not know.
func TestPostgresPoolSize(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		if engine != "postgres" {
			return
		}
		s := storetest.NewEngine(t, engine, store.Options{})
		if got := store.ReaderDB(s).Stats().MaxOpenConnections; got != 4 {
			t.Errorf("the pool allows %d connections; want the 4 asked for", got)
		}
	})
}
