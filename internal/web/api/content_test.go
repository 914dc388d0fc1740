package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/web/api"
)

func slugsOf(list []api.ArticleJSON) []string {
	var out []string
	for _, a := range list {
		out = append(out, a.Slug)
	}
	return out
}

func modelSlugs(list []*model.Article) []string {
	var out []string
	for _, a := range list {
		out = append(out, a.Slug)
	}
	return out
}

// walkContent follows "next" through an article list and returns every
// slug in order and the page sizes.
func walkContent(e *env, path string) ([]string, []int) {
	e.t.Helper()
	var (
		got   []string
		sizes []int
	)
	next := path
	for range 50 {
		var page api.ArticleList
		if err := json.Unmarshal(e.get(next, http.StatusOK).Body.Bytes(), &page); err != nil {
			e.t.Fatal(err)
		}
		got, sizes = append(got, slugsOf(page.Articles)...), append(sizes, len(page.Articles))
		if page.Meta.Next == nil {
			return got, sizes
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		next = path + sep + "cursor=" + url.QueryEscape(*page.Meta.Next)
	}
	e.t.Fatal("the walk does not end")
	return nil, nil
}

func TestContentCursorPagination(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		f := e.fixture(30)
		want := modelSlugs(f.published)
		if len(want) != 30 {
			t.Fatalf("fixture: %d published, want 30", len(want))
		}
		got, sizes := walkContent(e, "/api/v1/content/articles?limit=7")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("walking with limit 7 (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]int{7, 7, 7, 7, 2}, sizes); diff != "" {
			t.Errorf("page sizes (-want +got):\n%s", diff)
		}
		for _, hidden := range []string{"draft-story", "scheduled-story", "future-story"} {
			if slices.Contains(got, hidden) {
				t.Errorf("%s is in the Content API", hidden)
			}
		}

		// A cursor stays valid while new articles are published ahead of it.
		var first api.ArticleList
		json.Unmarshal(e.get("/api/v1/content/articles?limit=7", http.StatusOK).Body.Bytes(), &first)
		e.clock.Advance(time.Minute)
		e.mustCreate(article("breaking", model.StatusPublished, t0.Add(time.Minute)))
		var second api.ArticleList
		json.Unmarshal(e.get("/api/v1/content/articles?limit=7&cursor="+url.QueryEscape(*first.Meta.Next), http.StatusOK).Body.Bytes(), &second)
		if diff := cmp.Diff(want[7:14], slugsOf(second.Articles)); diff != "" {
			t.Errorf("second page after a new article (-want +got):\n%s", diff)
		}
		if got, _ := walkContent(e, "/api/v1/content/articles?limit=100"); len(got) != 31 || got[0] != "breaking" {
			t.Errorf("limit 100: %d articles starting %v, want 31 starting with breaking", len(got), got[:1])
		}
	})
}

