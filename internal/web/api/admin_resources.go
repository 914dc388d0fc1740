package api

import (
	"net/http"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/model"
)

// The Admin API's other resources: the calling key, tags, bylines and
// static pages.

// KeyJSON describes the calling key: what a program needs to know about
// its own access. It never includes who created the key.
type KeyJSON struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Role      accounts.Role `json:"role"`
	ExpiresAt *time.Time    `json:"expires_at"`
	// MayPublish: the key may publish, schedule, unpublish and change
	// public articles, as its role allows.
	MayPublish bool `json:"may_publish"`
}

func (a *API) adminKey(w http.ResponseWriter, r *http.Request) error {
	k := keyOf(r)
	return writeJSON(w, http.StatusOK, struct {
		Key KeyJSON `json:"key"`
	}{KeyJSON{ID: k.ID, Name: k.Name, Role: k.Role, ExpiresAt: optTime(k.ExpiresAt), MayPublish: k.MayPublish}})
}

// tagDoc and the other *Doc types wrap one resource.
type (
	tagDoc struct {
		Tag TagJSON `json:"tag"`
	}
	authorDoc struct {
		Author AuthorJSON `json:"author"`
	}
	pageDoc struct {
		Page PageJSON `json:"page"`
	}
)

func adminTagJSON(t model.Tag) TagJSON {
	j := tagJSON(t)
	j.ID = t.ID
	return j
}

func adminAuthorJSON(au model.Author) AuthorJSON {
	j := authorJSON(au, 0)
	j.ID = au.ID
	return j
}

// Every key may list tags and bylines: it needs their slugs to write.

func (a *API) adminTags(w http.ResponseWriter, r *http.Request) error {
	tags, err := a.store.AllTags(r.Context())
	if err != nil {
		return err
	}
	out := make([]TagJSON, len(tags))
	for i, t := range tags {
		out[i] = adminTagJSON(t)
	}
	return writeJSON(w, http.StatusOK, struct {
		Tags []TagJSON `json:"tags"`
	}{out})
}

func (a *API) adminCreateTag(w http.ResponseWriter, r *http.Request) error {
	return a.writeTag(w, r, "", http.StatusCreated)
}

func (a *API) adminUpdateTag(w http.ResponseWriter, r *http.Request) error {
	return a.writeTag(w, r, r.PathValue("id"), http.StatusOK)
}

func (a *API) writeTag(w http.ResponseWriter, r *http.Request, id string, status int) error {
	var in tagInput
	if err := decodeBody(w, r, &in, false); err != nil {
		return err
	}
	t, err := a.editorial.saveTag(r.Context(), keyOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, status, tagDoc{adminTagJSON(t)})
}

func (a *API) adminDeleteTag(w http.ResponseWriter, r *http.Request) error {
	return a.deleted(w, a.editorial.deleteTaxonomy(r.Context(), keyOf(r), r.PathValue("id"), ActionTagDeleted, a.editorial.publishing.DeleteTag))
}

func (a *API) adminAuthors(w http.ResponseWriter, r *http.Request) error {
	authors, err := a.store.ListAuthors(r.Context())
	if err != nil {
		return err
	}
	out := make([]AuthorJSON, len(authors))
	for i, au := range authors {
		out[i] = adminAuthorJSON(au)
	}
	return writeJSON(w, http.StatusOK, struct {
		Authors []AuthorJSON `json:"authors"`
	}{out})
}

func (a *API) adminCreateAuthor(w http.ResponseWriter, r *http.Request) error {
	return a.writeAuthor(w, r, "", http.StatusCreated)
}

func (a *API) adminUpdateAuthor(w http.ResponseWriter, r *http.Request) error {
	return a.writeAuthor(w, r, r.PathValue("id"), http.StatusOK)
}

func (a *API) writeAuthor(w http.ResponseWriter, r *http.Request, id string, status int) error {
	var in authorInput
	if err := decodeBody(w, r, &in, false); err != nil {
		return err
	}
	au, err := a.editorial.saveByline(r.Context(), keyOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, status, authorDoc{adminAuthorJSON(au)})
}

func (a *API) adminDeleteAuthor(w http.ResponseWriter, r *http.Request) error {
	return a.deleted(w, a.editorial.deleteTaxonomy(r.Context(), keyOf(r), r.PathValue("id"), ActionBylineDeleted, a.editorial.publishing.DeleteByline))
}

func (a *API) adminPages(w http.ResponseWriter, r *http.Request) error {
	pages, err := a.store.ListPages(r.Context())
	if err != nil {
		return err
	}
	out := make([]PageJSON, len(pages))
	for i, p := range pages {
		out[i] = pageJSON(p, true)
	}
	return writeJSON(w, http.StatusOK, struct {
		Pages []PageJSON `json:"pages"`
	}{out})
}

func (a *API) adminCreatePage(w http.ResponseWriter, r *http.Request) error {
	return a.writePage(w, r, "", http.StatusCreated)
}

func (a *API) adminUpdatePage(w http.ResponseWriter, r *http.Request) error {
	return a.writePage(w, r, r.PathValue("id"), http.StatusOK)
}

func (a *API) writePage(w http.ResponseWriter, r *http.Request, id string, status int) error {
	var in pageInput
	if err := decodeBody(w, r, &in, false); err != nil {
		return err
	}
	p, err := a.editorial.savePage(r.Context(), keyOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, status, pageDoc{pageJSON(p, true)})
}

func (a *API) adminDeletePage(w http.ResponseWriter, r *http.Request) error {
	return a.deleted(w, a.editorial.deleteTaxonomy(r.Context(), keyOf(r), r.PathValue("id"), ActionPageDeleted, a.editorial.publishing.DeletePage))
}

// deleted answers a DELETE: 204, or the error.
func (a *API) deleted(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
