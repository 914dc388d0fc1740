package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/tamizdat/tamizdat/internal/apikeys"
)

type ctxKey int

const keyCtx ctxKey = 0

// keyOf returns the key serveAdmin authenticated.
func keyOf(r *http.Request) apikeys.Key {
	k, _ := r.Context().Value(keyCtx).(apikeys.Key)
	return k
}

// serveAdmin authenticates the request's API key, then routes it.
//
// The Admin API takes a key in the Authorization header and nothing else.
// A request carrying cookies is refused outright: a browser adds cookies on
// its own, so accepting them would make the API answer to whoever can get
// a staff member's browser to send a request (cross-site request forgery).
// Without cookies, there is nothing ambient to forge.
func (a *API) serveAdmin(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !a.onAdminHost(r) {
		// Mirrors, onion and static hosts have no desk, and no Admin API.
		a.fail(w, r, errNoRoute)
		return
	}
	if r.Header.Get("Cookie") != "" {
		a.fail(w, r, &Error{Status: http.StatusBadRequest, Code: "cookies_not_accepted", Field: "Cookie",
			Message: "The Admin API takes an API key in the Authorization header and no cookies; send the request without cookies (in a browser, fetch with credentials: \"omit\")."})
		return
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		token = ""
	}
	key, err := a.keys.Authenticate(r.Context(), strings.TrimSpace(token))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	route(a.admin, w, r.WithContext(context.WithValue(r.Context(), keyCtx, key)), a.fail)
}
