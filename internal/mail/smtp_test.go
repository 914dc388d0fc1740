package mail_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
)

func newSMTP(t *testing.T, cfg tmail.SMTPConfig) *tmail.SMTP {
	t.Helper()
	s, err := tmail.NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func note(n int) *tmail.Message {
	return &tmail.Message{
		From: "Desk <news@example.org>", To: fmt.Sprintf("reader%d@example.net", n),
		Subject: fmt.Sprintf("Note %d", n), Text: "Hello.", MessageID: fmt.Sprintf("note-%d@example.org", n),
	}
}

func TestSMTPSendsAndReusesTheConnection(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	s := newSMTP(t, srv.SMTPConfig())
	for i := range 3 {
		if err := s.Send(t.Context(), note(i)); err != nil {
			t.Fatal(err)
		}
	}
	msgs := srv.Messages()
	if len(msgs) != 3 {
		t.Fatalf("server received %d messages, want 3", len(msgs))
	}
	for i, m := range msgs {
		if m.From != "news@example.org" || len(m.To) != 1 || m.To[0] != fmt.Sprintf("reader%d@example.net", i) {
			t.Errorf("message %d envelope = %s → %v", i, m.From, m.To)
		}
		if m.MessageID != fmt.Sprintf("note-%d@example.org", i) || m.Header.Get("Date") == "" {
			t.Errorf("message %d: Message-ID %q, Date %q", i, m.MessageID, m.Header.Get("Date"))
		}
	}
	if n := srv.Sessions(); n != 1 {
		t.Errorf("3 messages in a row opened %d connections, want 1", n)
	}
}

func TestSMTPTLSAndAuth(t *testing.T) {
	t.Parallel()
	for _, mode := range []tmail.TLSMode{tmail.TLSNone, tmail.TLSStartTLS, tmail.TLSImplicit} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			srv := mailtest.StartWith(t, mailtest.Options{TLS: mode, Username: "desk", Password: "s3cret"})
			if err := newSMTP(t, srv.SMTPConfig()).Send(t.Context(), note(1)); err != nil {
				t.Fatal(err)
			}
			if srv.Count() != 1 {
				t.Fatalf("received %d messages", srv.Count())
			}

			cfg := srv.SMTPConfig()
			cfg.Servers[0].Password = "wrong"
			err := newSMTP(t, cfg).Send(t.Context(), note(2))
			var e *tmail.Error
			if !errors.As(err, &e) || e.Stage != tmail.StageConnect || e.Code != 535 {
				t.Fatalf("with a wrong password: %v; want a 535 at connect", err)
			}
			if tmail.Permanent(err) {
				t.Error("a refused password counted as the recipient's permanent failure")
			}
		})
	}
}

func TestSMTPUntrustedCertificateFails(t *testing.T) {
	t.Parallel()
	srv := mailtest.StartWith(t, mailtest.Options{TLS: tmail.TLSStartTLS})
	cfg := srv.SMTPConfig()
	cfg.Servers[0].TLSConfig = nil // system roots do not know mailtest's certificate
	if err := newSMTP(t, cfg).Send(t.Context(), note(1)); err == nil {
		t.Fatal("sent over TLS to a server with an untrusted certificate")
	}
	if srv.Count() != 0 {
		t.Error("the message arrived anyway")
	}
}

func TestSMTPReplies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code      int
		permanent bool
	}{{451, false}, {452, false}, {550, true}, {553, true}} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			t.Parallel()
			srv := mailtest.Start(t)
			s := newSMTP(t, srv.SMTPConfig())
			srv.FailNext(1, tc.code)
			err := s.Send(t.Context(), note(1))
			var e *tmail.Error
			if !errors.As(err, &e) || e.Code != tc.code || e.Stage != tmail.StageRcpt {
				t.Fatalf("Send() = %v; want a %d at RCPT", err, tc.code)
			}
			if tmail.Permanent(err) != tc.permanent {
				t.Errorf("Permanent() = %v, want %v", tmail.Permanent(err), tc.permanent)
			}
			// The connection survives a refusal and carries the next message.
			if err := s.Send(t.Context(), note(2)); err != nil {
				t.Fatal(err)
			}
			if srv.Count() != 1 || srv.Sessions() != 1 {
				t.Errorf("after a refusal: %d messages over %d connections, want 1 over 1", srv.Count(), srv.Sessions())
			}
		})
	}
}

func TestSMTPHangingServerTimesOut(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	cfg := srv.SMTPConfig()
	cfg.Timeout = 300 * time.Millisecond
	s := newSMTP(t, cfg)
	if err := s.Send(t.Context(), note(1)); err != nil { // a connection to the pool
		t.Fatal(err)
	}
	srv.Hang()
	start := time.Now()
	err := s.Send(t.Context(), note(2))
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Send took %v against a hanging server with a 300ms timeout", took)
	}
	if err == nil || tmail.Permanent(err) {
		t.Fatalf("Send() = %v; want a transient error", err)
	}
	srv.Unhang()
	if err := s.Send(t.Context(), note(3)); err != nil {
		t.Fatalf("after the server recovered: %v", err)
	}
	if srv.Count() != 2 {
		t.Errorf("server has %d messages, want 2", srv.Count())
	}
}

