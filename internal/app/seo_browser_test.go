package app

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/audits"
	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
	"github.com/tamizdat/tamizdat/internal/web"
)

// TestJSONLDUnderCSP loads the article page, JSON-LD block included, in a
// real browser with JavaScript on, and checks the browser reports no
// Content-Security-Policy violation: a <script type="application/ld+json">
// is a data block, which the CSP's script-src does not govern. A control
// page with an inline script under the same headers proves the test sees
// violations when there are some.
func TestJSONLDUnderCSP(t *testing.T) {
	ctx := browser(t)
	mux := http.NewServeMux()
	mux.Handle("/control", web.SecurityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>control</title><script>document.title = "ran"</script><footer>end</footer>`)
	})))
	mux.Handle("/", siteWithoutBaseURL(t, storetest.New(t)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	var mu sync.Mutex
	var violations []string
	err := chromedp.Listen(ctx, func(ev any) {
		var report string
		switch e := ev.(type) {
		case *cdplog.EventEntryAdded:
			if strings.Contains(e.Entry.Text, "Content Security Policy") {
				report = e.Entry.Text
			}
		case *audits.EventIssueAdded:
			if e.Issue.Code == audits.InspectorIssueCodeContentSecurityPolicyIssue {
				report = string(e.Issue.Code)
			}
		}
		if report != "" {
			mu.Lock()
			violations = append(violations, report)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(violations)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, audits.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/articles/"+content.Slug(seedTitle)),
		chromedp.WaitReady("footer"),
		chromedp.Sleep(time.Second), // reports arrive after the load
	)
	if err != nil {
		t.Fatal(err)
	}
	ldType, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`JSON.parse(document.querySelector('script[type="application/ld+json"]').textContent)["@type"]`))
	if err != nil {
		t.Fatal(err)
	}
	if ldType != "NewsArticle" {
		t.Errorf("the browser reads the JSON-LD as @type %q", ldType)
	}
	if n := count(); n > 0 {
		mu.Lock()
		t.Errorf("the article page caused %d CSP reports: %q", n, violations)
		mu.Unlock()
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/control"), chromedp.WaitReady("footer")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); count() == 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if count() == 0 {
		t.Error("the control page's inline script raised no CSP report: this test cannot see violations")
	}
}
