package accounts_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.user(t, "ed@example.org", accounts.Editor)
		_, p, _ := e.enrolPasskey(t, "ed@example.org")

		// Active use keeps a session alive up to its absolute end.
		for elapsed := time.Duration(0); elapsed < accounts.AbsoluteTimeout-25*time.Minute; elapsed += 25 * time.Minute {
			e.clock.Advance(25 * time.Minute)
			if _, err := e.svc.Authenticate(ctx, p.Token()); err != nil {
				t.Fatalf("active session ended after %v: %v", elapsed+25*time.Minute, err)
			}
		}
		e.clock.Advance(25 * time.Minute)
		_, err := e.svc.Authenticate(ctx, p.Token())
		wantErr(t, err, accounts.ErrNoSession)

		// Idle for 30 minutes ends it.
		p = e.login(t, "ed@example.org")
		e.clock.Advance(accounts.IdleTimeout)
		_, err = e.svc.Authenticate(ctx, p.Token())
		wantErr(t, err, accounts.ErrNoSession)

		// A password-only session ends after 15 minutes, however active.
		p = e.login(t, "ed@example.org")
		for range 3 {
			e.clock.Advance(5 * time.Minute)
			_, err = e.svc.Authenticate(ctx, p.Token())
		}
		wantErr(t, err, accounts.ErrNoSession)

		_, err = e.svc.Authenticate(ctx, "forged-token")
		wantErr(t, err, accounts.ErrNoSession)
	})
}

func TestSessionListAndRevocation(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.user(t, "ed@example.org", accounts.Editor)
		e.user(t, "other@example.org", accounts.Editor)
		a, p, _ := e.enrolPasskey(t, "ed@example.org")
		token, err := e.passkeySignIn(t, a, e.login(t, "ed@example.org"))
		if err != nil {
			t.Fatal(err)
		}
		second := e.auth(t, token)
		_, o, _ := e.enrolPasskey(t, "other@example.org")

		list, err := e.svc.Sessions(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].UserAgent != "Firefox on Linux" {
			t.Fatalf("Sessions() = %+v; want two, summarised as Firefox on Linux", list)
		}
		wantErr(t, e.svc.RevokeSession(ctx, p, o.Session.ID), model.ErrNotFound) // not theirs
		if err := e.svc.RevokeSession(ctx, p, second.Session.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Authenticate(ctx, second.Token())
		wantErr(t, err, accounts.ErrNoSession)
		if _, err := e.svc.Authenticate(ctx, p.Token()); err != nil {
			t.Errorf("revoking one session ended another: %v", err)
		}
		if err := e.svc.SignOutEverywhere(ctx, p); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Authenticate(ctx, p.Token())
		wantErr(t, err, accounts.ErrNoSession)
		if _, err := e.svc.Authenticate(ctx, o.Token()); err != nil {
			t.Errorf("signing out everywhere ended another user's session: %v", err)
		}
	})
}

func TestDisablingAUserEndsItsSessions(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.user(t, "admin@example.org", accounts.Admin)
		ed := e.user(t, "ed@example.org", accounts.Editor)
		_, admin, _ := e.enrolPasskey(t, "admin@example.org")
		_, p, _ := e.enrolPasskey(t, "ed@example.org")

		if err := e.svc.SetDisabled(ctx, p, admin.User.ID, true); !errors.Is(err, accounts.ErrForbidden) {
			t.Errorf("an editor disabled an admin: %v", err)
		}
		if err := e.svc.SetDisabled(ctx, admin, ed.ID, true); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Authenticate(ctx, p.Token())
		wantErr(t, err, accounts.ErrNoSession)
		_, err = e.svc.Login(ctx, "ed@example.org", goodPassword, accounts.Client{})
		wantErr(t, err, accounts.ErrInvalidLogin)

		var ve *model.ValidationError
		if err := e.svc.SetDisabled(ctx, admin, admin.User.ID, true); !errors.As(err, &ve) {
			t.Errorf("an admin disabled their own account: %v", err)
		}
		if err := e.svc.SetDisabled(ctx, admin, ed.ID, false); err != nil {
			t.Fatal(err)
		}
		e.login(t, "ed@example.org")
	})
}

