// Package reader serves the newsletter pages readers use: the signup page
// and form, the double opt-in confirmation, the subscriber's own page
// (choices, data export, erasure), one-click unsubscribe, the web preview
// and archive of sent issues, and the endpoint mail services post bounces
// and complaints to.
//
// Readers have no accounts and get no cookies: a page that concerns one
// subscriber is reached through a signed link from an email, and every
// change is a POST, so a link checker that fetches a link changes nothing.
// Like the rest of the site, pages link relatively, so they work on every
// mirror.
package reader

import (
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/assets"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/render"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web"
	"github.com/tamizdat/tamizdat/internal/web/layout"
)

//go:embed templates/*.html
var templates embed.FS

// maxForm bounds the body of a form or notice.
const maxForm = 64 << 10

// Options configure the pages.
type Options struct {
	Store       *store.Store
	Newsletters *newsletter.Service
	Assets      *assets.Set
	// BaseURL is the main site's address, for links in emails to readers
	// who came through an address the settings do not name; may be empty.
	BaseURL string
	// BounceSecret is the shared secret mail services send in the
	// X-Bounce-Secret header; empty turns the bounce endpoint off.
	BounceSecret string
	Log          *slog.Logger
}

// Reader is the newsletter's reader-facing web surface.
type Reader struct {
	store        *store.Store
	news         *newsletter.Service
	assets       *assets.Set
	baseURL      string
	bounceSecret string
	log          *slog.Logger
	pages        *render.Renderer
	adapter      web.Adapter
}

// New builds the pages and parses their templates.
func New(opts Options) (*Reader, error) {
	rd := &Reader{
		store: opts.Store, news: opts.Newsletters, assets: opts.Assets,
		baseURL: strings.TrimSuffix(opts.BaseURL, "/"), bounceSecret: opts.BounceSecret, log: opts.Log,
	}
	if rd.log == nil {
		rd.log = slog.Default()
	}
	pages, err := render.New(templates, "templates", template.FuncMap{
		"asset": rd.assets.Path,
		"inc":   func(i int) int { return i + 1 },
	}, layout.Files)
	if err != nil {
		return nil, err
	}
	rd.pages = pages
	rd.adapter = web.Adapter{Log: rd.log, RenderError: rd.renderError}
	return rd, nil
}

// Routes returns the handler for /newsletter and everything under it.
func (rd *Reader) Routes() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, f web.HandlerFunc) { mux.Handle(pattern, rd.adapter.Handle(f)) }
	h("GET /newsletter", rd.signupPage)
	h("GET /newsletter/subscribe", rd.signupPage)
	h("POST /newsletter/subscribe", rd.subscribe)
	h("GET /newsletter/confirm", rd.confirmPage)
	h("POST /newsletter/confirm", rd.confirm)
	h("GET /newsletter/manage", rd.managePage)
	h("POST /newsletter/manage", rd.manage)
	h("GET /newsletter/export", rd.export)
	h("POST /newsletter/delete", rd.delete)
	h("GET /newsletter/unsubscribe", rd.unsubscribePage)
	h("POST /newsletter/unsubscribe", rd.unsubscribe)
	h("POST /newsletter/manage-link", rd.manageLink)
	h("GET /newsletter/preview", rd.preview)
	h("GET /newsletter/archive", rd.archive)
	h("GET /newsletter/issues/{id}", rd.issue)
	mux.HandleFunc("POST /newsletter/bounces", rd.bounces)
	mux.Handle("/newsletter/", rd.adapter.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return web.NotFound("There is no newsletter page at this address.")
	}))
	return web.Recover(&rd.adapter, mux)
}

// Layout is the frame around every newsletter page.
type Layout = layout.Frame

// layout fills the frame for a request to r.
func (rd *Reader) layout(r *http.Request, title string, private bool) Layout {
	set, err := rd.store.Settings(r.Context())
	if err != nil {
		set = model.DefaultSettings("tamizdat")
	}
	return layout.Newsletter(r.URL.Path, title, &set, private)
}

// write renders a page with status and sends it. Pages about one
// subscriber are never stored by caches.
func (rd *Reader) write(w http.ResponseWriter, status int, page string, data any) error {
	body, err := rd.pages.Render(page, data)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}

type errorView struct {
	Layout
	Status  int
	Message string
}

func (rd *Reader) renderError(w http.ResponseWriter, r *http.Request, status int, message string) {
	view := errorView{Layout: rd.layout(r, http.StatusText(status), true), Status: status, Message: message}
	w.Header().Set("Cache-Control", "no-store")
	if err := rd.write(w, status, "error", view); err != nil {
		rd.log.Error("render error page", "err", err)
		http.Error(w, message, status)
	}
}

// linkError turns what the newsletter service says about a link into what
// the reader is told.
func linkError(err error) error {
	switch {
	case errors.Is(err, newsletter.ErrBadLink):
		return web.BadRequest("This link is not valid. It may have been cut short when it was copied, or replaced by a newer one. Copy the whole link from the email; if it still fails, sign up again to receive a new one.")
	case errors.Is(err, newsletter.ErrExpiredLink):
		return &web.Error{Status: http.StatusGone, Message: "This confirmation link has expired: links work for 72 hours. Sign up again to receive a new one."}
	case errors.Is(err, newsletter.ErrGone), errors.Is(err, model.ErrNotFound):
		return &web.Error{Status: http.StatusGone, Message: "This subscription no longer exists: it was deleted, unsubscribed from every newsletter, or not confirmed within 7 days. You can sign up again at any time."}
	case errors.Is(err, newsletter.ErrNoNewsletter):
		return &web.Error{Status: http.StatusGone, Message: "This newsletter no longer exists, so you will not receive it."}
	}
	return err
}

// linkRoot is the absolute site root that links in emails start with: the
// configured address (main site, onion service or mirror) the reader came
// through, so that a reader of a mirror is not sent to a blocked address;
// else the main site's address; else the request's.
func (rd *Reader) linkRoot(r *http.Request, set model.Settings) string {
	host := hostname(r.Host)
	configured := []string{rd.baseURL, set.OnionURL}
	for _, m := range set.Mirrors {
		configured = append(configured, m.URL)
	}
	for _, c := range configured {
		if u, err := url.Parse(c); err == nil && u.Host != "" && hostname(u.Host) == host {
			return strings.TrimSuffix(c, "/") + "/"
		}
	}
	if rd.baseURL != "" {
		return rd.baseURL + "/"
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + strings.ToLower(r.Host) + "/"
}

// hostname is a host[:port]'s name in lower case, without port or
// trailing dot.
func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		hostport = h
	}
	return strings.ToLower(strings.TrimSuffix(hostport, "."))
}

// Date is a moment shown to readers in the site's time zone.
type Date struct {
	ISO  string // for <time datetime>
	Text string
}

func dateIn(t time.Time, zone string) Date {
	lt := t.In(model.LoadLocation(zone))
	return Date{ISO: lt.Format(time.RFC3339), Text: lt.Format("January 2, 2006")}
}
