package accounts_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/accounts/passkeytest"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/vault"
)

func TestTOTPSecretsAreSealed(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		c := e.user(t, "cora@example.org", accounts.Contributor)
		secret, _, _ := e.enrolTOTP(t, "cora@example.org")
		raw, err := e.store.TOTPSecrets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if stored := raw[c.ID]; stored == "" || strings.Contains(stored, secret) || !strings.HasPrefix(stored, "v1:") {
			t.Fatalf("the database holds %q for the secret %q, want it sealed", stored, secret)
		}

		// A secret stored in the clear by an older version is sealed at
		// start, once, and keeps working.
		old := e.user(t, "old@example.org", accounts.Contributor)
		plain, err := totp.Generate(totp.GenerateOpts{Issuer: "Courier", AccountName: "old@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.store.SaveTOTP(ctx, old.ID, plain.Secret()); err != nil {
			t.Fatal(err)
		}
		if ok, err := e.store.AcceptTOTPStep(ctx, old.ID, 1); err != nil || !ok {
			t.Fatalf("confirm the old secret: %v, %v", ok, err)
		}
		if n, err := e.svc.SealTOTPSecrets(ctx); err != nil || n != 1 {
			t.Fatalf("SealTOTPSecrets() = %d, %v; want 1", n, err)
		}
		if n, err := e.svc.SealTOTPSecrets(ctx); err != nil || n != 0 {
			t.Errorf("a second SealTOTPSecrets() = %d, %v; want 0", n, err)
		}
		raw, err = e.store.TOTPSecrets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for user, stored := range raw {
			if strings.Contains(stored, plain.Secret()) || strings.Contains(stored, secret) {
				t.Errorf("the database still holds a TOTP secret of %s in the clear: %q", user, stored)
			}
		}
		p := e.login(t, "old@example.org")
		if _, err := e.svc.VerifyTOTP(ctx, p, e.code(t, plain.Secret())); err != nil {
			t.Errorf("the sealed old secret no longer signs in: %v", err)
		}

		// A server with another key cannot use the secrets, and says why.
		other, err := vault.New(bytes.Repeat([]byte{9}, vault.KeySize))
		if err != nil {
			t.Fatal(err)
		}
		wrong, err := accounts.New(accounts.Options{Store: e.store, AdminURL: adminURL, Now: e.clock.Now, Vault: other})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		token, err := wrong.Login(ctx, "cora@example.org", goodPassword, accounts.Client{})
		if err != nil {
			t.Fatal(err)
		}
		q, err := wrong.Authenticate(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wrong.VerifyTOTP(ctx, q, e.code(t, secret)); err == nil || errors.Is(err, accounts.ErrInvalidCode) ||
			!strings.Contains(err.Error(), "secret key") {
			t.Errorf("VerifyTOTP with the wrong key = %v, want an error naming the key", err)
		}
	})
}

