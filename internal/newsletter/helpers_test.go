package newsletter_test

import (
	"bytes"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// t0 is the test clock's start.
var t0 = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

// testKey is the master key of every test service.
var testKey = bytes.Repeat([]byte{7}, 32)

const linkRoot = "https://news.example/"

// env is a service over a real store, mailing through a real SMTP server.
type env struct {
	t     *testing.T
	st    *store.Store
	svc   *newsletter.Service
	smtp  *mailtest.Server
	clock *storetest.Clock
	ns    map[string]store.Newsletter
}

// newEnv builds an env on engine with a store seeded with the default
// newsletters.
func newEnv(t *testing.T, engine string, limits newsletter.Limits) *env {
	t.Helper()
	clock := storetest.NewClock(t0)
	st := storetest.NewEngine(t, engine, store.Options{Now: clock.Now})
	return newEnvOn(t, st, clock, limits)
}

func newEnvOn(t *testing.T, st *store.Store, clock *storetest.Clock, limits newsletter.Limits) *env {
	t.Helper()
	settings := model.DefaultSettings("The Outlet")
	if err := st.SaveSettings(t.Context(), settings); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SeedNewsletters(t.Context(), newsletter.DefaultNewsletters(settings)); err != nil {
		t.Fatal(err)
	}
	srv := mailtest.Start(t)
	sender, err := tmail.NewSMTP(srv.SMTPConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sender.Close() })
	svc, err := newsletter.New(newsletter.Options{
		Store: st, Key: testKey, Mail: sender, From: "The Outlet <news@news.example>",
		PolicyVersion: "2025-03", Limits: limits, Now: clock.Now,
		Log: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Wait) // before the SMTP server stops
	e := &env{t: t, st: st, svc: svc, smtp: srv, clock: clock, ns: map[string]store.Newsletter{}}
	list, err := st.ListNewsletters(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range list {
		e.ns[n.Slug] = n
	}
	return e
}

// signup signs email up for slugs (weekly when none) from client.
func (e *env) signup(email, client string, slugs ...string) error {
	if len(slugs) == 0 {
		slugs = []string{"weekly"}
	}
	return e.svc.Signup(e.t.Context(), newsletter.SignupRequest{
		Email: email, Newsletters: slugs, Consent: true, Source: "newsletter page", Client: client, LinkRoot: linkRoot,
	})
}

// mails waits for the service's background emails and returns everything
// the SMTP server received so far.
func (e *env) mails() []mailtest.Received {
	e.svc.Wait()
	return e.smtp.Messages()
}

// subscriber returns the subscriber with that address, or ErrNotFound.
func (e *env) subscriber(email string) (store.Subscriber, error) {
	addr, err := newsletter.NormalizeAddress(email)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.st.SubscriberByEmailIndex(e.t.Context(), e.svc.Vault().Index(strings.ToLower(addr), newsletter.EmailPurpose))
}

// tokenIn returns the token of the first link to path in text.
func tokenIn(t *testing.T, text, path string) string {
	t.Helper()
	m := regexp.MustCompile(regexp.QuoteMeta(linkRoot+path+"?t=") + `([A-Za-z0-9_-]+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no %s link in:\n%s", path, text)
	}
	return m[1]
}

// tamper changes one character in the middle of a link token, where every
// bit counts (the last character of base64 may carry unused bits).
func tamper(token string) string {
	i := len(token) / 2
	c := byte('A')
	if token[i] == 'A' {
		c = 'B'
	}
	return token[:i] + string(c) + token[i+1:]
}
