package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// Subscriber is a newsletter reader. The store never sees the address in
// the clear: EmailSealed is the vault-sealed address and EmailIndex its
// keyed hash, both made by the newsletter service.
type Subscriber struct {
	ID          string
	EmailIndex  string
	EmailSealed string
	Status      string // one of the Subscriber* statuses
	CreatedAt   time.Time
	ConfirmedAt time.Time // zero until the double opt-in link is used
	// UnsubscribedAt is zero while subscribed.
	UnsubscribedAt time.Time
	BounceCount    int
	// TokenVersion is carried by manage links; raising it revokes them.
	TokenVersion  int
	Subscriptions []Subscription
}

// Subscription is one newsletter a subscriber receives.
type Subscription struct {
	NewsletterID string
	CreatedAt    time.Time
}

// Subscriber statuses. Only active subscribers receive newsletters.
const (
	SubscriberPending      = "pending" // signed up, not yet confirmed
	SubscriberActive       = "active"
	SubscriberUnsubscribed = "unsubscribed"
	SubscriberBounced      = "bounced" // too many permanent delivery failures
)

// Reasons for a suppression.
const (
	SuppressBounce      = "bounce"
	SuppressComplaint   = "complaint"
	SuppressUnsubscribe = "unsubscribe" // left every newsletter; a new confirmed signup lifts it
	SuppressManual      = "manual"      // "never email me again", or an operator's decision
)

// Consent is what a subscriber agreed to, and when.
type Consent struct {
	ID            string
	SubscriberID  string
	Text          string // as shown, naming the newsletters and the form
	PolicyVersion string // of the Privacy Policy
	GivenAt       time.Time
}

// Recipient is an active subscriber to send an issue to.
type Recipient struct {
	SubscriberID string
	EmailSealed  string
}

const (
	subscriberColumns = `id, email_index, email_sealed, status, created_at, confirmed_at, unsubscribed_at, bounce_count, token_version`
	qInsertSubscriber = `INSERT INTO subscribers (` + subscriberColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qSubscriberByID   = `SELECT ` + subscriberColumns + ` FROM subscribers WHERE id = ?`
	qSubscriberByHash = `SELECT ` + subscriberColumns + ` FROM subscribers WHERE email_index = ?`
	qSubscriberStatus = `SELECT status FROM subscribers WHERE id = ?`
	qSubscriptionsOf  = `SELECT newsletter_id, created_at FROM subscriptions WHERE subscriber_id = ? ORDER BY created_at, newsletter_id`
	qAddSubscription  = `INSERT INTO subscriptions (subscriber_id, newsletter_id, created_at) VALUES (?, ?, ?)
ON CONFLICT (subscriber_id, newsletter_id) DO NOTHING`
	qDropSubscriptions  = `DELETE FROM subscriptions WHERE subscriber_id = ?`
	qDropSubscription   = `DELETE FROM subscriptions WHERE subscriber_id = ? AND newsletter_id = ?`
	qCountSubscriptions = `SELECT COUNT(*) FROM subscriptions WHERE subscriber_id = ?`
	qInsertConsent      = `INSERT INTO consents (id, subscriber_id, text, policy_version, given_at) VALUES (?, ?, ?, ?, ?)`
	qConsentsOf         = `SELECT id, subscriber_id, text, policy_version, given_at FROM consents WHERE subscriber_id = ? ORDER BY given_at, id`
	qConfirmSubscriber  = `UPDATE subscribers SET status = 'active', confirmed_at = ? WHERE id = ? AND status = 'pending'
RETURNING email_index`
	qDeleteSubscriber = `DELETE FROM subscribers WHERE id = ? RETURNING email_index, status`
	qRotateToken      = `UPDATE subscribers SET token_version = token_version + 1 WHERE id = ? RETURNING token_version`
	qBounce           = `UPDATE subscribers SET bounce_count = bounce_count + 1 WHERE id = ? RETURNING bounce_count, email_index`
	qSetBounced       = `UPDATE subscribers SET status = 'bounced' WHERE id = ?`
	qPurgePending     = `DELETE FROM subscribers WHERE status = 'pending' AND created_at < ?`
	qSuppress         = `INSERT INTO suppressions (email_index, reason, created_at) VALUES (?, ?, ?)
ON CONFLICT (email_index) DO UPDATE SET reason = excluded.reason, created_at = excluded.created_at
WHERE suppressions.reason = 'unsubscribe' AND excluded.reason <> 'unsubscribe'`
	qSuppression     = `SELECT reason FROM suppressions WHERE email_index = ?`
	qLiftUnsubscribe = `DELETE FROM suppressions WHERE email_index = ? AND reason = 'unsubscribe'`
	// Suppressed addresses are left out here as well as at signup, so a
	// suppression takes effect on the next page of a send already running.
	// The page is keyed and ordered on the subscription's column, so that
	// SQLite walks the newsletter's subscriptions in subscriptions_newsletter_id
	// and stops at the limit, rather than every subscriber after the key.
	qActiveRecipients = `SELECT n.subscriber_id, s.email_sealed FROM subscriptions n JOIN subscribers s ON s.id = n.subscriber_id
WHERE n.newsletter_id = ? AND n.subscriber_id > ? AND ` + activeRecipient + `
ORDER BY n.subscriber_id LIMIT ?`
)

