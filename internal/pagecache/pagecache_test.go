package pagecache

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// counting serves a page of size bytes and counts how often it rendered.
func counting(size int, renders *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renders.Add(1)
		switch r.URL.Path {
		case "/missing":
			http.Error(w, "no", http.StatusNotFound)
			return
		case "/cookie":
			http.SetCookie(w, &http.Cookie{Name: "c", Value: "1"})
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(strings.Repeat("x", size-len(r.URL.Path)) + r.URL.Path))
	})
}

func do(h http.Handler, method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}

func TestWhatIsCached(t *testing.T) {
	var renders atomic.Int64
	c := New(Options{Budget: 1 << 20, MaxAge: time.Minute})
	h := c.Wrap(counting(1000, &renders))
	tests := []struct {
		target       string
		wantRenders  int64 // after two requests
		wantStatus   int
		wantCacheHdr bool
	}{
		{"/a", 1, 200, true},
		{"/a?page=2", 1, 200, true},
		{"/a?utm_source=x", 2, 200, true}, // junk queries are never stored
		{"/a?page=abc", 2, 200, true},
		{"/missing", 2, 404, false},
		{"/cookie", 2, 200, false},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			before := renders.Load()
			for range 2 {
				w := do(h, http.MethodGet, tt.target)
				if w.Code != tt.wantStatus {
					t.Fatalf("status %d, want %d", w.Code, tt.wantStatus)
				}
				if got := w.Header().Get("ETag") != ""; got != tt.wantCacheHdr {
					t.Errorf("ETag present = %v, want %v", got, tt.wantCacheHdr)
				}
			}
			if got := renders.Load() - before; got != tt.wantRenders {
				t.Errorf("rendered %d times for two requests, want %d", got, tt.wantRenders)
			}
		})
	}
	if w := do(h, http.MethodPost, "/a"); w.Code != 200 || renders.Load() == 0 {
		t.Errorf("POST passes through: %d", w.Code)
	}
	head := do(h, http.MethodHead, "/a")
	if head.Code != 200 || head.Body.Len() != 0 || head.Header().Get("Content-Length") != "1000" {
		t.Errorf("HEAD: %d, %d body bytes, Content-Length %q", head.Code, head.Body.Len(), head.Header().Get("Content-Length"))
	}
}

func TestBudgetEvictsLeastRecentlyUsed(t *testing.T) {
	var renders atomic.Int64
	// Each entry takes a little over 8 KB (its text compresses to almost
	// nothing), so four fit in the budget and a fifth evicts one.
	c := New(Options{Budget: 40 << 10, MaxAge: time.Minute})
	h := c.Wrap(counting(8<<10, &renders))
	for _, p := range []string{"/1", "/2", "/3", "/4", "/1", "/5"} {
		do(h, "GET", p) // "/1" is used again before "/5" arrives
	}
	if c.Len() != 4 {
		t.Fatalf("%d entries cached, want the 4 the budget holds", c.Len())
	}
	c.mu.Lock()
	used := c.bytes
	c.mu.Unlock()
	if used > 40<<10 {
		t.Errorf("cache holds %d bytes, over its budget", used)
	}
	before := renders.Load()
	do(h, "GET", "/1")
	if renders.Load() != before {
		t.Error("a recently used page was evicted")
	}
	do(h, "GET", "/2")
	if renders.Load() != before+1 {
		t.Error("the least recently used page was kept")
	}
}

func TestVersionChangeEmptiesAndStaleRenderIsNotStored(t *testing.T) {
	var renders atomic.Int64
	c := New(Options{Budget: 1 << 20, MaxAge: time.Minute})
	inner := counting(100, &renders)
	// A render that straddles a version change must not be stored: the
	// handler moves the version while it renders.
	bump := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/racy" {
			c.SetVersion(8)
		}
		inner.ServeHTTP(w, r)
	})
	h := c.Wrap(bump)
	do(h, "GET", "/a")
	c.SetVersion(7)
	if c.Len() != 0 {
		t.Fatal("a new content version left pages in the cache")
	}
	do(h, "GET", "/a")
	if c.Len() != 1 {
		t.Fatal("page not cached under the new version")
	}
	c.SetVersion(7)
	if c.Len() != 1 {
		t.Fatal("the same version emptied the cache")
	}
	do(h, "GET", "/racy")
	if _, ok := c.entries["/racy"]; ok {
		t.Error("a page rendered under an older version was stored")
	}
}

func TestConditionalRequests(t *testing.T) {
	var renders atomic.Int64
	c := New(Options{Budget: 1 << 20, MaxAge: time.Minute})
	h := c.Wrap(counting(2000, &renders))
	first := do(h, "GET", "/a")
	etag := first.Header().Get("ETag")
	tests := []struct {
		name   string
		header [2]string
		want   int
	}{
		{"same etag", [2]string{"If-None-Match", etag}, 304},
		{"weak form of the etag", [2]string{"If-None-Match", "W/" + etag}, 304},
		{"etag of the gzip copy", [2]string{"If-None-Match", strings.TrimSuffix(etag, `"`) + `-gz"`}, 304},
		{"one of a list", [2]string{"If-None-Match", `"other", ` + etag}, 304},
		{"star", [2]string{"If-None-Match", "*"}, 304},
		{"other etag", [2]string{"If-None-Match", `"other"`}, 200},
		{"modified since long ago", [2]string{"If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT"}, 200},
		{"not modified since", [2]string{"If-Modified-Since", first.Header().Get("Last-Modified")}, 304},
		{"unparseable date", [2]string{"If-Modified-Since", "yesterday"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/a", nil)
			r.Header.Set(tt.header[0], tt.header[1])
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("%s: %q → %d, want %d", tt.header[0], tt.header[1], w.Code, tt.want)
			}
		})
	}
}
