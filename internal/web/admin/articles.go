package admin

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web"
)

// maxTextForm bounds forms that carry an article's or page's text: a long
// Cyrillic article is a few hundred kilobytes once form-encoded.
const maxTextForm = 2 << 20

// notices are what a page says after a redirect, by its ?done= code.
var notices = map[string]string{
	"saved":       "Saved.",
	"published":   "Published: the article is on the site.",
	"scheduled":   "Scheduled: the article will be published at its time.",
	"unpublished": "Unpublished: the article is a draft again and no longer on the site.",
	"restored":    "The old revision is restored, as a new revision.",
	"revoked":     "Every preview link of this article has stopped working.",
	"deleted":     "Deleted.",
}

// articleNotice is what an articles page says after a redirect: the
// notice of its ?done= code, and whether the change withdrew the
// approvals of newsletter issues (?withdrawn=N, see changedPath).
func articleNotice(q url.Values) string {
	notice := notices[q.Get("done")]
	switch n := q.Get("withdrawn"); n {
	case "", "0":
	case "1":
		notice += " A newsletter issue picks this article and had been approved to go out: its approvals are withdrawn, " +
			"since they approved the article as it was. The issue is a draft again; it goes out only once approved anew."
	default:
		notice += " " + n + " newsletter issues pick this article and had been approved to go out: their approvals are withdrawn, " +
			"since they approved the article as it was. The issues are drafts again; they go out only once approved anew."
	}
	return notice
}

// changedPath is where to go after the change c: path with the notice
// code done, and the count of issues whose approvals c withdrew.
func changedPath(path, done string, c publishing.Changed) string {
	path += "?done=" + done
	if n := len(c.ApprovalsWithdrawn); n > 0 {
		path += "&withdrawn=" + strconv.Itoa(n)
	}
	return path
}

// timeZones are offered in the time-zone field; any IANA zone is accepted.
var timeZones = []string{"UTC", "Europe/Moscow", "Europe/Kyiv", "Europe/Minsk", "Europe/Riga", "Europe/Berlin",
	"Europe/London", "Asia/Tbilisi", "Asia/Yerevan", "Asia/Almaty", "America/New_York"}

// actor describes the signed-in account to the publishing service.
func actor(r *http.Request) publishing.Actor {
	p := principal(r)
	return publishing.NewActor(p.User.ID, p, p.SteppedUp())
}

type articlesView struct {
	Layout
	publishing.Listing
	Query    publishing.ListQuery
	Statuses []model.Status
	Notice   string
	// Prev and Next are the neighbouring pages' query strings; "" for none.
	Prev, Next string
}

func (a *Admin) articles(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	query := publishing.ListQuery{Status: model.Status(q.Get("status")), AuthorID: q.Get("byline"), TagID: q.Get("tag"),
		Title: q.Get("q"), Page: page}
	list, err := a.editor.List(r.Context(), actor(r), query)
	if err != nil {
		return a.editorError(w, r, err, "/admin/articles")
	}
	view := articlesView{Layout: a.layout(r, "Articles"), Listing: list, Query: query, Notice: articleNotice(q),
		Statuses: []model.Status{model.StatusDraft, model.StatusScheduled, model.StatusPublished}}
	pageLink := func(n int) string {
		q.Set("page", strconv.Itoa(n))
		q.Del("done")
		return "?" + q.Encode()
	}
	if list.Page > 1 {
		view.Prev = pageLink(list.Page - 1)
	}
	if list.Page < list.Pages {
		view.Next = pageLink(list.Page + 1)
	}
	return a.write(w, http.StatusOK, "articles", view)
}

type articleView struct {
	Layout
	ID      string         // "" for a new article
	Article *model.Article // as stored; nil for a new article
	Draft   publishing.Draft
	Tags    []option
	Bylines []option
	Kinds   []model.AuthorKind
	Zones   []string
	Errors  map[string]string
	Notice  string
	Problem string // what went wrong beyond single fields
	// What the account may do here; publishing also needs SteppedUp.
	MayEdit, MayPublish, MayCreateTags, MayCreateBylines, SteppedUp bool
	PreviewLinks                                                    int
	Shared                                                          *sharedLink // a preview link just made
	LiveURL                                                         string      // the published article's address
	// Images are the newest images of the library, to pick as the lead
	// image or put in the text; CanUpload offers a file field, up to
	// MaxSize.
	Images    []pickRow
	CanUpload bool
	MaxSize   string
	// LeadImage shows the chosen lead image; nil when there is none.
	LeadImage *displayed
}

