package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// TestReaderCounts: the desk's overview counts each newsletter's
// subscribers by status, each subscriber once by status, suppressions by
// reason, and donors: all, with an active recurring donation, and those
// who gave once in the window (a gift refunded in full does not count).
func TestReaderCounts(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		ns := seedNewsletters(t, s)
		weekly, breaking := ns["weekly"].ID, ns["breaking"].ID
		newSubscriber(t, s, "pending", store.SubscriberPending, weekly)
		newSubscriber(t, s, "both", store.SubscriberActive, weekly, breaking)
		newSubscriber(t, s, "breaking", store.SubscriberActive, breaking)
		bounced := newSubscriber(t, s, "bounced", store.SubscriberActive, weekly)
		if err := s.MarkBounced(ctx, bounced.ID, true, 1); err != nil {
			t.Fatal(err)
		}
		if err := s.Suppress(ctx, "index-someone", store.SuppressManual); err != nil {
			t.Fatal(err)
		}

		day := 24 * time.Hour
		for _, c := range []store.DonationChange{
			{Donor: donor(1), Donation: &store.Donation{ProviderRef: "pi_1", Frequency: model.Once, Amount: 2500, Currency: "EUR", PaidAt: t0.Add(-2 * day)}},
			{Donor: donor(1), Donation: &store.Donation{ProviderRef: "pi_2", Frequency: model.Once, Amount: 1000, Currency: "EUR", PaidAt: t0.Add(-day)}},
			{Donor: donor(2), Donation: &store.Donation{ProviderRef: "pi_3", Frequency: model.Once, Amount: 1000, Currency: "EUR", PaidAt: t0.Add(-40 * day)}},
			{Donor: donor(3), Donation: &store.Donation{ProviderRef: "pi_4", Frequency: model.Once, Amount: 500, Currency: "USD", PaidAt: t0.Add(-day)}},
			{Refund: &store.Refund{ProviderRef: "pi_4", Amount: 500, At: t0}},
			{Donor: donor(4), Recurring: &store.RecurringDonation{ProviderID: "sub_4", Frequency: model.Monthly, Amount: 500, Currency: "EUR", Status: "active"},
				Donation: &store.Donation{ProviderRef: "in_4", Frequency: model.Monthly, Amount: 500, Currency: "EUR", PaidAt: t0.Add(-day)}},
			{Donor: donor(5), Recurring: &store.RecurringDonation{ProviderID: "sub_5", Frequency: model.Annual, Amount: 5000, Currency: "EUR", Status: "past_due"}},
		} {
			mustApply(t, s, "", c)
		}

		got, err := s.ReaderCounts(ctx, 30*day)
		if err != nil {
			t.Fatal(err)
		}
		want := store.ReaderCounts{
			Subscriptions: map[string]map[string]int{
				weekly:   {store.SubscriberPending: 1, store.SubscriberActive: 1, store.SubscriberBounced: 1},
				breaking: {store.SubscriberActive: 2},
			},
			Subscribers:     map[string]int{store.SubscriberPending: 1, store.SubscriberActive: 2, store.SubscriberBounced: 1},
			Suppressed:      map[string]int{store.SuppressBounce: 1, store.SuppressManual: 1},
			Donors:          5,
			RecurringDonors: 1,
			OneTimeDonors:   1,
			OneTimeGifts:    2,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("counts (-want +got):\n%s", diff)
		}

		// The window moves with the store's clock.
		clock.Advance(29 * day)
		if got, _ := s.ReaderCounts(ctx, 30*day); got.OneTimeDonors != 1 || got.OneTimeGifts != 1 {
			t.Errorf("29 days on, one-time donors, gifts = %d, %d; want 1, 1", got.OneTimeDonors, got.OneTimeGifts)
		}
	})
}

