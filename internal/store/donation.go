package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// Donors, recurring donations, paid donations and the inbox of payment
// provider events. The store never sees a donor's email or a provider
// customer ID in clear: the donate service seals them with the vault and
// finds donors by a keyed hash of the email.

// Donor is someone who gave, known by email alone.
type Donor struct {
	ID          string
	EmailIndex  string // keyed hash of the lowercased email
	EmailSealed string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// RecurringDonation is a monthly or annual donation as the payment provider
// last described it.
type RecurringDonation struct {
	ID             string
	ProviderID     string // the provider's subscription ID
	DonorID        string // "" when no event has named the donor yet, or after erasure
	CustomerSealed string // the provider's customer ID, sealed; "" when unknown
	Frequency      model.Frequency
	Amount         int64 // per period, in the currency's minor unit
	Currency       string
	Status         string // the provider's subscription status, e.g. active, past_due, canceled
	// StateAt is when the provider event that set Status and Amount
	// happened; zero while only payments have been seen.
	StateAt        time.Time
	FailedPayments int
	LastFailedAt   time.Time
	CanceledAt     time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	AppealID       string // the appeal it came from; "" when unknown
}

// Donation is a payment that counts as paid.
type Donation struct {
	ID string
	// ProviderRef is the provider's ID of what was paid: the payment of a
	// one-time gift, the invoice of a recurring one.
	ProviderRef    string
	DonorID        string
	RecurringID    string // "" for a one-time gift
	Frequency      model.Frequency
	Amount         int64 // in the currency's minor unit
	AmountRefunded int64
	Currency       string
	PaidAt         time.Time
	RefundedAt     time.Time
	CreatedAt      time.Time
	AppealID       string // the appeal it came from; "" when unknown
}

// DonationEvent is a verified payment provider event in the inbox.
type DonationEvent struct {
	ID            string // the provider's event ID
	Type          string
	Created       time.Time // when the provider says it happened
	PayloadSealed string    // the raw event, sealed; "" once processed
	ReceivedAt    time.Time
	ProcessedAt   time.Time
	Attempts      int
	LastError     string
}

// DonationChange is what one provider event does to the donation records.
// ApplyDonationChange applies all of it in one transaction; nil parts are
// left out.
type DonationChange struct {
	// Donor is found by EmailIndex or created; Recurring and Donation are
	// linked to it.
	Donor *Donor
	// Recurring describes a recurring donation. With a zero StateAt it
	// only makes sure the row exists (a payment has been seen); with one it
	// sets status and amount unless a later state is already stored or the
	// stored one is final (canceled, incomplete_expired).
	Recurring *RecurringDonation
	// Donation records a payment once; a second time changes nothing. It
	// belongs to Recurring when that is set.
	Donation *Donation
	// PaymentFailedAt counts a failed payment of Recurring.
	PaymentFailedAt time.Time
	// Refund records how much of the donation with that ProviderRef has
	// been refunded in all, never less than before.
	Refund *Refund
	// AppealID is the appeal the checkout came from, when the event names
	// it: the Donation and Recurring record it unless they already name
	// one, and an appeal since deleted is not recorded.
	AppealID string
}

// Refund is the refunded total of one donation.
type Refund struct {
	ProviderRef string
	Amount      int64 // refunded in all, in the minor unit
	At          time.Time
}

// qKnownAppeal is the appeal ID argument if such an appeal exists, else
// NULL: an appeal deleted since the checkout is not an error.
const qKnownAppeal = `(SELECT id FROM appeals WHERE id = ?)`

// recurringFinal are the subscription statuses a provider never leaves.
const recurringFinal = `('canceled', 'incomplete_expired')`

const (
	qSaveDonationEvent = `INSERT INTO donation_events (id, type, created, payload_sealed, received_at)
VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`
	donationEventColumns = `id, type, created, payload_sealed, received_at, processed_at, attempts, last_error`
	qDonationEvent       = `SELECT ` + donationEventColumns + ` FROM donation_events WHERE id = ?`
	qPendingEvents       = `SELECT ` + donationEventColumns + ` FROM donation_events
WHERE processed_at IS NULL AND attempts < ? ORDER BY created, id LIMIT ?`
	qClaimEvent = `UPDATE donation_events SET processed_at = ?, payload_sealed = '', attempts = attempts + 1, last_error = ''
WHERE id = ? AND processed_at IS NULL`
	qFailEvent   = `UPDATE donation_events SET attempts = attempts + 1, last_error = ? WHERE id = ? AND processed_at IS NULL`
	qPurgeEvents = `DELETE FROM donation_events WHERE processed_at IS NOT NULL AND processed_at < ?`
	qUpsertDonor = `INSERT INTO donors (id, email_index, email_sealed, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (email_index) DO UPDATE SET updated_at = excluded.updated_at RETURNING id`
	donorColumns       = `id, email_index, email_sealed, created_at, updated_at`
	qDonorByEmailIndex = `SELECT ` + donorColumns + ` FROM donors WHERE email_index = ?`
	qDonorByID         = `SELECT ` + donorColumns + ` FROM donors WHERE id = ?`

	recurringColumns = `id, provider_id, COALESCE(donor_id, ''), customer_sealed, frequency, amount, currency, status,
state_at, failed_payments, last_failed_at, canceled_at, created_at, updated_at, COALESCE(appeal_id, '')`
	// qEnsureRecurring creates the row a payment refers to, or fills in
	// the donor and customer a subscription event could not name.
	qEnsureRecurring = `INSERT INTO recurring_donations (id, provider_id, donor_id, customer_sealed, frequency, amount, currency, status, created_at, updated_at, appeal_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ` + qKnownAppeal + `)
ON CONFLICT (provider_id) DO UPDATE SET
donor_id = COALESCE(recurring_donations.donor_id, excluded.donor_id),
appeal_id = COALESCE(recurring_donations.appeal_id, excluded.appeal_id),
customer_sealed = CASE WHEN recurring_donations.customer_sealed = '' THEN excluded.customer_sealed ELSE recurring_donations.customer_sealed END,
updated_at = excluded.updated_at`
	// qRecurringState applies a subscription's state unless the row
	// already holds a later one or a final one. On the same second, only
	// a final status wins: that order is the only one the provider allows.
	qRecurringState = `INSERT INTO recurring_donations (id, provider_id, donor_id, customer_sealed, frequency, amount, currency, status, state_at, canceled_at, created_at, updated_at, appeal_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ` + qKnownAppeal + `)
ON CONFLICT (provider_id) DO UPDATE SET
donor_id = COALESCE(recurring_donations.donor_id, excluded.donor_id),
appeal_id = COALESCE(recurring_donations.appeal_id, excluded.appeal_id),
customer_sealed = CASE WHEN recurring_donations.customer_sealed = '' THEN excluded.customer_sealed ELSE recurring_donations.customer_sealed END,
frequency = excluded.frequency, amount = excluded.amount, currency = excluded.currency, status = excluded.status,
state_at = excluded.state_at, canceled_at = excluded.canceled_at, updated_at = excluded.updated_at
WHERE recurring_donations.status NOT IN ` + recurringFinal + `
AND (recurring_donations.state_at IS NULL OR excluded.state_at > recurring_donations.state_at
OR (excluded.state_at = recurring_donations.state_at AND excluded.status IN ` + recurringFinal + `))`
	qRecurringFailed = `UPDATE recurring_donations SET failed_payments = failed_payments + 1, last_failed_at = ?, updated_at = ?
WHERE provider_id = ?`
	qRecurringByProviderID = `SELECT ` + recurringColumns + ` FROM recurring_donations WHERE provider_id = ?`
	qRecurringOf           = `SELECT ` + recurringColumns + ` FROM recurring_donations WHERE donor_id = ? ORDER BY created_at, id`

	donationColumns = `id, provider_ref, COALESCE(donor_id, ''), COALESCE(recurring_id, ''), frequency, amount, amount_refunded,
currency, paid_at, refunded_at, created_at, COALESCE(appeal_id, '')`
	qInsertDonation = `INSERT INTO donations (id, provider_ref, donor_id, recurring_id, frequency, amount, currency, paid_at, created_at, appeal_id)
VALUES (?, ?, ?, (SELECT id FROM recurring_donations WHERE provider_id = ?), ?, ?, ?, ?, ?, ` + qKnownAppeal + `)
ON CONFLICT (provider_ref) DO NOTHING`
	qRefund = `UPDATE donations SET
amount_refunded = CASE WHEN ? > amount_refunded THEN ? ELSE amount_refunded END,
refunded_at = COALESCE(refunded_at, ?)
WHERE provider_ref = ?`
	qDonationByRef = `SELECT ` + donationColumns + ` FROM donations WHERE provider_ref = ?`
	qDonationsOf   = `SELECT ` + donationColumns + ` FROM donations WHERE donor_id = ? ORDER BY paid_at, id`

	qForgetDonations = `UPDATE donations SET donor_id = NULL WHERE donor_id = ?`
	qForgetRecurring = `UPDATE recurring_donations SET donor_id = NULL, customer_sealed = '' WHERE donor_id = ?`
	qDeleteDonor     = `DELETE FROM donors WHERE id = ?`
	// qLapsedDonors finds donors with no live recurring donation and
	// nothing paid or changed since the cutoff.
	qLapsedDonors = `SELECT d.id FROM donors d
WHERE d.updated_at < ?
AND NOT EXISTS (SELECT 1 FROM recurring_donations r WHERE r.donor_id = d.id AND r.status NOT IN ` + recurringFinal + `)
AND NOT EXISTS (SELECT 1 FROM donations n WHERE n.donor_id = d.id AND n.paid_at >= ?)
ORDER BY d.id`
)

// SaveDonationEvent puts a verified event into the inbox and reports
// whether it is new; an event already there (a replay) is left as it is.
func (s *Store) SaveDonationEvent(ctx context.Context, e *DonationEvent) (bool, error) {
	var inserted bool
	err := s.write(ctx, false, func(r *runner) error {
		e.ReceivedAt = s.clock()
		res, err := r.exec(ctx, "save_donation_event", qSaveDonationEvent,
			e.ID, e.Type, timeArg(e.Created), e.PayloadSealed, timeArg(e.ReceivedAt))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		inserted = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: save donation event %s: %w", e.ID, err)
	}
	return inserted, nil
}

// DonationEventByID returns one event of the inbox.
func (s *Store) DonationEventByID(ctx context.Context, id string) (DonationEvent, error) {
	var e DonationEvent
	if err := s.read().scanRow(ctx, "donation_event", qDonationEvent, []any{id}, donationEventDest(&e)...); err != nil {
		return DonationEvent{}, fmt.Errorf("store: donation event %s: %w", id, notFound(err))
	}
	return e, nil
}

// PendingDonationEvents returns up to limit unprocessed events that have
// failed fewer than maxAttempts times, oldest first.
func (s *Store) PendingDonationEvents(ctx context.Context, maxAttempts, limit int) ([]DonationEvent, error) {
	var out []DonationEvent
	err := s.read().each(ctx, "pending_donation_events", qPendingEvents, []any{maxAttempts, limit}, func(scan func(...any) error) error {
		var e DonationEvent
		err := scan(donationEventDest(&e)...)
		out = append(out, e)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: pending donation events: %w", err)
	}
	return out, nil
}

func donationEventDest(e *DonationEvent) []any {
	return []any{&e.ID, &e.Type, scanTime(&e.Created), &e.PayloadSealed, scanTime(&e.ReceivedAt),
		scanTime(&e.ProcessedAt), &e.Attempts, &e.LastError}
}

// FailDonationEvent records a failed attempt to process an event, which
// stays pending.
func (s *Store) FailDonationEvent(ctx context.Context, id, reason string) error {
	err := s.write(ctx, false, func(r *runner) error {
		_, err := r.exec(ctx, "fail_donation_event", qFailEvent, reason, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: fail donation event %s: %w", id, err)
	}
	return nil
}

// ApplyDonationChange applies c in one transaction. With an eventID it
// first marks that inbox event processed (and empties its payload), and
// applies nothing, reporting false, when the event was processed before:
// a replayed or concurrently delivered event has exactly one effect. An
// empty eventID applies c unconditionally; every part of a change is
// idempotent on its own.
func (s *Store) ApplyDonationChange(ctx context.Context, eventID string, c DonationChange) (bool, error) {
	applied := true
	err := s.write(ctx, false, func(r *runner) error {
		now := s.clock()
		if eventID != "" {
			res, err := r.exec(ctx, "claim_donation_event", qClaimEvent, timeArg(now), eventID)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				applied = false
				return nil
			}
		}
		return applyDonationChange(ctx, r, c, now)
	})
	if err != nil {
		return false, fmt.Errorf("store: apply donation change: %w", err)
	}
	return applied, nil
}

func applyDonationChange(ctx context.Context, r *runner, c DonationChange, now time.Time) error {
	var donorID any // NULL unless the change names a donor
	if c.Donor != nil {
		var id string
		err := r.scanRow(ctx, "upsert_donor", qUpsertDonor,
			[]any{newID(), c.Donor.EmailIndex, c.Donor.EmailSealed, timeArg(now), timeArg(now)}, &id)
		if err != nil {
			return err
		}
		c.Donor.ID, donorID = id, id
	}
	if rd := c.Recurring; rd != nil {
		var err error
		if rd.StateAt.IsZero() {
			_, err = r.exec(ctx, "ensure_recurring", qEnsureRecurring, newID(), rd.ProviderID, donorID, rd.CustomerSealed,
				string(rd.Frequency), rd.Amount, rd.Currency, rd.Status, timeArg(now), timeArg(now), c.AppealID)
		} else {
			_, err = r.exec(ctx, "recurring_state", qRecurringState, newID(), rd.ProviderID, donorID, rd.CustomerSealed,
				string(rd.Frequency), rd.Amount, rd.Currency, rd.Status, timeArg(rd.StateAt), timeArg(rd.CanceledAt), timeArg(now), timeArg(now), c.AppealID)
		}
		if err != nil {
			return err
		}
		if !c.PaymentFailedAt.IsZero() {
			if _, err := r.exec(ctx, "recurring_failed", qRecurringFailed, timeArg(c.PaymentFailedAt), timeArg(now), rd.ProviderID); err != nil {
				return err
			}
		}
	}
	if d := c.Donation; d != nil {
		var recurring any
		if c.Recurring != nil {
			recurring = c.Recurring.ProviderID
		}
		_, err := r.exec(ctx, "insert_donation", qInsertDonation, newID(), d.ProviderRef, donorID, recurring,
			string(d.Frequency), d.Amount, d.Currency, timeArg(d.PaidAt), timeArg(now), c.AppealID)
		if err != nil {
			return err
		}
	}
	if f := c.Refund; f != nil {
		if _, err := r.exec(ctx, "refund_donation", qRefund, f.Amount, f.Amount, timeArg(f.At), f.ProviderRef); err != nil {
			return err
		}
	}
	return nil
}

// DonorByEmailIndex returns the donor with that email index.
func (s *Store) DonorByEmailIndex(ctx context.Context, emailIndex string) (Donor, error) {
	return s.donor(ctx, "donor_by_email_index", qDonorByEmailIndex, emailIndex)
}

// DonorByID returns the donor with that ID.
func (s *Store) DonorByID(ctx context.Context, id string) (Donor, error) {
	return s.donor(ctx, "donor_by_id", qDonorByID, id)
}

func (s *Store) donor(ctx context.Context, name, query, arg string) (Donor, error) {
	var d Donor
	err := s.read().scanRow(ctx, name, query, []any{arg}, &d.ID, &d.EmailIndex, &d.EmailSealed, scanTime(&d.CreatedAt), scanTime(&d.UpdatedAt))
	if err != nil {
		return Donor{}, fmt.Errorf("store: donor: %w", notFound(err))
	}
	return d, nil
}

// RecurringDonationByProviderID returns the recurring donation with that
// provider subscription ID.
func (s *Store) RecurringDonationByProviderID(ctx context.Context, providerID string) (RecurringDonation, error) {
	var rd RecurringDonation
	if err := s.read().scanRow(ctx, "recurring_by_provider_id", qRecurringByProviderID, []any{providerID}, recurringDest(&rd)...); err != nil {
		return RecurringDonation{}, fmt.Errorf("store: recurring donation %s: %w", providerID, notFound(err))
	}
	return rd, nil
}

// RecurringDonationsOf returns a donor's recurring donations, oldest first.
func (s *Store) RecurringDonationsOf(ctx context.Context, donorID string) ([]RecurringDonation, error) {
	var out []RecurringDonation
	err := s.read().each(ctx, "recurring_of", qRecurringOf, []any{donorID}, func(scan func(...any) error) error {
		var rd RecurringDonation
		err := scan(recurringDest(&rd)...)
		out = append(out, rd)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: recurring donations of %s: %w", donorID, err)
	}
	return out, nil
}

func recurringDest(rd *RecurringDonation) []any {
	return []any{&rd.ID, &rd.ProviderID, &rd.DonorID, &rd.CustomerSealed, (*string)(&rd.Frequency), &rd.Amount, &rd.Currency,
		&rd.Status, scanTime(&rd.StateAt), &rd.FailedPayments, scanTime(&rd.LastFailedAt), scanTime(&rd.CanceledAt),
		scanTime(&rd.CreatedAt), scanTime(&rd.UpdatedAt), &rd.AppealID}
}

// DonationByProviderRef returns the donation paid by that provider
// payment or invoice.
func (s *Store) DonationByProviderRef(ctx context.Context, ref string) (Donation, error) {
	var d Donation
	if err := s.read().scanRow(ctx, "donation_by_ref", qDonationByRef, []any{ref}, donationDest(&d)...); err != nil {
		return Donation{}, fmt.Errorf("store: donation %s: %w", ref, notFound(err))
	}
	return d, nil
}

// DonationsOf returns a donor's donations, oldest first.
func (s *Store) DonationsOf(ctx context.Context, donorID string) ([]Donation, error) {
	var out []Donation
	err := s.read().each(ctx, "donations_of", qDonationsOf, []any{donorID}, func(scan func(...any) error) error {
		var d Donation
		err := scan(donationDest(&d)...)
		out = append(out, d)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: donations of %s: %w", donorID, err)
	}
	return out, nil
}

func donationDest(d *Donation) []any {
	return []any{&d.ID, &d.ProviderRef, &d.DonorID, &d.RecurringID, (*string)(&d.Frequency), &d.Amount, &d.AmountRefunded,
		&d.Currency, scanTime(&d.PaidAt), scanTime(&d.RefundedAt), scanTime(&d.CreatedAt), &d.AppealID}
}

// DeleteDonor erases a donor: the donor row goes, and their donations and
// recurring donations stay only as anonymous amounts and dates, without
// the donor or the sealed customer ID.
func (s *Store) DeleteDonor(ctx context.Context, donorID string) error {
	err := s.write(ctx, false, func(r *runner) error {
		for _, q := range []struct{ name, query string }{
			{"forget_donations", qForgetDonations}, {"forget_recurring", qForgetRecurring},
		} {
			if _, err := r.exec(ctx, q.name, q.query, donorID); err != nil {
				return err
			}
		}
		return r.execOne(ctx, "delete_donor", qDeleteDonor, donorID)
	})
	if err != nil {
		return fmt.Errorf("store: delete donor %s: %w", donorID, err)
	}
	return nil
}

// LapsedDonors returns the IDs of donors with no live recurring donation
// and nothing paid or changed since cutoff: those a retention limit says
// to erase.
func (s *Store) LapsedDonors(ctx context.Context, cutoff time.Time) ([]string, error) {
	ids, err := s.read().strings(ctx, "lapsed_donors", qLapsedDonors, timeArg(cutoff), timeArg(cutoff))
	if err != nil {
		return nil, fmt.Errorf("store: lapsed donors: %w", err)
	}
	return ids, nil
}

// PurgeDonationEvents deletes inbox rows processed before cutoff and
// reports how many went. Keep them longer than the provider retries and
// lists events (30 days for Stripe), or a late replay would count again.
func (s *Store) PurgeDonationEvents(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, false, func(r *runner) error {
		res, err := r.exec(ctx, "purge_donation_events", qPurgeEvents, timeArg(cutoff))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: purge donation events: %w", err)
	}
	return n, nil
}
