package site

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web"
)

// sitemapURLs is the most URLs one article sitemap lists: the limit of the
// sitemaps.org protocol. It is a variable only so a test can lower it.
var sitemapURLs = 50000

// newsWindow is how far back the Google News sitemap reaches, and
// newsMaxURLs the most it may list.
const (
	newsWindow  = 48 * time.Hour
	newsMaxURLs = 1000
)

const (
	sitemapNS = "http://www.sitemaps.org/schemas/sitemap/0.9"
	newsNS    = "http://www.google.com/schemas/sitemap-news/0.9"
)

type sitemapIndex struct {
	XMLName  xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 sitemapindex"`
	Sitemaps []sitemapRef `xml:"sitemap"`
}

type sitemapRef struct {
	Loc string `xml:"loc"`
}

type urlSet struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	NewsNS  string       `xml:"xmlns:news,attr,omitempty"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc     string     `xml:"loc"`
	LastMod string     `xml:"lastmod,omitempty"`
	News    *newsEntry `xml:"news:news"`
}

type newsEntry struct {
	Publication     newsPublication `xml:"news:publication"`
	PublicationDate string          `xml:"news:publication_date"`
	Title           string          `xml:"news:title"`
}

type newsPublication struct {
	Name     string `xml:"news:name"`
	Language string `xml:"news:language"`
}

// w3cTime formats t as sitemaps want it: a W3C Datetime, here in UTC.
func w3cTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// publishedCount is how many articles readers can see now.
func (s *Site) publishedCount(r *http.Request) (int, error) {
	_, total, err := s.listArticles(r.Context(), store.ArticleQuery{PublishedAsOf: s.now(), Limit: 1})
	return total, err
}

// sitemapIndex lists the sitemaps: the pages, the articles in files of at
// most sitemapURLs each, and the news sitemap.
func (s *Site) sitemapIndex(w http.ResponseWriter, r *http.Request) error {
	total, err := s.publishedCount(r)
	if err != nil {
		return err
	}
	base := s.canonicalBase(r) + "/sitemaps/"
	idx := sitemapIndex{Sitemaps: []sitemapRef{{Loc: base + "pages.xml"}}}
	for n := 1; n <= articleSitemaps(total); n++ {
		idx.Sitemaps = append(idx.Sitemaps, sitemapRef{Loc: base + "articles-" + strconv.Itoa(n) + ".xml"})
	}
	idx.Sitemaps = append(idx.Sitemaps, sitemapRef{Loc: base + "news.xml"})
	return writeXML(w, idx)
}

func articleSitemaps(total int) int { return (total + sitemapURLs - 1) / sitemapURLs }

// sitemapFile serves /sitemaps/pages.xml and /sitemaps/articles-N.xml.
func (s *Site) sitemapFile(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	if name == "pages.xml" {
		return s.pagesSitemap(w, r)
	}
	digits, isArticles := strings.CutPrefix(name, "articles-")
	digits, isXML := strings.CutSuffix(digits, ".xml")
	n, err := strconv.Atoi(digits)
	// Only the canonical spelling: "articles-01.xml" must not be a second
	// address for "articles-1.xml".
	if !isArticles || !isXML || err != nil || n < 1 || strconv.Itoa(n) != digits {
		return web.NotFound("There is no such sitemap; sitemap.xml lists them all.")
	}
	return s.articlesSitemap(w, r, n)
}

// articlesSitemap lists the nth slice of sitemapURLs published articles,
// counted from the oldest, so a new article changes only the last file and
// earlier files stay byte for byte the same.
func (s *Site) articlesSitemap(w http.ResponseWriter, r *http.Request, n int) error {
	total, err := s.publishedCount(r)
	if err != nil {
		return err
	}
	if n > articleSitemaps(total) {
		return web.NotFound(fmt.Sprintf("There is no article sitemap %d; sitemap.xml lists them all.", n))
	}
	// The store lists newest first: the oldest-first slice [(n-1)·size,
	// n·size) is the newest-first slice ending total-(n-1)·size.
	end := total - (n-1)*sitemapURLs
	offset := max(0, total-n*sitemapURLs)
	articles, _, err := s.listArticles(r.Context(), store.ArticleQuery{
		PublishedAsOf: s.now(), Offset: offset, Limit: end - offset,
	})
	if err != nil {
		return err
	}
	base := s.canonicalBase(r)
	set := urlSet{URLs: make([]sitemapURL, 0, len(articles))}
	for _, a := range articles {
		set.URLs = append(set.URLs, sitemapURL{Loc: articleURL(base, a), LastMod: w3cTime(modifiedAt(a))})
	}
	return writeXML(w, set)
}

// pagesSitemap lists everything but articles: the front page, the archive
// and its months, the tags and authors with published articles, and the
// static pages. Each list page's lastmod is that of its newest article,
// found in one pass over the published articles.
func (s *Site) pagesSitemap(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	articles, _, err := s.listArticles(ctx, store.ArticleQuery{PublishedAsOf: s.now()})
	if err != nil {
		return err
	}
	pages, err := s.store.ListPages(ctx)
	if err != nil {
		return err
	}
	loc := model.LoadLocation(s.currentSettings().TimeZone)
	// Path from the site root → lastmod. The front page and the archive
	// exist even before anything is published.
	latest := map[string]time.Time{"": {}, "archive": {}}
	touch := func(path string, t time.Time) {
		if t.After(latest[path]) {
			latest[path] = t
		}
	}
	for _, a := range articles {
		t := modifiedAt(a)
		touch("", t)
		touch("archive", t)
		p := a.PublishedAt.In(loc)
		touch(fmt.Sprintf("archive/%04d/%02d", p.Year(), int(p.Month())), t)
		for _, tag := range a.Tags {
			touch("tags/"+url.PathEscape(tag.Slug), t)
		}
		for _, au := range a.Authors {
			touch("authors/"+url.PathEscape(au.Slug), t)
		}
	}
	for _, p := range pages {
		path := url.PathEscape(p.Slug)
		if _, taken := latest[path]; !taken { // a route such as /archive wins over a page
			latest[path] = p.UpdatedAt
		}
	}
	// In path order, the front page first: the same content gives the same file.
	paths := slices.Sorted(maps.Keys(latest))
	base := s.canonicalBase(r)
	set := urlSet{URLs: make([]sitemapURL, 0, len(paths))}
	for _, p := range paths {
		u := sitemapURL{Loc: base + "/" + p}
		if t := latest[p]; !t.IsZero() {
			u.LastMod = w3cTime(t)
		}
		set.URLs = append(set.URLs, u)
	}
	return writeXML(w, set)
}

// newsSitemap lists the articles of the last two days as Google News
// wants them. It is computed afresh for each request, not kept in the page
// cache, because articles leave it with the passing of time rather than
// with an edit.
func (s *Site) newsSitemap(w http.ResponseWriter, r *http.Request) error {
	now := s.now()
	articles, _, err := s.listArticles(r.Context(), store.ArticleQuery{
		PublishedAsOf: now, From: now.Add(-newsWindow), Limit: newsMaxURLs,
	})
	if err != nil {
		return err
	}
	st := s.currentSettings()
	base := s.canonicalBase(r)
	set := urlSet{NewsNS: newsNS, URLs: make([]sitemapURL, 0, len(articles))}
	for _, a := range articles {
		set.URLs = append(set.URLs, sitemapURL{
			Loc: articleURL(base, a),
			News: &newsEntry{
				Publication:     newsPublication{Name: st.SiteName, Language: strings.ToLower(cmp.Or(a.Language, st.Language))},
				PublicationDate: a.PublishedAt.In(a.Location()).Format(time.RFC3339),
				Title:           a.Title,
			},
		})
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	return writeXML(w, set)
}

// robots allows every crawler everywhere but the editing desk, and names
// the sitemap index.
func (s *Site) robots(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := fmt.Fprintf(w, "User-agent: *\nAllow: /\nDisallow: /admin/\n\nSitemap: %s/sitemap.xml\n", s.canonicalBase(r))
	return err
}

func articleURL(base string, a *model.Article) string {
	return base + "/articles/" + url.PathEscape(a.Slug)
}

// writeXML sends v as an XML document.
func writeXML(w http.ResponseWriter, v any) error {
	body, err := marshalXML(v)
	if err != nil {
		return fmt.Errorf("site: encode sitemap: %w", err)
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, err = w.Write(body)
	return err
}
