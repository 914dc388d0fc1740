package app

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/demo"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// mirror is the host feeds are fetched through in these tests: not the
// configured main address, so every link must follow the request (C10).
const mirror = "http://mirror.example"

var feedFiles = []struct {
	file, contentType, feedType string
}{
	{"feed.xml", "application/rss+xml; charset=utf-8", "rss"},
	{"atom.xml", "application/atom+xml; charset=utf-8", "atom"},
	{"feed.json", "application/feed+json; charset=utf-8", "json"},
}

// parseFeed fetches a feed and parses it with gofeed, an independent
// parser used by real feed readers.
func parseFeed(t *testing.T, h http.Handler, target, contentType string) (*gofeed.Feed, string) {
	t.Helper()
	w := get(h, target)
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s = %d; body:\n%.300s", target, w.Code, w.Body.String())
	}
	if ct := w.Header().Get("Content-Type"); ct != contentType {
		t.Errorf("GET %s: Content-Type = %q, want %q", target, ct, contentType)
	}
	parser := gofeed.NewParser()
	// The item image must come from the feed's own image fields, not from
	// gofeed's guess at the first <img> of the text.
	parser.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	f, err := parser.ParseString(w.Body.String())
	if err != nil {
		t.Fatalf("GET %s: gofeed cannot parse it: %v", target, err)
	}
	return f, w.Body.String()
}

var (
	tags        = regexp.MustCompile(`<[^>]*>`)
	absoluteURL = regexp.MustCompile(`https?://[^\s"'<>\\&)]+`)
)

// textOf returns the text of HTML without its tags, whitespace collapsed.
func textOf(s string) string {
	return strings.Join(strings.Fields(html.UnescapeString(tags.ReplaceAllString(s, ""))), " ")
}

// checkItem compares a parsed feed item with the article it stands for,
// field by field.
func checkItem(t *testing.T, kind string, it *gofeed.Item, a *model.Article) {
	t.Helper()
	if it.Title != a.Title {
		t.Errorf("title %q, want %q", it.Title, a.Title)
	}
	if want := mirror + "/articles/" + a.Slug; it.Link != want {
		t.Errorf("%s: link %q, want %q", a.Title, it.Link, want)
	}
	if it.Description != a.Summary {
		t.Errorf("%s: summary %q, want %q", a.Title, it.Description, a.Summary)
	}
	// Full text: every paragraph, the last one included.
	text := textOf(it.Content)
	for para := range strings.SplitSeq(a.BodyText, "\n\n") {
		if p := strings.Join(strings.Fields(para), " "); !strings.Contains(text, p) {
			t.Errorf("%s: content lacks the paragraph %q", a.Title, p)
		}
	}
	if strings.Contains(it.Content, `href="/`) || strings.Contains(it.Content, `src="/`) {
		t.Errorf("%s: content has site-relative links a feed reader cannot follow", a.Title)
	}
	if it.PublishedParsed == nil || !it.PublishedParsed.Equal(a.PublishedAt.Truncate(time.Second)) {
		t.Errorf("%s: published %v, want %v", a.Title, it.PublishedParsed, a.PublishedAt)
	}
	switch edited := a.UpdatedAt.After(a.PublishedAt); {
	case edited:
		if it.UpdatedParsed == nil || !it.UpdatedParsed.Equal(a.UpdatedAt.Truncate(time.Second)) {
			t.Errorf("%s: updated %v, want %v", a.Title, it.UpdatedParsed, a.UpdatedAt)
		}
	case kind == "atom": // Atom requires <updated>: the publication time
		if it.UpdatedParsed == nil || !it.UpdatedParsed.Equal(a.PublishedAt.Truncate(time.Second)) {
			t.Errorf("%s: updated %v, want the publication time %v", a.Title, it.UpdatedParsed, a.PublishedAt)
		}
	case it.UpdatedParsed != nil:
		t.Errorf("%s: never edited, yet updated %v", a.Title, it.UpdatedParsed)
	}
	var authors, wantAuthors []string
	if kind == "rss" && it.DublinCoreExt != nil {
		authors = it.DublinCoreExt.Creator
	} else {
		for _, p := range it.Authors {
			authors = append(authors, p.Name)
		}
	}
	for _, au := range a.Authors {
		wantAuthors = append(wantAuthors, au.Name)
	}
	if !slices.Equal(authors, wantAuthors) {
		t.Errorf("%s: authors %q, want %q", a.Title, authors, wantAuthors)
	}
	var wantTags []string
	for _, tag := range a.Tags {
		wantTags = append(wantTags, tag.Name)
	}
	if !slices.Equal(it.Categories, wantTags) {
		t.Errorf("%s: categories %q, want %q", a.Title, it.Categories, wantTags)
	}
	var image string
	if it.Image != nil {
		image = it.Image.URL
	}
	for _, e := range it.Enclosures {
		if e.URL != image && kind != "atom" {
			t.Errorf("%s: enclosure %q differs from the image %q", a.Title, e.URL, image)
		}
		if kind == "atom" && strings.HasPrefix(e.Type, "image/") {
			image = e.URL
		}
	}
	var wantImage string
	if a.LeadImage != nil {
		wantImage = mirror + a.LeadImage.URL
	}
	if image != wantImage {
		t.Errorf("%s: image %q, want %q", a.Title, image, wantImage)
	}
}

