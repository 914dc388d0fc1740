package admin_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/web/admin"
)

// TestEveryRouteHasExplicitAccess lists every registered desk route and
// fails if one lacks an explicit access level, or a permission where it
// needs one (requirement S6).
func TestEveryRouteHasExplicitAccess(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil, nil)
	seen := map[string]bool{}
	for _, rt := range d.admin.Routes() {
		if seen[rt.Pattern] {
			t.Errorf("route %s is registered twice", rt.Pattern)
		}
		seen[rt.Pattern] = true
		switch rt.Access.Level {
		case admin.Anyone, admin.SignedIn:
			if rt.Access.Permission != "" {
				t.Errorf("route %s names a permission its level ignores", rt.Pattern)
			}
		case admin.Ready:
			if !slices.Contains(accounts.Permissions(), rt.Access.Permission) {
				t.Errorf("route %s requires unknown permission %q", rt.Pattern, rt.Access.Permission)
			}
		default:
			t.Errorf("route %s has no explicit access", rt.Pattern)
		}
		if rt.Handler == nil {
			t.Errorf("route %s has no handler", rt.Pattern)
		}
		method, _, _ := strings.Cut(rt.Pattern, " ")
		if method != http.MethodGet && method != http.MethodPost {
			t.Errorf("route %s: the desk uses only GET and POST", rt.Pattern)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("the desk has %d routes; the role test below expects %d: update it", len(seen), len(want))
	}
}