func TestContentFilters(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		f := e.fixture(12)
		filter := func(keep func(a *model.Article) bool) []string {
			var out []string
			for _, a := range f.published {
				if keep(a) {
					out = append(out, a.Slug)
				}
			}
			return out
		}
		hasTag := func(slug string) func(*model.Article) bool {
			return func(a *model.Article) bool {
				return slices.ContainsFunc(a.Tags, func(t model.Tag) bool { return t.Slug == slug })
			}
		}
		between := func(from, to time.Time) func(*model.Article) bool {
			return func(a *model.Article) bool { return !a.PublishedAt.Before(from) && !a.PublishedAt.After(to) }
		}
		tests := []struct {
			name, query string
			want        []string // nil only where none is expected
			none        bool
		}{
			{"tag", "tag=war", filter(hasTag("war")), false},
			{"tag and language", "tag=war&lang=ru", filter(func(a *model.Article) bool { return hasTag("war")(a) && a.Language == "ru" }), false},
			{"author", "author=ghost", filter(func(a *model.Article) bool { return len(a.Authors) == 2 }), false},
			{"language", "lang=RU", filter(func(a *model.Article) bool { return a.Language == "ru" }), false},
			{"tag of drafts only", "tag=secret-investigation", nil, true},
			{"unknown tag", "tag=no-such-tag", nil, true},
			{"since, inclusive", "since=2025-03-10T09:00:00Z", filter(between(t0.Add(-3*time.Hour), t0)), false},
			{"until, inclusive", "until=2025-03-10T08:00:00Z", filter(between(time.Time{}, t0.Add(-4*time.Hour))), false},
			{"since and until with an offset", "since=2025-03-10T10:00:00%2B02:00&until=2025-03-10T11:00:00%2B02:00",
				filter(between(t0.Add(-4*time.Hour), t0.Add(-3*time.Hour))), false},
			{"a date covers its day", "since=2025-03-10&until=2025-03-10", filter(between(t0.Add(-12*time.Hour), t0)), false},
			{"a day without articles", "until=2025-03-09", nil, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if len(tt.want) == 0 && !tt.none {
					t.Fatal("the fixture selects nothing: the test would prove nothing")
				}
				got, _ := walkContent(e, "/api/v1/content/articles?limit=5&"+tt.query)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("?%s (-want +got):\n%s", tt.query, diff)
				}
			})
		}
	})
}

func TestContentArticle(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		f := e.fixture(2)
		var doc struct{ Article api.ArticleJSON }
		json.Unmarshal(e.get("/api/v1/content/articles/story-aa", http.StatusOK).Body.Bytes(), &doc)
		i := slices.IndexFunc(f.published, func(a *model.Article) bool { return a.Slug == "story-aa" })
		a := f.published[i]
		published := a.PublishedAt
		want := api.ArticleJSON{ID: a.ID, Slug: "story-aa", URL: "/articles/story-aa", Title: "Headline story-aa", Summary: "Summary story-aa",
			HTML: "<p>Body of story-aa</p>", Text: "Body of story-aa", Language: "ru", PublishedAt: &published, ReadingMinutes: 1,
			LeadImage: &api.ImageJSON{URL: "/media/story-aa.jpg", Alt: "alt", Caption: "caption", Credit: "credit", Width: 800, Height: 600},
			Authors: []api.BylineJSON{{Name: "A. Pseudonym", Slug: "ghost", Kind: model.AuthorPseudonym, URL: "/authors/ghost"},
				{Name: "Anna Staff", Slug: "anna", Kind: model.AuthorStaff, URL: "/authors/anna"}},
			Tags: []api.TagRefJSON{{Name: "War", Slug: "war", URL: "/tags/war"}, {Name: "Courts", Slug: "courts", URL: "/tags/courts"}}}
		if diff := cmp.Diff(want, doc.Article); diff != "" {
			t.Errorf("article (-want +got):\n%s", diff)
		}

		unknown := e.get("/api/v1/content/articles/no-such-story", http.StatusNotFound).Body.String()
		for _, hidden := range []string{"draft-story", "scheduled-story", "future-story"} {
			if got := e.get("/api/v1/content/articles/"+hidden, http.StatusNotFound).Body.String(); got != unknown {
				t.Errorf("%s answers %s, unlike an unknown slug (%s)", hidden, got, unknown)
			}
		}
		// Its time comes: the future article appears.
		e.clock.Advance(48 * time.Hour)
		e.get("/api/v1/content/articles/future-story", http.StatusOK)
	})
}

