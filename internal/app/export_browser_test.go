package app

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestExportInBrowser serves an export from a plain file server under a
// sub-folder, as an object store or a shared host would, and reads an
// article in a real browser: nothing may be asked of another host or
// outside the folder, the stylesheet and image must load, and following a
// link must land on an existing page.
func TestExportInBrowser(t *testing.T) {
	ctx := browser(t)
	dir, _, _ := exportSite(t)
	const prefix = "/outlet-mirror/"
	mux := http.NewServeMux()
	mux.Handle(prefix, http.StripPrefix(prefix, http.FileServer(http.Dir(dir))))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	server, _ := url.Parse(srv.URL)

	var mu sync.Mutex
	var requested []string
	failed := map[string]int64{}
	err := chromedp.Listen(ctx, func(ev any) {
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
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = chromedp.Call(ctx, network.Enable, network.EnableParams{})
	must(err)
	_, err = chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	must(err)
	must(chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+prefix+"articles/story-5.html"),
		chromedp.WaitReady("footer"),
	))
	heading, err := chromedp.Run(ctx, chromedp.Text("h1"))
	must(err)
	bannerColour, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('.banner')).backgroundColor`))
	must(err)
	imageWidth, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector('figure img').naturalWidth`))
	must(err)
	must(chromedp.Do(ctx, chromedp.Click(`nav.tags a`), chromedp.WaitReady(`ul.cards`)))
	landed, err := chromedp.Run(ctx, chromedp.Location())
	must(err)
	tagHeading, err := chromedp.Run(ctx, chromedp.Text("h1"))
	must(err)

	mu.Lock()
	defer mu.Unlock()
	if heading != "Story 5" {
		t.Errorf("the article's heading is %q", heading)
	}
	if bannerColour == "" || bannerColour == "rgba(0, 0, 0, 0)" {
		t.Errorf("the stylesheet did not apply: banner background is %q", bannerColour)
	}
	if imageWidth == 0 {
		t.Error("the lead image did not load")
	}
	if landed != srv.URL+prefix+"tags/economy.html" || tagHeading != "Economy" {
		t.Errorf("the topic link led to %s, headed %q", landed, tagHeading)
	}
	if len(requested) < 4 {
		t.Errorf("expected the page, its stylesheet, its image and the topic page to be requested; saw %v", requested)
	}
	for _, u := range requested {
		p, err := url.Parse(u)
		if err == nil && p.Host == server.Host && p.Path == "/favicon.ico" {
			continue // the browser's own habit when a page names no icon, not the page's request
		}
		if err != nil || p.Host != server.Host || !strings.HasPrefix(p.Path, prefix) {
			t.Errorf("the copy made a request outside its folder: %s", u)
		}
	}
	for u, status := range failed {
		t.Errorf("%s answered %d", u, status)
	}
}
