package admin_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestChangePasswordOnTheAccountPage(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		d.user(t, "ed@example.org", accounts.Editor)
		b := d.browser(t)
		a := b.enrolPasskey("ed@example.org")
		other := d.browser(t)
		other.passkeySignIn("ed@example.org", a)

		if page := b.get("/admin/account").Body.String(); !strings.Contains(page, `action="/admin/password"`) {
			t.Fatalf("the account page has no password form:\n%s", page)
		}
		w := b.post("/admin/password", url.Values{"current": {"wrong password"}, "password": {"a fresh passphrase"}})
		wantStatus(t, w, http.StatusUnprocessableEntity)
		if !strings.Contains(w.Body.String(), "current password is not right") {
			t.Errorf("no reason given:\n%s", w.Body)
		}
		wantStatus(t, b.post("/admin/password", url.Values{"current": {goodPassword}, "password": {"short"}}), http.StatusUnprocessableEntity)
		wantStatus(t, other.get("/admin/"), http.StatusOK)

		w = b.post("/admin/password", url.Values{"current": {goodPassword}, "password": {"a fresh passphrase"}})
		wantStatus(t, w, http.StatusOK)
		if !strings.Contains(w.Body.String(), "Your password is changed") {
			t.Errorf("no confirmation:\n%s", w.Body)
		}
		wantStatus(t, b.get("/admin/"), http.StatusOK)
		wantRedirect(t, other.get("/admin/"), "/admin/sign-in")
		wantStatus(t, b.signIn("ed@example.org", goodPassword), http.StatusUnauthorized)
		wantRedirect(t, b.signIn("ed@example.org", "a fresh passphrase"), "/admin/second-factor")
	})
}

func TestAuthenticatorAppOnTheAccountPage(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		d.user(t, "c@example.org", accounts.Contributor)
		b := d.browser(t)
		oldSecret, _ := b.enrolTOTP("c@example.org")
		wantStatus(t, b.get("/admin/"), http.StatusOK)
		if page := b.get("/admin/account").Body.String(); !strings.Contains(page, `action="/admin/totp/remove"`) {
			t.Fatalf("the account page offers no removal:\n%s", page)
		}
		w := b.post("/admin/totp/remove", nil)
		wantStatus(t, w, http.StatusUnprocessableEntity)
		if !strings.Contains(w.Body.String(), "only second factor") {
			t.Errorf("no reason given:\n%s", w.Body)
		}
		if totp, err := d.store.TOTPOf(t.Context(), principalID(t, d, "c@example.org")); err != nil || !totp.Confirmed {
			t.Errorf("the app is gone after a refused removal: %v", err)
		}

		// Moving to a new app instead.
		if page := b.get("/admin/enrol").Body.String(); !strings.Contains(page, "Replace your authenticator app") {
			t.Fatalf("the enrol page offers no replacement:\n%s", page)
		}
		wantRedirect(t, b.post("/admin/enrol/totp", nil), "/admin/enrol/totp")
		m := totpKey.FindStringSubmatch(b.get("/admin/enrol/totp").Body.String())
		if m == nil || m[1] == oldSecret {
			t.Fatalf("the replacement page shows no new key: %v", m)
		}
		code, _ := totp.GenerateCode(m[1], d.clock.Now())
		wantRedirect(t, b.post("/admin/enrol/totp/confirm", url.Values{"code": {code}}), "/admin/account")
		d.clock.Advance(30 * time.Second)
		b.get("/admin/account")
		b.post("/admin/sign-out", nil)
		wantRedirect(t, b.signIn("c@example.org", goodPassword), "/admin/second-factor")
		b.get("/admin/second-factor")
		old, _ := totp.GenerateCode(oldSecret, d.clock.Now())
		wantStatus(t, b.post("/admin/second-factor/totp", url.Values{"code": {old}}), http.StatusUnprocessableEntity)
		code, _ = totp.GenerateCode(m[1], d.clock.Now())
		wantRedirect(t, b.post("/admin/second-factor/totp", url.Values{"code": {code}}), "/admin/")
	})
}

