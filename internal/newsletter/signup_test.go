package newsletter_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestOptInRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		e := newEnv(t, engine, newsletter.Limits{})
		ctx := t.Context()
		if err := e.signup("Reader@Example.ORG", "203.0.113.5", "weekly", "breaking"); err != nil {
			t.Fatal(err)
		}
		mails := e.mails()
		if len(mails) != 1 {
			t.Fatalf("%d emails sent, want 1", len(mails))
		}
		m := mails[0]
		if len(m.To) != 1 || m.To[0] != "Reader@example.org" {
			t.Errorf("sent to %v, want Reader@example.org", m.To)
		}
		if got := m.Header.Get("Subject"); got != "Confirm your subscription to The Outlet" {
			t.Errorf("subject %q", got)
		}
		text := mailtest.TextOf(t, m)
		if !strings.Contains(text, "Weekly and Breaking") {
			t.Errorf("the email does not name the newsletters:\n%s", text)
		}
		token := tokenIn(t, text, "newsletter/confirm")

		sub, err := e.subscriber("reader@example.org")
		if err != nil || sub.Status != store.SubscriberPending || len(sub.Subscriptions) != 2 {
			t.Fatalf("after signup: %+v, %v; want pending with two subscriptions", sub, err)
		}
		consents, err := e.st.Consents(ctx, sub.ID)
		if err != nil || len(consents) != 1 {
			t.Fatalf("Consents() = %+v, %v", consents, err)
		}
		c := consents[0]
		want := "Subscribers agree to the Privacy Policy. Newsletters: Weekly and Breaking. Given on the newsletter page of The Outlet."
		if c.Text != want || c.PolicyVersion != "2025-03" || !c.GivenAt.Equal(t0) {
			t.Errorf("consent = %+v; want text %q, policy 2025-03, given at t0", c, want)
		}

		// Looking at the link (as a mail scanner does) confirms nothing.
		state, err := e.svc.CheckConfirm(ctx, token)
		if err != nil || state.Confirmed || len(state.Newsletters) != 2 {
			t.Fatalf("CheckConfirm() = %+v, %v", state, err)
		}
		if sub, _ := e.subscriber("reader@example.org"); sub.Status != store.SubscriberPending {
			t.Fatalf("CheckConfirm changed the status to %s", sub.Status)
		}
		e.clock.Advance(time.Hour)
		done, err := e.svc.Confirm(ctx, token)
		if err != nil || len(done.Newsletters) != 2 || done.ManageToken == "" {
			t.Fatalf("Confirm() = %+v, %v", done, err)
		}
		sub, _ = e.subscriber("reader@example.org")
		if sub.Status != store.SubscriberActive || !sub.ConfirmedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("after confirming: %+v", sub)
		}
		recipients, err := e.st.ActiveRecipients(ctx, e.ns["weekly"].ID, "", 10)
		if err != nil || len(recipients) != 1 {
			t.Fatalf("ActiveRecipients() = %+v, %v", recipients, err)
		}
		if addr, err := e.svc.Vault().Open(recipients[0].EmailSealed, newsletter.EmailPurpose); err != nil || addr != "Reader@example.org" {
			t.Errorf("sealed recipient opens to %q, %v", addr, err)
		}
		// The link works once; using it again is harmless.
		if _, err := e.svc.Confirm(ctx, token); err != nil {
			t.Errorf("second Confirm() = %v", err)
		}
		if state, err := e.svc.CheckConfirm(ctx, token); err != nil || !state.Confirmed {
			t.Errorf("CheckConfirm() after confirming = %+v, %v; want Confirmed", state, err)
		}
	})
}

func TestConfirmLinkRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", newsletter.Limits{})
	ctx := t.Context()
	if err := e.signup("late@example.org", "203.0.113.5"); err != nil {
		t.Fatal(err)
	}
	token := tokenIn(t, mailtest.TextOf(t, e.mails()[0]), "newsletter/confirm")
	tests := []struct {
		name  string
		token string
		after time.Duration
		want  error
	}{
		{"tampered", tamper(token), 0, newsletter.ErrBadLink},
		{"truncated", token[:30], 0, newsletter.ErrBadLink},
		{"an unsubscribe token", e.svc.Tokens().UnsubscribeToken("x", "y"), 0, newsletter.ErrBadLink},
		{"expired", token, 72 * time.Hour, newsletter.ErrExpiredLink},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clock.Advance(tt.after)
			if _, err := e.svc.CheckConfirm(ctx, tt.token); !errors.Is(err, tt.want) {
				t.Errorf("CheckConfirm() = %v, want %v", err, tt.want)
			}
			if _, err := e.svc.Confirm(ctx, tt.token); !errors.Is(err, tt.want) {
				t.Errorf("Confirm() = %v, want %v", err, tt.want)
			}
		})
	}
	if sub, _ := e.subscriber("late@example.org"); sub.Status != store.SubscriberPending {
		t.Errorf("a refused link changed the status to %s", sub.Status)
	}
}

