// Package admin serves the newsroom's desk at /admin: sign-in with two
// factors, enrolment, the dashboard, the account's sessions, user
// management and the audit log. Pages are rendered on the server; the only
// JavaScript is the small admin.js that talks to navigator.credentials for
// passkeys.
//
// Every route is listed in routes.go with what it requires, and anything
// not listed does not exist. The desk answers only on the admin URL's host
// (requirement S9); every state-changing request must be a same-origin
// POST (http.CrossOriginProtection) carrying the session's form token.
package admin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/apikeys"
	"github.com/tamizdat/tamizdat/internal/assets"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/donate"
	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/media"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/render"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web"
)

//go:embed templates/*.html
var templates embed.FS

// CSP is the desk's Content-Security-Policy: like the reader pages', plus
// scripts from our own host (admin.js) and fetches to it.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// maxForm bounds request bodies: forms and WebAuthn answers are small.
const maxForm = 64 << 10

// Options configure the desk.
type Options struct {
	Accounts *accounts.Service
	Audit    *audit.Log
	Store    *store.Store
	Assets   *assets.Set
	Log      *slog.Logger
	Media    *media.Service // takes image uploads; without it the image pages answer 503
	// Publishing runs the article editor, tags, bylines and pages.
	Publishing *publishing.Service
	// Site renders the editor's previews as the public site would;
	// without it the preview answers 503.
	Site ArticleRenderer
	// SiteURL is the public site's address, for draft-preview links; the
	// desk's own when empty (the same server answers both).
	SiteURL string
	// Keys manages Admin API keys; without it the API keys page answers 503.
	Keys *apikeys.Service
	// Newsletters previews issues and sends tests; without it those
	// answer 503.
	Newsletters *newsletter.Editions
	// DomainCheck is the DNS pre-flight of the sending domain, shown on
	// the newsletters page and asked before an issue it held is resumed;
	// nil when this server sends no mail over the internet.
	// SkipDomainCheck resumes anyway (for testing only), as the senders do.
	DomainCheck     *tmail.DomainCheck
	SkipDomainCheck bool
	// Subscribers and Donations open readers' sealed addresses for the
	// Readers screens; without both those answer 503.
	Subscribers *newsletter.Service
	Donations   *donate.Service
}

// ArticleRenderer renders an article as the public site's page.
type ArticleRenderer interface {
	RenderArticle(w http.ResponseWriter, r *http.Request, a *model.Article) error
}

// Admin is the desk's web surface.
type Admin struct {
	accounts *accounts.Service
	audit    *audit.Log
	store    *store.Store
	assets   *assets.Set
	media    *media.Service
	editor   *publishing.Service
	site     ArticleRenderer
	siteURL  string
	keys     *apikeys.Service
	editions *newsletter.Editions
	log      *slog.Logger
	pages    *render.Renderer
	adapter  web.Adapter
	mux      *http.ServeMux
	routes   []Route
	// handler is mux behind the cross-origin check and panic recovery.
	handler http.Handler
	// domainCheck and skipDomainCheck are Options.DomainCheck and
	// Options.SkipDomainCheck.
	domainCheck     *tmail.DomainCheck
	skipDomainCheck bool
	// subscribers and donations are Options.Subscribers and
	// Options.Donations.
	subscribers *newsletter.Service
	donations   *donate.Service
}

// New builds the desk and parses its templates.
func New(opts Options) (*Admin, error) {
	a := &Admin{accounts: opts.Accounts, audit: opts.Audit, store: opts.Store, assets: opts.Assets, media: opts.Media,
		editor: opts.Publishing, site: opts.Site, siteURL: strings.TrimSuffix(opts.SiteURL, "/"), keys: opts.Keys,
		editions: opts.Newsletters, log: opts.Log}
	a.domainCheck, a.skipDomainCheck = opts.DomainCheck, opts.SkipDomainCheck
	a.subscribers, a.donations = opts.Subscribers, opts.Donations
	if a.log == nil {
		a.log = slog.Default()
	}
	pages, err := render.New(templates, "templates", template.FuncMap{
		"asset": a.assets.Path,
		"when":  func(t time.Time) string { return when(t) },
		// The appeals and figures pages.
		"frequencies": model.Frequencies,
		"frequency":   func(f model.Frequency) string { return frequencyLabels[f] },
		"placement":   func(p model.Placement) string { return placementLabels[p] },
		"cents": func(amount int64, currency string) string {
			return donate.Money{Amount: amount, Currency: currency}.String()
		},
		"percent": func(f float64) string { return strconv.FormatFloat(100*f, 'f', 2, 64) + "%" },
	})
	if err != nil {
		return nil, err
	}
	a.pages = pages
	a.adapter = web.Adapter{Log: a.log, RenderError: a.renderError}
	a.mux = http.NewServeMux()
	a.routes = a.table()
	for _, rt := range a.routes {
		a.mux.Handle(rt.Pattern, a.guard(rt))
	}
	// No catch-all: ServeMux then answers 405 to a GET on a POST-only
	// route, and a plain 404 to a path that has no route.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.renderError(w, r, http.StatusForbidden, "This request came from another site and was refused.")
	}))
	a.handler = web.Recover(&a.adapter, cop.Handler(a.mux))
	return a, nil
}

// Routes returns the route table, for tests and documentation.
func (a *Admin) Routes() []Route { return a.routes }

