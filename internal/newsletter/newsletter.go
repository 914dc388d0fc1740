// Package newsletter runs the newsletters' subscriber side: double opt-in
// signup with recorded consent, the subscriber's own page (choices, data
// export, erasure), one-click unsubscribe, bounce and complaint notices and
// the suppression list; the send* and outbox* files send the issues.
//
// Subscribers' addresses are sealed with the vault before they reach the
// store and found by their keyed hash, so the database alone does not say
// who subscribed. Links in emails carry signed tokens; nothing about them is
// stored, and no reader's IP address is kept anywhere.
package newsletter

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/vault"
)

// EmailPurpose is the vault purpose subscribers' addresses are sealed and
// indexed for.
const EmailPurpose = "subscriber email"

// Errors a signup can meet, besides an *AddressError.
var (
	ErrConsentRequired = errors.New("newsletter: consent is required")
	ErrNoNewsletter    = errors.New("newsletter: no such newsletter")
	ErrThrottled       = errors.New("newsletter: too many signups; try again later")
	ErrMailUnavailable = errors.New("newsletter: this site cannot send email")
)

// Options configure the service.
type Options struct {
	Store *store.Store
	// Key is the master key from the secret key file; the vault and the
	// link tokens derive their keys from it.
	Key []byte
	// Mail sends confirmation emails; nil when no mail server is
	// configured, and then signups are refused.
	Mail mail.Sender
	// From is the sender of confirmation emails, e.g. "News
	// <news@example.org>".
	From string
	// PolicyVersion names the Privacy Policy in force, for consent
	// records; empty: the policy page's last-updated time.
	PolicyVersion string
	Limits        Limits
	// SoftBounceLimit is how many campaigns in a row that bounced softly
	// suppress an address; 3.
	SoftBounceLimit int
	// Now is the clock; time.Now when nil. Give the store the same one.
	Now func() time.Time
	Log *slog.Logger
}

// Service is the subscriber side of the newsletters. It is safe for
// concurrent use.
type Service struct {
	store         *store.Store
	vault         *vault.Vault
	tokens        *Tokens
	mail          mail.Sender
	from          string
	policyVersion string
	limits        *limiter
	// softBounceLimit: see Options.SoftBounceLimit.
	softBounceLimit int
	now             func() time.Time
	log             *slog.Logger
	// outgoing tracks emails handed to background goroutines.
	outgoing sync.WaitGroup
	// sending bounds how many of them talk to the mail server at once.
	sending chan struct{}
}

// New builds the service.
func New(opts Options) (*Service, error) {
	v, err := vault.New(opts.Key)
	if err != nil {
		return nil, fmt.Errorf("newsletter: %w", err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	tokens, err := NewTokens(opts.Key, opts.Now)
	if err != nil {
		return nil, err
	}
	if opts.Mail != nil && opts.From == "" {
		return nil, errors.New("newsletter: a sender address (mail-from) is needed to send confirmation emails")
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return &Service{
		store: opts.Store, vault: v, tokens: tokens, mail: opts.Mail, from: opts.From,
		policyVersion: opts.PolicyVersion, limits: newLimiter(opts.Limits), now: opts.Now, log: opts.Log,
		softBounceLimit: cmp.Or(opts.SoftBounceLimit, 3),
		sending:         make(chan struct{}, 4),
	}, nil
}

// Tokens returns the link-token signer, for the sender's unsubscribe links.
func (s *Service) Tokens() *Tokens { return s.tokens }

// Vault returns the vault subscribers' addresses are sealed with.
func (s *Service) Vault() *vault.Vault { return s.vault }

// Wait blocks until the emails being sent in the background have been
// handed over or given up. Call it at shutdown.
func (s *Service) Wait() { s.outgoing.Wait() }

// DefaultNewsletters are the lists a new site starts with: a weekly digest
// on Fridays at 9:00 in the site's time zone, and breaking news. They are
// data, not schema, so editors may rename or reschedule them.
func DefaultNewsletters(settings model.Settings) []store.Newsletter {
	return []store.Newsletter{
		{Slug: "weekly", Name: "Weekly", Description: settings.Newsletter.Text, FullText: true,
			Schedule: &store.Schedule{Weekday: time.Friday, Hour: 9}, TimeZone: settings.TimeZone},
		{Slug: "breaking", Name: "Breaking", Description: "Major news, as it happens.", FullText: true, TimeZone: settings.TimeZone},
	}
}

// Newsletters lists the newsletters readers can choose from.
func (s *Service) Newsletters(ctx context.Context) ([]store.Newsletter, error) {
	return s.store.ListNewsletters(ctx)
}

// index and seal turn an address into what the store keeps.
func (s *Service) index(addr string) string { return s.vault.Index(indexForm(addr), EmailPurpose) }
func (s *Service) seal(addr string) string  { return s.vault.Seal(addr, EmailPurpose) }

// Address opens a subscriber's sealed address.
func (s *Service) Address(sub store.Subscriber) (string, error) {
	addr, err := s.vault.Open(sub.EmailSealed, EmailPurpose)
	if err != nil {
		return "", fmt.Errorf("newsletter: open the address of subscriber %s (is this the key the site started with?): %w", sub.ID, err)
	}
	return addr, nil
}

// send hands m to the mail server in the background, so that a signup's
// answer takes as long whether or not an email goes out (its timing must
// not tell whether an address is subscribed). At most a few sends run at
// once; the signup throttle bounds how many wait.
func (s *Service) send(m *mail.Message) {
	s.outgoing.Add(1)
	go func() {
		defer s.outgoing.Done()
		s.sending <- struct{}{}
		defer func() { <-s.sending }()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := s.mail.Send(ctx, m); err != nil {
			// Never the address: logs are not encrypted.
			s.log.Warn("newsletter: send a signup email", "subject", m.Subject, "err", redact(err, m.To))
		}
	}()
}

// redact removes addr from an error's text.
func redact(err error, addr string) string {
	return strings.ReplaceAll(err.Error(), addr, "[address]")
}

// settings returns the site settings, or the defaults before any are saved.
func (s *Service) settings(ctx context.Context) (model.Settings, error) {
	set, err := s.store.Settings(ctx)
	if errors.Is(err, model.ErrNotFound) {
		return model.DefaultSettings("tamizdat"), nil
	}
	return set, err
}

// policy returns the Privacy Policy version consent is given under.
func (s *Service) policy(ctx context.Context, set model.Settings) (string, error) {
	if s.policyVersion != "" {
		return s.policyVersion, nil
	}
	p, err := s.store.PageBySlug(ctx, set.Newsletter.PolicySlug)
	if errors.Is(err, model.ErrNotFound) {
		return "none published", nil
	}
	if err != nil {
		return "", err
	}
	return "page " + p.Slug + " as updated " + p.UpdatedAt.UTC().Format(time.RFC3339), nil
}
