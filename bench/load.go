package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tamizdat/tamizdat/bench/corpus"
	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// loadResult is one engine's row of the loading table.
type loadResult struct {
	engine   string
	articles int
	batch    int
	// render is the Markdown rendering of every body, in parallel on
	// GOMAXPROCS workers; insert is the ImportArticles calls that follow.
	render, insert time.Duration
	skipped        string // why the engine has no figures
}

func (r loadResult) total() time.Duration { return r.render + r.insert }

func (r loadResult) perSecond() float64 { return float64(r.articles) / r.total().Seconds() }

func (r loadResult) summary() string {
	return fmt.Sprintf("%d articles in %.2f s (render %.2f s + insert %.2f s), %.0f articles/s",
		r.articles, r.total().Seconds(), r.render.Seconds(), r.insert.Seconds(), r.perSecond())
}

// picks are the pages the load test asks for, by their stored slugs.
type picks struct {
	articleSlug string // the newest article
	tagSlug     string // the tag on most articles
}

// loadCorpus fills the empty database at dbURL with c through the store
// API. Migrations, settings, bylines and tags are not timed; rendering and
// inserting the articles are.
func loadCorpus(ctx context.Context, dbURL, engine string, c *corpus.Corpus, batch int) (loadResult, picks, error) {
	res := loadResult{engine: engine, articles: len(c.Articles), batch: batch}
	fail := func(op string, err error) (loadResult, picks, error) {
		return res, picks{}, fmt.Errorf("load %s: %s: %w", engine, op, err)
	}
	// Warnings only: the store's slow-query log stays visible, its
	// migration notices do not.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := store.Open(ctx, dbURL, store.Options{Logger: log})
	if err != nil {
		return fail("open", err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return fail("migrate", err)
	}
	if err := st.SaveSettings(ctx, model.DefaultSettings("Bench Times")); err != nil {
		return fail("settings", err)
	}
	// Copies, because the store sets IDs and slugs on what it is given and
	// each engine loads the same corpus.
	authors := append([]model.Author(nil), c.Authors...)
	for i := range authors {
		if err := st.CreateAuthor(ctx, &authors[i]); err != nil {
			return fail("bylines", err)
		}
	}
	tags := append([]model.Tag(nil), c.Tags...)
	for i := range tags {
		if err := st.CreateTag(ctx, &tags[i]); err != nil {
			return fail("tags", err)
		}
	}
	// Every page's footer links to these; without them a static export
	// of the site refuses its dangling links.
	for _, p := range []model.Page{{Slug: "about", Title: "About"}, {Slug: "privacy-policy", Title: "Privacy Policy"}} {
		p.Body = "Bench Times is a generated site for the benchmark."
		p.BodyHTML = "<p>" + p.Body + "</p>"
		if err := st.CreatePage(ctx, &p); err != nil {
			return fail("pages", err)
		}
	}

	began := time.Now()
	articles, err := renderArticles(ctx, c, authors, tags)
	if err != nil {
		return fail("render", err)
	}
	res.render = time.Since(began)
	began = time.Now()
	for start := 0; start < len(articles); start += batch {
		if err := st.ImportArticles(ctx, articles[start:min(start+batch, len(articles))]); err != nil {
			return fail("import", err)
		}
	}
	res.insert = time.Since(began)
	return res, picks{articleSlug: articles[c.Newest()].Slug, tagSlug: tags[c.PopularTag()].Slug}, nil
}

// renderArticles turns the corpus into articles ready to import, rendering
// bodies on every core as a bulk import would.
func renderArticles(ctx context.Context, c *corpus.Corpus, authors []model.Author, tags []model.Tag) ([]*model.Article, error) {
	out := make([]*model.Article, len(c.Articles))
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	workers := runtime.GOMAXPROCS(0)
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(out) {
					return
				}
				a, err := renderArticle(&c.Articles[i], authors, tags)
				if err != nil {
					errs[w] = fmt.Errorf("article %q: %w", c.Articles[i].Slug, err)
					return
				}
				out[i] = a
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, ctx.Err()
}

func renderArticle(g *corpus.Article, authors []model.Author, tags []model.Tag) (*model.Article, error) {
	r, err := content.Render(g.Markdown)
	if err != nil {
		return nil, err
	}
	a := &model.Article{
		Slug: g.Slug, Title: g.Title, Summary: g.Summary,
		Body: g.Markdown, BodyHTML: r.HTML, BodyText: r.Text,
		Status: model.StatusPublished, Language: "en", TimeZone: "UTC",
		PublishedAt: g.PublishedAt, CreatedAt: g.PublishedAt,
		ReadingMinutes: content.ReadingMinutes(r.Text),
	}
	for _, i := range g.Authors {
		a.Authors = append(a.Authors, authors[i])
	}
	for _, i := range g.Tags {
		a.Tags = append(a.Tags, tags[i])
	}
	return a, nil
}

// loadPostgres loads c into a new schema of the database at dsn and drops
// the schema afterwards. An unreachable server is not an error: the result
// says why it was skipped.
func loadPostgres(ctx context.Context, dsn string, c *corpus.Corpus, batch int) (loadResult, error) {
	res := loadResult{engine: "PostgreSQL", articles: len(c.Articles), batch: batch}
	connectCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := pgx.Connect(connectCtx, dsn)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		res.skipped = "unreachable at " + redact(dsn) + ": " + err.Error()
		return res, nil
	}
	schema := "bench_" + strings.ToLower(rand.Text()[:12])
	// Cleanup must run even when ctx was cancelled by Ctrl-C.
	cleanupCtx := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	}
	defer func() {
		cctx, cancel := cleanupCtx()
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return res, fmt.Errorf("create schema %s: %w", schema, err)
	}
	defer func() {
		cctx, cancel := cleanupCtx()
		defer cancel()
		if _, err := conn.Exec(cctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			fmt.Fprintf(os.Stderr, "bench: could not drop PostgreSQL schema %s; drop it by hand: %v\n", schema, err)
		}
	}()
	u, err := url.Parse(dsn)
	if err != nil {
		return res, fmt.Errorf("parse the PostgreSQL URL: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	res, _, err = loadCorpus(ctx, u.String(), res.engine, c, batch)
	return res, err
}

// redact hides the password of a database URL.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
