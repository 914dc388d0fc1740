package admin

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web"
)

type revisionsView struct {
	Layout
	publishing.History
}

type revisionView struct {
	Layout
	publishing.RevisionView
	SteppedUp bool
}

// revisions lists who saved the article when.
func (a *Admin) revisions(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	h, err := a.editor.History(r.Context(), actor(r), id)
	if err != nil {
		return a.editorError(w, r, err, articlePath(id))
	}
	return a.write(w, http.StatusOK, "revisions", revisionsView{Layout: a.layout(r, "Revisions: "+h.Article.Title), History: h})
}

// revision shows one revision's fields as they were saved.
func (a *Admin) revision(w http.ResponseWriter, r *http.Request) error {
	v, err := a.editor.Revision(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return a.editorError(w, r, err, "/admin/articles")
	}
	title := "Revision " + strconv.Itoa(v.Number) + ": " + v.Article.Title
	return a.write(w, http.StatusOK, "revision", revisionView{Layout: a.layout(r, title), RevisionView: v,
		SteppedUp: principal(r).SteppedUp()})
}

// restoreRevision makes the revision's content current, as a new revision.
func (a *Admin) restoreRevision(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	art, err := a.editor.Restore(r.Context(), actor(r), id)
	var ve *model.ValidationError
	switch {
	case err == nil:
		return redirect(w, r, changedPath(articlePath(art.ID), "restored", art))
	case errors.As(err, &ve) && ve.Fields["slug"] != "":
		return &web.Error{Status: http.StatusConflict, Cause: err, Message: "This revision's address is now used by " +
			"another article, so it cannot be restored as it is. Open the article and copy what you need from the revision."}
	case errors.Is(err, store.ErrStaleRevision):
		return &web.Error{Status: http.StatusConflict, Cause: err, Message: "Someone saved the article while you restored it. Try again."}
	}
	return a.editorError(w, r, err, "/admin/revisions/"+id)
}
