package reader

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web"
)

// archiveSize is how many sent issues of each newsletter the archive lists.
const archiveSize = 100

// publicMaxAge is how long browsers may keep the preview and archive.
const publicMaxAge = "public, max-age=60"

type issueView struct {
	Layout
	Newsletter store.Newsletter
	Issue      store.Issue   // zero when none was sent yet
	Note       template.HTML // the editor's note, rendered as articles are
	Sent       Date
	Articles   []issueArticle
}

type issueArticle struct {
	*model.Article
	Body template.HTML // full text, when the newsletter carries it
}

// preview shows the latest sent issue of a newsletter (?newsletter=slug,
// the weekly by default) as a web page: the "Preview" and "view in
// browser" link.
func (rd *Reader) preview(w http.ResponseWriter, r *http.Request) error {
	slug := r.URL.Query().Get("newsletter")
	if slug == "" {
		slug = "weekly"
	}
	n, err := rd.store.NewsletterBySlug(r.Context(), slug)
	if errors.Is(err, model.ErrNotFound) {
		return web.NotFound("We have no newsletter of that name. The newsletter page lists them all.")
	}
	if err != nil {
		return err
	}
	is, err := rd.store.LatestSentIssue(r.Context(), n.ID)
	if errors.Is(err, model.ErrNotFound) {
		w.Header().Set("Cache-Control", publicMaxAge)
		return rd.write(w, http.StatusOK, "issue", issueView{Layout: rd.layout(r, n.Name, false), Newsletter: n})
	}
	if err != nil {
		return err
	}
	return rd.showIssue(w, r, n, is)
}

// issue shows one sent issue from the archive.
func (rd *Reader) issue(w http.ResponseWriter, r *http.Request) error {
	is, err := rd.store.IssueByID(r.Context(), r.PathValue("id"))
	if err == nil && is.Status != store.IssueSent {
		err = model.ErrNotFound // drafts and issues being sent are not public
	}
	if errors.Is(err, model.ErrNotFound) {
		return web.NotFound("We have no sent issue at this address. The newsletter archive lists every one.")
	}
	if err != nil {
		return err
	}
	n, err := rd.store.NewsletterByID(r.Context(), is.NewsletterID)
	if err != nil {
		return err
	}
	return rd.showIssue(w, r, n, is)
}

func (rd *Reader) showIssue(w http.ResponseWriter, r *http.Request, n store.Newsletter, is store.Issue) error {
	articles, err := rd.store.IssueArticles(r.Context(), is)
	if err != nil {
		return err
	}
	l := rd.layout(r, is.Subject, false)
	note, err := content.Render(is.Note)
	if err != nil {
		return err
	}
	view := issueView{Layout: l, Newsletter: n, Issue: is, Note: template.HTML(note.HTML), // sanitized by Render
		Sent: dateIn(is.FinishedAt, l.Settings.TimeZone)}
	for _, a := range articles {
		ia := issueArticle{Article: a}
		if n.FullText {
			ia.Body = template.HTML(a.BodyHTML) // sanitized when saved
		}
		view.Articles = append(view.Articles, ia)
	}
	w.Header().Set("Cache-Control", publicMaxAge)
	return rd.write(w, http.StatusOK, "issue", view)
}

type archiveView struct {
	Layout
	Newsletters []archiveNewsletter
}

type archiveNewsletter struct {
	store.Newsletter
	Issues []archiveIssue
}

type archiveIssue struct {
	ID, Subject string
	Sent        Date
}

// archive lists every newsletter's sent issues, latest first.
func (rd *Reader) archive(w http.ResponseWriter, r *http.Request) error {
	all, err := rd.store.ListNewsletters(r.Context())
	if err != nil {
		return err
	}
	l := rd.layout(r, "Newsletter archive", false)
	view := archiveView{Layout: l}
	for _, n := range all {
		sent, err := rd.store.SentIssues(r.Context(), n.ID, archiveSize, 0)
		if err != nil {
			return err
		}
		an := archiveNewsletter{Newsletter: n}
		for _, is := range sent {
			an.Issues = append(an.Issues, archiveIssue{ID: is.ID, Subject: is.Subject, Sent: dateIn(is.FinishedAt, l.Settings.TimeZone)})
		}
		view.Newsletters = append(view.Newsletters, an)
	}
	w.Header().Set("Cache-Control", publicMaxAge)
	return rd.write(w, http.StatusOK, "archive", view)
}
