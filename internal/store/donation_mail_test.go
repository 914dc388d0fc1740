package store_test

import (
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestPendingReceipts(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		mustApply(t, s, "", store.DonationChange{Donor: donor(1), Donation: &store.Donation{ProviderRef: "pi_old", Frequency: model.Once, Amount: 100, Currency: "USD", PaidAt: t0.Add(-30 * 24 * time.Hour)}})
		mustApply(t, s, "", store.DonationChange{Donor: donor(1), Donation: &store.Donation{ProviderRef: "pi_new", Frequency: model.Once, Amount: 200, Currency: "USD", PaidAt: t0}})
		mustApply(t, s, "", store.DonationChange{Donation: &store.Donation{ProviderRef: "pi_anon", Frequency: model.Once, Amount: 300, Currency: "USD", PaidAt: t0}})
		got, err := s.PendingReceipts(ctx, t0.Add(-7*24*time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Amount != 200 || got[0].EmailSealed != "v1:sealed-1" || !got[0].PaidAt.Equal(t0) {
			t.Fatalf("pending receipts = %+v; want only the recent gift with a known donor", got)
		}
		if err := s.MarkReceiptSent(ctx, got[0].DonationID); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.PendingReceipts(ctx, t0.Add(-7*24*time.Hour), 10); len(got) != 0 {
			t.Errorf("after sending, pending receipts = %+v", got)
		}
	})
}

func TestDonorTokens(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		d := donor(1)
		mustApply(t, s, "", store.DonationChange{Donor: d, Recurring: &store.RecurringDonation{ProviderID: "sub_t", Frequency: model.Monthly, Amount: 500, Currency: "USD", Status: "active"}})
		if at, err := s.LatestDonorToken(ctx, d.ID); err != nil || !at.IsZero() {
			t.Fatalf("latest token before any = %v, %v", at, err)
		}
		if err := s.CreateDonorToken(ctx, "hash-a", d.ID, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateDonorToken(ctx, "hash-b", d.ID, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if at, err := s.LatestDonorToken(ctx, d.ID); err != nil || !at.Equal(t0) {
			t.Errorf("latest token = %v, %v; want %v", at, err, t0)
		}
		tok, err := s.DonorTokenByHash(ctx, "hash-a")
		if err != nil || tok.DonorID != d.ID || !tok.UsedAt.IsZero() || !tok.ExpiresAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("token = %+v, %v", tok, err)
		}
		for i, want := range []bool{true, false} {
			if used, err := s.UseDonorToken(ctx, "hash-a"); err != nil || used != want {
				t.Errorf("use #%d = %v, %v; want %v", i+1, used, err, want)
			}
		}
		clock.Advance(2 * time.Hour)
		if used, err := s.UseDonorToken(ctx, "hash-b"); err != nil || used {
			t.Errorf("using an expired token = %v, %v; want false", used, err)
		}
		if err := s.PurgeDonorTokens(ctx, clock.Now()); err != nil {
			t.Fatal(err)
		}
		_, err = s.DonorTokenByHash(ctx, "hash-b")
		wantErr(t, err, model.ErrNotFound)
		// Erasing the donor takes their tokens along.
		if err := s.CreateDonorToken(ctx, "hash-c", d.ID, clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteDonor(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.DonorTokenByHash(ctx, "hash-c")
		wantErr(t, err, model.ErrNotFound)
	})
}
