package app

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/demo"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// pageHead is the sharing metadata of a page: its meta tags by property or
// name, the JSON-LD block, and how many bytes they take.
type pageHead struct {
	meta   map[string][]string
	ld     map[string]any
	ldText string
	size   int // from the first Open Graph tag to </head>
}

func parseHead(t *testing.T, page string) pageHead {
	t.Helper()
	h := pageHead{meta: map[string][]string{}}
	if i, j := strings.Index(page, `<meta property="og:`), strings.Index(page, "</head>"); i >= 0 && j > i {
		h.size = j - i
	}
	z := html.NewTokenizer(strings.NewReader(page))
	inLD := false
	for {
		switch z.Next() {
		case html.ErrorToken:
			if h.ldText != "" {
				if err := json.Unmarshal([]byte(h.ldText), &h.ld); err != nil {
					t.Fatalf("JSON-LD does not parse: %v\n%s", err, h.ldText)
				}
			}
			return h
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			attrs := map[string]string{}
			for _, a := range tok.Attr {
				attrs[a.Key] = a.Val
			}
			switch tok.Data {
			case "meta":
				if key := attrs["property"] + attrs["name"]; key != "" {
					h.meta[key] = append(h.meta[key], attrs["content"])
				}
			case "script":
				// The one other script is our own file, loaded by src.
				if src := attrs["src"]; src != "" {
					if !strings.Contains(src, "static/") || strings.Contains(src, "//") {
						t.Errorf("the page loads a script that is not our own: %q", src)
					}
					break
				}
				if attrs["type"] != "application/ld+json" {
					t.Errorf("the page has an inline script of type %q", attrs["type"])
				}
				inLD = true
			}
		case html.TextToken:
			if inLD {
				h.ldText += string(z.Text())
			}
		case html.EndTagToken:
			inLD = false
		}
	}
}

func TestArticleMetadata(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h, _ := demoSite(t, st)
		ctx := context.Background()
		seed, err := st.ArticleBySlug(ctx, content.Slug(seedTitle))
		if err != nil {
			t.Fatal(err)
		}
		canonical := "https://news.example/articles/" + seed.Slug
		w := get(h, canonical)
		if w.Code != 200 {
			t.Fatalf("status %d", w.Code)
		}
		head := parseHead(t, w.Body.String())
		published := seed.PublishedAt.In(seed.Location()).Format(time.RFC3339)
		image := "https://news.example" + seed.LeadImage.URL
		var tagNames []string
		for _, tag := range seed.Tags {
			tagNames = append(tagNames, tag.Name)
		}
		wantMeta := map[string][]string{
			"viewport":               {"width=device-width, initial-scale=1"},
			"description":            {seed.Summary},
			"referrer":               {"no-referrer"},
			"og:type":                {"article"},
			"og:site_name":           {demo.SiteName},
			"og:title":               {seedTitle},
			"og:description":         {seed.Summary},
			"og:url":                 {canonical},
			"og:image":               {image},
			"article:published_time": {published},
			"article:tag":            tagNames,
			"twitter:card":           {"summary_large_image"},
		}
		if diff := cmp.Diff(wantMeta, head.meta); diff != "" {
			t.Errorf("meta tags (-want +got):\n%s", diff)
		}
		wantLD := map[string]any{
			"@context":         "https://schema.org",
			"@type":            "NewsArticle",
			"mainEntityOfPage": canonical,
			"headline":         seedTitle,
			"description":      seed.Summary,
			"datePublished":    published,
			"dateModified":     published,
			"inLanguage":       "en",
			"author":           []any{map[string]any{"@type": "Organization", "name": "AFP", "url": "https://news.example/authors/afp"}},
			"image": map[string]any{
				"@type": "ImageObject", "url": image,
				"width": float64(seed.LeadImage.Width), "height": float64(seed.LeadImage.Height),
			},
			"publisher": map[string]any{"@type": "Organization", "name": demo.SiteName},
		}
		if diff := cmp.Diff(wantLD, head.ld); diff != "" {
			t.Errorf("JSON-LD (-want +got):\n%s", diff)
		}
		// C2: the main host appears only in the declared exceptions.
		rest := w.Body.String()
		for _, exception := range []*regexp.Regexp{
			regexp.MustCompile(`<link rel="canonical" href="[^"]*">`),
			regexp.MustCompile(`<meta property="og:(url|image)" content="[^"]*">`),
			regexp.MustCompile(`<script type="application/ld\+json">[^<]*</script>`),
		} {
			if !exception.MatchString(rest) {
				t.Errorf("the page lacks %s", exception)
			}
			rest = exception.ReplaceAllString(rest, "")
		}
		if strings.Contains(rest, "news.example") {
			t.Errorf("the main host appears outside the canonical link, og:url, og:image and JSON-LD:\n%s", rest)
		}
		t.Logf("Open Graph, Twitter and JSON-LD add %d bytes to the seed article page", head.size)
		if head.size == 0 || head.size >= 2048 {
			t.Errorf("Open Graph, Twitter and JSON-LD take %d bytes, want under 2 KB", head.size)
		}

		// An edited article by a person, and one without a lead image.
		all, _, err := st.ListArticles(ctx, store.ArticleQuery{PublishedAsOf: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		var edited, imageless *model.Article
		for _, a := range all {
			if edited == nil && a.UpdatedAt.After(a.PublishedAt) && len(a.Authors) > 0 && a.Authors[0].Kind != model.AuthorAgency {
				edited = a
			}
			if imageless == nil && a.LeadImage == nil {
				imageless = a
			}
		}
		if edited == nil || imageless == nil {
			t.Fatalf("the demo lacks an edited article by a person (%v) or an article without an image (%v)", edited, imageless)
		}
		head = parseHead(t, get(h, "https://news.example/articles/"+edited.Slug).Body.String())
		modified := edited.UpdatedAt.In(edited.Location()).Format(time.RFC3339)
		if got := head.meta["article:modified_time"]; len(got) != 1 || got[0] != modified {
			t.Errorf("article:modified_time = %q, want %q", got, modified)
		}
		if head.ld["dateModified"] != modified {
			t.Errorf("dateModified = %v, want %q", head.ld["dateModified"], modified)
		}
		if author := head.ld["author"].([]any)[0].(map[string]any); author["@type"] != "Person" || author["name"] != edited.Authors[0].Name {
			t.Errorf("author %v, want the Person %q", author, edited.Authors[0].Name)
		}
		head = parseHead(t, get(h, "https://news.example/articles/"+imageless.Slug).Body.String())
		if head.meta["twitter:card"][0] != "summary" || head.meta["og:image"] != nil || head.ld["image"] != nil {
			t.Errorf("an article without an image has twitter:card %q, og:image %q, JSON-LD image %v",
				head.meta["twitter:card"], head.meta["og:image"], head.ld["image"])
		}
	})
}

