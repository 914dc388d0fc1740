package export

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/bench/corpus"
	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/export/exporttest"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// TestExportScale measures a full and an incremental export of the
// benchmark corpus. It runs only when TAMIZDAT_EXPORT_ARTICLES names the
// number of articles, e.g. 10000, as it takes a while to load.
func TestExportScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("TAMIZDAT_EXPORT_ARTICLES"))
	if n == 0 {
		t.Skip("set TAMIZDAT_EXPORT_ARTICLES=10000 to measure a large export")
	}
	ctx := context.Background()
	st := storetest.New(t)
	c := corpus.Generate(corpus.Options{Seed: 1, Articles: n, Tags: corpus.DefaultTags, Authors: corpus.DefaultAuthors, Now: time.Now()})
	if err := st.SaveSettings(ctx, model.DefaultSettings("Bench Times")); err != nil {
		t.Fatal(err)
	}
	authors := append([]model.Author(nil), c.Authors...)
	for i := range authors {
		if err := st.CreateAuthor(ctx, &authors[i]); err != nil {
			t.Fatal(err)
		}
	}
	tags := append([]model.Tag(nil), c.Tags...)
	for i := range tags {
		if err := st.CreateTag(ctx, &tags[i]); err != nil {
			t.Fatal(err)
		}
	}
	articles := make([]*model.Article, len(c.Articles))
	var wg sync.WaitGroup
	for w := range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := w; i < len(articles); i += runtime.GOMAXPROCS(0) {
				g := &c.Articles[i]
				r, err := content.Render(g.Markdown)
				if err != nil {
					t.Error(err)
					return
				}
				a := &model.Article{Slug: g.Slug, Title: g.Title, Summary: g.Summary, Body: g.Markdown, BodyHTML: r.HTML, BodyText: r.Text,
					Status: model.StatusPublished, Language: "en", TimeZone: "UTC", PublishedAt: g.PublishedAt, CreatedAt: g.PublishedAt,
					ReadingMinutes: content.ReadingMinutes(r.Text)}
				for _, j := range g.Authors {
					a.Authors = append(a.Authors, authors[j])
				}
				for _, j := range g.Tags {
					a.Tags = append(a.Tags, tags[j])
				}
				articles[i] = a
			}
		})
	}
	wg.Wait()
	for start := 0; start < len(articles); start += 1000 {
		if err := st.ImportArticles(ctx, articles[start:min(start+1000, len(articles))]); err != nil {
			t.Fatal(err)
		}
	}
	// Every page's footer links to these.
	for _, slug := range []string{"about", "privacy-policy"} {
		if err := st.CreatePage(ctx, &model.Page{Slug: slug, Title: slug, Body: "x", BodyHTML: "<p>x</p>"}); err != nil {
			t.Fatal(err)
		}
	}
	_, key := newKeyPair(t)
	dir := t.TempDir() + "/out"
	export := func() {
		began := time.Now()
		src, err := NewSource(ctx, st, exporttest.BaseURL, nil, quietLog)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("source ready in %v", time.Since(began))
		s, err := Run(ctx, Options{Source: src, Dir: dir, Key: key})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d files (%d pages, %.1f MB) in %v: %.0f pages/s; %d rendered, %d written, %d kept, %d removed",
			s.Files, s.Pages, float64(s.Bytes)/1e6, s.Duration.Round(time.Millisecond), s.PagesPerSecond(), s.Rendered, s.Written, s.Kept, s.Removed)
	}
	export()
	changed := articles[len(articles)/2]
	changed.Title += " (updated)"
	if err := st.UpdateArticle(ctx, changed); err != nil {
		t.Fatal(err)
	}
	export()
}