func TestLoginThrottling(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.user(t, "ed@example.org", accounts.Editor)
		client := accounts.Client{IP: "198.51.100.7"}
		for range 5 {
			_, err := e.svc.Login(ctx, "ed@example.org", "wrong password", client)
			wantErr(t, err, accounts.ErrInvalidLogin)
		}
		_, err := e.svc.Login(ctx, "ed@example.org", goodPassword, client)
		wantErr(t, err, accounts.ErrThrottled) // even the right password waits
		_, err = e.svc.Login(ctx, "ED@example.org", goodPassword, accounts.Client{IP: "203.0.113.9"})
		wantErr(t, err, accounts.ErrThrottled) // per account, from anywhere
		e.clock.Advance(11 * time.Second)
		if _, err := e.svc.Login(ctx, "ed@example.org", goodPassword, client); err != nil {
			t.Fatalf("after the back-off: %v", err)
		}

		// An unknown account fails exactly like a wrong password.
		_, err = e.svc.Login(ctx, "nobody@example.org", goodPassword, client)
		wantErr(t, err, accounts.ErrInvalidLogin)

		// Per client network: twenty failures over many accounts from one
		// /24 hold back the whole network, not other networks.
		for i := range 20 {
			_, err := e.svc.Login(ctx, "guess"+string(rune('a'+i))+"@example.org", "x", accounts.Client{IP: "100.64.5." + string(rune('0'+i%10))})
			wantErr(t, err, accounts.ErrInvalidLogin)
		}
		e.user(t, "fresh@example.org", accounts.Editor)
		_, err = e.svc.Login(ctx, "fresh@example.org", goodPassword, accounts.Client{IP: "100.64.5.200"})
		wantErr(t, err, accounts.ErrThrottled)
		if _, err := e.svc.Login(ctx, "fresh@example.org", goodPassword, accounts.Client{IP: "203.0.113.9"}); err != nil {
			t.Errorf("another network was throttled too: %v", err)
		}
	})
}

func TestStepUp(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.user(t, "admin@example.org", accounts.Admin)
		ed := e.user(t, "ed@example.org", accounts.Editor)
		a, p, _ := e.enrolPasskey(t, "admin@example.org")
		if err := e.svc.ChangeRole(ctx, p, ed.ID, accounts.Author); err != nil {
			t.Fatalf("change role right after signing in: %v", err)
		}
		e.clock.Advance(accounts.StepUpWindow)
		p = e.auth(t, p.Token())
		wantErr(t, e.svc.ChangeRole(ctx, p, ed.ID, accounts.Editor), accounts.ErrStepUpRequired)
		if token, err := e.passkeySignIn(t, a, p); err != nil || token != "" {
			t.Fatalf("step-up = %q, %v", token, err)
		}
		p = e.auth(t, p.Token())
		if err := e.svc.ChangeRole(ctx, p, ed.ID, accounts.Editor); err != nil {
			t.Fatal(err)
		}
		var ve *model.ValidationError
		if err := e.svc.ChangeRole(ctx, p, p.User.ID, accounts.Editor); !errors.As(err, &ve) {
			t.Errorf("the last admin demoted themselves: %v", err)
		}
		if u, _ := e.store.UserByID(ctx, ed.ID); u.Role != string(accounts.Editor) {
			t.Errorf("role = %s", u.Role)
		}
	})
}