// CreateSubscriber adds a subscriber (pending unless sub.Status says
// otherwise) with subscriptions to newsletterIDs and, when consent is not
// nil, the consent record, in one transaction. It sets sub.ID and
// sub.CreatedAt. An address already present gives model.ErrConflict, as
// does an unknown newsletter.
func (s *Store) CreateSubscriber(ctx context.Context, sub *Subscriber, newsletterIDs []string, consent *Consent) error {
	if sub.Status == "" {
		sub.Status = SubscriberPending
	}
	if sub.EmailIndex == "" || sub.EmailSealed == "" {
		return fmt.Errorf("store: create subscriber: %w", &model.ValidationError{Fields: map[string]string{"email": "a subscriber needs a sealed address and its index"}})
	}
	now := s.clock()
	id := newID()
	err := s.write(ctx, false, func(r *runner) error {
		if _, err := r.exec(ctx, "insert_subscriber", qInsertSubscriber, id, sub.EmailIndex, sub.EmailSealed, sub.Status,
			timeArg(now), timeArg(sub.ConfirmedAt), nil, 0, 0); err != nil {
			return err
		}
		return setSubscriptions(ctx, r, id, newsletterIDs, consent, now)
	})
	if err != nil {
		return fmt.Errorf("store: create subscriber: %w", err)
	}
	sub.ID, sub.CreatedAt, sub.ConfirmedAt = id, now, normTime(sub.ConfirmedAt)
	sub.Subscriptions = nil
	for _, n := range newsletterIDs {
		sub.Subscriptions = append(sub.Subscriptions, Subscription{NewsletterID: n, CreatedAt: now})
	}
	return nil
}

// SetSubscriptions makes newsletterIDs the subscriber's whole set of
// newsletters, keeping the dates of those already chosen, and records
// consent when it is not nil. An unknown subscriber gives
// model.ErrNotFound; an unknown newsletter model.ErrConflict.
func (s *Store) SetSubscriptions(ctx context.Context, subscriberID string, newsletterIDs []string, consent *Consent) error {
	now := s.clock()
	err := s.write(ctx, false, func(r *runner) error {
		var status string
		if err := r.scanRow(ctx, "subscriber_status", qSubscriberStatus, []any{subscriberID}, &status); err != nil {
			return notFound(err)
		}
		drop, args := qDropSubscriptions, []any{subscriberID}
		if len(newsletterIDs) > 0 {
			drop += ` AND newsletter_id NOT IN (` + placeholders(len(newsletterIDs)) + `)`
			for _, n := range newsletterIDs {
				args = append(args, n)
			}
		}
		if _, err := r.exec(ctx, "drop_subscriptions", drop, args...); err != nil {
			return err
		}
		return setSubscriptions(ctx, r, subscriberID, newsletterIDs, consent, now)
	})
	if err != nil {
		return fmt.Errorf("store: set subscriptions of %s: %w", subscriberID, err)
	}
	return nil
}

// setSubscriptions adds the subscriptions missing from newsletterIDs and
// the consent record.
func setSubscriptions(ctx context.Context, r *runner, subscriberID string, newsletterIDs []string, consent *Consent, now time.Time) error {
	for _, n := range newsletterIDs {
		if _, err := r.exec(ctx, "add_subscription", qAddSubscription, subscriberID, n, timeArg(now)); err != nil {
			return err
		}
	}
	if consent == nil {
		return nil
	}
	consent.ID, consent.SubscriberID, consent.GivenAt = newID(), subscriberID, now
	_, err := r.exec(ctx, "insert_consent", qInsertConsent, consent.ID, subscriberID, consent.Text, consent.PolicyVersion, timeArg(now))
	return err
}

// SubscriberByID returns the subscriber with that ID and their
// subscriptions.
func (s *Store) SubscriberByID(ctx context.Context, id string) (Subscriber, error) {
	sub, err := s.subscriber(ctx, "subscriber_by_id", qSubscriberByID, id)
	if err != nil {
		return Subscriber{}, fmt.Errorf("store: subscriber %s: %w", id, err)
	}
	return sub, nil
}

