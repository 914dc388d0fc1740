package donate_test

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/donate"
	"github.com/tamizdat/tamizdat/internal/donate/donatetest"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

const email = "Reader.Canary@Example.org"

func TestOneTimeDonation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := newFixture(t, st, donate.Options{})
		now := time.Now()
		// A bank debit: the checkout completes before the money arrives.
		f.deliver(t, donatetest.Event("evt_1", "checkout.session.completed", now, donatetest.UnpaidSession("cs_1", "pi_1", email, 2500, "usd")))
		if _, err := f.svc.ExportDonor(t.Context(), email); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("an unpaid checkout made a donor record (err %v)", err)
		}
		paid := donatetest.Event("evt_2", "checkout.session.async_payment_succeeded", now, donatetest.PaidSession("cs_1", "pi_1", email, 2500, "usd"))
		for range 3 { // Stripe may deliver an event more than once.
			f.deliver(t, paid)
		}
		e := f.export(t, strings.ToUpper(email)) // an address is one donor whatever its case
		if diff := cmp.Diff([]string{"once 25.00 USD"}, amounts(e)); diff != "" {
			t.Errorf("donations (-want +got):\n%s", diff)
		}
		if e.Email != strings.ToLower(email) {
			t.Errorf("exported email %q, want %q", e.Email, strings.ToLower(email))
		}
		// A partial refund, then the full one, arriving in the wrong order.
		f.deliver(t, donatetest.Event("evt_4", "charge.refunded", now.Add(time.Minute), donatetest.RefundedCharge("ch_1", "pi_1", 2500, 2500, "usd")))
		f.deliver(t, donatetest.Event("evt_3", "charge.refunded", now, donatetest.RefundedCharge("ch_1", "pi_1", 2500, 1000, "usd")))
		if diff := cmp.Diff([]string{"once 25.00 USD refunded 25.00"}, amounts(f.export(t, email))); diff != "" {
			t.Errorf("after refunds (-want +got):\n%s", diff)
		}
	})
}

func TestRecurringDonation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := newFixture(t, st, donate.Options{})
		now := time.Now().Truncate(time.Second)
		at := func(d time.Duration) time.Time { return now.Add(d) }
		steps := []struct {
			event       []byte
			wantStatus  string
			wantAmount  int64
			wantFailed  int
			wantAmounts []string
		}{
			{donatetest.Event("evt_s1", "checkout.session.completed", at(0), donatetest.SubscriptionSession("cs_s", "sub_1", "cus_canary1", email, 500, "usd", "monthly")),
				"active", 500, 0, nil},
			{donatetest.Event("evt_s2", "invoice.paid", at(time.Second), donatetest.Invoice("in_1", "sub_1", "cus_canary1", email, 500, "usd", "monthly", true, at(time.Second))),
				"active", 500, 0, []string{"monthly 5.00 USD"}},
			{donatetest.Event("evt_s3", "invoice.payment_failed", at(time.Hour), donatetest.Invoice("in_2", "sub_1", "cus_canary1", email, 500, "usd", "monthly", false, at(time.Hour))),
				"active", 500, 1, []string{"monthly 5.00 USD"}},
			{donatetest.Event("evt_s4", "customer.subscription.updated", at(time.Hour+time.Second), donatetest.Subscription("sub_1", "cus_canary1", "past_due", 500, "usd", "month", time.Time{})),
				"past_due", 500, 1, []string{"monthly 5.00 USD"}},
			{donatetest.Event("evt_s5", "invoice.paid", at(2*time.Hour), donatetest.Invoice("in_2", "sub_1", "cus_canary1", email, 500, "usd", "monthly", true, at(2*time.Hour))),
				"past_due", 500, 1, []string{"monthly 5.00 USD", "monthly 5.00 USD"}},
			// The donor raises the amount in the customer portal.
			{donatetest.Event("evt_s6", "customer.subscription.updated", at(3*time.Hour), donatetest.Subscription("sub_1", "cus_canary1", "active", 1500, "usd", "month", time.Time{})),
				"active", 1500, 1, []string{"monthly 5.00 USD", "monthly 5.00 USD"}},
			{donatetest.Event("evt_s7", "customer.subscription.deleted", at(4*time.Hour), donatetest.Subscription("sub_1", "cus_canary1", "canceled", 1500, "usd", "month", at(4*time.Hour))),
				"canceled", 1500, 1, []string{"monthly 5.00 USD", "monthly 5.00 USD"}},
			// An update Stripe sent before the cancellation arrives late.
			{donatetest.Event("evt_s8", "customer.subscription.updated", at(3*time.Hour+time.Minute), donatetest.Subscription("sub_1", "cus_canary1", "active", 2500, "usd", "month", time.Time{})),
				"canceled", 1500, 1, []string{"monthly 5.00 USD", "monthly 5.00 USD"}},
		}
		for i, s := range steps {
			f.deliver(t, s.event)
			f.deliver(t, s.event) // and again: a replay changes nothing
			rd := f.recurring(t, "sub_1")
			if rd.Status != s.wantStatus || rd.Amount != s.wantAmount || rd.FailedPayments != s.wantFailed || rd.Frequency != model.Monthly {
				t.Errorf("step %d: recurring donation is %s %d %s, %d failed; want %s %d monthly, %d failed",
					i+1, rd.Status, rd.Amount, rd.Frequency, rd.FailedPayments, s.wantStatus, s.wantAmount, s.wantFailed)
			}
			if diff := cmp.Diff(s.wantAmounts, amounts(f.export(t, email))); diff != "" {
				t.Errorf("step %d: donations (-want +got):\n%s", i+1, diff)
			}
		}
		e := f.export(t, email)
		if len(e.Recurring) != 1 || e.Recurring[0].CustomerID != "cus_canary1" || e.Recurring[0].Status != "canceled" || !e.Recurring[0].CanceledAt.Equal(at(4*time.Hour)) {
			t.Errorf("exported recurring donations: %+v", e.Recurring)
		}
	})
}

