package support

import (
	"errors"
	"net/http"
	"strings"

	"github.com/tamizdat/tamizdat/internal/donate"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web"
	"github.com/tamizdat/tamizdat/internal/web/layout"
)

// A donor manages a recurring donation through a link emailed on request.
// The link's token travels in the query string and in form fields, never
// in the path, because the access log records paths.

type manageView struct {
	layout.Frame
	Token        string // set when a valid link was opened
	Recurring    []recurringRow
	Portal       bool
	Max          int
	Email, Error string // the request form
}

type recurringRow struct {
	ID, Title, Since, Status, Minimum string
	MinimumUnits                      int
	Typed, Error                      string // a rejected new amount and why
}

var statusLabels = map[string]string{
	"active": "active", "trialing": "active", "past_due": "the last payment failed; Stripe will try again",
	"unpaid": "payments failed", "incomplete": "waiting for the first payment", "paused": "paused",
}

func (s *Support) manageRoutes(mux *http.ServeMux) {
	h := func(pattern string, f web.HandlerFunc) { mux.Handle(pattern, s.adapter.Handle(f)) }
	h("GET /support/manage", s.manage)
	h("POST /support/manage", s.requestLink)
	h("POST /support/manage/amount", s.changeAmount)
	h("POST /support/manage/cancel", s.cancel)
	h("POST /support/manage/portal", s.portal)
}

// manage shows the form that asks for a link, or, with a link's token,
// what the link lets its donor change.
func (s *Support) manage(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	settings, err := s.settings(r)
	if err != nil {
		return err
	}
	token := r.URL.Query().Get("token")
	if token == "" {
		return s.write(w, http.StatusOK, "manage", manageView{Frame: layout.Support(r.URL.Path, "Manage your donation", settings)})
	}
	return s.showLink(w, r, settings, token, "", "", "")
}

// showLink renders what a link lets its donor change; a rejected new
// amount for one donation comes back next to its field.
func (s *Support) showLink(w http.ResponseWriter, r *http.Request, settings *model.Settings, token, id, typed, problem string) error {
	m, err := s.donate.OpenLink(r.Context(), token)
	if err != nil {
		return linkError(err)
	}
	ap, err := s.donorAppeal(r)
	if err != nil {
		return err
	}
	v := manageView{Frame: layout.Support(r.URL.Path, "Manage your donation", settings), Token: token, Portal: m.Portal, Max: donate.MaxAmount}
	for _, rd := range m.Recurring {
		least := max(ap.Minimum(rd.Currency), 1)
		row := recurringRow{
			ID:           rd.ID,
			Title:        titleOf(rd),
			Since:        rd.CreatedAt.Format("2 January 2006"),
			Status:       statusLabels[rd.Status],
			Minimum:      donate.Whole(least, rd.Currency).String(),
			MinimumUnits: least,
		}
		if rd.ID == id {
			row.Typed, row.Error = typed, problem
		}
		v.Recurring = append(v.Recurring, row)
	}
	status := http.StatusOK
	if problem != "" {
		status = http.StatusUnprocessableEntity
	}
	return s.write(w, status, "manage", v)
}

// donorAppeal is the appeal whose minimums apply when a donor changes a
// recurring donation: the default one, or none (a minimum of 1) while no
// appeal runs.
func (s *Support) donorAppeal(r *http.Request) (model.Appeal, error) {
	ap, err := s.appeal(r, "")
	var notRunning *web.Error
	if errors.As(err, &notRunning) {
		return model.Appeal{}, nil
	}
	if err != nil {
		return model.Appeal{}, err
	}
	return *ap, nil
}

func titleOf(rd store.RecurringDonation) string {
	label := "Monthly"
	if rd.Frequency == model.Annual {
		label = "Annual"
	}
	return label + " donation of " + donate.Money{Amount: rd.Amount, Currency: rd.Currency}.String()
}

