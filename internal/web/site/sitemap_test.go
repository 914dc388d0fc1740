package site

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/assets"
	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/demo"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// testNow is the clock of the demo sites these tests build: fixed, so the
// expected sitemaps are the same on every run.
var testNow = time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)

// demoHandler loads the demo into st, builds the site over it with the
// given main address ("" for none) and returns its routes without a cache.
func demoHandler(t *testing.T, st *store.Store, baseURL string) (*Site, http.Handler) {
	t.Helper()
	ctx := context.Background()
	if err := demo.Load(ctx, st, testNow); err != nil {
		t.Fatal(err)
	}
	set, err := assets.Load()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{
		Store: st, Assets: set, BaseURL: baseURL,
		Now: func() time.Time { return testNow },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	return s, s.Routes(func(h http.Handler) http.Handler { return h })
}

// fetch GETs target (which may name a host, as "http://mirror.example/x")
// and fails the test unless the status is want.
func fetch(t *testing.T, h http.Handler, target string, want int) string {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	if w.Code != want {
		t.Fatalf("GET %s = %d, want %d; body:\n%.400s", target, w.Code, want, w.Body.String())
	}
	return w.Body.String()
}

// published returns the articles readers can see at testNow, newest first.
func published(t *testing.T, st *store.Store) []*model.Article {
	t.Helper()
	list, _, err := st.ListArticles(context.Background(), store.ArticleQuery{PublishedAsOf: testNow})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// addArticle publishes an article at the given time, bylined to AFP and
// tagged Lavrov.
func addArticle(t *testing.T, st *store.Store, title string, at time.Time) *model.Article {
	t.Helper()
	ctx := context.Background()
	afp, err := st.AuthorBySlug(ctx, "afp")
	if err != nil {
		t.Fatal(err)
	}
	lavrov, err := st.TagBySlug(ctx, "lavrov")
	if err != nil {
		t.Fatal(err)
	}
	r, err := content.Render("A fresh paragraph, with [our about page](/about).")
	if err != nil {
		t.Fatal(err)
	}
	a := &model.Article{
		Slug: content.Slug(title), Title: title, Body: "x", BodyHTML: r.HTML, BodyText: r.Text,
		Status: model.StatusPublished, Language: "en", TimeZone: "Europe/Riga", PublishedAt: at,
		Authors: []model.Author{afp}, Tags: []model.Tag{lavrov},
	}
	if err := st.CreateArticle(ctx, a); err != nil {
		t.Fatal(err)
	}
	return a
}

// locs returns the <loc> of every entry of a sitemap or sitemap index.
func locs(t *testing.T, body string) []string {
	t.Helper()
	var doc struct {
		Entries []struct {
			Loc string `xml:"loc"`
		} `xml:",any"`
	}
	if err := xml.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("sitemap does not parse: %v", err)
	}
	out := make([]string, len(doc.Entries))
	for i, e := range doc.Entries {
		out[i] = e.Loc
	}
	return out
}

func TestSitemaps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		_, h := demoHandler(t, st, "https://news.example")
		all := published(t, st)
		const mirror = "http://mirror.example"

		index := fetch(t, h, mirror+"/sitemap.xml", 200)
		validateSitemap(t, index, sitemapIndexDoc)
		want := []string{
			"https://news.example/sitemaps/pages.xml",
			"https://news.example/sitemaps/articles-1.xml",
			"https://news.example/sitemaps/news.xml",
		}
		if got := locs(t, index); !slices.Equal(got, want) {
			t.Errorf("sitemap index lists %q, want %q", got, want)
		}

		articles := fetch(t, h, mirror+"/sitemaps/articles-1.xml", 200)
		validateSitemap(t, articles, urlSetDoc)
		var wantArticles []string
		for _, a := range all {
			wantArticles = append(wantArticles, "https://news.example/articles/"+a.Slug)
		}
		if got := locs(t, articles); !slices.Equal(got, wantArticles) {
			t.Errorf("articles sitemap lists %d URLs, want the %d published articles:\n%q", len(got), len(wantArticles), got)
		}
		seed := content.Slug("Top U.S., Russian Diplomats Discuss Next Steps on Ukraine")
		if !strings.Contains(articles, "<loc>https://news.example/articles/"+seed+"</loc><lastmod>2025-03-16T11:05:00Z</lastmod>") {
			t.Error("the seed article's entry lacks its publication time as lastmod")
		}

		pages := fetch(t, h, mirror+"/sitemaps/pages.xml", 200)
		validateSitemap(t, pages, urlSetDoc)
		wantPages := expectedPages(t, st, all)
		if got := locs(t, pages); !slices.Equal(got, wantPages) {
			t.Errorf("pages sitemap lists\n%q\nwant\n%q", got, wantPages)
		}

		for _, name := range []string{"articles-2.xml", "articles-0.xml", "articles-01.xml", "articles-x.xml", "other.xml"} {
			t.Run(name, func(t *testing.T) { fetch(t, h, mirror+"/sitemaps/"+name, 404) })
		}
	})
}

