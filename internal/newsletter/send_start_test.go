package newsletter_test

import (
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestStartSendingFromTheConfiguration(t *testing.T) {
	t.Parallel()
	s := storetest.NewEngine(t, "sqlite", store.Options{})
	e := newSendEnv(t, s, 5)
	keyFile := filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(sendKey)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{
		SMTPURL: "smtp://" + e.srv.Addr() + "?tls=none", MailFrom: sendFrom, BaseURL: sendSite + "/",
		SecretKeyFile: keyFile, SendWorkers: 2,
		// The SMTP server is on this host, so the SPF check cannot pass.
		SkipDNSCheck: true, ComplaintRate: 0.1, ComplaintSample: 1000, SoftBounceLimit: 3,
	}
	log := slog.New(slog.NewTextHandler(e.log, nil))
	mailer, err := newsletter.NewMailer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer mailer.Close()
	how := newsletter.Sending{Mail: mailer, From: sendFrom, SiteURL: sendSite + "/"}
	stop := newsletter.StartSending(t.Context(), s, cfg, how, log)
	defer stop()
	is := e.issue(t, "Configured")
	if err := s.StartIssue(t.Context(), is.ID); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(t, is.ID, store.IssueSent, 20*time.Second)
	wantEachOnce(t, e.srv.Messages(), e.addrs)
	if u := e.srv.Messages()[0].Header.Get("List-Unsubscribe"); !strings.HasPrefix(u, "<"+sendSite+"/newsletter/unsubscribe?t=") {
		t.Errorf("List-Unsubscribe = %q", u)
	}
	if !strings.Contains(e.log.String(), "skip-dns-check is set") {
		t.Errorf("sending despite the DNS pre-flight is not logged:\n%s", e.log)
	}
	stop()

	// Without the override the pre-flight holds the next issue.
	cfg.SkipDNSCheck = false
	stop = newsletter.StartSending(t.Context(), s, cfg, how, log)
	defer stop()
	held := e.issue(t, "Held")
	if err := s.StartIssue(t.Context(), held.ID); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		got, _ := s.IssueByID(t.Context(), held.ID)
		if got.Paused && got.PauseReason == store.PauseDNS {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the issue was not held by the DNS pre-flight: %+v; log:\n%s", got, e.log)
		}
	}
	stop()
	if n := len(e.srv.Messages()); n != len(e.addrs) {
		t.Errorf("%d messages, want only the %d of the first issue", n, len(e.addrs))
	}

	for _, tc := range []struct {
		name   string
		change func(*config.Config, *newsletter.Sending)
		want   string
	}{
		{"no SMTP", func(_ *config.Config, h *newsletter.Sending) { h.Mail = nil }, "sends no issues"},
		{"no base URL", func(_ *config.Config, h *newsletter.Sending) { h.SiteURL = "" }, "set base-url"},
		{"no key file", func(c *config.Config, _ *newsletter.Sending) { c.SecretKeyFile = t.TempDir() }, "issues are not sent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, h := cfg, how
			tc.change(&c, &h)
			var out lockedBuffer
			newsletter.StartSending(t.Context(), s, c, h, slog.New(slog.NewTextHandler(&out, nil)))()
			if !strings.Contains(out.String(), tc.want) {
				t.Errorf("log = %q, want it to say %q", out.String(), tc.want)
			}
		})
	}
	c := cfg
	c.DKIMKeyFile, c.DKIMSelector = filepath.Join(t.TempDir(), "none.pem"), "s1"
	if _, err := newsletter.NewMailer(c); err == nil {
		t.Error("NewMailer with a missing DKIM key file: no error")
	}
}
