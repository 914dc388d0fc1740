package admin_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/blob"
	"github.com/tamizdat/tamizdat/internal/media"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/web/admin"
	"github.com/tamizdat/tamizdat/internal/web/site"
)

// TestWriteAndPublishInBrowser is issue 3's journey in Chromium: an editor
// signs in and enrols a passkey, writes an article while editor.js keeps
// the live preview up to date, uploads a photo from the phone (with its
// GPS position) as the lead image with a caption, publishes it after
// confirming with the passkey (the text typed before is kept through the
// step-up), and finds it with its image on the front page and its own
// page.
func TestWriteAndPublishInBrowser(t *testing.T) {
	ctx := chromium(t)
	bd := startBrowserDesk(t, func(bd *browserDesk, opts *admin.Options, mux *http.ServeMux) {
		uploads := media.New(bd.store, blob.NewMemory(), media.Options{Log: bd.log})
		public, err := site.New(site.Options{Store: bd.store, Assets: opts.Assets, Media: uploads, Now: bd.clock.Now, Log: bd.log})
		if err != nil {
			t.Fatal(err)
		}
		editor := publishing.New(publishing.Options{Store: bd.store, Audit: bd.audit, Now: bd.clock.Now, Log: bd.log})
		opts.Publishing, opts.Site, opts.Media = editor, public, uploads
		mux.Handle("GET /preview/{token}", public.PreviewHandler(editor.Preview))
		mux.Handle("/", public.Routes(func(h http.Handler) http.Handler { return h }))
	})
	deskURL := bd.url
	bd.editor(t, "editor@example.org")
	photo := filepath.Join(t.TempDir(), "flood.jpg")
	if err := os.WriteFile(photo, gpsJPEG(t, 1000, 625), 0o600); err != nil {
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

	signInAndEnrol(t, ctx, deskURL, "editor@example.org")
	// The proof of enrolment is past the step-up window by the time the
	// article is written.
	bd.clock.Advance(accounts.StepUpWindow + time.Minute)

	// Write with a photo, watching the live preview follow the text.
	const title = "Floods reach the capital"
	const caption = "Volunteers fill sandbags by the river."
	must(chromedp.Do(ctx,
		chromedp.Navigate(deskURL+"/admin/articles/new"),
		chromedp.WaitVisible(`input[name=title]`),
		chromedp.SendKeys(`input[name=title]`, title),
		chromedp.SendKeys(`textarea[name=summary]`, "Rivers rose overnight."),
		chromedp.SendKeys(`textarea[name=body]`, "The water is **rising**.\n\n<script>document.title='owned'</script>"),
		chromedp.SendKeys(`input[name=new_byline]`, "Our correspondent"),
		chromedp.SetUploadFiles(`input[name=image_file]`, []string{photo}),
		chromedp.SendKeys(`input[name=image_alt]`, "Volunteers carry sandbags along a flooded street"),
		chromedp.SendKeys(`input[name=image_caption]`, caption),
		chromedp.SendKeys(`input[name=image_credit]`, "Photo: Our correspondent"),
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

	// Publish: the desk asks for the passkey, then gives the form back
	// with everything typed and the uploaded photo; publish again.
	must(chromedp.Do(ctx,
		chromedp.Click(`button[name=action][value=publish]`),
		chromedp.WaitVisible(`form[data-webauthn=get] button`),
		chromedp.Click(`form[data-webauthn=get] button`),
		chromedp.WaitVisible(`p.message`),
	))
	if got := text(`p.message`); !strings.Contains(got, "Your changes are back") {
		t.Errorf("back from the step-up the desk says %q", got)
	}
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`["title", "image_caption", "new_byline", "image_url"].map(
		n => document.querySelector("[name=" + n + "]").value)`))
	must(err)
	if len(kept) != 4 || kept[0] != title || kept[1] != caption || kept[2] != "Our correspondent" || !strings.HasPrefix(kept[3], "/media/") {
		t.Fatalf("the form after the step-up holds %q; want the title, caption, byline and the uploaded photo", kept)
	}
	must(chromedp.Do(ctx,
		chromedp.Click(`button[name=action][value=publish]`),
		chromedp.WaitVisible(`.status-published`),
	))
	if got := text(`p.message`); !strings.HasPrefix(got, "Published") {
		t.Errorf("after publishing the desk says %q", got)
	}

	// The reader's view: the front page's lead story and the article, each
	// with the photo in its responsive sizes, loaded.
	photoOn := func(sel string) {
		t.Helper()
		type shown struct {
			Src, Srcset, Alt string
			Loaded           int
		}
		img, err := chromedp.Run(ctx, chromedp.Evaluate[shown](`(() => { const i = document.querySelector(`+strconv.Quote(sel)+`);
			return i ? {src: i.getAttribute("src"), srcset: i.getAttribute("srcset") || "", alt: i.alt, loaded: i.naturalWidth} : {}; })()`))
		must(err)
		if !strings.Contains(img.Srcset, "-480.jpg 480w") || !strings.Contains(img.Srcset, ".jpg 1000w") ||
			img.Alt != "Volunteers carry sandbags along a flooded street" || img.Loaded == 0 {
			t.Errorf("%s: the photo is %+v; want its srcset, alt text, and loaded", sel, img)
		}
	}
	must(chromedp.Do(ctx,
		chromedp.Navigate(deskURL+"/"),
		chromedp.WaitVisible(`ul.cards`),
		chromedp.WaitReady(`ul.cards li img`),
	))
	if got := text(`ul.cards li h3 a`); got != title {
		t.Errorf("the front page's first article is %q, want %q", got, title)
	}
	photoOn("ul.cards li img")
	must(chromedp.Do(ctx,
		chromedp.Click(`ul.cards li h3 a`),
		chromedp.WaitVisible(`article h1`),
	))
	if got := text(`.byline`); got != "By Our correspondent" {
		t.Errorf("the article's byline is %q", got)
	}
	photoOn("article figure img")
	if got := text(`article figcaption`); !strings.Contains(got, caption) || !strings.Contains(got, "Photo: Our correspondent") {
		t.Errorf("the photo's caption reads %q", got)
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
