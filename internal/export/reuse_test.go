package export

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/export/exporttest"
	"github.com/tamizdat/tamizdat/internal/model"
)

// TestReuseMatchesAFullExport edits the site in many ways, one after the
// other, and after each edit compares an incremental export, which reuses
// the pages it finds unchanged, with a full export into a new folder:
// they must hold the same bytes.
func TestReuseMatchesAFullExport(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	inc := filepath.Join(t.TempDir(), "incremental")
	first := f.export(t, inc)
	if first.Rendered != first.Files {
		t.Fatalf("the first export reused files: %+v", first)
	}
	update := func(a *model.Article) {
		t.Helper()
		if err := f.st.UpdateArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name        string
		edit        func()
		maxRendered int // at most this many files rendered; 0: no limit
	}{
		{"nothing", func() {}, 4},
		{"a title", func() { f.Articles[20].Title = "Story 20, corrected"; update(f.Articles[20]) }, 25},
		{"a body, without a new update time", func() {
			a := f.Articles[33]
			r, err := content.Render("A wholly new text about harbours and ships.")
			if err != nil {
				t.Fatal(err)
			}
			a.Body, a.BodyHTML, a.BodyText = "A wholly new text about harbours and ships.", r.HTML, r.Text
			update(a)
		}, 0},
		{"a new article", func() {
			a := exporttest.Article(t, "Breaking", "Just in.")
			a.PublishedAt = time.Date(2025, 4, 2, 12, 0, 0, 0, time.UTC)
			a.Authors, a.Tags = f.Articles[0].Authors, f.Articles[0].Tags
			if err := f.st.CreateArticle(ctx, a); err != nil {
				t.Fatal(err)
			}
		}, 0},
		{"an article unpublished", func() {
			a := f.Articles[10]
			a.Status, a.PublishedAt = model.StatusDraft, time.Time{}
			update(a)
		}, 0},
		{"a static page", func() {
			p, err := f.st.PageBySlug(ctx, "about")
			if err != nil {
				t.Fatal(err)
			}
			p.BodyHTML = "<p>We are still a test.</p>"
			if err := f.st.UpdatePage(ctx, p); err != nil {
				t.Fatal(err)
			}
		}, 0},
		{"the settings", func() {
			s, err := f.st.Settings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			s.Banner.Text = "Support us today!"
			if err := f.st.SaveSettings(ctx, s); err != nil {
				t.Fatal(err)
			}
		}, 0},
	}
	for i, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			step.edit()
			s := f.export(t, inc)
			full := filepath.Join(t.TempDir(), "full")
			opts := f.options(t, full)
			opts.Full = true
			if _, err := Run(ctx, opts); err != nil {
				t.Fatal(err)
			}
			a, b := tree(t, inc), tree(t, full)
			for _, m := range []map[string]string{a, b} {
				delete(m, ManifestName)
				delete(m, SignatureName)
			}
			if diff := cmp.Diff(b, a); diff != "" {
				t.Errorf("the incremental export differs from a full one (-full +incremental):\n%s", diff)
			}
			if step.maxRendered > 0 && s.Rendered > step.maxRendered {
				t.Errorf("rendered %d files, want at most %d", s.Rendered, step.maxRendered)
			}
			if s.Sequence != uint64(i+2) {
				t.Errorf("sequence %d, want %d", s.Sequence, i+2)
			}
			t.Logf("%d of %d files rendered, %d written", s.Rendered, s.Files, s.Written)
		})
	}
}

// TestFullExportIgnoresTheState checks that Full renders everything.
func TestFullExportIgnoresTheState(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), "mirror")
	f.export(t, dir)
	opts := f.options(t, dir)
	opts.Full = true
	s, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rendered != s.Files || s.Written != 0 {
		t.Errorf("full export over an unchanged one: %+v, want every file rendered and none written", s)
	}
}

// TestRelatedShownMatchesPages holds relatedShown, and the source's
// Related, to what article pages show under "Read more": the reuse of
// article pages relies on it.
func TestRelatedShownMatchesPages(t *testing.T) {
	f := newFixture(t)
	src, err := NewSource(context.Background(), f.st, exporttest.BaseURL, nil, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	// The export's listing prepares the site, as in Run.
	if _, err := enumerate(context.Background(), src, time.Now(), ""); err != nil {
		t.Fatal(err)
	}
	slugs := map[string]string{}
	for _, a := range f.Articles {
		slugs[a.ID] = a.Slug
	}
	for _, a := range f.Articles {
		r := httptest.NewRequest(http.MethodGet, exporttest.BaseURL+"/articles/"+a.Slug, nil)
		w := httptest.NewRecorder()
		src.Handler.ServeHTTP(w, r)
		var want []string
		for _, id := range src.Related(a.ID, relatedShown) {
			want = append(want, "../articles/"+slugs[id])
		}
		if diff := cmp.Diff(want, relatedLinks(w.Body.String())); diff != "" {
			t.Fatalf("%s: related articles (-Related +page):\n%s", a.Slug, diff)
		}
	}
}

// relatedLinks returns the links of a page's "Read more" section.
func relatedLinks(page string) []string {
	z := html.NewTokenizer(strings.NewReader(page))
	var links []string
	in := false
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		tok := z.Token()
		switch {
		case tok.Type == html.StartTagToken && tok.Data == "section":
			in = tokenAttr(tok, "class") == "related"
		case tok.Type == html.EndTagToken && tok.Data == "section":
			in = false
		case in && tok.Type == html.StartTagToken && tok.Data == "a":
			links = append(links, tokenAttr(tok, "href"))
		}
	}
	return links
}

func tokenAttr(tok html.Token, key string) string {
	for _, a := range tok.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
