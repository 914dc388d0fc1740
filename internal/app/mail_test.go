package app

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// lockedLog collects log output written from several goroutines.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func post(h http.Handler, path string, form url.Values) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Host = "news.example"
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

var confirmLink = regexp.MustCompile(`/newsletter/confirm\?t=([A-Za-z0-9_-]+)`)

// TestDemoLogMailerMakesSignupConfirmable: the demo database without a
// mail server writes the confirmation email to the log, and its link
// confirms the signup; a real site without one keeps refusing signups
// with 503.
func TestDemoLogMailerMakesSignupConfirmable(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		ctx := context.Background()
		logs := &lockedLog{}
		log := slog.New(slog.NewTextHandler(logs, nil))
		cfg := config.Config{Demo: true, CacheBytes: 16 << 20, CacheMaxAge: time.Minute, BaseURL: "https://news.example",
			SecretKeyFile: filepath.Join(t.TempDir(), "secret.key")}
		if err := prepare(ctx, st, cfg, log); err != nil {
			t.Fatal(err)
		}
		h, _, err := Handler(ctx, st, cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		w := post(h, "/newsletter/subscribe", url.Values{"email": {"reader@example.net"}, "newsletter": {"weekly"}, "consent": {"yes"}})
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Check your inbox") {
			t.Fatalf("demo signup: %d\n%s", w.Code, w.Body)
		}
		var token string
		for deadline := time.Now().Add(10 * time.Second); token == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if m := confirmLink.FindStringSubmatch(logs.String()); m != nil {
				token = m[1]
			}
		}
		if token == "" {
			t.Fatalf("no confirmation link in the log:\n%s", logs.String())
		}
		if !strings.Contains(logs.String(), "reader@example.net") {
			t.Error("the log does not say whom the email was for")
		}
		w = post(h, "/newsletter/confirm", url.Values{"t": {token}})
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "You are subscribed") {
			t.Fatalf("confirming with the logged link: %d\n%s", w.Code, w.Body)
		}
	})
}

func TestRealSiteWithoutMailRefusesSignups(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := context.Background()
	cfg := config.Config{CacheBytes: 16 << 20, CacheMaxAge: time.Minute, BaseURL: "https://news.example",
		SecretKeyFile: filepath.Join(t.TempDir(), "secret.key")}
	if err := prepare(ctx, st, cfg, quietLog); err != nil {
		t.Fatal(err)
	}
	h, _, err := Handler(ctx, st, cfg, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	w := post(h, "/newsletter/subscribe", url.Values{"email": {"reader@example.net"}, "newsletter": {"weekly"}, "consent": {"yes"}})
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "cannot send email") {
		t.Errorf("signup on a site without mail: %d\n%s", w.Code, w.Body)
	}
}