// expectedPages lists what pages.xml must hold, worked out from the store
// independently of the code under test.
func expectedPages(t *testing.T, st *store.Store, all []*model.Article) []string {
	t.Helper()
	ctx := context.Background()
	settings, err := st.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	loc := model.LoadLocation(settings.TimeZone)
	set := map[string]bool{"": true, "archive": true}
	for _, a := range all {
		p := a.PublishedAt.In(loc)
		set[fmt.Sprintf("archive/%04d/%02d", p.Year(), int(p.Month()))] = true
		for _, tag := range a.Tags {
			set["tags/"+tag.Slug] = true
		}
		for _, au := range a.Authors {
			set["authors/"+au.Slug] = true
		}
	}
	pages, err := st.ListPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		set[p.Slug] = true
	}
	var out []string
	for _, p := range slices.Sorted(maps.Keys(set)) {
		out = append(out, "https://news.example/"+p)
	}
	return out
}

func TestSitemapSplitting(t *testing.T) {
	defer func(n int) { sitemapURLs = n }(sitemapURLs)
	sitemapURLs = 25
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s, h := demoHandler(t, st, "")
		all := published(t, st)
		files := (len(all) + 24) / 25
		if files < 3 {
			t.Fatalf("the demo has %d published articles; the test needs at least 3 sitemap files", len(all))
		}
		const mirror = "http://mirror.example"
		index := fetch(t, h, mirror+"/sitemap.xml", 200)
		validateSitemap(t, index, sitemapIndexDoc)
		got := locs(t, index)
		if len(got) != files+2 {
			t.Fatalf("index lists %d sitemaps, want pages, %d article files and news:\n%q", len(got), files, got)
		}
		seen := map[string]bool{}
		bodies := map[int]string{}
		for n := 1; n <= files; n++ {
			loc := fmt.Sprintf("%s/sitemaps/articles-%d.xml", mirror, n)
			if got[n] != loc {
				t.Errorf("index entry %d = %q, want %q", n, got[n], loc)
			}
			body := fetch(t, h, loc, 200)
			bodies[n] = body
			validateSitemap(t, body, urlSetDoc)
			urls := locs(t, body)
			if len(urls) > 25 || len(urls) == 0 {
				t.Errorf("articles-%d.xml lists %d URLs, want 1 to 25", n, len(urls))
			}
			for _, u := range urls {
				if seen[u] {
					t.Errorf("%s is listed twice", u)
				}
				seen[u] = true
			}
		}
		if len(seen) != len(all) {
			t.Errorf("article sitemaps list %d URLs, want all %d published articles", len(seen), len(all))
		}
		// File 1 holds the 25 oldest articles.
		oldest := all[len(all)-25:]
		first := locs(t, bodies[1])
		for i, a := range oldest {
			if want := mirror + "/articles/" + a.Slug; first[i] != want {
				t.Errorf("articles-1.xml entry %d = %q, want %q (the oldest articles first)", i, first[i], want)
				break
			}
		}
		fetch(t, h, fmt.Sprintf("%s/sitemaps/articles-%d.xml", mirror, files+1), 404)

		// A new article changes only the last file (or starts a new one).
		addArticle(t, st, "A Story Published Just Now", testNow.Add(-time.Minute))
		if err := s.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		for n := 1; n < files; n++ {
			if after := fetch(t, h, fmt.Sprintf("%s/sitemaps/articles-%d.xml", mirror, n), 200); after != bodies[n] {
				t.Errorf("articles-%d.xml changed when a new article was published", n)
			}
		}
	})
}

func TestNewsSitemap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s, h := demoHandler(t, st, "https://news.example")
		fresh := addArticle(t, st, "Fresh Talks Announced", testNow.Add(-3*time.Hour))
		stale := addArticle(t, st, "Talks Three Days Ago", testNow.Add(-72*time.Hour))
		if err := s.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		body := fetch(t, h, "http://mirror.example/sitemaps/news.xml", 200)
		validateSitemap(t, body, newsDoc)

		var want []string
		for _, a := range published(t, st) {
			if testNow.Sub(a.PublishedAt) <= 48*time.Hour {
				want = append(want, "https://news.example/articles/"+a.Slug)
			}
		}
		got := locs(t, body)
		if !slices.Equal(got, want) {
			t.Errorf("news sitemap lists %q, want the articles of the last two days %q", got, want)
		}
		if !slices.Contains(got, "https://news.example/articles/"+fresh.Slug) {
			t.Error("the article published three hours ago is missing")
		}
		if slices.Contains(got, "https://news.example/articles/"+stale.Slug) {
			t.Error("the article published three days ago is listed")
		}
		entry := "<url><loc>https://news.example/articles/" + fresh.Slug + "</loc><news:news>" +
			"<news:publication><news:name>" + demo.SiteName + "</news:name><news:language>en</news:language></news:publication>" +
			"<news:publication_date>2026-03-20T11:00:00+02:00</news:publication_date>" +
			"<news:title>Fresh Talks Announced</news:title></news:news></url>"
		if !strings.Contains(body, entry) {
			t.Errorf("news sitemap lacks\n%s\nin\n%s", entry, body)
		}
	})
}

func TestRobots(t *testing.T) {
	tests := []struct {
		name, baseURL, want string
	}{
		{"main address configured", "https://news.example", "https://news.example/sitemap.xml"},
		{"no main address", "", "http://mirror.example/sitemap.xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, h := demoHandler(t, storetest.New(t), tt.baseURL)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://mirror.example/robots.txt", nil))
			want := "User-agent: *\nAllow: /\nDisallow: /admin/\n\nSitemap: " + tt.want + "\n"
			if w.Code != 200 || w.Body.String() != want {
				t.Errorf("robots.txt = %d %q, want %q", w.Code, w.Body.String(), want)
			}
			if ct := w.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}
