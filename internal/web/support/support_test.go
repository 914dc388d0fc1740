package support_test

import (
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/assets"
	"github.com/tamizdat/tamizdat/internal/donate"
	"github.com/tamizdat/tamizdat/internal/donate/donatetest"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
	"github.com/tamizdat/tamizdat/internal/vault"
	"github.com/tamizdat/tamizdat/internal/web/support"
)

// pages is the donation pages over a fresh store, with Stripe played by
// stripe-mock.
type pages struct {
	h      http.Handler
	store  *store.Store
	stripe *donatetest.Stripe
	donate *donate.Service
	appeal *model.Appeal // the default appeal, for all articles
}

func newPages(t *testing.T, limits donate.Limits) *pages {
	t.Helper()
	return newPagesWith(t, donate.Options{Limits: limits})
}

// newPagesWith is newPages with more of the donation service's options.
func newPagesWith(t *testing.T, opts donate.Options) *pages {
	t.Helper()
	st := storetest.New(t)
	if err := st.SaveSettings(t.Context(), model.DefaultSettings("The Outlet")); err != nil {
		t.Fatal(err)
	}
	ap := defaultAppeal(t, st)
	sm := donatetest.StartStripe(t)
	key := make([]byte, vault.KeySize)
	rand.Read(key)
	v, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts.Store, opts.Vault, opts.Log = st, v, log
	opts.Payments = donate.NewStripe(donate.StripeOptions{Key: "sk_test_x", WebhookSecret: donatetest.WebhookSecret, APIURL: sm.URL})
	svc := donate.New(opts)
	return &pages{h: routes(t, st, svc, log), store: st, stripe: sm, donate: svc, appeal: ap}
}

// defaultAppeal stores a new site's appeal in st.
func defaultAppeal(t *testing.T, st *store.Store) *model.Appeal {
	t.Helper()
	ap := model.DefaultAppeal("The Outlet")
	if err := st.SaveAppeal(t.Context(), &ap); err != nil {
		t.Fatal(err)
	}
	return &ap
}

func routes(t *testing.T, st *store.Store, svc *donate.Service, log *slog.Logger) http.Handler {
	t.Helper()
	set, err := assets.Load()
	if err != nil {
		t.Fatal(err)
	}
	s, err := support.New(support.Options{Store: st, Donate: svc, Assets: set, BaseURL: "https://news.example", Log: log})
	if err != nil {
		t.Fatal(err)
	}
	return s.Routes(func(h http.Handler) http.Handler { return h })
}

func (p *pages) post(target string, form url.Values) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.RemoteAddr = "198.51.100.7:40000"
	w := httptest.NewRecorder()
	p.h.ServeHTTP(w, r)
	return w
}

func (p *pages) get(target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	p.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	return w
}

func TestDonationPage(t *testing.T) {
	t.Parallel()
	p := newPages(t, donate.Limits{})
	w := p.get("http://news.example/support")
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("GET /support = %d\n%s", w.Code, body)
	}
	for _, want := range []string{
		"<h1>Support The Outlet</h1>", "A Message from The Outlet:", `action="./support/checkout"`,
		`name="amount_monthly" value="5"`, `id="freq-monthly" name="frequency" value="monthly" checked`,
		"Pay securely by card, Apple Pay or Google Pay.", `href="./static/`, "support.js",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the donation page lacks %q", want)
		}
	}
	if strings.Contains(body, "Before you give") {
		t.Error("a risk notice shows though none was written")
	}
	p.appeal.RiskNotice = "Giving from Russia **can be prosecuted**."
	if err := p.store.SaveAppeal(t.Context(), p.appeal); err != nil {
		t.Fatal(err)
	}
	if body := p.get("http://news.example/support").Body.String(); !strings.Contains(body, "Before you give") || !strings.Contains(body, "<strong>can be prosecuted</strong>") {
		t.Errorf("the risk notice is missing or not rendered from Markdown:\n%s", body)
	}
}

func TestDonationPageNotConfigured(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	defaultAppeal(t, st)
	h := routes(t, st, donate.New(donate.Options{Store: st}), slog.Default())
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/support", nil))
	if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, "Online donations are not open yet") || strings.Contains(body, "<form") {
		t.Errorf("without a payment provider: %d\n%s", w.Code, body)
	}
	w = httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/support/checkout", strings.NewReader("frequency=once&custom_amount=5"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	h.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("checkout without a payment provider = %d, want 503", w.Code)
	}
}

