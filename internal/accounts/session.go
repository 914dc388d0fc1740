package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// Stage is how far a session has come through sign-in.
type Stage int

// Sign-in stages. Only StageReady has permissions.
const (
	// StageSecondFactor: the password was right; the account has a second
	// factor, which must be proven now.
	StageSecondFactor Stage = iota + 1
	// StageEnrol: the account lacks a second factor its role accepts and
	// must enrol one (a passkey, or TOTP for a contributor).
	StageEnrol
	// StageReady: fully signed in.
	StageReady
)

// Principal is a signed-in session and its account, as loaded for one
// request.
type Principal struct {
	User     store.User
	Session  store.Session
	Passkeys int  // registered passkeys
	TOTP     bool // a confirmed TOTP secret
	// Demo is set when the account is the demo account and the desk runs on
	// a loopback address: it may skip two-factor enrolment.
	Demo  bool
	token string
	now   time.Time
}

// Role returns the account's role.
func (p *Principal) Role() Role { return Role(p.User.Role) }

// Token returns the session's secret token, for the cookie.
func (p *Principal) Token() string { return p.token }

// CSRFToken returns the token the session's forms must carry.
func (p *Principal) CSRFToken() string { return csrfToken(p.token) }

// hasRoleFactor reports whether the account has a second factor its role
// accepts.
func (p *Principal) hasRoleFactor() bool {
	return p.Passkeys > 0 || (p.TOTP && !p.Role().NeedsPasskey())
}

// Stage returns how far the session has come through sign-in.
func (p *Principal) Stage() Stage {
	hasAny := p.Passkeys > 0 || p.TOTP
	switch {
	case !p.Session.MFA && hasAny:
		return StageSecondFactor
	case p.Demo:
		return StageReady
	case p.Session.MFA && p.hasRoleFactor():
		return StageReady
	default:
		return StageEnrol
	}
}

// Can reports whether the session may use the permission: only a fully
// signed-in session whose role grants it. Deny by default.
func (p *Principal) Can(perm Permission) bool {
	return p != nil && p.Stage() == StageReady && p.Role().Can(perm)
}

// SteppedUp reports whether the second factor was proven within the
// step-up window. The demo account on a loopback desk, until it enrols a
// factor, has none to prove: its exemption from two-factor sign-in covers
// step-up too, so the demo can publish.
func (p *Principal) SteppedUp() bool {
	if p.demoWithoutFactor() {
		return true
	}
	at := p.Session.StepUpAt
	return !at.IsZero() && p.now.Sub(at) < StepUpWindow
}

// RequireStepUp returns ErrStepUpRequired unless the session proved its
// second factor recently, for the actions requirement S5 lists. Handlers
// call it after checking the permission.
func (p *Principal) RequireStepUp() error {
	if !p.SteppedUp() {
		return ErrStepUpRequired
	}
	return nil
}

// CanEnrol reports whether the session may add a second factor: while it
// must enrol one, or after a recent step-up.
func (p *Principal) CanEnrol() bool {
	switch p.Stage() {
	case StageEnrol:
		return true
	case StageReady:
		return p.SteppedUp()
	}
	return false
}

func (p *Principal) demoWithoutFactor() bool { return p.Demo && p.Passkeys == 0 && !p.TOTP }

// Authenticate finds the session of token and its account. It fails with
// ErrNoSession when there is none, it is past its idle or absolute timeout,
// or its account is disabled; such a session is deleted.
func (s *Service) Authenticate(ctx context.Context, token string) (*Principal, error) {
	if token == "" {
		return nil, ErrNoSession
	}
	hash := HashToken(token)
	sess, err := s.store.SessionByTokenHash(ctx, hash)
	if errors.Is(err, model.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("accounts: authenticate: %w", err)
	}
	now := s.now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= IdleTimeout {
		return nil, s.endSession(ctx, hash)
	}
	user, err := s.store.UserByID(ctx, sess.UserID)
	if err != nil {
		return nil, fmt.Errorf("accounts: authenticate: %w", err)
	}
	if user.Disabled || (user.Demo && !s.demoAllowed) {
		return nil, s.endSession(ctx, hash)
	}
	p, err := s.principal(ctx, user, sess, token)
	if err != nil {
		return nil, err
	}
	// Recording every request would make every page view a write; once a
	// minute is precise enough for a 30-minute idle timeout.
	if now.Sub(sess.LastSeenAt) >= time.Minute {
		if err := s.store.TouchSession(ctx, hash); err != nil && !errors.Is(err, model.ErrNotFound) {
			return nil, fmt.Errorf("accounts: authenticate: %w", err)
		}
	}
	return p, nil
}

// endSession deletes a session that may no longer be used and reports
// ErrNoSession.
func (s *Service) endSession(ctx context.Context, hash string) error {
	if err := s.store.DeleteSession(ctx, hash); err != nil {
		return fmt.Errorf("accounts: end session: %w", err)
	}
	return ErrNoSession
}

