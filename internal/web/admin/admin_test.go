package admin_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/web/admin"
)

func TestCrossSiteAndTokenlessPostsAreRefused(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		b, _ := d.readyBrowser(t, "admin@example.org", accounts.Admin)
		b.get("/admin/users")
		token := b.csrf()
		form := func() url.Values {
			return url.Values{"email": {"new@example.org"}, "role": {"author"}, "csrf": {token}}
		}

		w := b.do(http.MethodPost, "/admin/users", form(), "Sec-Fetch-Site", "cross-site")
		wantStatus(t, w, http.StatusForbidden)
		w = b.do(http.MethodPost, "/admin/users", form(), "Origin", "https://evil.example")
		wantStatus(t, w, http.StatusForbidden)
		noToken := form()
		noToken.Del("csrf")
		wantStatus(t, b.do(http.MethodPost, "/admin/users", noToken), http.StatusForbidden)
		wrong := form()
		wrong.Set("csrf", "guessed")
		wantStatus(t, b.do(http.MethodPost, "/admin/users", wrong), http.StatusForbidden)
		if _, err := d.store.UserByEmail(t.Context(), "new@example.org"); err == nil {
			t.Fatal("a refused request created the user")
		}
		// The same form, same-origin with its token, works.
		w = b.do(http.MethodPost, "/admin/users", form(), "Sec-Fetch-Site", "same-origin", "Origin", adminURL)
		wantStatus(t, w, http.StatusOK)
		if !strings.Contains(w.Body.String(), adminURL+"/admin/setup/") {
			t.Errorf("the new user's setup link is not shown:\n%s", w.Body)
		}

		// Anonymous forms need their double-submit token too.
		anon := d.browser(t)
		w = anon.do(http.MethodPost, "/admin/sign-in", url.Values{"email": {"admin@example.org"}, "password": {goodPassword}})
		wantStatus(t, w, http.StatusForbidden)
	})
}

func TestMutationRoutesRefuseGet(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil, nil)
	b := d.browser(t)
	// pages answers a GET for the paths that have a GET page as well.
	pages := http.NewServeMux()
	for _, rt := range d.admin.Routes() {
		if strings.HasPrefix(rt.Pattern, "GET ") {
			pages.Handle(rt.Pattern, http.NotFoundHandler())
		}
	}
	for _, rt := range d.admin.Routes() {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		if method != http.MethodPost {
			continue
		}
		path = strings.NewReplacer("{id}", "x", "{token}", "x").Replace(path)
		if _, pattern := pages.Handler(httptest.NewRequest(http.MethodGet, path, nil)); pattern != "" {
			continue
		}
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			if w := b.do(m, path, nil); w.Code != http.StatusMethodNotAllowed {
				t.Errorf("%s %s = %d, want 405", m, path, w.Code)
			}
		}
	}
}

func TestDeskAnswersOnlyOnItsHost(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil, nil)
	for host, want := range map[string]int{
		adminHost:                  http.StatusOK,
		"LOCALHOST:8080":           http.StatusOK,
		"localhost":                http.StatusNotFound, // another port is another origin
		"mirror.example":           http.StatusNotFound,
		"abcdefghijklmnop.onion":   http.StatusNotFound,
		"127.0.0.1:8080":           http.StatusNotFound,
		"news.example.org:8080":    http.StatusNotFound,
		"localhost:8080.evil.test": http.StatusNotFound,
	} {
		r := httptest.NewRequest(http.MethodGet, "/admin/sign-in", nil)
		r.Host = host
		w := httptest.NewRecorder()
		d.admin.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("GET /admin/sign-in on host %q = %d, want %d", host, w.Code, want)
		}
	}
}

func TestDeskHeaders(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil, nil)
	b := d.browser(t)
	for _, path := range []string{"/admin/sign-in", "/admin/", "/admin/no-such-page", "/admin/reset/bad-token"} {
		w := b.get(path)
		if got := w.Header().Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", path, got)
		}
		if got := w.Header().Get("Content-Security-Policy"); got != admin.CSP {
			t.Errorf("%s: CSP %q", path, got)
		}
	}
	if w := b.get("/admin/no-such-page"); w.Code != http.StatusNotFound {
		t.Errorf("unknown desk page: %d", w.Code)
	}
	for _, c := range b.get("/admin/sign-in").Result().Cookies() {
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
			t.Errorf("cookie %s is not HttpOnly, SameSite=Strict, Path=/: %+v", c.Name, c)
		}
	}
}

