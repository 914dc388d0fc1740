package site

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/reach"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web"
	"github.com/tamizdat/tamizdat/internal/web/layout"
)

// The routes of tag and author pages, which advertise their own feeds.
const (
	tagPattern    = "GET /tags/{slug}"
	authorPattern = "GET /authors/{slug}"
)

// FeedSize is how many of the latest articles a feed carries.
const FeedSize = 30

// feed is one feed before it is written in a format: everything resolved
// to absolute URLs on the host the reader came through.
type feed struct {
	Title       string
	Description string
	Language    string
	Page        string // absolute URL of the HTML page the feed follows
	Self        string // absolute URL of the feed itself
	// Reach is the absolute URL of the "How to reach us" page, which
	// RSS and Atom name as the channel's related link; Mirrors that of the
	// mirror list. JSON Feed has no such link: it carries both in an
	// extension object.
	Reach, Mirrors string
	Updated        time.Time
	Items          []feedItem
}

type feedItem struct {
	// ID is "urn:uuid:" and the article's ID: it survives a change of
	// title, slug or host, so a reader following the site through two
	// mirrors, or across an edit, never sees an article twice.
	ID          string
	URL         string
	Title       string
	Summary     string
	ContentHTML string // the full text, with absolute links
	Language    string
	Published   time.Time
	Updated     time.Time // equals Published when never edited
	Authors     []feedPerson
	Categories  []feedCategory
	Image       *feedImage
}

// feedPerson is a byline: its public name and page, never anything about
// the staff account behind it.
type feedPerson struct {
	Name string
	URL  string
}

type feedCategory struct {
	Term  string // the tag's slug
	Label string
}

type feedImage struct {
	URL  string
	Type string // MIME type; "" when the extension tells nothing
}

// feedFormat is a way of writing a feed.
type feedFormat struct {
	File        string // "feed.xml"
	Name        string // shown in autodiscovery titles
	ContentType string
	encode      func(*feed) ([]byte, error)
}

// feedFormats are the formats every feed comes in.
var feedFormats = []feedFormat{
	{File: "feed.xml", Name: "RSS", ContentType: "application/rss+xml; charset=utf-8", encode: encodeRSS},
	{File: "atom.xml", Name: "Atom", ContentType: "application/atom+xml; charset=utf-8", encode: encodeAtom},
	{File: "feed.json", Name: "JSON Feed", ContentType: "application/feed+json; charset=utf-8", encode: encodeJSONFeed},
}

// feedSource is what a feed follows: the whole site, a tag or an author.
type feedSource struct {
	title       string
	description string
	page        string // path of the HTML page from the site root: "", "tags/x"
	query       store.ArticleQuery
}

// feedRoute names a feed source's routes: the feed files live under page.
type feedRoute struct {
	prefix string // "/", "/tags/{slug}/"
	source func(s *Site, r *http.Request) (feedSource, error)
}

var feedRoutes = []feedRoute{
	{"/", (*Site).siteFeedSource},
	{"/tags/{slug}/", (*Site).tagFeedSource},
	{"/authors/{slug}/", (*Site).authorFeedSource},
}

func (s *Site) siteFeedSource(*http.Request) (feedSource, error) {
	st := s.currentSettings()
	return feedSource{title: st.SiteName, description: st.SiteDescription}, nil
}

func (s *Site) tagFeedSource(r *http.Request) (feedSource, error) {
	tag, err := s.store.TagBySlug(r.Context(), r.PathValue("slug"))
	if errors.Is(err, model.ErrNotFound) {
		return feedSource{}, web.NotFound("We have no topic at this address, so there is no feed for it.")
	}
	if err != nil {
		return feedSource{}, err
	}
	st := s.currentSettings()
	return feedSource{
		title:       tag.Name + " — " + st.SiteName,
		description: cmp.Or(tag.Description, st.SiteDescription),
		page:        "tags/" + url.PathEscape(tag.Slug),
		query:       store.ArticleQuery{TagID: tag.ID},
	}, nil
}

func (s *Site) authorFeedSource(r *http.Request) (feedSource, error) {
	a, err := s.store.AuthorBySlug(r.Context(), r.PathValue("slug"))
	if errors.Is(err, model.ErrNotFound) {
		return feedSource{}, web.NotFound("We have no author at this address, so there is no feed for them.")
	}
	if err != nil {
		return feedSource{}, err
	}
	st := s.currentSettings()
	return feedSource{
		title:       a.Name + " — " + st.SiteName,
		description: cmp.Or(a.Bio, st.SiteDescription),
		page:        "authors/" + url.PathEscape(a.Slug),
		query:       store.ArticleQuery{AuthorID: a.ID},
	}, nil
}

