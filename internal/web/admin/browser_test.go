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
	ln, deskURL := localDesk(t)
	st := storetest.NewEngine(t, "sqlite", store.Options{})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	auditLog := audit.New(st)
	svc, err := accounts.New(accounts.Options{Store: st, Audit: auditLog, AdminURL: deskURL, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	set, err := assets.Load()
	if err != nil {
		t.Fatal(err)
	}
	desk, err := admin.New(admin.Options{Accounts: svc, Audit: auditLog, Store: st, Assets: set, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /static/{hash}/{name}", set)
	mux.Handle("/admin/", desk)
	serveOn(t, ln, mux)

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