func TestFeeds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h, refresh := demoSite(t, st)
		ctx := context.Background()
		fresh := addLinkedArticle(t, st)
		addMirrors(t, st, refresh, mirror+"/")
		all, _, err := st.ListArticles(ctx, store.ArticleQuery{PublishedAsOf: time.Now(), WithBody: true})
		if err != nil {
			t.Fatal(err)
		}
		hasTag := func(slug string) func(*model.Article) bool {
			return func(a *model.Article) bool {
				return slices.ContainsFunc(a.Tags, func(t model.Tag) bool { return t.Slug == slug })
			}
		}
		byAuthor := func(slug string) func(*model.Article) bool {
			return func(a *model.Article) bool {
				return slices.ContainsFunc(a.Authors, func(au model.Author) bool { return au.Slug == slug })
			}
		}
		sources := []struct {
			name, dir, page, title string
			keep                   func(*model.Article) bool
		}{
			{"site", "/", "/", demo.SiteName, func(*model.Article) bool { return true }},
			{"tag", "/tags/lavrov/", "/tags/lavrov", "Lavrov — " + demo.SiteName, hasTag("lavrov")},
			{"author", "/authors/afp/", "/authors/afp", "AFP — " + demo.SiteName, byAuthor("afp")},
		}
		seedSeen := 0
		for _, src := range sources {
			var want []*model.Article
			for _, a := range all {
				if src.keep(a) && len(want) < 30 {
					want = append(want, a)
				}
			}
			if len(want) < 2 {
				t.Fatalf("%s feed: the demo has only %d matching articles", src.name, len(want))
			}
			for _, ff := range feedFiles {
				t.Run(src.name+"/"+ff.file, func(t *testing.T) {
					target := mirror + src.dir + ff.file
					f, body := parseFeed(t, h, target, ff.contentType)
					if f.FeedType != ff.feedType {
						t.Errorf("parsed as %q, want %q", f.FeedType, ff.feedType)
					}
					if f.Title != src.title {
						t.Errorf("title %q, want %q", f.Title, src.title)
					}
					if f.Link != mirror+src.page || f.FeedLink != target {
						t.Errorf("links %q and %q, want %q and %q", f.Link, f.FeedLink, mirror+src.page, target)
					}
					if len(f.Items) != len(want) {
						t.Fatalf("%d items, want %d", len(f.Items), len(want))
					}
					for i, it := range f.Items {
						a := want[i]
						if it.GUID != "urn:uuid:"+a.ID {
							t.Fatalf("item %d is %q (%s), want %q", i, it.Title, it.GUID, a.Title)
						}
						checkItem(t, ff.feedType, it, a)
						if a.ID == fresh.ID {
							for _, link := range []string{`href="` + mirror + `/about"`, `src="` + mirror + `/media/demo/diplomats.jpg"`} {
								if !strings.Contains(it.Content, link) {
									t.Errorf("the new article's text lacks %s, its site-relative link made absolute:\n%s", link, it.Content)
								}
							}
						}
						if a.Slug == content.Slug(seedTitle) {
							seedSeen++
							if !strings.Contains(it.Content, "Huthi rebel targets in Yemen") {
								t.Error("the seed article's text lacks its paragraph on Yemen")
							}
						}
					}
					// Every absolute URL is on the mirror, or a link an editor
					// wrote to another site.
					for _, u := range absoluteURL.FindAllString(body, -1) {
						p, err := url.Parse(u)
						if err != nil || p.Host == "mirror.example" || isNamespace(u) {
							continue
						}
						if !slices.ContainsFunc(want, func(a *model.Article) bool { return strings.Contains(a.BodyHTML, u) }) {
							t.Errorf("feed names %s, neither on the host it was fetched through nor in an article", u)
						}
					}
					if strings.Contains(body, "news.example") {
						t.Error("feed names the main host, not the host it was fetched through")
					}
				})
			}
		}
		if seedSeen == 0 {
			t.Error("the seed article was in none of the feeds")
		}
		for _, path := range []string{"/tags/no-such-tag/", "/authors/nobody/"} {
			for _, ff := range feedFiles {
				if w := get(h, mirror+path+ff.file); w.Code != http.StatusNotFound {
					t.Errorf("GET %s%s = %d, want 404", path, ff.file, w.Code)
				}
			}
		}
	})
}

