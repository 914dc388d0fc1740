package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func mustUser(t *testing.T, s *store.Store, email, role string) store.User {
	t.Helper()
	u := store.User{Email: email, DisplayName: "Name of " + email, Role: role, PasswordHash: "hash"}
	if err := s.CreateUser(t.Context(), &u); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUsers(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		if n, err := s.CountUsers(ctx); err != nil || n != 0 {
			t.Fatalf("CountUsers() on a new database = %d, %v", n, err)
		}
		u := mustUser(t, s, "  Anna@Example.ORG ", "editor")
		if u.Email != "anna@example.org" || u.ID == "" || !u.CreatedAt.Equal(t0) {
			t.Fatalf("created user = %+v", u)
		}
		got, err := s.UserByEmail(ctx, "ANNA@example.org")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(u, got); diff != "" {
			t.Errorf("UserByEmail (-created +read):\n%s", diff)
		}
		dup := store.User{Email: "anna@EXAMPLE.org", Role: "author"}
		wantErr(t, s.CreateUser(ctx, &dup), model.ErrConflict)
		wantValidation(t, s.CreateUser(ctx, &store.User{Email: "not an address", Role: "author"}), "email")
		if err := s.CreateUser(ctx, &store.User{Email: "x@example.org", Role: "owner"}); err == nil {
			t.Error("a role outside the CHECK list was accepted")
		}

		clock.Advance(time.Minute)
		if err := s.SetRole(ctx, u.ID, "admin"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetPassword(ctx, u.ID, "new-hash"); err != nil {
			t.Fatal(err)
		}
		got, err = s.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Role != "admin" || got.PasswordHash != "new-hash" || !got.UpdatedAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("after SetRole and SetPassword: %+v", got)
		}
		wantErr(t, s.SetRole(ctx, "no-such-id", "admin"), model.ErrNotFound)
		_, err = s.UserByID(ctx, "no-such-id")
		wantErr(t, err, model.ErrNotFound)

		mustUser(t, s, "boris@example.org", "contributor")
		users, err := s.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != 2 || users[0].Email != "anna@example.org" || users[1].Email != "boris@example.org" {
			t.Errorf("ListUsers() = %+v", users)
		}
	})
}

