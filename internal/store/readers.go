package store

import (
	"context"
	"fmt"
	"time"
)

// The desk's view of readers' data as a whole: aggregate counts, and the
// keyset pages its exports stream. Addresses stay sealed here; the
// newsletter and donate services open them.

// ReaderCounts are the desk's aggregate numbers of subscribers and donors:
// counts only, never who.
type ReaderCounts struct {
	// Subscriptions counts each newsletter's subscribers by status:
	// newsletter ID → status → count.
	Subscriptions map[string]map[string]int
	// Subscribers counts subscribers by status, each once however many
	// newsletters they receive.
	Subscribers map[string]int
	// Suppressed counts suppressed addresses by reason.
	Suppressed map[string]int
	// Donors counts donor records.
	Donors int
	// RecurringDonors counts donors with an active recurring donation, as
	// the figures do.
	RecurringDonors int
	// OneTimeDonors and OneTimeGifts count the donors who gave once, and
	// their gifts, paid since the window's start and not refunded in full.
	// A gift of an erased donor counts as its own donor.
	OneTimeDonors, OneTimeGifts int
}

const (
	qSubscriptionCounts = `SELECT n.newsletter_id, s.status, COUNT(*) FROM subscriptions n
JOIN subscribers s ON s.id = n.subscriber_id GROUP BY n.newsletter_id, s.status`
	qSubscriberCounts = `SELECT status, COUNT(*) FROM subscribers GROUP BY status`
	qSuppressedCounts = `SELECT reason, COUNT(*) FROM suppressions GROUP BY reason`
	qDonorCounts      = `SELECT (SELECT COUNT(*) FROM donors), (` + qRecurringDonors + `),
COUNT(DISTINCT COALESCE(donor_id, id)), COUNT(*)
FROM donations WHERE frequency = 'once' AND paid_at >= ? AND amount_refunded < amount`

	// The export pages are keyed on the ID. Each page's subscriptions,
	// consents, donations and recurring donations are read by the range of
	// its IDs, which holds exactly the page's rows: one query each, whose
	// text does not vary with the page.
	qSubscribersAfter    = `SELECT ` + subscriberColumns + ` FROM subscribers WHERE id > ? ORDER BY id LIMIT ?`
	qSubscriptionsInPage = `SELECT subscriber_id, newsletter_id, created_at FROM subscriptions
WHERE subscriber_id > ? AND subscriber_id <= ? ORDER BY subscriber_id, created_at, newsletter_id`
	qConsentsInPage = `SELECT id, subscriber_id, text, policy_version, given_at FROM consents
WHERE subscriber_id > ? AND subscriber_id <= ? ORDER BY subscriber_id, given_at, id`
	qDonorsAfter       = `SELECT ` + donorColumns + ` FROM donors WHERE id > ? ORDER BY id LIMIT ?`
	qDonorTotalsInPage = `SELECT donor_id, currency, CAST(SUM(amount - amount_refunded) AS BIGINT), COUNT(*) FROM donations
WHERE donor_id > ? AND donor_id <= ? GROUP BY donor_id, currency ORDER BY donor_id, currency`
	qRecurringInPage = `SELECT ` + recurringColumns + ` FROM recurring_donations
WHERE donor_id > ? AND donor_id <= ? ORDER BY donor_id, created_at, id`
)

// ReaderCounts returns the counts of subscribers and donors; one-time
// gifts are those of the last window.
func (s *Store) ReaderCounts(ctx context.Context, window time.Duration) (ReaderCounts, error) {
	c := ReaderCounts{Subscriptions: map[string]map[string]int{}, Subscribers: map[string]int{}, Suppressed: map[string]int{}}
	r := s.read()
	err := r.each(ctx, "subscription_counts", qSubscriptionCounts, nil, func(scan func(...any) error) error {
		var newsletter, status string
		var n int
		if err := scan(&newsletter, &status, &n); err != nil {
			return err
		}
		if c.Subscriptions[newsletter] == nil {
			c.Subscriptions[newsletter] = map[string]int{}
		}
		c.Subscriptions[newsletter][status] = n
		return nil
	})
	if err == nil {
		err = r.countBy(ctx, "subscriber_counts", qSubscriberCounts, c.Subscribers)
	}
	if err == nil {
		err = r.countBy(ctx, "suppressed_counts", qSuppressedCounts, c.Suppressed)
	}
	if err == nil {
		err = r.scanRow(ctx, "donor_counts", qDonorCounts, []any{timeArg(s.clock().Add(-window))},
			&c.Donors, &c.RecurringDonors, &c.OneTimeDonors, &c.OneTimeGifts)
	}
	if err != nil {
		return ReaderCounts{}, fmt.Errorf("store: reader counts: %w", err)
	}
	return c, nil
}

// countBy runs a query returning a key and a count per row into into.
func (r *runner) countBy(ctx context.Context, name, query string, into map[string]int) error {
	return r.each(ctx, name, query, nil, func(scan func(...any) error) error {
		var key string
		var n int
		err := scan(&key, &n)
		into[key] = n
		return err
	})
}