// addMirrors lists mirrors in the site settings, so the site answers on
// their hosts, and refreshes the site.
func addMirrors(t *testing.T, st *store.Store, refresh func(context.Context, int64) error, urls ...string) {
	t.Helper()
	ctx := context.Background()
	settings, err := st.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range urls {
		settings.Mirrors = append(settings.Mirrors, model.Mirror{URL: u, Type: "mirror", AddedAt: time.Now()})
	}
	if err := st.SaveSettings(ctx, settings); err != nil {
		t.Fatal(err)
	}
	v, err := st.ContentVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := refresh(ctx, v); err != nil {
		t.Fatal(err)
	}
}

// addLinkedArticle publishes, a minute ago, an article by AFP tagged
// Lavrov whose text links to a page and shows an image by site-relative
// paths, as editors write them.
func addLinkedArticle(t *testing.T, st *store.Store) *model.Article {
	t.Helper()
	ctx := context.Background()
	afp, err := st.AuthorBySlug(ctx, "afp")
	if err != nil {
		t.Fatal(err)
	}
	lavrov, err := st.TagBySlug(ctx, "lavrov")
	if err != nil {
		t.Fatal(err)
	}
	body := "Read [about us](/about).\n\n![A map](/media/demo/diplomats.jpg)\n\nThe last paragraph of the new story."
	r, err := content.Render(body)
	if err != nil {
		t.Fatal(err)
	}
	a := &model.Article{
		Slug: "new-story-with-links", Title: "New Story With Links", Summary: "A story with links.",
		Body: body, BodyHTML: r.HTML, BodyText: r.Text, Status: model.StatusPublished, Language: "en",
		TimeZone: "UTC", PublishedAt: time.Now().Add(-time.Minute), Authors: []model.Author{afp}, Tags: []model.Tag{lavrov},
	}
	if err := st.CreateArticle(ctx, a); err != nil {
		t.Fatal(err)
	}
	return a
}

// isNamespace reports whether u is an XML namespace or format identifier
// rather than a link.
func isNamespace(u string) bool {
	for _, ns := range []string{"http://purl.org/", "http://www.w3.org/2005/Atom", "https://jsonfeed.org/version/"} {
		if strings.HasPrefix(u, ns) {
			return true
		}
	}
	return false
}