func TestSetupAndResetLinks(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		u, token, err := e.svc.AddUser(ctx, audit.System, "New@Example.org", "New Person", accounts.Author)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.svc.SetupLink(token); got != adminURL+"/admin/setup/"+token {
			t.Errorf("SetupLink() = %q", got)
		}
		if _, _, err := e.svc.AddUser(ctx, audit.System, "new@example.org", "", accounts.Author); err == nil {
			t.Error("a second account with the same email was created")
		}
		if _, _, err := e.svc.AddUser(ctx, audit.System, "x@example.org", "", "owner"); err == nil {
			t.Error("an account with an unknown role was created")
		}
		_, err = e.svc.Login(ctx, "new@example.org", "", accounts.Client{})
		wantErr(t, err, accounts.ErrInvalidLogin) // no password yet

		var ve *model.ValidationError
		if err := e.svc.SetPasswordWithLink(ctx, store.TokenSetup, token, "password"); !errors.As(err, &ve) {
			t.Errorf("a common password was accepted: %v", err)
		}
		if owner, err := e.svc.LinkOwner(ctx, store.TokenSetup, token); err != nil || owner.ID != u.ID {
			t.Fatalf("LinkOwner() = %v, %v", owner.ID, err)
		}
		if err := e.svc.SetPasswordWithLink(ctx, store.TokenSetup, token, goodPassword); err != nil {
			t.Fatal(err)
		}
		wantErr(t, e.svc.SetPasswordWithLink(ctx, store.TokenSetup, token, goodPassword+"!"), accounts.ErrInvalidLink)
		p := e.login(t, "new@example.org")

		// The setup link went out by email too.
		if subject, text := e.mailAbout(t, "new@example.org", "Your account on the Courier desk"); !strings.Contains(text, e.svc.SetupLink(token)) {
			t.Errorf("setup email %q lacks the link:\n%s", subject, text)
		}
		sent := e.mailCount(t)
		if err := e.svc.RequestPasswordReset(ctx, "nobody@example.org", accounts.Client{}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.RequestPasswordReset(ctx, "new@example.org", accounts.Client{}); err != nil {
			t.Fatal(err)
		}
		if n := e.mailCount(t); n != sent+1 {
			t.Errorf("%d emails for a known and an unknown address, want 1", n-sent)
		}
		_, text := e.mailAbout(t, "new@example.org", "Reset your password")
		reset := resetToken(t, e, text)
		wantErr(t, e.svc.SetPasswordWithLink(ctx, store.TokenSetup, reset, "another good passphrase"), accounts.ErrInvalidLink)
		if err := e.svc.SetPasswordWithLink(ctx, store.TokenReset, reset, "another good passphrase"); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Authenticate(ctx, p.Token())
		wantErr(t, err, accounts.ErrNoSession) // a reset ends the sessions
		e.mailAbout(t, "new@example.org", "password was reset")
		if _, err := e.svc.Login(ctx, "new@example.org", "another good passphrase", accounts.Client{}); err != nil {
			t.Error(err)
		}

		// Reset requests for one address are throttled, silently.
		for range 3 {
			e.svc.RequestPasswordReset(ctx, "new@example.org", accounts.Client{})
		}
		sent = e.mailCount(t)
		if err := e.svc.RequestPasswordReset(ctx, "new@example.org", accounts.Client{}); err != nil {
			t.Fatal(err)
		}
		if e.mailCount(t) != sent {
			t.Error("a flood of reset requests was not throttled")
		}
	})
}