func TestDisablingAUserEndsItsSessions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		u := mustUser(t, s, "anna@example.org", "editor")
		other := mustUser(t, s, "boris@example.org", "editor")
		for _, hash := range []string{"h1", "h2"} {
			if err := s.CreateSession(ctx, &store.Session{TokenHash: hash, UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.CreateSession(ctx, &store.Session{TokenHash: "h3", UserID: other.ID, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetUserDisabled(ctx, u.ID, true); err != nil {
			t.Fatal(err)
		}
		for _, hash := range []string{"h1", "h2"} {
			_, err := s.SessionByTokenHash(ctx, hash)
			wantErr(t, err, model.ErrNotFound)
		}
		if _, err := s.SessionByTokenHash(ctx, "h3"); err != nil {
			t.Errorf("another user's session ended too: %v", err)
		}
		got, err := s.UserByID(ctx, u.ID)
		if err != nil || !got.Disabled {
			t.Errorf("user after disabling = %+v, %v", got, err)
		}
	})
}

func TestUserTokens(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		u := mustUser(t, s, "anna@example.org", "author")
		if err := s.CreateSession(ctx, &store.Session{TokenHash: "s", UserID: u.ID, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateUserToken(ctx, u.ID, store.TokenSetup, "old", t0.Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateUserToken(ctx, u.ID, store.TokenSetup, "new", t0.Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		_, err := s.UserTokenOwner(ctx, store.TokenSetup, "old")
		wantErr(t, err, model.ErrNotFound) // replaced by the newer link
		if owner, err := s.UserTokenOwner(ctx, store.TokenSetup, "new"); err != nil || owner != u.ID {
			t.Fatalf("UserTokenOwner() = %q, %v", owner, err)
		}
		_, err = s.UseUserToken(ctx, store.TokenReset, "new", "pw")
		wantErr(t, err, model.ErrNotFound) // wrong purpose

		id, err := s.UseUserToken(ctx, store.TokenSetup, "new", "pw-hash")
		if err != nil || id != u.ID {
			t.Fatalf("UseUserToken() = %q, %v", id, err)
		}
		got, _ := s.UserByID(ctx, u.ID)
		if got.PasswordHash != "pw-hash" {
			t.Errorf("password hash after setup = %q", got.PasswordHash)
		}
		_, err = s.SessionByTokenHash(ctx, "s")
		wantErr(t, err, model.ErrNotFound) // setting a password ends sessions
		_, err = s.UseUserToken(ctx, store.TokenSetup, "new", "again")
		wantErr(t, err, model.ErrNotFound) // single use

		if err := s.CreateUserToken(ctx, u.ID, store.TokenReset, "r", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
		_, err = s.UseUserToken(ctx, store.TokenReset, "r", "late")
		wantErr(t, err, model.ErrNotFound) // expired
	})
}

func TestTOTPStepsAreAcceptedOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		u := mustUser(t, s, "anna@example.org", "contributor")
		_, err := s.TOTPOf(ctx, u.ID)
		wantErr(t, err, model.ErrNotFound)
		if err := s.SaveTOTP(ctx, u.ID, "SECRET"); err != nil {
			t.Fatal(err)
		}
		got, err := s.TOTPOf(ctx, u.ID)
		if err != nil || got != (store.TOTP{Secret: "SECRET"}) {
			t.Fatalf("TOTPOf() = %+v, %v", got, err)
		}
		for _, step := range []struct {
			step int64
			want bool
		}{{100, true}, {100, false}, {99, false}, {101, true}} {
			ok, err := s.AcceptTOTPStep(ctx, u.ID, step.step)
			if err != nil || ok != step.want {
				t.Errorf("AcceptTOTPStep(%d) = %v, %v; want %v", step.step, ok, err, step.want)
			}
		}
		got, _ = s.TOTPOf(ctx, u.ID)
		if !got.Confirmed || got.LastStep != 101 {
			t.Errorf("after accepting codes: %+v", got)
		}
		if err := s.SaveTOTP(ctx, u.ID, "OTHER"); err != nil { // re-enrolment starts over
			t.Fatal(err)
		}
		if got, _ = s.TOTPOf(ctx, u.ID); got != (store.TOTP{Secret: "OTHER"}) {
			t.Errorf("after re-enrolment: %+v", got)
		}
		if err := s.DeleteTOTP(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.DeleteTOTP(ctx, u.ID), model.ErrNotFound)
	})
}

func TestTOTPReplacementAndSealing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		u := mustUser(t, s, "anna@example.org", "contributor")
		if err := s.SaveTOTP(ctx, u.ID, "OLD"); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.SavePendingTOTP(ctx, u.ID, "NEW"), model.ErrNotFound) // nothing confirmed to replace
		if _, err := s.AcceptTOTPStep(ctx, u.ID, 100); err != nil {
			t.Fatal(err)
		}
		if err := s.SavePendingTOTP(ctx, u.ID, "NEW"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.TOTPOf(ctx, u.ID); got != (store.TOTP{Secret: "OLD", Confirmed: true, LastStep: 100, Pending: "NEW"}) {
			t.Errorf("while replacing: %+v", got)
		}
		if ok, err := s.ConfirmPendingTOTP(ctx, u.ID, "STALE", 50); err != nil || ok {
			t.Errorf("confirming another replacement = %v, %v; want false", ok, err)
		}
		if ok, err := s.ConfirmPendingTOTP(ctx, u.ID, "NEW", 50); err != nil || !ok {
			t.Fatalf("ConfirmPendingTOTP() = %v, %v", ok, err)
		}
		if got, _ := s.TOTPOf(ctx, u.ID); got != (store.TOTP{Secret: "NEW", Confirmed: true, LastStep: 50}) {
			t.Errorf("after replacing: %+v", got)
		}
		if ok, _ := s.ConfirmPendingTOTP(ctx, u.ID, "NEW", 51); ok {
			t.Error("a replacement was confirmed twice")
		}

		// Sealing in place is a compare-and-set on the stored value.
		if ok, err := s.ReplaceTOTPSecret(ctx, u.ID, "OLD", "SEALED"); err != nil || ok {
			t.Errorf("ReplaceTOTPSecret of a value no longer stored = %v, %v", ok, err)
		}
		if ok, err := s.ReplaceTOTPSecret(ctx, u.ID, "NEW", "SEALED"); err != nil || !ok {
			t.Errorf("ReplaceTOTPSecret() = %v, %v", ok, err)
		}
		if all, err := s.TOTPSecrets(ctx); err != nil || all[u.ID] != "SEALED" || len(all) != 1 {
			t.Errorf("TOTPSecrets() = %v, %v", all, err)
		}
		if got, _ := s.TOTPOf(ctx, u.ID); !got.Confirmed || got.LastStep != 50 {
			t.Errorf("sealing changed more than the secret: %+v", got)
		}
	})
}

