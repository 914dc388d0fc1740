package config

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestSendingSettings(t *testing.T) {
	load := func(args ...string) (Config, error) {
		var c Config
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.Register(fs, "smtp-url", "mail-from", "dkim-key-file", "dkim-selector", "send-rate", "send-workers",
			"spf-relays", "skip-dns-check", "complaint-rate", "complaint-sample", "soft-bounce-limit", "second-approval-over")
		err := c.Load(fs, args, func(string) string { return "" })
		return c, err
	}
	c, err := load("--smtp-url", "smtp://desk:pw@mail.example.org, smtps://backup.example.org?backup=1",
		"--mail-from", "The Weekly <news@example.org>", "--send-rate", "50", "--dkim-key-file", "dkim.pem", "--dkim-selector", "s1")
	if err != nil {
		t.Fatal(err)
	}
	if c.SendRate != 50 || c.SendWorkers != 8 || c.DKIMSelector != "s1" {
		t.Errorf("loaded %+v", c)
	}
	if c.ComplaintRate != 0.1 || c.ComplaintSample != 1000 || c.SoftBounceLimit != 3 || c.SkipDNSCheck || c.SPFRelays != "" || c.SecondApprovalOver != 0 {
		t.Errorf("safeguard defaults %+v; want 0.1 %% of at least 1000, 3 soft bounces, the DNS check on, one approver", c)
	}
	if c, err := load("--spf-relays", "out.mail.example, 203.0.113.7", "--complaint-rate", "0.5", "--skip-dns-check", "--second-approval-over", "5000"); err != nil ||
		c.SPFRelays != "out.mail.example, 203.0.113.7" || c.ComplaintRate != 0.5 || !c.SkipDNSCheck || c.SecondApprovalOver != 5000 {
		t.Errorf("safeguards set: %+v, %v", c, err)
	}
	if c, err := load(); err != nil || c.SMTPURL != "" {
		t.Errorf("without settings: %+v, %v; want no SMTP and no error", c, err)
	}
	for _, tc := range []struct {
		args []string
		want string // in the error
	}{
		{[]string{"--smtp-url", "http://mail.example.org", "--mail-from", "news@example.org"}, "smtp-url"},
		{[]string{"--smtp-url", "smtp://desk:hunter2@mail.example.org?tls=none", "--mail-from", "news@example.org"}, "without TLS"},
		{[]string{"--smtp-url", "smtp://mail.example.org"}, "mail-from: needed"},
		{[]string{"--mail-from", "news at example"}, "mail-from"},
		{[]string{"--mail-from", "news@example.org\r\nBcc: x@y.z"}, "mail-from"},
		{[]string{"--dkim-key-file", "dkim.pem"}, "give both"},
		{[]string{"--send-rate", "-1"}, "send-rate"},
		{[]string{"--send-workers", "-2"}, "send-workers"},
		{[]string{"--complaint-rate", "0"}, "complaint-rate"},
		{[]string{"--complaint-rate", "150"}, "complaint-rate"},
		{[]string{"--complaint-sample", "0"}, "complaint-sample"},
		{[]string{"--soft-bounce-limit", "0"}, "soft-bounce-limit"},
		{[]string{"--second-approval-over", "-1"}, "second-approval-over"},
		{[]string{"--spf-relays", "smtp://mail.example.org"}, "spf-relays"},
	} {
		_, err := load(tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one mentioning %q", tc.args, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: the error shows the password: %v", tc.args, err)
		}
	}
}
