package app

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/config"
	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
)

// fallbackFrom is the sender when mail-from is unset: on the demo site,
// and in the previews of a site that sends no email.
const fallbackFrom = "tamizdat <news@example.invalid>"

// mailSetup is how this server sends email. One sender serves signup
// confirmations, donors' emails, test sends and the newsletter outbox, so
// connections and each server's rate limit live in one place.
type mailSetup struct {
	sender tmail.Sender // nil: this server sends no email
	from   string
	// siteURL is the address links in issues point to; "" when unknown,
	// and then issues are neither previewed nor sent.
	siteURL string
	close   func()
}

// newMailSetup sends through the SMTP servers of cfg. Without any, the
// demo database writes its emails to the log, so that the demo's sign-up
// can be confirmed by following the link there; a real site sends
// nothing, and its sign-up form says so.
func newMailSetup(ctx context.Context, st *store.Store, cfg config.Config, log *slog.Logger) (mailSetup, error) {
	m := mailSetup{from: cfg.MailFrom, siteURL: strings.TrimSuffix(cfg.BaseURL, "/"), close: func() {}}
	smtp, err := newsletter.NewMailer(cfg)
	if err != nil {
		return m, err
	}
	if smtp != nil {
		m.sender, m.close = smtp, func() { smtp.Close() }
		return m, nil
	}
	demo, err := isDemo(ctx, st)
	if err != nil || !demo {
		return m, err
	}
	m.sender = tmail.NewLog(log)
	if m.from == "" {
		m.from = fallbackFrom
	}
	if m.siteURL == "" {
		m.siteURL = cfg.DeskURL() // the demo serves the site and the desk alike
	}
	log.Info("demo site without smtp-url: emails, with their links, are written to this log instead of being sent")
	return m, nil
}

// isDemo reports whether st is the demo database: the one with the demo
// login.
func isDemo(ctx context.Context, st *store.Store) (bool, error) {
	u, err := st.UserByEmail(ctx, accounts.DemoEmail)
	if errors.Is(err, model.ErrNotFound) {
		return false, nil
	}
	return err == nil && u.Demo, err
}

// newEditions builds the desk's issue previews and test sends; nil when
// the site's address is unknown.
func newEditions(st *store.Store, key []byte, mails mailSetup) (*newsletter.Editions, error) {
	if mails.siteURL == "" {
		return nil, nil
	}
	tokens, err := newsletter.NewTokens(key, nil)
	if err != nil {
		return nil, err
	}
	return newsletter.NewEditions(newsletter.EditionOptions{Store: st, Tokens: tokens, Mail: mails.sender,
		From: cmp.Or(mails.from, fallbackFrom), SiteURL: mails.siteURL})
}
