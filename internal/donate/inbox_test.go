package donate

import (
	"crypto/rand"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/donate/donatetest"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
	"github.com/tamizdat/tamizdat/internal/vault"
)

func testVault(t *testing.T) *vault.Vault {
	t.Helper()
	key := make([]byte, vault.KeySize)
	rand.Read(key)
	v, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestInboxSurvivesCrash stores an event the way Receive does and stops,
// as a process killed after acknowledging the webhook would; a new service
// over the same database then processes it exactly once.
func TestInboxSurvivesCrash(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		sm := donatetest.StartStripe(t)
		v := testVault(t)
		pay := NewStripe(StripeOptions{Key: "sk_test", WebhookSecret: donatetest.WebhookSecret, APIURL: sm.URL})
		payload := donatetest.Event("evt_crash", "checkout.session.completed", time.Now(), donatetest.PaidSession("cs_x", "pi_x", "crash@example.org", 1500, "usd"))
		ev, err := pay.VerifyEvent(payload, donatetest.Sign(donatetest.WebhookSecret, payload, time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		before := New(Options{Store: st, Vault: v, Payments: pay})
		if _, err := before.save(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
		after := New(Options{Store: st, Vault: v, Payments: pay})
		for i, want := range []int{1, 0} {
			n, err := after.ProcessPending(t.Context())
			if err != nil || n != want {
				t.Fatalf("run %d processed %d, %v; want %d", i+1, n, err, want)
			}
		}
		d, err := st.DonationByProviderRef(t.Context(), "pi_x")
		if err != nil || d.Amount != 1500 || d.DonorID == "" {
			t.Errorf("donation = %+v, %v", d, err)
		}
	})
}

// TestFailedProcessingIsRetried acknowledges an event whose processing
// needs Stripe while Stripe is unreachable; the event waits in the inbox
// and is processed once Stripe answers again.
func TestFailedProcessingIsRetried(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	v := testVault(t)
	log := slog.New(slog.DiscardHandler)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()
	offline := New(Options{Store: st, Vault: v, Log: log,
		Payments: NewStripe(StripeOptions{Key: "sk_test", WebhookSecret: donatetest.WebhookSecret, APIURL: down})})
	now := time.Now()
	paid := donatetest.Event("evt_i1", "invoice.paid", now, donatetest.Invoice("in_i", "sub_i", "cus_i", "retry@example.org", 900, "usd", "monthly", true, now))
	refund := donatetest.Event("evt_i2", "charge.refunded", now, donatetest.RefundedCharge("ch_i", "pi_i", 900, 900, "usd"))
	for _, p := range [][]byte{paid, refund} {
		if err := offline.Receive(t.Context(), p, donatetest.Sign(donatetest.WebhookSecret, p, time.Now())); err != nil {
			t.Fatalf("Receive = %v; a stored event must be acknowledged even when its processing fails", err)
		}
	}
	pending, err := st.PendingDonationEvents(t.Context(), maxAttempts, 10)
	if err != nil || len(pending) != 1 || pending[0].ID != "evt_i2" || pending[0].Attempts != 1 || pending[0].LastError == "" {
		t.Fatalf("pending = %+v, %v; want the refund, tried once, with its error", pending, err)
	}
	sm := donatetest.StartStripe(t)
	sm.Override("GET /v1/invoice_payments", donatetest.InvoicePayments("in_i", "pi_i"))
	online := New(Options{Store: st, Vault: v, Log: log,
		Payments: NewStripe(StripeOptions{Key: "sk_test", WebhookSecret: donatetest.WebhookSecret, APIURL: sm.URL})})
	if n, err := online.ProcessPending(t.Context()); err != nil || n != 1 {
		t.Fatalf("ProcessPending = %d, %v; want 1", n, err)
	}
	d, err := st.DonationByProviderRef(t.Context(), "in_i")
	if err != nil || d.AmountRefunded != 900 {
		t.Errorf("donation after the retry = %+v, %v; want it refunded", d, err)
	}
}