// TestRecurringDonationOutOfOrder delivers a subscription's events newest
// first: the records must end as Stripe's final state.
func TestRecurringDonationOutOfOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := newFixture(t, st, donate.Options{})
		now := time.Now().Truncate(time.Second)
		events := [][]byte{
			donatetest.Event("evt_o1", "customer.subscription.created", now, donatetest.Subscription("sub_o", "cus_o", "incomplete", 10000, "eur", "year", time.Time{})),
			donatetest.Event("evt_o2", "checkout.session.completed", now.Add(time.Second), donatetest.SubscriptionSession("cs_o", "sub_o", "cus_o", email, 10000, "eur", "annual")),
			donatetest.Event("evt_o3", "invoice.paid", now.Add(time.Second), donatetest.Invoice("in_o", "sub_o", "cus_o", email, 10000, "eur", "annual", true, now.Add(time.Second))),
			donatetest.Event("evt_o4", "customer.subscription.updated", now.Add(2*time.Second), donatetest.Subscription("sub_o", "cus_o", "active", 10000, "eur", "year", time.Time{})),
			donatetest.Event("evt_o5", "customer.subscription.deleted", now.Add(time.Hour), donatetest.Subscription("sub_o", "cus_o", "canceled", 10000, "eur", "year", now.Add(time.Hour))),
		}
		for i := len(events) - 1; i >= 0; i-- {
			f.deliver(t, events[i])
		}
		rd := f.recurring(t, "sub_o")
		if rd.Status != "canceled" || rd.Amount != 10000 || rd.Currency != "EUR" || rd.Frequency != model.Annual || rd.DonorID == "" {
			t.Errorf("after newest-first delivery: %+v; want canceled, 100.00 EUR annual, with its donor", rd)
		}
		if diff := cmp.Diff([]string{"annual 100.00 EUR"}, amounts(f.export(t, email))); diff != "" {
			t.Errorf("donations (-want +got):\n%s", diff)
		}
	})
}

