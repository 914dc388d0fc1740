package newsletter

import (
	"context"
	"errors"
	"log/slog"
	"net/mail"
	"strings"
	"sync"

	"github.com/tamizdat/tamizdat/internal/config"
	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/vault"
)

// NewMailer builds the SMTP sender the configuration describes (smtp-url,
// send-rate and send-workers, and DKIM signing for the domain of mail-from
// when dkim-key-file is set). It returns nil and no error when smtp-url is
// empty: this server sends no mail.
func NewMailer(cfg config.Config) (*tmail.SMTP, error) {
	if cfg.SMTPURL == "" {
		return nil, nil
	}
	servers, err := tmail.ParseServers(cfg.SMTPURL)
	if err != nil {
		return nil, err
	}
	smtpCfg := tmail.SMTPConfig{Servers: servers, Rate: cfg.SendRate, Conns: max(cfg.SendWorkers, 1)}
	if cfg.DKIMKeyFile != "" {
		from, err := mail.ParseAddress(cfg.MailFrom)
		if err != nil {
			return nil, errors.New("newsletter: DKIM signs for the domain of mail-from, which is not a valid address")
		}
		domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
		if smtpCfg.DKIM, err = tmail.LoadDKIM(cfg.DKIMKeyFile, cfg.DKIMSelector, domain); err != nil {
			return nil, err
		}
	}
	return tmail.NewSMTP(smtpCfg)
}

// Sending is how StartSending's outbox sends: through Mail (nil: this
// server sends no issues), as From, with links to SiteURL ("": unknown,
// and then no issues are sent).
type Sending struct {
	Mail          tmail.Sender
	From, SiteURL string
}

// StartSending starts an Outbox that sends issues as configured, and
// returns the function that stops it: it stops claiming, lets the messages
// under way finish and records them. The caller closes the mail sender
// afterwards. Without a sender or the site's address nothing is sent, and
// the reason is logged.
func StartSending(ctx context.Context, st *store.Store, cfg config.Config, how Sending, log *slog.Logger) (stop func()) {
	noop := func() {}
	if how.Mail == nil {
		log.Info("newsletter: no smtp-url configured; this server sends no issues")
		return noop
	}
	if how.SiteURL == "" {
		log.Error("newsletter: issues are not sent: their links need the site's public address; set base-url")
		return noop
	}
	key, err := LoadKey(cfg.SecretKeyFile, log)
	if err != nil {
		log.Error("newsletter: issues are not sent", "err", err)
		return noop
	}
	v, err := vault.New(key)
	var tokens *Tokens
	if err == nil {
		tokens, err = NewTokens(key, nil)
	}
	var o *Outbox
	if err == nil {
		o, err = NewOutbox(SendOptions{
			Store: st, Vault: v, Tokens: tokens, Mail: how.Mail, From: how.From,
			SiteURL: strings.TrimSuffix(how.SiteURL, "/"), Workers: cfg.SendWorkers, Log: log,
		})
	}
	if err != nil {
		log.Error("newsletter: issues are not sent", "err", err)
		return noop
	}
	ctx, cancel := context.WithCancel(ctx)
	var done sync.WaitGroup
	done.Go(func() { o.Run(ctx) })
	return func() {
		cancel()
		done.Wait()
	}
}