// option is a tag or byline in a pick list.
type option struct {
	ID, Name string
	Checked  bool
}

type sharedLink struct {
	URL, Expires string
}

func (a *Admin) newArticle(w http.ResponseWriter, r *http.Request) error {
	return a.openArticle(w, r, "")
}

func (a *Admin) editArticle(w http.ResponseWriter, r *http.Request) error {
	return a.openArticle(w, r, r.PathValue("id"))
}

// openArticle shows the form of the article id ("" for a new one) and,
// back from a step-up (?held=1), the edits held while it was confirmed.
func (a *Admin) openArticle(w http.ResponseWriter, r *http.Request, id string) error {
	st := articleState{notice: articleNotice(r.URL.Query())}
	if r.URL.Query().Get("held") != "" {
		d, action, ok, err := a.editor.Held(r.Context(), actor(r), id)
		if err != nil {
			return err
		}
		if ok {
			st.draft = &d
			st.notice = fmt.Sprintf("Your changes are back, not yet saved. Press %s again to finish.", actionLabels[action])
		}
	}
	return a.articleForm(w, r, http.StatusOK, id, st)
}

// actionLabels name the form's buttons by action.
var actionLabels = map[publishing.Action]string{publishing.ActionSave: "Save changes", publishing.ActionSchedule: "Schedule",
	publishing.ActionPublish: "Publish now"}

// articleState is what the form shows beyond the stored article.
type articleState struct {
	draft   *publishing.Draft // the submitted form, kept on an error
	errors  map[string]string
	problem string
	notice  string
	shared  *sharedLink
}

// articleForm renders the editor for the article id ("" for a new one).
func (a *Admin) articleForm(w http.ResponseWriter, r *http.Request, status int, id string, st articleState) error {
	e, err := a.editor.Editor(r.Context(), actor(r), id)
	if err != nil {
		return a.editorError(w, r, err, "/admin/articles")
	}
	title := "New article"
	if e.Article != nil {
		title = "Edit: " + e.Article.Title
	}
	view := articleView{Layout: a.layout(r, title), ID: id, Article: e.Article, Draft: e.Draft,
		Kinds: []model.AuthorKind{model.AuthorStaff, model.AuthorPseudonym, model.AuthorAgency}, Zones: timeZones,
		Errors: st.errors, Notice: st.notice, Problem: st.problem, Shared: st.shared,
		MayEdit: e.MayEdit, MayPublish: e.MayPublish, MayCreateTags: e.MayCreateTags, MayCreateBylines: e.MayCreateBylines,
		SteppedUp: principal(r).SteppedUp(), PreviewLinks: e.PreviewLinks}
	if st.draft != nil {
		revision := view.Draft.Revision
		view.Draft = *st.draft
		if st.problem != "" {
			// After a clash, saving again replaces the other save on purpose.
			view.Draft.Revision = revision
		}
	}
	if e.Article != nil && e.Article.Status == model.StatusPublished {
		view.LiveURL = a.publicURL("/articles/" + e.Article.Slug)
	}
	if view.Images, err = a.pickable(r); err != nil {
		return err
	}
	if a.media != nil {
		view.CanUpload, view.MaxSize = true, a.media.MaxSize()
	}
	view.LeadImage = shownImage(view.Draft.Image)
	for _, t := range e.Tags {
		view.Tags = append(view.Tags, option{ID: t.ID, Name: t.Name})
	}
	for _, au := range e.Authors {
		view.Bylines = append(view.Bylines, option{ID: au.ID, Name: au.Name + " (" + string(au.Kind) + ")"})
	}
	view.Tags, view.Bylines = picked(view.Tags, view.Draft.TagIDs), picked(view.Bylines, view.Draft.AuthorIDs)
	return a.write(w, status, "article", view)
}

