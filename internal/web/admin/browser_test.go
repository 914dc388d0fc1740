package admin_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/assets"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/browsertest"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
	"github.com/tamizdat/tamizdat/internal/web/admin"
)

// chromium starts headless Chromium, or skips the test when there is none,
// unless TAMIZDAT_REQUIRE_BROWSER=1 (as in CI).
func chromium(t *testing.T) context.Context {
	t.Helper()
	// "localhost" must reach the test server's IPv4 listener.
	return browsertest.Start(t, chromedp.Flag("host-resolver-rules", "MAP localhost 127.0.0.1"))
}

// TestPasskeyInBrowser sets up an editor's account from its setup link,
// enrols a passkey with Chromium's virtual authenticator through admin.js,
// signs out, and signs in again with password and passkey.
func TestPasskeyInBrowser(t *testing.T) {
	ctx := chromium(t)
	bd := startBrowserDesk(t, nil)
	st, svc := bd.store, bd.accounts

	u, token, err := svc.AddUser(ctx, audit.System, "editor@example.org", "Ed", accounts.Editor)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	addPasskeyDevice(t, ctx)

	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		must(err)
		return s
	}
	// Choose a password from the setup link.
	must(chromedp.Do(ctx,
		chromedp.Navigate(svc.SetupLink(token)),
		chromedp.WaitVisible(`input[name=password]`),
		chromedp.SendKeys(`input[name=password]`, goodPassword),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`a.button`),
		chromedp.Click(`a.button`),
		// Sign in with the password: the desk asks for a passkey.
		chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, "editor@example.org"),
		chromedp.SendKeys(`input[name=password]`, goodPassword),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`form[data-webauthn=create] button`),
		chromedp.Click(`form[data-webauthn=create] button`),
		chromedp.WaitVisible(`ol.codes`),
	))
	if codes := strings.Count(text("ol.codes"), "-"); codes != accounts.RecoveryCodeCount {
		t.Errorf("the codes page lists %d codes", codes)
	}
	must(chromedp.Do(ctx,
		chromedp.Click(`a.button`),
		chromedp.WaitVisible(`nav`),
	))
	if h := text("h1"); h != "Articles" {
		t.Errorf("after enrolling, the desk shows %q", h)
	}
	keys, err := st.PasskeysOf(ctx, u.ID)
	must(err)
	if len(keys) != 1 {
		t.Fatalf("%d passkeys stored, want 1", len(keys))
	}

	// Sign out, and in again with password and passkey.
	must(chromedp.Do(ctx,
		chromedp.Click(`.sign-out button`),
		chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, "editor@example.org"),
		chromedp.SendKeys(`input[name=password]`, goodPassword),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`form[data-webauthn=get] button`),
		chromedp.Click(`form[data-webauthn=get] button`),
		chromedp.WaitVisible(`nav`),
	))
	if h := text("h1"); h != "Articles" {
		t.Errorf("after the passkey sign-in, the desk shows %q", h)
	}
	keys, err = st.PasskeysOf(ctx, u.ID)
	must(err)
	if keys[0].LastUsedAt.IsZero() {
		t.Error("the passkey's use was not recorded")
	}
	if dir := os.Getenv("TAMIZDAT_SCREENSHOTS"); dir != "" {
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		must(err)
		os.WriteFile(filepath.Join(dir, "desk-dashboard.png"), shot, 0o644)
	}
}

// browserDesk is a desk on a loopback port for a browser test, over a new
// SQLite store.
type browserDesk struct {
	url      string // the desk's origin, on localhost
	store    *store.Store
	accounts *accounts.Service
	audit    *audit.Log
	log      *slog.Logger
	clock    *storetest.Clock // the desk's time, which tests may move on
}

// startBrowserDesk serves a desk until the test ends. extend, when not nil,
// adds to the desk's options and to the routes beside /admin/ and the
// static files.
func startBrowserDesk(t *testing.T, extend func(bd *browserDesk, opts *admin.Options, mux *http.ServeMux)) *browserDesk {
	t.Helper()
	ln, deskURL := localDesk(t)
	clock := storetest.NewClock(time.Now())
	bd := &browserDesk{url: deskURL, store: storetest.NewEngine(t, "sqlite", store.Options{Now: clock.Now}),
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), clock: clock}
	bd.audit = audit.New(bd.store)
	var err error
	if bd.accounts, err = accounts.New(accounts.Options{Store: bd.store, Audit: bd.audit, AdminURL: deskURL, Now: clock.Now, Log: bd.log}); err != nil {
		t.Fatal(err)
	}
	set, err := assets.Load()
	if err != nil {
		t.Fatal(err)
	}
	opts := admin.Options{Accounts: bd.accounts, Audit: bd.audit, Store: bd.store, Assets: set, Log: bd.log}
	mux := http.NewServeMux()
	mux.Handle("GET /static/{hash}/{name}", set)
	if extend != nil {
		extend(bd, &opts, mux)
	}
	desk, err := admin.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/admin/", desk)
	serveOn(t, ln, mux)
	return bd
}

// editor gives the browser desk an editor's account with goodPassword.
func (bd *browserDesk) editor(t *testing.T, email string) {
	t.Helper()
	_, token, err := bd.accounts.AddUser(t.Context(), audit.System, email, "Ed", accounts.Editor)
	if err == nil {
		err = bd.accounts.SetPasswordWithLink(t.Context(), store.TokenSetup, token, goodPassword)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// localDesk listens on a free loopback port and returns the listener and
// the desk address on it: "localhost", since browsers refuse passkeys on
// bare IP addresses.
func localDesk(t *testing.T) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln, fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
}

// serveOn serves h on ln until the test ends.
func serveOn(t *testing.T, ln net.Listener, h http.Handler) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
}

// addPasskeyDevice gives the browser a virtual authenticator that answers
// every WebAuthn ceremony as a user-verified passkey.
func addPasskeyDevice(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	_, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
}