func TestContentArticleFormerSlug(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		f := e.fixture(2)
		moved := *f.published[0]
		oldSlug := moved.Slug
		moved.Slug = "renamed-story"
		if err := e.st.UpdateArticle(t.Context(), &moved); err != nil {
			t.Fatal(err)
		}
		w := e.do(request{path: "/api/v1/content/articles/" + oldSlug, header: map[string]string{"Origin": "https://reader.example"}})
		if w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != "renamed-story" {
			t.Fatalf("former slug: %d, Location %q, want 301 to renamed-story", w.Code, w.Header().Get("Location"))
		}
		if w.Header().Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("redirect without CORS: %v", w.Header())
		}
		// The relative Location resolves to the article's current slug.
		target, err := url.Parse("/api/v1/content/articles/" + oldSlug)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Article api.ArticleJSON }
		json.Unmarshal(e.get(target.ResolveReference(&url.URL{Path: w.Header().Get("Location")}).Path, http.StatusOK).Body.Bytes(), &doc)
		if doc.Article.ID != moved.ID || doc.Article.Slug != "renamed-story" {
			t.Errorf("redirect leads to %s (%s), want %s (renamed-story)", doc.Article.ID, doc.Article.Slug, moved.ID)
		}

		// Unpublished, its former slug answers as an unknown one does.
		unknown := e.get("/api/v1/content/articles/no-such-story", http.StatusNotFound).Body.String()
		moved.Status = model.StatusDraft
		if err := e.st.UpdateArticle(t.Context(), &moved); err != nil {
			t.Fatal(err)
		}
		if got := e.get("/api/v1/content/articles/"+oldSlug, http.StatusNotFound).Body.String(); got != unknown {
			t.Errorf("former slug of a draft answers %s, unlike an unknown slug (%s)", got, unknown)
		}
	})
}

func TestContentTaxonomyAndPages(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		e.fixture(4)
		page := &model.Page{Slug: "about", Title: "About us", Body: "We are *independent*.", BodyHTML: "<p>We are <em>independent</em>.</p>", Language: "en"}
		if err := e.st.CreatePage(t.Context(), page); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			path string
			want string // JSON, compared after decoding
		}{
			{"/api/v1/content/tags", `{"tags":[
				{"name":"War","slug":"war","url":"/tags/war","articles":2},
				{"name":"Courts","slug":"courts","url":"/tags/courts","articles":1}]}`},
			{"/api/v1/content/tags/war", `{"tag":{"name":"War","slug":"war","url":"/tags/war","description":"The war.","articles":2}}`},
			{"/api/v1/content/authors", `{"authors":[
				{"name":"A. Pseudonym","slug":"ghost","kind":"pseudonym","url":"/authors/ghost","bio":"Writes from inside.","articles":2},
				{"name":"Anna Staff","slug":"anna","kind":"staff","url":"/authors/anna","bio":"","articles":4}]}`},
			{"/api/v1/content/authors/anna", `{"author":{"name":"Anna Staff","slug":"anna","kind":"staff","url":"/authors/anna","bio":"","articles":4}}`},
			{"/api/v1/content/pages", `{"pages":[{"id":"` + page.ID + `","slug":"about","url":"/about","title":"About us",
				"html":"<p>We are <em>independent</em>.</p>","language":"en","updated_at":"2025-03-10T12:00:00Z"}]}`},
			{"/api/v1/content/pages/about", `{"page":{"id":"` + page.ID + `","slug":"about","url":"/about","title":"About us",
				"html":"<p>We are <em>independent</em>.</p>","language":"en","updated_at":"2025-03-10T12:00:00Z"}}`},
		}
		for _, tt := range tests {
			t.Run(tt.path, func(t *testing.T) {
				var got, want any
				if err := json.Unmarshal(e.get(tt.path, http.StatusOK).Body.Bytes(), &got); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}
		// Tags and bylines that only drafts and scheduled articles carry are
		// not public yet.
		for _, path := range []string{"/api/v1/content/tags/secret-investigation", "/api/v1/content/authors/idle",
			"/api/v1/content/tags/nope", "/api/v1/content/pages/nope"} {
			e.get(path, http.StatusNotFound)
		}
	})
}

