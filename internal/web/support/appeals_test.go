package support_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/donate"
	"github.com/tamizdat/tamizdat/internal/model"
)

// euroAppeal stores an active appeal for a tag that offers euros (minimum
// 5) and dollars (minimum 2), starting on euros.
func euroAppeal(t *testing.T, p *pages) *model.Appeal {
	t.Helper()
	germany := model.Tag{Slug: "germany", Name: "Germany"}
	if err := p.store.CreateTag(t.Context(), &germany); err != nil {
		t.Fatal(err)
	}
	ap := model.DefaultAppeal("The Outlet")
	ap.Heading, ap.Target = "Für unsere Leser", model.Target{Kind: model.TargetTag, Value: germany.ID}
	ap.Currencies, ap.Currency, ap.Minimums = []string{"EUR", "USD"}, "EUR", map[string]int{"EUR": 5, "USD": 2}
	ap.Amounts[model.Monthly] = []int{5, 10}
	if err := p.store.SaveAppeal(t.Context(), &ap); err != nil {
		t.Fatal(err)
	}
	return &ap
}

// TestAppealPage shows an appeal's own donation page, with its currencies
// to choose from, and falls back to the appeal for all articles.
func TestAppealPage(t *testing.T) {
	t.Parallel()
	p := newPages(t, donate.Limits{})
	ap := euroAppeal(t, p)
	w := p.get("http://news.example/support/appeal/" + ap.ID)
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("GET the appeal's page = %d\n%s", w.Code, body)
	}
	for _, want := range []string{
		"Für unsere Leser", `name="appeal" value="` + ap.ID + `"`, `action="../../support/checkout"`,
		`name="currency" value="EUR" checked`, `name="currency" value="USD">`, "Or another amount (€5 or $2 or more)", `min="2"`,
		`data-appeal-seen="../../support/seen/` + ap.ID + `"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the appeal's page lacks %q", want)
		}
	}
	for path, heading := range map[string]string{"/support/appeal/no-such-appeal": "A Message from The Outlet:", "/support": "A Message from The Outlet:"} {
		if body := p.get("http://news.example" + path).Body.String(); !strings.Contains(body, heading) || strings.Contains(body, "Für unsere Leser") {
			t.Errorf("GET %s does not show the appeal for all articles:\n%s", path, body)
		}
	}
	ap.Active = false
	if err := p.store.SaveAppeal(t.Context(), ap); err != nil {
		t.Fatal(err)
	}
	if body := p.get("http://news.example/support/appeal/" + ap.ID).Body.String(); strings.Contains(body, "Für unsere Leser") {
		t.Error("an inactive appeal's page still shows it")
	}
}

// TestCheckoutSecondCurrency pays in the appeal's second currency: Stripe
// is asked for that currency and amount, with the appeal in the metadata;
// the minimum is the currency's own.
func TestCheckoutSecondCurrency(t *testing.T) {
	t.Parallel()
	p := newPages(t, donate.Limits{})
	ap := euroAppeal(t, p)

	w := p.post("http://news.example/support/checkout", url.Values{"appeal": {ap.ID}, "frequency": {"once"}, "currency": {"EUR"}, "custom_amount": {"3"}})
	body := w.Body.String()
	if i := strings.Index(body, `<p class="small" id="amount-error"><strong>`); w.Code != http.StatusUnprocessableEntity || i < 0 ||
		!strings.Contains(body[i:], "The smallest donation is €5.") {
		t.Fatalf("3 EUR against a 5 EUR minimum = %d; want the EUR minimum next to the amount\n%s", w.Code, body)
	}
	if !strings.Contains(body, `name="currency" value="EUR" checked`) || !strings.Contains(body, "Für unsere Leser") {
		t.Error("the form came back without the reader's currency or its appeal")
	}
	w = p.post("http://news.example/support/checkout", url.Values{"appeal": {ap.ID}, "frequency": {"once"}, "currency": {"GBP"}, "custom_amount": {"30"}})
	if body := w.Body.String(); w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="currency-error"`) ||
		!strings.Contains(body, "Choose EUR or USD.") {
		t.Errorf("a currency the appeal does not offer = %d\n%s", w.Code, body)
	}
	if reqs := p.stripe.Requests(); len(reqs) != 0 {
		t.Fatalf("rejected choices reached Stripe: %+v", reqs)
	}

	w = p.post("http://news.example/support/checkout", url.Values{"appeal": {ap.ID}, "frequency": {"monthly"}, "currency": {"USD"}, "custom_amount": {"3"}})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Your monthly donation of $3 is ready.") {
		t.Fatalf("3 USD monthly = %d\n%s", w.Code, w.Body.String())
	}
	w = p.post("http://news.example/support/checkout", url.Values{"appeal": {ap.ID}, "frequency": {"once"}, "currency": {"EUR"}, "amount_once": {"25"}})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Your one-time donation of €25 is ready.") {
		t.Fatalf("25 EUR once = %d\n%s", w.Code, w.Body.String())
	}
	reqs := p.stripe.Requests()
	if len(reqs) != 2 {
		t.Fatalf("Stripe requests: %+v", reqs)
	}
	for i, want := range []map[string]string{
		{"mode": "subscription", "line_items[0][price_data][currency]": "usd", "line_items[0][price_data][unit_amount]": "300",
			"metadata[appeal]": ap.ID, "subscription_data[metadata][appeal]": ap.ID},
		{"mode": "payment", "line_items[0][price_data][currency]": "eur", "line_items[0][price_data][unit_amount]": "2500",
			"metadata[appeal]": ap.ID},
	} {
		for k, v := range want {
			if got := reqs[i].Form.Get(k); got != v {
				t.Errorf("checkout %d: %s = %q, want %q", i, k, got, v)
			}
		}
	}
}

