package site

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// TestRenderArticleIsThePublicPage: a preview is the public article page,
// from the same templates, plus the banner and noindex and minus the
// related articles (a draft is in no index yet).
func TestRenderArticleIsThePublicPage(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	s, h := demoHandler(t, st, "")
	a := published(t, st)[0]
	full, err := st.ArticleBySlug(t.Context(), a.Slug)
	if err != nil {
		t.Fatal(err)
	}
	public := fetch(t, h, "/articles/"+a.Slug, http.StatusOK)

	w := httptest.NewRecorder()
	if err := s.RenderArticle(w, httptest.NewRequest(http.MethodPost, "/articles/"+a.Slug, nil), full); err != nil {
		t.Fatal(err)
	}
	preview := w.Body.String()
	for header, want := range map[string]string{"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"} {
		if got := w.Header().Get(header); got != want {
			t.Errorf("%s: %q, want %q", header, got, want)
		}
	}
	for _, part := range []string{`<meta name="robots" content="noindex, nofollow">`, "Preview — not published"} {
		if !strings.Contains(preview, part) {
			t.Errorf("the preview lacks %q", part)
		}
	}
	strip := strings.NewReplacer(
		"<meta name=\"robots\" content=\"noindex, nofollow\">\n", "",
		"<p class=\"banner preview-banner\" role=\"status\"><strong>Preview — not published</strong></p>\n", "",
	)
	related := regexp.MustCompile(`(?s)<section class="related".*?</section>`)
	if diff := cmp.Diff(related.ReplaceAllString(public, ""), strip.Replace(preview)); diff != "" {
		t.Errorf("the preview differs from the public page beyond its banner (-public +preview):\n%s", diff)
	}
}

func TestPreviewHandler(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	s, _ := demoHandler(t, st, "")
	draft := &model.Article{Slug: "secret", Title: "Secret draft", Status: model.StatusDraft, Language: "ru",
		BodyHTML: "<p>Not yet.</p>", TimeZone: "Europe/Moscow"}
	find := func(_ context.Context, token string) (*model.Article, error) {
		if token == "good" {
			return draft, nil
		}
		return nil, model.ErrNotFound
	}
	mux := http.NewServeMux()
	mux.Handle("GET /preview/{token}", s.PreviewHandler(find))
	for _, tc := range []struct {
		token  string
		status int
		want   string
	}{
		{"good", http.StatusOK, "Secret draft"},
		{"expired", http.StatusNotFound, "This preview link is wrong or has expired."},
	} {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/preview/"+tc.token, nil))
		if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("/preview/%s = %d, want %d with %q:\n%.600s", tc.token, w.Code, tc.status, tc.want, w.Body)
		}
		if w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("/preview/%s may be cached: %q", tc.token, w.Header().Get("Cache-Control"))
		}
	}
	// Relative links from /preview/… reach the site root.
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/preview/good", nil))
	if body := w.Body.String(); !strings.Contains(body, `href="../static/`) || !strings.Contains(body, `<html lang="ru">`) {
		t.Errorf("the preview page's root or language is wrong:\n%.800s", body)
	}
}
