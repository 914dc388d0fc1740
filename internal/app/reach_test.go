package app

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/reach"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// TestMirrorsAndOnion serves the site under its main host, a mirror and its
// onion address, and checks requirements C2 and C4 through the whole stack.
func TestMirrorsAndOnion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h, refresh := demoSite(t, st)
		onion := "http://" + strings.Repeat("n4", 28) + ".onion"
		ctx := context.Background()
		settings, err := st.Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		settings.OnionURL = onion
		if err := st.SaveSettings(ctx, settings); err != nil {
			t.Fatal(err)
		}
		addMirrors(t, st, refresh, "https://mirror.example/")
		article := "/articles/" + content.Slug(seedTitle)

		main := get(h, article)
		if got := main.Header().Get("Onion-Location"); got != onion+article {
			t.Errorf("Onion-Location on the main host = %q, want %q", got, onion+article)
		}
		mirror := get(h, "https://mirror.example"+article)
		if mirror.Code != 200 || mirror.Header().Get("Onion-Location") == "" {
			t.Errorf("mirror: %d, Onion-Location %q", mirror.Code, mirror.Header().Get("Onion-Location"))
		}
		if n := strings.Count(mirror.Body.String(), `href="https://news.example`); n != 1 {
			t.Errorf("the page served on the mirror links %d times to the main host; only the canonical link may", n)
		}
		viaOnion := get(h, onion+article)
		if viaOnion.Code != 200 || viaOnion.Header().Get("Onion-Location") != "" || viaOnion.Header().Get("Strict-Transport-Security") != "" {
			t.Errorf("onion: %d, Onion-Location %q, HSTS %q", viaOnion.Code, viaOnion.Header().Get("Onion-Location"), viaOnion.Header().Get("Strict-Transport-Security"))
		}
		stranger := get(h, "https://unlisted.example"+article)
		if stranger.Code != 421 || stranger.Header().Get("Location") != "" {
			t.Errorf("unlisted host: %d, Location %q; want 421 and no redirect", stranger.Code, stranger.Header().Get("Location"))
		}

		list := get(h, "/mirrors.json")
		var parsed struct {
			Sites []struct {
				MainDomain   string                              `json:"main_domain"`
				Alternatives []struct{ URL, Proto, Type string } `json:"available_alternatives"`
			} `json:"sites"`
		}
		if err := json.Unmarshal(list.Body.Bytes(), &parsed); err != nil {
			t.Fatal(err)
		}
		if len(parsed.Sites) != 1 || parsed.Sites[0].MainDomain != "news.example" || len(parsed.Sites[0].Alternatives) != 2 ||
			parsed.Sites[0].Alternatives[0].URL != onion || parsed.Sites[0].Alternatives[1].URL != "https://mirror.example/" {
			t.Errorf("mirror list: %s", list.Body.String())
		}
	})
}

