package newsletter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// SignupRequest is what a signup form posts, plus what the server knows of
// the request.
type SignupRequest struct {
	Email       string
	Newsletters []string // slugs
	Consent     bool     // the consent box was ticked
	Source      string   // which form, e.g. "article page"
	// Client is the client's IP address, used for throttling in memory
	// only and never stored.
	Client string
	// LinkRoot is the absolute site root, ending in "/", that links in the
	// email start with.
	LinkRoot string
}

// Signup handles a signup form. It returns nil whether the address is new,
// waiting for confirmation, already subscribed or suppressed, so that its
// answer does not reveal who subscribes; what it does differs. A new
// address is stored as pending, with its choices and the consent record,
// and sent a confirmation link; a pending one gets its choices updated and
// the link again; a subscribed one is sent its manage link; a suppressed
// one hears nothing. Emails about one address go out at most once per
// Limits.Resend.
//
// Errors are what the reader can correct: an *AddressError,
// ErrConsentRequired, ErrNoNewsletter; or ErrThrottled and
// ErrMailUnavailable.
func (s *Service) Signup(ctx context.Context, req SignupRequest) error {
	if !s.limits.allow(req.Client, s.now()) {
		return ErrThrottled
	}
	addr, err := NormalizeAddress(req.Email)
	if err != nil {
		return err
	}
	if !req.Consent {
		return ErrConsentRequired
	}
	chosen, err := s.choose(ctx, req.Newsletters)
	if err != nil {
		return err
	}
	if s.mail == nil {
		return ErrMailUnavailable
	}
	index := s.index(addr)
	switch reason, err := s.store.Suppression(ctx, index); {
	case err == nil && reason != store.SuppressUnsubscribe:
		return nil // bounced, complained or asked never to be mailed
	case err != nil && !errors.Is(err, model.ErrNotFound):
		return fmt.Errorf("newsletter: signup: %w", err)
	}
	set, err := s.settings(ctx)
	if err != nil {
		return fmt.Errorf("newsletter: signup: %w", err)
	}
	consent, err := s.consent(ctx, set, chosen, req.Source)
	if err != nil {
		return fmt.Errorf("newsletter: signup: %w", err)
	}
	ids := newsletterIDs(chosen)

	sub, err := s.store.SubscriberByEmailIndex(ctx, index)
	if errors.Is(err, model.ErrNotFound) {
		sub = store.Subscriber{EmailIndex: index, EmailSealed: s.seal(addr)}
		err = s.store.CreateSubscriber(ctx, &sub, ids, consent)
		if errors.Is(err, model.ErrConflict) { // a signup of the same address just won the race
			return nil
		}
		if err != nil {
			return fmt.Errorf("newsletter: signup: %w", err)
		}
		s.sendConfirmation(set, sub, addr, chosen, req.LinkRoot)
		return nil
	}
	if err != nil {
		return fmt.Errorf("newsletter: signup: %w", err)
	}
	switch sub.Status {
	case store.SubscriberPending:
		if err := s.store.SetSubscriptions(ctx, sub.ID, ids, consent); err != nil {
			return fmt.Errorf("newsletter: signup: %w", err)
		}
		s.sendConfirmation(set, sub, addr, chosen, req.LinkRoot)
	case store.SubscriberActive:
		// Choices change only through the subscriber's own link, which
		// this email carries: a stranger who knows the address cannot.
		s.sendAlreadySubscribed(set, sub, addr, req.LinkRoot)
	}
	return nil
}

// choose resolves newsletter slugs, dropping repeats.
func (s *Service) choose(ctx context.Context, slugs []string) ([]store.Newsletter, error) {
	all, err := s.store.ListNewsletters(ctx)
	if err != nil {
		return nil, fmt.Errorf("newsletter: signup: %w", err)
	}
	var chosen []store.Newsletter
	for _, n := range all {
		if slices.Contains(slugs, n.Slug) {
			chosen = append(chosen, n)
		}
	}
	for _, slug := range slugs {
		if !slices.ContainsFunc(chosen, func(n store.Newsletter) bool { return n.Slug == slug }) {
			return nil, ErrNoNewsletter
		}
	}
	if len(chosen) == 0 {
		return nil, ErrNoNewsletter
	}
	return chosen, nil
}

// consent builds the consent record: the statement as the form showed it,
// with the newsletters and the form it was given for.
func (s *Service) consent(ctx context.Context, set model.Settings, chosen []store.Newsletter, source string) (*store.Consent, error) {
	version, err := s.policy(ctx, set)
	if err != nil {
		return nil, err
	}
	if source == "" {
		source = "signup form"
	}
	text := fmt.Sprintf("%s Privacy Policy. Newsletters: %s. Given on the %s of %s.",
		strings.TrimSpace(set.Newsletter.ConsentText), names(chosen), source, set.SiteName)
	return &store.Consent{Text: text, PolicyVersion: version}, nil
}

func (s *Service) sendConfirmation(set model.Settings, sub store.Subscriber, addr string, chosen []store.Newsletter, root string) {
	if !s.limits.mayEmail(sub.ID, s.now()) {
		return
	}
	link := root + "newsletter/confirm?t=" + s.tokens.confirmToken(sub.ID)
	s.send(&mail.Message{
		From:    s.from,
		To:      addr,
		Subject: "Confirm your subscription to " + set.SiteName,
		Text: fmt.Sprintf(`Hello,

Someone, hopefully you, asked to receive %s from %s at this address.

To confirm, open this link within 72 hours and press "Confirm":

%s

If you did not ask for this, ignore this email. You will not hear from us
again, and the address is deleted within 7 days.
`, names(chosen), set.SiteName, link),
	})
}

