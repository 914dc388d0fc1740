package admin

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/store"
)

// confirmDelete is the message of a delete form sent without its box
// ticked.
var confirmDelete = map[string]string{"confirm": "Tick the box to confirm the deletion."}

type tagsView struct {
	Layout
	Tags   []model.Tag
	Form   publishing.TagDraft // the new-tag form
	Errors map[string]string
	Notice string
}

type tagView struct {
	Layout
	Form    publishing.TagDraft
	Errors  map[string]string
	Notice  string
	Problem string         // a stale save's, with the submitted form kept
	History *recordHistory // nil while the form shows problems by field
}

func (a *Admin) tags(w http.ResponseWriter, r *http.Request) error {
	return a.tagList(w, r, http.StatusOK, publishing.TagDraft{}, nil)
}

func (a *Admin) tagList(w http.ResponseWriter, r *http.Request, status int, form publishing.TagDraft, problems map[string]string) error {
	tags, err := a.editor.Tags(r.Context(), actor(r))
	if err != nil {
		return a.editorError(w, r, err, "/admin/tags")
	}
	return a.write(w, status, "tags", tagsView{Layout: a.layout(r, "Tags"), Tags: tags, Form: form, Errors: problems,
		Notice: notices[r.URL.Query().Get("done")]})
}

func tagDraftFrom(r *http.Request, id string) publishing.TagDraft {
	return publishing.TagDraft{ID: id, Name: r.PostFormValue("name"), Slug: r.PostFormValue("slug"),
		Description: r.PostFormValue("description"), Revision: formRevision(r)}
}

// formRevision is the revision the form of a tag, byline or page was
// opened at.
func formRevision(r *http.Request) int {
	n, _ := strconv.Atoi(r.PostFormValue("revision"))
	return n
}

func (a *Admin) createTag(w http.ResponseWriter, r *http.Request) error {
	d := tagDraftFrom(r, "")
	_, err := a.editor.SaveTag(r.Context(), actor(r), d)
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		return a.tagList(w, r, http.StatusUnprocessableEntity, d, ve.Fields)
	}
	if err != nil {
		return a.editorError(w, r, err, "/admin/tags")
	}
	return redirect(w, r, "/admin/tags?done=saved")
}

func (a *Admin) tag(w http.ResponseWriter, r *http.Request) error {
	return a.tagForm(w, r, http.StatusOK, nil)
}

// tagForm shows the stored tag r names, with problems.
func (a *Admin) tagForm(w http.ResponseWriter, r *http.Request, status int, problems map[string]string) error {
	t, err := a.editor.Tag(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return a.editorError(w, r, err, "/admin/tags")
	}
	h, err := a.recordHistory(r, store.KindTag, t.ID)
	if err != nil {
		return a.editorError(w, r, err, "/admin/tags")
	}
	return a.write(w, status, "tag", tagView{Layout: a.layout(r, "Tag: "+t.Name), Form: t, Errors: problems,
		Notice: notices[r.URL.Query().Get("done")], History: h})
}

func (a *Admin) saveTag(w http.ResponseWriter, r *http.Request) error {
	d := tagDraftFrom(r, r.PathValue("id"))
	_, err := a.editor.SaveTag(r.Context(), actor(r), d)
	var ve *model.ValidationError
	switch {
	case err == nil:
		return redirect(w, r, "/admin/tags?done=saved")
	case errors.As(err, &ve):
		return a.write(w, http.StatusUnprocessableEntity, "tag", tagView{Layout: a.layout(r, "Tag: "+d.Name), Form: d, Errors: ve.Fields})
	case errors.Is(err, store.ErrStaleRevision):
		v := tagView{Layout: a.layout(r, "Tag: "+d.Name), Form: d}
		if v.History, v.Problem, err = a.staleRecord(r, store.KindTag, d.ID, &v.Form.Revision, err); err == nil {
			return a.write(w, http.StatusConflict, "tag", v)
		}
	}
	return a.editorError(w, r, err, "/admin/tags")
}

func (a *Admin) deleteTag(w http.ResponseWriter, r *http.Request) error {
	return a.deleteRecord(w, r, "tag", "/admin/tags", a.tagForm, a.editor.DeleteTag)
}

// deleteRecord answers the delete form of a tag, byline or page, a noun:
// form shows the record's page again with problems, del deletes it as of
// the revision the page was opened at, and list is where to go after. A
// record saved since it was opened is not deleted: its page shows it as
// it is now, and says so.
func (a *Admin) deleteRecord(w http.ResponseWriter, r *http.Request, noun, list string,
	form func(http.ResponseWriter, *http.Request, int, map[string]string) error,
	del func(context.Context, publishing.Actor, string, int) error) error {
	if r.PostFormValue("confirm") != "yes" {
		return form(w, r, http.StatusUnprocessableEntity, confirmDelete)
	}
	err := del(r.Context(), actor(r), r.PathValue("id"), formRevision(r))
	switch {
	case err == nil:
		return redirect(w, r, list+"?done=deleted")
	case errors.Is(err, store.ErrStaleRevision):
		return form(w, r, http.StatusConflict, map[string]string{"confirm": savedSince(noun, err) +
			" It was not deleted. It is shown below as it is now; delete it again if you still mean to."})
	}
	return a.editorError(w, r, err, list)
}