func TestChangePasswordKeepsOneSession(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		u := mustUser(t, s, "anna@example.org", "editor")
		other := mustUser(t, s, "bo@example.org", "editor")
		for _, sess := range []store.Session{
			{TokenHash: "keep", UserID: u.ID, MFA: true, ExpiresAt: time.Now().Add(time.Hour)},
			{TokenHash: "drop", UserID: u.ID, MFA: true, ExpiresAt: time.Now().Add(time.Hour)},
			{TokenHash: "bo", UserID: other.ID, MFA: true, ExpiresAt: time.Now().Add(time.Hour)},
		} {
			if err := s.CreateSession(ctx, &sess); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.ChangePassword(ctx, u.ID, "new-hash", "keep"); err != nil {
			t.Fatal(err)
		}
		for hash, want := range map[string]bool{"keep": true, "drop": false, "bo": true} {
			if _, err := s.SessionByTokenHash(ctx, hash); (err == nil) != want {
				t.Errorf("session %s: %v, want it kept: %v", hash, err, want)
			}
		}
		if got, _ := s.UserByID(ctx, u.ID); got.PasswordHash != "new-hash" {
			t.Errorf("password hash = %q", got.PasswordHash)
		}
		wantErr(t, s.ChangePassword(ctx, "no-such-user", "h", "keep"), model.ErrNotFound)

		// Resetting second factors ends every session of the user, and only hers.
		if err := s.ResetSecondFactors(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionByTokenHash(ctx, "keep"); err == nil {
			t.Error("a session survived the reset of second factors")
		}
		if _, err := s.SessionByTokenHash(ctx, "bo"); err != nil {
			t.Errorf("another user's session ended: %v", err)
		}
	})
}

func TestRecoveryCodes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		u := mustUser(t, s, "anna@example.org", "editor")
		other := mustUser(t, s, "boris@example.org", "editor")
		if err := s.ReplaceRecoveryCodes(ctx, u.ID, []string{"a", "b", "c"}); err != nil {
			t.Fatal(err)
		}
		for _, use := range []struct {
			user, hash string
			want       bool
		}{{u.ID, "a", true}, {u.ID, "a", false}, {other.ID, "b", false}, {u.ID, "zz", false}} {
			ok, err := s.UseRecoveryCode(ctx, use.user, use.hash)
			if err != nil || ok != use.want {
				t.Errorf("UseRecoveryCode(%s, %s) = %v, %v; want %v", use.user, use.hash, ok, err, use.want)
			}
		}
		if n, err := s.RecoveryCodesLeft(ctx, u.ID); err != nil || n != 2 {
			t.Errorf("RecoveryCodesLeft() = %d, %v; want 2", n, err)
		}
		if err := s.ReplaceRecoveryCodes(ctx, u.ID, []string{"d"}); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.UseRecoveryCode(ctx, u.ID, "b"); ok {
			t.Error("a replaced code still worked")
		}
	})
}

func TestPasskeys(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		u := mustUser(t, s, "anna@example.org", "editor")
		p := store.Passkey{ID: "cred-1", UserID: u.ID, Name: "Laptop", PublicKey: "pk", AttestationType: "none",
			AAGUID: "aa", SignCount: 3, Flags: 0x5d, Transports: []string{"usb", "internal"}}
		if err := s.AddPasskey(ctx, &p); err != nil {
			t.Fatal(err)
		}
		dup := p
		wantErr(t, s.AddPasskey(ctx, &dup), model.ErrConflict)
		clock.Advance(time.Minute)
		if err := s.UsePasskey(ctx, u.ID, "cred-1", 4); err != nil {
			t.Fatal(err)
		}
		keys, err := s.PasskeysOf(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		p.SignCount, p.LastUsedAt = 4, t0.Add(time.Minute)
		if diff := cmp.Diff([]store.Passkey{p}, keys); diff != "" {
			t.Errorf("PasskeysOf (-want +got):\n%s", diff)
		}
		other := mustUser(t, s, "boris@example.org", "editor")
		wantErr(t, s.DeletePasskey(ctx, other.ID, "cred-1"), model.ErrNotFound)
		if err := s.DeletePasskey(ctx, u.ID, "cred-1"); err != nil {
			t.Fatal(err)
		}
		if keys, _ := s.PasskeysOf(ctx, u.ID); len(keys) != 0 {
			t.Errorf("after deleting: %+v", keys)
		}
	})
}
