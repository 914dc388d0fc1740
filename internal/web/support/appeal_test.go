package support_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/pagecache"
	"github.com/tamizdat/tamizdat/internal/web/support"
)

const (
	pageHead = `<!doctype html><html><head><script type="application/ld+json">{"x":"</section>"}</script></head><body><article><p>Story</p></article>
<section class="box signup"><h2>Newsletter</h2></section>
`
	pageAppeal = `<SECTION Class="box appeal" aria-labelledby="appeal-heading"><h2>Give</h2><section class="inner"><p>nested</p></section>
<form method="post" action="support/remind-later"><button>Remind me later.</button></form></section>`
	pageTail = `
<section class="related"><h2>Read more</h2></section></body></html>`
)

func TestHideAppeal(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	cache := pagecache.New(pagecache.Options{Budget: 1 << 20, MaxAge: time.Minute})
	var renders atomic.Int32
	var seen atomic.Value
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renders.Add(1)
		seen.Store(r.URL.String())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, pageHead+pageAppeal+pageTail)
	})
	h := support.HideAppeal(cache.Wrap, func() time.Time { return today })(page)
	get := func(cookie string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/articles/story?page=2", nil)
		if cookie != "" {
			r.Header.Set("Cookie", support.CookieName+"="+cookie)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	full, cut := pageHead+pageAppeal+pageTail, pageHead+pageTail
	for _, tc := range []struct {
		name, cookie, want, cacheControl string
		renders                          int32
	}{
		{"no cookie", "", full, "public", 1},
		{"hidden until today", "2026-03-10", cut, "private", 2},
		{"hidden, from the cache", "2026-04-20", cut, "private", 2},
		{"no cookie, from the cache", "", full, "public", 2},
		{"date passed", "2026-03-09", full, "public", 2},
		{"too far ahead to be ours", "2028-01-01", full, "public", 2},
		{"not a date", "forever", full, "public", 2},
	} {
		w := get(tc.cookie)
		if got := w.Body.String(); got != tc.want {
			t.Errorf("%s: page =\n%s\nwant\n%s", tc.name, got, tc.want)
		}
		if cc := w.Header().Get("Cache-Control"); !strings.HasPrefix(cc, tc.cacheControl+",") {
			t.Errorf("%s: Cache-Control = %q, want %s", tc.name, cc, tc.cacheControl)
		}
		if vary := w.Header().Get("Vary"); vary != "Accept-Encoding, Cookie" {
			t.Errorf("%s: Vary = %q", tc.name, vary)
		}
		if n := renders.Load(); n != tc.renders {
			t.Errorf("%s: %d renders so far, want %d", tc.name, n, tc.renders)
		}
		if u := seen.Load(); u != "/articles/story?page=2" {
			t.Errorf("%s: the page saw the address %v", tc.name, u)
		}
	}
}

func TestAppealHidden(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 31, 23, 59, 0, 0, time.FixedZone("MSK", 3*3600)) // 20:59 UTC
	for cookie, want := range map[string]bool{
		"2026-12-31": true, "2027-06-01": true, "2026-12-30": false, "2028-02-10": false,
		"": false, "2026-13-01": false, "2026-12-31T00:00:00Z": false,
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.AddCookie(&http.Cookie{Name: support.CookieName, Value: cookie})
		if got := support.AppealHidden(r, now); got != want {
			t.Errorf("cookie %q: hidden = %v, want %v", cookie, got, want)
		}
	}
}