// TestSignupAnswersAlike checks that a signup answers the same whatever the
// address's state, and emails only when it should.
func TestSignupAnswersAlike(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		e := newEnv(t, engine, newsletter.Limits{Resend: time.Hour})
		ctx := t.Context()
		if err := e.signup("active@example.org", "198.51.100.1"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Confirm(ctx, tokenIn(t, mailtest.TextOf(t, e.mails()[0]), "newsletter/confirm")); err != nil {
			t.Fatal(err)
		}
		if err := e.signup("pending@example.org", "198.51.100.1"); err != nil {
			t.Fatal(err)
		}
		if err := e.st.Suppress(ctx, e.svc.Vault().Index("blocked@example.org", newsletter.EmailPurpose), store.SuppressManual); err != nil {
			t.Fatal(err)
		}
		sent := len(e.mails())
		e.clock.Advance(2 * time.Hour) // past the resend limit

		tests := []struct {
			address     string
			wantSubject string // "" when nothing may be sent
		}{
			{"new@example.org", "Confirm your subscription to The Outlet"},
			{"pending@example.org", "Confirm your subscription to The Outlet"},
			{"ACTIVE@example.org", "Your subscription to The Outlet"},
			{"blocked@example.org", ""},
		}
		for _, tt := range tests {
			t.Run(tt.address, func(t *testing.T) {
				if err := e.signup(tt.address, "198.51.100.2", "breaking"); err != nil {
					t.Fatalf("Signup() = %v, want nil whatever the address", err)
				}
				mails := e.mails()
				if tt.wantSubject == "" {
					if len(mails) != sent {
						t.Errorf("%d emails sent to a suppressed address", len(mails)-sent)
					}
					return
				}
				if len(mails) != sent+1 {
					t.Fatalf("%d emails sent, want 1", len(mails)-sent)
				}
				sent++
				m := mails[len(mails)-1]
				if got := m.Header.Get("Subject"); got != tt.wantSubject {
					t.Errorf("subject %q, want %q", got, tt.wantSubject)
				}
				if tt.wantSubject == "Your subscription to The Outlet" {
					if _, err := e.svc.Profile(ctx, tokenIn(t, mailtest.TextOf(t, m), "newsletter/manage")); err != nil {
						t.Errorf("the manage link in the email: %v", err)
					}
				}
				// A second signup within the resend limit sends nothing.
				if err := e.signup(tt.address, "198.51.100.3", "breaking"); err != nil {
					t.Fatal(err)
				}
				if n := len(e.mails()); n != sent {
					t.Errorf("a repeated signup sent %d more emails within the resend limit", n-sent)
				}
			})
		}
		// The active subscriber's choices did not change: only their own
		// link may do that.
		active, _ := e.subscriber("active@example.org")
		if len(active.Subscriptions) != 1 || active.Subscriptions[0].NewsletterID != e.ns["weekly"].ID {
			t.Errorf("a signup changed an active subscriber's choices: %+v", active.Subscriptions)
		}
		pending, _ := e.subscriber("pending@example.org")
		if len(pending.Subscriptions) != 1 || pending.Subscriptions[0].NewsletterID != e.ns["breaking"].ID {
			t.Errorf("a pending subscriber's new choice was not kept: %+v", pending.Subscriptions)
		}
		if _, err := e.subscriber("blocked@example.org"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a suppressed address was stored: %v", err)
		}
	})
}

