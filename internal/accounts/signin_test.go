package accounts_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/audit"
)

// TestPasswordOnlyHasNoPermissions: a password alone never gives a session
// any permission (requirement S1), whether the account has a second factor
// to prove or none yet.
func TestPasswordOnlyHasNoPermissions(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		for _, role := range accounts.Roles() {
			email := string(role) + "@example.org"
			e.user(t, email, role)
			p := e.login(t, email)
			if p.Stage() != accounts.StageEnrol {
				t.Errorf("%s without a second factor: stage %v, want enrol", role, p.Stage())
			}
			for _, perm := range accounts.Permissions() {
				if p.Can(perm) {
					t.Errorf("%s signed in with a password only can %s", role, perm)
				}
			}
		}
		// With a passkey enrolled, a new password sign-in must prove it.
		e.enrolPasskey(t, "admin@example.org")
		p := e.login(t, "admin@example.org")
		if p.Stage() != accounts.StageSecondFactor || p.Can(accounts.PermDesk) {
			t.Errorf("admin after password only: stage %v, desk %v", p.Stage(), p.Can(accounts.PermDesk))
		}
	})
}

func TestPasskeyEnrolmentAndSignIn(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.user(t, "ed@example.org", accounts.Editor)
		partial := e.login(t, "ed@example.org")
		a, p, codes := e.enrolPasskey(t, "ed@example.org")
		if p.Stage() != accounts.StageReady || !p.Can(accounts.PermPublishAll) || p.Can(accounts.PermManageUsers) {
			t.Errorf("editor after enrolment: stage %v", p.Stage())
		}
		if !p.SteppedUp() {
			t.Error("a fresh passkey proof does not count as a step-up")
		}
		if len(codes) != accounts.RecoveryCodeCount {
			t.Errorf("got %d recovery codes, want %d", len(codes), accounts.RecoveryCodeCount)
		}
		// The earlier password-only session is a different one; it still
		// has no permissions.
		if q := e.auth(t, partial.Token()); q.Can(accounts.PermDesk) {
			t.Error("an unrelated password-only session gained permissions")
		}

		if err := e.svc.SignOut(ctx, p); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Authenticate(ctx, p.Token())
		wantErr(t, err, accounts.ErrNoSession)

		p = e.login(t, "ed@example.org")
		passwordToken := p.Token()
		token, err := e.passkeySignIn(t, a, p)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Authenticate(ctx, passwordToken)
		wantErr(t, err, accounts.ErrNoSession) // rotated at the second factor
		if q := e.auth(t, token); q.Stage() != accounts.StageReady || !q.SteppedUp() {
			t.Errorf("after passkey sign-in: stage %v, stepped up %v", q.Stage(), q.SteppedUp())
		}

		// A TOTP secret cannot stand in for an editor's passkey.
		p = e.login(t, "ed@example.org")
		if _, err := e.svc.BeginTOTP(ctx, p); err == nil {
			t.Error("an editor could enrol TOTP")
		}
		if _, err := e.svc.VerifyTOTP(ctx, p, "123456"); err == nil {
			t.Error("an editor could sign in with TOTP")
		}
		want := []string{audit.UserAdded, audit.PasswordSet, audit.SignIn, audit.SignIn, audit.RecoveryCodesNew,
			audit.MFAEnrolled, audit.SignIn, audit.SignOut, audit.SignIn, audit.SignIn, audit.SignIn}
		if got := e.auditActions(t); !slices.Equal(got, want) {
			t.Errorf("audit log = %v\nwant %v", got, want)
		}
	})
}