// TestReachPage reads the "How to reach us" page on the main host and on a
// mirror: it lists every address, names the main one only as text, is
// linked from every page's footer and from the feeds, and changes as soon
// as the mirror list does, through the page cache.
func TestReachPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h, refresh := demoSite(t, st)
		ctx := context.Background()
		settings, err := st.Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		onion := "http://" + strings.Repeat("r5", 28) + ".onion"
		if err := reach.SetOnion(&settings, onion); err != nil {
			t.Fatal(err)
		}
		if err := reach.AddMirror(&settings, "https://copy.example/outlet/", "static", time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := st.SaveSettings(ctx, settings); err != nil {
			t.Fatal(err)
		}
		addMirrors(t, st, refresh, "https://mirror.example/")

		for _, target := range []string{reach.PagePath, "https://mirror.example" + reach.PagePath} {
			w := get(h, target)
			page := w.Body.String()
			if w.Code != 200 {
				t.Fatalf("GET %s: %d", target, w.Code)
			}
			text := visibleText(t, page)
			for _, want := range []string{"How to reach us", "Our main address is news.example.", onion,
				"https://mirror.example/", "https://copy.example/outlet/", "gettor@torproject.org", "Subscribe to the newsletter"} {
				if !strings.Contains(text, want) {
					t.Errorf("GET %s: the page does not say %q:\n%s", target, want, text)
				}
			}
			for _, link := range []string{`href="` + onion + `"`, `href="https://mirror.example/"`, `href="https://copy.example/outlet/"`,
				`href="./feed.xml"`, `href="./atom.xml"`, `href="./feed.json"`, `href="./mirrors.json"`, `href="./newsletter"`} {
				if !strings.Contains(page, link) {
					t.Errorf("GET %s: the page lacks the link %s", target, link)
				}
			}
			if n := strings.Count(page, `"https://news.example`); n != 1 {
				t.Errorf("GET %s: the page names the main host in %d attributes; only the canonical link may", target, n)
			}
			if strings.Contains(page, "<script>") || strings.Contains(page, "http://fonts") {
				t.Errorf("GET %s: the page carries inline script or outside resources", target)
			}
		}

		article := get(h, "/articles/"+content.Slug(seedTitle)).Body.String()
		if !strings.Contains(article, `<a href="../reach">How to reach us</a>`) {
			t.Error("the article page's footer does not link to the page on how to reach us")
		}
		for _, feed := range []string{"/feed.xml", "/atom.xml"} {
			body := get(h, "https://mirror.example"+feed).Body.String()
			if !strings.Contains(body, `href="https://mirror.example/reach" rel="related"`) && !strings.Contains(body, `rel="related" type="text/html" href="https://mirror.example/reach"`) {
				t.Errorf("%s through the mirror does not link to its page on how to reach us:\n%.600s", feed, body)
			}
		}

		var jsonFeed struct {
			Reach struct{ Page, Mirrors string } `json:"_reach"`
		}
		if err := json.Unmarshal(get(h, "https://mirror.example/feed.json").Body.Bytes(), &jsonFeed); err != nil {
			t.Fatal(err)
		}
		if jsonFeed.Reach.Page != "https://mirror.example/reach" || jsonFeed.Reach.Mirrors != "https://mirror.example/mirrors.json" {
			t.Errorf("the JSON Feed through the mirror names %+v as its ways to reach us", jsonFeed.Reach)
		}

		if list := get(h, "https://mirror.example/mirrors.json").Body.String(); !strings.Contains(list, `"reach_page": "https://mirror.example/reach"`) {
			t.Errorf("the mirror list fetched through the mirror does not name its page on how to reach us:\n%s", list)
		}

		// A new mirror shows at once, although the page was cached.
		addMirrors(t, st, refresh, "https://fresh.example/")
		if page := get(h, reach.PagePath).Body.String(); !strings.Contains(page, `href="https://fresh.example/"`) {
			t.Error("the page still shows the old mirror list after a change")
		}
	})
}

// TestEveryFooterLinksToReachPage checks that the news, newsletter and
// donation pages share one frame: each footer links to the "How to reach
// us" page by a relative link that resolves to it from that page, and the
// donation pages' masthead is the news site's.
func TestEveryFooterLinksToReachPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h, _ := demoSite(t, st)
		section := func(page, element string) string {
			start := strings.Index(page, "<"+element)
			end := strings.Index(page, "</"+element+">")
			if start < 0 || end < start {
				return ""
			}
			return page[start:end]
		}
		siteMasthead := section(get(h, "/").Body.String(), "header")
		for _, target := range []string{"/", "/about", "/articles/" + content.Slug(seedTitle), "/no-such-page",
			"/newsletter", "/newsletter/archive", "/newsletter/issues/no-such-issue", "/newsletter/confirm?t=bad",
			"/support", "/support/thanks", "/support/manage", "/support/no-such-page"} {
			w := get(h, target)
			footer := section(w.Body.String(), "footer")
			doc, err := html.Parse(strings.NewReader(footer))
			if err != nil {
				t.Fatal(err)
			}
			var reachHref string
			for n := range doc.Descendants() {
				if n.Type == html.ElementNode && n.Data == "a" && n.FirstChild != nil && n.FirstChild.Data == "How to reach us" {
					for _, a := range n.Attr {
						if a.Key == "href" {
							reachHref = a.Val
						}
					}
				}
			}
			if reachHref == "" {
				t.Errorf("GET %s (%d): the footer has no link to the page on how to reach us:\n%s", target, w.Code, footer)
				continue
			}
			page, _ := url.Parse("https://news.example" + target)
			if got := page.ResolveReference(&url.URL{Path: reachHref}).Path; got != reach.PagePath {
				t.Errorf("GET %s: the footer's link %q leads to %s, not %s", target, reachHref, got, reach.PagePath)
			}
			if target == "/support" && section(w.Body.String(), "header") != siteMasthead {
				t.Errorf("GET %s: the masthead differs from the news site's:\n%s", target, section(w.Body.String(), "header"))
			}
		}
	})
}
