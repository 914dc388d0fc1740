package app

import (
	"context"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/tamizdat/tamizdat/internal/browsertest"
	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/demo"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// browser starts headless Chromium, or skips the test when there is none —
// unless TAMIZDAT_REQUIRE_BROWSER=1 (as in CI), where a missing browser fails.
func browser(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Start(t)
}

// TestArticlePageInBrowser loads the demo article page through a mirror
// address in a real browser with JavaScript off and checks what a reader
// sees, and that the page asks nothing of any other host.
func TestArticlePageInBrowser(t *testing.T) {
	ctx := browser(t)
	st := storetest.New(t)
	h, refresh := demoSite(t, st)
	srv := httptest.NewServer(h)
	defer srv.Close()
	// The browser reaches the site through a listed mirror address.
	addMirrors(t, st, refresh, srv.URL+"/")
	server, _ := url.Parse(srv.URL)

	var mu sync.Mutex
	var requested []string
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requested = append(requested, e.Request.URL)
			mu.Unlock()
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
		chromedp.EmulateViewport(412, 915), // a phone
		chromedp.Navigate(srv.URL+"/articles/"+content.Slug(seedTitle)),
		chromedp.WaitReady("footer"),
	))
	text, err := chromedp.Run(ctx, chromedp.Text("body"))
	must(err)
	bannerColour, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('.banner')).backgroundColor`))
	must(err)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must(err)
	must(chromedp.Do(ctx, chromedp.Click(`label:has(#freq-once)`)))
	onceText, err := chromedp.Run(ctx, chromedp.Text(".box.appeal"))
	must(err)
	if dir := os.Getenv("TAMIZDAT_SCREENSHOTS"); dir != "" {
		os.WriteFile(filepath.Join(dir, "article-phone.png"), shot, 0o644)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(requested) < 3 {
		t.Fatalf("expected the page, its stylesheet and its image to be requested; saw %v", requested)
	}
	for _, u := range requested {
		p, err := url.Parse(u)
		if err != nil || p.Host != server.Host {
			t.Errorf("the page made a request to another host: %s", u)
		}
	}
	if bannerColour == "" || bannerColour == "rgba(0, 0, 0, 0)" {
		t.Errorf("the stylesheet did not apply: banner background is %q", bannerColour)
	}
	for _, want := range []string{
		"Support " + demo.SiteName + "!", "Contribute today", seedTitle, "By AFP",
		"Russian Foreign Ministry/TASS", "Read more about:", "Sign up for our free weekly newsletter",
		"Remind me later.", "Read more", "Zelensky Offers to Resign", "2 Min read",
		"Amount, Monthly", "$2",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the page as a reader sees it lacks %q", want)
		}
	}
	// Without JavaScript, the stylesheet alone shows only the chosen
	// frequency's amounts.
	if strings.Contains(text, "Amount, Once") || strings.Contains(text, "Amount, Annual") {
		t.Errorf("amounts of frequencies not chosen are visible:\n%s", text)
	}
	if !strings.Contains(onceText, "Amount, Once") || strings.Contains(onceText, "Amount, Monthly") {
		t.Errorf("after choosing Once, the appeal shows:\n%s", onceText)
	}
}