func TestContentCORS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	w := e.do(request{method: http.MethodOptions, path: "/api/v1/content/articles", header: map[string]string{
		"Origin": "https://reader.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "if-none-match"}})
	if w.Code != http.StatusNoContent {
		t.Fatalf("preflight: %d %s", w.Code, w.Body)
	}
	for header, want := range map[string]string{
		"Access-Control-Allow-Origin":  "*",
		"Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
		"Access-Control-Allow-Headers": "Accept, If-None-Match",
	} {
		if got := w.Header().Get(header); got != want {
			t.Errorf("preflight %s = %q, want %q", header, got, want)
		}
	}
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		w := e.do(request{method: method, path: "/api/v1/content/tags", header: map[string]string{"Origin": "https://reader.example"}})
		if w.Code != http.StatusOK || w.Header().Get("Access-Control-Allow-Origin") != "*" ||
			w.Header().Get("Cross-Origin-Resource-Policy") != "cross-origin" || w.Header().Get("Access-Control-Expose-Headers") != "ETag" {
			t.Errorf("%s: %d, headers %v", method, w.Code, w.Header())
		}
	}
	// Errors carry CORS too, so that scripts can read them.
	if w := e.do(request{path: "/api/v1/content/articles?limit=0"}); w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("error without CORS: %v", w.Header())
	}
	// The Admin API allows no other origin.
	if w := e.do(request{path: "/api/v1/admin/articles", role: "editor"}); w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("Admin API answers with CORS: %v", w.Header())
	}
}

func TestContentETag(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		e.fixture(3)
		w := e.get("/api/v1/content/articles", http.StatusOK)
		etag := w.Header().Get("ETag")
		if !strings.HasPrefix(etag, `"`) || w.Header().Get("Cache-Control") != "public, max-age=60" {
			t.Fatalf("ETag %q, Cache-Control %q", etag, w.Header().Get("Cache-Control"))
		}
		for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
			w := e.do(request{path: "/api/v1/content/articles", header: map[string]string{"If-None-Match": inm}})
			if w.Code != http.StatusNotModified || w.Body.Len() != 0 || w.Header().Get("ETag") != etag {
				t.Errorf("If-None-Match %s: %d, %d bytes, ETag %q; want an empty 304 with the ETag", inm, w.Code, w.Body.Len(), w.Header().Get("ETag"))
			}
		}
		if w := e.do(request{path: "/api/v1/content/articles", header: map[string]string{"If-None-Match": `"stale"`}}); w.Code != http.StatusOK {
			t.Errorf("a stale ETag: %d, want 200", w.Code)
		}
		e.mustCreate(article("new", model.StatusPublished, t0))
		w = e.do(request{path: "/api/v1/content/articles", header: map[string]string{"If-None-Match": etag}})
		if w.Code != http.StatusOK || w.Header().Get("ETag") == etag {
			t.Errorf("after a new article: %d with ETag %q; want 200 with a new ETag", w.Code, w.Header().Get("ETag"))
		}
	})
}

func TestContentBadParameters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	e.fixture(3)
	var adminList struct{ Meta api.ListMeta }
	e.call(request{path: "/api/v1/admin/articles?limit=1", role: "editor"}, http.StatusOK, &adminList)
	tests := []struct{ query, field string }{
		{"limit=0", "limit"},
		{"limit=101", "limit"},
		{"limit=ten", "limit"},
		{"cursor=not-a-cursor", "cursor"},
		{"cursor=" + url.QueryEscape(*adminList.Meta.Next), "cursor"}, // the Admin API's order, not this list's
		{"tag=Not%20A%20Slug", "tag"},
		{"author=..%2Fetc", "author"},
		{"lang=english!", "lang"},
		{"since=yesterday", "since"},
		{"until=2025-13-01", "until"},
		{"since=2025-03-10T12:00:00", "since"}, // no offset
		{"since=2025-03-10&until=2025-03-09", "until"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			w := e.do(request{path: "/api/v1/content/articles?" + tt.query})
			if w.Code != http.StatusBadRequest {
				t.Fatalf("%d, want 400: %s", w.Code, w.Body)
			}
			if code, _, field := errorOf(t, w); code != "bad_request" || field != tt.field {
				t.Errorf("code %q, field %q; want bad_request naming %q", code, field, tt.field)
			}
		})
	}
}
