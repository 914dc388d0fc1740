package donate_test

import (
	"crypto/rand"
	"log/slog"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/donate"
	"github.com/tamizdat/tamizdat/internal/donate/donatetest"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/vault"
)

// fixture is a donation service over a real store, with Stripe's API
// played by stripe-mock.
type fixture struct {
	svc    *donate.Service
	store  *store.Store
	stripe *donatetest.Stripe
	vault  *vault.Vault
}

func newFixture(t *testing.T, st *store.Store, opts donate.Options) *fixture {
	t.Helper()
	sm := donatetest.StartStripe(t)
	key := make([]byte, vault.KeySize)
	rand.Read(key)
	v, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	opts.Store, opts.Vault = st, v
	opts.Payments = donate.NewStripe(donate.StripeOptions{Key: "sk_test_tamizdat", WebhookSecret: donatetest.WebhookSecret, APIURL: sm.URL})
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return &fixture{svc: donate.New(opts), store: st, stripe: sm, vault: v}
}

// deliver sends payload as Stripe would, signed now.
func (f *fixture) deliver(t *testing.T, payload []byte) {
	t.Helper()
	if err := f.svc.Receive(t.Context(), payload, donatetest.Sign(donatetest.WebhookSecret, payload, time.Now())); err != nil {
		t.Fatalf("deliver: %v", err)
	}
}

// export returns what is kept about a donor, failing the test if nothing.
func (f *fixture) export(t *testing.T, email string) donate.DonorExport {
	t.Helper()
	e, err := f.svc.ExportDonor(t.Context(), email)
	if err != nil {
		t.Fatalf("export %s: %v", email, err)
	}
	return e
}

func (f *fixture) recurring(t *testing.T, id string) store.RecurringDonation {
	t.Helper()
	rd, err := f.store.RecurringDonationByProviderID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rd
}

// amounts lists a donor's donations as "frequency amount currency
// [refunded]" lines.
func amounts(e donate.DonorExport) []string {
	var out []string
	for _, d := range e.Donations {
		line := d.Frequency + " " + d.Amount + " " + d.Currency
		if d.Refunded != "" {
			line += " refunded " + d.Refunded
		}
		out = append(out, line)
	}
	return out
}
