package api

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// The Content API: what a reader can see on the site now, as JSON.

// ArticleList is the answer of the article lists.
type ArticleList struct {
	Articles []ArticleJSON `json:"articles"`
	Meta     ListMeta      `json:"meta"`
}

func (a *API) contentArticles(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	aq, err := contentQuery(q, a.now())
	if err != nil {
		return err
	}
	page, err := parseList(q, publishedCursor)
	if err != nil {
		return err
	}
	list, next, err := a.articlePage(r, aq, page, publishedCursor)
	if err != nil {
		return err
	}
	out := ArticleList{Articles: make([]ArticleJSON, len(list)), Meta: ListMeta{Limit: page.limit, Next: next}}
	for i, art := range list {
		out.Articles[i] = articleJSON(art, false)
	}
	return writeCached(w, r, out)
}

// articlePage reads one page of aq and the cursor of the page after it,
// nil on the last page. It reads one article more than the page holds to
// know whether there is a next page.
func (a *API) articlePage(r *http.Request, aq store.ArticlePageQuery, page listParams, kind byte) ([]*model.Article, *string, error) {
	aq.After, aq.Limit = page.after, page.limit+1
	list, err := a.store.ArticlePage(r.Context(), aq)
	if err != nil {
		return nil, nil, err
	}
	if len(list) <= page.limit {
		return list, nil, nil
	}
	list = list[:page.limit]
	next := encodeCursor(kind, list[len(list)-1])
	return list, &next, nil
}

// errNoContent is the one answer for anything a reader cannot see, so that
// drafts and scheduled articles cannot be told from nothing.
var errNoContent = &Error{Status: http.StatusNotFound, Code: "not_found", Message: "There is nothing published under this slug."}

func (a *API) contentArticle(w http.ResponseWriter, r *http.Request) error {
	art, err := a.store.ArticleBySlug(r.Context(), r.PathValue("slug"))
	if errors.Is(err, model.ErrNotFound) {
		return a.movedArticle(w, r)
	}
	if err == nil && !art.PublicAt(a.now()) {
		return errNoContent
	}
	if err != nil {
		return err
	}
	return writeCached(w, r, struct {
		Article ArticleJSON `json:"article"`
	}{articleJSON(art, true)})
}

// movedArticle answers a slug no article has now: with a permanent
// redirect if it is a published article's former slug, as the site does,
// else not found. The redirect is relative, so it works on any host and
// under any folder.
func (a *API) movedArticle(w http.ResponseWriter, r *http.Request) error {
	to, err := a.store.ArticleMovedTo(r.Context(), r.PathValue("slug"), a.now())
	if errors.Is(err, model.ErrNotFound) {
		return errNoContent
	}
	if err != nil {
		return err
	}
	// Set by hand: http.Redirect would make the address absolute.
	w.Header().Set("Location", url.PathEscape(to))
	w.WriteHeader(http.StatusMovedPermanently)
	return nil
}

func (a *API) contentTags(w http.ResponseWriter, r *http.Request) error {
	tags, err := a.store.ListTags(r.Context(), a.now())
	if err != nil {
		return err
	}
	// A tag without published articles is not public yet: its name may
	// announce a story still being written.
	out := []TagJSON{}
	for _, t := range tags {
		if t.Count > 0 {
			out = append(out, tagCountJSON(t))
		}
	}
	return writeCached(w, r, struct {
		Tags []TagJSON `json:"tags"`
	}{out})
}

func (a *API) contentTag(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	tags, err := a.store.ListTags(r.Context(), a.now())
	if err != nil {
		return err
	}
	for _, t := range tags {
		if t.Slug != slug || t.Count == 0 {
			continue
		}
		full, err := a.store.TagBySlug(r.Context(), slug)
		if err != nil {
			return err
		}
		j := tagJSON(full)
		j.Articles = t.Count
		return writeCached(w, r, struct {
			Tag TagJSON `json:"tag"`
		}{j})
	}
	return errNoContent
}

func (a *API) contentAuthors(w http.ResponseWriter, r *http.Request) error {
	authors, err := a.store.AuthorCounts(r.Context(), a.now())
	if err != nil {
		return err
	}
	// Like tags, a byline appears once it has a published article: a new
	// pseudonym must not surface before its first story.
	out := []AuthorJSON{}
	for _, au := range authors {
		if au.Count > 0 {
			out = append(out, authorJSON(au.Author, au.Count))
		}
	}
	return writeCached(w, r, struct {
		Authors []AuthorJSON `json:"authors"`
	}{out})
}

func (a *API) contentAuthor(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	authors, err := a.store.AuthorCounts(r.Context(), a.now())
	if err != nil {
		return err
	}
	for _, au := range authors {
		if au.Slug == slug && au.Count > 0 {
			return writeCached(w, r, struct {
				Author AuthorJSON `json:"author"`
			}{authorJSON(au.Author, au.Count)})
		}
	}
	return errNoContent
}

func (a *API) contentPages(w http.ResponseWriter, r *http.Request) error {
	pages, err := a.store.ListPages(r.Context())
	if err != nil {
		return err
	}
	out := make([]PageJSON, len(pages))
	for i, p := range pages {
		out[i] = pageJSON(p, false)
	}
	return writeCached(w, r, struct {
		Pages []PageJSON `json:"pages"`
	}{out})
}

func (a *API) contentPage(w http.ResponseWriter, r *http.Request) error {
	p, err := a.store.PageBySlug(r.Context(), r.PathValue("slug"))
	if errors.Is(err, model.ErrNotFound) {
		return errNoContent
	}
	if err != nil {
		return err
	}
	return writeCached(w, r, struct {
		Page PageJSON `json:"page"`
	}{pageJSON(p, false)})
}
