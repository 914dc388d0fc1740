package app

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// TestAppealViewCountedInBrowser loads the demo article page with
// JavaScript on and checks that the appeal coming into view is counted
// once, by a request that carries no cookie, and that nothing is counted
// before the reader scrolls to it.
func TestAppealViewCountedInBrowser(t *testing.T) {
	ctx := browser(t)
	st := storetest.New(t)
	h, refresh := demoSite(t, st)
	var mu sync.Mutex
	var beacons []string // the Cookie header of each view request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/support/seen/") {
			mu.Lock()
			beacons = append(beacons, r.Header.Get("Cookie"))
			mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	addMirrors(t, st, refresh, srv.URL+"/") // the browser reaches the site through a listed address
	views := func() int64 {
		t.Helper()
		f, err := st.DonationFigures(t.Context(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, a := range f.Appeals {
			n += a.Views
		}
		return n
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(chromedp.Do(ctx,
		chromedp.EmulateViewport(412, 915),
		chromedp.Navigate(srv.URL+"/articles/"+content.Slug(seedTitle)),
		chromedp.WaitReady("footer"),
	))
	// A cookie of the site's, which the count must not carry.
	_, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie = "probe=1; path=/"`))
	must(err)
	time.Sleep(time.Second)
	if n := views(); n != 0 {
		t.Fatalf("%d views counted before the appeal came into view", n)
	}
	must(chromedp.Do(ctx, chromedp.ScrollIntoView(".box.appeal")))
	for deadline := time.Now().Add(10 * time.Second); views() == 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
	}
	// Scrolling away and back does not count the same page view again.
	must(chromedp.Do(ctx, chromedp.ScrollIntoView("h1"), chromedp.Sleep(300*time.Millisecond), chromedp.ScrollIntoView(".box.appeal")))
	time.Sleep(time.Second)
	if n := views(); n != 1 {
		t.Errorf("views after the appeal came into view = %d, want 1", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(beacons) != 1 || beacons[0] != "" {
		t.Errorf("view requests carried cookies %q; want one request without any", beacons)
	}
}
