package cli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/donate/donatetest"
	"github.com/tamizdat/tamizdat/internal/store"
)

func TestDonationsReconcile(t *testing.T) {
	sm := donatetest.StartStripe(t)
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "t.db")
	now := time.Now()
	sm.Override("GET /v1/events", donatetest.EventList(
		donatetest.Event("evt_cli", "checkout.session.completed", now.Add(-time.Hour), donatetest.PaidSession("cs_cli", "pi_cli", "cli@example.org", 4200, "eur")),
	))
	args := []string{"donations", "reconcile", "--db", db, "--secret-key-file", filepath.Join(dir, "secret.key"),
		"--stripe-key", "sk_test_cli", "--stripe-api-url", sm.URL, "--since", "2h", "--log-level", "warn"}
	for run, want := range []string{"1 had not arrived by webhook; 1 events processed", "0 had not arrived by webhook; 0 events processed"} {
		var out bytes.Buffer
		if code := Run(t.Context(), args, noEnv, &out, &out); code != 0 || !strings.Contains(out.String(), want) {
			t.Fatalf("run %d: exit %d, output:\n%s\nwant %q", run+1, code, out.String(), want)
		}
	}
	st, err := store.Open(t.Context(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if d, err := st.DonationByProviderRef(t.Context(), "pi_cli"); err != nil || d.Amount != 4200 || d.Currency != "EUR" {
		t.Errorf("donation after reconciling = %+v, %v", d, err)
	}

	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"donations", "reconcile", "--db", db}, "donations are not set up"},
		{[]string{"donations", "reconcile", "--db", db, "--stripe-key", "sk_test_x", "--since", "2000h"}, "Stripe keeps events for 30 days"},
		{[]string{"donations", "reconcile", "--db", db, "--stripe-key", "pk_test_x"}, "never the publishable pk_ key"},
	} {
		var out bytes.Buffer
		if code := Run(t.Context(), tc.args, noEnv, &out, &out); code == 0 || !strings.Contains(out.String(), tc.says) {
			t.Errorf("%v: exit %d, output:\n%s\nwant it to say %q", tc.args, code, out.String(), tc.says)
		}
	}
}