func TestRecoveryCodeUseIsMailed(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		e.user(t, "ed@example.org", accounts.Editor)
		_, _, codes := e.enrolPasskey(t, "ed@example.org")
		if _, err := e.svc.UseRecoveryCode(t.Context(), e.login(t, "ed@example.org"), codes[0]); err != nil {
			t.Fatal(err)
		}
		subject, text := e.mailAbout(t, "ed@example.org", "recovery code was used")
		if !strings.Contains(text, "9 unused codes are left") {
			t.Errorf("notice %q:\n%s", subject, text)
		}
		if strings.Contains(text, codes[0]) {
			t.Error("the notice repeats the code")
		}
		if got := e.auditActions(t); !slices.Contains(got, audit.RecoveryCodeUsed) {
			t.Errorf("recovery code use not audit-logged: %v", got)
		}
	})
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.user(t, "ed@example.org", accounts.Editor)
		a, p, _ := e.enrolPasskey(t, "ed@example.org")
		otherLogin := e.login(t, "ed@example.org")
		otherToken, err := e.passkeySignIn(t, a, otherLogin)
		if err != nil {
			t.Fatal(err)
		}
		const next = "a brand new passphrase"
		var ve *model.ValidationError
		if err := e.svc.ChangePassword(ctx, p, "not the password", next); !errors.As(err, &ve) || ve.Fields["current"] == "" {
			t.Errorf("a wrong current password: %v", err)
		}
		for _, bad := range []string{"short", "password", "ed@example.org", goodPassword} {
			if err := e.svc.ChangePassword(ctx, p, goodPassword, bad); !errors.As(err, &ve) || ve.Fields["password"] == "" {
				t.Errorf("new password %q: %v, want a validation error", bad, err)
			}
		}
		if _, err := e.svc.Authenticate(ctx, otherToken); err != nil {
			t.Fatalf("a refused change ended a session: %v", err)
		}
		if err := e.svc.ChangePassword(ctx, p, goodPassword, next); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(ctx, p.Token()); err != nil {
			t.Errorf("the session that changed the password ended: %v", err)
		}
		_, err = e.svc.Authenticate(ctx, otherToken)
		wantErr(t, err, accounts.ErrNoSession)
		_, err = e.svc.Login(ctx, "ed@example.org", goodPassword, accounts.Client{})
		wantErr(t, err, accounts.ErrInvalidLogin)
		if _, err := e.svc.Login(ctx, "ed@example.org", next, accounts.Client{}); err != nil {
			t.Errorf("the new password does not sign in: %v", err)
		}
		e.mailAbout(t, "ed@example.org", "password was changed")
		if got := e.auditActions(t); !slices.Contains(got, audit.PasswordSet) {
			t.Errorf("password change not audit-logged: %v", got)
		}

		// Guessing the current password is throttled like a sign-in.
		q := e.auth(t, p.Token())
		for range 5 {
			e.svc.ChangePassword(ctx, q, "guess", "another passphrase here")
		}
		wantErr(t, e.svc.ChangePassword(ctx, q, next, "another passphrase here"), accounts.ErrThrottled)
	})
}

func TestRemoveTOTP(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.user(t, "cora@example.org", accounts.Contributor)
		_, p, _ := e.enrolTOTP(t, "cora@example.org")
		var ve *model.ValidationError
		if err := e.svc.RemoveTOTP(ctx, p); !errors.As(err, &ve) || ve.Fields["totp"] == "" {
			t.Fatalf("removing the only factor: %v, want a validation error", err)
		}
		// Add a passkey; then the app may go, after a step-up.
		opts, err := e.svc.BeginPasskeyRegistration(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		p = e.auth(t, p.Token())
		resp, err := passkeytest.New(adminURL).Create(opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.FinishPasskeyRegistration(ctx, p, "Key", resp); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(accounts.StepUpWindow + time.Minute)
		p = e.auth(t, p.Token())
		wantErr(t, e.svc.RemoveTOTP(ctx, p), accounts.ErrStepUpRequired)
		e.clock.Advance(-accounts.StepUpWindow)
		p = e.auth(t, p.Token())
		if err := e.svc.RemoveTOTP(ctx, p); err != nil {
			t.Fatal(err)
		}
		if q := e.auth(t, p.Token()); q.TOTP || q.Passkeys != 1 || q.Stage() != accounts.StageReady {
			t.Errorf("after removal: totp %v, passkeys %d, stage %v", q.TOTP, q.Passkeys, q.Stage())
		}
		// Account emails go out concurrently, so the passkey notice may
		// arrive after the removal notice.
		if subjects := e.subjectsTo(t, "cora@example.org"); !slices.ContainsFunc(subjects, func(s string) bool {
			return strings.Contains(s, "authenticator app was removed")
		}) {
			t.Errorf("emails %q, want the removal notice among them", subjects)
		}
		if got := e.auditActions(t); !slices.Contains(got, audit.MFARemoved) {
			t.Errorf("removal not audit-logged: %v", got)
		}
	})
}