// siteWithoutBaseURL is demoSite with no main address configured, so it
// answers on any host name.
func siteWithoutBaseURL(t *testing.T, st *store.Store) http.Handler {
	t.Helper()
	ctx := context.Background()
	cfg := config.Config{Demo: true, CacheBytes: 16 << 20, CacheMaxAge: time.Minute}
	if err := prepare(ctx, st, cfg, quietLog); err != nil {
		t.Fatal(err)
	}
	h, _, err := Handler(ctx, st, cfg, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestMetadataWithoutBaseURL runs a site with no main address configured:
// sharing metadata, sitemaps and robots.txt then name the host each
// request came through, and the cache must keep one copy per host.
func TestMetadataWithoutBaseURL(t *testing.T) {
	h := siteWithoutBaseURL(t, storetest.New(t))
	slug := content.Slug(seedTitle)
	for _, host := range []string{"a.example", "b.example", "a.example"} {
		page := get(h, "http://"+host+"/articles/"+slug).Body.String()
		head := parseHead(t, page)
		want := "http://" + host + "/articles/" + slug
		if got := head.meta["og:url"]; len(got) != 1 || got[0] != want || head.ld["mainEntityOfPage"] != want {
			t.Errorf("through %s: og:url %q and JSON-LD page %v, want %q", host, got, head.ld["mainEntityOfPage"], want)
		}
		if strings.Contains(page, `rel="canonical"`) {
			t.Errorf("through %s: a canonical link, though no main address is configured", host)
		}
		other := map[string]string{"a.example": "b.example", "b.example": "a.example"}[host]
		for _, path := range []string{"/articles/" + slug, "/sitemap.xml", "/sitemaps/pages.xml", "/robots.txt"} {
			body := get(h, "http://"+host+path).Body.String()
			if strings.Contains(body, other) || !strings.Contains(body, "http://"+host+"/") {
				t.Errorf("%s through %s names %s or not %s", path, host, other, host)
			}
		}
	}
}
