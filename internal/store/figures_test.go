package store_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// TestDonationFigures computes the figures from a known set of donations,
// renewals, refunds and a cancellation, and checks every number.
func TestDonationFigures(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC) // the day window starts on 14 February
		war := model.Tag{Slug: "war", Name: "War"}
		if err := s.CreateTag(ctx, &war); err != nil {
			t.Fatal(err)
		}
		all, tagged := model.DefaultAppeal("x"), model.DefaultAppeal("x")
		tagged.Target = model.Target{Kind: model.TargetTag, Value: war.ID}
		for _, ap := range []*model.Appeal{&all, &tagged} {
			if err := s.SaveAppeal(ctx, ap); err != nil {
				t.Fatal(err)
			}
		}
		views := []struct {
			id string
			at time.Time
			n  int
		}{
			{all.ID, now, 3}, {all.ID, time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), 1},
			{all.ID, time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC), 2}, // before the window
			{tagged.ID, time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC), 4},
		}
		for _, v := range views {
			for range v.n {
				if _, err := s.CountAppealView(ctx, v.id, v.at); err != nil {
					t.Fatal(err)
				}
			}
		}

		at := func(month time.Month, day, hour int) time.Time {
			return time.Date(2026, month, day, hour, 0, 0, 0, time.UTC)
		}
		donor := &store.Donor{EmailIndex: "index-1", EmailSealed: "sealed-1"}
		once := func(ref string, amount int64, currency string, paid time.Time, appeal string) store.DonationChange {
			return store.DonationChange{Donor: donor, AppealID: appeal,
				Donation: &store.Donation{ProviderRef: ref, Frequency: model.Once, Amount: amount, Currency: currency, PaidAt: paid}}
		}
		recurring := func(sub, ref string, f model.Frequency, amount int64, currency, status string, paid time.Time, appeal string) store.DonationChange {
			return store.DonationChange{Donor: donor, AppealID: appeal,
				Recurring: &store.RecurringDonation{ProviderID: sub, Frequency: f, Amount: amount, Currency: currency, Status: status, StateAt: paid},
				Donation:  &store.Donation{ProviderRef: ref, Frequency: f, Amount: amount, Currency: currency, PaidAt: paid}}
		}
		changes := []store.DonationChange{
			once("pi_1", 1000, "USD", at(3, 15, 10), all.ID),
			once("pi_2", 2500, "USD", at(3, 15, 11), all.ID),  // refunded in full below
			once("pi_3", 500, "EUR", at(3, 14, 9), tagged.ID), // refunded in part below
			recurring("sub_1", "in_1", model.Monthly, 500, "USD", "active", at(2, 15, 9), all.ID),
			recurring("sub_1", "in_2", model.Monthly, 500, "USD", "active", at(3, 15, 9), all.ID), // a renewal
			recurring("sub_2", "in_3", model.Annual, 12000, "USD", "active", at(3, 10, 9), tagged.ID),
			recurring("sub_3", "in_4", model.Monthly, 1000, "EUR", "active", at(1, 10, 9), ""),
			{Recurring: &store.RecurringDonation{ProviderID: "sub_3", Frequency: model.Monthly, Amount: 1000, Currency: "EUR",
				Status: "canceled", StateAt: at(1, 20, 9), CanceledAt: at(1, 20, 9)}},
			once("pi_old", 5000, "USD", time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC), all.ID), // before both windows
			{Refund: &store.Refund{ProviderRef: "pi_2", Amount: 2500, At: at(3, 15, 12)}},
			{Refund: &store.Refund{ProviderRef: "pi_3", Amount: 200, At: at(3, 15, 12)}},
		}
		for i, c := range changes {
			if _, err := s.ApplyDonationChange(ctx, "", c); err != nil {
				t.Fatalf("change %d: %v", i, err)
			}
		}
		// The same payment delivered again counts once.
		if _, err := s.ApplyDonationChange(ctx, "", changes[0]); err != nil {
			t.Fatal(err)
		}

		got, err := s.DonationFigures(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		want := store.DonationFigures{
			DaysFrom:   time.Date(2026, 2, 14, 0, 0, 0, 0, time.UTC),
			MonthsFrom: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC),
			Days: []store.RevenueRow{
				{Period: "2026-02-15", Currency: "USD", Recurring: 500, Payments: 1},
				{Period: "2026-03-10", Currency: "USD", Recurring: 12000, Payments: 1},
				{Period: "2026-03-14", Currency: "EUR", OneTime: 300, Payments: 1},
				{Period: "2026-03-15", Currency: "USD", OneTime: 1000, Recurring: 500, Payments: 3},
			},
			Months: []store.RevenueRow{
				{Period: "2026-01", Currency: "EUR", Recurring: 1000, Payments: 1},
				{Period: "2026-02", Currency: "USD", Recurring: 500, Payments: 1},
				{Period: "2026-03", Currency: "EUR", OneTime: 300, Payments: 1},
				{Period: "2026-03", Currency: "USD", OneTime: 1000, Recurring: 12500, Payments: 4},
			},
			// One donor gives $5 a month and $120 a year: $5 + $10.
			Recurring:       []store.RecurringFigure{{Currency: "USD", Donors: 1, Monthly: 1500}},
			RecurringDonors: 1,
			Appeals: []store.AppealFigure{
				// The refunded gift and the renewal are not conversions.
				{ID: tagged.ID, Heading: tagged.Heading, Active: true, Views: 4, Gifts: 2},
				{ID: all.ID, Heading: all.Heading, Active: true, Views: 4, Gifts: 2},
			},
		}
		byID := func(a, b store.AppealFigure) int { return strings.Compare(a.ID, b.ID) }
		slices.SortFunc(got.Appeals, byID)
		slices.SortFunc(want.Appeals, byID)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("figures (-want +got):\n%s", diff)
		}
		if c := got.Appeals[0].Conversion(); c != 0.5 {
			t.Errorf("conversion of 2 gifts in 4 views = %v, want 0.5", c)
		}
		d, err := s.DonationByProviderRef(ctx, "pi_3")
		if err != nil || d.AppealID != tagged.ID {
			t.Errorf("donation pi_3 = %+v, %v; want it to name the appeal %s", d, err, tagged.ID)
		}
	})
}
