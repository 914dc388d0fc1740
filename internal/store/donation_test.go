package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func donor(n int) *store.Donor {
	return &store.Donor{EmailIndex: fmt.Sprintf("index-%d", n), EmailSealed: fmt.Sprintf("v1:sealed-%d", n)}
}

func mustApply(t *testing.T, s *store.Store, eventID string, c store.DonationChange) bool {
	t.Helper()
	applied, err := s.ApplyDonationChange(t.Context(), eventID, c)
	if err != nil {
		t.Fatal(err)
	}
	return applied
}

func TestDonationEventInbox(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		e := &store.DonationEvent{ID: "evt_1", Type: "invoice.paid", Created: t0.Add(-time.Minute), PayloadSealed: "v1:payload"}
		for i, want := range []bool{true, false} {
			got, err := s.SaveDonationEvent(ctx, e)
			if err != nil || got != want {
				t.Fatalf("save #%d = %v, %v; want %v", i+1, got, err, want)
			}
		}
		pending, err := s.PendingDonationEvents(ctx, 5, 10)
		if err != nil || len(pending) != 1 || pending[0].PayloadSealed != "v1:payload" || !pending[0].Created.Equal(t0.Add(-time.Minute)) {
			t.Fatalf("pending = %+v, %v", pending, err)
		}
		if err := s.FailDonationEvent(ctx, "evt_1", "provider unreachable"); err != nil {
			t.Fatal(err)
		}
		if pending, _ := s.PendingDonationEvents(ctx, 1, 10); len(pending) != 0 {
			t.Errorf("an event that failed once is still offered with maxAttempts 1: %+v", pending)
		}
		clock.Advance(time.Second)
		change := store.DonationChange{Donor: donor(1), Donation: &store.Donation{
			ProviderRef: "pi_1", Frequency: model.Once, Amount: 2500, Currency: "USD", PaidAt: t0,
		}}
		if !mustApply(t, s, "evt_1", change) {
			t.Fatal("the first application of an event reported it as a replay")
		}
		if mustApply(t, s, "evt_1", change) {
			t.Error("a replayed event was applied again")
		}
		got, err := s.DonationEventByID(ctx, "evt_1")
		if err != nil {
			t.Fatal(err)
		}
		if got.PayloadSealed != "" || !got.ProcessedAt.Equal(t0.Add(time.Second)) || got.Attempts != 2 || got.LastError != "" {
			t.Errorf("processed event = %+v; want an empty payload, processed at the clock's time, 2 attempts, no error", got)
		}
		if pending, _ := s.PendingDonationEvents(ctx, 5, 10); len(pending) != 0 {
			t.Errorf("a processed event is still pending: %+v", pending)
		}
		if _, err := s.ApplyDonationChange(ctx, "evt_unknown", change); err != nil {
			t.Fatal(err)
		}
		d, err := s.DonorByEmailIndex(ctx, "index-1")
		if err != nil {
			t.Fatal(err)
		}
		donations, err := s.DonationsOf(ctx, d.ID)
		if err != nil || len(donations) != 1 || donations[0].Amount != 2500 || donations[0].RecurringID != "" {
			t.Fatalf("donations = %+v, %v; want the one gift of 2500", donations, err)
		}
		clock.Advance(31 * 24 * time.Hour)
		if n, err := s.PurgeDonationEvents(ctx, clock.Now().Add(-30*24*time.Hour)); err != nil || n != 1 {
			t.Errorf("purge = %d, %v; want 1", n, err)
		}
	})
}

// TestDonationEventConcurrentDelivery delivers one event five times at
// once. The failed-payment counter is not idempotent by itself, so only
// the inbox claim keeps it at one.
func TestDonationEventConcurrentDelivery(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		if _, err := s.SaveDonationEvent(ctx, &store.DonationEvent{ID: "evt_f", Type: "invoice.payment_failed", Created: t0, PayloadSealed: "x"}); err != nil {
			t.Fatal(err)
		}
		change := store.DonationChange{
			Recurring:       &store.RecurringDonation{ProviderID: "sub_1", Frequency: model.Monthly, Amount: 500, Currency: "USD", Status: "incomplete"},
			PaymentFailedAt: t0,
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		applied := 0
		for range 5 {
			wg.Go(func() {
				ok, err := s.ApplyDonationChange(ctx, "evt_f", change)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				defer mu.Unlock()
				if ok {
					applied++
				}
			})
		}
		wg.Wait()
		rd, err := s.RecurringDonationByProviderID(ctx, "sub_1")
		if err != nil {
			t.Fatal(err)
		}
		if applied != 1 || rd.FailedPayments != 1 {
			t.Errorf("5 concurrent deliveries: applied %d times, %d failed payments counted; want 1 and 1", applied, rd.FailedPayments)
		}
	})
}

