package site

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"sync"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/web"
	"github.com/tamizdat/tamizdat/internal/web/layout"
)

// previewOverrides wrap the article page's head and content: previews are
// kept out of search engines and say plainly that they are not published.
const previewOverrides = `{{define "head"}}<meta name="robots" content="noindex, nofollow">
{{template "article-head" .}}{{end}}` +
	`{{define "content"}}<p class="banner preview-banner" role="status"><strong>Preview — not published</strong></p>
{{template "article-content" .}}{{end}}`

// previewPages holds, per Site, the article page's templates with
// previewOverrides, parsed on first use: a func() (*template.Template,
// error) made by sync.OnceValues.
var previewPages sync.Map

// previewTemplate returns the article page as previews render it: the
// public page's own layout and article templates, with the head and
// content wrapped.
func (s *Site) previewTemplate() (*template.Template, error) {
	parse, _ := previewPages.LoadOrStore(s, sync.OnceValues(func() (*template.Template, error) {
		t, err := template.New("article").Funcs(s.funcs()).ParseFS(layout.Files, "*.html")
		if err == nil {
			t, err = t.ParseFS(templates, "templates/_*.html", "templates/article.html")
		}
		if err != nil {
			return nil, fmt.Errorf("site: preview templates: %w", err)
		}
		for _, name := range []string{"head", "content"} {
			if _, err := t.AddParseTree("article-"+name, t.Lookup(name).Tree); err != nil {
				return nil, fmt.Errorf("site: preview templates: %w", err)
			}
		}
		return t.Parse(previewOverrides)
	}))
	return parse.(func() (*template.Template, error))()
}

// RenderArticle writes the page of an article that is not (or not yet) on
// the site, as readers would see it once published: a draft, a scheduled
// article, or unsaved text from the editor. It is the public article page,
// rendered by the same templates, with a "Preview — not published" banner,
// noindex, and no caching anywhere. A zero publication time shows as now.
func (s *Site) RenderArticle(w http.ResponseWriter, r *http.Request, a *model.Article) error {
	t, err := s.previewTemplate()
	if err != nil {
		return err
	}
	shown := *a
	if shown.PublishedAt.IsZero() {
		shown.PublishedAt = s.now()
	}
	view := articleView{
		Layout:    s.layout(r, shown.Title, shown.Summary),
		Article:   &shown,
		Published: dateIn(shown.PublishedAt, shown.Location()),
		Body:      template.HTML(shown.BodyHTML), // sanitized by content.Render
	}
	view.Canonical = "" // a preview has no public address yet
	if shown.Language != "" {
		view.Lang = shown.Language
	}
	if !shown.UpdatedAt.IsZero() && shown.UpdatedAt.After(shown.PublishedAt) {
		d := dateIn(shown.UpdatedAt, shown.Location())
		view.Updated = &d
	}
	if err := s.appealOn(r.Context(), &view); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "page", view); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(buf.Bytes())
	return err
}

// PreviewHandler serves draft-preview links, /preview/{token}, to anyone
// who has one: find returns the article of a token, or model.ErrNotFound
// when it is unknown or expired. Nothing about the answer may be cached.
func (s *Site) PreviewHandler(find func(ctx context.Context, token string) (*model.Article, error)) http.Handler {
	return s.adapter.Handle(func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Robots-Tag", "noindex, nofollow")
		a, err := find(r.Context(), r.PathValue("token"))
		if errors.Is(err, model.ErrNotFound) {
			return web.NotFound("This preview link is wrong or has expired. Ask the newsroom for a new one.")
		}
		if err != nil {
			return err
		}
		return s.RenderArticle(w, r, a)
	})
}