type bylinesView struct {
	Layout
	Bylines []model.Author
	Kinds   []model.AuthorKind
	Form    publishing.BylineDraft // the new-byline form
	Errors  map[string]string
	Notice  string
}

type bylineView struct {
	Layout
	Kinds   []model.AuthorKind
	Form    publishing.BylineDraft
	Errors  map[string]string
	Notice  string
	Problem string         // as in tagView
	History *recordHistory // nil while the form shows problems by field
}

var bylineKinds = []model.AuthorKind{model.AuthorStaff, model.AuthorPseudonym, model.AuthorAgency}

func (a *Admin) bylines(w http.ResponseWriter, r *http.Request) error {
	return a.bylineList(w, r, http.StatusOK, publishing.BylineDraft{Kind: model.AuthorStaff}, nil)
}

func (a *Admin) bylineList(w http.ResponseWriter, r *http.Request, status int, form publishing.BylineDraft, problems map[string]string) error {
	list, err := a.editor.Bylines(r.Context(), actor(r))
	if err != nil {
		return a.editorError(w, r, err, "/admin/bylines")
	}
	return a.write(w, status, "bylines", bylinesView{Layout: a.layout(r, "Bylines"), Bylines: list, Kinds: bylineKinds,
		Form: form, Errors: problems, Notice: notices[r.URL.Query().Get("done")]})
}

func bylineDraftFrom(r *http.Request, id string) publishing.BylineDraft {
	return publishing.BylineDraft{ID: id, Name: r.PostFormValue("name"), Slug: r.PostFormValue("slug"),
		Kind: model.AuthorKind(r.PostFormValue("kind")), Bio: r.PostFormValue("bio"), Revision: formRevision(r)}
}

func (a *Admin) createByline(w http.ResponseWriter, r *http.Request) error {
	d := bylineDraftFrom(r, "")
	_, err := a.editor.SaveByline(r.Context(), actor(r), d)
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		return a.bylineList(w, r, http.StatusUnprocessableEntity, d, ve.Fields)
	}
	if err != nil {
		return a.editorError(w, r, err, "/admin/bylines")
	}
	return redirect(w, r, "/admin/bylines?done=saved")
}

func (a *Admin) byline(w http.ResponseWriter, r *http.Request) error {
	return a.bylineForm(w, r, http.StatusOK, nil)
}

// bylineForm shows the stored byline r names, with problems.
func (a *Admin) bylineForm(w http.ResponseWriter, r *http.Request, status int, problems map[string]string) error {
	b, err := a.editor.Byline(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return a.editorError(w, r, err, "/admin/bylines")
	}
	h, err := a.recordHistory(r, store.KindByline, b.ID)
	if err != nil {
		return a.editorError(w, r, err, "/admin/bylines")
	}
	return a.write(w, status, "byline", bylineView{Layout: a.layout(r, "Byline: "+b.Name), Kinds: bylineKinds, Form: b, Errors: problems,
		Notice: notices[r.URL.Query().Get("done")], History: h})
}

func (a *Admin) saveByline(w http.ResponseWriter, r *http.Request) error {
	d := bylineDraftFrom(r, r.PathValue("id"))
	_, err := a.editor.SaveByline(r.Context(), actor(r), d)
	var ve *model.ValidationError
	switch {
	case err == nil:
		return redirect(w, r, "/admin/bylines?done=saved")
	case errors.As(err, &ve):
		return a.write(w, http.StatusUnprocessableEntity, "byline", bylineView{Layout: a.layout(r, "Byline: "+d.Name),
			Kinds: bylineKinds, Form: d, Errors: ve.Fields})
	case errors.Is(err, store.ErrStaleRevision):
		v := bylineView{Layout: a.layout(r, "Byline: "+d.Name), Kinds: bylineKinds, Form: d}
		if v.History, v.Problem, err = a.staleRecord(r, store.KindByline, d.ID, &v.Form.Revision, err); err == nil {
			return a.write(w, http.StatusConflict, "byline", v)
		}
	}
	return a.editorError(w, r, err, "/admin/bylines")
}

func (a *Admin) deleteByline(w http.ResponseWriter, r *http.Request) error {
	return a.deleteRecord(w, r, "byline", "/admin/bylines", a.bylineForm, a.editor.DeleteByline)
}
