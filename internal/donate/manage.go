package donate

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// A donor manages their recurring donations through a link emailed on
// request: no account, no password. A link works for an hour and for one
// change; opening it changes nothing, so mail scanners that follow links
// do not use it up.

const (
	linkTTL = time.Hour
	// linkEvery is the least time between two links to one donor, so the
	// form cannot be used to flood someone's mailbox.
	linkEvery = 5 * time.Minute
)

// linkLimits bound requests for links per address range and in all.
var linkLimits = Limits{PerRange: 10, RangeWindow: time.Hour, Global: 300, GlobalWindow: time.Hour}

// Errors about manage links, each with its own answer to the reader.
var (
	ErrMailNotConfigured = errors.New("donate: no mail server is configured")
	ErrLinkUnknown       = errors.New("donate: no such link")
	ErrLinkExpired       = errors.New("donate: the link has expired")
	ErrLinkUsed          = errors.New("donate: the link was used already")
	ErrNoPortal          = errors.New("donate: the customer portal is not offered")
	// ErrProvider wraps a failure of the payment provider: nothing was
	// changed, and trying again later may work.
	ErrProvider = errors.New("donate: the payment provider failed")
)

// RequestLink emails a link to manage their recurring donations to the
// donor with that address, if they have a live one, at base (the site's
// address as the reader reached it). Whether they do is not told: the
// answer is the same, so the form cannot reveal who gives. It fails with
// a *RateLimitError when the client's range has asked too often, and with
// ErrMailNotConfigured when no mail can be sent.
func (s *Service) RequestLink(ctx context.Context, email, client, base string) error {
	if s.mail == nil {
		return ErrMailNotConfigured
	}
	if err := s.links.allow(client, s.now()); err != nil {
		return err
	}
	d, err := s.DonorByEmail(ctx, email)
	if errors.Is(err, model.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	recurring, err := s.liveRecurring(ctx, d.ID)
	if err != nil || len(recurring) == 0 {
		return err
	}
	if last, err := s.store.LatestDonorToken(ctx, d.ID); err != nil || s.now().Sub(last) < linkEvery {
		return err
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	token := base64.RawURLEncoding.EncodeToString(raw)
	if err := s.store.CreateDonorToken(ctx, tokenHash(token), d.ID, s.now().Add(linkTTL)); err != nil {
		return err
	}
	to, err := s.DonorAddress(d)
	if err != nil {
		return err
	}
	siteName, err := s.siteName(ctx)
	if err != nil {
		return err
	}
	err = s.mail.Send(ctx, &mail.Message{
		From: s.from, To: to, Subject: "Manage your donation to " + siteName,
		Text: fmt.Sprintf("You asked to change or cancel your recurring donation to %s. Open this link within the hour:\n\n%s/support/manage?token=%s\n\n"+
			"The link works for one change. If you did not ask for it, ignore this email: nothing changes without it.\n", siteName, base, token),
		MessageID: "manage-" + tokenHash(token)[:24] + "@" + s.mailDomain(),
	})
	if err != nil {
		return fmt.Errorf("donate: send manage link: %w", err)
	}
	return nil
}

// Managed is what a valid link lets a donor manage.
type Managed struct {
	Recurring []store.RecurringDonation // the live ones, oldest first
	Portal    bool                      // the provider's customer portal is offered
}

// OpenLink returns what the link lets its donor manage, or ErrLinkUnknown,
// ErrLinkExpired or ErrLinkUsed. It does not use the link up.
func (s *Service) OpenLink(ctx context.Context, token string) (Managed, error) {
	t, err := s.checkLink(ctx, token)
	if err != nil {
		return Managed{}, err
	}
	recurring, err := s.liveRecurring(ctx, t.DonorID)
	if err != nil {
		return Managed{}, err
	}
	return Managed{Recurring: recurring, Portal: s.portal && s.payments != nil}, nil
}

// Cancel ends one of the link's donor's recurring donations, using the
// link up. The records change when the provider's event arrives.
func (s *Service) Cancel(ctx context.Context, token, recurringID string) error {
	rd, err := s.useLink(ctx, token, recurringID)
	if err != nil {
		return err
	}
	if err := s.payments.CancelSubscription(ctx, rd.ProviderID); err != nil {
		return fmt.Errorf("%w: %w", ErrProvider, err)
	}
	return nil
}

// ChangeAmount sets a new amount for one of the link's donor's recurring
// donations from the next payment on, using the link up. The amount is
// checked as the donation form checks it, in the donation's currency,
// against the appeal's minimum for that currency (1 when it has none).
func (s *Service) ChangeAmount(ctx context.Context, token, recurringID, amount string, appeal model.Appeal) error {
	rd, err := s.recurringOfLink(ctx, token, recurringID)
	if err != nil {
		return err
	}
	minor, msg := parseAmount(amount, max(appeal.Minimum(rd.Currency), 1), rd.Currency)
	if msg != "" {
		return &model.ValidationError{Fields: map[string]string{"amount": msg}}
	}
	if _, err := s.useLink(ctx, token, recurringID); err != nil {
		return err
	}
	if err := s.payments.ChangeSubscriptionAmount(ctx, rd.ProviderID, minor, uuid.NewString()); err != nil {
		return fmt.Errorf("%w: %w", ErrProvider, err)
	}
	return nil
}

// Portal opens the provider's customer portal for the donor of one of the
// link's recurring donations, using the link up, and returns its address.
func (s *Service) Portal(ctx context.Context, token, recurringID, returnURL string) (string, error) {
	if !s.portal || s.payments == nil {
		return "", ErrNoPortal
	}
	rd, err := s.useLink(ctx, token, recurringID)
	if err != nil {
		return "", err
	}
	if rd.CustomerSealed == "" {
		return "", ErrNoPortal
	}
	customer, err := s.vault.Open(rd.CustomerSealed, purposeCustomer)
	if err != nil {
		return "", fmt.Errorf("donate: portal: %w", err)
	}
	url, err := s.payments.PortalURL(ctx, customer, returnURL)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrProvider, err)
	}
	return url, nil
}

