package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tamizdat/tamizdat/bench/corpus"
	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/vault"
)

// benchEnv is a database with subscribers and articles, and the SMTP sink.
type benchEnv struct {
	engineName string
	dbURL      string
	st         *store.Store
	key        []byte
	nl         store.Newsletter
	articleIDs []string
	sink       *mailtest.Server
	loadTime   time.Duration
	// drop removes the database (file or schema).
	drop  func() error
	where string // for -keep
}

// prepare creates the database, loads the subscribers and articles and
// starts the sink.
func prepare(ctx context.Context, cfg settings, logf func(string, ...any)) (*benchEnv, error) {
	env := &benchEnv{key: make([]byte, vault.KeySize)}
	rand.Read(env.key)
	if err := env.openDatabase(ctx, cfg); err != nil {
		return nil, err
	}
	fail := func(err error) (*benchEnv, error) {
		env.close(false, logf)
		return nil, err
	}
	var err error
	env.st, err = store.Open(ctx, env.dbURL, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		err = env.st.Migrate(ctx)
	}
	if err != nil {
		return fail(err)
	}
	env.nl = store.Newsletter{Slug: "weekly", Name: "Weekly", FullText: cfg.fullText}
	if err := env.st.CreateNewsletter(ctx, &env.nl); err != nil {
		return fail(err)
	}
	if err := env.loadArticles(ctx); err != nil {
		return fail(err)
	}
	logf("loading %d subscribers into %s…", cfg.subscribers, env.engineName)
	start := time.Now()
	if err := env.loadSubscribers(ctx, cfg.subscribers); err != nil {
		return fail(err)
	}
	env.loadTime = time.Since(start)
	logf("loaded in %s", env.loadTime.Round(time.Millisecond))
	if env.sink, err = mailtest.New(mailtest.Options{Discard: true}); err != nil {
		return fail(err)
	}
	return env, nil
}

// openDatabase makes a SQLite file in a temporary directory, or a fresh
// PostgreSQL schema.
func (env *benchEnv) openDatabase(ctx context.Context, cfg settings) error {
	if cfg.engine == "sqlite" {
		dir, err := os.MkdirTemp("", "tamizdat-bench-newsletter-")
		if err != nil {
			return err
		}
		env.engineName, env.where = "SQLite", filepath.Join(dir, "bench.db")
		env.dbURL = "sqlite:" + env.where
		env.drop = func() error { return os.RemoveAll(dir) }
		return nil
	}
	conn, err := pgx.Connect(ctx, cfg.postgres)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	schema := "bench_newsletter_" + strings.ToLower(rand.Text()[:10])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		conn.Close(ctx)
		return err
	}
	u, err := url.Parse(cfg.postgres)
	if err != nil {
		conn.Close(ctx)
		return err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	env.engineName, env.dbURL, env.where = "PostgreSQL", u.String(), "schema "+schema
	env.drop = func() error {
		dropCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		defer conn.Close(dropCtx)
		_, err := conn.Exec(dropCtx, "DROP SCHEMA "+schema+" CASCADE")
		return err
	}
	return nil
}

func (env *benchEnv) close(keep bool, logf func(string, ...any)) {
	if env.sink != nil {
		env.sink.Close()
	}
	if env.st != nil {
		env.st.Close()
	}
	if keep {
		logf("kept the database: %s", env.where)
		return
	}
	if env.drop != nil {
		if err := env.drop(); err != nil {
			logf("remove the database: %v", err)
		}
	}
}

// loadArticles publishes six generated articles for the issue.
func (env *benchEnv) loadArticles(ctx context.Context) error {
	c := corpus.Generate(corpus.Options{Seed: 4, Articles: 6, Tags: 5, Authors: 1, Now: time.Now()})
	for _, g := range c.Articles {
		r, err := content.Render(g.Markdown)
		if err != nil {
			return err
		}
		a := &model.Article{
			Slug: g.Slug, Title: g.Title, Summary: g.Summary, Body: g.Markdown, BodyHTML: r.HTML, BodyText: r.Text,
			Status: model.StatusPublished, Language: "en", TimeZone: "UTC", PublishedAt: g.PublishedAt,
			ReadingMinutes: content.ReadingMinutes(r.Text),
		}
		if err := env.st.CreateArticle(ctx, a); err != nil {
			return err
		}
		env.articleIDs = append(env.articleIDs, a.ID)
	}
	return nil
}

// loadSubscribers adds n active subscribers of the newsletter, their
// addresses sealed and indexed as the signup service does, a few writers at
// a time.
func (env *benchEnv) loadSubscribers(ctx context.Context, n int) error {
	v, err := vault.New(env.key)
	if err != nil {
		return err
	}
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range 8 {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				addr := fmt.Sprintf("reader%06d@example.net", i)
				sub := store.Subscriber{
					EmailIndex:  v.Index(addr, newsletter.EmailPurpose),
					EmailSealed: v.Seal(addr, newsletter.EmailPurpose),
					Status:      store.SubscriberActive,
				}
				if err := env.st.CreateSubscriber(ctx, &sub, []string{env.nl.ID}, nil); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	return ctx.Err()
}

// startIssue creates an issue of the articles, starts it and fills its
// outbox, and returns it with the time the filling took.
func (env *benchEnv) startIssue(ctx context.Context, subject string) (store.Issue, time.Duration, error) {
	is := store.Issue{NewsletterID: env.nl.ID, Subject: subject, Note: "The week's picks from the newsroom.", ArticleIDs: env.articleIDs}
	if err := env.st.CreateIssue(ctx, &is); err != nil {
		return is, 0, err
	}
	if err := env.st.StartIssue(ctx, is.ID); err != nil {
		return is, 0, err
	}
	start := time.Now()
	_, err := env.st.EnqueueSends(ctx, is.ID, 1000, "bench.example")
	return is, time.Since(start), err
}