// TestWaitMailIsBoundedByItsContext: a shutdown waits for the account
// emails under way, but only as long as its context allows.
func TestWaitMailIsBoundedByItsContext(t *testing.T) {
	t.Parallel()
	clock := storetest.NewClock(t0)
	e := newEnv(t, storetest.NewEngine(t, "sqlite", store.Options{Now: clock.Now}), clock, adminURL)
	e.user(t, "slow@example.org", accounts.Author)
	before := e.mailCount(t)
	e.smtp.Hang()
	if err := e.svc.RequestPasswordReset(t.Context(), "slow@example.org", accounts.Client{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := e.svc.WaitMail(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitMail with the SMTP server hanging: %v, want the context's deadline", err)
	}
	e.smtp.Unhang()
	if n := e.mailCount(t); n != before+1 {
		t.Errorf("%d emails once the SMTP server answers, want 1", n-before)
	}
}

func TestFirstAdmin(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		if open, err := e.svc.NeedsSetup(ctx); err != nil || !open {
			t.Fatalf("NeedsSetup() on an empty database = %v, %v", open, err)
		}
		u, err := e.svc.CreateFirstAdmin(ctx, "boss@example.org", "Boss", goodPassword)
		if err != nil || u.Role != string(accounts.Admin) || u.Demo {
			t.Fatalf("CreateFirstAdmin() = %+v, %v", u, err)
		}
		_, err = e.svc.CreateFirstAdmin(ctx, "second@example.org", "", goodPassword)
		wantErr(t, err, accounts.ErrSetupClosed)
		if p := e.login(t, "boss@example.org"); p.Stage() != accounts.StageEnrol || p.Can(accounts.PermDesk) {
			t.Errorf("first admin skipped two-factor enrolment: stage %v", p.Stage())
		}
	})
}

func TestDemoAccount(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		if _, _, ok := e.svc.DemoLogin(ctx); ok {
			t.Error("DemoLogin() reports a login before the demo account exists")
		}
		if _, err := e.svc.CreateDemoUser(ctx); err != nil {
			t.Fatal(err)
		}
		email, password, ok := e.svc.DemoLogin(ctx)
		if !ok || email != accounts.DemoEmail || password != accounts.DemoPassword {
			t.Fatalf("DemoLogin() = %q, %q, %v", email, password, ok)
		}
		token, err := e.svc.Login(ctx, email, password, accounts.Client{})
		if err != nil {
			t.Fatal(err)
		}
		p := e.auth(t, token)
		if !p.Demo || p.Stage() != accounts.StageReady || !p.Can(accounts.PermManageUsers) {
			t.Errorf("demo login: demo %v, stage %v", p.Demo, p.Stage())
		}
		// Without a second factor there is nothing to step up with; the
		// demo's exemption covers step-up, or the demo could not publish.
		if !p.SteppedUp() {
			t.Error("the demo login on a loopback desk does not count as stepped up")
		}
		if err := e.svc.RequestPasswordReset(ctx, email, accounts.Client{}); err != nil {
			t.Fatal(err)
		}

		// The same database behind a public desk: the demo account is dead.
		public := newEnv(t, e.store, e.clock, "https://desk.example.org")
		if _, _, ok := public.svc.DemoLogin(ctx); ok {
			t.Error("DemoLogin() offered on a public desk")
		}
		_, err = public.svc.Login(ctx, email, password, accounts.Client{})
		wantErr(t, err, accounts.ErrInvalidLogin)
		_, err = public.svc.Authenticate(ctx, token)
		wantErr(t, err, accounts.ErrNoSession)
	})
}

func TestParseAdminURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://desk.example.org", true},
		{"https://desk.example.org/", true},
		{"http://localhost:8080", true},
		{"http://127.0.0.1:8080", true},
		{"http://[::1]:8080", true},
		{"http://desk.example.org", false},
		{"https://desk.example.org/admin", false},
		{"https://desk.example.org?x=1", false},
		{"ftp://desk.example.org", false},
		{"desk.example.org", false},
		{"", false},
	} {
		if _, err := accounts.ParseAdminURL(tc.url); (err == nil) != tc.ok {
			t.Errorf("ParseAdminURL(%q) = %v; want ok=%v", tc.url, err, tc.ok)
		}
	}
}

var resetLinkPattern = regexp.MustCompile(`/admin/reset/([A-Za-z0-9_-]+)`)

// resetToken finds the token of the reset link in an email's text.
func resetToken(t *testing.T, e *env, text string) string {
	t.Helper()
	m := resetLinkPattern.FindStringSubmatch(text)
	if m == nil || !strings.Contains(text, e.svc.ResetLink(m[1])) {
		t.Fatalf("no reset link in the email:\n%s", text)
	}
	return m[1]
}
