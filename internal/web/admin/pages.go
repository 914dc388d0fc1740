package admin

import (
	"errors"
	"net/http"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/store"
)

type pagesView struct {
	Layout
	Pages  []*model.Page
	Notice string
}

type pageView struct {
	Layout
	Form    publishing.PageDraft
	Errors  map[string]string
	Notice  string
	Problem string         // as in tagView
	LiveURL string         // the page's public address; "" for a new page
	History *recordHistory // nil for a new page and while the form shows problems by field
}

// staticPages lists the static pages: About, Privacy Policy and the like.
func (a *Admin) staticPages(w http.ResponseWriter, r *http.Request) error {
	list, err := a.editor.Pages(r.Context(), actor(r))
	if err != nil {
		return a.editorError(w, r, err, "/admin/pages")
	}
	return a.write(w, http.StatusOK, "pages", pagesView{Layout: a.layout(r, "Pages"), Pages: list,
		Notice: notices[r.URL.Query().Get("done")]})
}

func (a *Admin) newStaticPage(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.editor.Pages(r.Context(), actor(r)); err != nil {
		return a.editorError(w, r, err, "/admin/pages")
	}
	return a.write(w, http.StatusOK, "page", pageView{Layout: a.layout(r, "New page")})
}

func (a *Admin) staticPage(w http.ResponseWriter, r *http.Request) error {
	return a.staticPageForm(w, r, http.StatusOK, nil)
}

// staticPageForm shows the stored page r names, with problems.
func (a *Admin) staticPageForm(w http.ResponseWriter, r *http.Request, status int, problems map[string]string) error {
	p, err := a.editor.Page(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return a.editorError(w, r, err, "/admin/pages")
	}
	h, err := a.recordHistory(r, store.KindPage, p.ID)
	if err != nil {
		return a.editorError(w, r, err, "/admin/pages")
	}
	return a.write(w, status, "page", pageView{Layout: a.layout(r, "Page: "+p.Title), Form: p, Errors: problems,
		Notice: notices[r.URL.Query().Get("done")], LiveURL: a.publicURL("/" + p.Slug), History: h})
}

func pageDraftFrom(r *http.Request, id string) publishing.PageDraft {
	return publishing.PageDraft{ID: id, Title: r.PostFormValue("title"), Slug: r.PostFormValue("slug"),
		Body: r.PostFormValue("body"), Language: r.PostFormValue("language"), Revision: formRevision(r)}
}

func (a *Admin) createStaticPage(w http.ResponseWriter, r *http.Request) error {
	return a.submitStaticPage(w, r, "")
}

func (a *Admin) saveStaticPage(w http.ResponseWriter, r *http.Request) error {
	return a.submitStaticPage(w, r, r.PathValue("id"))
}

// submitStaticPage saves the form as the page id ("" for a new one).
func (a *Admin) submitStaticPage(w http.ResponseWriter, r *http.Request, id string) error {
	d := pageDraftFrom(r, id)
	p, err := a.editor.SavePage(r.Context(), actor(r), d)
	title := "New page"
	if id != "" {
		title = "Page: " + d.Title
	}
	var ve *model.ValidationError
	switch {
	case err == nil:
		return redirect(w, r, "/admin/pages/"+p.ID+"?done=saved")
	case errors.As(err, &ve):
		return a.write(w, http.StatusUnprocessableEntity, "page", pageView{Layout: a.layout(r, title), Form: d, Errors: ve.Fields})
	case errors.Is(err, store.ErrStaleRevision):
		v := pageView{Layout: a.layout(r, title), Form: d}
		if v.History, v.Problem, err = a.staleRecord(r, store.KindPage, id, &v.Form.Revision, err); err == nil {
			return a.write(w, http.StatusConflict, "page", v)
		}
	}
	return a.editorError(w, r, err, "/admin/pages")
}

func (a *Admin) deleteStaticPage(w http.ResponseWriter, r *http.Request) error {
	return a.deleteRecord(w, r, "page", "/admin/pages", a.staticPageForm, a.editor.DeletePage)
}
