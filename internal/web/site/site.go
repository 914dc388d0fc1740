// Package site serves the public news site: front page, articles, tag,
// author and archive pages, static pages, media and assets.
package site

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tamizdat/tamizdat/internal/assets"
	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/donate"
	"github.com/tamizdat/tamizdat/internal/media"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/reach"
	"github.com/tamizdat/tamizdat/internal/render"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web"
	"github.com/tamizdat/tamizdat/internal/web/layout"
)

//go:embed templates/*.html
var templates embed.FS

// PageSize is how many articles a list page shows.
const PageSize = 20

// Options configure the site.
type Options struct {
	Store   *store.Store
	Assets  *assets.Set
	Media   http.Handler // serves /media/…; nil serves nothing
	BaseURL string       // main site address for canonical links; may be empty
	Now     func() time.Time
	Log     *slog.Logger
}

// Site is the public reader-facing web site.
type Site struct {
	store   *store.Store
	assets  *assets.Set
	media   http.Handler
	baseURL string
	now     func() time.Time
	log     *slog.Logger
	pages   *render.Renderer
	adapter web.Adapter
	related atomic.Pointer[relatedIndex]
	state   atomic.Pointer[siteState]
}

// siteState is what pages show from the settings, prepared once per change.
type siteState struct {
	settings model.Settings
	// appeals are the active appeals, each with its message rendered.
	appeals  []model.Appeal
	messages map[string]template.HTML // by appeal ID
}

// cardArgs is what the "card" template needs: the card and the way back to
// the site root from the page that lists it.
type cardArgs struct {
	Root string
	Card Card
	Lang string
}

// New builds the site and parses its templates.
func New(opts Options) (*Site, error) {
	s := &Site{
		store:   opts.Store,
		assets:  opts.Assets,
		media:   opts.Media,
		baseURL: strings.TrimSuffix(opts.BaseURL, "/"),
		now:     opts.Now,
		log:     opts.Log,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	pages, err := render.New(templates, "templates", s.funcs(), layout.Files)
	if err != nil {
		return nil, err
	}
	s.pages = pages
	s.adapter = web.Adapter{Log: s.log, RenderError: s.renderError}
	s.related.Store(&relatedIndex{})
	return s, nil
}

// Refresh reloads what the site keeps in memory from the database: the
// settings and the related-articles index. The app calls it at start-up and
// whenever the content version changes.
func (s *Site) Refresh(ctx context.Context) error {
	return s.refresh(ctx, func() (*relatedIndex, error) { return buildRelated(ctx, s.store, s.now()) })
}

// RefreshWith is Refresh with the related-articles index built from
// articles rather than read from the database again: for a caller that has
// just loaded them, such as a static export. They must be every article
// published now, with their text, as store.ArticleQuery{PublishedAsOf:
// now, WithBody: true} lists them; RefreshWith keeps no reference to them.
func (s *Site) RefreshWith(ctx context.Context, articles []*model.Article) error {
	return s.refresh(ctx, func() (*relatedIndex, error) { return indexArticles(articles), nil })
}

// refresh reloads the settings and appeals, and takes the related-articles
// index that index builds.
func (s *Site) refresh(ctx context.Context, index func() (*relatedIndex, error)) error {
	settings, err := s.store.Settings(ctx)
	if err != nil {
		return err
	}
	state := &siteState{settings: settings, messages: map[string]template.HTML{}}
	all, err := s.store.Appeals(ctx)
	if err != nil {
		return err
	}
	for _, ap := range all {
		if !ap.Active {
			continue
		}
		msg, err := content.Render(ap.Message)
		if err != nil {
			return fmt.Errorf("site: render appeal %q: %w", ap.Heading, err)
		}
		state.appeals = append(state.appeals, ap)
		state.messages[ap.ID] = template.HTML(msg.HTML)
	}
	idx, err := index()
	if err != nil {
		return err
	}
	s.state.Store(state)
	s.related.Store(idx)
	return nil
}

// Routes returns the site's handler; cacheable pages go through cache.
func (s *Site) Routes(cache func(http.Handler) http.Handler) http.Handler {
	mux := http.NewServeMux()
	with := func(wrap func(http.Handler) http.Handler, pattern string, f web.HandlerFunc) {
		mux.Handle(pattern, wrap(s.adapter.Handle(f)))
	}
	h := func(pattern string, f web.HandlerFunc) { with(cache, pattern, f) }
	// Feeds name the host they were fetched through, so the cache keeps
	// one copy per host. Article metadata, sitemaps and robots.txt name
	// the main site when it is configured, else the request's host too.
	perHost, named := hostKeyed(cache), cache
	if s.baseURL == "" {
		named = perHost
	}
	h("GET /{$}", s.home)
	with(named, "GET /articles/{slug}", s.article)
	h(tagPattern, s.tag)
	h(authorPattern, s.author)
	h("GET /archive", s.archive)
	h("GET /archive/{year}/{month}", s.archiveMonth)
	h("GET /{slug}", s.page)
	h("GET "+reach.PagePath, s.reachPage)
	for _, route := range feedRoutes {
		for _, f := range feedFormats {
			with(perHost, "GET "+route.prefix+f.File, s.serveFeed(route, f))
		}
	}
	with(named, "GET /sitemap.xml", s.sitemapIndex)
	with(named, "GET /sitemaps/{file}", s.sitemapFile)
	mux.Handle("GET /sitemaps/news.xml", s.adapter.Handle(s.newsSitemap)) // changes with time, not edits
	with(named, "GET /robots.txt", s.robots)
	mux.Handle("GET /static/{hash}/{name}", s.assets)
	if s.media != nil {
		mux.Handle("GET /media/", s.media)
	}
	mux.Handle("/", s.adapter.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return web.NotFound("We could not find that page. It may have moved, or the address may be mistyped.")
	}))
	return web.Recover(&s.adapter, mux)
}

