package admin

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/donate"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web"
)

// The Readers screens show admins subscribers and donors: counts for
// everyone, one reader at a time by exact address, and exports behind a
// fresh step-up (requirement S5). A stolen session must not walk away
// with the list quietly, so every lookup, change and export is in the
// audit log (S7), which names an address only by its keyed hash. The
// address travels in form bodies, never in a URL, which access logs and
// browser histories keep.

// The audit actions of the Readers screens.
const (
	AuditReaderLookedUp         = "reader_looked_up"
	AuditSubscriberUnsubscribed = "subscriber_unsubscribed"
	AuditSubscriberErased       = "subscriber_erased"
	AuditAddressSuppressed      = "address_suppressed"
	AuditDonorErased            = "donor_erased"
)

// subscriberStatuses are the overview's columns, in a subscriber's order
// of life.
var subscriberStatuses = []string{store.SubscriberPending, store.SubscriberActive, store.SubscriberUnsubscribed, store.SubscriberBounced}

// oneTimeWindow is how far back the overview counts one-time gifts.
const oneTimeWindow = 30 * 24 * time.Hour

var errNoReaders = &web.Error{Status: http.StatusServiceUnavailable,
	Message: "This desk was started without the newsletter and donation services, so it cannot show readers' data."}

type readersView struct {
	Layout
	Statuses    []string
	Newsletters []newsletterCounts
	Counts      store.ReaderCounts
	// SuppressedTotal is the sum of Counts.Suppressed.
	SuppressedTotal int
	// Email and Error are the lookup form's address and its problem.
	Email, Error string
	NeedsStepUp  bool
}

// newsletterCounts is one newsletter's subscribers by status.
type newsletterCounts struct {
	Name   string
	Counts map[string]int
}

// readerView is what is kept about one address.
type readerView struct {
	Layout
	Record      newsletter.Record
	Newsletters map[string]store.Newsletter // by ID, to name subscriptions
	// Donor is nil when no donor has the address.
	Donor           *donate.DonorExport
	DonorIndex      string
	Notice, Problem string
}

func (a *Admin) readers(w http.ResponseWriter, r *http.Request) error {
	return a.renderReaders(w, r, http.StatusOK, readersView{})
}

func (a *Admin) renderReaders(w http.ResponseWriter, r *http.Request, status int, view readersView) error {
	if a.subscribers == nil || a.donations == nil {
		return errNoReaders
	}
	ctx := r.Context()
	counts, err := a.store.ReaderCounts(ctx, oneTimeWindow)
	if err != nil {
		return err
	}
	list, err := a.store.ListNewsletters(ctx)
	if err != nil {
		return err
	}
	view.Layout = a.layout(r, "Readers")
	view.Statuses, view.Counts = subscriberStatuses, counts
	for _, n := range list {
		view.Newsletters = append(view.Newsletters, newsletterCounts{Name: n.Name, Counts: counts.Subscriptions[n.ID]})
	}
	for _, n := range counts.Suppressed {
		view.SuppressedTotal += n
	}
	view.NeedsStepUp = !principal(r).SteppedUp()
	return a.write(w, status, "readers", view)
}

// steppedUpForReaders runs h only in a session with a fresh step-up, and
// otherwise sends the admin to confirm one and back to the Readers screen:
// looking readers up, changing and exporting them all need it (S5), since
// whether an address subscribes or gives is what a stolen session would be
// after.
func steppedUpForReaders(h func(http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := principal(r).RequireStepUp(); err != nil {
			return redirect(w, r, "/admin/step-up?next=/admin/readers")
		}
		return h(w, r)
	}
}

// lookUpReader shows what is kept about one address, and records who
// looked it up before showing anything.
func (a *Admin) lookUpReader(w http.ResponseWriter, r *http.Request) error {
	email := r.PostFormValue("email")
	view, err := a.reader(r, email)
	var bad *newsletter.AddressError
	if errors.As(err, &bad) {
		return a.renderReaders(w, r, http.StatusUnprocessableEntity, readersView{Email: email, Error: bad.Reason})
	}
	if err != nil {
		return err
	}
	err = a.recordReader(r.Context(), r, AuditReaderLookedUp, view.Record.Index, map[string]any{
		"donor_index": view.DonorIndex, "subscriber": view.Record.Subscriber != nil, "donor": view.Donor != nil})
	if err != nil {
		return err
	}
	return a.write(w, http.StatusOK, "reader", view)
}