// TestWebhookSignature sends events a forger or a replayer could send:
// each is refused before anything is written.
func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := newFixture(t, st, donate.Options{})
		payload := donatetest.Event("evt_forged", "checkout.session.completed", time.Now(), donatetest.PaidSession("cs_f", "pi_f", email, 900000, "usd"))
		now := time.Now()
		for _, tc := range []struct {
			name, header string
			body         []byte
		}{
			{"forged with another secret", donatetest.Sign("whsec_attacker", payload, now), payload},
			{"stale timestamp", donatetest.Sign(donatetest.WebhookSecret, payload, now.Add(-6*time.Minute)), payload},
			{"missing header", "", payload},
			{"body changed after signing", donatetest.Sign(donatetest.WebhookSecret, payload, now), []byte(strings.Replace(string(payload), "900000", "900001", 1))},
			{"garbage header", "t=abc,v1=zz", payload},
			{"v0 scheme only", strings.Replace(donatetest.Sign(donatetest.WebhookSecret, payload, now), "v1=", "v0=", 1), payload},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := f.svc.Receive(t.Context(), tc.body, tc.header)
				if !errors.Is(err, donate.ErrBadSignature) {
					t.Errorf("error = %v, want ErrBadSignature", err)
				}
			})
		}
		if _, err := st.DonationEventByID(t.Context(), "evt_forged"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a refused event reached the inbox (err %v)", err)
		}
		if _, err := f.svc.ExportDonor(t.Context(), email); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a refused event made a donor (err %v)", err)
		}
		if _, err := st.DonationByProviderRef(t.Context(), "pi_f"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a refused event made a donation (err %v)", err)
		}
	})
}

// TestConcurrentDelivery delivers one event five times at once.
func TestConcurrentDelivery(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := newFixture(t, st, donate.Options{})
		payload := donatetest.Event("evt_c", "invoice.paid", time.Now(), donatetest.Invoice("in_c", "sub_c", "cus_c", email, 700, "usd", "monthly", true, time.Now()))
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() { f.deliver(t, payload) })
		}
		wg.Wait()
		if diff := cmp.Diff([]string{"monthly 7.00 USD"}, amounts(f.export(t, email))); diff != "" {
			t.Errorf("donations (-want +got):\n%s", diff)
		}
	})
}

func TestRefundOfRecurringDonation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t), donate.Options{})
	now := time.Now()
	f.deliver(t, donatetest.Event("evt_r1", "invoice.paid", now, donatetest.Invoice("in_r", "sub_r", "cus_r", email, 1200, "gbp", "monthly", true, now)))
	// The charge names only its payment intent; Stripe says which invoice
	// that paid.
	f.stripe.Override("GET /v1/invoice_payments", donatetest.InvoicePayments("in_r", "pi_r"))
	f.deliver(t, donatetest.Event("evt_r2", "charge.refunded", now, donatetest.RefundedCharge("ch_r", "pi_r", 1200, 1200, "gbp")))
	if diff := cmp.Diff([]string{"monthly 12.00 GBP refunded 12.00"}, amounts(f.export(t, email))); diff != "" {
		t.Errorf("donations (-want +got):\n%s", diff)
	}
}

// TestUnknownPayment refunds a payment no donation records, and checks an
// event of a kind the service ignores: neither changes anything nor fails.
func TestUnknownPayment(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t), donate.Options{})
	now := time.Now()
	f.deliver(t, donatetest.Event("evt_u0", "checkout.session.completed", now, donatetest.PaidSession("cs_u", "pi_known", email, 300, "usd")))
	f.deliver(t, donatetest.Event("evt_u1", "charge.refunded", now, donatetest.RefundedCharge("ch_u", "pi_unknown", 5000, 5000, "usd")))
	f.deliver(t, donatetest.Event("evt_u2", "customer.created", now, donatetest.Obj{"id": "cus_x", "object": "customer", "email": "other@example.org"}))
	ev, err := f.store.DonationEventByID(t.Context(), "evt_u1")
	if err != nil || ev.ProcessedAt.IsZero() {
		t.Errorf("the refund of an unknown payment = %+v, %v; want it processed (nothing to do)", ev, err)
	}
	if _, err := f.store.DonationEventByID(t.Context(), "evt_u2"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("an event of an ignored kind was stored (err %v)", err)
	}
	if diff := cmp.Diff([]string{"once 3.00 USD"}, amounts(f.export(t, email))); diff != "" {
		t.Errorf("donations (-want +got):\n%s", diff)
	}
	if _, err := f.svc.ExportDonor(t.Context(), "other@example.org"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("an ignored event made a donor (err %v)", err)
	}
}

