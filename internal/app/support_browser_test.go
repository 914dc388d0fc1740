package app

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/donate/donatetest"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
	"github.com/tamizdat/tamizdat/internal/web"
)

// TestDonationFlowInBrowser clicks through the appeal on the demo article
// page in a real browser with JavaScript off, up to the browser being sent
// to the Checkout page stripe-mock made, and checks that "Remind me later"
// hides the appeal for that browser only.
//
// The reader pages allow forms to post only to the site (form-action
// 'self'), and Chrome applies that to where a form's redirects lead. A
// control form whose POST answers with a redirect to Stripe shows that
// this matters: its navigation must be blocked, while the real flow gets
// through.
func TestDonationFlowInBrowser(t *testing.T) {
	ctx := browser(t)
	sm := donatetest.StartStripe(t)
	st := storetest.New(t)
	cfg := config.Config{Demo: true, CacheBytes: 16 << 20, CacheMaxAge: time.Minute, BaseURL: "https://news.example",
		StripeKey: "sk_test_browser", StripeWebhookSecret: donatetest.WebhookSecret, StripeAPIURL: sm.URL}
	if err := prepare(t.Context(), st, cfg, quietLog); err != nil {
		t.Fatal(err)
	}
	h, refresh, err := Handler(t.Context(), st, cfg, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/control/", web.SecurityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			http.Redirect(w, r, "https://checkout.stripe.com/c/pay/cs_test_control", http.StatusSeeOther)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>control</title><form method="post" action="/control/go"><button>Go</button></form>`)
	})))
	mux.Handle("/", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	addMirrors(t, st, refresh, srv.URL+"/")
	article := srv.URL + "/articles/" + content.Slug(seedTitle)

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Stripe's host is out of reach here: the browser's requests to it
	// are answered by the test, and recorded.
	var mu sync.Mutex
	var toStripe []string
	paused := make(chan *fetch.EventRequestPaused, 16)
	must(chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			paused <- e
		}
	}))
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-paused:
				mu.Lock()
				toStripe = append(toStripe, string(e.ResourceType)+" "+e.Request.URL)
				mu.Unlock()
				chromedp.Call(ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
					RequestID: e.RequestID, ResponseCode: 200,
					ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/html"}},
					Body:            []byte("<!doctype html><title>Stripe Checkout</title><h1>Stripe Checkout (test)</h1>"),
				})
			}
		}
	}()
	// stripeVisits lists the pages (not the favicon) the browser opened
	// on Stripe's host.
	stripeVisits := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var pages []string
		for _, v := range toStripe {
			if strings.HasPrefix(v, "Document ") {
				pages = append(pages, v)
			}
		}
		return pages
	}
	_, err = chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "https://checkout.stripe.com/*"}}})
	must(err)
	_, err = chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	must(err)
	// waitLocation waits until the browser's address is want, or starts
	// with it when want ends in "…".
	waitLocation := func(want string) string {
		t.Helper()
		prefix, isPrefix := strings.CutSuffix(want, "…")
		var loc string
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			loc, err = chromedp.Run(ctx, chromedp.Location())
			if err == nil && (loc == want || isPrefix && strings.HasPrefix(loc, prefix)) {
				return loc
			}
		}
		t.Fatalf("the browser is at %q, not at %s", loc, want)
		return ""
	}

	// The control: a POST answered with a redirect to Stripe is blocked.
	must(chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/control/"), chromedp.Click("button")))
	time.Sleep(2 * time.Second)
	if v := stripeVisits(); len(v) != 0 {
		t.Fatalf("the control form's redirect to Stripe was followed (%v), so the test cannot tell whether form-action matters", v)
	}

	// Monthly is preselected; choose $10 and continue.
	must(chromedp.Do(ctx,
		chromedp.Navigate(article),
		chromedp.WaitReady("footer"),
		chromedp.Click(`label:has(input[name="amount_monthly"][value="10"])`),
		chromedp.Click(`.appeal form[action$="support/checkout"] button[type="submit"]`),
	))
	loc := waitLocation("https://checkout.stripe.com/…")
	if v := stripeVisits(); len(v) != 1 || v[0] != "Document "+loc {
		t.Errorf("requests to Stripe's host: %v; want one top-level navigation to %s", v, loc)
	}
	reqs := sm.Requests()
	if len(reqs) != 1 || reqs[0].Path != "/v1/checkout/sessions" {
		t.Fatalf("requests to the Stripe API: %+v", reqs)
	}
	if f := reqs[0].Form; f.Get("mode") != "subscription" || f.Get("line_items[0][price_data][unit_amount]") != "1000" ||
		f.Get("line_items[0][price_data][recurring][interval]") != "month" || f.Get("success_url") != srv.URL+"/support/thanks?frequency=monthly" {
		t.Errorf("the Checkout Session asked for %v", f)
	}

	// "Remind me later" sets a cookie holding a date, and nothing else.
	must(chromedp.Do(ctx,
		chromedp.Navigate(article),
		chromedp.WaitReady("footer"),
		chromedp.Click(`.appeal button.link`),
	))
	// The form posts and comes back to the same page, so wait for the
	// cookie rather than for the address.
	var cookies network.GetCookiesResult
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var err error
		cookies, err = chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{srv.URL}})
		must(err)
		if len(cookies.Cookies) > 0 || time.Now().After(deadline) {
			break
		}
	}
	waitLocation(article) // back to the page the reader was on
	if len(cookies.Cookies) != 1 || cookies.Cookies[0].Name != "tz_appeal_hidden" ||
		!regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`).MatchString(cookies.Cookies[0].Value) || !cookies.Cookies[0].HTTPOnly {
		t.Errorf("cookies after Remind me later: %+v", cookies.Cookies)
	}
	must(chromedp.Do(ctx, chromedp.Navigate(article), chromedp.WaitReady("footer")))
	text, err := chromedp.Run(ctx, chromedp.Text("body"))
	must(err)
	if strings.Contains(text, "A Message from") || strings.Contains(text, "Remind me later") {
		t.Errorf("the appeal is still shown after Remind me later:\n%s", text)
	}
	if !strings.Contains(text, seedTitle) || !strings.Contains(text, "Sign up for our free weekly newsletter") {
		t.Errorf("the page lost more than the appeal:\n%s", text)
	}
	if dir := os.Getenv("TAMIZDAT_SCREENSHOTS"); dir != "" {
		if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(dir, "article-appeal-hidden.png"), shot, 0o644)
		}
	}
	// Other readers, and the shared cache, still get the appeal.
	resp, err := http.Get(article)
	must(err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `class="box appeal"`) || !strings.Contains(resp.Header.Get("Vary"), "Cookie") {
		t.Errorf("a reader without the cookie: Vary %q, appeal shown: %v", resp.Header.Get("Vary"), strings.Contains(string(body), `class="box appeal"`))
	}
}

// TestSupportScript runs support.js with JavaScript on: the thank-you page
// keeps the date the appeal stays away until in localStorage, the
// donation page's own form stays, and typing an amount clears the preset
// one.
func TestSupportScript(t *testing.T) {
	ctx := browser(t)
	sm := donatetest.StartStripe(t)
	st := storetest.New(t)
	cfg := config.Config{Demo: true, CacheBytes: 16 << 20, CacheMaxAge: time.Minute,
		StripeKey: "sk_test_browser", StripeWebhookSecret: donatetest.WebhookSecret, StripeAPIURL: sm.URL}
	if err := prepare(t.Context(), st, cfg, quietLog); err != nil {
		t.Fatal(err)
	}
	h, _, err := Handler(t.Context(), st, cfg, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/support/thanks?frequency=annual"), chromedp.WaitReady("footer")))
	stored, err := chromedp.Run(ctx, chromedp.Evaluate[string](`localStorage.getItem('tz_appeal_hidden') || ''`))
	must(err)
	if want := time.Now().UTC().AddDate(0, 0, 365).Format(time.DateOnly); stored != want {
		t.Errorf("localStorage after the thank-you page holds %q, want %q", stored, want)
	}
	must(chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/support"),
		chromedp.WaitReady("footer"),
		chromedp.Sleep(200*time.Millisecond), // support.js runs on DOMContentLoaded
		chromedp.Click(`label:has(input[name="amount_monthly"][value="25"])`),
		chromedp.SendKeys(`#appeal-custom`, "12.50"),
	))
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`(document.querySelector('.appeal form') ? 'form' : 'no form') + ' ' + document.querySelectorAll('input[name^="amount_"]:checked').length`))
	must(err)
	if state != "form 0" {
		t.Errorf("on the donation page with the appeal hidden and an amount typed: %s; want the form kept and no preset checked", state)
	}
}
