package export

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/reach"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web/site"
)

// optionalSeeds are addresses the site may answer, depending on its
// version; an export includes them when it does. The pages link to the
// rest (feeds of tags and authors, sitemaps).
var optionalSeeds = []string{"/robots.txt", "/sitemap.xml", "/feed.xml", "/atom.xml", "/feed.json", "/mirrors.json"}

// clockDependent lists addresses whose bytes change with the time of day,
// not only with the content, so that no export may reuse them.
var clockDependent = []string{"/sitemaps/news.xml"}

// relatedShown is how many related articles an article page shows; the
// tests hold it to what the pages show.
const relatedShown = 4

// inventory is what the store says the export must contain, and the
// fingerprint of everything each page's bytes depend on, by which a later
// export knows a page unchanged without rendering it.
type inventory struct {
	keys      []string // pages that must answer 200, in a stable order
	published time.Time

	// snap holds the articles, for the site's handler and for finding
	// an article by its address.
	snap *snapshot

	global string            // settings, code, addresses
	digest map[string]string // article ID → fingerprint of all its fields
	fps    map[string]string // page key → fingerprint
	feeds  map[string]string // list key, e.g. /tags/x → fingerprint of all its articles
	all    string            // fingerprint of all content
}

// enumerate lists every public page of src as of now: the front page,
// each article, each tag and byline that has published articles (a tag
// used only by drafts must not be revealed by a copy), each archive month,
// each static page, and every page of every list. code and addresses name
// the software and options the pages are made with. It hands the articles
// to src.Prepare.
func enumerate(ctx context.Context, src *Source, now time.Time, code string, addresses ...string) (*inventory, error) {
	st := src.Store
	settings, err := st.Settings(ctx)
	if err != nil {
		return nil, err
	}
	// No public page shows the Markdown source, a third of an article's
	// text: it is neither read nor hashed.
	articles, _, err := st.ListArticles(ctx, store.ArticleQuery{PublishedAsOf: now, WithBody: true, WithoutSource: true})
	if err != nil {
		return nil, err
	}
	pages, err := st.ListPages(ctx)
	if err != nil {
		return nil, err
	}
	// Hashing every article's fields is most of the work here: share it
	// out among the CPUs.
	digests := make([]string, len(articles))
	forEach(len(articles), func(i int) { digests[i] = digestOf(articles[i]) })
	if src.Prepare != nil {
		if err := src.Prepare(ctx, articles); err != nil {
			return nil, err
		}
	}
	// Nor the plain text, which only Prepare needs: the site's handler
	// gets the articles without it.
	for _, a := range articles {
		a.BodyText = ""
	}
	inv := &inventory{
		snap:   newSnapshot(articles),
		digest: make(map[string]string, len(articles)),
		fps:    map[string]string{}, feeds: map[string]string{},
	}
	inv.global = fingerprint(append([]string{code, jsonOf(settings)}, addresses...)...)

	// Every list in the order the site shows it: newest first.
	type list struct {
		key, identity string
		ids           []string
	}
	front := &list{key: "/"}
	lists := []*list{front}
	byKey := map[string]*list{"/": front}
	// identity is what, besides its articles, a list's pages show of the
	// tag or byline they are about; nil for other lists.
	add := func(key string, identity any, id string) {
		l, ok := byKey[key]
		if !ok {
			l = &list{key: key}
			if identity != nil {
				l.identity = jsonOf(identity)
			}
			byKey[key] = l
			lists = append(lists, l)
		}
		l.ids = append(l.ids, id)
	}
	loc := model.LoadLocation(settings.TimeZone)
	all := []string{inv.global}
	for i, a := range articles {
		d := digests[i]
		inv.digest[a.ID] = d
		all = append(all, d)
		inv.seen(a.PublishedAt)
		inv.seen(a.UpdatedAt)
		add("/", nil, a.ID)
		for _, t := range a.Tags {
			add("/tags/"+url.PathEscape(t.Slug), t, a.ID)
		}
		for _, au := range a.Authors {
			add("/authors/"+url.PathEscape(au.Slug), au, a.ID)
		}
		m := a.PublishedAt.In(loc)
		add(fmt.Sprintf("/archive/%04d/%02d", m.Year(), int(m.Month())), nil, a.ID)
	}
	months := []string{inv.global}
	for _, l := range lists {
		if strings.HasPrefix(l.key, "/archive/") {
			months = append(months, l.key, fmt.Sprint(len(l.ids)))
		}
	}
	inv.keys = append(inv.keys, "/archive")
	inv.fps["/archive"] = fingerprint(months...)
	for _, l := range lists {
		feed := []string{inv.global, "feeds", l.key, l.identity}
		for _, id := range l.ids {
			feed = append(feed, inv.digest[id])
		}
		inv.feeds[l.key] = fingerprint(feed...)
		for page := 1; page == 1 || (page-1)*site.PageSize < len(l.ids); page++ {
			key := l.key
			if page > 1 {
				key = fmt.Sprintf("%s?page=%d", l.key, page)
			}
			parts := []string{inv.global, "list", key, l.identity, fmt.Sprint(len(l.ids))}
			for _, id := range l.ids[(page-1)*site.PageSize : min(page*site.PageSize, len(l.ids))] {
				parts = append(parts, inv.digest[id])
			}
			inv.keys = append(inv.keys, key)
			inv.fps[key] = fingerprint(parts...)
		}
	}
	for _, a := range articles {
		inv.keys = append(inv.keys, "/articles/"+url.PathEscape(a.Slug))
	}
	for _, p := range pages {
		key := "/" + url.PathEscape(p.Slug)
		inv.keys = append(inv.keys, key)
		inv.fps[key] = fingerprint(inv.global, "page", jsonOf(p))
		inv.seen(p.UpdatedAt)
		all = append(all, jsonOf(p))
	}
	// The "How to reach us" page shows the settings alone.
	inv.keys = append(inv.keys, reach.PagePath)
	inv.fps[reach.PagePath] = fingerprint(inv.global, reach.PagePath)
	inv.all = fingerprint(all...)
	return inv, nil
}

