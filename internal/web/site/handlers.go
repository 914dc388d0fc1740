package site

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web"
)

// list renders a paginated list of published articles matching q.
func (s *Site) list(w http.ResponseWriter, r *http.Request, q store.ArticleQuery, view listView) error {
	page, err := pageParam(r)
	if err != nil {
		return err
	}
	q.PublishedAsOf = s.now()
	q.Limit, q.Offset = PageSize, (page-1)*PageSize
	articles, total, err := s.listArticles(r.Context(), q)
	if err != nil {
		return err
	}
	if view.Pager, err = pager(r.URL.Path, page, total); err != nil {
		return err
	}
	cards := make([]Card, len(articles))
	for i, a := range articles {
		cards[i] = cardOf(a)
	}
	if page == 1 && len(articles) > 0 {
		cards[0].Image = articles[0].LeadImage
	}
	// An article is on one page of the front page's list and one of its
	// month's, but on a page of each of its tags and bylines: only their
	// cards recur.
	recur := q.TagID != "" || q.AuthorID != ""
	if view.Cards, err = s.renderCards(r.Context(), "list", view.Root, cards, recur); err != nil {
		return err
	}
	if page > 1 {
		view.Title = fmt.Sprintf("%s (page %d)", view.Title, page)
	}
	return s.write(w, http.StatusOK, "list", view)
}

