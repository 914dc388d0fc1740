package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// Login throttling: after a number of failures against an account (or a
// second factor), or from one client network, each further attempt must
// wait a delay that doubles per failure, from backoffBase up to backoffMax.
// Failures are forgotten after a quiet day. The client limit is higher
// because a newsroom may share one address.
const (
	accountFreeFailures = 5
	clientFreeFailures  = 20
	backoffBase         = 10 * time.Second
	backoffMax          = 15 * time.Minute
	forgetFailures      = 24 * time.Hour
)

// Client describes where a sign-in comes from. The address is used only to
// derive a keyed hash of its network (/24 for IPv4, /48 for IPv6) for the
// throttle; it is never stored.
type Client struct {
	IP        string
	UserAgent string
}

// throttle is one counter to check and to charge on failure.
type throttle struct {
	key  string
	free int
}

func accountThrottle(email string) throttle {
	sum := sha256.Sum256([]byte(store.NormalizeEmail(email)))
	return throttle{key: "account:" + hex.EncodeToString(sum[:]), free: accountFreeFailures}
}

func factorThrottle(userID string) throttle {
	return throttle{key: "factor:" + userID, free: accountFreeFailures}
}

func (s *Service) clientThrottle(ip string) throttle {
	prefix := "unknown"
	if addr, err := netip.ParseAddr(ip); err == nil {
		bits := 48
		if addr.Unmap().Is4() {
			addr, bits = addr.Unmap(), 24
		}
		if p, err := addr.Prefix(bits); err == nil {
			prefix = p.String()
		}
	}
	m := hmac.New(sha256.New, s.throttleKey)
	m.Write([]byte(prefix))
	return throttle{key: "client:" + hex.EncodeToString(m.Sum(nil)), free: clientFreeFailures}
}

// backoff is how long to wait after n failures.
func backoff(n, free int) time.Duration {
	if n < free {
		return 0
	}
	d := time.Duration(float64(backoffBase) * math.Pow(2, float64(n-free)))
	return min(d, backoffMax)
}

// throttled reports ErrThrottled if any counter is still waiting.
func (s *Service) throttled(ctx context.Context, ts ...throttle) error {
	now := s.now()
	for _, t := range ts {
		n, last, err := s.store.LoginFailures(ctx, t.key)
		if err != nil {
			return fmt.Errorf("accounts: throttle: %w", err)
		}
		if now.Sub(last) < forgetFailures && now.Before(last.Add(backoff(n, t.free))) {
			return ErrThrottled
		}
	}
	return nil
}

// charge counts a failure against each counter.
func (s *Service) charge(ctx context.Context, ts ...throttle) error {
	for _, t := range ts {
		if _, err := s.store.RecordLoginFailure(ctx, t.key, s.now().Add(-forgetFailures)); err != nil {
			return fmt.Errorf("accounts: throttle: %w", err)
		}
	}
	return nil
}

// Login checks an email and password and, if they are right, starts a
// session and returns its token. The session has no permissions until the
// second factor is proven or enrolled (see Principal.Stage), except for the
// demo account on a loopback desk. Every failure is ErrInvalidLogin or
// ErrThrottled, whatever went wrong, and takes as long as a real check.
func (s *Service) Login(ctx context.Context, email, password string, c Client) (string, error) {
	acct, client := accountThrottle(email), s.clientThrottle(c.IP)
	if err := s.throttled(ctx, acct, client); err != nil {
		if errors.Is(err, ErrThrottled) {
			s.log.WarnContext(ctx, "sign-in refused: throttled")
		}
		return "", err
	}
	user, err := s.store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return "", fmt.Errorf("accounts: login: %w", err)
	}
	usable := err == nil && !user.Disabled && user.PasswordHash != "" && (!user.Demo || s.demoAllowed)
	hash := dummyHash()
	if usable {
		hash = user.PasswordHash
	}
	ok, err := VerifyPassword(hash, password)
	if err != nil {
		return "", fmt.Errorf("accounts: login: %w", err)
	}
	if !ok || !usable {
		if err := s.charge(ctx, acct, client); err != nil {
			return "", err
		}
		// The target is the account's ID when there is one; the typed email
		// is not recorded, as people sometimes type a password there.
		s.record(ctx, audit.Entry{Actor: audit.System, Action: audit.SignInFailed, Target: user.ID,
			Detail: map[string]any{"factor": "password"}})
		return "", ErrInvalidLogin
	}
	if err := s.store.ClearLoginFailures(ctx, acct.key); err != nil {
		return "", fmt.Errorf("accounts: login: %w", err)
	}
	token, err := s.startSession(ctx, user, false, false, SummarizeUserAgent(c.UserAgent))
	if err != nil {
		return "", err
	}
	s.record(ctx, audit.Entry{Actor: user.ID, Action: audit.SignIn, Target: user.ID,
		Detail: map[string]any{"factor": "password"}})
	return token, nil
}