func (inv *inventory) seen(t time.Time) {
	if t.After(inv.published) {
		inv.published = t.UTC()
	}
}

// fingerprintOf returns the fingerprint of everything the bytes at key
// depend on, or "" when it cannot tell and the key must be rendered.
// related gives an article's recommendations; nil means unknown.
func (inv *inventory) fingerprintOf(key string, related func(id string, n int) []string) string {
	if fp, ok := inv.fps[key]; ok {
		return fp
	}
	p, query, _ := strings.Cut(key, "?")
	if query != "" {
		return ""
	}
	if slug, ok := strings.CutPrefix(p, "/articles/"); ok {
		return inv.articleFingerprint(slug, related)
	}
	for _, c := range clockDependent {
		if p == c {
			return ""
		}
	}
	if _, page, err := fileFor(key); err != nil || page || strings.HasPrefix(p, "/static/") || strings.HasPrefix(p, "/media/") {
		return "" // unknown pages; assets and media, which cost nothing to render
	}
	// A resource below a list, such as /tags/x/feed.xml, shows that list;
	// any other, such as a sitemap or the site's feed, may show anything.
	for _, prefix := range []string{"/tags/", "/authors/"} {
		if rest, ok := strings.CutPrefix(p, prefix); ok {
			if slug, _, ok := strings.Cut(rest, "/"); ok {
				if fp, ok := inv.feeds[prefix+slug]; ok {
					return fingerprint(fp, p)
				}
				return ""
			}
		}
	}
	return fingerprint(inv.all, p)
}

// articleFingerprint covers an article page: the article, and the
// articles it recommends, or all articles when those are unknown.
func (inv *inventory) articleFingerprint(escapedSlug string, related func(id string, n int) []string) string {
	slug, err := url.PathUnescape(escapedSlug)
	if err != nil {
		return ""
	}
	a, ok := inv.snap.ArticleBySlug(slug)
	if !ok {
		return ""
	}
	parts := []string{inv.global, "article", inv.digest[a.ID]}
	if related == nil {
		return fingerprint(append(parts, inv.all)...)
	}
	ids := related(a.ID, relatedShown)
	inv.snap.related.Store(a.ID, ids)
	for _, id := range ids {
		d, ok := inv.digest[id]
		if !ok {
			return "" // recommends an article the store did not list: render
		}
		parts = append(parts, d)
	}
	return fingerprint(parts...)
}

// fingerprint hashes parts unambiguously.
func fingerprint(parts ...string) string {
	h := sha256.New()
	buf := hashBuffers.Get().(*[hashBufferSize]byte)
	defer hashBuffers.Put(buf)
	for _, p := range parts {
		binary.BigEndian.PutUint64(buf[:8], uint64(len(p)))
		h.Write(buf[:8])
		// The hash takes bytes, and converting a string copies it whole:
		// for an article's texts, garbage as large as the articles.
		for len(p) > 0 {
			n := copy(buf[:], p)
			h.Write(buf[:n])
			p = p[n:]
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hashBuffers hold strings on their way into a hash; see fingerprint.
var hashBuffers = sync.Pool{New: func() any { return new([hashBufferSize]byte) }}

const hashBufferSize = 16 << 10

// digestOf hashes all the fields of a that pages can show, which are all
// but its Markdown source. Its two texts, most of its bytes, are hashed as
// they are rather than escaped into JSON with the rest, which took most
// of the time.
func digestOf(a *model.Article) string {
	fields := *a
	fields.Body, fields.BodyHTML, fields.BodyText = "", "", ""
	return fingerprint(jsonOf(&fields), a.BodyHTML, a.BodyText)
}

// forEach calls fn for every index below n, on as many goroutines as
// there are CPUs to run them.
func forEach(n int, fn func(i int)) {
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}

func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("export: a model type does not encode: " + err.Error())
	}
	return string(b)
}