// TestRecurringDonationOrder applies a subscription's lifecycle in every
// order its events can arrive in and checks that each ends as the
// provider's final state.
func TestRecurringDonationOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		state := func(status string, amount int64, at time.Time) func(id string) store.DonationChange {
			return func(id string) store.DonationChange {
				rd := &store.RecurringDonation{ProviderID: id, Frequency: model.Monthly, Amount: amount, Currency: "EUR", Status: status, StateAt: at}
				if status == "canceled" {
					rd.CanceledAt = at
				}
				return store.DonationChange{Recurring: rd}
			}
		}
		lifecycle := []func(id string) store.DonationChange{
			state("active", 500, t0), // customer.subscription.created
			func(id string) store.DonationChange { // invoice.paid: a payment, no state
				return store.DonationChange{
					Donor:     donor(7),
					Recurring: &store.RecurringDonation{ProviderID: id, CustomerSealed: "v1:cus", Frequency: model.Monthly, Amount: 500, Currency: "EUR", Status: "active"},
					Donation:  &store.Donation{ProviderRef: "in_" + id, Frequency: model.Monthly, Amount: 500, Currency: "EUR", PaidAt: t0.Add(time.Second)},
				}
			},
			state("active", 1000, t0.Add(time.Hour)), // customer.subscription.updated: amount raised
			func(id string) store.DonationChange { // invoice.payment_failed
				return store.DonationChange{
					Recurring:       &store.RecurringDonation{ProviderID: id, Frequency: model.Monthly, Amount: 1000, Currency: "EUR", Status: "incomplete"},
					PaymentFailedAt: t0.Add(2 * time.Hour),
				}
			},
			// customer.subscription.deleted, in the same second as a
			// past_due update: the final status must win the tie.
			state("canceled", 1000, t0.Add(3*time.Hour)),
		}
		lifecycle = append(lifecycle, state("past_due", 1000, t0.Add(3*time.Hour)))
		perms := permutations(len(lifecycle))
		for n, order := range perms {
			id := fmt.Sprintf("sub_%d", n)
			for _, i := range order {
				mustApply(t, s, "", lifecycle[i](id))
			}
			rd, err := s.RecurringDonationByProviderID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("%s %d %s failed=%d cus=%q donor=%v", rd.Status, rd.Amount, rd.StateAt.Format(time.TimeOnly), rd.FailedPayments, rd.CustomerSealed, rd.DonorID != "")
			want := "canceled 1000 15:00:00 failed=1 cus=\"v1:cus\" donor=true"
			if got != want {
				t.Fatalf("order %v ends as %s; want %s", order, got, want)
			}
			paid, err := s.DonationByProviderRef(ctx, "in_"+id)
			if err != nil || paid.RecurringID != rd.ID {
				t.Fatalf("order %v: the invoice's donation = %+v, %v; want it linked to %s", order, paid, err, rd.ID)
			}
		}
		if len(perms) != 720 {
			t.Errorf("tried %d orders, want 720", len(perms))
		}
	})
}

// permutations returns every order of 0…n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

func TestDonationRefund(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		mustApply(t, s, "", store.DonationChange{Donation: &store.Donation{ProviderRef: "pi_r", Frequency: model.Once, Amount: 5000, Currency: "USD", PaidAt: t0}})
		for _, f := range []store.Refund{
			{ProviderRef: "pi_r", Amount: 5000, At: t0.Add(2 * time.Hour)}, // the full refund's event arrives first
			{ProviderRef: "pi_r", Amount: 2000, At: t0.Add(time.Hour)},     // then the earlier partial one
			{ProviderRef: "pi_other", Amount: 100, At: t0},                 // a refund of nothing we know
		} {
			mustApply(t, s, "", store.DonationChange{Refund: &f})
		}
		d, err := s.DonationByProviderRef(t.Context(), "pi_r")
		if err != nil {
			t.Fatal(err)
		}
		if d.AmountRefunded != 5000 || !d.RefundedAt.Equal(t0.Add(2*time.Hour)) || d.DonorID != "" {
			t.Errorf("after refunds: %+v; want 5000 refunded at the first refund event's time, no donor", d)
		}
		if _, err := s.DonationByProviderRef(t.Context(), "pi_other"); err == nil {
			t.Error("a refund of an unknown payment created a donation")
		}
	})
}

