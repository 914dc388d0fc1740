package donate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

const (
	// processBudget bounds the processing a webhook request does before
	// it answers; the provider waits for the answer, and an event not
	// processed in time is still safe in the inbox.
	processBudget = 1500 * time.Millisecond
	// maxAttempts is how often an event is tried before it is left in
	// the inbox for a person to look at.
	maxAttempts = 20
	// eventRetention is how long processed events are remembered, so a
	// replay is recognised: longer than the provider retries (3 days)
	// and lists events (30 days).
	eventRetention = 60 * 24 * time.Hour
)

// Receive takes a webhook delivery: it verifies the signature, stores the
// event in the inbox and then processes it. It fails with an error
// wrapping ErrBadSignature, before any write, when the signature is bad.
// Once the event is stored Receive succeeds even if processing fails: the
// event stays in the inbox and Run retries it.
func (s *Service) Receive(ctx context.Context, payload []byte, signature string) error {
	if s.payments == nil {
		return ErrNotConfigured
	}
	ev, err := s.payments.VerifyEvent(payload, signature)
	if err != nil {
		return err
	}
	if ev.Kind == "" {
		return nil // acknowledged so the provider stops sending it; nothing to do
	}
	inserted, err := s.save(ctx, ev)
	if err != nil {
		return err
	}
	if !inserted {
		// A replay: nothing to do unless an earlier attempt failed.
		if stored, err := s.store.DonationEventByID(ctx, ev.ID); err != nil || !stored.ProcessedAt.IsZero() {
			return err
		}
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), processBudget)
	defer cancel()
	if err := s.processRaw(pctx, ev.Raw); err != nil {
		s.fail(ctx, ev.ID, err)
	}
	return nil
}

// save puts ev into the inbox and reports whether it was new.
func (s *Service) save(ctx context.Context, ev Event) (bool, error) {
	inserted, err := s.store.SaveDonationEvent(ctx, &store.DonationEvent{
		ID: ev.ID, Type: ev.Type, Created: ev.Created, PayloadSealed: s.vault.Seal(string(ev.Raw), purposeEvent),
	})
	if err != nil {
		return false, fmt.Errorf("donate: store event: %w", err)
	}
	return inserted, nil
}

func (s *Service) fail(ctx context.Context, eventID string, err error) {
	s.log.Warn("donate: processing a payment event failed; it stays in the inbox and will be retried", "event", eventID, "err", err)
	// The error may quote the provider's IDs, so it is sealed like the event.
	if err := s.store.FailDonationEvent(context.WithoutCancel(ctx), eventID, s.vault.Seal(err.Error(), purposeEvent)); err != nil {
		s.log.Error("donate: record a failed event", "event", eventID, "err", err)
	}
}

// ProcessPending processes the events waiting in the inbox, oldest first,
// and reports how many it processed. Events that fail stay for the next
// call.
func (s *Service) ProcessPending(ctx context.Context) (int, error) {
	if s.payments == nil {
		return 0, nil
	}
	done := 0
	for {
		pending, err := s.store.PendingDonationEvents(ctx, maxAttempts, 100)
		if err != nil {
			return done, fmt.Errorf("donate: process pending: %w", err)
		}
		progress := false
		for _, e := range pending {
			if err := s.processStored(ctx, e); err != nil {
				s.fail(ctx, e.ID, err)
				continue
			}
			done++
			progress = true
		}
		if len(pending) < 100 || !progress {
			return done, nil
		}
	}
}

func (s *Service) processStored(ctx context.Context, e store.DonationEvent) error {
	raw, err := s.vault.Open(e.PayloadSealed, purposeEvent)
	if err != nil {
		return fmt.Errorf("open stored event: %w", err)
	}
	return s.processRaw(ctx, []byte(raw))
}

// processRaw applies one event, exactly once, in one transaction with
// marking it processed.
func (s *Service) processRaw(ctx context.Context, raw []byte) error {
	ev, err := s.payments.DecodeEvent(raw)
	if err != nil {
		return err
	}
	change, err := s.changeFor(ctx, ev)
	if err != nil {
		return err
	}
	if _, err := s.store.ApplyDonationChange(ctx, ev.ID, change); err != nil {
		return fmt.Errorf("donate: apply event %s: %w", ev.ID, err)
	}
	return nil
}