// appealView is the appeal an article page shows, with its message
// rendered.
type appealView struct {
	*model.Appeal
	Message template.HTML
	// Multi is set when the reader chooses among several currencies.
	Multi bool
	// Top is the appeal's section up to its "Remind me later" form, the
	// part that is the same on every page (see appealOn).
	Top template.HTML
}

// appealFor returns the appeal that runs on article a, or nil.
func (s *Site) appealFor(a *model.Article) *appealView {
	st := s.current()
	ap := model.PickAppeal(st.appeals, a)
	if ap == nil {
		return nil
	}
	return &appealView{Appeal: ap, Message: st.messages[ap.ID], Multi: len(ap.Currencies) > 1}
}

// bannerFor returns the site banner appeal for the page of article a
// (nil for any other page), or nil when the settings' banner applies.
func (s *Site) bannerFor(a *model.Article) *model.Appeal {
	return model.PickBanner(s.current().appeals, a)
}

// current returns the settings in force; before the first Refresh, the
// defaults.
func (s *Site) current() *siteState {
	if p := s.state.Load(); p != nil {
		return p
	}
	return &siteState{settings: model.DefaultSettings("tamizdat")}
}

func (s *Site) currentSettings() *model.Settings { return &s.current().settings }

func (s *Site) funcs() template.FuncMap {
	return template.FuncMap{
		"money":       money,
		"byline":      byline,
		"asset":       s.assets.Path,
		"frequency":   frequencyLabel,
		"frequencies": model.Frequencies,
		"minimums":    donate.Minimums,
		"appealArgs":  appealArgs,
		"trimSlash":   func(p string) string { return strings.TrimPrefix(p, "/") },
		"articleMeta": articleMeta,
		"srcset":      media.ImageSrcset,
		"columnSizes": func() string { return media.ColumnSizes },
	}
}

// write renders a page with status and sends it.
func (s *Site) write(w http.ResponseWriter, status int, page string, data any) error {
	return s.pages.Send(page, data, func(body []byte) error {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, err := w.Write(body)
		return err
	})
}

func (s *Site) renderError(w http.ResponseWriter, r *http.Request, status int, message string) {
	view := errorView{Layout: s.layout(r, http.StatusText(status), ""), Status: status, Message: message}
	w.Header().Set("Cache-Control", "no-store")
	if err := s.write(w, status, "error", view); err != nil {
		s.log.Error("render error page", "err", err)
		http.Error(w, message, status)
	}
}
