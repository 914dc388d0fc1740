// Package support serves the donation pages: the appeal with its form, the
// step to the payment provider's hosted checkout, the thank-you page,
// "Remind me later", and the provider's webhook. Every page works without
// JavaScript; support.js makes a few things nicer.
package support

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/assets"
	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/donate"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/reach"
	"github.com/tamizdat/tamizdat/internal/render"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web"
	"github.com/tamizdat/tamizdat/internal/web/layout"
)

//go:embed templates/*.html
var templates embed.FS

// How long a completed donation keeps the appeal away: a one-time donor is
// asked again after a season, a recurring one not for a year.
const (
	donorHiddenDaysOnce      = 90
	donorHiddenDaysRecurring = 365
)

// fieldAppeal is the donation forms' field naming the appeal they belong
// to.
const fieldAppeal = "appeal"

// Request size limits: the donation form is a handful of fields; a Stripe
// event is a few kilobytes, an invoice with many lines more.
const (
	maxFormBytes    = 16 << 10
	maxWebhookBytes = 1 << 20
)

// Options configure the donation pages.
type Options struct {
	Store  *store.Store
	Donate *donate.Service
	Assets *assets.Set
	// BaseURL is the main site's address; a request that came through it
	// (or through the onion service or a listed mirror) is sent back
	// there from the checkout, any other to the host it used.
	BaseURL string
	Log     *slog.Logger
	Now     func() time.Time
}

// Support serves /support and everything below it.
type Support struct {
	store   *store.Store
	donate  *donate.Service
	assets  *assets.Set
	baseURL string
	log     *slog.Logger
	now     func() time.Time
	pages   *render.Renderer
	adapter web.Adapter
}

// New builds the donation pages and parses their templates.
func New(opts Options) (*Support, error) {
	s := &Support{store: opts.Store, donate: opts.Donate, assets: opts.Assets,
		baseURL: strings.TrimSuffix(opts.BaseURL, "/"), log: opts.Log, now: opts.Now}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	pages, err := render.New(templates, "templates", template.FuncMap{
		"asset":       s.assets.Path,
		"frequencies": model.Frequencies,
		"frequency":   frequencyLabel,
		"money":       func(currency string, units int) string { return donate.Whole(units, currency).String() },
		"minimums":    donate.Minimums,
	}, layout.Files)
	if err != nil {
		return nil, err
	}
	s.pages = pages
	s.adapter = web.Adapter{Log: s.log, RenderError: s.renderError}
	return s, nil
}

// Routes returns the handler of /support and the paths below it. The
// donation page itself is the same for everyone and goes through cache.
func (s *Support) Routes(cache func(http.Handler) http.Handler) http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, f web.HandlerFunc) { mux.Handle(pattern, s.adapter.Handle(f)) }
	mux.Handle("GET /support", cache(s.adapter.Handle(s.page)))
	mux.Handle("GET /support/appeal/{id}", cache(s.adapter.Handle(s.page)))
	h("POST /support/seen/{id}", s.seen)
	h("POST /support/checkout", s.checkout)
	h("GET /support/thanks", s.thanks)
	h("POST /support/remind-later", s.remindLater)
	s.manageRoutes(mux)
	// Someone who reloads or bookmarks a form's address lands on the page.
	h("GET /support/checkout", backToPage)
	h("GET /support/remind-later", backToPage)
	mux.HandleFunc("POST /support/webhook", s.webhook)
	mux.Handle("/support/", s.adapter.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return web.NotFound("There is no such page. The donation page is at /support.")
	}))
	return web.Recover(&s.adapter, mux)
}

func backToPage(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Location", "../support")
	w.WriteHeader(http.StatusSeeOther)
	return nil
}

type formView struct {
	layout.Frame
	Appeal     *model.Appeal
	Message    template.HTML // the appeal, rendered from Markdown
	RiskNotice template.HTML // "" for none
	Configured bool
	Max        int
	// What the reader chose, kept when the form comes back with errors.
	Frequency model.Frequency
	Currency  string
	Presets   map[model.Frequency]string
	Custom    string
	Errors    map[string]string // by field: frequency, amount, currency
}

type continueView struct {
	layout.Frame
	URL    string // the provider's checkout or customer portal page
	What   string // "monthly donation"
	Amount string
	Portal bool // URL is the customer portal
}