// serveFeed answers a feed request in format f for the source route names.
func (s *Site) serveFeed(route feedRoute, f feedFormat) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		src, err := route.source(s, r)
		if err != nil {
			return err
		}
		fd, err := s.buildFeed(r.Context(), s.requestBase(r), src, f.File)
		if err != nil {
			return err
		}
		body, err := f.encode(fd)
		if err != nil {
			return fmt.Errorf("site: encode %s: %w", f.File, err)
		}
		w.Header().Set("Content-Type", f.ContentType)
		_, err = w.Write(body)
		return err
	}
}

// buildFeed loads the latest FeedSize published articles src selects, with
// their full text, and makes every URL absolute under base.
func (s *Site) buildFeed(ctx context.Context, base string, src feedSource, file string) (*feed, error) {
	q := src.query
	q.PublishedAsOf = s.now()
	q.Limit = FeedSize
	q.WithBody = true
	articles, _, err := s.listArticles(ctx, q)
	if err != nil {
		return nil, err
	}
	st := s.currentSettings()
	selfDir := src.page
	if selfDir != "" {
		selfDir += "/"
	}
	fd := &feed{
		Title:       src.title,
		Description: src.description,
		Language:    st.Language,
		Page:        base + "/" + src.page,
		Self:        base + "/" + selfDir + file,
		Reach:       base + reach.PagePath,
		Mirrors:     base + reach.MirrorListPath,
		// An empty feed was never updated; a fixed time keeps two exports
		// of the same content byte-identical.
		Updated: time.Unix(0, 0).UTC(),
	}
	for _, a := range articles {
		item, err := feedItemOf(ctx, base, a)
		if err != nil {
			return nil, err
		}
		if item.Updated.After(fd.Updated) {
			fd.Updated = item.Updated
		}
		fd.Items = append(fd.Items, item)
	}
	return fd, nil
}

func feedItemOf(ctx context.Context, base string, a *model.Article) (feedItem, error) {
	link := base + "/articles/" + url.PathEscape(a.Slug)
	linkURL, err := url.Parse(link)
	if err != nil {
		return feedItem{}, fmt.Errorf("site: feed item %s: %w", a.ID, err)
	}
	loc := a.Location()
	item := feedItem{
		ID:          "urn:uuid:" + a.ID,
		URL:         link,
		Title:       a.Title,
		Summary:     a.Summary,
		ContentHTML: feedBody(ctx, a, linkURL),
		Language:    a.Language,
		Published:   a.PublishedAt.In(loc),
		Updated:     modifiedAt(a).In(loc),
	}
	for _, au := range a.Authors {
		item.Authors = append(item.Authors, feedPerson{Name: au.Name, URL: base + "/authors/" + url.PathEscape(au.Slug)})
	}
	for _, t := range a.Tags {
		item.Categories = append(item.Categories, feedCategory{Term: t.Slug, Label: t.Name})
	}
	if img := a.LeadImage; img != nil && img.URL != "" {
		item.Image = &feedImage{
			URL:  siteURL(base+"/", img.URL),
			Type: mime.TypeByExtension(path.Ext(img.URL)),
		}
	}
	return item, nil
}

// feedBody returns the article's full text with its links made absolute
// against link, the article's own address. A request's snapshot keeps it
// for the other feeds the article is in: the site's, its tags' and its
// bylines', each in every format.
func feedBody(ctx context.Context, a *model.Article, link *url.URL) string {
	snap, ok := ctx.Value(snapshotKey{}).(Snapshot)
	if !ok {
		return absoluteHTML(a.BodyHTML, link)
	}
	return snap.Memo("feed body\x00"+link.String(), func() string { return absoluteHTML(a.BodyHTML, link) })
}

// modifiedAt is when an article last changed for readers: its last edit
// after publication, else its publication.
func modifiedAt(a *model.Article) time.Time {
	if a.UpdatedAt.After(a.PublishedAt) {
		return a.UpdatedAt
	}
	return a.PublishedAt
}

// feedLinks lists the feeds of the source whose page is at page (from the
// site root; "" for the whole site), in every format, relative to root.
func feedLinks(root, page, title string) []layout.FeedLink {
	if page != "" {
		page += "/"
	}
	links := make([]layout.FeedLink, len(feedFormats))
	for i, f := range feedFormats {
		mediaType, _, _ := mime.ParseMediaType(f.ContentType)
		links[i] = layout.FeedLink{Href: root + page + f.File, Type: mediaType, Title: title + " (" + f.Name + ")"}
	}
	return links
}