// TestFeedGUIDSurvivesEdit changes an article's headline and slug: its
// GUID must stay, or feed readers would show it again as a new story.
func TestFeedGUIDSurvivesEdit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h, refresh := demoSite(t, st)
		addMirrors(t, st, refresh, mirror+"/")
		ctx := context.Background()
		latest, _, err := st.ListArticles(ctx, store.ArticleQuery{PublishedAsOf: time.Now(), Limit: 1, WithBody: true})
		if err != nil {
			t.Fatal(err)
		}
		a := latest[0]
		before := map[string]*gofeed.Item{}
		for _, ff := range feedFiles {
			f, _ := parseFeed(t, h, mirror+"/"+ff.file, ff.contentType)
			before[ff.file] = f.Items[0]
		}

		a.Title = "A Corrected Headline"
		a.Slug = "a-corrected-headline"
		a.UpdatedAt = time.Now().Truncate(time.Second)
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
		for _, ff := range feedFiles {
			t.Run(ff.file, func(t *testing.T) {
				f, _ := parseFeed(t, h, mirror+"/"+ff.file, ff.contentType)
				it := f.Items[0]
				if it.GUID != before[ff.file].GUID || it.GUID != "urn:uuid:"+a.ID {
					t.Errorf("GUID %q after the edit, %q before", it.GUID, before[ff.file].GUID)
				}
				if it.Title != "A Corrected Headline" || it.Link != mirror+"/articles/a-corrected-headline" {
					t.Errorf("title %q and link %q after the edit", it.Title, it.Link)
				}
				if it.UpdatedParsed == nil || !it.UpdatedParsed.Equal(a.UpdatedAt) {
					t.Errorf("updated %v, want %v", it.UpdatedParsed, a.UpdatedAt)
				}
				if !it.PublishedParsed.Equal(*before[ff.file].PublishedParsed) {
					t.Errorf("published moved from %v to %v", before[ff.file].PublishedParsed, it.PublishedParsed)
				}
			})
		}
	})
}

// TestFeedsPerHost checks that each mirror's feed links to that mirror, as
// configured, and that the page cache keeps a copy of a feed per host: a
// feed fetched through one mirror must never be served, with its links, to
// a reader of another.
func TestFeedsPerHost(t *testing.T) {
	st := storetest.New(t)
	h, refresh := demoSite(t, st)
	// The proxy terminates TLS and strips its folder before passing the
	// request on, so only the configured address knows both.
	addMirrors(t, st, refresh, "http://a.example/", "https://b.example/", "https://proxy.example/outlet/")
	for _, ff := range feedFiles {
		t.Run(ff.file, func(t *testing.T) {
			a1 := get(h, "http://a.example/"+ff.file)
			b := get(h, "https://b.example/"+ff.file) // httptest marks an https target as TLS
			proxied := get(h, "http://proxy.example/"+ff.file)
			a2 := get(h, "http://a.example/"+ff.file)
			if a1.Code != 200 || b.Code != 200 || proxied.Code != 200 || a2.Code != 200 {
				t.Fatalf("statuses %d, %d, %d, %d", a1.Code, b.Code, proxied.Code, a2.Code)
			}
			for _, c := range []struct {
				name, body, origin string
			}{
				{"a.example", a1.Body.String(), "http://a.example/"},
				{"b.example", b.Body.String(), "https://b.example/"},
				{"proxy.example", proxied.Body.String(), "https://proxy.example/outlet/"},
			} {
				for _, u := range absoluteURL.FindAllString(c.body, -1) {
					if !isNamespace(u) && !strings.HasPrefix(u, c.origin) && strings.Contains(u, ".example") {
						t.Errorf("the feed fetched through %s links to %s, not under %s", c.name, u, c.origin)
					}
				}
				if !strings.Contains(c.body, c.origin+"articles/") {
					t.Errorf("the feed fetched through %s has no article links under %s", c.name, c.origin)
				}
			}
			if a2.Body.String() != a1.Body.String() || a2.Header().Get("ETag") != a1.Header().Get("ETag") {
				t.Error("a.example's feed changed after the other hosts fetched their own")
			}
			if got := get(h, "http://a.example/"+ff.file, "If-None-Match", a1.Header().Get("ETag")); got.Code != http.StatusNotModified {
				t.Errorf("revalidating a.example's feed: %d, want 304", got.Code)
			}
			if got := get(h, "http://a.example/"+ff.file, "Accept-Encoding", "gzip"); got.Header().Get("Content-Encoding") != "gzip" {
				t.Error("feed not served compressed")
			}
		})
	}
}