func TestPasskeyAssertionIsSingleUse(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.user(t, "ed@example.org", accounts.Editor)
		a, _, _ := e.enrolPasskey(t, "ed@example.org")
		p := e.login(t, "ed@example.org")
		opts, err := e.svc.BeginPasskeyAssertion(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := a.Get(opts)
		if err != nil {
			t.Fatal(err)
		}
		p = e.auth(t, p.Token())
		if _, err := e.svc.FinishPasskeyAssertion(ctx, p, []byte(`{"id":"forged"}`)); err == nil {
			t.Fatal("a forged assertion was accepted")
		}
		// The failed attempt used up the challenge: even the genuine answer
		// no longer works, and neither does a replay in a new session.
		_, err = e.svc.FinishPasskeyAssertion(ctx, e.auth(t, p.Token()), resp)
		wantErr(t, err, accounts.ErrInvalidCode)
		q := e.login(t, "ed@example.org")
		if _, err := e.svc.BeginPasskeyAssertion(ctx, q); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.FinishPasskeyAssertion(ctx, e.auth(t, q.Token()), resp)
		wantErr(t, err, accounts.ErrInvalidCode)
	})
}

// TestTOTPCodesWorkOnce covers requirement S2: ±1 step, each code once.
func TestTOTPCodesWorkOnce(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.user(t, "c@example.org", accounts.Contributor)
		secret, p, codes := e.enrolTOTP(t, "c@example.org")
		if p.Stage() != accounts.StageReady || !p.Can(accounts.PermWriteOwn) || p.Can(accounts.PermPublishOwn) || len(codes) != 10 {
			t.Fatalf("contributor after TOTP enrolment: stage %v, %d codes", p.Stage(), len(codes))
		}
		used := e.code(t, secret) // accepted by the enrolment
		p = e.login(t, "c@example.org")
		_, err := e.svc.VerifyTOTP(ctx, p, used)
		wantErr(t, err, accounts.ErrInvalidCode) // replayed
		_, err = e.svc.VerifyTOTP(ctx, p, "000000")
		wantErr(t, err, accounts.ErrInvalidCode) // wrong (and almost surely not the real one)

		e.clock.Advance(30 * time.Second)
		next := e.code(t, secret)
		e.clock.Advance(30 * time.Second) // one step late is still accepted
		token, err := e.svc.VerifyTOTP(ctx, p, next)
		if err != nil {
			t.Fatal(err)
		}
		if q := e.auth(t, token); q.Stage() != accounts.StageReady {
			t.Errorf("after TOTP sign-in: stage %v", q.Stage())
		}
		p = e.login(t, "c@example.org")
		_, err = e.svc.VerifyTOTP(ctx, p, next)
		wantErr(t, err, accounts.ErrInvalidCode) // once only, even in a new session

		e.clock.Advance(90 * time.Second)
		stale := e.code(t, secret)
		e.clock.Advance(90 * time.Second) // three steps late
		_, err = e.svc.VerifyTOTP(ctx, p, stale)
		wantErr(t, err, accounts.ErrInvalidCode)
	})
}

func TestRecoveryCodesAreSingleUse(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.user(t, "ed@example.org", accounts.Editor)
		_, _, codes := e.enrolPasskey(t, "ed@example.org")
		p := e.login(t, "ed@example.org")
		token, err := e.svc.UseRecoveryCode(ctx, p, codes[3])
		if err != nil {
			t.Fatal(err)
		}
		q := e.auth(t, token)
		if q.Stage() != accounts.StageReady || q.SteppedUp() {
			t.Errorf("after a recovery code: stage %v, stepped up %v (a code must not count as a step-up)", q.Stage(), q.SteppedUp())
		}
		p = e.login(t, "ed@example.org")
		_, err = e.svc.UseRecoveryCode(ctx, p, codes[3])
		wantErr(t, err, accounts.ErrInvalidCode)
		// Dashes, spaces and case do not matter.
		if _, err := e.svc.UseRecoveryCode(ctx, p, " "+toUpper(codes[4])+" "); err != nil {
			t.Errorf("a code typed in capitals was refused: %v", err)
		}
		if got := e.auditActions(t); !slices.Contains(got, audit.RecoveryCodeUsed) {
			t.Errorf("recovery code use not audit-logged: %v", got)
		}
	})
}

func toUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