// TestPasswordOnlySignInReachesNothing: a correct password alone leads only
// to the second-factor page (requirement S1).
func TestPasswordOnlySignInReachesNothing(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		d.user(t, "admin@example.org", accounts.Admin)
		first := d.browser(t)
		a := first.enrolPasskey("admin@example.org")

		b := d.browser(t)
		wantRedirect(t, b.signIn("admin@example.org", goodPassword), "/admin/second-factor")
		for _, path := range []string{"/admin/", "/admin/users", "/admin/audit", "/admin/account"} {
			wantRedirect(t, b.get(path), "/admin/second-factor")
		}
		b.get("/admin/second-factor")
		w := b.post("/admin/users", url.Values{"email": {"x@example.org"}, "role": {"admin"}})
		wantStatus(t, w, http.StatusForbidden)
		w = b.post("/admin/second-factor/recovery", url.Values{"code": {"aaaaa-bbbbb"}})
		wantStatus(t, w, http.StatusUnprocessableEntity)

		b.passkeySignIn("admin@example.org", a)
		wantStatus(t, b.get("/admin/users"), http.StatusOK)
	})
}

func TestDisabledUserIsSignedOutAtOnce(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		admin, _ := d.readyBrowser(t, "admin@example.org", accounts.Admin)
		ed, edUser := d.readyBrowser(t, "ed@example.org", accounts.Editor)
		wantStatus(t, ed.get("/admin/"), http.StatusOK)
		edToken := ed.csrf()

		admin.get("/admin/users")
		wantRedirect(t, admin.post("/admin/users/"+edUser.ID+"/disable", nil), "/admin/users")

		wantRedirect(t, ed.get("/admin/"), "/admin/sign-in")
		w := ed.post("/admin/sessions/revoke-all", url.Values{"csrf": {edToken}})
		wantStatus(t, w, http.StatusUnauthorized)
		w = ed.signIn("ed@example.org", goodPassword)
		wantStatus(t, w, http.StatusUnauthorized)
		if !strings.Contains(w.Body.String(), "The email or password is wrong, or the account is not active.") {
			t.Errorf("a disabled account's sign-in got a specific message:\n%s", w.Body)
		}
	})
}

func TestDemoLoginShowsItsBanner(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		b := d.browser(t)
		if strings.Contains(b.get("/admin/sign-in").Body.String(), accounts.DemoEmail) {
			t.Error("the sign-in page offers a demo login on a database without one")
		}
		if _, err := d.svc.CreateDemoUser(t.Context()); err != nil {
			t.Fatal(err)
		}
		page := b.get("/admin/sign-in").Body.String()
		if !strings.Contains(page, accounts.DemoEmail) || !strings.Contains(page, accounts.DemoPassword) {
			t.Errorf("the sign-in page does not show the demo login:\n%s", page)
		}
		wantRedirect(t, b.signIn(accounts.DemoEmail, accounts.DemoPassword), "/admin/")
		for _, path := range []string{"/admin/", "/admin/users", "/admin/audit", "/admin/account"} {
			w := b.get(path)
			wantStatus(t, w, http.StatusOK)
			if !strings.Contains(w.Body.String(), "skips two-factor sign-in") {
				t.Errorf("%s lacks the demo banner", path)
			}
		}

		// A real account never sees the banner, and never skips enrolment.
		d.user(t, "real@example.org", accounts.Admin)
		real := d.browser(t)
		wantRedirect(t, real.signIn("real@example.org", goodPassword), "/admin/enrol")
		wantRedirect(t, real.get("/admin/"), "/admin/enrol")
		real.enrolPasskey("real@example.org")
		if w := real.get("/admin/"); strings.Contains(w.Body.String(), "skips two-factor") {
			t.Error("a real account's desk shows the demo banner")
		}
	})
}

func TestFirstRunSetup(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		b := d.browser(t)
		if !strings.Contains(b.get("/admin/sign-in").Body.String(), "/admin/setup") {
			t.Error("an empty desk does not offer first-run setup")
		}
		wantStatus(t, b.get("/admin/setup"), http.StatusOK)
		w := b.post("/admin/setup", url.Values{"email": {"boss@example.org"}, "password": {"password1"}})
		wantStatus(t, w, http.StatusUnprocessableEntity)
		w = b.post("/admin/setup", url.Values{"email": {"boss@example.org"}, "name": {"Boss"}, "password": {goodPassword}})
		wantRedirect(t, w, "/admin/enrol")
		wantRedirect(t, b.get("/admin/"), "/admin/enrol")

		other := d.browser(t)
		wantRedirect(t, other.get("/admin/setup"), "/admin/sign-in")
		other.get("/admin/sign-in")
		wantRedirect(t, other.post("/admin/setup", url.Values{"email": {"evil@example.org"}, "password": {goodPassword}}), "/admin/sign-in")
		if _, err := d.store.UserByEmail(t.Context(), "evil@example.org"); err == nil {
			t.Error("first-run setup created a second admin")
		}
	})
}

var totpKey = regexp.MustCompile(`Key: <code class="secret">([A-Z2-7]+)</code>`)

