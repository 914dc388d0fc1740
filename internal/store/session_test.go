package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestSessions(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		u := mustUser(t, s, "anna@example.org", "editor")
		sess := store.Session{TokenHash: "h1", UserID: u.ID, ExpiresAt: t0.Add(12 * time.Hour), UserAgent: "Firefox on Linux"}
		if err := s.CreateSession(ctx, &sess); err != nil {
			t.Fatal(err)
		}
		if sess.ID == "" || !sess.CreatedAt.Equal(t0) || !sess.LastSeenAt.Equal(t0) {
			t.Fatalf("created session = %+v", sess)
		}
		got, err := s.SessionByTokenHash(ctx, "h1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(sess, got); diff != "" {
			t.Errorf("SessionByTokenHash (-created +read):\n%s", diff)
		}

		clock.Advance(time.Minute)
		if err := s.TouchSession(ctx, "h1"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetSessionCeremony(ctx, "h1", `{"challenge":"x"}`); err != nil {
			t.Fatal(err)
		}
		next := store.Session{TokenHash: "h2", UserID: u.ID, ExpiresAt: t0.Add(13 * time.Hour), MFA: true, StepUpAt: clock.Now()}
		if err := s.ReplaceSession(ctx, "h1", &next); err != nil {
			t.Fatal(err)
		}
		_, err = s.SessionByTokenHash(ctx, "h1")
		wantErr(t, err, model.ErrNotFound) // rotated away
		got, err = s.SessionByTokenHash(ctx, "h2")
		if err != nil {
			t.Fatal(err)
		}
		if !got.MFA || !got.StepUpAt.Equal(t0.Add(time.Minute)) || got.Ceremony != "" {
			t.Errorf("rotated session = %+v", got)
		}
		clock.Advance(time.Minute)
		if err := s.StepUpSession(ctx, "h2"); err != nil {
			t.Fatal(err)
		}
		if got, _ = s.SessionByTokenHash(ctx, "h2"); !got.StepUpAt.Equal(t0.Add(2 * time.Minute)) {
			t.Errorf("step-up time = %v", got.StepUpAt)
		}
		wantErr(t, s.TouchSession(ctx, "gone"), model.ErrNotFound)

		expired := store.Session{TokenHash: "h3", UserID: u.ID, ExpiresAt: t0.Add(time.Minute)}
		if err := s.CreateSession(ctx, &expired); err != nil {
			t.Fatal(err)
		}
		list, err := s.SessionsOf(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].TokenHash != "h2" {
			t.Errorf("SessionsOf() = %+v; want only the unexpired h2", list)
		}

		other := mustUser(t, s, "boris@example.org", "editor")
		wantErr(t, s.RevokeSession(ctx, other.ID, got.ID), model.ErrNotFound)
		if err := s.RevokeSession(ctx, u.ID, got.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.SessionByTokenHash(ctx, "h2")
		wantErr(t, err, model.ErrNotFound)
	})
}

func TestPurgeSessions(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		u := mustUser(t, s, "anna@example.org", "editor")
		for _, sess := range []store.Session{
			{TokenHash: "expired", UserID: u.ID, ExpiresAt: t0.Add(time.Minute)},
			{TokenHash: "idle", UserID: u.ID, ExpiresAt: t0.Add(12 * time.Hour)},
		} {
			if err := s.CreateSession(ctx, &sess); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(20 * time.Minute)
		if err := s.CreateSession(ctx, &store.Session{TokenHash: "live", UserID: u.ID, ExpiresAt: t0.Add(12 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := s.PurgeSessions(ctx, t0.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		for hash, want := range map[string]bool{"expired": false, "idle": false, "live": true} {
			_, err := s.SessionByTokenHash(ctx, hash)
			if (err == nil) != want {
				t.Errorf("session %s present = %v, want %v", hash, err == nil, want)
			}
		}
		if n, err := s.DeleteUserSessions(ctx, u.ID); err != nil || n != 1 {
			t.Errorf("DeleteUserSessions() = %d, %v; want 1", n, err)
		}
	})
}

func TestLoginThrottleCounters(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		forget := func() time.Time { return clock.Now().Add(-time.Hour) }
		for want := 1; want <= 3; want++ {
			n, err := s.RecordLoginFailure(ctx, "account:a", forget())
			if err != nil || n != want {
				t.Fatalf("failure %d counted as %d, %v", want, n, err)
			}
		}
		n, last, err := s.LoginFailures(ctx, "account:a")
		if err != nil || n != 3 || !last.Equal(t0) {
			t.Errorf("LoginFailures() = %d, %v, %v", n, last, err)
		}
		if n, _, err := s.LoginFailures(ctx, "account:b"); err != nil || n != 0 {
			t.Errorf("LoginFailures(unknown key) = %d, %v", n, err)
		}
		clock.Advance(2 * time.Hour) // old failures are forgotten
		if n, err := s.RecordLoginFailure(ctx, "account:a", forget()); err != nil || n != 1 {
			t.Errorf("failure after a quiet spell counted as %d, %v; want 1", n, err)
		}
		if err := s.ClearLoginFailures(ctx, "account:a"); err != nil {
			t.Fatal(err)
		}
		if n, _, _ := s.LoginFailures(ctx, "account:a"); n != 0 {
			t.Errorf("after clearing: %d failures", n)
		}
	})
}
