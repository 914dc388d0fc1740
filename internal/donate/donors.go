package donate

import (
	"context"
	"fmt"
	"time"

	"github.com/tamizdat/tamizdat/internal/store"
)

// DonorExport is everything kept about one donor, for them to take away.
type DonorExport struct {
	Email      string              `json:"email"`
	DonorSince time.Time           `json:"donor_since"`
	Donations  []ExportedDonation  `json:"donations"`
	Recurring  []ExportedRecurring `json:"recurring_donations"`
}

// ExportedDonation is one payment in a DonorExport.
type ExportedDonation struct {
	Frequency string    `json:"frequency"`
	Amount    string    `json:"amount"` // "25.00"
	Currency  string    `json:"currency"`
	Refunded  string    `json:"refunded,omitempty"`
	PaidAt    time.Time `json:"paid_at"`
}

// ExportedRecurring is one recurring donation in a DonorExport.
type ExportedRecurring struct {
	Frequency      string    `json:"frequency"`
	Amount         string    `json:"amount"`
	Currency       string    `json:"currency"`
	Status         string    `json:"status"`
	Since          time.Time `json:"since"`
	CanceledAt     time.Time `json:"canceled_at,omitzero"`
	SubscriptionID string    `json:"payment_provider_subscription_id"`
	CustomerID     string    `json:"payment_provider_customer_id,omitempty"`
}

// ExportDonor returns what is kept about the donor with that email;
// model.ErrNotFound when there is none.
func (s *Service) ExportDonor(ctx context.Context, email string) (DonorExport, error) {
	d, err := s.DonorByEmail(ctx, email)
	if err != nil {
		return DonorExport{}, err
	}
	addr, err := s.DonorAddress(d)
	if err != nil {
		return DonorExport{}, err
	}
	out := DonorExport{Email: addr, DonorSince: d.CreatedAt, Donations: []ExportedDonation{}, Recurring: []ExportedRecurring{}}
	donations, err := s.store.DonationsOf(ctx, d.ID)
	if err != nil {
		return DonorExport{}, err
	}
	for _, dn := range donations {
		e := ExportedDonation{Frequency: string(dn.Frequency), Amount: decimal(dn.Amount), Currency: dn.Currency, PaidAt: dn.PaidAt}
		if dn.AmountRefunded > 0 {
			e.Refunded = decimal(dn.AmountRefunded)
		}
		out.Donations = append(out.Donations, e)
	}
	recurring, err := s.store.RecurringDonationsOf(ctx, d.ID)
	if err != nil {
		return DonorExport{}, err
	}
	for _, rd := range recurring {
		e := ExportedRecurring{Frequency: string(rd.Frequency), Amount: decimal(rd.Amount), Currency: rd.Currency,
			Status: rd.Status, Since: rd.CreatedAt, CanceledAt: rd.CanceledAt, SubscriptionID: rd.ProviderID}
		if rd.CustomerSealed != "" {
			if e.CustomerID, err = s.vault.Open(rd.CustomerSealed, purposeCustomer); err != nil {
				return DonorExport{}, fmt.Errorf("donate: export donor: %w", err)
			}
		}
		out.Recurring = append(out.Recurring, e)
	}
	return out, nil
}

// DeleteDonor erases the donor with that email: their recurring donations
// are canceled with the provider first, so no later payment brings them
// back, then the donor goes. Their payments stay as anonymous amounts and
// dates for the figures. model.ErrNotFound when there is no such donor;
// ErrNotConfigured when one is live and no provider is set up to cancel it.
func (s *Service) DeleteDonor(ctx context.Context, email string) error {
	d, err := s.DonorByEmail(ctx, email)
	if err != nil {
		return err
	}
	recurring, err := s.store.RecurringDonationsOf(ctx, d.ID)
	if err != nil {
		return err
	}
	for _, rd := range recurring {
		if !live(rd.Status) {
			continue
		}
		if s.payments == nil {
			return fmt.Errorf("donate: delete donor: recurring donation %s is live and cannot be canceled: %w", rd.ProviderID, ErrNotConfigured)
		}
		if err := s.payments.CancelSubscription(ctx, rd.ProviderID); err != nil {
			return fmt.Errorf("donate: delete donor: cancel %s: %w", rd.ProviderID, err)
		}
	}
	return s.store.DeleteDonor(ctx, d.ID)
}

// PurgeDonors erases donors with no live recurring donation who have given
// nothing for the retention period, and reports how many.
func (s *Service) PurgeDonors(ctx context.Context, retention time.Duration) (int, error) {
	ids, err := s.store.LapsedDonors(ctx, s.now().Add(-retention))
	if err != nil {
		return 0, err
	}
	for i, id := range ids {
		if err := s.store.DeleteDonor(ctx, id); err != nil {
			return i, err
		}
	}
	return len(ids), nil
}

// DonorByEmail returns the donor with that email; model.ErrNotFound when
// there is none.
func (s *Service) DonorByEmail(ctx context.Context, email string) (store.Donor, error) {
	return s.store.DonorByEmailIndex(ctx, s.DonorIndex(email))
}

// DonorIndex returns the keyed hash donors with that email are found by,
// which the audit log names instead of the email.
func (s *Service) DonorIndex(email string) string {
	return s.vault.Index(normalizeEmail(email), purposeEmail)
}

// DonorAddress opens a donor's sealed email.
func (s *Service) DonorAddress(d store.Donor) (string, error) {
	addr, err := s.vault.Open(d.EmailSealed, purposeEmail)
	if err != nil {
		return "", fmt.Errorf("donate: open the email of donor %s (is this the key the site started with?): %w", d.ID, err)
	}
	return addr, nil
}

// live reports whether a recurring donation with that provider status may
// still take payments.
func live(status string) bool {
	return status != "canceled" && status != "incomplete_expired"
}

// decimal writes a minor-unit amount as "25.00".
func decimal(amount int64) string {
	return fmt.Sprintf("%d.%02d", amount/100, amount%100)
}