// SubscriberRow is a subscriber as the desk exports them: with their
// subscriptions and their newest consent record (zero when none).
type SubscriberRow struct {
	Subscriber
	Consent Consent
}

// SubscribersAfter returns up to limit subscribers, of every status, whose
// ID sorts after afterID ("" for the first page), in ID order: keyset pages
// that stay correct while subscribers come and go.
func (s *Store) SubscribersAfter(ctx context.Context, afterID string, limit int) ([]SubscriberRow, error) {
	var out []SubscriberRow
	r := s.read()
	err := r.each(ctx, "subscribers_after", qSubscribersAfter, []any{afterID, limit}, func(scan func(...any) error) error {
		var row SubscriberRow
		sub := &row.Subscriber
		err := scan(&sub.ID, &sub.EmailIndex, &sub.EmailSealed, &sub.Status, scanTime(&sub.CreatedAt),
			scanTime(&sub.ConfirmedAt), scanTime(&sub.UnsubscribedAt), &sub.BounceCount, &sub.TokenVersion)
		out = append(out, row)
		return err
	})
	if err != nil || len(out) == 0 {
		return out, wrapPage("subscribers", err)
	}
	at := pageIndex(len(out), func(i int) string { return out[i].ID })
	page := []any{afterID, out[len(out)-1].ID}
	err = r.each(ctx, "subscriptions_in_page", qSubscriptionsInPage, page, func(scan func(...any) error) error {
		var id string
		var n Subscription
		if err := scan(&id, &n.NewsletterID, scanTime(&n.CreatedAt)); err != nil {
			return err
		}
		if i, ok := at[id]; ok {
			out[i].Subscriptions = append(out[i].Subscriptions, n)
		}
		return nil
	})
	if err == nil {
		// Oldest first, so the last one scanned is the newest.
		err = r.each(ctx, "consents_in_page", qConsentsInPage, page, func(scan func(...any) error) error {
			var c Consent
			if err := scan(&c.ID, &c.SubscriberID, &c.Text, &c.PolicyVersion, scanTime(&c.GivenAt)); err != nil {
				return err
			}
			if i, ok := at[c.SubscriberID]; ok {
				out[i].Consent = c
			}
			return nil
		})
	}
	return out, wrapPage("subscribers", err)
}

// DonorRow is a donor as the desk exports them: what they gave in each
// currency and their recurring donations.
type DonorRow struct {
	Donor
	Totals    []DonorTotal // by currency, in alphabetical order
	Recurring []RecurringDonation
}

// DonorTotal is what one donor gave in one currency, net of refunds.
type DonorTotal struct {
	Currency string
	Amount   int64 // in the minor unit
	Payments int
}

// DonorsAfter returns up to limit donors whose ID sorts after afterID (""
// for the first page), in ID order, as SubscribersAfter does.
func (s *Store) DonorsAfter(ctx context.Context, afterID string, limit int) ([]DonorRow, error) {
	var out []DonorRow
	r := s.read()
	err := r.each(ctx, "donors_after", qDonorsAfter, []any{afterID, limit}, func(scan func(...any) error) error {
		var row DonorRow
		d := &row.Donor
		err := scan(&d.ID, &d.EmailIndex, &d.EmailSealed, scanTime(&d.CreatedAt), scanTime(&d.UpdatedAt))
		out = append(out, row)
		return err
	})
	if err != nil || len(out) == 0 {
		return out, wrapPage("donors", err)
	}
	at := pageIndex(len(out), func(i int) string { return out[i].ID })
	page := []any{afterID, out[len(out)-1].ID}
	err = r.each(ctx, "donor_totals_in_page", qDonorTotalsInPage, page, func(scan func(...any) error) error {
		var id string
		var t DonorTotal
		if err := scan(&id, &t.Currency, &t.Amount, &t.Payments); err != nil {
			return err
		}
		if i, ok := at[id]; ok {
			out[i].Totals = append(out[i].Totals, t)
		}
		return nil
	})
	if err == nil {
		err = r.each(ctx, "recurring_in_page", qRecurringInPage, page, func(scan func(...any) error) error {
			var rd RecurringDonation
			if err := scan(recurringDest(&rd)...); err != nil {
				return err
			}
			if i, ok := at[rd.DonorID]; ok {
				out[i].Recurring = append(out[i].Recurring, rd)
			}
			return nil
		})
	}
	return out, wrapPage("donors", err)
}

// pageIndex maps the IDs of a page's n rows to their positions.
func pageIndex(n int, id func(int) string) map[string]int {
	at := make(map[string]int, n)
	for i := range n {
		at[id(i)] = i
	}
	return at
}

func wrapPage(what string, err error) error {
	if err != nil {
		return fmt.Errorf("store: page of %s: %w", what, err)
	}
	return nil
}
