package newsletter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// ErrGone is a link to a subscriber who no longer exists: they deleted
// themselves, unsubscribed from everything, or never confirmed in time.
var ErrGone = errors.New("newsletter: this subscription no longer exists")

// Profile is what the subscriber's own page shows.
type Profile struct {
	Email       string
	Status      string
	Choices     []Choice
	Consents    []store.Consent
	CreatedAt   time.Time
	ConfirmedAt time.Time
	// Token is the manage token in force, for the page's forms.
	Token string
}

// Choice is one newsletter and whether the subscriber receives it.
type Choice struct {
	Newsletter store.Newsletter
	Subscribed bool
	Since      time.Time // when subscribed; zero if not
}

// subscriberOf verifies a manage token and loads its subscriber. A token of
// an older version (rotated away) is ErrBadLink.
func (s *Service) subscriberOf(ctx context.Context, token string) (store.Subscriber, error) {
	c, err := s.tokens.verify(token, purposeManage)
	if err != nil {
		return store.Subscriber{}, err
	}
	sub, err := s.store.SubscriberByID(ctx, c.subscriberID)
	if errors.Is(err, model.ErrNotFound) {
		return store.Subscriber{}, ErrGone
	}
	if err != nil {
		return store.Subscriber{}, fmt.Errorf("newsletter: %w", err)
	}
	if uint32(sub.TokenVersion) != c.version {
		return store.Subscriber{}, ErrBadLink
	}
	return sub, nil
}

// Profile returns the subscriber's page from a manage token. Errors:
// ErrBadLink, ErrGone.
func (s *Service) Profile(ctx context.Context, token string) (Profile, error) {
	sub, err := s.subscriberOf(ctx, token)
	if err != nil {
		return Profile{}, err
	}
	return s.profile(ctx, sub)
}

func (s *Service) profile(ctx context.Context, sub store.Subscriber) (Profile, error) {
	addr, err := s.Address(sub)
	if err != nil {
		return Profile{}, err
	}
	all, err := s.store.ListNewsletters(ctx)
	if err != nil {
		return Profile{}, fmt.Errorf("newsletter: profile: %w", err)
	}
	consents, err := s.store.Consents(ctx, sub.ID)
	if err != nil {
		return Profile{}, fmt.Errorf("newsletter: profile: %w", err)
	}
	p := Profile{Email: addr, Status: sub.Status, Consents: consents, CreatedAt: sub.CreatedAt, ConfirmedAt: sub.ConfirmedAt,
		Token: s.tokens.ManageToken(sub.ID, sub.TokenVersion)}
	for _, n := range all {
		c := Choice{Newsletter: n}
		if i := slices.IndexFunc(sub.Subscriptions, func(x store.Subscription) bool { return x.NewsletterID == n.ID }); i >= 0 {
			c.Subscribed, c.Since = true, sub.Subscriptions[i].CreatedAt
		}
		p.Choices = append(p.Choices, c)
	}
	return p, nil
}

// SetChoices makes slugs the newsletters the subscriber receives, with a
// consent record naming them. Choosing none unsubscribes from everything,
// which deletes the subscriber as Unsubscribe does; the result is then
// ErrGone. Errors also: ErrBadLink, ErrNoNewsletter.
func (s *Service) SetChoices(ctx context.Context, token string, slugs []string) (Profile, error) {
	sub, err := s.subscriberOf(ctx, token)
	if err != nil {
		return Profile{}, err
	}
	if len(slugs) == 0 {
		if err := s.store.DeleteSubscriber(ctx, sub.ID, leaveReason(sub)); err != nil {
			return Profile{}, fmt.Errorf("newsletter: set choices: %w", err)
		}
		return Profile{}, ErrGone
	}
	chosen, err := s.choose(ctx, slugs)
	if err != nil {
		return Profile{}, err
	}
	set, err := s.settings(ctx)
	if err != nil {
		return Profile{}, fmt.Errorf("newsletter: set choices: %w", err)
	}
	consent, err := s.consent(ctx, set, chosen, "subscriber's own page")
	if err != nil {
		return Profile{}, fmt.Errorf("newsletter: set choices: %w", err)
	}
	if err := s.store.SetSubscriptions(ctx, sub.ID, newsletterIDs(chosen), consent); err != nil {
		return Profile{}, fmt.Errorf("newsletter: set choices: %w", err)
	}
	return s.Profile(ctx, token)
}

// leaveReason is the suppression a subscriber leaving every newsletter
// keeps: none for a signup never confirmed, else "unsubscribe".
func leaveReason(sub store.Subscriber) string {
	if sub.Status == store.SubscriberPending {
		return ""
	}
	return store.SuppressUnsubscribe
}

// RotateManageLink revokes every manage link sent so far and returns the
// token of the new one. Errors: ErrBadLink, ErrGone.
func (s *Service) RotateManageLink(ctx context.Context, token string) (string, error) {
	sub, err := s.subscriberOf(ctx, token)
	if err != nil {
		return "", err
	}
	version, err := s.store.RotateManageToken(ctx, sub.ID)
	if err != nil {
		return "", fmt.Errorf("newsletter: rotate manage link: %w", err)
	}
	return s.tokens.ManageToken(sub.ID, version), nil
}

// Delete erases the subscriber: their row, choices and consent records.
// With neverAgain, the keyed hash of their address stays in the suppression
// list so that nothing is ever sent to it, not even a confirmation email;
// without it nothing remains. Errors: ErrBadLink, ErrGone.
func (s *Service) Delete(ctx context.Context, token string, neverAgain bool) error {
	sub, err := s.subscriberOf(ctx, token)
	if err != nil {
		return err
	}
	reason := ""
	if neverAgain {
		reason = store.SuppressManual
	}
	if err := s.store.DeleteSubscriber(ctx, sub.ID, reason); errors.Is(err, model.ErrNotFound) {
		return ErrGone
	} else if err != nil {
		return fmt.Errorf("newsletter: delete subscriber: %w", err)
	}
	return nil
}

