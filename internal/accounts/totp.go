package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// TOTP parameters: the RFC 6238 defaults every authenticator app supports.
const (
	totpPeriod = 30
	totpSkew   = 1 // steps accepted either side of the current one
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// RecoveryCodeCount is how many recovery codes an account gets (S3: ten or
// more).
const RecoveryCodeCount = 10

// TOTPEnrolment is what an authenticator app needs to add the account.
type TOTPEnrolment struct {
	Secret string // base32, for typing in by hand
	URI    string // otpauth:// URI, for the QR code
}

// BeginTOTP creates a new, unconfirmed TOTP secret for the account and
// returns it for the authenticator app. Only accounts whose role may use
// TOTP (contributors) can enrol it. For an account that already has a
// working app, the new secret is a replacement that waits beside the old
// one until a code from the new app confirms it, so a half-finished
// replacement locks nobody out; it needs a recent step-up, like any
// enrolment after sign-in.
func (s *Service) BeginTOTP(ctx context.Context, p *Principal) (TOTPEnrolment, error) {
	if p.Role().NeedsPasskey() || !p.CanEnrol() {
		return TOTPEnrolment{}, ErrForbidden
	}
	e, err := s.totpEnrolment(p, nil)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	sealed, err := s.sealTOTP(p.User.ID, e.Secret)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	if p.TOTP {
		err = s.store.SavePendingTOTP(ctx, p.User.ID, sealed)
	} else {
		err = s.store.SaveTOTP(ctx, p.User.ID, sealed)
	}
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("accounts: begin totp: %w", err)
	}
	return e, nil
}

// PendingTOTP returns the unconfirmed secret BeginTOTP made (a first app,
// or a replacement), to show it again; model.ErrNotFound when there is
// none.
func (s *Service) PendingTOTP(ctx context.Context, p *Principal) (TOTPEnrolment, error) {
	t, err := s.totpOf(ctx, p.User.ID)
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("accounts: pending totp: %w", err)
	}
	pending := t.Secret
	if t.Confirmed {
		pending = t.Pending
	}
	if pending == "" {
		return TOTPEnrolment{}, fmt.Errorf("accounts: pending totp: %w", model.ErrNotFound)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(pending)
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("accounts: pending totp: stored secret: %w", err)
	}
	return s.totpEnrolment(p, secret)
}

// RemoveTOTP removes the account's authenticator app. It needs a recent
// step-up (S5: changing MFA) and another second factor its role accepts,
// so that the account is never left without one.
func (s *Service) RemoveTOTP(ctx context.Context, p *Principal) error {
	if p.Stage() != StageReady || !p.TOTP {
		return ErrForbidden
	}
	if err := p.RequireStepUp(); err != nil {
		return err
	}
	if p.Passkeys == 0 {
		return &model.ValidationError{Fields: map[string]string{"totp": "the authenticator app is your only second factor; add a passkey first, or replace the app with a new one instead of removing it"}}
	}
	if err := s.store.DeleteTOTP(ctx, p.User.ID); err != nil {
		return fmt.Errorf("accounts: remove totp: %w", err)
	}
	s.record(ctx, audit.Entry{Actor: p.User.ID, Action: audit.MFARemoved, Target: p.User.ID,
		Detail: map[string]any{"factor": "totp"}})
	s.sendSecurityNotice(ctx, p.User, "An authenticator app was removed from your "+s.siteName+" desk account",
		"The authenticator app was removed from your account on the "+s.siteName+" desk.")
	return nil
}

// totpPurpose binds a sealed TOTP secret to its account, so that a sealed
// value copied into another account's row does not open.
func totpPurpose(userID string) string { return "totp secret " + userID }

// errNoVault explains why TOTP cannot work on a server built without the
// secret key.
var errNoVault = errors.New("accounts: TOTP secrets are sealed with the secret key, and this server has none; set secret-key-file")

// sealTOTP encrypts a base32 secret for the database.
func (s *Service) sealTOTP(userID, secret string) (string, error) {
	if s.vault == nil {
		return "", errNoVault
	}
	return s.vault.Seal(secret, totpPurpose(userID)), nil
}

// openTOTP is an account's TOTP secrets, opened.
type openTOTP struct {
	store.TOTP
	// sealedPending is the replacement secret as stored, for the
	// compare-and-set that confirms it.
	sealedPending string
}