type thanksView struct {
	layout.Frame
	HiddenUntil string // the date support.js keeps the appeal away until
}

type messageView struct {
	layout.Frame
	Heading, Message string
}

// settings returns the site settings in force.
func (s *Support) settings(r *http.Request) (*model.Settings, error) {
	st, err := s.store.Settings(r.Context())
	if errors.Is(err, model.ErrNotFound) {
		st = model.DefaultSettings("tamizdat")
	} else if err != nil {
		return nil, err
	}
	return &st, nil
}

// appeal returns the active appeal with that ID, else the one that runs on
// all articles, else any active one; with none running it fails with a
// page that says so.
func (s *Support) appeal(r *http.Request, id string) (*model.Appeal, error) {
	appeals, err := s.store.Appeals(r.Context())
	if err != nil {
		return nil, err
	}
	for i, ap := range appeals {
		if ap.ID == id && ap.Active {
			return &appeals[i], nil
		}
	}
	if ap := model.PickAppeal(appeals, nil); ap != nil {
		return ap, nil
	}
	for i, ap := range appeals {
		if ap.Active {
			return &appeals[i], nil
		}
	}
	return nil, web.NotFound("We are not asking for donations at the moment. Thank you for thinking of us.")
}

// form builds the donation page for r and an appeal, with what a reader
// chose.
func (s *Support) form(r *http.Request, settings *model.Settings, ap *model.Appeal) (*formView, error) {
	msg, err := content.Render(ap.Message)
	if err != nil {
		return nil, err
	}
	notice, err := content.Render(ap.RiskNotice)
	if err != nil {
		return nil, err
	}
	return &formView{
		Frame:      layout.Support(r.URL.Path, "Support "+settings.SiteName, settings),
		Appeal:     ap,
		Message:    template.HTML(msg.HTML),
		RiskNotice: template.HTML(notice.HTML),
		Configured: s.donate.Configured(),
		Max:        donate.MaxAmount,
		Frequency:  ap.DefaultFrequency,
		Currency:   ap.Currency,
		Presets:    map[model.Frequency]string{},
	}, nil
}

// page is the donation page of the appeal the path names, or of the
// default appeal.
func (s *Support) page(w http.ResponseWriter, r *http.Request) error {
	settings, err := s.settings(r)
	if err != nil {
		return err
	}
	ap, err := s.appeal(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	v, err := s.form(r, settings, ap)
	if err != nil {
		return err
	}
	return s.write(w, http.StatusOK, "support", v)
}

// checkout checks the reader's choice and opens a checkout. A choice with
// mistakes comes back as the form, with each mistake next to its field and
// nothing the reader entered lost.
func (s *Support) checkout(w http.ResponseWriter, r *http.Request) error {
	if !s.donate.Configured() {
		return &web.Error{Status: http.StatusServiceUnavailable, Message: "Online donations are not open yet. Nothing was charged.", Cause: donate.ErrNotConfigured}
	}
	if err := s.parseForm(w, r); err != nil {
		return err
	}
	settings, err := s.settings(r)
	if err != nil {
		return err
	}
	ap, err := s.appeal(r, r.PostForm.Get(fieldAppeal))
	if err != nil {
		return err
	}
	choice, err := donate.ParseChoice(*ap, r.PostForm)
	var invalid *model.ValidationError
	if errors.As(err, &invalid) {
		v, err := s.form(r, settings, ap)
		if err != nil {
			return err
		}
		if f := model.Frequency(r.PostForm.Get(donate.FieldFrequency)); f != "" {
			v.Frequency = f
		}
		if c := r.PostForm.Get(donate.FieldCurrency); c != "" {
			v.Currency = c
		}
		for _, f := range model.Frequencies() {
			v.Presets[f] = r.PostForm.Get(donate.AmountField(f))
		}
		v.Custom, v.Errors = r.PostForm.Get(donate.FieldCustom), invalid.Fields
		w.Header().Set("Cache-Control", "no-store")
		return s.write(w, http.StatusUnprocessableEntity, "support", v)
	}
	if err != nil {
		return err
	}
	base := s.requestBase(r, settings)
	success := base + "/support/thanks?" + url.Values{donate.FieldFrequency: {string(choice.Frequency)}}.Encode()
	co, err := s.donate.StartCheckout(r.Context(), choice, web.ClientIP(r), settings.SiteName, success, base+"/support")
	var limited *donate.RateLimitError
	switch {
	case errors.As(err, &limited):
		return s.tooMany(w, r, settings, limited)
	case err != nil:
		return &web.Error{Status: http.StatusBadGateway, Cause: err,
			Message: "We could not reach our payment provider, and nothing was charged. Please try again in a few minutes."}
	}
	// The reader goes on by a plain navigation from this page, not by a
	// redirect of the form's POST: the reader pages' policy allows forms to
	// post only to this site (form-action 'self'), and Chrome applies that
	// to where a form's redirects lead as well.
	w.Header().Set("Cache-Control", "no-store")
	return s.write(w, http.StatusOK, "continue", continueView{
		Frame:  layout.Support(r.URL.Path, "Continue to secure payment", settings),
		URL:    co.URL,
		What:   donationLabel(choice.Frequency),
		Amount: choice.Money.String(),
	})
}

// setRetryAfter says in whole seconds when a limited request may be tried
// again.
func setRetryAfter(w http.ResponseWriter, limited *donate.RateLimitError) {
	w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(limited.RetryAfter.Seconds()))))
}

