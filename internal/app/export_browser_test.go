package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/mmcdole/gofeed"

	"github.com/tamizdat/tamizdat/internal/web/site"
)

// readingPath is one way to the site: its root address, ending in "/",
// and how the address of a page is written under it.
type readingPath struct {
	name string
	root string
	page func(sitePath string) string
}

// TestTwoReadingPaths (requirement C12) reads the site through two paths
// that share no provider: the origin server, and its static export served
// by a plain file server under a sub-folder, as an object-storage bucket
// or a shared host serves it. Each path gets the same reader checks in a
// real browser with JavaScript off: articles complete (C9), with their
// stylesheet and images, uploads included; links that land on existing
// pages, the page on how to reach us among them; not one request to
// another host or outside the folder (C1); and feeds that a real feed
// parser reads in full.
func TestTwoReadingPaths(t *testing.T) {
	ctx := browser(t)
	if err := chromedp.Do(ctx); err != nil { // the paths' tabs share this browser
		t.Fatal(err)
	}
	origin := httptest.NewUnstartedServer(nil)
	dir, _, handler := exportSiteAt(t, "http://"+origin.Listener.Addr().String())
	origin.Config.Handler = handler
	origin.Start()
	defer origin.Close()
	const prefix = "/outlet-mirror/"
	mux := http.NewServeMux()
	mux.Handle(prefix, http.StripPrefix(prefix, http.FileServer(http.Dir(dir))))
	static := httptest.NewServer(mux)
	defer static.Close()

	for _, p := range []readingPath{
		{"origin", origin.URL + "/", func(sitePath string) string { return sitePath }},
		{"static mirror", static.URL + prefix, func(sitePath string) string { return sitePath + ".html" }},
	} {
		t.Run(p.name, func(t *testing.T) { readThrough(t, ctx, p) })
	}
}

// readThrough runs the reader checks on one path, in a tab of its own.
func readThrough(t *testing.T, browserCtx context.Context, p readingPath) {
	ctx, closeTab := chromedp.NewContext(browserCtx)
	defer closeTab()
	root, err := url.Parse(p.root)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var requested []string
	failed := map[string]int64{}
	err = chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			requested = append(requested, e.Request.URL)
		case *network.EventResponseReceived:
			if e.Response.Status >= 400 && !strings.HasSuffix(e.Response.URL, "/favicon.ico") {
				failed[e.Response.URL] = e.Response.Status
			}
		}
	})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(err)
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		must(err)
		return s
	}
	loaded := func(img string) bool {
		t.Helper()
		w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector('`+img+`').naturalWidth`))
		must(err)
		return w > 0
	}
	_, err = chromedp.Call(ctx, network.Enable, network.EnableParams{})
	must(err)
	_, err = chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	must(err)

	must(chromedp.Do(ctx, chromedp.Navigate(p.root+p.page("articles/story-5")), chromedp.WaitReady("footer")))
	if h := text("h1"); h != "Story 5" {
		t.Errorf("the article's heading is %q", h)
	}
	if body := text(".body"); !strings.Contains(body, "Paragraph one of story 5.") || !strings.Contains(body, "See the first story, our site or elsewhere.") {
		t.Errorf("the article's text is incomplete without JavaScript: %q", body)
	}
	bannerColour, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('.banner')).backgroundColor`))
	must(err)
	if bannerColour == "" || bannerColour == "rgba(0, 0, 0, 0)" {
		t.Errorf("the stylesheet did not apply: banner background is %q", bannerColour)
	}
	if !loaded("figure img") {
		t.Error("the lead image did not load")
	}
	must(chromedp.Do(ctx, chromedp.Click(`nav.tags a`), chromedp.WaitReady(`ul.cards`)))
	landed, err := chromedp.Run(ctx, chromedp.Location())
	must(err)
	if want := p.root + p.page("tags/economy"); landed != want || text("h1") != "Economy" {
		t.Errorf("the topic link led to %s, want %s", landed, want)
	}

	must(chromedp.Do(ctx, chromedp.Navigate(p.root+p.page("articles/"+uploadedSlug)), chromedp.WaitReady("footer")))
	if !loaded("figure img") || !loaded(".body img") {
		t.Error("the uploaded images did not load")
	}
	if body := text(".body"); !strings.Contains(body, "It ended at noon.") {
		t.Errorf("the article's text is incomplete without JavaScript: %q", body)
	}
	must(chromedp.Do(ctx, chromedp.Click(`footer a[href$="reach"], footer a[href$="reach.html"]`), chromedp.WaitReady(`h2`)))
	landed, err = chromedp.Run(ctx, chromedp.Location())
	must(err)
	if want := p.root + p.page("reach"); landed != want || text("h1") != "How to reach us" {
		t.Errorf("the footer's link to how to reach us led to %s, want %s", landed, want)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(requested) < 7 {
		t.Errorf("expected the pages, their stylesheet and images to be requested; saw %v", requested)
	}
	for _, u := range requested {
		r, err := url.Parse(u)
		if err == nil && r.Host == root.Host && r.Path == "/favicon.ico" {
			continue // the browser's own habit when a page names no icon, not the page's request
		}
		if err != nil || r.Host != root.Host || !strings.HasPrefix(r.Path, root.Path) {
			t.Errorf("a request left the path %s: %s", p.root, u)
		}
	}
	for u, status := range failed {
		t.Errorf("%s answered %d", u, status)
	}

	for _, name := range []string{"feed.xml", "atom.xml", "feed.json"} {
		resp, err := http.Get(p.root + name)
		must(err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		must(err)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", name, resp.StatusCode)
			continue
		}
		f, err := gofeed.NewParser().ParseString(string(body))
		if err != nil {
			t.Errorf("%s: a feed parser cannot read it: %v", name, err)
			continue
		}
		if len(f.Items) != site.FeedSize || f.Items[0].Title != "Story 44" || !strings.Contains(f.Items[0].Content, "Paragraph one of story 44.") {
			t.Errorf("%s: %d items, the first %q with text %q; want %d, the newest in full", name, len(f.Items), f.Items[0].Title, f.Items[0].Content, site.FeedSize)
		}
	}
}