// reader loads what is kept about an address.
func (a *Admin) reader(r *http.Request, email string) (readerView, error) {
	if a.subscribers == nil || a.donations == nil {
		return readerView{}, errNoReaders
	}
	ctx := r.Context()
	rec, err := a.subscribers.RecordOf(ctx, email)
	if err != nil {
		return readerView{}, err
	}
	view := readerView{Layout: a.layout(r, "Reader"), Record: rec, Newsletters: map[string]store.Newsletter{},
		DonorIndex: a.donations.DonorIndex(rec.Address)}
	list, err := a.store.ListNewsletters(ctx)
	if err != nil {
		return readerView{}, err
	}
	for _, n := range list {
		view.Newsletters[n.ID] = n
	}
	switch d, err := a.donations.ExportDonor(ctx, rec.Address); {
	case err == nil:
		view.Donor = &d
	case !errors.Is(err, model.ErrNotFound):
		return readerView{}, err
	}
	return view, nil
}

// readerChange is one of the Readers screen's actions on the reader of
// view: it returns what to tell the admin and the audit entry to record,
// or a problem to show instead (nothing changed).
type readerChange func(ctx context.Context, r *http.Request, view readerView) (notice string, entry audit.Entry, problem string, err error)

// changeReader runs change on the reader whose address the form carries,
// once the admin ticked the box that confirms it, records it in the audit
// log and shows the reader as they are now.
func (a *Admin) changeReader(w http.ResponseWriter, r *http.Request, change readerChange) error {
	email := r.PostFormValue("email")
	view, err := a.reader(r, email)
	var bad *newsletter.AddressError
	if errors.As(err, &bad) {
		return web.BadRequest("The form did not say which reader. Look the address up again.")
	}
	if err != nil {
		return err
	}
	if r.PostFormValue("confirm") != "yes" {
		view.Problem = "Tick the box to confirm. Nothing was changed."
		return a.write(w, http.StatusUnprocessableEntity, "reader", view)
	}
	ctx := r.Context()
	notice, entry, problem, err := change(ctx, r, view)
	if err != nil {
		return err
	}
	if problem != "" {
		view.Problem = problem
		return a.write(w, http.StatusConflict, "reader", view)
	}
	// The change is made: its record must be too, even if the admin's
	// browser has gone.
	if err := a.recordReader(context.WithoutCancel(ctx), r, entry.Action, entry.Target, entry.Detail); err != nil {
		return err
	}
	if view, err = a.reader(r, email); err != nil {
		return err
	}
	view.Notice = notice
	return a.write(w, http.StatusOK, "reader", view)
}

// recordReader adds an action on readers' data to the audit log, by the
// signed-in admin.
func (a *Admin) recordReader(ctx context.Context, r *http.Request, action, target string, detail map[string]any) error {
	return a.audit.Append(ctx, audit.Entry{Actor: principal(r).User.ID, Action: action, Target: target, Detail: detail})
}

const problemNotSubscribed = "This address subscribes to nothing (any more). Nothing was changed."

// unsubscribeReader ends one of the subscriber's subscriptions, as their
// own unsubscribe link would.
func (a *Admin) unsubscribeReader(w http.ResponseWriter, r *http.Request) error {
	return a.changeReader(w, r, func(ctx context.Context, r *http.Request, view readerView) (string, audit.Entry, string, error) {
		sub, n := view.Record.Subscriber, view.Newsletters[r.PostFormValue("newsletter")]
		if sub == nil {
			return "", audit.Entry{}, problemNotSubscribed, nil
		}
		if !slices.ContainsFunc(sub.Subscriptions, func(s store.Subscription) bool { return s.NewsletterID == n.ID }) {
			return "", audit.Entry{}, "They do not receive that newsletter (any more). Nothing was changed.", nil
		}
		erased, err := a.store.Unsubscribe(ctx, sub.ID, n.ID)
		if errors.Is(err, model.ErrNotFound) {
			return "", audit.Entry{}, problemNotSubscribed, nil
		}
		if err != nil {
			return "", audit.Entry{}, "", err
		}
		notice := "Unsubscribed from " + n.Name + "."
		if erased {
			notice = "Unsubscribed from " + n.Name + ", their last newsletter: the subscriber record and its consent records are erased."
			if sub.Status != store.SubscriberPending {
				notice += " The address's keyed hash stays on the suppression list (reason: unsubscribe) until they sign up and confirm again."
			}
		}
		return notice, audit.Entry{Action: AuditSubscriberUnsubscribed, Target: view.Record.Index,
			Detail: map[string]any{"newsletter": n.ID, "erased": erased}}, "", nil
	})
}