func TestSMTPCancel(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	srv.Hang()
	s := newSMTP(t, srv.SMTPConfig())
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := s.Send(ctx, note(1)); err == nil {
		t.Fatal("Send succeeded on a hanging server")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a cancelled Send took %v", took)
	}
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestSMTPServers(t *testing.T) {
	t.Parallel()
	t.Run("round-robin", func(t *testing.T) {
		t.Parallel()
		a, b := mailtest.Start(t), mailtest.Start(t)
		cfg := a.SMTPConfig()
		cfg.Servers = append(cfg.Servers, b.SMTPConfig().Servers...)
		s := newSMTP(t, cfg)
		for i := range 6 {
			if err := s.Send(t.Context(), note(i)); err != nil {
				t.Fatal(err)
			}
		}
		if a.Count() != 3 || b.Count() != 3 {
			t.Errorf("messages per server = %d, %d; want 3, 3", a.Count(), b.Count())
		}
	})
	t.Run("failover", func(t *testing.T) {
		t.Parallel()
		b := mailtest.Start(t)
		cfg := b.SMTPConfig()
		cfg.Servers = append([]tmail.Server{{Addr: closedAddr(t), TLS: tmail.TLSNone}}, cfg.Servers...)
		s := newSMTP(t, cfg)
		for i := range 4 {
			if err := s.Send(t.Context(), note(i)); err != nil {
				t.Fatal(err)
			}
		}
		if b.Count() != 4 {
			t.Errorf("the reachable server got %d of 4 messages", b.Count())
		}
	})
	t.Run("backup", func(t *testing.T) {
		t.Parallel()
		primary, backup := mailtest.Start(t), mailtest.Start(t)
		cfg := primary.SMTPConfig()
		spare := backup.SMTPConfig().Servers[0]
		spare.Backup = true
		cfg.Servers = append([]tmail.Server{spare}, cfg.Servers...)
		s := newSMTP(t, cfg)
		for i := range 4 {
			if err := s.Send(t.Context(), note(i)); err != nil {
				t.Fatal(err)
			}
		}
		if primary.Count() != 4 || backup.Count() != 0 {
			t.Errorf("primary got %d, backup %d; want 4, 0", primary.Count(), backup.Count())
		}
		primary.Close()
		if err := s.Send(t.Context(), note(5)); err != nil {
			t.Fatal(err)
		}
		if backup.Count() != 1 {
			t.Errorf("with the primary down, the backup got %d messages, want 1", backup.Count())
		}
	})
	t.Run("all down", func(t *testing.T) {
		t.Parallel()
		s := newSMTP(t, tmail.SMTPConfig{Servers: []tmail.Server{{Addr: closedAddr(t), TLS: tmail.TLSNone}}})
		err := s.Send(t.Context(), note(1))
		var e *tmail.Error
		if !errors.As(err, &e) || e.Stage != tmail.StageConnect || tmail.Permanent(err) {
			t.Errorf("Send() = %v; want a transient connect error", err)
		}
	})
}

func TestSMTPRateLimit(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	cfg := srv.SMTPConfig()
	cfg.Rate = 20
	s := newSMTP(t, cfg)
	start := time.Now()
	for i := range 10 {
		if err := s.Send(t.Context(), note(i)); err != nil {
			t.Fatal(err)
		}
	}
	// 20/s lets a burst of 100ms' worth (3) through, then one every 50ms:
	// at least 350ms.
	if took := time.Since(start); took < 330*time.Millisecond {
		t.Errorf("10 messages at 20/s took %v", took)
	}
}

func TestSMTPReconnectsAfterTheServerDropsIdleConnections(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	addr := srv.Addr()
	s := newSMTP(t, srv.SMTPConfig())
	if err := s.Send(t.Context(), note(1)); err != nil {
		t.Fatal(err)
	}
	srv.Close() // drops the pooled connection
	again := mailtest.StartWith(t, mailtest.Options{Addr: addr})
	if err := s.Send(t.Context(), note(2)); err != nil {
		t.Fatalf("a stale pooled connection was not replaced: %v", err)
	}
	if again.Count() != 1 {
		t.Errorf("the restarted server got %d messages", again.Count())
	}
}

func TestParseServers(t *testing.T) {
	t.Parallel()
	got, err := tmail.ParseServers("smtp://desk:p%40ss@mail.example.org, smtps://relay.example.org?backup=1 ,smtp://127.0.0.1:2525?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	want := []tmail.Server{
		{Addr: "mail.example.org:587", Username: "desk", Password: "p@ss", TLS: tmail.TLSStartTLS},
		{Addr: "relay.example.org:465", TLS: tmail.TLSImplicit, Backup: true},
		{Addr: "127.0.0.1:2525", TLS: tmail.TLSNone},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ParseServers() =\n%v\nwant\n%v", got, want)
	}
	for _, bad := range []string{
		"",
		"http://mail.example.org",
		"smtp://",
		"smtp://mail.example.org?tls=maybe",
		"smtp://mail.example.org?verify=no",
		"smtp://desk:secret@mail.example.org?tls=none", // a password in clear to a remote host
	} {
		_, err := tmail.ParseServers(bad)
		if err == nil {
			t.Errorf("ParseServers(%q) succeeded", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseServers(%q) error shows the password: %v", bad, err)
		}
	}
}
