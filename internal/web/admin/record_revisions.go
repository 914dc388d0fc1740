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

// recordPaths are the desk's addresses of the records that have revisions
// besides articles.
var recordPaths = map[store.RecordKind]string{
	store.KindPage: "/admin/pages", store.KindTag: "/admin/tags", store.KindByline: "/admin/bylines"}

// recordHistory is the list of revisions on the edit screen of a static
// page, tag or byline.
type recordHistory struct {
	Base      string // the record's desk address
	Noun      string // page, tag or byline
	Revisions []publishing.SavedRecord
}

type recordRevisionView struct {
	Layout
	publishing.SavedRecord
	Base string // the record's desk address
}

// staleRecord prepares the form of the record id of kind, with the values
// its stale save sent (err, a store.ErrStaleRevision), to be shown again:
// with its revisions, which now hold the one the save ran into, the
// problem to show, and *revision set to that one, so that saving again
// replaces it on purpose.
func (a *Admin) staleRecord(r *http.Request, kind store.RecordKind, id string, revision *int, stale error) (*recordHistory, string, error) {
	h, err := a.recordHistory(r, kind, id)
	if err != nil {
		return nil, "", err
	}
	var se *store.StaleError
	if errors.As(stale, &se) {
		*revision = se.Revision
	}
	return h, staleProblem(string(kind), "its latest revision, listed below,", stale), nil
}

// recordHistory lists the revisions of the record id of kind.
func (a *Admin) recordHistory(r *http.Request, kind store.RecordKind, id string) (*recordHistory, error) {
	list, err := a.editor.RecordHistory(r.Context(), actor(r), kind, id)
	if err != nil {
		return nil, err
	}
	return &recordHistory{Base: recordPaths[kind] + "/" + id, Noun: string(kind), Revisions: list}, nil
}

// recordRevision shows one revision of a record of kind as it was saved.
func (a *Admin) recordRevision(kind store.RecordKind) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		base := recordPaths[kind] + "/" + r.PathValue("id")
		v, err := a.editor.RecordRevision(r.Context(), actor(r), kind, r.PathValue("id"), r.PathValue("rev"))
		if err != nil {
			return a.editorError(w, r, err, base)
		}
		title := "Revision " + strconv.Itoa(v.Number) + ": " + v.Title
		return a.write(w, http.StatusOK, "record_revision", recordRevisionView{Layout: a.layout(r, title), SavedRecord: v, Base: base})
	}
}

// restoreRecordRevision makes a revision of a record of kind current, as a
// new revision.
func (a *Admin) restoreRecordRevision(kind store.RecordKind) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		base := recordPaths[kind] + "/" + r.PathValue("id")
		_, err := a.editor.RestoreRecord(r.Context(), actor(r), kind, r.PathValue("id"), r.PathValue("rev"))
		var ve *model.ValidationError
		switch {
		case err == nil:
			return redirect(w, r, base+"?done=restored")
		case errors.As(err, &ve) && ve.Fields["slug"] != "":
			return &web.Error{Status: http.StatusConflict, Cause: err, Message: "This revision's address is now used by another " +
				string(kind) + ", or by the site itself, so it cannot be restored as it is. Open the " + string(kind) +
				" and copy what you need from the revision."}
		case errors.Is(err, store.ErrStaleRevision):
			return &web.Error{Status: http.StatusConflict, Cause: err, Message: "Someone saved the " + string(kind) +
				" while you restored it, so nothing was restored. Try again."}
		}
		return a.editorError(w, r, err, base+"/revisions/"+r.PathValue("rev"))
	}
}
