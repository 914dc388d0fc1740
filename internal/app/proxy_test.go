package app

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// TestSignInThrottleSeesClientsBehindTrustedProxy fails sign-ins through a
// trusted reverse proxy until the client's network is throttled, and
// checks that another client behind the same proxy is not, while a peer
// that is not a trusted proxy cannot pick its address with the header.
func TestSignInThrottleSeesClientsBehindTrustedProxy(t *testing.T) {
	ctx := t.Context()
	st := storetest.New(t)
	cfg := config.Config{CacheMaxAge: time.Minute, TrustedProxies: "10.0.0.0/8", ProxyHeader: "X-Forwarded-For"}
	if err := prepare(ctx, st, cfg, quietLog); err != nil {
		t.Fatal(err)
	}
	h, _, err := Handler(ctx, st, cfg, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "http://localhost:8080/admin/sign-in", nil)
	page := httptest.NewRecorder()
	h.ServeHTTP(page, r)
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page.Body.String())[1]
	signIn := func(n int, peer, forwarded string) int {
		form := url.Values{"csrf": {token}, "email": {fmt.Sprintf("nobody%d@example.org", n)}, "password": {"wrong password"}}
		r := httptest.NewRequest(http.MethodPost, "http://localhost:8080/admin/sign-in", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-Forwarded-For", forwarded)
		r.RemoteAddr = peer
		for _, c := range page.Result().Cookies() {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	n := 0
	for ; n < 30 && signIn(n, "10.0.0.2:4000", "203.0.113.7") != http.StatusTooManyRequests; n++ {
	}
	if n == 30 || n < 10 {
		t.Fatalf("the client was throttled after %d failed sign-ins, want after the allowance (20)", n)
	}
	if code := signIn(n+1, "10.0.0.2:4000", "198.51.100.7"); code != http.StatusUnauthorized {
		t.Errorf("another client behind the proxy got %d, want 401 (not throttled)", code)
	}
	if code := signIn(n+2, "10.0.0.3:4000", "1.1.1.1, 203.0.113.7"); code != http.StatusTooManyRequests {
		t.Errorf("the throttled client prepending an address got %d, want 429", code)
	}
	// A peer that is no proxy of ours is the client, whatever it claims.
	for i := range 25 {
		signIn(100+i, "192.0.2.50:4000", fmt.Sprintf("198.18.%d.1", i))
	}
	if code := signIn(200, "192.0.2.50:4000", "198.51.100.99"); code != http.StatusTooManyRequests {
		t.Errorf("an untrusted peer changing X-Forwarded-For escaped the throttle: %d", code)
	}
}