// Export is everything kept about a subscriber, as their data download.
type Export struct {
	Email       string             `json:"email"`
	Status      string             `json:"status"`
	SignedUpAt  time.Time          `json:"signed_up_at"`
	ConfirmedAt *time.Time         `json:"confirmed_at"`
	BounceCount int                `json:"bounce_count"`
	Newsletters []ExportNewsletter `json:"newsletters"`
	Consents    []ExportConsent    `json:"consents"`
	ExportedAt  time.Time          `json:"exported_at"`
	Note        string             `json:"note"`
}

// ExportNewsletter is one newsletter in an export.
type ExportNewsletter struct {
	Slug         string    `json:"slug"`
	Name         string    `json:"name"`
	SubscribedAt time.Time `json:"subscribed_at"`
}

// ExportConsent is one consent record in an export.
type ExportConsent struct {
	Text          string    `json:"text"`
	PolicyVersion string    `json:"privacy_policy_version"`
	GivenAt       time.Time `json:"given_at"`
}

// ExportData returns the subscriber's data as indented JSON. Errors:
// ErrBadLink, ErrGone.
func (s *Service) ExportData(ctx context.Context, token string) ([]byte, error) {
	sub, err := s.subscriberOf(ctx, token)
	if err != nil {
		return nil, err
	}
	p, err := s.profile(ctx, sub)
	if err != nil {
		return nil, err
	}
	e := Export{
		Email: p.Email, Status: p.Status, SignedUpAt: p.CreatedAt, BounceCount: sub.BounceCount,
		Newsletters: []ExportNewsletter{}, Consents: []ExportConsent{}, ExportedAt: s.now().UTC(),
		Note: "This is all we keep about you. Your address is stored encrypted; we keep no IP address, and we do not track opening or clicks.",
	}
	if !p.ConfirmedAt.IsZero() {
		e.ConfirmedAt = &p.ConfirmedAt
	}
	for _, c := range p.Choices {
		if c.Subscribed {
			e.Newsletters = append(e.Newsletters, ExportNewsletter{Slug: c.Newsletter.Slug, Name: c.Newsletter.Name, SubscribedAt: c.Since})
		}
	}
	for _, c := range p.Consents {
		e.Consents = append(e.Consents, ExportConsent{Text: c.Text, PolicyVersion: c.PolicyVersion, GivenAt: c.GivenAt})
	}
	out, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("newsletter: export: %w", err)
	}
	return append(out, '\n'), nil
}

// UnsubscribeTarget verifies an unsubscribe link without using it and
// returns its newsletter, for the page that asks the reader to confirm.
// Errors: ErrBadLink, ErrNoNewsletter.
func (s *Service) UnsubscribeTarget(ctx context.Context, token string) (store.Newsletter, error) {
	c, err := s.tokens.verify(token, purposeUnsubscribe)
	if err != nil {
		return store.Newsletter{}, err
	}
	return s.unsubscribeTarget(ctx, c)
}

func (s *Service) unsubscribeTarget(ctx context.Context, c claims) (store.Newsletter, error) {
	n, err := s.store.NewsletterByID(ctx, c.newsletterID)
	if errors.Is(err, model.ErrNotFound) {
		return store.Newsletter{}, ErrNoNewsletter
	}
	if err != nil {
		return store.Newsletter{}, fmt.Errorf("newsletter: unsubscribe: %w", err)
	}
	return n, nil
}

// Unsubscribe uses an unsubscribe link: the subscriber stops receiving its
// newsletter at once. One left with no newsletter is deleted, and only the
// keyed hash of their address stays, in the suppression list. It is
// idempotent: a subscriber already gone is not an error. Errors: ErrBadLink,
// ErrNoNewsletter.
func (s *Service) Unsubscribe(ctx context.Context, token string) (store.Newsletter, error) {
	c, err := s.tokens.verify(token, purposeUnsubscribe)
	if err != nil {
		return store.Newsletter{}, err
	}
	n, err := s.unsubscribeTarget(ctx, c)
	if err != nil {
		return store.Newsletter{}, err
	}
	if _, err := s.store.Unsubscribe(ctx, c.subscriberID, c.newsletterID); err != nil && !errors.Is(err, model.ErrNotFound) {
		return store.Newsletter{}, fmt.Errorf("newsletter: unsubscribe: %w", err)
	}
	return n, nil
}

// SendManageLink emails the subscriber of an unsubscribe link the link to
// their own page, for readers who start from an issue's unsubscribe link
// and want to change more. The unsubscribe link itself grants no more than
// unsubscribing: the page's link goes only to the address. Emails go out at
// most once per Limits.Resend; a subscriber gone is not an error. Errors:
// ErrBadLink, ErrMailUnavailable.
func (s *Service) SendManageLink(ctx context.Context, unsubscribeToken, linkRoot string) error {
	c, err := s.tokens.verify(unsubscribeToken, purposeUnsubscribe)
	if err != nil {
		return err
	}
	if s.mail == nil {
		return ErrMailUnavailable
	}
	sub, err := s.store.SubscriberByID(ctx, c.subscriberID)
	if errors.Is(err, model.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("newsletter: send manage link: %w", err)
	}
	addr, err := s.Address(sub)
	if err != nil {
		return err
	}
	set, err := s.settings(ctx)
	if err != nil {
		return fmt.Errorf("newsletter: send manage link: %w", err)
	}
	s.sendManageLink(set, sub, addr, linkRoot)
	return nil
}