// TestNoPlaintextInDatabase reads the raw SQLite files after donations
// have been recorded: the donor's email and Stripe customer ID must not be
// in them, in the records or in the event inbox.
func TestNoPlaintextInDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(dir, "canary.db"), store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, st, donate.Options{})
	now := time.Now()
	f.deliver(t, donatetest.Event("evt_p1", "checkout.session.completed", now, donatetest.SubscriptionSession("cs_p", "sub_p", "cus_canaryCustomer", email, 500, "usd", "monthly")))
	f.deliver(t, donatetest.Event("evt_p2", "invoice.paid", now, donatetest.Invoice("in_p", "sub_p", "cus_canaryCustomer", email, 500, "usd", "monthly", true, now)))
	f.deliver(t, donatetest.Event("evt_p3", "checkout.session.completed", now, donatetest.PaidSession("cs_q", "pi_q", "second.canary@example.org", 300, "usd")))
	// An event stored but not yet processed keeps its payload: sealed too.
	pending := donatetest.Event("evt_p4", "invoice.paid", now, donatetest.Invoice("in_q", "sub_q", "cus_canaryCustomer", "third.canary@example.org", 500, "usd", "monthly", true, now))
	if _, err := st.SaveDonationEvent(t.Context(), &store.DonationEvent{ID: "evt_p4", Type: "invoice.paid", Created: now, PayloadSealed: f.vault.Seal(string(pending), "payment event")}); err != nil {
		t.Fatal(err)
	}
	if len(f.export(t, email).Donations) != 1 {
		t.Fatal("the donation was not recorded, so the check below would prove nothing")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "canary.db*"))
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		lower := strings.ToLower(string(raw))
		for _, canary := range []string{"canary@example.org", "canarycustomer"} {
			if strings.Contains(lower, canary) {
				t.Errorf("%s contains %q in plain text", filepath.Base(file), canary)
			}
		}
	}
}

func TestExportAndDeleteDonor(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := newFixture(t, st, donate.Options{})
		now := time.Now()
		f.deliver(t, donatetest.Event("evt_d1", "checkout.session.completed", now, donatetest.SubscriptionSession("cs_d", "sub_d", "cus_d", email, 500, "usd", "monthly")))
		f.deliver(t, donatetest.Event("evt_d2", "invoice.paid", now, donatetest.Invoice("in_d", "sub_d", "cus_d", email, 500, "usd", "monthly", true, now)))
		f.deliver(t, donatetest.Event("evt_d3", "checkout.session.completed", now, donatetest.PaidSession("cs_e", "pi_e", email, 5000, "usd")))
		e := f.export(t, email)
		if len(e.Donations) != 2 || len(e.Recurring) != 1 || e.Recurring[0].SubscriptionID != "sub_d" || e.DonorSince.IsZero() {
			t.Fatalf("export = %+v", e)
		}
		if err := f.svc.DeleteDonor(t.Context(), email); err != nil {
			t.Fatal(err)
		}
		var canceled bool
		for _, r := range f.stripe.Requests() {
			if r.Method == "DELETE" && r.Path == "/v1/subscriptions/sub_d" && r.IdempotencyKey != "" {
				canceled = true
			}
		}
		if !canceled {
			t.Errorf("the live recurring donation was not canceled at Stripe before erasure: %+v", f.stripe.Requests())
		}
		if _, err := f.svc.ExportDonor(t.Context(), email); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("after erasure, export = %v; want ErrNotFound", err)
		}
		if err := f.svc.DeleteDonor(t.Context(), email); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("erasing again = %v; want ErrNotFound", err)
		}
		d, err := st.DonationByProviderRef(t.Context(), "pi_e")
		if err != nil || d.DonorID != "" || d.Amount != 5000 {
			t.Errorf("after erasure the gift is %+v, %v; want it kept, anonymous, for the figures", d, err)
		}
	})
}

func TestPurgeDonors(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		clock := storetest.NewClock(time.Now())
		st := storetest.NewEngine(t, engine, store.Options{Now: clock.Now})
		f := newFixture(t, st, donate.Options{Now: clock.Now})
		now := time.Now()
		f.deliver(t, donatetest.Event("evt_g1", "checkout.session.completed", now, donatetest.PaidSession("cs_g", "pi_g", "once@example.org", 300, "usd")))
		f.deliver(t, donatetest.Event("evt_g2", "invoice.paid", now, donatetest.Invoice("in_g", "sub_g", "cus_g", "monthly@example.org", 500, "usd", "monthly", true, now)))
		clock.Advance(3 * 365 * 24 * time.Hour)
		n, err := f.svc.PurgeDonors(t.Context(), 2*365*24*time.Hour)
		if err != nil || n != 1 {
			t.Fatalf("purge = %d, %v; want the one-time donor only", n, err)
		}
		if _, err := f.svc.ExportDonor(t.Context(), "once@example.org"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("the lapsed donor is still there (err %v)", err)
		}
		f.export(t, "monthly@example.org") // a live recurring donor stays
	})
}