// VerifyTOTP proves the second factor of a signed-in-by-password session
// with a code from the authenticator app and returns the session's new
// token. Accounts whose role needs a passkey and that have one cannot use
// TOTP instead.
func (s *Service) VerifyTOTP(ctx context.Context, p *Principal, code string) (string, error) {
	if p.Stage() != StageSecondFactor || !p.TOTP || (p.Role().NeedsPasskey() && p.Passkeys > 0) {
		return "", ErrForbidden
	}
	if err := s.checkTOTP(ctx, p, code); err != nil {
		return "", err
	}
	return s.completeSecondFactor(ctx, p, "totp", !p.Role().NeedsPasskey())
}

// UseRecoveryCode proves the second factor with a single-use recovery code,
// for when the passkey or phone is lost, and returns the session's new
// token. The use is audit-logged. It grants no step-up: actions that need
// one still ask for a passkey.
func (s *Service) UseRecoveryCode(ctx context.Context, p *Principal, code string) (string, error) {
	if p.Stage() != StageSecondFactor {
		return "", ErrForbidden
	}
	ft := factorThrottle(p.User.ID)
	if err := s.throttled(ctx, ft); err != nil {
		return "", err
	}
	used, err := s.store.UseRecoveryCode(ctx, p.User.ID, recoveryCodeHash(p.User.ID, code))
	if err != nil {
		return "", fmt.Errorf("accounts: recovery code: %w", err)
	}
	if !used {
		return "", s.factorFailed(ctx, p, ft, "recovery_code")
	}
	left, err := s.store.RecoveryCodesLeft(ctx, p.User.ID)
	if err != nil {
		return "", fmt.Errorf("accounts: recovery code: %w", err)
	}
	s.record(ctx, audit.Entry{Actor: p.User.ID, Action: audit.RecoveryCodeUsed, Target: p.User.ID,
		Detail: map[string]any{"codes_left": left}})
	// A recovery code is what someone who stole the password and a printout
	// would use, so the owner hears of it at once (S3).
	s.sendSecurityNotice(ctx, p.User, "A recovery code was used to sign in to your "+s.siteName+" desk account",
		fmt.Sprintf("Someone signed in to your account on the %s desk with one of your recovery codes. %d unused codes are left; "+
			"make new ones on your account page if you are running low.", s.siteName, left))
	return s.completeSecondFactor(ctx, p, "recovery_code", false)
}

// StepUpTOTP refreshes the step-up of a fully signed-in session with a TOTP
// code, for roles that may use TOTP at all (contributors).
func (s *Service) StepUpTOTP(ctx context.Context, p *Principal, code string) error {
	if p.Stage() != StageReady || !p.TOTP || p.Role().NeedsPasskey() {
		return ErrForbidden
	}
	if err := s.checkTOTP(ctx, p, code); err != nil {
		return err
	}
	if err := s.store.StepUpSession(ctx, p.Session.TokenHash); err != nil {
		return fmt.Errorf("accounts: step up: %w", err)
	}
	return nil
}

// factorFailed charges a failed second-factor attempt and audit-logs it.
func (s *Service) factorFailed(ctx context.Context, p *Principal, ft throttle, factor string) error {
	if err := s.charge(ctx, ft); err != nil {
		return err
	}
	s.record(ctx, audit.Entry{Actor: p.User.ID, Action: audit.SignInFailed, Target: p.User.ID,
		Detail: map[string]any{"factor": factor}})
	return ErrInvalidCode
}