func TestSignupRejects(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", newsletter.Limits{PerClient: 100})
	ctx := t.Context()
	var addressError *newsletter.AddressError
	tests := []struct {
		name string
		req  newsletter.SignupRequest
		want any // an error, or a pointer to an error type
	}{
		{"header injection", newsletter.SignupRequest{Email: "a@b.c\r\nBcc: x@y.z", Newsletters: []string{"weekly"}, Consent: true}, &addressError},
		{"malformed", newsletter.SignupRequest{Email: "not an address", Newsletters: []string{"weekly"}, Consent: true}, &addressError},
		{"display name", newsletter.SignupRequest{Email: "Eve <eve@example.org>", Newsletters: []string{"weekly"}, Consent: true}, &addressError},
		{"no consent", newsletter.SignupRequest{Email: "a@example.org", Newsletters: []string{"weekly"}}, newsletter.ErrConsentRequired},
		{"no newsletter", newsletter.SignupRequest{Email: "a@example.org", Consent: true}, newsletter.ErrNoNewsletter},
		{"unknown newsletter", newsletter.SignupRequest{Email: "a@example.org", Newsletters: []string{"weekly", "daily"}, Consent: true}, newsletter.ErrNoNewsletter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.LinkRoot, tt.req.Client = linkRoot, "192.0.2.1"
			err := e.svc.Signup(ctx, tt.req)
			switch want := tt.want.(type) {
			case error:
				if !errors.Is(err, want) {
					t.Errorf("Signup() = %v, want %v", err, want)
				}
			default:
				if !errors.As(err, want) {
					t.Errorf("Signup() = %v, want %T", err, want)
				}
			}
		})
	}
	if n := len(e.mails()); n != 0 {
		t.Errorf("%d emails sent for refused signups", n)
	}
	if sub, err := e.subscriber("a@example.org"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("a refused signup was stored: %+v, %v", sub, err)
	}
}

func TestSignupUnicodeDomain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", newsletter.Limits{})
	if err := e.signup("читатель@пример.рф", "192.0.2.1"); err == nil {
		t.Error("a Cyrillic mailbox name was accepted; most servers refuse it")
	}
	if err := e.signup("reader@ПРИМЕР.рф", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	mails := e.mails()
	if len(mails) != 1 || len(mails[0].To) != 1 || mails[0].To[0] != "reader@xn--e1afmkfd.xn--p1ai" {
		t.Fatalf("sent %+v; want one email to the ASCII form of the domain", mails)
	}
	// The Unicode and ASCII forms are one subscriber.
	if _, err := e.subscriber("reader@xn--e1afmkfd.xn--p1ai"); err != nil {
		t.Errorf("the ASCII form finds no subscriber: %v", err)
	}
}

func TestSignupThrottle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite", newsletter.Limits{PerClient: 3, Global: 7, Window: time.Minute})
	steps := []struct {
		client string
		want   error
	}{
		{"203.0.113.1", nil},
		{"203.0.113.2", nil}, // one /24 shares one counter
		{"203.0.113.3", nil},
		{"203.0.113.4", newsletter.ErrThrottled},
		{"2001:db8:1:2::1", nil},
		{"2001:db8:1:3::1", nil}, // one /48 shares one counter
		{"2001:db8:1:ffff::9", nil},
		{"2001:db8:1:4::1", newsletter.ErrThrottled},
		{"198.51.100.1", nil},
		{"192.0.2.50", newsletter.ErrThrottled}, // the global cap of 7
	}
	for i, step := range steps {
		err := e.signup(strings.Repeat("x", i+1)+"@example.org", step.client)
		if !errors.Is(err, step.want) {
			t.Errorf("signup %d from %s = %v, want %v", i, step.client, err, step.want)
		}
	}
	e.clock.Advance(time.Minute)
	if err := e.signup("later@example.org", "203.0.113.9"); err != nil {
		t.Errorf("after the window: %v", err)
	}
}

func TestSignupWithoutMail(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	if _, err := st.SeedNewsletters(t.Context(), newsletter.DefaultNewsletters(model.DefaultSettings("x"))); err != nil {
		t.Fatal(err)
	}
	svc, err := newsletter.New(newsletter.Options{Store: st, Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	err = svc.Signup(t.Context(), newsletter.SignupRequest{Email: "a@example.org", Newsletters: []string{"weekly"}, Consent: true, LinkRoot: linkRoot})
	if !errors.Is(err, newsletter.ErrMailUnavailable) {
		t.Errorf("Signup() without a mail server = %v, want ErrMailUnavailable", err)
	}
}
