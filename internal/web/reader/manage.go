package reader

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/web"
)

type manageView struct {
	Layout
	Profile newsletter.Profile
	Since   Date   // when the reader signed up
	Notice  string // what the last action did
	// NewLink is set after the link was replaced: the page's own address
	// changes, and the reader should keep the new one.
	NewLink string
}

// managePage is the subscriber's own page, reached by the link in every
// email.
func (rd *Reader) managePage(w http.ResponseWriter, r *http.Request) error {
	p, err := rd.news.Profile(r.Context(), r.URL.Query().Get("t"))
	if err != nil {
		return linkError(err)
	}
	return rd.manageView(w, r, p, "", "")
}

func (rd *Reader) manageView(w http.ResponseWriter, r *http.Request, p newsletter.Profile, notice, newLink string) error {
	l := rd.layout(r, "Your subscription", true)
	return rd.write(w, http.StatusOK, "manage", manageView{Layout: l, Profile: p, Since: dateIn(p.CreatedAt, l.Settings.TimeZone), Notice: notice, NewLink: newLink})
}

// manage saves the newsletter choices, or replaces the page's link.
func (rd *Reader) manage(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return web.BadRequest("The form could not be read. Please try again.")
	}
	token := r.PostForm.Get("t")
	switch r.PostForm.Get("action") {
	case "save":
		p, err := rd.news.SetChoices(r.Context(), token, r.PostForm["newsletter"])
		if errors.Is(err, newsletter.ErrGone) {
			return rd.write(w, http.StatusOK, "message", messageView{
				Layout:     rd.layout(r, "Unsubscribed", true),
				Heading:    "You are unsubscribed from every newsletter",
				Paragraphs: []string{"We have deleted your subscription and keep only a keyed fingerprint of your address, so that nothing is sent to it. You can sign up again at any time."},
				Links:      []Link{{"newsletter", "Newsletters"}, {"", "Go to the front page"}},
			})
		}
		if err != nil {
			return linkError(err)
		}
		return rd.manageView(w, r, p, "Your choices are saved.", "")
	case "rotate":
		fresh, err := rd.news.RotateManageLink(r.Context(), token)
		if err != nil {
			return linkError(err)
		}
		p, err := rd.news.Profile(r.Context(), fresh)
		if err != nil {
			return linkError(err)
		}
		return rd.manageView(w, r, p, "The old link to this page no longer works, including in emails you received before.", "newsletter/manage?t="+fresh)
	}
	return web.BadRequest("The form did not say what to do. Please use the buttons on the page.")
}

// export downloads everything kept about the subscriber, as JSON.
func (rd *Reader) export(w http.ResponseWriter, r *http.Request) error {
	data, err := rd.news.ExportData(r.Context(), r.URL.Query().Get("t"))
	if err != nil {
		return linkError(err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="newsletter-subscription.json"`)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("Cache-Control", "no-store")
	_, err = w.Write(data)
	return err
}

// delete erases the subscriber, or bars the address for good when asked.
func (rd *Reader) delete(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return web.BadRequest("The form could not be read. Please try again.")
	}
	neverAgain := r.PostForm.Get("never") != ""
	if err := rd.news.Delete(r.Context(), r.PostForm.Get("t"), neverAgain); err != nil {
		return linkError(err)
	}
	text := "Your address, your choices and your consent records are gone from our database; nothing about you remains. Backups are overwritten within their retention period."
	if neverAgain {
		text = "Your address, your choices and your consent records are gone from our database. As you asked, we keep only a keyed fingerprint of the address, which cannot be turned back into it, so that nothing is ever sent to it again, not even a confirmation email."
	}
	return rd.write(w, http.StatusOK, "message", messageView{
		Layout: rd.layout(r, "Subscription deleted", true), Heading: "Your subscription is deleted",
		Paragraphs: []string{text}, Links: []Link{{"", "Go to the front page"}},
	})
}