// requestLink emails a link to the donor, if the address has a live
// recurring donation, and answers the same either way.
func (s *Support) requestLink(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	if err := s.parseForm(w, r); err != nil {
		return err
	}
	settings, err := s.settings(r)
	if err != nil {
		return err
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	if at := strings.LastIndexByte(email, '@'); at < 1 || at == len(email)-1 || len(email) > 254 || strings.ContainsAny(email, " \r\n<>") {
		return s.write(w, http.StatusUnprocessableEntity, "manage", manageView{Frame: layout.Support(r.URL.Path, "Manage your donation", settings),
			Email: email, Error: "That does not look like an email address. Give it as name@example.org."})
	}
	err = s.donate.RequestLink(r.Context(), email, web.ClientIP(r), s.requestBase(r, settings))
	var limited *donate.RateLimitError
	switch {
	case errors.As(err, &limited):
		return s.tooMany(w, r, settings, limited)
	case errors.Is(err, donate.ErrMailNotConfigured):
		return &web.Error{Status: http.StatusServiceUnavailable, Cause: err,
			Message: "We cannot send email yet, so donations cannot be managed here. Please write to us, or use the link in Stripe's receipt."}
	case err != nil:
		return err
	}
	return s.write(w, http.StatusOK, "message", messageView{Frame: layout.Support(r.URL.Path, "Check your email", settings), Heading: "Check your email",
		Message: "If " + email + " has a monthly or annual donation, we have sent it a link to manage it. The link works for an hour. Nothing arrived? Check your spam folder, or ask again in a few minutes."})
}

func (s *Support) changeAmount(w http.ResponseWriter, r *http.Request) error {
	return s.act(w, r, func(settings *model.Settings, token, id string) (string, error) {
		typed := r.PostForm.Get(donate.FieldCustom)
		ap, err := s.donorAppeal(r)
		if err != nil {
			return "", err
		}
		err = s.donate.ChangeAmount(r.Context(), token, id, typed, ap)
		var invalid *model.ValidationError
		if errors.As(err, &invalid) {
			return "", s.showLink(w, r, settings, token, id, typed, invalid.Fields["amount"])
		}
		return "Your donation will take the new amount from its next payment on. Stripe confirms the change to us; it may take a minute to show here.", err
	})
}

func (s *Support) cancel(w http.ResponseWriter, r *http.Request) error {
	return s.act(w, r, func(settings *model.Settings, token, id string) (string, error) {
		return "Your donation is canceled: no further payment will be taken. Thank you for your support so far.",
			s.donate.Cancel(r.Context(), token, id)
	})
}

func (s *Support) portal(w http.ResponseWriter, r *http.Request) error {
	return s.act(w, r, func(settings *model.Settings, token, id string) (string, error) {
		url, err := s.donate.Portal(r.Context(), token, id, s.requestBase(r, settings)+"/support")
		if err != nil {
			return "", err
		}
		// The portal's address is a credential: it goes into this one
		// uncached page and nowhere else.
		return "", s.write(w, http.StatusOK, "continue", continueView{
			Frame: layout.Support(r.URL.Path, "Continue to Stripe", settings), URL: url, Portal: true,
		})
	})
}

// act runs one change a link allows and tells the donor how it went. do
// returns the message to show, or "" when it answered itself.
func (s *Support) act(w http.ResponseWriter, r *http.Request, do func(settings *model.Settings, token, id string) (string, error)) error {
	w.Header().Set("Cache-Control", "no-store")
	if err := s.parseForm(w, r); err != nil {
		return err
	}
	settings, err := s.settings(r)
	if err != nil {
		return err
	}
	msg, err := do(settings, r.PostForm.Get("token"), r.PostForm.Get("id"))
	switch {
	case err != nil:
		return linkError(err)
	case msg == "":
		return nil
	}
	return s.write(w, http.StatusOK, "message", messageView{Frame: layout.Support(r.URL.Path, "Done", settings), Heading: "Done", Message: msg})
}

// linkError says what is wrong with a link, or passes err on.
func linkError(err error) error {
	again := " Ask for a new link on the page to manage your donation."
	switch {
	case errors.Is(err, donate.ErrLinkUsed):
		return &web.Error{Status: http.StatusGone, Message: "This link has been used already: each link works for one change." + again, Cause: err}
	case errors.Is(err, donate.ErrLinkExpired):
		return &web.Error{Status: http.StatusGone, Message: "This link has expired: links work for an hour." + again, Cause: err}
	case errors.Is(err, donate.ErrLinkUnknown):
		return &web.Error{Status: http.StatusNotFound, Message: "This link is not one we sent, or it was cut short when copied." + again, Cause: err}
	case errors.Is(err, donate.ErrNoPortal):
		return &web.Error{Status: http.StatusNotFound, Message: "Stripe's page for donors is not available here; you can change the amount or cancel on this site.", Cause: err}
	case errors.Is(err, model.ErrNotFound):
		return web.NotFound("That donation is not one this link can change.")
	case errors.Is(err, donate.ErrNotConfigured):
		return &web.Error{Status: http.StatusServiceUnavailable, Message: "Online donations are not set up at the moment. Please write to us.", Cause: err}
	case errors.Is(err, donate.ErrProvider):
		return &web.Error{Status: http.StatusBadGateway, Cause: err,
			Message: "We could not reach our payment provider, and nothing was changed. Please ask for a new link and try again in a few minutes."}
	}
	return err
}

// parseForm reads a small form body.
func (s *Support) parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return web.BadRequest("The form could not be read. Please go back and try again.")
	}
	return nil
}