// TestAppealSeen counts views of an appeal without a cookie, and answers
// the same for an appeal that does not exist.
func TestAppealSeen(t *testing.T) {
	t.Parallel()
	p := newPages(t, donate.Limits{})
	for _, id := range []string{p.appeal.ID, p.appeal.ID, "no-such-appeal"} {
		w := p.post("http://news.example/support/seen/"+id, nil)
		if w.Code != http.StatusNoContent || w.Header().Get("Set-Cookie") != "" || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("POST seen/%s = %d, headers %v", id, w.Code, w.Header())
		}
	}
	f, err := p.store.DonationFigures(t.Context(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Appeals) != 1 || f.Appeals[0].Views != 2 {
		t.Errorf("appeal figures = %+v; want 2 views", f.Appeals)
	}
}

// TestAppealSeenRateLimit checks that one address range cannot inflate an
// appeal's views, and that all ranges together are bounded too: past a
// limit the answer is 429 with Retry-After, and nothing is counted.
func TestAppealSeenRateLimit(t *testing.T) {
	t.Parallel()
	p := newPagesWith(t, donate.Options{ViewLimits: donate.Limits{PerRange: 3, RangeWindow: time.Hour, Global: 5, GlobalWindow: time.Hour}})
	seen := func(client string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "http://news.example/support/seen/"+p.appeal.ID, nil)
		r.RemoteAddr = client
		w := httptest.NewRecorder()
		p.h.ServeHTTP(w, r)
		return w
	}
	for i, step := range []struct {
		client  string
		want    int
		because string
	}{
		{"192.0.2.1:1000", http.StatusNoContent, "first view from a range"},
		{"192.0.2.1:1001", http.StatusNoContent, "second view"},
		{"192.0.2.200:1002", http.StatusNoContent, "third view, another address in the same /24"},
		{"192.0.2.1:1003", http.StatusTooManyRequests, "fourth view from the range"},
		{"192.0.2.99:1004", http.StatusTooManyRequests, "another address in the limited /24"},
		{"198.51.100.7:1005", http.StatusNoContent, "another range"},
		{"[2001:db8:1::1]:1006", http.StatusNoContent, "an IPv6 range, fifth view in all"},
		{"[2001:db8:2::1]:1007", http.StatusTooManyRequests, "a fresh range past the global limit"},
	} {
		w := seen(step.client)
		if w.Code != step.want {
			t.Errorf("step %d (%s): POST seen from %s = %d, want %d", i+1, step.because, step.client, w.Code, step.want)
		}
		if w.Code == http.StatusTooManyRequests {
			if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra < 1 {
				t.Errorf("step %d: Retry-After = %q, want whole seconds", i+1, w.Header().Get("Retry-After"))
			}
		}
		if w.Header().Get("Set-Cookie") != "" {
			t.Errorf("step %d: a cookie was set", i+1)
		}
	}
	f, err := p.store.DonationFigures(t.Context(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Appeals) != 1 || f.Appeals[0].Views != 5 {
		t.Errorf("appeal figures = %+v; want the 5 views that were let through", f.Appeals)
	}
}