func TestDeleteDonorKeepsFigures(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		mustApply(t, s, "", store.DonationChange{
			Donor:     donor(1),
			Recurring: &store.RecurringDonation{ProviderID: "sub_d", CustomerSealed: "v1:cus", Frequency: model.Annual, Amount: 10000, Currency: "USD", Status: "active"},
			Donation:  &store.Donation{ProviderRef: "in_d", Frequency: model.Annual, Amount: 10000, Currency: "USD", PaidAt: t0},
		})
		mustApply(t, s, "", store.DonationChange{Donor: donor(2), Donation: &store.Donation{ProviderRef: "pi_2", Frequency: model.Once, Amount: 300, Currency: "USD", PaidAt: t0}})
		d, err := s.DonorByEmailIndex(ctx, "index-1")
		if err != nil {
			t.Fatal(err)
		}
		if rds, err := s.RecurringDonationsOf(ctx, d.ID); err != nil || len(rds) != 1 {
			t.Fatalf("recurring donations of the donor = %+v, %v", rds, err)
		}
		if err := s.DeleteDonor(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.DeleteDonor(ctx, d.ID), model.ErrNotFound)
		_, err = s.DonorByEmailIndex(ctx, "index-1")
		wantErr(t, err, model.ErrNotFound)
		paid, err := s.DonationByProviderRef(ctx, "in_d")
		if err != nil || paid.DonorID != "" || paid.Amount != 10000 {
			t.Errorf("the erased donor's donation = %+v, %v; want it kept without its donor", paid, err)
		}
		rd, err := s.RecurringDonationByProviderID(ctx, "sub_d")
		if err != nil || rd.DonorID != "" || rd.CustomerSealed != "" {
			t.Errorf("the erased donor's recurring donation = %+v, %v; want no donor and no customer", rd, err)
		}
		other, err := s.DonorByEmailIndex(ctx, "index-2")
		if err != nil {
			t.Fatal(err)
		}
		if ds, _ := s.DonationsOf(ctx, other.ID); len(ds) != 1 {
			t.Errorf("another donor's donations were touched: %+v", ds)
		}
	})
}

func TestLapsedDonors(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		// 1 gave once, 2 gives monthly, 3 gave once but recently.
		mustApply(t, s, "", store.DonationChange{Donor: donor(1), Donation: &store.Donation{ProviderRef: "pi_1", Frequency: model.Once, Amount: 300, Currency: "USD", PaidAt: t0}})
		mustApply(t, s, "", store.DonationChange{Donor: donor(2), Recurring: &store.RecurringDonation{ProviderID: "sub_2", Frequency: model.Monthly, Amount: 500, Currency: "USD", Status: "active"}})
		clock.Advance(300 * 24 * time.Hour)
		mustApply(t, s, "", store.DonationChange{Donor: donor(3), Donation: &store.Donation{ProviderRef: "pi_3", Frequency: model.Once, Amount: 300, Currency: "USD", PaidAt: clock.Now()}})
		ids, err := s.LapsedDonors(ctx, t0.Add(180*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		one, _ := s.DonorByEmailIndex(ctx, "index-1")
		if diff := cmp.Diff([]string{one.ID}, ids); diff != "" {
			t.Errorf("lapsed donors (-want +got):\n%s", diff)
		}
		// Once the monthly gift is canceled, its donor lapses too.
		mustApply(t, s, "", store.DonationChange{Recurring: &store.RecurringDonation{ProviderID: "sub_2", Frequency: model.Monthly, Amount: 500, Currency: "USD", Status: "canceled", StateAt: t0.Add(time.Hour), CanceledAt: t0.Add(time.Hour)}})
		if ids, _ := s.LapsedDonors(ctx, t0.Add(180*24*time.Hour)); len(ids) != 2 {
			t.Errorf("after the cancellation, lapsed donors = %v; want two", ids)
		}
	})
}
