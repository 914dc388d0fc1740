package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"golang.org/x/net/html"

	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/demo"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

const seedTitle = "Top U.S., Russian Diplomats Discuss Next Steps on Ukraine"

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// demoSite loads the demo content into st and returns the full handler.
func demoSite(t *testing.T, st *store.Store) (http.Handler, func(context.Context, int64) error) {
	t.Helper()
	ctx := context.Background()
	cfg := config.Config{Demo: true, CacheBytes: 16 << 20, CacheMaxAge: time.Minute, BaseURL: "https://news.example"}
	if err := prepare(ctx, st, cfg, quietLog); err != nil {
		t.Fatal(err)
	}
	h, refresh, err := Handler(ctx, st, cfg, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	return h, refresh
}

// get requests target from h, with the given header names and values. A
// target given as a path goes to the demo site's main host.
func get(h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if strings.HasPrefix(target, "/") {
		r.Host = "news.example"
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// visibleText returns the text a reader sees in an HTML page, with
// whitespace collapsed and block elements separated by a space.
func visibleText(t *testing.T, page string) string {
	t.Helper()
	inline := map[string]bool{"a": true, "span": true, "time": true, "em": true, "strong": true, "i": true, "b": true, "code": true}
	hidden := map[string]bool{"title": true, "style": true, "script": true}
	z := html.NewTokenizer(strings.NewReader(page))
	var b strings.Builder
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return strings.Join(strings.Fields(b.String()), " ")
		case html.StartTagToken, html.EndTagToken:
			n, _ := z.TagName()
			if hidden[string(n)] {
				if tt == html.StartTagToken {
					skip++
				} else {
					skip--
				}
			}
			if !inline[string(n)] {
				b.WriteByte(' ')
			}
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		}
	}
}

func TestReaderPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h, _ := demoSite(t, st)
		ctx := context.Background()
		all, _, err := st.ListArticles(ctx, store.ArticleQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var draft, scheduled, russian string
		for _, a := range all {
			switch {
			case a.Status == model.StatusDraft:
				draft = a.Slug
			case a.Status == model.StatusScheduled:
				scheduled = a.Slug
			case a.Language == "ru":
				russian = a.Slug
			}
		}
		if draft == "" || scheduled == "" || russian == "" {
			t.Fatalf("demo content lacks a draft (%q), a scheduled (%q) or a Russian (%q) article", draft, scheduled, russian)
		}
		seed := "/articles/" + content.Slug(seedTitle)
		tests := []struct {
			name, path string
			status     int
			contains   []string
			absent     []string
		}{
			{"front page", "/", 200, []string{"Latest news", "Min read", `href="./articles/`, "Older →"}, []string{"← Newer"}},
			{"front page 2", "/?page=2", 200, []string{"Page 2 of", "← Newer", `href="./"`}, nil},
			{"page beyond the last", "/?page=500", 404, []string{"There is no page 500 here; the last page is"}, nil},
			{"negative page", "/?page=-1", 400, []string{"is not a page number"}, nil},
			{"page not a number", "/?page=abc", 400, []string{"is not a page number"}, nil},
			{"page with 30 digits", "/?page=123456789012345678901234567890", 400, []string{"is not a page number"}, nil},
			{"seed article", seed, 200, []string{seedTitle, `href="../tags/lavrov"`, `rel="canonical" href="https://news.example` + seed + `"`}, nil},
			{"unknown article", "/articles/no-such-story", 404, []string{"We could not find this article"}, nil},
			{"draft is hidden", "/articles/" + draft, 404, nil, nil},
			{"scheduled is hidden until due", "/articles/" + scheduled, 404, nil, nil},
			{"russian article", "/articles/" + russian, 200, []string{`lang="ru"`}, nil},
			{"tag page", "/tags/lavrov", 200, []string{"<h1>Lavrov</h1>", seedTitle}, nil},
			{"unknown tag", "/tags/no-such-tag", 404, []string{"no topic"}, []string{"tags/no-such-tag/feed.xml"}},
			{"author page", "/authors/afp", 200, []string{"<h1>AFP</h1>", seedTitle, `href="../articles/`}, nil},
			{"unknown author", "/authors/nobody", 404, nil, nil},
			{"archive", "/archive", 200, []string{"2025", "March", `href="./archive/2025/03"`}, nil},
			{"archive month", "/archive/2025/03", 200, []string{"March 2025", seedTitle, `href="../../articles/`}, nil},
			{"archive month 13", "/archive/2025/13", 404, []string{"archive/2025/03"}, nil},
			{"archive bad year", "/archive/abcd/01", 404, nil, nil},
			{"about page", "/about", 200, []string{"<h1>About</h1>"}, nil},
			{"privacy policy", "/privacy-policy", 200, []string{"<h1>Privacy Policy</h1>"}, nil},
			{"unknown page", "/no-such-page", 404, []string{"Go to the front page"}, nil},
			{"deep unknown path", "/a/b/c/d", 404, []string{`href="../../../"`}, nil},
			{"health", "/healthz", 200, []string{"ok"}, nil},
			{"demo image", "/media/demo/diplomats.jpg", 200, nil, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				w := get(h, tt.path)
				if w.Code != tt.status {
					t.Fatalf("GET %s = %d, want %d; body:\n%.500s", tt.path, w.Code, tt.status, w.Body.String())
				}
				body := w.Body.String()
				for _, s := range tt.contains {
					if !strings.Contains(body, s) {
						t.Errorf("GET %s: body lacks %q", tt.path, s)
					}
				}
				for _, s := range tt.absent {
					if strings.Contains(body, s) {
						t.Errorf("GET %s: body has %q", tt.path, s)
					}
				}
				if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
					t.Errorf("GET %s: Content-Security-Policy = %q", tt.path, csp)
				}
				if w.Header().Get("Set-Cookie") != "" {
					t.Errorf("GET %s set a cookie on an anonymous reader", tt.path)
				}
				// Sharing metadata (og:url, JSON-LD) may name the main host;
				// no link, asset or form may (requirement C2).
				n := 0
				for _, attr := range []string{`href="https://news.example`, `src="https://news.example`, `srcset="https://news.example`, `action="https://news.example`} {
					n += strings.Count(body, attr)
				}
				if n > strings.Count(body, `rel="canonical"`) {
					t.Errorf("GET %s: %d absolute links to the main host; only the canonical link may be absolute", tt.path, n)
				}
				if strings.Contains(body, `src="http`) || strings.Contains(body, `rel="stylesheet" href="http`) {
					t.Errorf("GET %s: page loads something from another host", tt.path)
				}
			})
		}
	})
}