// changeFor turns an event into the change it makes to the records,
// sealing what identifies the donor.
func (s *Service) changeFor(ctx context.Context, ev Event) (store.DonationChange, error) {
	c := store.DonationChange{AppealID: ev.AppealID}
	// A donor is recorded only with something that was given.
	if ev.Email != "" && (ev.Paid != nil || ev.Subscription != nil) {
		email := normalizeEmail(ev.Email)
		c.Donor = &store.Donor{EmailIndex: s.vault.Index(email, purposeEmail), EmailSealed: s.vault.Seal(email, purposeEmail)}
	}
	if sub := ev.Subscription; sub != nil {
		rd := &store.RecurringDonation{
			ProviderID: sub.ID, Frequency: sub.Frequency, Amount: sub.Amount, Currency: sub.Currency,
			Status: sub.Status, CanceledAt: sub.CanceledAt,
		}
		if ev.Customer != "" {
			rd.CustomerSealed = s.vault.Seal(ev.Customer, purposeCustomer)
		}
		if sub.Authoritative {
			rd.StateAt = ev.Created
		}
		c.Recurring = rd
		if ev.Kind == InvoiceFailed {
			c.PaymentFailedAt = ev.Created
		}
	}
	if p := ev.Paid; p != nil {
		c.Donation = &store.Donation{ProviderRef: p.Ref, Frequency: p.Frequency, Amount: p.Amount, Currency: p.Currency, PaidAt: p.At}
	}
	if r := ev.Refund; r != nil {
		ref, err := s.paymentRef(ctx, r.PaymentRef)
		if err != nil {
			return store.DonationChange{}, err
		}
		if ref == "" {
			s.log.Warn("donate: a refund of a payment with no donation on record; nothing to change", "event", ev.ID)
		} else {
			c.Refund = &store.Refund{ProviderRef: ref, Amount: r.Amount, At: ev.Created}
		}
	}
	return c, nil
}

// paymentRef finds the donation a payment paid: a one-time gift is known
// by the payment itself, a recurring one by the invoice the payment paid.
// It returns "" when there is none.
func (s *Service) paymentRef(ctx context.Context, payment string) (string, error) {
	if _, err := s.store.DonationByProviderRef(ctx, payment); err == nil {
		return payment, nil
	} else if !errors.Is(err, model.ErrNotFound) {
		return "", err
	}
	invoice, err := s.payments.InvoiceOfPayment(ctx, payment)
	if err != nil {
		return "", fmt.Errorf("donate: find the invoice of a refunded payment: %w", err)
	}
	if invoice == "" {
		return "", nil
	}
	if _, err := s.store.DonationByProviderRef(ctx, invoice); errors.Is(err, model.ErrNotFound) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	return invoice, nil
}

func normalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ReconcileReport says what a reconciliation found.
type ReconcileReport struct {
	Listed    int // events the provider listed
	Missed    int // of which the inbox had never seen
	Processed int // events processed, missed or left pending before
}

// Reconcile lists the provider's events since then and feeds those the
// inbox lacks through the same processing as webhooks, repairing what
// missed deliveries left behind. Running it again changes nothing.
func (s *Service) Reconcile(ctx context.Context, since time.Time) (ReconcileReport, error) {
	var rep ReconcileReport
	if s.payments == nil {
		return rep, ErrNotConfigured
	}
	events, err := s.payments.Events(ctx, since)
	if err != nil {
		return rep, fmt.Errorf("donate: reconcile: %w", err)
	}
	for _, ev := range events {
		if ev.Kind == "" {
			continue
		}
		rep.Listed++
		inserted, err := s.save(ctx, ev)
		if err != nil {
			return rep, err
		}
		if inserted {
			rep.Missed++
		}
	}
	rep.Processed, err = s.ProcessPending(ctx)
	return rep, err
}

// Run processes the inbox every interval, so events whose processing
// failed or was cut short (a crash after the webhook was acknowledged) are
// processed, and sends the receipts due; once a day it erases donors past
// the retention period and forgets old processed events and expired links. A zero retention keeps donors forever. It
// returns when ctx ends.
func (s *Service) Run(ctx context.Context, interval, retention time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var lastPurge time.Time
	for {
		if _, err := s.ProcessPending(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("donate: process the event inbox", "err", err)
		}
		if _, err := s.SendReceipts(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("donate: send receipts; they are tried again later", "err", err)
		}
		if now := s.now(); now.Sub(lastPurge) >= 24*time.Hour {
			lastPurge = now
			s.purge(ctx, retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) purge(ctx context.Context, retention time.Duration) {
	if retention > 0 {
		if n, err := s.PurgeDonors(ctx, retention); err != nil {
			s.log.Warn("donate: erase lapsed donors", "err", err)
		} else if n > 0 {
			s.log.Info("donate: erased donors past the retention period", "count", n)
		}
	}
	if _, err := s.store.PurgeDonationEvents(ctx, s.now().Add(-eventRetention)); err != nil {
		s.log.Warn("donate: forget old payment events", "err", err)
	}
	if err := s.store.PurgeDonorTokens(ctx, s.now()); err != nil {
		s.log.Warn("donate: forget expired manage links", "err", err)
	}
}
