package admin

import (
	"errors"
	"net/http"

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
	History *recordHistory // nil while the form shows problems
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
		Description: r.PostFormValue("description")}
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
	form := publishing.TagDraft{ID: t.ID, Name: t.Name, Slug: t.Slug, Description: t.Description}
	return a.write(w, status, "tag", tagView{Layout: a.layout(r, "Tag: "+t.Name), Form: form, Errors: problems,
		Notice: notices[r.URL.Query().Get("done")], History: h})
}

func (a *Admin) saveTag(w http.ResponseWriter, r *http.Request) error {
	d := tagDraftFrom(r, r.PathValue("id"))
	_, err := a.editor.SaveTag(r.Context(), actor(r), d)
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		return a.write(w, http.StatusUnprocessableEntity, "tag", tagView{Layout: a.layout(r, "Tag: "+d.Name), Form: d, Errors: ve.Fields})
	}
	if err != nil {
		return a.editorError(w, r, err, "/admin/tags")
	}
	return redirect(w, r, "/admin/tags?done=saved")
}

func (a *Admin) deleteTag(w http.ResponseWriter, r *http.Request) error {
	if r.PostFormValue("confirm") != "yes" {
		return a.tagForm(w, r, http.StatusUnprocessableEntity, confirmDelete)
	}
	if err := a.editor.DeleteTag(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return a.editorError(w, r, err, "/admin/tags")
	}
	return redirect(w, r, "/admin/tags?done=deleted")
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
	History *recordHistory // nil while the form shows problems
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
		Kind: model.AuthorKind(r.PostFormValue("kind")), Bio: r.PostFormValue("bio")}
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
	form := publishing.BylineDraft{ID: b.ID, Name: b.Name, Slug: b.Slug, Kind: b.Kind, Bio: b.Bio}
	return a.write(w, status, "byline", bylineView{Layout: a.layout(r, "Byline: "+b.Name), Kinds: bylineKinds, Form: form, Errors: problems,
		Notice: notices[r.URL.Query().Get("done")], History: h})
}

func (a *Admin) saveByline(w http.ResponseWriter, r *http.Request) error {
	d := bylineDraftFrom(r, r.PathValue("id"))
	_, err := a.editor.SaveByline(r.Context(), actor(r), d)
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		return a.write(w, http.StatusUnprocessableEntity, "byline", bylineView{Layout: a.layout(r, "Byline: "+d.Name),
			Kinds: bylineKinds, Form: d, Errors: ve.Fields})
	}
	if err != nil {
		return a.editorError(w, r, err, "/admin/bylines")
	}
	return redirect(w, r, "/admin/bylines?done=saved")
}

func (a *Admin) deleteByline(w http.ResponseWriter, r *http.Request) error {
	if r.PostFormValue("confirm") != "yes" {
		return a.bylineForm(w, r, http.StatusUnprocessableEntity, confirmDelete)
	}
	if err := a.editor.DeleteByline(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return a.editorError(w, r, err, "/admin/bylines")
	}
	return redirect(w, r, "/admin/bylines?done=deleted")
}