// TestReconcile drops a day of webhooks, then reconciles from Stripe's
// list of events: the records must end as if every webhook had arrived,
// and a second run must change nothing.
func TestReconcile(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := newFixture(t, st, donate.Options{})
		day := time.Now().Add(-20 * time.Hour).Truncate(time.Second)
		delivered := donatetest.Event("evt_k1", "checkout.session.completed", day, donatetest.PaidSession("cs_k", "pi_k", email, 1000, "usd"))
		f.deliver(t, delivered)
		missed := [][]byte{
			donatetest.Event("evt_k2", "checkout.session.completed", day.Add(time.Hour), donatetest.SubscriptionSession("cs_l", "sub_k", "cus_k", email, 300, "usd", "monthly")),
			donatetest.Event("evt_k3", "invoice.paid", day.Add(time.Hour), donatetest.Invoice("in_k", "sub_k", "cus_k", email, 300, "usd", "monthly", true, day.Add(time.Hour))),
			donatetest.Event("evt_k4", "customer.subscription.updated", day.Add(2*time.Hour), donatetest.Subscription("sub_k", "cus_k", "active", 800, "usd", "month", time.Time{})),
			donatetest.Event("evt_k5", "charge.refunded", day.Add(3*time.Hour), donatetest.RefundedCharge("ch_k", "pi_k", 1000, 400, "usd")),
		}
		f.stripe.Override("GET /v1/events", donatetest.EventList(append([][]byte{delivered}, missed...)...))
		rep, err := f.svc.Reconcile(t.Context(), time.Now().Add(-24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if rep != (donate.ReconcileReport{Listed: 5, Missed: 4, Processed: 4}) {
			t.Errorf("report = %+v; want 5 listed, 4 missed, 4 processed", rep)
		}
		var asked bool
		for _, r := range f.stripe.Requests() {
			if r.Path == "/v1/events" && r.Form.Get("created[gte]") != "" && r.Form.Get("types[0]") != "" {
				asked = true
			}
		}
		if !asked {
			t.Errorf("Stripe was not asked for events by time and type: %+v", f.stripe.Requests())
		}
		check := func() {
			t.Helper()
			if diff := cmp.Diff([]string{"once 10.00 USD refunded 4.00", "monthly 3.00 USD"}, amounts(f.export(t, email))); diff != "" {
				t.Errorf("donations (-want +got):\n%s", diff)
			}
			if rd := f.recurring(t, "sub_k"); rd.Status != "active" || rd.Amount != 800 {
				t.Errorf("recurring donation %s %d; want active 800", rd.Status, rd.Amount)
			}
		}
		check()
		rep, err = f.svc.Reconcile(t.Context(), time.Now().Add(-24*time.Hour))
		if err != nil || rep != (donate.ReconcileReport{Listed: 5}) {
			t.Errorf("second run: %+v, %v; want 5 listed and nothing else", rep, err)
		}
		check()
	})
}

// TestUndecodableEvent delivers a signed event whose object this build
// cannot read: it is acknowledged and kept in the inbox, unprocessed, for
// a later build or a person, rather than refused and lost.
func TestUndecodableEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t), donate.Options{Log: slog.New(slog.DiscardHandler)})
	f.deliver(t, donatetest.Event("evt_x", "customer.subscription.updated", time.Now(), donatetest.Subscription("sub_x", "cus_x", "hibernating", 500, "usd", "month", time.Time{})))
	ev, err := f.store.DonationEventByID(t.Context(), "evt_x")
	if err != nil || !ev.ProcessedAt.IsZero() || ev.Attempts != 1 || ev.PayloadSealed == "" || ev.LastError == "" {
		t.Errorf("stored event = %+v, %v; want it pending, tried once, its payload and error kept", ev, err)
	}
	if strings.Contains(ev.LastError, "hibernating") {
		t.Errorf("the recorded error is in plain text: %q", ev.LastError)
	}
	if _, err := f.store.RecurringDonationByProviderID(t.Context(), "sub_x"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("an undecodable event changed the records (err %v)", err)
	}
}