// renderCards renders cards as the "card" template shows them on a page
// whose way back to the site root is root; kind names the sort of card
// ("list", or "related" for the shorter ones under "Read more"). When the
// same cards recur on other pages, as an article's does on each of its
// tags' and bylines' pages and under "Read more" on other articles, a
// request's snapshot keeps each for the other pages of an export. A card
// with an image, the lead story's, is rendered each time.
func (s *Site) renderCards(ctx context.Context, kind, root string, cards []Card, recur bool) ([]template.HTML, error) {
	out := make([]template.HTML, len(cards))
	for i, c := range cards {
		key := ""
		if recur && c.Image == nil {
			key = "card\x00" + kind + "\x00" + root + "\x00" + c.URL
		}
		var err error
		if out[i], err = s.fragment(ctx, key, "list", "card", cardArgs{Root: root, Card: c, Lang: c.Lang}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fragment renders the template name of page with data. The request's
// snapshot, if any, keeps it under key for the other pages of an export
// that show it; key names everything it depends on beyond the snapshot's
// content, and "" keeps nothing.
func (s *Site) fragment(ctx context.Context, key, page, name string, data any) (template.HTML, error) {
	snap, ok := ctx.Value(snapshotKey{}).(Snapshot)
	if !ok || key == "" {
		html, err := s.pages.RenderTemplate(page, name, data)
		return template.HTML(html), err
	}
	var err error
	html := snap.Memo(key, func() (html string) {
		html, err = s.pages.RenderTemplate(page, name, data)
		return html
	})
	return template.HTML(html), err
}

// Snapshot is the published content of one moment, held in memory by a
// caller that renders many pages of that moment, such as a static export.
// Requests whose context carries it (see WithSnapshot) take lists and
// articles from it rather than from one or more queries each; the handlers
// render them exactly as they would the store's answers.
type Snapshot interface {
	// ListArticles answers a query for published articles (PublishedAsOf
	// set) as the store would have at the snapshot's moment, whatever the
	// time in q; ok is false for a query it cannot answer. The articles
	// may hold their HTML body when q does not ask for it, and hold
	// neither the Markdown source nor the plain text, which no page
	// shows. They are shared: callers must not change them.
	ListArticles(q store.ArticleQuery) (articles []*model.Article, total int, ok bool)
	// ArticleBySlug returns the published article at slug, shared as
	// above; ok is false when the snapshot does not hold it.
	ArticleBySlug(slug string) (a *model.Article, ok bool)
	// RelatedIDs returns what RelatedIDs of this site answered for the
	// article id and n, when the snapshot kept it; ok is false otherwise.
	RelatedIDs(id string, n int) (ids []string, ok bool)
	// Memo returns what make returned the first time it was called with
	// key, calling it now if it never was: a fragment of output many
	// pages repeat. A key names everything its fragment depends on
	// beyond the snapshot's content, which never changes.
	Memo(key string, make func() string) string
}

type snapshotKey struct{}

// WithSnapshot returns a copy of ctx that makes the site answer requests
// made with it from snap where snap can.
func WithSnapshot(ctx context.Context, snap Snapshot) context.Context {
	return context.WithValue(ctx, snapshotKey{}, snap)
}

// listArticles answers q from the request's snapshot, else from the store.
func (s *Site) listArticles(ctx context.Context, q store.ArticleQuery) ([]*model.Article, int, error) {
	if snap, ok := ctx.Value(snapshotKey{}).(Snapshot); ok {
		if articles, total, ok := snap.ListArticles(q); ok {
			return articles, total, nil
		}
	}
	return s.store.ListArticles(ctx, q)
}

// articleBySlug finds an article in the request's snapshot, else in the
// store, which also holds the drafts the snapshot leaves out.
func (s *Site) articleBySlug(ctx context.Context, slug string) (*model.Article, error) {
	if snap, ok := ctx.Value(snapshotKey{}).(Snapshot); ok {
		if a, ok := snap.ArticleBySlug(slug); ok {
			return a, nil
		}
	}
	return s.store.ArticleBySlug(ctx, slug)
}

// relatedCards returns the cards of up to n articles related to the
// article id, ranked by the request's snapshot if it kept them.
func (s *Site) relatedCards(ctx context.Context, id string, n int) []Card {
	idx := s.related.Load()
	snap, ok := ctx.Value(snapshotKey{}).(Snapshot)
	if !ok {
		return idx.cards(id, n)
	}
	ids, ok := snap.RelatedIDs(id, n)
	if !ok {
		return idx.cards(id, n)
	}
	var cards []Card
	for _, rid := range ids {
		cards = append(cards, idx.cardByID[rid])
	}
	return cards
}

func (s *Site) home(w http.ResponseWriter, r *http.Request) error {
	st := s.currentSettings()
	view := listView{Layout: s.layout(r, st.SiteName, st.SiteDescription), Heading: "Latest news"}
	return s.list(w, r, store.ArticleQuery{}, view)
}

func (s *Site) tag(w http.ResponseWriter, r *http.Request) error {
	tag, err := s.store.TagBySlug(r.Context(), r.PathValue("slug"))
	if errors.Is(err, model.ErrNotFound) {
		return web.NotFound("We have no topic at this address. Browse the archive to find articles by date.")
	}
	if err != nil {
		return err
	}
	view := listView{Layout: s.layout(r, tag.Name, tag.Description).withOwnFeeds(r), Heading: tag.Name, Intro: tag.Description}
	return s.list(w, r, store.ArticleQuery{TagID: tag.ID}, view)
}

func (s *Site) author(w http.ResponseWriter, r *http.Request) error {
	a, err := s.store.AuthorBySlug(r.Context(), r.PathValue("slug"))
	if errors.Is(err, model.ErrNotFound) {
		return web.NotFound("We have no author at this address.")
	}
	if err != nil {
		return err
	}
	view := listView{Layout: s.layout(r, a.Name, a.Bio).withOwnFeeds(r), Heading: a.Name, Intro: a.Bio}
	return s.list(w, r, store.ArticleQuery{AuthorID: a.ID}, view)
}

func (s *Site) archive(w http.ResponseWriter, r *http.Request) error {
	loc := model.LoadLocation(s.currentSettings().TimeZone)
	months, err := s.store.ArchiveMonths(r.Context(), s.now(), loc)
	if err != nil {
		return err
	}
	view := archiveView{Layout: s.layout(r, "Archive", "")}
	for _, m := range months {
		if n := len(view.Years); n == 0 || view.Years[n-1].Year != m.Year {
			view.Years = append(view.Years, archiveYear{Year: m.Year})
		}
		y := &view.Years[len(view.Years)-1]
		y.Months = append(y.Months, archiveMonth{
			URL:   fmt.Sprintf("archive/%04d/%02d", m.Year, int(m.Month)),
			Name:  m.Month.String(),
			Count: m.Count,
		})
	}
	return s.write(w, http.StatusOK, "archive", view)
}

func (s *Site) archiveMonth(w http.ResponseWriter, r *http.Request) error {
	year, yerr := strconv.Atoi(r.PathValue("year"))
	month, merr := strconv.Atoi(r.PathValue("month"))
	if yerr != nil || merr != nil || year < 1900 || year > 9999 || month < 1 || month > 12 {
		return web.NotFound("The archive is organised by year and month, as in archive/2025/03.")
	}
	loc := model.LoadLocation(s.currentSettings().TimeZone)
	from := time.Date(year, time.Month(month), 1, 0, 0, 0, 0, loc)
	name := from.Format("January 2006")
	view := listView{Layout: s.layout(r, name, ""), Heading: name}
	return s.list(w, r, store.ArticleQuery{From: from.UTC(), To: from.AddDate(0, 1, 0).UTC()}, view)
}

func (s *Site) article(w http.ResponseWriter, r *http.Request) error {
	a, err := s.articleBySlug(r.Context(), r.PathValue("slug"))
	if err == nil && !a.PublicAt(s.now()) {
		err = model.ErrNotFound
	}
	if errors.Is(err, model.ErrNotFound) {
		return s.movedArticle(w, r)
	}
	if err != nil {
		return err
	}
	view := articleView{
		Layout:    s.layout(r, a.Title, a.Summary),
		Article:   a,
		Published: dateIn(a.PublishedAt, a.Location()),
		Body:      template.HTML(a.BodyHTML), // sanitized when saved
	}
	if view.Related, err = s.renderCards(r.Context(), "related", view.Root, s.relatedCards(r.Context(), a.ID, 4), true); err != nil {
		return err
	}
	view.Lang = a.Language
	if !a.UpdatedAt.IsZero() && a.UpdatedAt.After(a.PublishedAt) {
		d := dateIn(a.UpdatedAt, a.Location())
		view.Updated = &d
	}
	view.BannerAppeal = s.bannerFor(a)
	if err := s.appealOn(r.Context(), &view); err != nil {
		return err
	}
	return s.write(w, http.StatusOK, "article", view)
}

// movedArticle answers an address no article has now: with a permanent
// redirect if it is a published article's former address, else not found.
// The redirect is relative, so it works on any host and under any folder.
func (s *Site) movedArticle(w http.ResponseWriter, r *http.Request) error {
	to, err := s.store.ArticleMovedTo(r.Context(), r.PathValue("slug"), s.now())
	if errors.Is(err, model.ErrNotFound) {
		return web.NotFound("We could not find this article. It may have been moved or unpublished; the front page and the archive list everything we have published.")
	}
	if err != nil {
		return err
	}
	// Set by hand: http.Redirect would make the address absolute.
	w.Header().Set("Location", url.PathEscape(to))
	w.WriteHeader(http.StatusMovedPermanently)
	return nil
}

func (s *Site) page(w http.ResponseWriter, r *http.Request) error {
	p, err := s.store.PageBySlug(r.Context(), r.PathValue("slug"))
	if errors.Is(err, model.ErrNotFound) {
		return web.NotFound("We could not find that page. It may have moved, or the address may be mistyped.")
	}
	if err != nil {
		return err
	}
	view := pageView{Layout: s.layout(r, p.Title, ""), Page: p, Body: template.HTML(p.BodyHTML)}
	if p.Language != "" {
		view.Lang = p.Language
	}
	return s.write(w, http.StatusOK, "page", view)
}