func (s *Service) sendAlreadySubscribed(set model.Settings, sub store.Subscriber, addr, root string) {
	if !s.limits.mayEmail(sub.ID, s.now()) {
		return
	}
	link := root + "newsletter/manage?t=" + s.tokens.ManageToken(sub.ID, sub.TokenVersion)
	s.send(&mail.Message{
		From:    s.from,
		To:      addr,
		Subject: "Your subscription to " + set.SiteName,
		Text: fmt.Sprintf(`Hello,

Someone, hopefully you, tried to sign up this address for %s's newsletters.
It is already subscribed, so nothing has changed.

To choose which newsletters you receive, download your data or
unsubscribe, use this link:

%s

If this was not you, you can ignore this email.
`, set.SiteName, link),
	})
}

func (s *Service) sendManageLink(set model.Settings, sub store.Subscriber, addr, root string) {
	if !s.limits.mayEmail(sub.ID, s.now()) {
		return
	}
	link := root + "newsletter/manage?t=" + s.tokens.ManageToken(sub.ID, sub.TokenVersion)
	s.send(&mail.Message{
		From:    s.from,
		To:      addr,
		Subject: "Your subscription to " + set.SiteName,
		Text: fmt.Sprintf(`Hello,

Here is the link to your subscription page at %s, as you asked. There
you can choose which newsletters you receive, download your data or
delete it:

%s

Keep the link to yourself: anyone who has it can change your
subscription. If you did not ask for it, you can ignore this email.
`, set.SiteName, link),
	})
}

// ConfirmState is what a valid confirmation link is for.
type ConfirmState struct {
	Newsletters []store.Newsletter // the choices waiting for confirmation
	Confirmed   bool               // the subscription is already active
}

// CheckConfirm verifies a confirmation link without using it, for the page
// that asks the reader to press "Confirm" (a link checker fetching the
// link must not confirm it). Errors: ErrBadLink, ErrExpiredLink, and
// model.ErrNotFound for a signup deleted since.
func (s *Service) CheckConfirm(ctx context.Context, token string) (ConfirmState, error) {
	c, err := s.tokens.verify(token, purposeConfirm)
	if err != nil {
		return ConfirmState{}, err
	}
	sub, err := s.store.SubscriberByID(ctx, c.subscriberID)
	if err != nil {
		return ConfirmState{}, fmt.Errorf("newsletter: check confirmation: %w", err)
	}
	subscribed, err := s.subscribed(ctx, sub)
	if err != nil {
		return ConfirmState{}, err
	}
	return ConfirmState{Newsletters: subscribed, Confirmed: sub.Status != store.SubscriberPending}, nil
}

// Confirmed is the outcome of a used confirmation link.
type Confirmed struct {
	Newsletters []store.Newsletter
	// ManageToken is for the subscriber's manage link.
	ManageToken string
}

// Confirm uses a confirmation link: the pending subscriber becomes active.
// Using it again changes nothing and succeeds. Errors as CheckConfirm.
func (s *Service) Confirm(ctx context.Context, token string) (Confirmed, error) {
	c, err := s.tokens.verify(token, purposeConfirm)
	if err != nil {
		return Confirmed{}, err
	}
	if _, err := s.store.ConfirmSubscriber(ctx, c.subscriberID); err != nil {
		return Confirmed{}, fmt.Errorf("newsletter: confirm: %w", err)
	}
	sub, err := s.store.SubscriberByID(ctx, c.subscriberID)
	if err != nil {
		return Confirmed{}, fmt.Errorf("newsletter: confirm: %w", err)
	}
	subscribed, err := s.subscribed(ctx, sub)
	if err != nil {
		return Confirmed{}, err
	}
	return Confirmed{Newsletters: subscribed, ManageToken: s.tokens.ManageToken(sub.ID, sub.TokenVersion)}, nil
}

// subscribed returns the newsletters sub receives, in list order.
func (s *Service) subscribed(ctx context.Context, sub store.Subscriber) ([]store.Newsletter, error) {
	all, err := s.store.ListNewsletters(ctx)
	if err != nil {
		return nil, fmt.Errorf("newsletter: %w", err)
	}
	var out []store.Newsletter
	for _, n := range all {
		if slices.ContainsFunc(sub.Subscriptions, func(x store.Subscription) bool { return x.NewsletterID == n.ID }) {
			out = append(out, n)
		}
	}
	return out, nil
}

func newsletterIDs(ns []store.Newsletter) []string {
	ids := make([]string, len(ns))
	for i, n := range ns {
		ids[i] = n.ID
	}
	return ids
}

// names lists newsletters' names in prose: "Weekly", "Weekly and
// Breaking", "A, B and C".
func names(ns []store.Newsletter) string {
	var ss []string
	for _, n := range ns {
		ss = append(ss, n.Name)
	}
	if len(ss) <= 1 {
		return strings.Join(ss, "")
	}
	return strings.Join(ss[:len(ss)-1], ", ") + " and " + ss[len(ss)-1]
}