// want is, for every route, who may use it: "anyone", "session" (any
// signed-in session, even a password-only one), or the least role. It is
// written out here rather than derived from the route table, so the table
// cannot drift without this test noticing.
var want = map[string]string{
	"GET /admin/sign-in":                  "anyone",
	"POST /admin/sign-in":                 "anyone",
	"GET /admin/setup":                    "anyone",
	"POST /admin/setup":                   "anyone",
	"GET /admin/setup/{token}":            "anyone",
	"POST /admin/setup/{token}":           "anyone",
	"GET /admin/reset":                    "anyone",
	"POST /admin/reset":                   "anyone",
	"GET /admin/reset/{token}":            "anyone",
	"POST /admin/reset/{token}":           "anyone",
	"GET /admin/second-factor":            "session",
	"POST /admin/second-factor/totp":      "session",
	"POST /admin/second-factor/recovery":  "session",
	"POST /admin/passkey/assert/begin":    "session",
	"POST /admin/passkey/assert/finish":   "session",
	"GET /admin/enrol":                    "session",
	"POST /admin/enrol/totp":              "session",
	"GET /admin/enrol/totp":               "session",
	"POST /admin/enrol/totp/confirm":      "session",
	"POST /admin/passkey/register/begin":  "session",
	"POST /admin/passkey/register/finish": "session",
	"POST /admin/sign-out":                "session",
	"GET /admin/{$}":                      "contributor",
	"GET /admin/step-up":                  "contributor",
	"POST /admin/step-up/totp":            "contributor",
	"GET /admin/account":                  "contributor",
	"POST /admin/sessions/{id}/revoke":    "contributor",
	"POST /admin/sessions/revoke-all":     "contributor",
	"POST /admin/passkeys/{id}/remove":    "contributor",
	"POST /admin/recovery-codes":          "contributor",
	"POST /admin/password":                "contributor",
	"POST /admin/totp/remove":             "contributor",
	"GET /admin/users":                    "admin",
	"POST /admin/users":                   "admin",
	"POST /admin/users/{id}/role":         "admin",
	"POST /admin/users/{id}/disable":      "admin",
	"POST /admin/users/{id}/enable":       "admin",
	"POST /admin/users/{id}/reset-2fa":    "admin",
	"GET /admin/audit":                    "admin",
	"GET /admin/settings":                 "admin",
	"POST /admin/settings/site":           "admin",
	"POST /admin/settings/banner":         "admin",
	"POST /admin/settings/newsletter":     "admin",
	"GET /admin/mirrors":                  "admin",
	"POST /admin/mirrors":                 "admin",
	"POST /admin/mirrors/remove":          "admin",
	"POST /admin/mirrors/onion":           "admin",
	"GET /admin/api-keys":                 "admin",
	"POST /admin/api-keys":                "admin",
	"POST /admin/api-keys/{id}/revoke":    "admin",
	"GET /admin/media":                    "contributor",
	"POST /admin/media":                   "contributor",
	"GET /admin/media/{id}":               "contributor",
	"POST /admin/media/{id}/alt":          "contributor",
	"POST /admin/media/{id}/delete":       "editor",

	"GET /admin/articles":                            "contributor",
	"GET /admin/articles/new":                        "contributor",
	"POST /admin/articles":                           "contributor",
	"POST /admin/articles/preview":                   "contributor",
	"GET /admin/articles/{id}":                       "contributor",
	"POST /admin/articles/{id}":                      "contributor",
	"POST /admin/articles/{id}/unpublish":            "author",
	"POST /admin/articles/{id}/delete":               "contributor",
	"POST /admin/articles/{id}/preview-links":        "contributor",
	"POST /admin/articles/{id}/preview-links/revoke": "contributor",
	"GET /admin/articles/{id}/revisions":             "contributor",
	"GET /admin/revisions/{id}":                      "contributor",
	"POST /admin/revisions/{id}/restore":             "contributor",
	"GET /admin/tags":                                "editor",
	"POST /admin/tags":                               "editor",
	"GET /admin/tags/{id}":                           "editor",
	"POST /admin/tags/{id}":                          "editor",
	"POST /admin/tags/{id}/delete":                   "editor",
	"GET /admin/bylines":                             "editor",
	"POST /admin/bylines":                            "editor",
	"GET /admin/bylines/{id}":                        "editor",
	"POST /admin/bylines/{id}":                       "editor",
	"POST /admin/bylines/{id}/delete":                "editor",
	"GET /admin/pages":                               "editor",
	"GET /admin/pages/new":                           "editor",
	"POST /admin/pages":                              "editor",
	"GET /admin/pages/{id}":                          "editor",
	"POST /admin/pages/{id}":                         "editor",
	"POST /admin/pages/{id}/delete":                  "editor",
	"GET /admin/newsletters":                         "editor",
	"POST /admin/newsletters/{id}":                   "editor",
	"GET /admin/newsletters/domain":                  "editor",
	"POST /admin/newsletters/{id}/issues":            "editor",
	"GET /admin/issues/{id}":                         "editor",
	"POST /admin/issues/{id}":                        "editor",
	"GET /admin/issues/{id}/email":                   "editor",
	"POST /admin/issues/{id}/test":                   "editor",
	"POST /admin/issues/{id}/schedule":               "editor",
	"POST /admin/issues/{id}/send":                   "editor",
	"POST /admin/issues/{id}/approve":                "editor",
	"POST /admin/issues/{id}/pause":                  "editor",
	"POST /admin/issues/{id}/resume":                 "editor",
	"POST /admin/issues/{id}/unschedule":             "editor",
	"POST /admin/issues/{id}/cancel":                 "editor",
	"POST /admin/issues/{id}/delete":                 "editor",
	"GET /admin/appeals":                             "editor",
	"GET /admin/appeals/new":                         "editor",
	"POST /admin/appeals":                            "editor",
	"GET /admin/appeals/{id}":                        "editor",
	"POST /admin/appeals/{id}":                       "editor",
	"POST /admin/appeals/{id}/delete":                "editor",
	"GET /admin/figures":                             "editor",

	"GET /admin/readers":                     "admin",
	"POST /admin/readers/lookup":             "admin",
	"POST /admin/readers/unsubscribe":        "admin",
	"POST /admin/readers/erase-subscriber":   "admin",
	"POST /admin/readers/suppress":           "admin",
	"POST /admin/readers/erase-donor":        "admin",
	"POST /admin/readers/export/subscribers": "admin",
	"POST /admin/readers/export/donors":      "admin",

	// Revisions of pages, tags and bylines.
	"GET /admin/tags/{id}/revisions/{rev}":             "editor",
	"POST /admin/tags/{id}/revisions/{rev}/restore":    "editor",
	"GET /admin/bylines/{id}/revisions/{rev}":          "editor",
	"POST /admin/bylines/{id}/revisions/{rev}/restore": "editor",
	"GET /admin/pages/{id}/revisions/{rev}":            "editor",
	"POST /admin/pages/{id}/revisions/{rev}/restore":   "editor",
}

