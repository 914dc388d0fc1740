package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Session is a signed-in browser. The store knows it only by the SHA-256 of
// its token; the token itself lives in the browser's cookie.
type Session struct {
	TokenHash  string
	ID         string // handle for lists and revocation; not a credential
	UserID     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end, whatever the activity
	// MFA is set once the second factor was proven in this session.
	MFA bool
	// StepUpAt is the last fresh proof of the second factor, for actions
	// that need one; zero if none.
	StepUpAt  time.Time
	UserAgent string // a short summary such as "Firefox on Linux"
	// Ceremony is the WebAuthn challenge state between the two requests of
	// a ceremony, as JSON; empty when none is under way.
	Ceremony string
}

const (
	sessionColumns = `token_hash, id, user_id, created_at, last_seen_at, expires_at, mfa, step_up_at, user_agent, ceremony`
	qInsertSession = `INSERT INTO sessions (` + sessionColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qSession       = `SELECT ` + sessionColumns + ` FROM sessions WHERE token_hash = ?`
	qUserSessions  = `SELECT ` + sessionColumns + ` FROM sessions WHERE user_id = ? AND expires_at > ?
ORDER BY last_seen_at DESC, id`
	qTouchSession        = `UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`
	qStepUp              = `UPDATE sessions SET step_up_at = ? WHERE token_hash = ?`
	qSetCeremony         = `UPDATE sessions SET ceremony = ? WHERE token_hash = ?`
	qDeleteSession       = `DELETE FROM sessions WHERE token_hash = ?`
	qRevokeSession       = `DELETE FROM sessions WHERE user_id = ? AND id = ?`
	qDeleteUserSessions  = `DELETE FROM sessions WHERE user_id = ?`
	qDeleteOtherSessions = `DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`
	qPurgeSessions       = `DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?`

	qLoginFailure = `INSERT INTO login_throttle (key, failures, last_failure_at) VALUES (?, 1, ?)
ON CONFLICT (key) DO UPDATE SET
failures = CASE WHEN login_throttle.last_failure_at < ? THEN 1 ELSE login_throttle.failures + 1 END,
last_failure_at = excluded.last_failure_at
RETURNING failures`
	qLoginFailures      = `SELECT failures, last_failure_at FROM login_throttle WHERE key = ?`
	qClearLoginFailures = `DELETE FROM login_throttle WHERE key = ?`
	qPurgeLoginFailures = `DELETE FROM login_throttle WHERE last_failure_at < ?`
)