func (s *Support) tooMany(w http.ResponseWriter, r *http.Request, settings *model.Settings, limited *donate.RateLimitError) error {
	minutes := int(math.Ceil(limited.RetryAfter.Minutes()))
	wait := fmt.Sprintf("%d minutes", minutes)
	switch {
	case minutes <= 1:
		wait = "a minute"
	case minutes > 90:
		wait = fmt.Sprintf("%d hours", int(math.Ceil(limited.RetryAfter.Hours())))
	}
	msg := fmt.Sprintf("There have been too many donation attempts from your network. Nothing was charged. Please try again in %s.", wait)
	if limited.Global {
		msg = fmt.Sprintf("We are receiving an unusual number of donation attempts and have paused them to protect donors' cards. Nothing was charged. Please try again in %s.", wait)
	}
	setRetryAfter(w, limited)
	w.Header().Set("Cache-Control", "no-store")
	return s.write(w, http.StatusTooManyRequests, "message", messageView{
		Frame: layout.Support(r.URL.Path, "Too many attempts", settings), Heading: "Too many attempts, please wait", Message: msg,
	})
}

// thanks thanks the donor. It records nothing: only the provider's
// verified events say what was paid. It keeps the appeal away from the
// donor for a while.
func (s *Support) thanks(w http.ResponseWriter, r *http.Request) error {
	settings, err := s.settings(r)
	if err != nil {
		return err
	}
	days := donorHiddenDaysOnce
	if f := model.Frequency(r.URL.Query().Get(donate.FieldFrequency)); f == model.Monthly || f == model.Annual {
		days = donorHiddenDaysRecurring
	}
	c := hideCookie(r, s.now(), days)
	http.SetCookie(w, c)
	w.Header().Set("Cache-Control", "no-store")
	return s.write(w, http.StatusOK, "thanks", thanksView{Frame: layout.Support(r.URL.Path, "Thank you", settings), HiddenUntil: c.Value})
}

