package admin_test

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/assets"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
	"github.com/tamizdat/tamizdat/internal/web/admin"
	"github.com/tamizdat/tamizdat/internal/web/site"
)

// TestWriteAndPublishInBrowser is issue 3's journey in Chromium: an editor
// signs in and enrols a passkey, writes an article while editor.js keeps
// the live preview up to date, publishes it, and finds it on the front
// page.
func TestWriteAndPublishInBrowser(t *testing.T) {
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
	public, err := site.New(site.Options{Store: st, Assets: set, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	editor := publishing.New(publishing.Options{Store: st, Audit: auditLog, Log: log})
	desk, err := admin.New(admin.Options{Accounts: svc, Audit: auditLog, Store: st, Assets: set, Log: log,
		Publishing: editor, Site: public})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/", desk)
	mux.Handle("GET /preview/{token}", public.PreviewHandler(editor.Preview))
	mux.Handle("/", public.Routes(func(h http.Handler) http.Handler { return h }))
	serveOn(t, ln, mux)

	_, token, err := svc.AddUser(ctx, audit.System, "editor@example.org", "Ed", accounts.Editor)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SetPasswordWithLink(ctx, store.TokenSetup, token, goodPassword); err != nil {
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
		return strings.TrimSpace(s)
	}

	// Sign in with the password and enrol a passkey: a fresh proof, so
	// publishing needs no further step-up.
	must(chromedp.Do(ctx,
		chromedp.Navigate(deskURL+"/admin/sign-in"),
		chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, "editor@example.org"),
		chromedp.SendKeys(`input[name=password]`, goodPassword),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`form[data-webauthn=create] button`),
		chromedp.Click(`form[data-webauthn=create] button`),
		chromedp.WaitVisible(`ol.codes`),
		chromedp.Click(`a.button`),
		chromedp.WaitVisible(`nav`),
	))

	// Write, watching the live preview follow the text.
	const title = "Floods reach the capital"
	must(chromedp.Do(ctx,
		chromedp.Navigate(deskURL+"/admin/articles/new"),
		chromedp.WaitVisible(`input[name=title]`),
		chromedp.SendKeys(`input[name=title]`, title),
		chromedp.SendKeys(`textarea[name=summary]`, "Rivers rose overnight."),
		chromedp.SendKeys(`textarea[name=body]`, "The water is **rising**.\n\n<script>document.title='owned'</script>"),
		chromedp.SendKeys(`input[name=new_byline]`, "Our correspondent"),
		chromedp.WaitVisible(`#live-preview article strong`),
	))
	if got := text(`#live-preview article h1`); got != title {
		t.Errorf("the live preview's headline is %q, want %q", got, title)
	}
	if got := text(`#live-preview .preview-banner`); got != "Preview — not published" {
		t.Errorf("the live preview's banner is %q", got)
	}
	scripts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#live-preview script").length`))
	must(err)
	if scripts != 0 {
		t.Errorf("the live preview holds %d scripts", scripts)
	}

	// Publish, then read the front page as a reader would.
	must(chromedp.Do(ctx,
		chromedp.Click(`button[name=action][value=publish]`),
		chromedp.WaitVisible(`p.message`),
	))
	if got := text(`p.message`); !strings.HasPrefix(got, "Published") {
		t.Errorf("after publishing the desk says %q", got)
	}
	must(chromedp.Do(ctx,
		chromedp.Navigate(deskURL+"/"),
		chromedp.WaitVisible(`ul.cards`),
	))
	if got := text(`ul.cards li h3 a`); got != title {
		t.Errorf("the front page's first article is %q, want %q", got, title)
	}
	must(chromedp.Do(ctx,
		chromedp.Click(`ul.cards li h3 a`),
		chromedp.WaitVisible(`article h1`),
	))
	if got := text(`.byline`); got != "By Our correspondent" {
		t.Errorf("the article's byline is %q", got)
	}
	if dir := os.Getenv("TAMIZDAT_SCREENSHOTS"); dir != "" {
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		must(err)
		os.WriteFile(filepath.Join(dir, "published-article.png"), shot, 0o644)
	}
}
