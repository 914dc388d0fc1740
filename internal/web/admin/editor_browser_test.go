package admin_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/web/admin"
	"github.com/tamizdat/tamizdat/internal/web/site"
)

// TestWriteAndPublishInBrowser is issue 3's journey in Chromium: an editor
// signs in and enrols a passkey, writes an article while editor.js keeps
// the live preview up to date, publishes it, and finds it on the front
// page.
func TestWriteAndPublishInBrowser(t *testing.T) {
	ctx := chromium(t)
	bd := startBrowserDesk(t, func(bd *browserDesk, opts *admin.Options, mux *http.ServeMux) {
		public, err := site.New(site.Options{Store: bd.store, Assets: opts.Assets, Log: bd.log})
		if err != nil {
			t.Fatal(err)
		}
		editor := publishing.New(publishing.Options{Store: bd.store, Audit: bd.audit, Log: bd.log})
		opts.Publishing, opts.Site = editor, public
		mux.Handle("GET /preview/{token}", public.PreviewHandler(editor.Preview))
		mux.Handle("/", public.Routes(func(h http.Handler) http.Handler { return h }))
	})
	deskURL := bd.url
	bd.editor(t, "editor@example.org")
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

	// A fresh proof, so publishing needs no further step-up.
	signInAndEnrol(t, ctx, deskURL, "editor@example.org")

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

// signInAndEnrol signs in to the desk in the browser with the password and
// enrols a passkey through admin.js, ending on the dashboard.
func signInAndEnrol(t *testing.T, ctx context.Context, deskURL, email string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(deskURL+"/admin/sign-in"),
		chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, email),
		chromedp.SendKeys(`input[name=password]`, goodPassword),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`form[data-webauthn=create] button`),
		chromedp.Click(`form[data-webauthn=create] button`),
		chromedp.WaitVisible(`ol.codes`),
		chromedp.Click(`a.button`),
		chromedp.WaitVisible(`nav`),
	)
	if err != nil {
		t.Fatal(err)
	}
}
