package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/donate"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/vault"
)

// inboxEvery is how often a server processes payment events left in the
// inbox: those whose processing failed, or was cut short by a crash after
// the webhook was acknowledged.
const inboxEvery = time.Minute

// NewDonations builds the donation service over st: through Stripe when
// cfg has a key, else one that says donations are not open, and emailing
// donors when cfg names SMTP servers. Donor emails are sealed with the key
// in cfg.SecretKeyFile, which it creates if missing.
func NewDonations(st *store.Store, cfg config.Config, log *slog.Logger) (*donate.Service, error) {
	mailer, err := newsletter.NewMailer(cfg)
	if err != nil {
		return nil, err
	}
	mails := mailSetup{from: cfg.MailFrom}
	if mailer != nil {
		mails.sender = mailer
	}
	return newDonations(st, cfg, mails, log)
}

// newDonations is NewDonations emailing donors as mails says.
func newDonations(st *store.Store, cfg config.Config, mails mailSetup, log *slog.Logger) (*donate.Service, error) {
	key, err := newsletter.LoadKey(cfg.SecretKeyFile, log)
	if err != nil {
		return nil, err
	}
	v, err := vault.New(key)
	if err != nil {
		return nil, err
	}
	// Receipts and manage links go out through the newsletter's servers.
	opts := donate.Options{Store: st, Vault: v, Mail: mails.sender, From: mails.from, BaseURL: cfg.BaseURL, CustomerPortal: cfg.StripeCustomerPortal, Log: log}
	if cfg.StripeKey != "" {
		opts.Payments = donate.NewStripe(donate.StripeOptions{
			Key: cfg.StripeKey, WebhookSecret: cfg.StripeWebhookSecret, APIURL: cfg.StripeAPIURL,
		})
	}
	return donate.New(opts), nil
}

// runDonations processes the payment-event inbox and applies the donor
// retention period until ctx ends.
func runDonations(ctx context.Context, st *store.Store, cfg config.Config, mails mailSetup, log *slog.Logger) error {
	donations, err := newDonations(st, cfg, mails, log)
	if err != nil {
		return err
	}
	go donations.Run(ctx, inboxEvery, time.Duration(cfg.DonorRetentionMonths)*30*24*time.Hour)
	return nil
}