// picked marks the options whose IDs are in ids and puts them first, in
// the order of ids, so the byline and tag order survives a save.
func picked(opts []option, ids []string) []option {
	out := make([]option, 0, len(opts))
	for _, id := range ids {
		if i := slices.IndexFunc(opts, func(o option) bool { return o.ID == id }); i >= 0 && !opts[i].Checked {
			opts[i].Checked = true
			out = append(out, opts[i])
		}
	}
	for _, o := range opts {
		if !o.Checked {
			out = append(out, o)
		}
	}
	return out
}

// draftFrom reads the article form.
func draftFrom(r *http.Request) (publishing.Draft, publishing.Action) {
	f := func(name string) string { return r.PostFormValue(name) }
	revision, _ := strconv.Atoi(f("revision"))
	d := publishing.Draft{
		Title: f("title"), Slug: f("slug"), Summary: f("summary"), Body: f("body"),
		Language: f("language"), TimeZone: f("time_zone"), PublishAt: f("publish_at"),
		TagIDs: r.PostForm["tag"], NewTags: strings.Split(f("new_tags"), ","),
		AuthorIDs: r.PostForm["byline"], NewByline: f("new_byline"), NewBylineKind: model.AuthorKind(f("new_byline_kind")),
		Image: publishing.ImageDraft{URL: f("image_url"), Alt: f("image_alt"), Caption: f("image_caption"),
			Credit: f("image_credit"), Width: f("image_width"), Height: f("image_height")},
		Revision: revision,
	}
	action := publishing.Action(f("action"))
	if action == "" {
		action = publishing.ActionSave // Enter in a field submits without a button
	}
	return d, action
}

func (a *Admin) createArticle(w http.ResponseWriter, r *http.Request) error {
	return a.submitArticle(w, r, "")
}

func (a *Admin) saveArticle(w http.ResponseWriter, r *http.Request) error {
	return a.submitArticle(w, r, r.PathValue("id"))
}

// submitArticle saves the form as the article id ("" for a new one).
func (a *Admin) submitArticle(w http.ResponseWriter, r *http.Request, id string) error {
	d, action := draftFrom(r)
	problems, err := a.chooseImage(r, &d, true)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return a.articleForm(w, r, http.StatusUnprocessableEntity, id, articleState{draft: &d, errors: problems})
	}
	saved, err := a.editor.Save(r.Context(), actor(r), id, d, action)
	var ve *model.ValidationError
	switch {
	case err == nil:
		code := "saved"
		if action != publishing.ActionSave {
			code = string(saved.Status)
		}
		return redirect(w, r, changedPath("/admin/articles/"+saved.ID, code, saved))
	case errors.As(err, &ve):
		return a.articleForm(w, r, http.StatusUnprocessableEntity, id, articleState{draft: &d, errors: ve.Fields})
	case errors.Is(err, publishing.ErrStepUpRequired):
		// Kept while the step-up is confirmed, and shown again after.
		if err := a.editor.Hold(r.Context(), actor(r), id, d, action); err != nil {
			return err
		}
		return redirect(w, r, "/admin/step-up?next="+url.QueryEscape(articlePath(id)+"?held=1"))
	case errors.Is(err, store.ErrStaleRevision):
		return a.articleForm(w, r, http.StatusConflict, id, articleState{draft: &d, problem: staleProblem("article", "Revisions", err)})
	}
	return a.editorError(w, r, err, articlePath(id))
}

// staleProblem explains a save refused with store.ErrStaleRevision (err):
// the record, a noun, was saved again after its form was opened, at the
// time err gives. The form shows the submitted values again, set to
// replace that save if sent once more; where names what shows it.
func staleProblem(noun, where string, err error) string {
	return savedSince(noun, err) + " Your version is below and was not saved; " +
		"saving it now replaces theirs. To see their changes first, open " + where + " in a new tab."
}

// savedSince says that the record, a noun, was saved again after its page
// was opened, at the time err (store.ErrStaleRevision) gives.
func savedSince(noun string, err error) string {
	saved := "saved this " + noun
	var se *store.StaleError
	if errors.As(err, &se) && !se.SavedAt.IsZero() {
		saved += " at " + when(se.SavedAt)
	}
	return "Someone else " + saved + ", after you opened it."
}