// principal loads what a Principal needs to know about the account's
// second factors.
func (s *Service) principal(ctx context.Context, user store.User, sess store.Session, token string) (*Principal, error) {
	keys, err := s.store.PasskeysOf(ctx, user.ID)
	if err != nil {
		return nil, fmt.Errorf("accounts: load principal: %w", err)
	}
	totp, err := s.store.TOTPOf(ctx, user.ID)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return nil, fmt.Errorf("accounts: load principal: %w", err)
	}
	return &Principal{
		User: user, Session: sess, Passkeys: len(keys), TOTP: totp.Confirmed,
		Demo: user.Demo && s.demoAllowed, token: token, now: s.now(),
	}, nil
}

// startSession creates a session for user and returns its token. With mfa
// the second factor is proven: the session gets the full lifetime and a
// fresh step-up when stepUp is set. Without, it is a partial session.
func (s *Service) startSession(ctx context.Context, user store.User, mfa, stepUp bool, userAgent string) (string, error) {
	token := newToken()
	sess := sessionFor(user, token, mfa, stepUp, userAgent, s.now())
	if err := s.store.CreateSession(ctx, &sess); err != nil {
		return "", fmt.Errorf("accounts: start session: %w", err)
	}
	return token, nil
}

// completeSecondFactor rotates p's session into one with the second factor
// proven and returns the new token: a token seen before the proof is
// worthless after it.
func (s *Service) completeSecondFactor(ctx context.Context, p *Principal, factor string, stepUp bool) (string, error) {
	token := newToken()
	next := sessionFor(p.User, token, true, stepUp, p.Session.UserAgent, s.now())
	if err := s.store.ReplaceSession(ctx, p.Session.TokenHash, &next); err != nil {
		return "", fmt.Errorf("accounts: complete sign-in: %w", err)
	}
	s.record(ctx, audit.Entry{Actor: p.User.ID, Action: audit.SignIn, Target: p.User.ID,
		Detail: map[string]any{"factor": factor, "session": next.ID}})
	return token, nil
}

func sessionFor(user store.User, token string, mfa, stepUp bool, userAgent string, now time.Time) store.Session {
	sess := store.Session{TokenHash: HashToken(token), UserID: user.ID, MFA: mfa, UserAgent: userAgent,
		ExpiresAt: now.Add(PartialTimeout)}
	if mfa || user.Demo {
		sess.ExpiresAt = now.Add(AbsoluteTimeout)
	}
	if stepUp {
		sess.StepUpAt = now
	}
	return sess
}

// Sessions lists the account's unexpired sessions, most recent first.
func (s *Service) Sessions(ctx context.Context, p *Principal) ([]store.Session, error) {
	list, err := s.store.SessionsOf(ctx, p.User.ID)
	if err != nil {
		return nil, fmt.Errorf("accounts: sessions: %w", err)
	}
	return list, nil
}

// RevokeSession ends one of the account's own sessions by its ID.
func (s *Service) RevokeSession(ctx context.Context, p *Principal, id string) error {
	if err := s.store.RevokeSession(ctx, p.User.ID, id); err != nil {
		return fmt.Errorf("accounts: revoke session: %w", err)
	}
	s.record(ctx, audit.Entry{Actor: p.User.ID, Action: audit.SessionRevoked, Target: p.User.ID,
		Detail: map[string]any{"session": id}})
	return nil
}

// SignOutEverywhere ends every session of the account, this one included.
func (s *Service) SignOutEverywhere(ctx context.Context, p *Principal) error {
	n, err := s.store.DeleteUserSessions(ctx, p.User.ID)
	if err != nil {
		return fmt.Errorf("accounts: sign out everywhere: %w", err)
	}
	s.record(ctx, audit.Entry{Actor: p.User.ID, Action: audit.SessionsRevoked, Target: p.User.ID,
		Detail: map[string]any{"count": n}})
	return nil
}

// SignOut ends this session.
func (s *Service) SignOut(ctx context.Context, p *Principal) error {
	if err := s.store.DeleteSession(ctx, p.Session.TokenHash); err != nil {
		return fmt.Errorf("accounts: sign out: %w", err)
	}
	s.record(ctx, audit.Entry{Actor: p.User.ID, Action: audit.SignOut, Target: p.User.ID})
	return nil
}

// SummarizeUserAgent reduces a User-Agent header to "Browser on System" for
// the sessions list; the full header is not kept.
func SummarizeUserAgent(ua string) string {
	browser, system := "Unknown browser", "unknown system"
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chromium/", "Chromium"},
		{"HeadlessChrome/", "Headless Chrome"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	for _, o := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			system = o.name
			break
		}
	}
	return browser + " on " + system
}