// useLink checks a link and one of its donor's live recurring donations,
// then uses the link up.
func (s *Service) useLink(ctx context.Context, token, recurringID string) (store.RecurringDonation, error) {
	rd, err := s.recurringOfLink(ctx, token, recurringID)
	if err != nil {
		return store.RecurringDonation{}, err
	}
	if used, err := s.store.UseDonorToken(ctx, tokenHash(token)); err != nil {
		return store.RecurringDonation{}, err
	} else if !used {
		return store.RecurringDonation{}, ErrLinkUsed // by a concurrent request, or it just expired
	}
	return rd, nil
}

// recurringOfLink checks a link and returns the live recurring donation
// recurringID of its donor; model.ErrNotFound if the donor has no such one.
func (s *Service) recurringOfLink(ctx context.Context, token, recurringID string) (store.RecurringDonation, error) {
	if s.payments == nil {
		return store.RecurringDonation{}, ErrNotConfigured
	}
	t, err := s.checkLink(ctx, token)
	if err != nil {
		return store.RecurringDonation{}, err
	}
	recurring, err := s.liveRecurring(ctx, t.DonorID)
	if err != nil {
		return store.RecurringDonation{}, err
	}
	for _, rd := range recurring {
		if rd.ID == recurringID {
			return rd, nil
		}
	}
	return store.RecurringDonation{}, model.ErrNotFound
}

func (s *Service) checkLink(ctx context.Context, token string) (store.DonorToken, error) {
	t, err := s.store.DonorTokenByHash(ctx, tokenHash(token))
	switch {
	case errors.Is(err, model.ErrNotFound):
		return store.DonorToken{}, ErrLinkUnknown
	case err != nil:
		return store.DonorToken{}, err
	case !t.UsedAt.IsZero():
		return store.DonorToken{}, ErrLinkUsed
	case !s.now().Before(t.ExpiresAt):
		return store.DonorToken{}, ErrLinkExpired
	}
	return t, nil
}

func (s *Service) liveRecurring(ctx context.Context, donorID string) ([]store.RecurringDonation, error) {
	all, err := s.store.RecurringDonationsOf(ctx, donorID)
	if err != nil {
		return nil, err
	}
	var out []store.RecurringDonation
	for _, rd := range all {
		if live(rd.Status) {
			out = append(out, rd)
		}
	}
	return out, nil
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