// totpOf loads the account's TOTP secrets and opens them.
func (s *Service) totpOf(ctx context.Context, userID string) (openTOTP, error) {
	if s.vault == nil {
		return openTOTP{}, errNoVault
	}
	t, err := s.store.TOTPOf(ctx, userID)
	if err != nil {
		return openTOTP{}, err
	}
	o := openTOTP{TOTP: t, sealedPending: t.Pending}
	for _, field := range []*string{&o.Secret, &o.Pending} {
		if *field == "" {
			continue
		}
		if *field, err = s.vault.Open(*field, totpPurpose(userID)); err != nil {
			// The key file was replaced or lost: the secret is unusable, and
			// the person must use a recovery code and enrol again.
			return openTOTP{}, fmt.Errorf("accounts: the TOTP secret of %s does not open with this server's secret key: %w", userID, err)
		}
	}
	return o, nil
}

// SealTOTPSecrets encrypts TOTP secrets that were stored in the clear (by
// versions before they were sealed) and reports how many it sealed. Servers
// run it at start; it is safe to run on several servers at once and again.
func (s *Service) SealTOTPSecrets(ctx context.Context) (int, error) {
	if s.vault == nil {
		return 0, errNoVault
	}
	secrets, err := s.store.TOTPSecrets(ctx)
	if err != nil {
		return 0, fmt.Errorf("accounts: seal totp secrets: %w", err)
	}
	n := 0
	for userID, stored := range secrets {
		if _, err := s.vault.Open(stored, totpPurpose(userID)); err == nil {
			continue
		}
		// Not sealed with this key: a plaintext base32 secret, or a value
		// this key cannot open, which is left alone rather than sealed twice.
		if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(stored); err != nil {
			s.log.ErrorContext(ctx, "a TOTP secret is sealed with another key; its owner must use a recovery code and enrol again", "user", userID)
			continue
		}
		sealed, _ := s.sealTOTP(userID, stored)
		done, err := s.store.ReplaceTOTPSecret(ctx, userID, stored, sealed)
		if err != nil {
			return n, fmt.Errorf("accounts: seal totp secrets: %w", err)
		}
		if done {
			n++
		}
	}
	if n > 0 {
		s.log.InfoContext(ctx, "sealed TOTP secrets stored in the clear", "count", n)
	}
	return n, nil
}

// totpEnrolment describes the secret (a new random one when nil) for an
// authenticator app.
func (s *Service) totpEnrolment(p *Principal, secret []byte) (TOTPEnrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.siteName, AccountName: p.User.Email, Period: totpPeriod,
		SecretSize: 20, Secret: secret, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("accounts: totp secret: %w", err)
	}
	return TOTPEnrolment{Secret: key.Secret(), URI: key.URL()}, nil
}

// ConfirmTOTP completes TOTP enrolment with a first code from the app. It
// returns new recovery codes when the account had no second factor before
// (shown once, never stored in the clear), and, when the session was still
// enrolling, the session's new token ("" otherwise).
func (s *Service) ConfirmTOTP(ctx context.Context, p *Principal, code string) (token string, codes []string, err error) {
	if p.Role().NeedsPasskey() || !p.CanEnrol() {
		return "", nil, ErrForbidden
	}
	if p.TOTP {
		return "", nil, s.confirmReplacement(ctx, p, code)
	}
	if err := s.checkTOTP(ctx, p, code); err != nil {
		return "", nil, err
	}
	return s.enrolled(ctx, p, "totp")
}

// confirmReplacement makes the replacement app's secret the account's,
// once a code from it proves the app has it.
func (s *Service) confirmReplacement(ctx context.Context, p *Principal, code string) error {
	ft := factorThrottle(p.User.ID)
	if err := s.throttled(ctx, ft); err != nil {
		return err
	}
	t, err := s.totpOf(ctx, p.User.ID)
	if err != nil {
		return fmt.Errorf("accounts: confirm totp replacement: %w", err)
	}
	if t.Pending == "" {
		return ErrForbidden
	}
	step, ok, err := s.matchingStep(t.Pending, code)
	if err != nil {
		return fmt.Errorf("accounts: confirm totp replacement: %w", err)
	}
	if ok {
		if ok, err = s.store.ConfirmPendingTOTP(ctx, p.User.ID, t.sealedPending, step); err != nil {
			return fmt.Errorf("accounts: confirm totp replacement: %w", err)
		}
	}
	if !ok {
		return s.factorFailed(ctx, p, ft, "totp")
	}
	s.record(ctx, audit.Entry{Actor: p.User.ID, Action: audit.MFAEnrolled, Target: p.User.ID,
		Detail: map[string]any{"factor": "totp", "replaced": true}})
	s.sendSecurityNotice(ctx, p.User, "Your authenticator app was replaced on your "+s.siteName+" desk account",
		"A new authenticator app replaced the old one on your account on the "+s.siteName+" desk; codes from the old app no longer work.")
	return nil
}

