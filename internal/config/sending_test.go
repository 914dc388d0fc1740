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
		c.Register(fs, "smtp-url", "mail-from", "dkim-key-file", "dkim-selector", "send-rate", "send-workers")
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