// endsSession lists routes that sign their caller out; the matrix signs
// the caller in again after each.
var endsSession = []string{"POST /admin/sign-out", "POST /admin/sessions/revoke-all"}

// caller is one kind of visitor in the matrix, with how to sign it in
// again after a route ended its session.
type caller struct {
	b      *browser
	role   string // "" for anonymous and password-only
	signIn func()
}

// TestRoleRouteMatrix walks every route as every kind of caller and checks
// whether the desk's access control refused the request (a redirect to
// sign-in, 401, a 403 from the guard, or for role routes a redirect to the
// next sign-in step) or let it through to the handler, whatever the handler
// then answered.
func TestRoleRouteMatrix(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		callers := map[string]*caller{"anonymous": {b: d.browser(t), signIn: func() {}}}
		for _, role := range accounts.Roles() {
			email := string(role) + "@example.org"
			d.user(t, email, role)
			b := d.browser(t)
			a := b.enrolPasskey(email)
			callers[string(role)] = &caller{b: b, role: string(role), signIn: func() { b.passkeySignIn(email, a) }}
		}
		d.user(t, "half@example.org", accounts.Editor)
		half := d.browser(t)
		half.enrolPasskey("half@example.org")
		half.get("/admin/account")
		half.post("/admin/sign-out", nil)
		callers["password only"] = &caller{b: half, signIn: func() { half.signIn("half@example.org", goodPassword) }}
		callers["password only"].signIn()

		rank := map[string]int{"contributor": 1, "author": 2, "editor": 3, "admin": 4}
		routes := d.admin.Routes()
		slices.SortStableFunc(routes, func(a, b admin.Route) int {
			return boolInt(slices.Contains(endsSession, a.Pattern)) - boolInt(slices.Contains(endsSession, b.Pattern))
		})
		for name, c := range callers {
			for _, rt := range routes {
				who := want[rt.Pattern]
				method, path, _ := strings.Cut(rt.Pattern, " ")
				path = strings.NewReplacer("{token}", "no-such-token", "{id}", "no-such-id", "{$}", "").Replace(path)
				var w *httptest.ResponseRecorder
				if method == http.MethodGet {
					w = c.b.get(path)
				} else {
					w = c.b.post(path, url.Values{"csrf": {c.b.token(who == "anyone")}})
				}
				allowed := who == "anyone" || (who == "session" && name != "anonymous") ||
					(rank[who] > 0 && rank[c.role] >= rank[who])
				if refused := refusedByGuard(w, who); allowed == refused {
					t.Errorf("%s %s: status %d (to %q); want allowed=%v\n%s", name, rt.Pattern, w.Code,
						w.Header().Get("Location"), allowed, w.Body)
				}
				if slices.Contains(endsSession, rt.Pattern) {
					c.signIn()
				}
			}
		}
	})
}

// refusedByGuard tells the access control's refusals from the handlers'
// own answers by what the guard says.
func refusedByGuard(w *httptest.ResponseRecorder, who string) bool {
	loc, body := w.Header().Get("Location"), w.Body.String()
	switch w.Code {
	case http.StatusSeeOther:
		return strings.HasPrefix(loc, "/admin/sign-in?next=") ||
			(who != "anyone" && who != "session" && (loc == "/admin/second-factor" || loc == "/admin/enrol"))
	case http.StatusUnauthorized:
		return strings.Contains(body, "Your session has ended")
	case http.StatusForbidden:
		return strings.Contains(body, "Your role does not allow this") || strings.Contains(body, "Finish signing in first")
	}
	return false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