// checkTOTP accepts code if it matches the account's secret within ±1 step
// and that step is later than any accepted before: each code works once.
func (s *Service) checkTOTP(ctx context.Context, p *Principal, code string) error {
	ft := factorThrottle(p.User.ID)
	if err := s.throttled(ctx, ft); err != nil {
		return err
	}
	t, err := s.totpOf(ctx, p.User.ID)
	if errors.Is(err, model.ErrNotFound) {
		return ErrForbidden
	}
	if err != nil {
		return fmt.Errorf("accounts: check totp: %w", err)
	}
	step, ok, err := s.matchingStep(t.Secret, code)
	if err != nil {
		return fmt.Errorf("accounts: check totp: %w", err)
	}
	if ok {
		// A replayed code matches a step already accepted: refused here.
		if ok, err = s.store.AcceptTOTPStep(ctx, p.User.ID, step); err != nil {
			return fmt.Errorf("accounts: check totp: %w", err)
		}
	}
	if !ok {
		return s.factorFailed(ctx, p, ft, "totp")
	}
	return nil
}

// matchingStep finds the latest 30-second step within ±1 of now whose code
// for secret is code.
func (s *Service) matchingStep(secret, code string) (int64, bool, error) {
	code = strings.Join(strings.Fields(code), "")
	now := s.now().Unix() / totpPeriod
	for step := now + totpSkew; step >= now-totpSkew; step-- {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err != nil {
			return 0, false, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true, nil
		}
	}
	return 0, false, nil
}

// enrolled finishes adding a second factor: recovery codes for a first
// factor, the audit entry, and for an enrolling session the rotation into a
// fully signed-in one.
func (s *Service) enrolled(ctx context.Context, p *Principal, factor string) (token string, codes []string, err error) {
	if p.Passkeys == 0 && !p.TOTP {
		if codes, err = s.newRecoveryCodes(ctx, p); err != nil {
			return "", nil, err
		}
	}
	s.record(ctx, audit.Entry{Actor: p.User.ID, Action: audit.MFAEnrolled, Target: p.User.ID,
		Detail: map[string]any{"factor": factor}})
	s.sendSecurityNotice(ctx, p.User, "A second factor was added to your "+s.siteName+" desk account",
		fmt.Sprintf("A new way to confirm it is you (%s) was added to your account on the %s desk.", factorNames[factor], s.siteName))
	if !p.Session.MFA {
		if token, err = s.completeSecondFactor(ctx, p, factor, true); err != nil {
			return "", nil, err
		}
	}
	return token, codes, nil
}

// factorNames names second factors in emails.
var factorNames = map[string]string{"totp": "an authenticator app", "passkey": "a passkey"}

// RegenerateRecoveryCodes replaces the account's recovery codes; it needs a
// recent step-up.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, p *Principal) ([]string, error) {
	if p.Stage() != StageReady || p.demoWithoutFactor() {
		return nil, ErrForbidden
	}
	if err := p.RequireStepUp(); err != nil {
		return nil, err
	}
	return s.newRecoveryCodes(ctx, p)
}

func (s *Service) newRecoveryCodes(ctx context.Context, p *Principal) ([]string, error) {
	codes := make([]string, RecoveryCodeCount)
	hashes := make([]string, RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = recoveryCodeHash(p.User.ID, codes[i])
	}
	if err := s.store.ReplaceRecoveryCodes(ctx, p.User.ID, hashes); err != nil {
		return nil, fmt.Errorf("accounts: recovery codes: %w", err)
	}
	s.record(ctx, audit.Entry{Actor: p.User.ID, Action: audit.RecoveryCodesNew, Target: p.User.ID,
		Detail: map[string]any{"count": len(codes)}})
	return codes, nil
}

// recoveryAlphabet has no look-alike characters (no 0/o, 1/l/i).
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// newRecoveryCode returns ten random characters (about 49 bits) as
// "xxxxx-xxxxx".
func newRecoveryCode() string {
	var b strings.Builder
	buf := make([]byte, 1)
	for n := 0; n < 10; {
		rand.Read(buf)
		// Rejection sampling keeps every character equally likely.
		if int(buf[0]) >= 256/len(recoveryAlphabet)*len(recoveryAlphabet) {
			continue
		}
		if n == 5 {
			b.WriteByte('-')
		}
		b.WriteByte(recoveryAlphabet[int(buf[0])%len(recoveryAlphabet)])
		n++
	}
	return b.String()
}

// recoveryCodeHash is what the store keeps of a code: SHA-256 over the user
// ID and the code without spaces, dashes or case. The codes are random
// enough that a fast hash is adequate, and tying it to the user means two
// accounts' equal codes do not collide.
func recoveryCodeHash(userID, code string) string {
	norm := strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(code))
	sum := sha256.Sum256([]byte(userID + ":" + norm))
	return hex.EncodeToString(sum[:])
}