// eraseSubscriber erases the subscriber, keeping the address on the
// suppression list when asked.
func (a *Admin) eraseSubscriber(w http.ResponseWriter, r *http.Request) error {
	return a.changeReader(w, r, func(ctx context.Context, r *http.Request, view readerView) (string, audit.Entry, string, error) {
		sub := view.Record.Subscriber
		if sub == nil {
			return "", audit.Entry{}, problemNotSubscribed, nil
		}
		reason, notice := "", "Subscriber erased: their address, choices and consent records are gone, and nothing about them remains."
		if r.PostFormValue("suppress") == "yes" {
			reason = store.SuppressManual
			notice = "Subscriber erased: their address, choices and consent records are gone. Only the address's keyed hash stays, on the suppression list, so that nothing is ever sent to it again."
		}
		err := a.store.DeleteSubscriber(ctx, sub.ID, reason)
		if errors.Is(err, model.ErrNotFound) {
			return "", audit.Entry{}, problemNotSubscribed, nil
		}
		if err != nil {
			return "", audit.Entry{}, "", err
		}
		return notice, audit.Entry{Action: AuditSubscriberErased, Target: view.Record.Index,
			Detail: map[string]any{"suppressed": reason != ""}}, "", nil
	})
}

// suppressAddress puts the address on the suppression list, whether or
// not it subscribes: nothing is sent to it again, not even a signup's
// confirmation.
func (a *Admin) suppressAddress(w http.ResponseWriter, r *http.Request) error {
	return a.changeReader(w, r, func(ctx context.Context, r *http.Request, view readerView) (string, audit.Entry, string, error) {
		if err := a.store.Suppress(ctx, view.Record.Index, store.SuppressManual); err != nil {
			return "", audit.Entry{}, "", err
		}
		return "The address is on the suppression list: nothing will be sent to it again.",
			audit.Entry{Action: AuditAddressSuppressed, Target: view.Record.Index}, "", nil
	})
}

// eraseDonor erases the donor, canceling their live recurring donations
// with the payment provider first, as donate.Service.DeleteDonor does.
func (a *Admin) eraseDonor(w http.ResponseWriter, r *http.Request) error {
	return a.changeReader(w, r, func(ctx context.Context, r *http.Request, view readerView) (string, audit.Entry, string, error) {
		err := a.donations.DeleteDonor(ctx, view.Record.Address)
		switch {
		case errors.Is(err, model.ErrNotFound):
			return "", audit.Entry{}, "No donor has this address (any more). Nothing was changed.", nil
		case errors.Is(err, donate.ErrNotConfigured):
			return "", audit.Entry{}, "This donor has a live recurring donation, and this server has no payment provider set up to cancel it. " +
				"Cancel it in the provider's dashboard, wait for its notice to arrive, then erase the donor. Nothing was changed.", nil
		case err != nil:
			// Most likely the provider, which may be down for a while.
			a.log.WarnContext(ctx, "readers: erase donor failed", "donor_index", view.DonorIndex, "err", err)
			return "", audit.Entry{}, "The donor could not be erased: canceling their recurring donation with the payment provider failed, " +
				"or the database did. The donor record is still here; try again in a few minutes.", nil
		}
		return "Donor erased: their address is gone. Their payments stay, as anonymous amounts, currencies, dates and frequencies, in the figures.",
			audit.Entry{Action: AuditDonorErased, Target: view.DonorIndex}, "", nil
	})
}
