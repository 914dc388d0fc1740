package reader

import (
	"errors"
	"net/http"
	"slices"

	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web"
)

// Choice is a newsletter as a checkbox.
type Choice struct {
	Slug, Name, Description string
	Checked                 bool
}

type signupView struct {
	Layout
	Choices []Choice
	Email   string // as typed, when the form comes back with an error
	Error   string
}

type messageView struct {
	Layout
	Heading    string
	Paragraphs []string
	Links      []Link
}

// Link is a link on a message page, relative to the site root.
type Link struct{ URL, Text string }

// signupPage is the newsletter's own signup page, offering every
// newsletter.
func (rd *Reader) signupPage(w http.ResponseWriter, r *http.Request) error {
	return rd.signupForm(w, r, http.StatusOK, nil, "", "")
}

func (rd *Reader) signupForm(w http.ResponseWriter, r *http.Request, status int, checked []string, email, problem string) error {
	all, err := rd.news.Newsletters(r.Context())
	if err != nil {
		return err
	}
	view := signupView{Layout: rd.layout(r, "Newsletters", false), Email: email, Error: problem}
	for i, n := range all {
		c := Choice{Slug: n.Slug, Name: n.Name, Description: n.Description, Checked: slices.Contains(checked, n.Slug)}
		if checked == nil && i == 0 {
			c.Checked = true // the first list, normally the weekly, is the default choice
		}
		view.Choices = append(view.Choices, c)
	}
	return rd.write(w, status, "signup", view)
}

// subscribe takes a signup form: the article pages' box (one newsletter,
// fixed) or the signup page (several). Its answer is the same whether the
// address is new, pending, subscribed or suppressed.
func (rd *Reader) subscribe(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return web.BadRequest("The form could not be read. Please try again.")
	}
	set, err := rd.store.Settings(r.Context())
	if err != nil {
		return err
	}
	source := "article page"
	if r.PostForm.Get("source") == "signup-page" {
		source = "newsletter signup page"
	}
	chosen := r.PostForm["newsletter"]
	email := r.PostForm.Get("email")
	err = rd.news.Signup(r.Context(), newsletter.SignupRequest{
		Email: email, Newsletters: chosen, Consent: r.PostForm.Get("consent") != "",
		Source: source, Client: web.ClientIP(r), LinkRoot: rd.linkRoot(r, set),
	})
	var addressError *newsletter.AddressError
	switch {
	case err == nil:
	case errors.As(err, &addressError):
		return rd.signupForm(w, r, http.StatusBadRequest, chosen, email, addressError.Reason)
	case errors.Is(err, newsletter.ErrConsentRequired):
		return rd.signupForm(w, r, http.StatusBadRequest, chosen, email, "Please tick the box to agree to the Privacy Policy: we cannot send you newsletters without it.")
	case errors.Is(err, newsletter.ErrNoNewsletter):
		return rd.signupForm(w, r, http.StatusBadRequest, chosen, email, "Please choose at least one of the newsletters below.")
	case errors.Is(err, newsletter.ErrThrottled):
		return &web.Error{Status: http.StatusTooManyRequests, Message: "Too many signups have come from your network in the last few minutes. Please try again in ten minutes."}
	case errors.Is(err, newsletter.ErrMailUnavailable):
		return &web.Error{Status: http.StatusServiceUnavailable, Message: "Newsletter signups are closed for now: this site cannot send email yet. Please try again later."}
	default:
		return err
	}
	return rd.write(w, http.StatusOK, "message", messageView{
		Layout:  rd.layout(r, "Check your inbox", true),
		Heading: "Check your inbox",
		Paragraphs: []string{
			"If this address can receive our newsletters, we have sent it an email. Open the link in it to confirm your subscription; the link works for 72 hours.",
			"Nothing arrived within a few minutes? Look in your spam folder, check the address for typing mistakes, or sign up again in a quarter of an hour.",
		},
		Links: []Link{{"", "Back to the front page"}},
	})
}

type confirmView struct {
	Layout
	Token       string
	Newsletters []store.Newsletter
}