// TestFeedAutodiscovery follows every feed link in the head of each kind
// of page and checks it leads to a feed of the advertised type.
func TestFeedAutodiscovery(t *testing.T) {
	st := storetest.New(t)
	h, refresh := demoSite(t, st)
	addMirrors(t, st, refresh, mirror+"/")
	site := []string{"feed.xml", "atom.xml", "feed.json"}
	tests := []struct {
		page string
		want []string // feed paths from the site root, in order
	}{
		{"/", site},
		{"/articles/" + content.Slug(seedTitle), site},
		{"/archive/2025/03", site},
		{"/about", site},
		{"/tags/lavrov", append(slices.Clone(site), "tags/lavrov/feed.xml", "tags/lavrov/atom.xml", "tags/lavrov/feed.json")},
		{"/authors/afp?page=1", append(slices.Clone(site), "authors/afp/feed.xml", "authors/afp/atom.xml", "authors/afp/feed.json")},
	}
	for _, tt := range tests {
		t.Run(tt.page, func(t *testing.T) {
			w := get(h, mirror+tt.page)
			if w.Code != 200 {
				t.Fatalf("status %d", w.Code)
			}
			links := feedLinksIn(w.Body.String())
			var got []string
			pageURL, _ := url.Parse(mirror + tt.page)
			for _, l := range links {
				if strings.Contains(l.href, "://") {
					t.Errorf("feed link %q is absolute; pages link relatively", l.href)
				}
				ref, _ := url.Parse(l.href)
				abs := pageURL.ResolveReference(ref)
				got = append(got, strings.TrimPrefix(abs.Path, "/"))
				fw := get(h, abs.String())
				if fw.Code != 200 || !strings.HasPrefix(fw.Header().Get("Content-Type"), l.typ) {
					t.Errorf("%s leads to %d %q, want a %s feed", l.href, fw.Code, fw.Header().Get("Content-Type"), l.typ)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("feeds advertised %q, want %q", got, tt.want)
			}
		})
	}
}

type feedLink struct{ typ, href string }

var alternateLink = regexp.MustCompile(`<link rel="alternate" type="([^"]+)" href="([^"]+)"`)

func feedLinksIn(page string) []feedLink {
	var out []feedLink
	for _, m := range alternateLink.FindAllStringSubmatch(page, -1) {
		out = append(out, feedLink{typ: html.UnescapeString(m[1]), href: html.UnescapeString(m[2])})
	}
	return out
}

// TestEmptyFeed checks that a tag with nothing published yet still has
// valid feeds in every format, with no items.
func TestEmptyFeed(t *testing.T) {
	st := storetest.New(t)
	h, refresh := demoSite(t, st)
	ctx := context.Background()
	if err := st.CreateTag(ctx, &model.Tag{Slug: "quiet", Name: "Quiet"}); err != nil {
		t.Fatal(err)
	}
	addMirrors(t, st, refresh) // refreshes the site
	for _, ff := range feedFiles {
		t.Run(ff.file, func(t *testing.T) {
			f, body := parseFeed(t, h, "https://news.example/tags/quiet/"+ff.file, ff.contentType)
			if f.Title != "Quiet — "+demo.SiteName || len(f.Items) != 0 {
				t.Errorf("feed %q with %d items, want %q with none", f.Title, len(f.Items), "Quiet — "+demo.SiteName)
			}
			if ff.feedType == "json" && !strings.Contains(body, `"items":[]`) {
				t.Errorf("JSON Feed items are not an empty array: %s", body)
			}
		})
	}
}