// previewArticle renders the submitted form as the public article page,
// for the live preview (editor.js) and the Preview button.
func (a *Admin) previewArticle(w http.ResponseWriter, r *http.Request) error {
	d, _ := draftFrom(r)
	if _, err := a.chooseImage(r, &d, false); err != nil {
		return err
	}
	art, err := a.editor.PreviewDraft(r.Context(), actor(r), d)
	if err != nil {
		return a.editorError(w, r, err, "/admin/articles")
	}
	if a.site == nil {
		return &web.Error{Status: http.StatusServiceUnavailable, Message: "Previews are not available on this server."}
	}
	return a.site.RenderArticle(w, r, art)
}

func (a *Admin) unpublishArticle(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	changed, err := a.editor.Unpublish(r.Context(), actor(r), id)
	if err != nil {
		return a.editorError(w, r, err, articlePath(id))
	}
	return redirect(w, r, changedPath(articlePath(id), "unpublished", changed))
}

func (a *Admin) deleteArticle(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if r.PostFormValue("confirm") != "yes" {
		return a.articleForm(w, r, http.StatusUnprocessableEntity, id, articleState{
			errors: map[string]string{"confirm": "Tick the box to confirm that the article should be deleted."}})
	}
	changed, err := a.editor.Delete(r.Context(), actor(r), id)
	if err != nil {
		return a.editorError(w, r, err, articlePath(id))
	}
	return redirect(w, r, changedPath("/admin/articles", "deleted", changed))
}

// sharePreview makes a preview link and shows it, once.
func (a *Admin) sharePreview(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	link, err := a.editor.SharePreview(r.Context(), actor(r), id)
	if err != nil {
		return a.editorError(w, r, err, articlePath(id))
	}
	return a.articleForm(w, r, http.StatusOK, id, articleState{
		shared: &sharedLink{URL: a.publicURL("/preview/" + link.Token), Expires: when(link.Expires)}})
}

func (a *Admin) revokePreviews(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := a.editor.RevokePreviews(r.Context(), actor(r), id); err != nil {
		return a.editorError(w, r, err, articlePath(id))
	}
	return redirect(w, r, articlePath(id)+"?done=revoked")
}

// publicURL is the address of path on the public site.
func (a *Admin) publicURL(path string) string {
	base := a.siteURL
	if base == "" {
		base = a.accounts.AdminURL()
	}
	return base + path
}

func articlePath(id string) string {
	if id == "" {
		return "/admin/articles/new"
	}
	return "/admin/articles/" + id
}

// editorError maps the publishing service's refusals onto what a person
// sees: a step-up sends them to confirm it is them and come back to next.
func (a *Admin) editorError(w http.ResponseWriter, r *http.Request, err error, next string) error {
	var ve *model.ValidationError
	switch {
	case errors.Is(err, publishing.ErrStepUpRequired):
		return redirect(w, r, "/admin/step-up?next="+url.QueryEscape(next))
	case errors.Is(err, publishing.ErrForbidden):
		return &web.Error{Status: http.StatusForbidden, Message: "Your account may not do that to this article.", Cause: err}
	case errors.Is(err, model.ErrNotFound):
		return &web.Error{Status: http.StatusNotFound, Message: "We could not find that. It may have been deleted.", Cause: err}
	case errors.Is(err, store.ErrStaleRevision):
		return &web.Error{Status: http.StatusConflict, Message: "Someone else saved this article a moment ago. Reload it and try again.", Cause: err}
	case errors.Is(err, publishing.ErrAlreadyDraft):
		return &web.Error{Status: http.StatusConflict, Message: "This article is a draft already: someone may have unpublished it after you opened it. Reload it to see it as it is.", Cause: err}
	case errors.As(err, &ve):
		return &web.Error{Status: http.StatusUnprocessableEntity, Message: strings.Join(fieldMessages(ve), " "), Cause: err}
	}
	return err
}

// fieldMessages lists a validation error's messages in field order.
func fieldMessages(ve *model.ValidationError) []string {
	var out []string
	for _, field := range slices.Sorted(maps.Keys(ve.Fields)) {
		out = append(out, ve.Fields[field])
	}
	return out
}
