package donate_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/donate"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// TestCheckout opens a checkout of each frequency at stripe-mock, which
// validates every request against Stripe's API description, and checks
// what was asked for.
func TestCheckout(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t), donate.Options{})
	for _, tc := range []struct {
		choice donate.Choice
		want   map[string]string // form fields sent to Stripe; "" means absent
	}{
		{donate.Choice{Frequency: model.Once, Money: donate.Money{Amount: 2550, Currency: "EUR"}}, map[string]string{
			"mode": "payment", "submit_type": "donate",
			"line_items[0][price_data][unit_amount]":         "2550",
			"line_items[0][price_data][currency]":            "eur",
			"line_items[0][price_data][product_data][name]":  "Donation to The Outlet",
			"line_items[0][price_data][recurring][interval]": "",
			"line_items[0][quantity]":                        "1",
			"metadata[frequency]":                            "once",
			"subscription_data[metadata][frequency]":         "",
		}},
		{donate.Choice{Frequency: model.Monthly, Money: donate.Money{Amount: 500, Currency: "USD"}}, map[string]string{
			"mode": "subscription", "submit_type": "",
			"line_items[0][price_data][unit_amount]":         "500",
			"line_items[0][price_data][currency]":            "usd",
			"line_items[0][price_data][recurring][interval]": "month",
			"line_items[0][price_data][product_data][name]":  "Monthly donation to The Outlet",
			"subscription_data[metadata][frequency]":         "monthly",
		}},
		{donate.Choice{Frequency: model.Annual, Money: donate.Money{Amount: 10000, Currency: "USD"}}, map[string]string{
			"mode": "subscription",
			"line_items[0][price_data][recurring][interval]": "year",
			"line_items[0][price_data][product_data][name]":  "Annual donation to The Outlet",
			"subscription_data[metadata][frequency]":         "annual",
		}},
	} {
		t.Run(string(tc.choice.Frequency), func(t *testing.T) {
			before := len(f.stripe.Requests())
			co, err := f.svc.StartCheckout(t.Context(), tc.choice, "192.0.2.1:4444", "The Outlet",
				"https://news.example/support/thanks?session={CHECKOUT_SESSION_ID}", "https://news.example/support")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(co.URL, "https://checkout.stripe.com/") || !strings.HasPrefix(co.ID, "cs_") {
				t.Errorf("checkout = %+v; want a Checkout Session and its checkout.stripe.com address", co)
			}
			reqs := f.stripe.Requests()[before:]
			if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Path != "/v1/checkout/sessions" {
				t.Fatalf("requests to Stripe: %+v; want one POST /v1/checkout/sessions", reqs)
			}
			form := reqs[0].Form
			for k, want := range tc.want {
				if got := form.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if form.Get("success_url") != "https://news.example/support/thanks?session={CHECKOUT_SESSION_ID}" || form.Get("cancel_url") != "https://news.example/support" {
				t.Errorf("return addresses: success %q, cancel %q", form.Get("success_url"), form.Get("cancel_url"))
			}
			if !strings.HasPrefix(reqs[0].IdempotencyKey, "checkout-") {
				t.Errorf("Idempotency-Key = %q; want one derived from the checkout intent", reqs[0].IdempotencyKey)
			}
		})
	}
	keys := map[string]bool{}
	for _, r := range f.stripe.Requests() {
		if keys[r.IdempotencyKey] {
			t.Errorf("two checkouts shared the idempotency key %q", r.IdempotencyKey)
		}
		keys[r.IdempotencyKey] = true
	}
}

func TestCheckoutRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t), donate.Options{Limits: donate.Limits{PerRange: 2, RangeWindow: time.Hour, Global: 3, GlobalWindow: time.Hour}})
	choice := donate.Choice{Frequency: model.Once, Money: donate.Money{Amount: 500, Currency: "USD"}}
	start := func(addr string) error {
		_, err := f.svc.StartCheckout(t.Context(), choice, addr, "Site", "https://x.example/thanks", "https://x.example/support")
		return err
	}
	for _, addr := range []string{"10.0.0.1:1", "10.0.0.2:1"} {
		if err := start(addr); err != nil {
			t.Fatal(err)
		}
	}
	var rl *donate.RateLimitError
	if err := start("10.0.0.99:1"); !errors.As(err, &rl) || rl.Global || rl.RetryAfter <= 0 || rl.RetryAfter > 30*time.Minute {
		t.Errorf("third attempt from one /24 = %v; want a range limit with a wait of at most 30 minutes", err)
	}
	if err := start("10.0.1.1:1"); err != nil {
		t.Errorf("another range was refused: %v", err)
	}
	if err := start("10.0.2.1:1"); !errors.As(err, &rl) || !rl.Global {
		t.Errorf("fourth attempt overall = %v; want the global limit", err)
	}
	if n := len(f.stripe.Requests()); n != 3 {
		t.Errorf("Stripe was asked %d times; refused attempts must not reach it (want 3)", n)
	}
}

func TestCheckoutNotConfigured(t *testing.T) {
	t.Parallel()
	svc := donate.New(donate.Options{Store: storetest.New(t)})
	_, err := svc.StartCheckout(t.Context(), donate.Choice{Frequency: model.Once, Money: donate.Money{Amount: 500, Currency: "USD"}}, "10.0.0.1:1", "S", "https://a/", "https://a/")
	if !errors.Is(err, donate.ErrNotConfigured) {
		t.Errorf("error = %v, want ErrNotConfigured", err)
	}
	if err := svc.Receive(t.Context(), []byte("{}"), "t=1,v1=00"); !errors.Is(err, donate.ErrNotConfigured) {
		t.Errorf("webhook error = %v, want ErrNotConfigured", err)
	}
}
