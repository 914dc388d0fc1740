package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// What the donation service emails donors: receipts, and one-time links to
// manage their recurring donations.

// Receipt is a paid donation whose donor has not been sent a receipt.
type Receipt struct {
	DonationID  string
	EmailSealed string // the donor's
	Frequency   model.Frequency
	Amount      int64
	Currency    string
	PaidAt      time.Time
}

// DonorToken is a one-time link a donor was emailed. The store knows it by
// the SHA-256 of its token only.
type DonorToken struct {
	DonorID   string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used
}

const (
	qPendingReceipts = `SELECT n.id, d.email_sealed, n.frequency, n.amount, n.currency, n.paid_at
FROM donations n JOIN donors d ON d.id = n.donor_id
WHERE n.receipt_sent_at IS NULL AND n.paid_at >= ? ORDER BY n.paid_at, n.id LIMIT ?`
	qMarkReceiptSent  = `UPDATE donations SET receipt_sent_at = ? WHERE id = ? AND receipt_sent_at IS NULL`
	qInsertDonorToken = `INSERT INTO donor_tokens (token_hash, donor_id, created_at, expires_at) VALUES (?, ?, ?, ?)`
	qDonorToken       = `SELECT donor_id, created_at, expires_at, used_at FROM donor_tokens WHERE token_hash = ?`
	qLatestDonorToken = `SELECT MAX(created_at) FROM donor_tokens WHERE donor_id = ?`
	qUseDonorToken    = `UPDATE donor_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`
	qPurgeDonorTokens = `DELETE FROM donor_tokens WHERE expires_at < ?`
)

// PendingReceipts returns up to limit donations paid since paidSince whose
// donor is known and has not been sent a receipt, oldest first.
func (s *Store) PendingReceipts(ctx context.Context, paidSince time.Time, limit int) ([]Receipt, error) {
	var out []Receipt
	err := s.read().each(ctx, "pending_receipts", qPendingReceipts, []any{timeArg(paidSince), limit}, func(scan func(...any) error) error {
		var r Receipt
		err := scan(&r.DonationID, &r.EmailSealed, (*string)(&r.Frequency), &r.Amount, &r.Currency, scanTime(&r.PaidAt))
		out = append(out, r)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: pending receipts: %w", err)
	}
	return out, nil
}

// MarkReceiptSent records that the donation's receipt went out.
func (s *Store) MarkReceiptSent(ctx context.Context, donationID string) error {
	err := s.write(ctx, false, func(r *runner) error {
		_, err := r.exec(ctx, "mark_receipt_sent", qMarkReceiptSent, timeArg(s.clock()), donationID)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: mark receipt sent: %w", err)
	}
	return nil
}

// CreateDonorToken stores a link token's hash for a donor, valid until
// expiresAt.
func (s *Store) CreateDonorToken(ctx context.Context, tokenHash, donorID string, expiresAt time.Time) error {
	err := s.write(ctx, false, func(r *runner) error {
		_, err := r.exec(ctx, "insert_donor_token", qInsertDonorToken, tokenHash, donorID, timeArg(s.clock()), timeArg(expiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create donor token: %w", err)
	}
	return nil
}

// DonorTokenByHash returns a link token, used or expired or not; deciding
// whether it still works is the caller's business.
func (s *Store) DonorTokenByHash(ctx context.Context, tokenHash string) (DonorToken, error) {
	var t DonorToken
	err := s.read().scanRow(ctx, "donor_token", qDonorToken, []any{tokenHash},
		&t.DonorID, scanTime(&t.CreatedAt), scanTime(&t.ExpiresAt), scanTime(&t.UsedAt))
	if err != nil {
		return DonorToken{}, fmt.Errorf("store: donor token: %w", notFound(err))
	}
	return t, nil
}

// LatestDonorToken returns when the donor was last sent a link; the zero
// time if never (or not within the tokens kept).
func (s *Store) LatestDonorToken(ctx context.Context, donorID string) (time.Time, error) {
	var at time.Time
	err := s.read().scanRow(ctx, "latest_donor_token", qLatestDonorToken, []any{donorID}, scanTime(&at))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("store: latest donor token: %w", err)
	}
	return at, nil
}

// UseDonorToken marks a token used, if it is unused and unexpired at the
// store's clock, and reports whether it did: of two uses, one succeeds.
func (s *Store) UseDonorToken(ctx context.Context, tokenHash string) (bool, error) {
	var used bool
	err := s.write(ctx, false, func(r *runner) error {
		now := s.clock()
		res, err := r.exec(ctx, "use_donor_token", qUseDonorToken, timeArg(now), tokenHash, timeArg(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		used = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: use donor token: %w", err)
	}
	return used, nil
}

// PurgeDonorTokens deletes tokens that expired before cutoff.
func (s *Store) PurgeDonorTokens(ctx context.Context, cutoff time.Time) error {
	err := s.write(ctx, false, func(r *runner) error {
		_, err := r.exec(ctx, "purge_donor_tokens", qPurgeDonorTokens, timeArg(cutoff))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: purge donor tokens: %w", err)
	}
	return nil
}
