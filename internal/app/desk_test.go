package app

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// TestDemoDesk boots the demo site and signs in to its desk with the
// printed demo login.
func TestDemoDesk(t *testing.T) {
	ctx := t.Context()
	st := storetest.New(t)
	cfg := config.Config{Demo: true, CacheBytes: 1 << 20, CacheMaxAge: time.Minute, BaseURL: "https://news.example"}
	if err := prepare(ctx, st, cfg, quietLog); err != nil {
		t.Fatal(err)
	}
	h, _, err := Handler(ctx, st, cfg, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := printDesk(ctx, st, cfg, quietLog, &out); err != nil {
		t.Fatal(err)
	}
	want := "the newsroom desk is at http://localhost:8080/admin/\ndemo login: " + accounts.DemoEmail + " / " + accounts.DemoPassword
	if !strings.HasPrefix(out.String(), want) {
		t.Errorf("serve prints:\n%s\nwant it to start with:\n%s", out.String(), want)
	}

	// The reader site's host has no desk (S9).
	if w := get(h, "https://news.example/admin/sign-in"); w.Code != http.StatusNotFound {
		t.Errorf("/admin on the reader host = %d, want 404", w.Code)
	}

	page, w := demoDeskSignIn(t, h)
	if !strings.Contains(page.Body.String(), accounts.DemoPassword) {
		t.Errorf("the desk's sign-in page does not print the demo login:\n%s", page.Body)
	}
	if csp := page.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || page.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("desk headers: CSP %q, Cache-Control %q", csp, page.Header().Get("Cache-Control"))
	}
	dash := deskSend(h, http.MethodGet, deskURL+"/admin/", nil, w.Result().Cookies())
	body := dash.Body.String()
	if dash.Code != http.StatusOK || !strings.Contains(body, "skips two-factor sign-in") || !strings.Contains(body, "status-published") {
		t.Errorf("demo dashboard = %d, want the banner and the demo articles\n%s", dash.Code, body)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == "tamizdat_session" && (!c.HttpOnly || c.SameSite != http.SameSiteStrictMode) {
			t.Errorf("session cookie %+v is not HttpOnly and SameSite=Strict", c)
		}
	}
}

// deskURL is the demo site's desk, which the demo login works on.
const deskURL = "http://localhost:8080"

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// deskSend sends a request with cookies to h; a form, when given, as its
// body.
func deskSend(h http.Handler, method, target string, form url.Values, cookies []*http.Cookie) *httptest.ResponseRecorder {
	var r *http.Request
	if form != nil {
		r = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// demoDeskSignIn signs in to the desk of the demo site h with the demo
// login, through its sign-in page; it returns the page and the sign-in's
// answer, which carries the session's cookie.
func demoDeskSignIn(t *testing.T, h http.Handler) (page, signedIn *httptest.ResponseRecorder) {
	t.Helper()
	page = deskSend(h, http.MethodGet, deskURL+"/admin/sign-in", nil, nil)
	token := csrfField.FindStringSubmatch(page.Body.String())
	if page.Code != http.StatusOK || token == nil {
		t.Fatalf("desk sign-in page = %d\n%s", page.Code, page.Body)
	}
	signedIn = deskSend(h, http.MethodPost, deskURL+"/admin/sign-in",
		url.Values{"csrf": {token[1]}, "email": {accounts.DemoEmail}, "password": {accounts.DemoPassword}}, page.Result().Cookies())
	if signedIn.Code != http.StatusSeeOther || signedIn.Header().Get("Location") != "/admin/" {
		t.Fatalf("demo sign-in = %d to %q\n%s", signedIn.Code, signedIn.Header().Get("Location"), signedIn.Body)
	}
	return page, signedIn
}
