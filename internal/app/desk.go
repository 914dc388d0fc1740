package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/apikeys"
	"github.com/tamizdat/tamizdat/internal/assets"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/donate"
	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/media"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/vault"
	"github.com/tamizdat/tamizdat/internal/web/admin"
	"github.com/tamizdat/tamizdat/internal/web/site"
)

// newAccounts builds the accounts service for the desk at cfg.DeskURL():
// TOTP secrets sealed with key (the server's master key; nil for a service
// that never touches them), account emails through the server's one mail
// sender (to the log when there is none).
func newAccounts(ctx context.Context, st *store.Store, cfg config.Config, auditLog *audit.Log, key []byte, mails mailSetup, log *slog.Logger) (*accounts.Service, error) {
	siteName := "tamizdat"
	if s, err := st.Settings(ctx); err == nil {
		siteName = s.SiteName
	}
	opts := accounts.Options{Store: st, Audit: auditLog, AdminURL: cfg.DeskURL(), SiteName: siteName,
		Mail: mails.sender, MailFrom: mails.from, Log: log}
	if key != nil {
		v, err := vault.New(key)
		if err != nil {
			return nil, err
		}
		opts.Vault = v
	}
	return accounts.New(opts)
}

// newDesk builds the newsroom desk served at /admin over the accounts
// service svc, first sealing any TOTP secrets an older version stored in
// the clear.
func newDesk(ctx context.Context, st *store.Store, cfg config.Config, auditLog *audit.Log, svc *accounts.Service, keys *apikeys.Service,
	set *assets.Set, uploads *media.Service, editor *publishing.Service, public *site.Site, editions *newsletter.Editions,
	news *newsletter.Service, donations *donate.Service, log *slog.Logger) (*admin.Admin, error) {
	if _, err := svc.SealTOTPSecrets(ctx); err != nil {
		return nil, err
	}
	// As the senders: the demo's log mailer (no smtp-url) has no sending
	// domain to check.
	var domainCheck *tmail.DomainCheck
	if cfg.SMTPURL != "" {
		var err error
		if domainCheck, err = newsletter.NewDomainCheck(cfg); err != nil {
			return nil, err
		}
	}
	return admin.New(admin.Options{Accounts: svc, Audit: auditLog, Store: st, Assets: set, Log: log, Media: uploads,
		Publishing: editor, Site: public, SiteURL: cfg.BaseURL, Keys: keys, Newsletters: editions,
		DomainCheck: domainCheck, SkipDomainCheck: cfg.SkipDNSCheck, Subscribers: news, Donations: donations})
}

// loadDemoAccount gives a freshly loaded demo database its demo login. No
// other path creates one.
func loadDemoAccount(ctx context.Context, st *store.Store, cfg config.Config, log *slog.Logger) error {
	auditLog, closeAudit, err := OpenAudit(st, cfg, log)
	if err != nil {
		return err
	}
	defer closeAudit()
	svc, err := newAccounts(ctx, st, cfg, auditLog, nil, mailSetup{}, log) // creating the demo login sends nothing and seals no secret
	if err != nil {
		return err
	}
	if _, err := svc.CreateDemoUser(ctx); err != nil {
		return fmt.Errorf("create the demo login: %w", err)
	}
	return nil
}

// printDesk tells whoever started the server where the desk is and, on
// the demo database, how to sign in to it.
func printDesk(ctx context.Context, st *store.Store, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	svc, err := newAccounts(ctx, st, cfg, audit.New(st), nil, mailSetup{}, log) // printing sends nothing and seals no secret
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "the newsroom desk is at %s/admin/\n", svc.AdminURL())
	if email, password, ok := svc.DemoLogin(ctx); ok {
		fmt.Fprintf(stdout, "demo login: %s / %s (demo only: it skips two-factor sign-in, and works only on localhost)\n", email, password)
	}
	return nil
}

// purgeSessions deletes ended sessions and old login-throttle counters
// every hour, until ctx ends.
func purgeSessions(ctx context.Context, st *store.Store, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if err := st.PurgeSessions(ctx, time.Now().Add(-accounts.IdleTimeout)); err != nil && ctx.Err() == nil {
			log.Warn("purge ended sessions", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