// TestCheckoutBadInput posts each kind of bad input: each gets the form
// back with a clear message next to the field, what the reader typed kept,
// and nothing sent to Stripe or stored.
func TestCheckoutBadInput(t *testing.T) {
	t.Parallel()
	p := newPages(t, donate.Limits{})
	for _, tc := range []struct {
		name, field, says string
		form              url.Values
	}{
		{"below the minimum", "amount", "The smallest donation is $2.", url.Values{"frequency": {"once"}, "custom_amount": {"1.50"}}},
		{"negative", "amount", "is negative", url.Values{"frequency": {"monthly"}, "custom_amount": {"-10"}}},
		{"non-numeric", "amount", "is not an amount", url.Values{"frequency": {"once"}, "custom_amount": {"ten dollars"}}},
		{"absurdly large", "amount", "The most we take here is $10,000.", url.Values{"frequency": {"once"}, "custom_amount": {"99999999999999999999999"}}},
		{"too many decimals", "amount", "more than two decimals", url.Values{"frequency": {"annual"}, "custom_amount": {"25.999"}}},
		{"unsupported currency", "currency", `cannot take donations in &#34;RUB&#34;`, url.Values{"frequency": {"once"}, "custom_amount": {"25"}, "currency": {"RUB"}}},
		{"no frequency", "frequency", "Choose how often", url.Values{"amount_once": {"25"}}},
		{"nothing chosen", "amount", "Choose an amount", url.Values{"frequency": {"monthly"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := p.post("http://news.example/support/checkout", tc.form)
			body := w.Body.String()
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", w.Code, body)
			}
			errTag := `<p class="small" id="` + tc.field + `-error"><strong>`
			i := strings.Index(body, errTag)
			if i < 0 || !strings.Contains(body[i:], tc.says) {
				t.Errorf("no message saying %q next to the %s field:\n%s", tc.says, tc.field, body)
			}
			if custom := tc.form.Get("custom_amount"); custom != "" && !strings.Contains(body, `value="`+custom+`"`) {
				t.Errorf("the typed amount %q was not kept", custom)
			}
			if f := tc.form.Get("frequency"); f != "" && !strings.Contains(body, `value="`+f+`" checked`) {
				t.Errorf("the chosen frequency %q was not kept", f)
			}
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", w.Header().Get("Cache-Control"))
			}
		})
	}
	if reqs := p.stripe.Requests(); len(reqs) != 0 {
		t.Errorf("bad input reached Stripe: %+v", reqs)
	}
}

func TestCheckoutContinuesToStripe(t *testing.T) {
	t.Parallel()
	p := newPages(t, donate.Limits{})
	w := p.post("http://news.example/support/checkout", url.Values{"frequency": {"monthly"}, "amount_monthly": {"10"}})
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d\n%s", w.Code, body)
	}
	reqs := p.stripe.Requests()
	if len(reqs) != 1 {
		t.Fatalf("Stripe requests: %+v", reqs)
	}
	form := reqs[0].Form
	if form.Get("mode") != "subscription" || form.Get("line_items[0][price_data][unit_amount]") != "1000" ||
		form.Get("success_url") != "https://news.example/support/thanks?frequency=monthly" || form.Get("cancel_url") != "https://news.example/support" {
		t.Errorf("checkout session asked for: %v", form)
	}
	for _, want := range []string{
		`<meta http-equiv="refresh" content="0; url=https://checkout.stripe.com/`,
		`<a href="https://checkout.stripe.com/`, "Your monthly donation of $10 is ready.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the continue page lacks %q:\n%s", want, body)
		}
	}
	if w.Header().Get("Location") != "" || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v: want no redirect of the POST and no caching", w.Header())
	}
	// Through an address that is not configured, the donor comes back to
	// that address.
	r := httptest.NewRequest(http.MethodPost, "http://mirror.test:8080/support/checkout", strings.NewReader("frequency=once&custom_amount=3"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	p.h.ServeHTTP(httptest.NewRecorder(), r)
	if got := p.stripe.Requests()[1].Form.Get("cancel_url"); got != "http://mirror.test:8080/support" {
		t.Errorf("cancel_url through another host = %q", got)
	}
}

func TestCheckoutRateLimited(t *testing.T) {
	t.Parallel()
	p := newPages(t, donate.Limits{PerRange: 1, RangeWindow: time.Hour, Global: 100, GlobalWindow: time.Hour})
	form := url.Values{"frequency": {"once"}, "amount_once": {"25"}}
	if w := p.post("/support/checkout", form); w.Code != http.StatusOK {
		t.Fatalf("first attempt = %d", w.Code)
	}
	w := p.post("/support/checkout", form)
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "try again in 60 minutes") || w.Header().Get("Retry-After") != "3600" {
		t.Errorf("second attempt = %d, Retry-After %q\n%s", w.Code, w.Header().Get("Retry-After"), w.Body.String())
	}
}

