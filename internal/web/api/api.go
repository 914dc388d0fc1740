package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/apikeys"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/store"
)

// Path prefixes of the two APIs.
const (
	ContentPrefix = "/api/v1/content/"
	AdminPrefix   = "/api/v1/admin/"
)

// Options configure the APIs.
type Options struct {
	Store *store.Store
	Keys  *apikeys.Service
	Audit *audit.Log
	// Publishing is the desk's editorial service, which keeps the rules
	// for tags, bylines and pages; nil builds one over Store and Audit.
	Publishing *publishing.Service
	// AdminHost is the desk's host (with its port, if any); the Admin API
	// answers only there (requirement S9). Empty answers on every host.
	AdminHost string
	Now       func() time.Time // time.Now when nil
	Log       *slog.Logger     // slog.Default() when nil
}

// API serves both APIs.
type API struct {
	store     *store.Store
	keys      *apikeys.Service
	editorial *editorial
	adminHost string
	now       func() time.Time
	log       *slog.Logger
	routes    []Route
	content   *http.ServeMux
	admin     *http.ServeMux
}

// New builds the APIs.
func New(opts Options) *API {
	a := &API{store: opts.Store, keys: opts.Keys, adminHost: opts.AdminHost, now: opts.Now, log: opts.Log}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.editorial = &editorial{store: opts.Store, publishing: opts.Publishing, audit: opts.Audit, now: a.now, log: a.log}
	if a.editorial.publishing == nil {
		a.editorial.publishing = publishing.New(publishing.Options{Store: opts.Store, Audit: opts.Audit, Now: a.now, Log: a.log})
	}
	a.content, a.admin = http.NewServeMux(), http.NewServeMux()
	a.routes = a.table()
	for _, rt := range a.routes {
		if strings.Contains(rt.Pattern, AdminPrefix) {
			a.admin.Handle(rt.Pattern, a.guard(rt))
		} else {
			a.content.Handle(rt.Pattern, a.handle(rt.handler))
			_, path, _ := strings.Cut(rt.Pattern, " ")
			a.content.Handle("OPTIONS "+path, a.handle(a.preflight))
		}
	}
	return a
}

// Routes returns the route table, for tests and documentation.
func (a *API) Routes() []Route { return a.routes }

// ServeHTTP serves everything under /api/.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer a.recoverPanic(w, r)
	switch {
	case strings.HasPrefix(r.URL.Path, ContentPrefix):
		allowCrossOrigin(w.Header())
		route(a.content, w, r, a.fail)
	case strings.HasPrefix(r.URL.Path, AdminPrefix):
		a.serveAdmin(w, r)
	default:
		w.Header().Set("Cache-Control", "no-store")
		a.fail(w, r, errNoRoute)
	}
}

// route serves r from mux, answering requests that match no route with
// fail's JSON instead of the mux's plain-text 404 and 405.
func route(mux *http.ServeMux, w http.ResponseWriter, r *http.Request, fail func(http.ResponseWriter, *http.Request, error)) {
	if _, pattern := mux.Handler(r); pattern != "" {
		mux.ServeHTTP(w, r)
		return
	}
	// The mux's own answer tells 404 from 405 and lists the allowed
	// methods; run it on a scratch writer and keep only that.
	probe := &probeWriter{header: http.Header{}}
	mux.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		fail(w, r, &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
			Message: "This address does not accept " + r.Method + " requests; it accepts " + probe.header.Get("Allow") + "."})
		return
	}
	fail(w, r, errNoRoute)
}

var errNoRoute = &Error{Status: http.StatusNotFound, Code: "not_found",
	Message: "There is no such API endpoint. The Content API is under /api/v1/content/, the Admin API under /api/v1/admin/."}

// probeWriter records the status and headers the mux would send.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header         { return p.header }
func (p *probeWriter) Write(b []byte) (int, error) { return len(b), nil }
func (p *probeWriter) WriteHeader(status int)      { p.status = status }

// handlerFunc is a handler that returns its failure instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts h: its error becomes the JSON error response.
func (a *API) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.fail(w, r, err)
		}
	})
}

// recoverPanic turns a panic into a logged 500 with the usual JSON.
func (a *API) recoverPanic(w http.ResponseWriter, r *http.Request) {
	if v := recover(); v != nil {
		if v == http.ErrAbortHandler {
			panic(v)
		}
		a.fail(w, r, fmt.Errorf("api: panic: %v\n%s", v, debug.Stack()))
	}
}

// onAdminHost reports whether r came to the desk's host.
func (a *API) onAdminHost(r *http.Request) bool {
	if a.adminHost == "" || strings.EqualFold(r.Host, a.adminHost) {
		return true
	}
	// "desk.example" and "desk.example:443" name the same origin.
	host, port, err := net.SplitHostPort(a.adminHost)
	return err == nil && (port == "80" || port == "443") && strings.EqualFold(r.Host, host)
}

// writeJSON sends v with status. Encoding into a buffer first turns an
// encoding failure into a clean error instead of half a response.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := encode(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}

// encode marshals v as the APIs send it: without HTML escaping, which JSON
// does not need and which would garble the articles' HTML for readers of
// the raw JSON, and with a final newline.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, errors.Join(errors.New("api: encode response"), err)
	}
	return buf.Bytes(), nil
}