// TestSeedArticlePage checks that the demo article page shows every
// reader-facing element of the seed page, in the seed's order.
func TestSeedArticlePage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h, _ := demoSite(t, st)
		w := get(h, "/articles/"+content.Slug(seedTitle))
		if w.Code != 200 {
			t.Fatalf("status %d", w.Code)
		}
		text := visibleText(t, w.Body.String())
		inOrder := []string{
			"Support " + demo.SiteName + "! Contribute today",
			seedTitle,
			"By AFP",
			"March 16, 2025",
			"Top U.S. and Russian diplomats meet in Saudi Arabia on Feb. 18. Russian Foreign Ministry/TASS",
			"U.S. Secretary of State Marco Rubio and Russia's Foreign Minister Sergei Lavrov spoke on Saturday to discuss the next stage in talks on ending Moscow's war against Ukraine.",
			`According to State Department spokeswoman Tammy Bruce, the top diplomats "agreed to continue working toward restoring communication between the United States and Russia."`,
			"The statement gave no details on when the next round of U.S.-Russia talks, which are being hosted by Saudi Arabia, would begin.",
			"Rubio also updated Lavrov on military activity in the Middle East, where U.S. forces carried out deadly strikes Saturday against Huthi rebel targets in Yemen, the statement said.",
			"Despite recent tensions between President Donald Trump and his Ukrainian counterpart Volodymyr Zelensky, Kyiv has agreed in principle to a U.S.-brokered 30-day unconditional ceasefire if Moscow halts its attacks in eastern Ukraine.",
			"Russia's President Vladimir Putin has not however agreed to any truce, instead setting conditions that were beyond what was called for in the U.S. agreement with Ukraine.",
			"Read more about: U.S., US-Russia, Lavrov, Diplomacy, Ukraine war",
			"Sign up for our free weekly newsletter",
			"every Friday",
			"Preview",
			"Subscribers agree to the Privacy Policy",
			"A Message from " + demo.SiteName + ":",
			"Dear readers,",
			"Once", "Monthly", "Annual",
			"$2",
			"Continue",
			"Not ready to support today? Remind me later.",
			"Read more",
			"Zelensky Offers to Resign in Exchange for Ukrainian NATO Membership",
			"The Ukrainian president made the offer as news agencies reported that U.S. and Russian diplomats would meet next week.",
			"2 Min read",
			"Russia Demands U.S. Withdraw ‘Soldiers and Equipment’ From Ukraine",
			"1 Min read",
			"Russia Threatens U.S. Envoy With Expulsions Over Anti-War Posts",
			"1 Min read",
			"U.S. Curbs Intelligence Sharing With Ukraine – WP",
			"1 Min read",
		}
		rest := text
		for _, want := range inOrder {
			i := strings.Index(rest, want)
			if i < 0 {
				t.Fatalf("article page lacks %q after the previous element; page text from there:\n%.1500s", want, rest)
			}
			rest = rest[i+len(want):]
		}
	})
}

