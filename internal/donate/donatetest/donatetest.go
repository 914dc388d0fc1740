// Package donatetest helps tests of the donation flow: it starts Stripe's
// official test double, stripe-mock, on a loopback port, records what is
// sent to it, signs webhook payloads the way Stripe does, and builds
// realistic Stripe events.
//
// stripe-mock is a Go program (go install
// github.com/stripe/stripe-mock@v0.203.0). Tests that need it are skipped
// when it is missing, unless TAMIZDAT_REQUIRE_STRIPE_MOCK=1, which makes
// them fail.
package donatetest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvRequire names the variable that turns a missing stripe-mock from a
// skip into a failure.
const EnvRequire = "TAMIZDAT_REQUIRE_STRIPE_MOCK"

// WebhookSecret is the signing secret tests give the service.
const WebhookSecret = "whsec_test_tamizdat"

// Request is one request the service sent to the Stripe API.
type Request struct {
	Method, Path   string
	Form           url.Values // the form body, or the query of a GET
	IdempotencyKey string
}

// Stripe is a running stripe-mock behind a recording proxy.
type Stripe struct {
	URL string // give this to the service as the API address

	mu        sync.Mutex
	requests  []Request
	overrides map[string]string
}

// Requests returns what was sent so far, oldest first.
func (s *Stripe) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Override makes "METHOD /path" answer body (JSON, status 200) instead of
// stripe-mock's fixture, for the few answers a test must control, such as
// the list of events reconciliation reads.
func (s *Stripe) Override(route, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.overrides[route] = body
}

// StartStripe starts stripe-mock on a free loopback port, and a recording
// proxy in front of it, both stopped when the test ends.
func StartStripe(t testing.TB) *Stripe {
	t.Helper()
	bin := findStripeMock()
	if bin == "" {
		msg := "stripe-mock is not installed: go install github.com/stripe/stripe-mock@v0.203.0"
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("donatetest: %s (%s=1)", msg, EnvRequire)
		}
		t.Skipf("donatetest: skipping: %s (or set %s=1 to fail instead)", msg, EnvRequire)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatalf("donatetest: %v", err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("donatetest: start stripe-mock: %v", err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "Listening for HTTP at address: "); ok {
				addr <- a
			}
		}
	}()
	var target *url.URL
	select {
	case a := <-addr:
		target = &url.URL{Scheme: "http", Host: a}
	case <-time.After(20 * time.Second):
		t.Fatal("donatetest: stripe-mock did not say where it listens within 20 s")
	}
	s := &Stripe{overrides: map[string]string{}}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		if r.Method == http.MethodGet {
			form = r.URL.Query()
		}
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Form: form, IdempotencyKey: r.Header.Get("Idempotency-Key")})
		override, ok := s.overrides[r.Method+" "+r.URL.Path]
		s.mu.Unlock()
		if ok {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, override)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// findStripeMock looks on PATH, then where go install puts programs.
func findStripeMock() string {
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p
	}
	dirs := []string{os.Getenv("GOBIN")}
	if gp := os.Getenv("GOPATH"); gp != "" {
		dirs = append(dirs, filepath.Join(filepath.SplitList(gp)[0], "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		p := filepath.Join(d, "stripe-mock")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

// Sign returns the Stripe-Signature header Stripe would send with payload
// at time at: t=<unix time>,v1=<hex HMAC-SHA256 of "t.payload">.
func Sign(secret string, payload []byte, at time.Time) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%d.", at.Unix())
	m.Write(payload)
	return fmt.Sprintf("t=%d,v1=%s", at.Unix(), hex.EncodeToString(m.Sum(nil)))
}