// CreateSession stores a new session. CreatedAt and LastSeenAt are set to
// now; the caller sets the rest.
func (s *Store) CreateSession(ctx context.Context, sess *Session) error {
	err := s.write(ctx, false, func(r *runner) error {
		return insertSession(ctx, r, sess, s.clock())
	})
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// ReplaceSession ends the session oldHash and stores next in its place, in
// one transaction: the way a session's token is rotated when its privilege
// changes.
func (s *Store) ReplaceSession(ctx context.Context, oldHash string, next *Session) error {
	err := s.write(ctx, false, func(r *runner) error {
		if _, err := r.exec(ctx, "delete_session", qDeleteSession, oldHash); err != nil {
			return err
		}
		return insertSession(ctx, r, next, s.clock())
	})
	if err != nil {
		return fmt.Errorf("store: replace session: %w", err)
	}
	return nil
}

func insertSession(ctx context.Context, r *runner, sess *Session, now time.Time) error {
	sess.ID = newID()
	sess.CreatedAt, sess.LastSeenAt = now, now
	sess.ExpiresAt, sess.StepUpAt = normTime(sess.ExpiresAt), normTime(sess.StepUpAt)
	_, err := r.exec(ctx, "insert_session", qInsertSession, sess.TokenHash, sess.ID, sess.UserID,
		timeArg(now), timeArg(now), timeArg(sess.ExpiresAt), sess.MFA, timeArg(sess.StepUpAt), sess.UserAgent, sess.Ceremony)
	return err
}

// SessionByTokenHash returns the session with that token hash, expired or
// not: deciding whether it is still valid is the caller's business.
func (s *Store) SessionByTokenHash(ctx context.Context, tokenHash string) (Session, error) {
	var sess Session
	if err := s.read().scanRow(ctx, "session", qSession, []any{tokenHash}, sessionDest(&sess)...); err != nil {
		return Session{}, fmt.Errorf("store: session: %w", notFound(err))
	}
	return sess, nil
}

// SessionsOf returns the user's unexpired sessions, most recently used first.
func (s *Store) SessionsOf(ctx context.Context, userID string) ([]Session, error) {
	var out []Session
	err := s.read().each(ctx, "user_sessions", qUserSessions, []any{userID, timeArg(s.clock())}, func(scan func(...any) error) error {
		var sess Session
		err := scan(sessionDest(&sess)...)
		out = append(out, sess)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: sessions of %s: %w", userID, err)
	}
	return out, nil
}

// TouchSession records activity at the store's current time.
func (s *Store) TouchSession(ctx context.Context, tokenHash string) error {
	if err := s.exec1(ctx, "touch_session", qTouchSession, timeArg(s.clock()), tokenHash); err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	return nil
}

// StepUpSession records a fresh second-factor proof at the current time.
func (s *Store) StepUpSession(ctx context.Context, tokenHash string) error {
	if err := s.exec1(ctx, "step_up_session", qStepUp, timeArg(s.clock()), tokenHash); err != nil {
		return fmt.Errorf("store: step up session: %w", err)
	}
	return nil
}

// SetSessionCeremony stores (or, with "", clears) the WebAuthn challenge
// state of a session.
func (s *Store) SetSessionCeremony(ctx context.Context, tokenHash, ceremony string) error {
	if err := s.exec1(ctx, "set_session_ceremony", qSetCeremony, ceremony, tokenHash); err != nil {
		return fmt.Errorf("store: set session ceremony: %w", err)
	}
	return nil
}

// DeleteSession ends the session with that token hash, as at sign-out.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	err := s.write(ctx, false, func(r *runner) error {
		_, err := r.exec(ctx, "delete_session", qDeleteSession, tokenHash)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// RevokeSession ends the user's session with that ID; model.ErrNotFound if
// the user has none such, so nobody can end another person's session.
func (s *Store) RevokeSession(ctx context.Context, userID, id string) error {
	if err := s.exec1(ctx, "revoke_session", qRevokeSession, userID, id); err != nil {
		return fmt.Errorf("store: revoke session %s: %w", id, err)
	}
	return nil
}

// DeleteUserSessions ends every session of the user and reports how many
// there were.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	var n int64
	err := s.write(ctx, false, func(r *runner) error {
		res, err := r.exec(ctx, "delete_user_sessions", qDeleteUserSessions, userID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: delete sessions of %s: %w", userID, err)
	}
	return int(n), nil
}

// PurgeSessions deletes sessions past their absolute end or idle since
// idleBefore, and throttle counters older than a day.
func (s *Store) PurgeSessions(ctx context.Context, idleBefore time.Time) error {
	now := s.clock()
	err := s.write(ctx, false, func(r *runner) error {
		if _, err := r.exec(ctx, "purge_sessions", qPurgeSessions, timeArg(now), timeArg(idleBefore)); err != nil {
			return err
		}
		_, err := r.exec(ctx, "purge_login_failures", qPurgeLoginFailures, timeArg(now.Add(-24*time.Hour)))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: purge sessions: %w", err)
	}
	return nil
}

func sessionDest(sess *Session) []any {
	return []any{&sess.TokenHash, &sess.ID, &sess.UserID, scanTime(&sess.CreatedAt), scanTime(&sess.LastSeenAt),
		scanTime(&sess.ExpiresAt), &sess.MFA, scanTime(&sess.StepUpAt), &sess.UserAgent, &sess.Ceremony}
}

// RecordLoginFailure counts a failed sign-in against key and returns the
// failures counted so far. A count whose last failure is older than
// forgetBefore starts again at one.
func (s *Store) RecordLoginFailure(ctx context.Context, key string, forgetBefore time.Time) (int, error) {
	var n int
	err := s.write(ctx, false, func(r *runner) error {
		return r.scanRow(ctx, "record_login_failure", qLoginFailure, []any{key, timeArg(s.clock()), timeArg(forgetBefore)}, &n)
	})
	if err != nil {
		return 0, fmt.Errorf("store: record login failure: %w", err)
	}
	return n, nil
}

// LoginFailures returns the failures counted against key and when the last
// one happened; zero values when there are none.
func (s *Store) LoginFailures(ctx context.Context, key string) (int, time.Time, error) {
	var (
		n    int
		last time.Time
	)
	err := s.read().scanRow(ctx, "login_failures", qLoginFailures, []any{key}, &n, scanTime(&last))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("store: login failures: %w", err)
	}
	return n, last, nil
}

// ClearLoginFailures forgets the failures counted against key, after a
// successful sign-in.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	err := s.write(ctx, false, func(r *runner) error {
		_, err := r.exec(ctx, "clear_login_failures", qClearLoginFailures, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: clear login failures: %w", err)
	}
	return nil
}