// ServeHTTP serves /admin and everything under it.
func (a *Admin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !a.onAdminHost(r) {
		// Mirrors, onion and static hosts have no desk at all.
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	if r.URL.Path == "/admin" {
		http.Redirect(w, r, "/admin/", http.StatusSeeOther)
		return
	}
	// The session is loaded here rather than per route, so that error pages
	// know who is signed in too.
	p, err := a.loadPrincipal(r)
	if err != nil {
		a.adapter.Fail(w, r, err)
		return
	}
	if p != nil {
		r = r.WithContext(withPrincipal(r.Context(), p))
	}
	a.handler.ServeHTTP(w, r)
}

// onAdminHost reports whether r came to the admin URL's host.
func (a *Admin) onAdminHost(r *http.Request) bool {
	want := a.accounts.AdminHost()
	if strings.EqualFold(r.Host, want) {
		return true
	}
	// "desk.example" and "desk.example:443" name the same origin.
	host, port, err := net.SplitHostPort(want)
	return err == nil && (port == "80" || port == "443") && strings.EqualFold(r.Host, host)
}

// cookie names: the __Host- prefix needs Secure, which needs TLS.
func (a *Admin) sessionCookie() string {
	if a.accounts.SecureCookies() {
		return "__Host-tamizdat"
	}
	return "tamizdat_session"
}

func (a *Admin) formCookie() string {
	if a.accounts.SecureCookies() {
		return "__Host-tamizdat-form"
	}
	return "tamizdat_form"
}

func (a *Admin) setCookie(w http.ResponseWriter, name, value string) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true,
		Secure: a.accounts.SecureCookies(), SameSite: http.SameSiteStrictMode}
	if value == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// setSession hands the browser a session token (rotated at each sign-in
// step).
func (a *Admin) setSession(w http.ResponseWriter, token string) {
	a.setCookie(w, a.sessionCookie(), token)
}

type ctxKey int

const principalKey ctxKey = 0

// withPrincipal returns ctx carrying the request's signed-in session.
func withPrincipal(ctx context.Context, p *accounts.Principal) context.Context {
	return context.WithValue(ctx, principalKey, p)
}

// principal returns the signed-in session the guard loaded, or nil.
func principal(r *http.Request) *accounts.Principal {
	p, _ := r.Context().Value(principalKey).(*accounts.Principal)
	return p
}

// loadPrincipal authenticates the request's session cookie; nil when there
// is no valid session.
func (a *Admin) loadPrincipal(r *http.Request) (*accounts.Principal, error) {
	c, err := r.Cookie(a.sessionCookie())
	if err != nil {
		return nil, nil
	}
	p, err := a.accounts.Authenticate(r.Context(), c.Value)
	if errors.Is(err, accounts.ErrNoSession) {
		return nil, nil
	}
	return p, err
}

// formToken returns the token anonymous forms carry: a random value also
// kept in a cookie (double submit), created on first use.
func (a *Admin) formToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(a.formCookie()); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	b := make([]byte, 32)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	a.setCookie(w, a.formCookie(), token)
	return token
}

// checkToken compares the form token a POST carries (the csrf field, or
// the X-CSRF-Token header for admin.js) with want.
func checkToken(r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// clientOf describes the request's client for the login throttle; its
// address is the one behind trusted proxies (web.ClientIP).
func clientOf(r *http.Request) accounts.Client {
	return accounts.Client{IP: web.ClientIP(r), UserAgent: r.UserAgent()}
}

// write renders a page with status and sends it.
func (a *Admin) write(w http.ResponseWriter, status int, page string, data any) error {
	body, err := a.pages.Render(page, data)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}

func (a *Admin) renderError(w http.ResponseWriter, r *http.Request, status int, message string) {
	view := messageView{Layout: a.layout(r, http.StatusText(status)), Status: status, Message: message}
	if err := a.write(w, status, "message", view); err != nil {
		a.log.Error("render admin error page", "err", err)
		http.Error(w, message, status)
	}
}

// userError maps the accounts service's errors onto what a person sees.
// Anything else passes through to the adapter (and becomes a 500).
func userError(err error) error {
	switch {
	case errors.Is(err, accounts.ErrForbidden):
		return &web.Error{Status: http.StatusForbidden, Message: "Your account may not do that.", Cause: err}
	case errors.Is(err, accounts.ErrThrottled):
		return &web.Error{Status: http.StatusTooManyRequests, Message: "Too many failed attempts. Wait a minute and try again.", Cause: err}
	case errors.Is(err, accounts.ErrInvalidLink):
		return &web.Error{Status: http.StatusNotFound, Message: "This link is wrong, has expired or was already used. Ask an administrator for a new one.", Cause: err}
	case errors.Is(err, model.ErrNotFound):
		return &web.Error{Status: http.StatusNotFound, Message: "We could not find that.", Cause: err}
	}
	return err
}

// appendAudit adds e to the audit log as the signed-in account's doing; an
// entry without an action records nothing (a save that changed nothing).
// The change is already made, so a failure to record it is logged rather
// than shown as a failed save.
func (a *Admin) appendAudit(r *http.Request, e audit.Entry) {
	if e.Action == "" {
		return
	}
	e.Actor = principal(r).User.ID
	if err := a.audit.Append(r.Context(), e); err != nil {
		a.log.ErrorContext(r.Context(), "audit entry lost", "action", e.Action, "target", e.Target, "err", err)
	}
}

// fieldChanges lists the fields whose value differs between before and
// after, each with its old and new value, as the audit log records an
// edit.
func fieldChanges(before, after map[string]any) map[string]any {
	changes := map[string]any{}
	for name, v := range after {
		if before[name] != v {
			changes[name] = map[string]any{"from": before[name], "to": v}
		}
	}
	return changes
}

// redirect answers a form POST with 303 See Other.
func redirect(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// localNext returns next if it is a path on the desk, else fallback, so a
// "next" parameter cannot send anyone to another site.
func localNext(next, fallback string) string {
	if strings.HasPrefix(next, "/admin/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return fallback
}

// when formats a time for the desk, in UTC.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}