// SubscriberByEmailIndex returns the subscriber whose address has that
// keyed hash, and their subscriptions.
func (s *Store) SubscriberByEmailIndex(ctx context.Context, emailIndex string) (Subscriber, error) {
	sub, err := s.subscriber(ctx, "subscriber_by_index", qSubscriberByHash, emailIndex)
	if err != nil {
		return Subscriber{}, fmt.Errorf("store: subscriber by address: %w", err)
	}
	return sub, nil
}

func (s *Store) subscriber(ctx context.Context, name, query, arg string) (Subscriber, error) {
	var sub Subscriber
	r := s.read()
	err := r.scanRow(ctx, name, query, []any{arg}, &sub.ID, &sub.EmailIndex, &sub.EmailSealed, &sub.Status,
		scanTime(&sub.CreatedAt), scanTime(&sub.ConfirmedAt), scanTime(&sub.UnsubscribedAt), &sub.BounceCount, &sub.TokenVersion)
	if err != nil {
		return Subscriber{}, notFound(err)
	}
	err = r.each(ctx, "subscriptions_of", qSubscriptionsOf, []any{sub.ID}, func(scan func(...any) error) error {
		var n Subscription
		err := scan(&n.NewsletterID, scanTime(&n.CreatedAt))
		sub.Subscriptions = append(sub.Subscriptions, n)
		return err
	})
	return sub, err
}

