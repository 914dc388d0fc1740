package donate_test

import (
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/donate"
	"github.com/tamizdat/tamizdat/internal/donate/donatetest"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// TestDonationRecordsItsAppeal checks that a donation records the appeal
// the checkout's metadata names: a one-time gift from its session, a
// recurring one from its invoices even when they arrive before the
// session, and nothing for an appeal deleted meanwhile.
func TestDonationRecordsItsAppeal(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		ctx := t.Context()
		ap := model.DefaultAppeal("The Outlet")
		if err := st.SaveAppeal(ctx, &ap); err != nil {
			t.Fatal(err)
		}
		f := newFixture(t, st, donate.Options{})
		now := time.Now()
		withAppeal := func(o donatetest.Obj, appeal string) donatetest.Obj {
			meta := o["metadata"].(donatetest.Obj)
			meta["appeal"] = appeal
			return o
		}

		f.deliver(t, donatetest.Event("evt_a1", "checkout.session.completed", now,
			withAppeal(donatetest.PaidSession("cs_a1", "pi_a1", email, 2500, "eur"), ap.ID)))
		if d, err := st.DonationByProviderRef(ctx, "pi_a1"); err != nil || d.AppealID != ap.ID || d.Currency != "EUR" || d.Amount != 2500 {
			t.Errorf("one-time donation = %+v, %v; want €25 from appeal %s", d, err, ap.ID)
		}

		invoice := donatetest.Invoice("in_a2", "sub_a2", "cus_a2", email, 500, "usd", "monthly", true, now)
		invoice["parent"].(donatetest.Obj)["subscription_details"].(donatetest.Obj)["metadata"].(donatetest.Obj)["appeal"] = ap.ID
		f.deliver(t, donatetest.Event("evt_a2", "invoice.paid", now, invoice))
		f.deliver(t, donatetest.Event("evt_a3", "checkout.session.completed", now,
			withAppeal(donatetest.SubscriptionSession("cs_a2", "sub_a2", "cus_a2", email, 500, "usd", "monthly"), ap.ID)))
		if d, err := st.DonationByProviderRef(ctx, "in_a2"); err != nil || d.AppealID != ap.ID {
			t.Errorf("first payment of a recurring donation = %+v, %v; want appeal %s", d, err, ap.ID)
		}
		if rd := f.recurring(t, "sub_a2"); rd.AppealID != ap.ID {
			t.Errorf("recurring donation = %+v; want appeal %s", rd, ap.ID)
		}

		f.deliver(t, donatetest.Event("evt_a4", "checkout.session.completed", now,
			withAppeal(donatetest.PaidSession("cs_a4", "pi_a4", email, 1000, "usd"), "deleted-appeal")))
		if d, err := st.DonationByProviderRef(ctx, "pi_a4"); err != nil || d.AppealID != "" {
			t.Errorf("a donation from an appeal since deleted = %+v, %v; want it recorded without the appeal", d, err)
		}
	})
}
