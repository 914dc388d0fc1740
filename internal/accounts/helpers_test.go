package accounts_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/accounts/passkeytest"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
	"github.com/tamizdat/tamizdat/internal/vault"
)

const adminURL = "http://localhost:8080"

var t0 = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

// env is a service over a fresh store, both on one test clock.
type env struct {
	svc   *accounts.Service
	store *store.Store
	audit *audit.Log
	clock *storetest.Clock
	smtp  *mailtest.Server
}

// each runs fn on both engines.
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		clock := storetest.NewClock(t0)
		st := storetest.NewEngine(t, engine, store.Options{Now: clock.Now})
		fn(t, newEnv(t, st, clock, adminURL))
	})
}

func newEnv(t *testing.T, st *store.Store, clock *storetest.Clock, url string) *env {
	t.Helper()
	log := audit.New(st)
	smtp := mailtest.Start(t)
	sender, err := mail.NewSMTP(smtp.SMTPConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sender.Close() })
	svc, err := accounts.New(accounts.Options{Store: st, Audit: log, AdminURL: url, SiteName: "Courier",
		Now: clock.Now, Vault: testVault(t), Mail: sender, MailFrom: "Courier desk <desk@courier.example>",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, store: st, audit: log, clock: clock, smtp: smtp}
}

// testVault is a vault with a fixed key, so that services built over one
// store in a test can open each other's sealed values.
func testVault(t *testing.T) *vault.Vault {
	t.Helper()
	v, err := vault.New(bytes.Repeat([]byte{7}, vault.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// mailAbout waits for the account emails under way and returns the latest
// one to address whose subject contains about, failing the test when there
// is none. Account emails go out concurrently, so the latest to arrive is
// not always the latest sent: tests name the one they expect.
func (e *env) mailAbout(t *testing.T, address, about string) (subject, text string) {
	t.Helper()
	e.waitMail(t)
	var m mailtest.Received
	found := false
	for _, r := range e.smtp.Messages() {
		if slices.Contains(r.To, address) && strings.Contains(r.Header.Get("Subject"), about) {
			m, found = r, true
		}
	}
	if !found {
		t.Fatalf("no email to %s about %q; sent to it: %q", address, about, e.subjectsTo(t, address))
	}
	text, err := m.Text()
	if err != nil {
		t.Fatal(err)
	}
	return m.Header.Get("Subject"), text
}

// subjectsTo waits for the account emails under way and returns the
// subjects of all those sent to address, in the order they arrived.
func (e *env) subjectsTo(t *testing.T, address string) []string {
	t.Helper()
	e.waitMail(t)
	var subjects []string
	for _, m := range e.smtp.Messages() {
		if slices.Contains(m.To, address) {
			subjects = append(subjects, m.Header.Get("Subject"))
		}
	}
	return subjects
}

// mailCount waits for the account emails under way and counts those sent.
func (e *env) mailCount(t *testing.T) int {
	t.Helper()
	e.waitMail(t)
	return e.smtp.Count()
}

// waitMail waits for the account emails under way.
func (e *env) waitMail(t *testing.T) {
	t.Helper()
	if err := e.svc.WaitMail(t.Context()); err != nil {
		t.Fatal(err)
	}
}

const goodPassword = "correct horse battery staple"

// user creates an account with goodPassword.
func (e *env) user(t *testing.T, email string, role accounts.Role) store.User {
	t.Helper()
	u, token, err := e.svc.AddUser(t.Context(), audit.System, email, "", role)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetPasswordWithLink(t.Context(), store.TokenSetup, token, goodPassword); err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *env) login(t *testing.T, email string) *accounts.Principal {
	t.Helper()
	token, err := e.svc.Login(t.Context(), email, goodPassword, accounts.Client{IP: "192.0.2.10", UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"})
	if err != nil {
		t.Fatal(err)
	}
	return e.auth(t, token)
}

func (e *env) auth(t *testing.T, token string) *accounts.Principal {
	t.Helper()
	p, err := e.svc.Authenticate(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// enrolPasskey signs in with a password and enrols a passkey, returning the
// authenticator and the fully signed-in principal.
func (e *env) enrolPasskey(t *testing.T, email string) (*passkeytest.Authenticator, *accounts.Principal, []string) {
	t.Helper()
	p := e.login(t, email)
	opts, err := e.svc.BeginPasskeyRegistration(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	p = e.auth(t, p.Token()) // the ceremony is stored in the session
	a := passkeytest.New(adminURL)
	resp, err := a.Create(opts)
	if err != nil {
		t.Fatal(err)
	}
	token, codes, err := e.svc.FinishPasskeyRegistration(t.Context(), p, "Test key", resp)
	if err != nil {
		t.Fatal(err)
	}
	return a, e.auth(t, token), codes
}

// passkeySignIn proves the passkey for p's session and returns the result
// of finishing.
func (e *env) passkeySignIn(t *testing.T, a *passkeytest.Authenticator, p *accounts.Principal) (string, error) {
	t.Helper()
	opts, err := e.svc.BeginPasskeyAssertion(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := a.Get(opts)
	if err != nil {
		t.Fatal(err)
	}
	return e.svc.FinishPasskeyAssertion(t.Context(), e.auth(t, p.Token()), resp)
}

// enrolTOTP signs a contributor in and enrols TOTP, returning the secret.
func (e *env) enrolTOTP(t *testing.T, email string) (string, *accounts.Principal, []string) {
	t.Helper()
	p := e.login(t, email)
	en, err := e.svc.BeginTOTP(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	token, codes, err := e.svc.ConfirmTOTP(t.Context(), p, e.code(t, en.Secret))
	if err != nil {
		t.Fatal(err)
	}
	return en.Secret, e.auth(t, token), codes
}

func (e *env) code(t *testing.T, secret string) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

// auditActions lists the audit log's actions, oldest first, and checks
// that the chain is intact.
func (e *env) auditActions(t *testing.T) []string {
	t.Helper()
	var actions []string
	if err := e.store.EachAudit(t.Context(), func(a store.AuditEntry) error {
		actions = append(actions, a.Action)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if res, err := e.audit.Verify(t.Context()); err != nil || !res.OK() {
		t.Fatalf("audit chain: %+v, %v", res, err)
	}
	return actions
}
