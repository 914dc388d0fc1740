// Package accounts runs the desk's staff accounts: passwords (argon2id),
// sessions, two-factor sign-in with passkeys (WebAuthn), TOTP and recovery
// codes, step-up checks, login throttling and the roles that decide what
// each account may do. It records what happens in the audit log.
//
// Sign-in has stages. A password alone gives a session that can do nothing
// but prove or enrol a second factor (requirement S1); proving it rotates
// the session's token. The one exception is the demo database's demo
// account, and only while the desk runs on a loopback address.
package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/vault"
)

// Session lifetimes (requirement S4).
const (
	IdleTimeout     = 30 * time.Minute
	AbsoluteTimeout = 12 * time.Hour
	// PartialTimeout bounds a session that has only a password behind it:
	// long enough to enrol a passkey, short enough to be of little use.
	PartialTimeout = 15 * time.Minute
	// StepUpWindow is how recent a second-factor proof must be for actions
	// that need a step-up (requirement S5).
	StepUpWindow = 15 * time.Minute
	// SetupLinkValidity is how long a new account's setup link works.
	SetupLinkValidity = 24 * time.Hour
	// ResetLinkValidity is how long a password-reset link works.
	ResetLinkValidity = time.Hour
)

// Errors the web layer turns into generic messages. ErrInvalidLogin never
// says whether the email or the password was wrong.
var (
	ErrInvalidLogin   = errors.New("accounts: wrong email or password")
	ErrThrottled      = errors.New("accounts: too many failed attempts; wait a little and try again")
	ErrInvalidCode    = errors.New("accounts: the code is wrong, expired or already used")
	ErrNoSession      = errors.New("accounts: not signed in, or the session ended")
	ErrForbidden      = errors.New("accounts: this account may not do that")
	ErrStepUpRequired = errors.New("accounts: confirm it is you with your passkey first")
	ErrInvalidLink    = errors.New("accounts: the link is wrong, expired or already used")
	ErrSetupClosed    = errors.New("accounts: the first administrator already exists")
)

// Options configure the service.
type Options struct {
	Store *store.Store
	Audit *audit.Log
	// AdminURL is the desk's one origin, e.g. https://desk.example.org. Its
	// host is the WebAuthn relying party ID; https makes cookies Secure.
	AdminURL string
	// SiteName names the site in authenticator apps and passkey prompts.
	SiteName string
	// Now is the clock; time.Now when nil. Give the store the same one.
	Now func() time.Time
	// ThrottleKey keys the hash of client network prefixes in the login
	// throttle; random when nil. Servers sharing a database should share it.
	ThrottleKey []byte
	// Vault seals the TOTP secrets in the database with the key kept
	// outside it; without one, TOTP cannot be enrolled or checked.
	Vault *vault.Vault
	// Mail sends account emails (reset and setup links, security notices)
	// from MailFrom. Without it they are written to the log instead, which
	// suits the demo and servers without SMTP.
	Mail     mail.Sender
	MailFrom string
	Log      *slog.Logger
}

// Service is the accounts service. It is safe for concurrent use.
type Service struct {
	store       *store.Store
	audit       *audit.Log
	adminURL    *url.URL
	siteName    string
	now         func() time.Time
	throttleKey []byte
	vault       *vault.Vault
	mail        mail.Sender
	mailFrom    string
	// mailing counts emails being sent in the background (see notify).
	mailing  sync.WaitGroup
	log      *slog.Logger
	webauthn *webauthn.WebAuthn
	// demoAllowed is true when the desk runs on a loopback address, the only
	// place where the demo account's fixed password may be used.
	demoAllowed bool
}

// New checks opts and returns the service.
func New(opts Options) (*Service, error) {
	u, err := ParseAdminURL(opts.AdminURL)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	s := &Service{
		store: opts.Store, audit: opts.Audit, adminURL: u, siteName: opts.SiteName,
		now: opts.Now, throttleKey: opts.ThrottleKey, vault: opts.Vault, mail: opts.Mail, mailFrom: opts.MailFrom, log: opts.Log,
		demoAllowed: IsLoopback(u.Hostname()),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.siteName == "" {
		s.siteName = "tamizdat"
	}
	if s.throttleKey == nil {
		s.throttleKey = make([]byte, 32)
		rand.Read(s.throttleKey)
	}
	s.webauthn, err = webauthn.New(&webauthn.Config{
		RPID:          u.Hostname(),
		RPDisplayName: s.siteName,
		RPOrigins:     []string{u.Scheme + "://" + u.Host},
	})
	if err != nil {
		return nil, fmt.Errorf("accounts: webauthn: %w", err)
	}
	return s, nil
}

// ParseAdminURL checks the desk's address: http or https with a host and no
// path, query or fragment. Plain http is allowed only on a loopback host,
// where browsers treat it as secure.
func ParseAdminURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("admin URL %q: expected an address such as https://desk.example.org or http://localhost:8080", raw)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("admin URL %q: give only the scheme and host; the desk lives at /admin on it", raw)
	}
	if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("admin URL %q: use https; plain http is only allowed on localhost", raw)
	}
	u.Path = ""
	return u, nil
}

// IsLoopback reports whether host is localhost or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// AdminURL returns the desk's origin, e.g. "https://desk.example.org".
func (s *Service) AdminURL() string { return s.adminURL.Scheme + "://" + s.adminURL.Host }

// AdminHost returns the host (and port) the desk answers on.
func (s *Service) AdminHost() string { return s.adminURL.Host }

// SecureCookies reports whether the desk is served over TLS, so that its
// cookies must be Secure and may use the __Host- prefix.
func (s *Service) SecureCookies() bool { return s.adminURL.Scheme == "https" }

// Now is the service's clock, for pages that show whether something has
// expired.
func (s *Service) Now() time.Time { return s.now() }

// DemoAllowed reports whether the demo account may sign in here.
func (s *Service) DemoAllowed() bool { return s.demoAllowed }

// newToken returns 256 random bits, base64url-encoded.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns the hex SHA-256 of a session or link token: what the
// store keeps in place of the token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// csrfToken derives a session's form token from its secret token, so it
// needs no storage and changes when the session rotates.
func csrfToken(sessionToken string) string {
	m := hmac.New(sha256.New, []byte(sessionToken))
	m.Write([]byte("tamizdat csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// record appends to the audit log. A failure is logged, not returned: the
// action it describes has already happened.
func (s *Service) record(ctx context.Context, e audit.Entry) {
	if s.audit == nil {
		return
	}
	if err := s.audit.Append(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "audit entry lost", "action", e.Action, "err", err)
	}
}