// seen counts one view of an appeal, for its conversion figure. support.js
// sends it, without cookies, when the appeal comes into view; nothing but
// the appeal and the day is recorded, and the answer is the same whether
// the appeal exists or not. Counts are rate-limited per address range and
// in all, so one client cannot inflate the figures: past a limit the
// answer is 429 and nothing is counted.
func (s *Support) seen(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	_, err := s.donate.CountAppealView(r.Context(), r.PathValue("id"), web.ClientIP(r))
	var limited *donate.RateLimitError
	switch {
	case errors.As(err, &limited):
		setRetryAfter(w, limited)
		w.WriteHeader(http.StatusTooManyRequests)
		return nil
	case err != nil:
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// remindLater hides the appeal for the appeal's number of days and sends
// the reader back to the page they were on, named by the form's return
// field relative to the site root.
func (s *Support) remindLater(w http.ResponseWriter, r *http.Request) error {
	if err := s.parseForm(w, r); err != nil {
		return err
	}
	back, ok := returnPath(r.PostForm.Get("return"))
	if !ok {
		return web.BadRequest("That is not a page of this site to go back to.")
	}
	ap, err := s.appeal(r, r.PostForm.Get(fieldAppeal))
	if err != nil {
		return err
	}
	http.SetCookie(w, hideCookie(r, s.now(), ap.RemindAfterDays))
	w.Header().Set("Cache-Control", "no-store")
	// Relative to /support/remind-later, so a mirror under a folder keeps
	// its folder.
	w.Header().Set("Location", "../"+back)
	w.WriteHeader(http.StatusSeeOther)
	return nil
}

// returnPathChars are those a return path may hold: the site's own
// lower-case path characters, and the upper-case hex digits of
// percent-encoded ones (a non-ASCII slug, as pages send it).
const returnPathChars = "abcdefghijklmnopqrstuvwxyz0123456789-._~/%ABCDEF"

// returnPath checks a page address relative to the site root, such as
// "articles/some-story" or "tags/x?page=2" ("" is the front page), and
// returns it. Anything that could lead off the site is refused: absolute
// or scheme-relative addresses, backslashes, dot segments, fragments.
func returnPath(p string) (string, bool) {
	if len(p) > 512 {
		return "", false
	}
	path, query, _ := strings.Cut(p, "?")
	if strings.HasPrefix(path, "/") || strings.Trim(path, returnPathChars) != "" {
		return "", false
	}
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "." || seg == ".." || strings.Contains(seg, "%2") || strings.Contains(seg, "%5") {
			return "", false // no encoded slashes or backslashes either
		}
	}
	if query != "" && (!strings.HasPrefix(query, "page=") || strings.Trim(query[len("page="):], "0123456789") != "") {
		return "", false
	}
	return p, true
}

// webhook receives the payment provider's events. Its answers are for the
// provider, not for people: 400 for a bad signature, 200 once the event is
// stored, 5xx to have the provider try again.
func (s *Support) webhook(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	payload, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBytes))
	if err != nil {
		http.Error(w, "body too large or unreadable", http.StatusBadRequest)
		return
	}
	err = s.donate.Receive(r.Context(), payload, r.Header.Get("Stripe-Signature"))
	switch {
	case errors.Is(err, donate.ErrBadSignature):
		http.Error(w, "invalid signature", http.StatusBadRequest)
	case errors.Is(err, donate.ErrNotConfigured):
		http.Error(w, "donations are not configured", http.StatusNotFound)
	case err != nil:
		s.log.ErrorContext(r.Context(), "support: webhook", "err", err, "request_id", web.RequestID(r))
		http.Error(w, "could not store the event; try again", http.StatusInternalServerError)
	default:
		io.WriteString(w, "ok\n")
	}
}

// requestBase is the absolute site root as the reader reached it, without
// a trailing slash (see reach.RequestBase).
func (s *Support) requestBase(r *http.Request, settings *model.Settings) string {
	return reach.RequestBase(r, s.baseURL, *settings)
}

// write renders a page with status and sends it.
func (s *Support) write(w http.ResponseWriter, status int, page string, data any) error {
	body, err := s.pages.Render(page, data)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}

func (s *Support) renderError(w http.ResponseWriter, r *http.Request, status int, message string) {
	settings := model.DefaultSettings("tamizdat")
	if st, err := s.settings(r); err == nil {
		settings = *st
	}
	heading := "We could not do that"
	switch {
	case status == http.StatusNotFound:
		heading = "Page not found"
	case status >= 500:
		heading = "Something went wrong"
	}
	w.Header().Set("Cache-Control", "no-store")
	view := messageView{Frame: layout.Support(r.URL.Path, http.StatusText(status), &settings), Heading: heading, Message: message}
	if err := s.write(w, status, "message", view); err != nil {
		s.log.Error("support: render error page", "err", err)
		http.Error(w, message, status)
	}
}

func frequencyLabel(f model.Frequency) string {
	switch f {
	case model.Once:
		return "Once"
	case model.Monthly:
		return "Monthly"
	case model.Annual:
		return "Annual"
	}
	return string(f)
}

// donationLabel names a donation of a frequency in a sentence.
func donationLabel(f model.Frequency) string {
	switch f {
	case model.Monthly:
		return "monthly donation"
	case model.Annual:
		return "annual donation"
	}
	return "one-time donation"
}