// TestSubscribersAfter: keyset pages cover every subscriber, of every
// status, once and in ID order, each with their own subscriptions and
// newest consent record, whatever the page size.
func TestSubscribersAfter(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		ns := seedNewsletters(t, s)
		weekly, breaking := ns["weekly"].ID, ns["breaking"].ID
		for _, sub := range []struct {
			name, status string
			newsletters  []string
		}{
			{"a", store.SubscriberActive, []string{weekly}},
			{"b", store.SubscriberPending, []string{breaking}},
			{"c", store.SubscriberActive, []string{weekly, breaking}},
			{"d", store.SubscriberActive, []string{breaking}},
			{"e", store.SubscriberActive, []string{weekly}},
		} {
			clock.Advance(time.Minute)
			newSubscriber(t, s, sub.name, sub.status, sub.newsletters...)
		}
		// c chooses again later: their newest consent is the one exported.
		clock.Advance(time.Hour)
		later := store.Consent{Text: "Changed on the subscriber's page", PolicyVersion: "2025-06"}
		if err := s.SetSubscriptions(ctx, mustSubscriber(t, s, "index-c").ID, []string{breaking}, &later); err != nil {
			t.Fatal(err)
		}
		want := map[string]store.SubscriberRow{}
		for _, name := range []string{"a", "b", "c", "d", "e"} {
			sub := mustSubscriber(t, s, "index-"+name)
			consents, err := s.Consents(ctx, sub.ID)
			if err != nil {
				t.Fatal(err)
			}
			want[sub.ID] = store.SubscriberRow{Subscriber: sub, Consent: consents[len(consents)-1]}
		}
		if c := want[mustSubscriber(t, s, "index-c").ID]; c.Consent != later || len(c.Subscriptions) != 1 {
			t.Fatalf("c = %+v; want the later consent and one subscription", c)
		}

		for _, size := range []int{1, 2, 5, 10} {
			var got []store.SubscriberRow
			after := ""
			for pages := 0; ; pages++ {
				page, err := s.SubscribersAfter(ctx, after, size)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) == 0 {
					break
				}
				if len(page) > size || pages > len(want) {
					t.Fatalf("page size %d: a page of %d rows, or too many pages", size, len(page))
				}
				got = append(got, page...)
				after = page[len(page)-1].ID
			}
			if len(got) != len(want) {
				t.Fatalf("page size %d: %d subscribers, want %d", size, len(got), len(want))
			}
			for i, row := range got {
				if i > 0 && row.ID <= got[i-1].ID {
					t.Errorf("page size %d: %s after %s, out of order", size, row.ID, got[i-1].ID)
				}
				if diff := cmp.Diff(want[row.ID], row); diff != "" {
					t.Errorf("page size %d: subscriber %s (-want +got):\n%s", size, row.EmailIndex, diff)
				}
			}
		}
	})
}

func mustSubscriber(t *testing.T, s *store.Store, index string) store.Subscriber {
	t.Helper()
	sub, err := s.SubscriberByEmailIndex(t.Context(), index)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// TestDonorsAfter: keyset pages of donors carry what each gave per
// currency, net of refunds, and their recurring donations, and nothing of
// another donor or of an erased one.
func TestDonorsAfter(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		monthly := &store.RecurringDonation{ProviderID: "sub_1", Frequency: model.Monthly, Amount: 500, Currency: "EUR", Status: "active"}
		for _, c := range []store.DonationChange{
			{Donor: donor(1), Donation: &store.Donation{ProviderRef: "pi_1", Frequency: model.Once, Amount: 2500, Currency: "EUR", PaidAt: t0}},
			{Donor: donor(1), Donation: &store.Donation{ProviderRef: "pi_2", Frequency: model.Once, Amount: 1000, Currency: "USD", PaidAt: t0}},
			{Donor: donor(1), Recurring: monthly, Donation: &store.Donation{ProviderRef: "in_1", Frequency: model.Monthly, Amount: 500, Currency: "EUR", PaidAt: t0}},
			{Refund: &store.Refund{ProviderRef: "pi_1", Amount: 700, At: t0}},
			{Donor: donor(2), Donation: &store.Donation{ProviderRef: "pi_3", Frequency: model.Once, Amount: 300, Currency: "GBP", PaidAt: t0}},
			{Donor: donor(3)},
			{Donor: donor(4), Donation: &store.Donation{ProviderRef: "pi_4", Frequency: model.Once, Amount: 900, Currency: "EUR", PaidAt: t0}},
		} {
			clock.Advance(time.Minute)
			mustApply(t, s, "", c)
		}
		erased, err := s.DonorByEmailIndex(ctx, "index-4")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteDonor(ctx, erased.ID); err != nil {
			t.Fatal(err)
		}

		var got []store.DonorRow
		after := ""
		for {
			page, err := s.DonorsAfter(ctx, after, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[0].ID
		}
		type summary struct {
			Index     string
			Totals    []store.DonorTotal
			Recurring []string
		}
		var sums []summary
		for _, d := range got {
			sum := summary{Index: d.EmailIndex, Totals: d.Totals}
			for _, rd := range d.Recurring {
				sum.Recurring = append(sum.Recurring, rd.ProviderID+" "+rd.Status)
			}
			sums = append(sums, sum)
		}
		want := []summary{
			{Index: "index-1", Totals: []store.DonorTotal{{Currency: "EUR", Amount: 2300, Payments: 2}, {Currency: "USD", Amount: 1000, Payments: 1}},
				Recurring: []string{"sub_1 active"}},
			{Index: "index-2", Totals: []store.DonorTotal{{Currency: "GBP", Amount: 300, Payments: 1}}},
			{Index: "index-3"},
		}
		if diff := cmp.Diff(want, sums); diff != "" {
			t.Errorf("donors (-want +got):\n%s", diff)
		}
	})
}