// confirmPage shows a confirmation link's "Confirm" button. Fetching it
// confirms nothing: mail scanners fetch every link they see.
func (rd *Reader) confirmPage(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("t")
	state, err := rd.news.CheckConfirm(r.Context(), token)
	if err != nil {
		return linkError(err)
	}
	if state.Confirmed {
		return rd.write(w, http.StatusOK, "message", messageView{
			Layout: rd.layout(r, "Already confirmed", true), Heading: "Your subscription is already confirmed",
			Paragraphs: []string{"There is nothing more to do: the next issue will come to your inbox."},
			Links:      []Link{{"", "Go to the front page"}},
		})
	}
	return rd.write(w, http.StatusOK, "confirm", confirmView{Layout: rd.layout(r, "Confirm your subscription", true), Token: token, Newsletters: state.Newsletters})
}

type confirmedView struct {
	Layout
	Newsletters []store.Newsletter
	ManageToken string
}

func (rd *Reader) confirm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return web.BadRequest("The form could not be read. Please try again.")
	}
	done, err := rd.news.Confirm(r.Context(), r.PostForm.Get("t"))
	if err != nil {
		return linkError(err)
	}
	return rd.write(w, http.StatusOK, "confirmed", confirmedView{Layout: rd.layout(r, "Subscription confirmed", true),
		Newsletters: done.Newsletters, ManageToken: done.ManageToken})
}

type unsubscribeView struct {
	Layout
	Token      string
	Newsletter store.Newsletter
}

// unsubscribePage asks the reader to confirm. It changes nothing: link
// scanners fetch it.
func (rd *Reader) unsubscribePage(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("t")
	n, err := rd.news.UnsubscribeTarget(r.Context(), token)
	if err != nil {
		return linkError(err)
	}
	return rd.write(w, http.StatusOK, "unsubscribe", unsubscribeView{Layout: rd.layout(r, "Unsubscribe", true), Token: token, Newsletter: n})
}

// unsubscribe is the one-click unsubscribe of RFC 8058: a POST to the
// List-Unsubscribe address, whose body is "List-Unsubscribe=One-Click",
// with no cookie or login. The page's own button posts the same. It
// answers 200 without a redirect, also for a replay or for a subscriber
// already gone.
func (rd *Reader) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return web.BadRequest("The request could not be read.")
	}
	token := r.URL.Query().Get("t")
	if token == "" {
		token = r.PostForm.Get("t")
	}
	n, err := rd.news.Unsubscribe(r.Context(), token)
	if err != nil {
		return linkError(err)
	}
	return rd.write(w, http.StatusOK, "message", messageView{
		Layout:  rd.layout(r, "Unsubscribed", true),
		Heading: "You are unsubscribed",
		Paragraphs: []string{
			"You will not receive " + n.Name + " any more. If you receive other newsletters from us, they keep coming; each has its own unsubscribe link.",
			"Changed your mind? You can sign up again at any time.",
		},
		Links: []Link{{"newsletter", "Newsletters"}, {"", "Go to the front page"}},
	})
}

// manageLink emails the reader of an unsubscribe page the link to their
// own page. The answer is the same whether or not the subscriber still
// exists.
func (rd *Reader) manageLink(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return web.BadRequest("The form could not be read. Please try again.")
	}
	set, err := rd.store.Settings(r.Context())
	if err != nil {
		return err
	}
	err = rd.news.SendManageLink(r.Context(), r.PostForm.Get("t"), rd.linkRoot(r, set))
	if errors.Is(err, newsletter.ErrMailUnavailable) {
		return &web.Error{Status: http.StatusServiceUnavailable, Message: "This site cannot send email at the moment. Please try again later."}
	}
	if err != nil {
		return linkError(err)
	}
	return rd.write(w, http.StatusOK, "message", messageView{
		Layout:     rd.layout(r, "Check your inbox", true),
		Heading:    "Check your inbox",
		Paragraphs: []string{"We have emailed the link to your subscription page to the address this newsletter goes to. It can take a few minutes to arrive."},
		Links:      []Link{{"", "Go to the front page"}},
	})
}