func TestRemindLater(t *testing.T) {
	t.Parallel()
	p := newPages(t, donate.Limits{})
	w := p.post("/support/remind-later", url.Values{"return": {"articles/a-story"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "../articles/a-story" {
		t.Fatalf("remind later = %d, Location %q", w.Code, w.Header().Get("Location"))
	}
	cookies := w.Result().Cookies()
	want := time.Now().UTC().AddDate(0, 0, 14).Format(time.DateOnly)
	if len(cookies) != 1 || cookies[0].Name != support.CookieName || cookies[0].Value != want || cookies[0].Path != "/" ||
		cookies[0].MaxAge != 15*24*3600 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode {
		t.Errorf("cookies = %+v; want one holding only %s", cookies, want)
	}
	for _, ok := range []string{"", "articles/x", "tags/world?page=2", "archive/2025/03", "tags/%D0%B2%D0%BE%D0%B9%D0%BD%D0%B0"} {
		if w := p.post("/support/remind-later", url.Values{"return": {ok}}); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "../"+ok {
			t.Errorf("return %q: %d, Location %q", ok, w.Code, w.Header().Get("Location"))
		}
	}
	for _, bad := range []string{
		"//evil.example/", "https://evil.example/", "/\\evil.example", "\\\\evil.example", "../../etc", "articles/../../x",
		"%2F%2Fevil.example", "articles/%2e%2e/x", "javascript:alert(1)", "articles/x?next=https://evil.example", "articles/x#top",
		"articles/\nx", strings.Repeat("a/", 300),
	} {
		t.Run(bad, func(t *testing.T) {
			w := p.post("/support/remind-later", url.Values{"return": {bad}})
			if w.Code != http.StatusBadRequest || w.Header().Get("Location") != "" || len(w.Result().Cookies()) != 0 {
				t.Errorf("return %q: %d, Location %q, cookies %v; want 400, no redirect and no cookie",
					bad, w.Code, w.Header().Get("Location"), w.Result().Cookies())
			}
		})
	}
}

// TestThanksRecordsNothing visits the success address, with a forged
// session too: the donor is thanked and nothing counts as paid.
func TestThanksRecordsNothing(t *testing.T) {
	t.Parallel()
	p := newPages(t, donate.Limits{})
	for _, tc := range []struct {
		target string
		days   int
	}{
		{"/support/thanks?frequency=once&session=cs_test_forged", 90},
		{"/support/thanks?frequency=annual", 365},
		{"/support/thanks", 90},
	} {
		w := p.get(tc.target)
		until := time.Now().UTC().AddDate(0, 0, tc.days).Format(time.DateOnly)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Thank you for supporting The Outlet") ||
			!strings.Contains(w.Body.String(), `data-appeal-hidden-until="`+until+`"`) {
			t.Errorf("%s = %d\n%s", tc.target, w.Code, w.Body.String())
		}
		if c := w.Result().Cookies(); len(c) != 1 || c[0].Value != until {
			t.Errorf("%s set cookies %v; want the appeal hidden until %s", tc.target, c, until)
		}
	}
	if n, err := p.donate.ProcessPending(t.Context()); err != nil || n != 0 {
		t.Errorf("events pending after the thank-you page: %d, %v", n, err)
	}
	if _, err := p.store.DonationByProviderRef(t.Context(), "cs_test_forged"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("a forged session counted as a donation (err %v)", err)
	}
	if len(p.stripe.Requests()) != 0 {
		t.Errorf("the thank-you page called Stripe: %+v", p.stripe.Requests())
	}
}

func TestWebhookEndpoint(t *testing.T) {
	t.Parallel()
	p := newPages(t, donate.Limits{})
	payload := donatetest.Event("evt_w", "checkout.session.completed", time.Now(), donatetest.PaidSession("cs_w", "pi_w", "w@example.org", 2000, "usd"))
	send := func(body []byte, sig string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/support/webhook", strings.NewReader(string(body)))
		r.Header.Set("Stripe-Signature", sig)
		w := httptest.NewRecorder()
		p.h.ServeHTTP(w, r)
		return w
	}
	for _, sig := range []string{"", "t=1,v1=00", donatetest.Sign("whsec_wrong", payload, time.Now()), donatetest.Sign(donatetest.WebhookSecret, payload, time.Now().Add(-time.Hour))} {
		if w := send(payload, sig); w.Code != http.StatusBadRequest {
			t.Errorf("signature %q: status %d, want 400", sig, w.Code)
		}
	}
	if _, err := p.store.DonationEventByID(t.Context(), "evt_w"); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("a rejected delivery was stored (err %v)", err)
	}
	for range 2 {
		w := send(payload, donatetest.Sign(donatetest.WebhookSecret, payload, time.Now()))
		if w.Code != http.StatusOK || w.Body.String() != "ok\n" {
			t.Fatalf("signed delivery: %d %q", w.Code, w.Body.String())
		}
	}
	d, err := p.store.DonationByProviderRef(t.Context(), "pi_w")
	if err != nil || d.Amount != 2000 {
		t.Errorf("donation = %+v, %v", d, err)
	}
	w := p.get("/support/webhook")
	if w.Code != http.StatusNotFound {
		t.Errorf("GET /support/webhook = %d, want 404", w.Code)
	}
}