func TestCachingAndCompression(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h, refresh := demoSite(t, st)
		path := "/articles/" + content.Slug(seedTitle)
		plain := get(h, path)
		etag, modified := plain.Header().Get("ETag"), plain.Header().Get("Last-Modified")
		if etag == "" || modified == "" {
			t.Fatalf("no validators: ETag %q Last-Modified %q", etag, modified)
		}
		if cc := plain.Header().Get("Cache-Control"); !strings.Contains(cc, "public, max-age=60") {
			t.Errorf("Cache-Control = %q", cc)
		}
		if got := get(h, path, "If-None-Match", etag); got.Code != http.StatusNotModified || got.Body.Len() != 0 {
			t.Errorf("If-None-Match with the current ETag: %d with %d bytes, want 304 and none", got.Code, got.Body.Len())
		}
		if got := get(h, path, "If-Modified-Since", modified); got.Code != http.StatusNotModified {
			t.Errorf("If-Modified-Since: %d, want 304", got.Code)
		}
		if got := get(h, path, "If-None-Match", `"something-else"`); got.Code != 200 {
			t.Errorf("If-None-Match with another ETag: %d, want 200", got.Code)
		}

		gz := get(h, path, "Accept-Encoding", "gzip")
		if gz.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("gzip not used: %v", gz.Header())
		}
		zr, err := gzip.NewReader(gz.Body)
		if err != nil {
			t.Fatal(err)
		}
		unzipped, _ := io.ReadAll(zr)
		if !bytes.Equal(unzipped, plain.Body.Bytes()) {
			t.Error("gzip body differs from the identity body")
		}
		br := get(h, path, "Accept-Encoding", "gzip, deflate, br")
		if br.Header().Get("Content-Encoding") != "br" {
			t.Fatalf("brotli not preferred: %v", br.Header())
		}
		unbr, _ := io.ReadAll(brotli.NewReader(br.Body))
		if !bytes.Equal(unbr, plain.Body.Bytes()) {
			t.Error("brotli body differs from the identity body")
		}
		if get(h, path, "Accept-Encoding", "br;q=0, gzip").Header().Get("Content-Encoding") != "gzip" {
			t.Error("br;q=0 must refuse brotli")
		}

		// An edit shows at once after the refresh that follows a version change.
		ctx := context.Background()
		a, err := st.ArticleBySlug(ctx, content.Slug(seedTitle))
		if err != nil {
			t.Fatal(err)
		}
		a.Title = "Edited headline for the cache test"
		if err := st.UpdateArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
		v, err := st.ContentVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := refresh(ctx, v); err != nil {
			t.Fatal(err)
		}
		after := get(h, path)
		if !strings.Contains(after.Body.String(), "Edited headline for the cache test") {
			t.Error("edited title not shown after the content version moved")
		}
		if after.Header().Get("ETag") == etag {
			t.Error("ETag unchanged after an edit")
		}
	})
}
