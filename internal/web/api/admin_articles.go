package api

import (
	"net/http"

	"github.com/tamizdat/tamizdat/internal/model"
)

// The Admin API's article endpoints. Each parses, calls one editorial
// method (which authorises and audits), and renders.

// AdminArticleList is the answer of the Admin API's article list.
type AdminArticleList struct {
	Articles []AdminArticleJSON `json:"articles"`
	Meta     ListMeta           `json:"meta"`
}

// articleDoc wraps one article for the Admin API.
type articleDoc struct {
	Article AdminArticleJSON `json:"article"`
}

func (a *API) adminArticles(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, err := parseList(q, createdCursor)
	if err != nil {
		return err
	}
	aq := listQuery(keyOf(r))
	aq.WithBody = true
	if v := q.Get("status"); v != "" {
		if aq.Status = model.Status(v); !aq.Status.Valid() {
			return badParam("status", "status must be draft, scheduled or published.")
		}
	}
	list, next, err := a.articlePage(r, aq, page, createdCursor)
	if err != nil {
		return err
	}
	out := AdminArticleList{Articles: make([]AdminArticleJSON, len(list)), Meta: ListMeta{Limit: page.limit, Next: next}}
	for i, art := range list {
		out.Articles[i] = adminArticleJSON(art)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) adminArticle(w http.ResponseWriter, r *http.Request) error {
	rec, _, err := a.editorial.load(r.Context(), keyOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, articleDoc{adminArticleJSON(rec.Article)})
}

func (a *API) adminCreateArticle(w http.ResponseWriter, r *http.Request) error {
	var in articleInput
	if err := decodeBody(w, r, &in, false); err != nil {
		return err
	}
	art, err := a.editorial.create(r.Context(), keyOf(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", AdminPrefix+"articles/"+art.ID)
	return writeJSON(w, http.StatusCreated, articleDoc{adminArticleJSON(art)})
}

func (a *API) adminUpdateArticle(w http.ResponseWriter, r *http.Request) error {
	var in articleInput
	if err := decodeBody(w, r, &in, false); err != nil {
		return err
	}
	art, err := a.editorial.update(r.Context(), keyOf(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, articleDoc{adminArticleJSON(art)})
}

func (a *API) adminDeleteArticle(w http.ResponseWriter, r *http.Request) error {
	if err := a.editorial.remove(r.Context(), keyOf(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) adminPublishArticle(w http.ResponseWriter, r *http.Request) error {
	var in publishInput
	if err := decodeBody(w, r, &in, true); err != nil {
		return err
	}
	art, err := a.editorial.publish(r.Context(), keyOf(r), r.PathValue("id"), in.PublishedAt)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, articleDoc{adminArticleJSON(art)})
}

func (a *API) adminUnpublishArticle(w http.ResponseWriter, r *http.Request) error {
	art, err := a.editorial.unpublish(r.Context(), keyOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, articleDoc{adminArticleJSON(art)})
}