func TestResetSecondFactors(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.user(t, "boss@example.org", accounts.Admin)
		_, admin, _ := e.enrolPasskey(t, "boss@example.org")
		ed := e.user(t, "ed@example.org", accounts.Editor)
		_, editor, _ := e.enrolPasskey(t, "ed@example.org")

		wantErr(t, e.svc.ResetSecondFactors(ctx, editor, admin.User.ID), accounts.ErrForbidden)
		var ve *model.ValidationError
		if err := e.svc.ResetSecondFactors(ctx, admin, admin.User.ID); !errors.As(err, &ve) {
			t.Errorf("an admin reset their own factors: %v", err)
		}
		e.clock.Advance(accounts.StepUpWindow + time.Minute)
		admin = e.auth(t, admin.Token())
		wantErr(t, e.svc.ResetSecondFactors(ctx, admin, ed.ID), accounts.ErrStepUpRequired)
		e.clock.Advance(-accounts.StepUpWindow)
		admin = e.auth(t, admin.Token())
		if err := e.svc.ResetSecondFactors(ctx, admin, ed.ID); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Authenticate(ctx, editor.Token())
		wantErr(t, err, accounts.ErrNoSession)
		if p := e.login(t, "ed@example.org"); p.Passkeys != 0 || p.Stage() != accounts.StageEnrol || p.Can(accounts.PermDesk) {
			t.Errorf("after a reset: passkeys %d, stage %v", p.Passkeys, p.Stage())
		}
		if left, err := e.store.RecoveryCodesLeft(ctx, ed.ID); err != nil || left != 0 {
			t.Errorf("recovery codes left after a reset: %d, %v", left, err)
		}
		e.mailAbout(t, "ed@example.org", "sign-in was reset")
		if got := e.auditActions(t); !slices.Contains(got, audit.MFAReset) {
			t.Errorf("reset not audit-logged: %v", got)
		}
	})
}

func TestReplaceTOTP(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.user(t, "cora@example.org", accounts.Contributor)
		oldSecret, p, _ := e.enrolTOTP(t, "cora@example.org")
		replacement, err := e.svc.BeginTOTP(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if shown, err := e.svc.PendingTOTP(ctx, e.auth(t, p.Token())); err != nil || shown.Secret != replacement.Secret {
			t.Fatalf("PendingTOTP() = %v, %v; want the replacement", shown.Secret, err)
		}
		// Until the new app is confirmed, the old one still signs in.
		e.clock.Advance(30 * time.Second)
		q := e.login(t, "cora@example.org")
		if _, err := e.svc.VerifyTOTP(ctx, q, e.code(t, oldSecret)); err != nil {
			t.Fatalf("the old app stopped working before the new one was confirmed: %v", err)
		}
		p = e.auth(t, p.Token())
		_, _, err = e.svc.ConfirmTOTP(ctx, p, e.code(t, oldSecret))
		wantErr(t, err, accounts.ErrInvalidCode)
		if _, codes, err := e.svc.ConfirmTOTP(ctx, p, e.code(t, replacement.Secret)); err != nil || codes != nil {
			t.Fatalf("confirming the replacement = %v, %v (no new recovery codes expected)", codes, err)
		}
		e.clock.Advance(30 * time.Second)
		q = e.login(t, "cora@example.org")
		_, err = e.svc.VerifyTOTP(ctx, q, e.code(t, oldSecret))
		wantErr(t, err, accounts.ErrInvalidCode)
		if _, err := e.svc.VerifyTOTP(ctx, q, e.code(t, replacement.Secret)); err != nil {
			t.Errorf("the new app does not sign in: %v", err)
		}
		e.mailAbout(t, "cora@example.org", "authenticator app was replaced")

		// Replacing needs a fresh step-up, like any change to second factors.
		e.clock.Advance(accounts.StepUpWindow + time.Minute)
		_, err = e.svc.BeginTOTP(ctx, e.auth(t, p.Token()))
		wantErr(t, err, accounts.ErrForbidden)
	})
}