// Consents returns the subscriber's consent records, oldest first.
func (s *Store) Consents(ctx context.Context, subscriberID string) ([]Consent, error) {
	var out []Consent
	err := s.read().each(ctx, "consents_of", qConsentsOf, []any{subscriberID}, func(scan func(...any) error) error {
		var c Consent
		err := scan(&c.ID, &c.SubscriberID, &c.Text, &c.PolicyVersion, scanTime(&c.GivenAt))
		out = append(out, c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: consents of %s: %w", subscriberID, err)
	}
	return out, nil
}

// ConfirmSubscriber activates a pending subscriber and lifts an
// "unsubscribe" suppression of their address, since they have just asked,
// and confirmed, to be mailed again. It reports whether the subscriber was
// pending; confirming an active one changes nothing. An unknown subscriber
// gives model.ErrNotFound.
func (s *Store) ConfirmSubscriber(ctx context.Context, id string) (bool, error) {
	now := s.clock()
	confirmed := false
	err := s.write(ctx, false, func(r *runner) error {
		var index string
		err := r.scanRow(ctx, "confirm_subscriber", qConfirmSubscriber, []any{timeArg(now), id}, &index)
		if errors.Is(err, sql.ErrNoRows) {
			var status string // not pending: is it there at all?
			return notFound(r.scanRow(ctx, "subscriber_status", qSubscriberStatus, []any{id}, &status))
		}
		if err != nil {
			return err
		}
		confirmed = true
		_, err = r.exec(ctx, "lift_unsubscribe", qLiftUnsubscribe, index)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: confirm subscriber %s: %w", id, err)
	}
	return confirmed, nil
}

// Unsubscribe ends one subscription. A subscriber left with none is
// deleted, with their consent records: what remains of a confirmed one is
// an "unsubscribe" suppression of their address's keyed hash. It reports
// whether the subscriber was deleted. An unknown subscriber gives
// model.ErrNotFound; a newsletter they do not receive changes nothing.
func (s *Store) Unsubscribe(ctx context.Context, subscriberID, newsletterID string) (bool, error) {
	now := s.clock()
	deleted := false
	err := s.write(ctx, false, func(r *runner) error {
		if _, err := r.exec(ctx, "drop_subscription", qDropSubscription, subscriberID, newsletterID); err != nil {
			return err
		}
		var left int
		if err := r.scanRow(ctx, "count_subscriptions", qCountSubscriptions, []any{subscriberID}, &left); err != nil || left > 0 {
			return err
		}
		var index, status string
		if err := r.scanRow(ctx, "delete_subscriber", qDeleteSubscriber, []any{subscriberID}, &index, &status); err != nil {
			return notFound(err)
		}
		deleted = true
		if status == SubscriberPending {
			return nil // never confirmed: nothing was ever sent to suppress
		}
		_, err := r.exec(ctx, "suppress", qSuppress, index, SuppressUnsubscribe, timeArg(now))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: unsubscribe %s: %w", subscriberID, err)
	}
	return deleted, nil
}

// DeleteSubscriber erases a subscriber, their subscriptions and consent
// records. With a reason, their address's keyed hash is kept in the
// suppression list so that it is never mailed again; with "" nothing at
// all remains. An unknown subscriber gives model.ErrNotFound.
func (s *Store) DeleteSubscriber(ctx context.Context, id, reason string) error {
	now := s.clock()
	err := s.write(ctx, false, func(r *runner) error {
		return deleteSubscriber(ctx, r, id, reason, now)
	})
	if err != nil {
		return fmt.Errorf("store: delete subscriber %s: %w", id, err)
	}
	return nil
}

// deleteSubscriber is DeleteSubscriber in the transaction of r.
func deleteSubscriber(ctx context.Context, r *runner, id, reason string, now time.Time) error {
	var index, status string
	if err := r.scanRow(ctx, "delete_subscriber", qDeleteSubscriber, []any{id}, &index, &status); err != nil {
		return notFound(err)
	}
	if reason == "" {
		return nil
	}
	_, err := r.exec(ctx, "suppress", qSuppress, index, reason, timeArg(now))
	return err
}

// Suppress adds an address's keyed hash to the suppression list. A stronger
// reason replaces "unsubscribe"; otherwise the first reason stays.
func (s *Store) Suppress(ctx context.Context, emailIndex, reason string) error {
	now := s.clock()
	err := s.write(ctx, false, func(r *runner) error {
		_, err := r.exec(ctx, "suppress", qSuppress, emailIndex, reason, timeArg(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: suppress: %w", err)
	}
	return nil
}

// Suppression returns why an address is suppressed, or model.ErrNotFound
// when it is not.
func (s *Store) Suppression(ctx context.Context, emailIndex string) (string, error) {
	var reason string
	if err := s.read().scanRow(ctx, "suppression", qSuppression, []any{emailIndex}, &reason); err != nil {
		return "", fmt.Errorf("store: suppression: %w", notFound(err))
	}
	return reason, nil
}

// RotateManageToken raises the subscriber's token version, which revokes
// every manage link sent so far, and returns the new version.
func (s *Store) RotateManageToken(ctx context.Context, subscriberID string) (int, error) {
	var version int
	err := s.write(ctx, false, func(r *runner) error {
		return notFound(r.scanRow(ctx, "rotate_token", qRotateToken, []any{subscriberID}, &version))
	})
	if err != nil {
		return 0, fmt.Errorf("store: rotate manage token of %s: %w", subscriberID, err)
	}
	return version, nil
}

// MarkBounced records a permanent delivery failure: it counts it, and when
// the count reaches threshold (at least 1) the subscriber becomes bounced
// and their address is suppressed. Transient failures are the sender's to
// retry and count nothing here. An unknown subscriber gives
// model.ErrNotFound.
func (s *Store) MarkBounced(ctx context.Context, subscriberID string, permanent bool, threshold int) error {
	if !permanent {
		return nil
	}
	now := s.clock()
	err := s.write(ctx, false, func(r *runner) error {
		var count int
		var index string
		if err := r.scanRow(ctx, "bounce", qBounce, []any{subscriberID}, &count, &index); err != nil {
			return notFound(err)
		}
		if count < max(threshold, 1) {
			return nil
		}
		if _, err := r.exec(ctx, "set_bounced", qSetBounced, subscriberID); err != nil {
			return err
		}
		_, err := r.exec(ctx, "suppress", qSuppress, index, SuppressBounce, timeArg(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: mark %s bounced: %w", subscriberID, err)
	}
	return nil
}

// ActiveRecipients returns up to limit active, unsuppressed subscribers of
// a newsletter whose ID sorts after afterID ("" for the first page), in ID
// order: keyset pages that stay correct while subscribers come and go.
func (s *Store) ActiveRecipients(ctx context.Context, newsletterID, afterID string, limit int) ([]Recipient, error) {
	var out []Recipient
	err := s.read().each(ctx, "active_recipients", qActiveRecipients, []any{newsletterID, afterID, limit}, func(scan func(...any) error) error {
		var rc Recipient
		err := scan(&rc.SubscriberID, &rc.EmailSealed)
		out = append(out, rc)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: active recipients of %s: %w", newsletterID, err)
	}
	return out, nil
}

// PurgePendingSubscribers deletes sign-ups created before cutoff and never
// confirmed, and returns how many.
func (s *Store) PurgePendingSubscribers(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, false, func(r *runner) error {
		res, err := r.exec(ctx, "purge_pending", qPurgePending, timeArg(cutoff))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: purge unconfirmed subscribers: %w", err)
	}
	return n, nil
}