// enrolTOTP signs b in as a new contributor and adds an authenticator app
// through the pages, checking them on the way; it returns the app's secret
// and the code that confirmed it.
func (b *browser) enrolTOTP(email string) (secret, code string) {
	b.t.Helper()
	wantRedirect(b.t, b.signIn(email, goodPassword), "/admin/enrol")
	b.get("/admin/enrol")
	wantRedirect(b.t, b.post("/admin/enrol/totp", nil), "/admin/enrol/totp")
	page := b.get("/admin/enrol/totp").Body.String()
	m := totpKey.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "<svg class=\"qr\"") {
		b.t.Fatalf("the TOTP page lacks the key or its QR code:\n%s", page)
	}
	wantStatus(b.t, b.post("/admin/enrol/totp/confirm", url.Values{"code": {"000000"}}), http.StatusUnprocessableEntity)
	code, err := totp.GenerateCode(m[1], b.d.clock.Now())
	if err != nil {
		b.t.Fatal(err)
	}
	w := b.post("/admin/enrol/totp/confirm", url.Values{"code": {code}})
	wantStatus(b.t, w, http.StatusOK)
	if n := strings.Count(w.Body.String(), "<li><code>"); n != accounts.RecoveryCodeCount {
		b.t.Errorf("the codes page shows %d codes", n)
	}
	return m[1], code
}

func TestContributorEnrolsTOTP(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		d.user(t, "c@example.org", accounts.Contributor)
		b := d.browser(t)
		secret, code := b.enrolTOTP("c@example.org")
		wantStatus(t, b.get("/admin/"), http.StatusOK)
		wantStatus(t, b.get("/admin/users"), http.StatusForbidden)

		// Next sign-in: the replayed code fails, a fresh one works.
		b.get("/admin/account")
		b.post("/admin/sign-out", nil)
		wantRedirect(t, b.signIn("c@example.org", goodPassword), "/admin/second-factor")
		b.get("/admin/second-factor")
		wantStatus(t, b.post("/admin/second-factor/totp", url.Values{"code": {code}}), http.StatusUnprocessableEntity)
		d.clock.Advance(30 * time.Second)
		code, _ = totp.GenerateCode(secret, d.clock.Now())
		wantRedirect(t, b.post("/admin/second-factor/totp", url.Values{"code": {code}}), "/admin/")
		wantStatus(t, b.get("/admin/"), http.StatusOK)
	})
}

var resetLink = regexp.MustCompile(`link=(http://localhost:8080/admin/reset/[A-Za-z0-9_-]+)`)

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		d.user(t, "ed@example.org", accounts.Editor)
		b := d.browser(t)
		b.get("/admin/reset")
		known := b.post("/admin/reset", url.Values{"email": {"ed@example.org"}}).Body.String()
		b.get("/admin/reset")
		unknown := b.post("/admin/reset", url.Values{"email": {"nobody@example.org"}}).Body.String()
		if known != unknown || !strings.Contains(known, "If an account uses that address") {
			t.Errorf("the answers differ or are not the generic one:\n%s\n---\n%s", known, unknown)
		}
		m := resetLink.FindStringSubmatch(d.logs.String())
		if m == nil {
			t.Fatalf("no reset link in the log:\n%s", d.logs)
		}
		path := strings.TrimPrefix(m[1], adminURL)
		wantStatus(t, b.get(path), http.StatusOK)
		wantStatus(t, b.post(path, url.Values{"password": {"short"}}), http.StatusUnprocessableEntity)
		wantStatus(t, b.post(path, url.Values{"password": {"a whole new passphrase"}}), http.StatusOK)
		wantStatus(t, b.get(path), http.StatusNotFound) // used up
		wantRedirect(t, b.signIn("ed@example.org", "a whole new passphrase"), "/admin/enrol")
	})
}

func TestAuditPageAndUsersForAdmins(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		admin, _ := d.readyBrowser(t, "admin@example.org", accounts.Admin)
		_, ed := d.readyBrowser(t, "ed@example.org", accounts.Editor)
		admin.get("/admin/users")
		wantRedirect(t, admin.post("/admin/users/"+ed.ID+"/role", url.Values{"role": {"author"}}), "/admin/users")
		if u, _ := d.store.UserByID(t.Context(), ed.ID); u.Role != "author" {
			t.Errorf("role after the change: %s", u.Role)
		}
		// After the step-up window the same change needs a fresh passkey.
		d.clock.Advance(accounts.StepUpWindow + time.Minute)
		admin.get("/admin/users")
		wantRedirect(t, admin.post("/admin/users/"+ed.ID+"/role", url.Values{"role": {"editor"}}), "/admin/step-up?next=/admin/users")

		page := admin.get("/admin/audit").Body.String()
		for _, action := range []string{"sign_in", "mfa_enrolled", "role_changed", "user_added", "ed@example.org"} {
			if !strings.Contains(page, action) {
				t.Errorf("the audit page lacks %s", action)
			}
		}
	})
}
