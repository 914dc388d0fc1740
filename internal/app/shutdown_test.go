package app

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
	"github.com/tamizdat/tamizdat/internal/store"
)

// TestShutdownDeliversQueuedAccountMail: a password-reset email asked for
// just before the server is told to stop reaches the SMTP server before
// Serve returns, though that server is slow to take it.
func TestShutdownDeliversQueuedAccountMail(t *testing.T) {
	t.Parallel()
	smtp := mailtest.Start(t)
	dir := t.TempDir()
	const deskHost, reporter = "desk.test", "reporter@news.example"
	cfg := config.Config{Addr: "127.0.0.1:0", DB: "sqlite:" + filepath.Join(dir, "tamizdat.db"), AdminURL: "https://" + deskHost,
		BaseURL: "https://news.example", CacheBytes: 1 << 20, CacheMaxAge: time.Minute, SecretKeyFile: filepath.Join(dir, "secret.key"),
		SMTPURL: "smtp://" + smtp.Addr() + "?tls=none", MailFrom: "News desk <desk@news.example>", SkipDNSCheck: true}
	st, err := Open(t.Context(), cfg, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	err = st.CreateUser(t.Context(), &store.User{Email: reporter, Role: "author"})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	stdout := &lockedLog{}
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, cfg, quietLog, stdout) }()
	serving := regexp.MustCompile(`serving at (http://\S+)/`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == ""; time.Sleep(10 * time.Millisecond) {
		if m := serving.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("the server did not start:\n%s", stdout)
		}
	}
	desk := func(method, path string, form url.Values, cookies []*http.Cookie) *http.Response {
		t.Helper()
		r, err := http.NewRequest(method, base+path, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		r.Host = deskHost
		if form != nil {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for _, c := range cookies {
			r.AddCookie(c)
		}
		res, err := http.DefaultTransport.RoundTrip(r)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	page := desk(http.MethodGet, "/admin/reset", nil, nil)
	body, err := io.ReadAll(page.Body)
	if err != nil {
		t.Fatal(err)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)
	if page.StatusCode != http.StatusOK || csrf == nil {
		t.Fatalf("reset form: %d\n%s", page.StatusCode, body)
	}

	smtp.Hang()
	if res := desk(http.MethodPost, "/admin/reset", url.Values{"csrf": {string(csrf[1])}, "email": {reporter}}, page.Cookies()); res.StatusCode != http.StatusOK {
		t.Fatalf("reset request: %d", res.StatusCode)
	}
	stop()
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) while the reset email was still being sent", err)
	case <-time.After(500 * time.Millisecond):
	}
	smtp.Unhang()
	select {
	case err := <-served:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(shutdownTimeout):
		t.Fatal("Serve did not return once the SMTP server answered")
	}
	m, ok := mailtest.LastTo(smtp.Messages(), reporter)
	if !ok {
		t.Fatalf("no email to %s when Serve returned; the SMTP server has %d", reporter, smtp.Count())
	}
	if text := mailtest.TextOf(t, m); !strings.Contains(text, "https://"+deskHost+"/admin/reset/") {
		t.Errorf("the email has no reset link:\n%s", text)
	}
}