func TestAdminResetsSecondFactors(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		admin, _ := d.readyBrowser(t, "boss@example.org", accounts.Admin)
		ed, edUser := d.readyBrowser(t, "ed@example.org", accounts.Editor)
		reset := "/admin/users/" + edUser.ID + "/reset-2fa"

		wantStatus(t, ed.post(reset, url.Values{"csrf": {ed.token(false)}}), http.StatusForbidden)
		admin.get("/admin/users")
		wantRedirect(t, admin.post(reset, nil), "/admin/users")
		wantRedirect(t, ed.get("/admin/"), "/admin/sign-in")
		wantRedirect(t, ed.signIn("ed@example.org", goodPassword), "/admin/enrol")
		if keys, err := d.store.PasskeysOf(t.Context(), edUser.ID); err != nil || len(keys) != 0 {
			t.Errorf("passkeys after a reset: %d, %v", len(keys), err)
		}
		if !strings.Contains(admin.get("/admin/audit").Body.String(), "mfa_reset") {
			t.Error("the reset is not in the audit log")
		}

		// Later, without a fresh step-up, the admin is asked for one.
		d.clock.Advance(accounts.StepUpWindow + time.Minute)
		admin.get("/admin/users")
		wantRedirect(t, admin.post(reset, nil), "/admin/step-up")
	})
}

var setupPath = regexp.MustCompile(`/admin/setup/[A-Za-z0-9_-]+`)

func TestNewUserGetsTheSetupLinkByEmail(t *testing.T) {
	t.Parallel()
	smtp := mailtest.Start(t)
	sender, err := mail.NewSMTP(smtp.SMTPConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sender.Close() })
	clock := storetest.NewClock(t0)
	d := newDeskMailing(t, storetest.NewEngine(t, "sqlite", store.Options{Now: clock.Now}), clock, sender)
	b, _ := d.readyBrowser(t, "boss@example.org", accounts.Admin)
	b.get("/admin/users")
	page := b.post("/admin/users", url.Values{"email": {"new@example.org"}, "role": {"author"}}).Body.String()
	if !strings.Contains(page, "We emailed them a setup link") || setupPath.MatchString(page) {
		t.Fatalf("the page does not say the link was emailed, or shows it:\n%s", page)
	}
	if err := d.svc.WaitMail(t.Context()); err != nil {
		t.Fatal(err)
	}
	m, ok := mailtest.LastTo(smtp.Messages(), "new@example.org")
	if !ok {
		t.Fatal("no setup email")
	}
	text, err := m.Text()
	if err != nil {
		t.Fatal(err)
	}
	link := setupPath.FindString(text)
	if link == "" {
		t.Fatalf("no setup link in the email:\n%s", text)
	}
	other := d.browser(t)
	wantStatus(t, other.get(link), http.StatusOK)
	wantStatus(t, other.post(link, url.Values{"password": {"the newcomer's passphrase"}}), http.StatusOK)
	wantRedirect(t, other.signIn("new@example.org", "the newcomer's passphrase"), "/admin/enrol")

	// A password reset goes by email too, and not to the log.
	other.get("/admin/reset")
	other.post("/admin/reset", url.Values{"email": {"new@example.org"}})
	if err := d.svc.WaitMail(t.Context()); err != nil {
		t.Fatal(err)
	}
	m, _ = mailtest.LastTo(smtp.Messages(), "new@example.org")
	if text, _ := m.Text(); !strings.Contains(text, adminURL+"/admin/reset/") {
		t.Errorf("no reset link in the last email:\n%s", text)
	}
	if strings.Contains(d.logs.String(), "/admin/reset/") {
		t.Error("the reset link was logged although it was emailed")
	}
}

// principalID returns the ID of the account with email.
func principalID(t *testing.T, d *desk, email string) string {
	t.Helper()
	u, err := d.store.UserByEmail(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
