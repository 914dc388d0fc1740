package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// TOTP is an account's authenticator-app secret, as stored (the accounts
// package seals it).
type TOTP struct {
	Secret    string
	Confirmed bool  // a first code proved the app has the secret
	LastStep  int64 // the last 30-second step whose code was accepted
	// Pending is the secret of a replacement app that no code has
	// confirmed yet; empty when none.
	Pending string
}

// Passkey is a WebAuthn credential registered to an account.
type Passkey struct {
	ID              string // base64url credential ID
	UserID          string
	Name            string
	PublicKey       string // base64url COSE key
	AttestationType string
	AAGUID          string // base64url
	SignCount       uint32
	Flags           uint8    // authenticator flags at registration
	Transports      []string // e.g. "usb", "internal"
	CreatedAt       time.Time
	LastUsedAt      time.Time // zero if never used to sign in
}

const (
	qSaveTOTP = `INSERT INTO totp_secrets (user_id, secret, confirmed, last_step, created_at) VALUES (?, ?, ?, 0, ?)
ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, confirmed = excluded.confirmed,
last_step = 0, created_at = excluded.created_at, pending_secret = ''`
	qTOTP        = `SELECT secret, confirmed, last_step, pending_secret FROM totp_secrets WHERE user_id = ?`
	qPendingTOTP = `UPDATE totp_secrets SET pending_secret = ? WHERE user_id = ? AND confirmed`
	qSwapTOTP    = `UPDATE totp_secrets SET secret = pending_secret, pending_secret = '', last_step = ?, created_at = ?
WHERE user_id = ? AND pending_secret = ? AND pending_secret <> ''`
	qAcceptStep = `UPDATE totp_secrets SET last_step = ?, confirmed = ? WHERE user_id = ? AND last_step < ?`
	qDeleteTOTP = `DELETE FROM totp_secrets WHERE user_id = ?`
	qAllTOTP    = `SELECT user_id, secret FROM totp_secrets ORDER BY user_id`
	qResealTOTP = `UPDATE totp_secrets SET secret = ? WHERE user_id = ? AND secret = ?`

	qDeletePasskeys = `DELETE FROM webauthn_credentials WHERE user_id = ?`

	qDeleteRecoveryCodes = `DELETE FROM recovery_codes WHERE user_id = ?`
	qInsertRecoveryCode  = `INSERT INTO recovery_codes (code_hash, user_id, created_at) VALUES (?, ?, ?)`
	qUseRecoveryCode     = `UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`
	qCountRecoveryCodes  = `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`

	passkeyColumns = `id, user_id, name, public_key, attestation_type, aaguid, sign_count, flags, transports, created_at, last_used_at`
	qInsertPasskey = `INSERT INTO webauthn_credentials (` + passkeyColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`
	qPasskeys      = `SELECT ` + passkeyColumns + ` FROM webauthn_credentials WHERE user_id = ? ORDER BY created_at, id`
	qUsePasskey    = `UPDATE webauthn_credentials SET sign_count = ?, last_used_at = ? WHERE id = ? AND user_id = ?`
	qDeletePasskey = `DELETE FROM webauthn_credentials WHERE id = ? AND user_id = ?`
)

// SaveTOTP stores a new, unconfirmed TOTP secret for the user, replacing any
// earlier one.
func (s *Store) SaveTOTP(ctx context.Context, userID, secret string) error {
	err := s.write(ctx, false, func(r *runner) error {
		_, err := r.exec(ctx, "save_totp", qSaveTOTP, userID, secret, false, timeArg(s.clock()))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: save totp of %s: %w", userID, err)
	}
	return nil
}

// TOTPOf returns the user's TOTP secret, or model.ErrNotFound.
func (s *Store) TOTPOf(ctx context.Context, userID string) (TOTP, error) {
	var t TOTP
	if err := s.read().scanRow(ctx, "totp", qTOTP, []any{userID}, &t.Secret, &t.Confirmed, &t.LastStep, &t.Pending); err != nil {
		return TOTP{}, fmt.Errorf("store: totp of %s: %w", userID, notFound(err))
	}
	return t, nil
}

// SavePendingTOTP keeps the secret of a replacement app beside the user's
// confirmed one, replacing any earlier replacement; model.ErrNotFound when
// the user has no confirmed secret to replace.
func (s *Store) SavePendingTOTP(ctx context.Context, userID, secret string) error {
	if err := s.exec1(ctx, "pending_totp", qPendingTOTP, secret, userID); err != nil {
		return fmt.Errorf("store: save pending totp of %s: %w", userID, err)
	}
	return nil
}

// ConfirmPendingTOTP makes the replacement secret pending the user's
// secret, with step as the last accepted one. It is a compare-and-set on
// pending: it reports false, changing nothing, when that is no longer the
// replacement under way.
func (s *Store) ConfirmPendingTOTP(ctx context.Context, userID, pending string, step int64) (bool, error) {
	err := s.exec1(ctx, "swap_totp", qSwapTOTP, step, timeArg(s.clock()), userID, pending)
	if errors.Is(err, model.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: confirm pending totp of %s: %w", userID, err)
	}
	return true, nil
}

// AcceptTOTPStep records that the code for step was used, and confirms the
// secret. It reports false, changing nothing, when that step or a later one
// was already accepted: this compare-and-set is what makes each code work
// only once, even when two servers check the same code at the same moment.
func (s *Store) AcceptTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	var accepted bool
	err := s.write(ctx, false, func(r *runner) error {
		res, err := r.exec(ctx, "accept_totp_step", qAcceptStep, step, true, userID, step)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		accepted = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: accept totp step of %s: %w", userID, err)
	}
	return accepted, nil
}

// DeleteTOTP removes the user's TOTP secret.
func (s *Store) DeleteTOTP(ctx context.Context, userID string) error {
	if err := s.exec1(ctx, "delete_totp", qDeleteTOTP, userID); err != nil {
		return fmt.Errorf("store: delete totp of %s: %w", userID, err)
	}
	return nil
}

// TOTPSecrets returns every account's stored TOTP secret as it is in the
// database, by user ID: for sealing secrets stored before they were
// encrypted, and for tests that check what is really stored.
func (s *Store) TOTPSecrets(ctx context.Context) (map[string]string, error) {
	secrets := map[string]string{}
	err := s.read().each(ctx, "all_totp", qAllTOTP, nil, func(scan func(...any) error) error {
		var userID, secret string
		if err := scan(&userID, &secret); err != nil {
			return err
		}
		secrets[userID] = secret
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: totp secrets: %w", err)
	}
	return secrets, nil
}

// ReplaceTOTPSecret swaps the user's stored secret old for next, keeping
// its confirmation and last step. It is a compare-and-set: it reports false,
// changing nothing, when the stored secret is no longer old (another server
// got there first, or the user enrolled again).
func (s *Store) ReplaceTOTPSecret(ctx context.Context, userID, old, next string) (bool, error) {
	err := s.exec1(ctx, "reseal_totp", qResealTOTP, next, userID, old)
	if errors.Is(err, model.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: replace totp secret of %s: %w", userID, err)
	}
	return true, nil
}

// ResetSecondFactors removes every second factor of the user (passkeys,
// TOTP, recovery codes) and ends the user's sessions, in one transaction,
// so that the next sign-in must enrol a factor again.
func (s *Store) ResetSecondFactors(ctx context.Context, userID string) error {
	err := s.write(ctx, false, func(r *runner) error {
		for _, q := range []struct{ name, query string }{
			{"delete_passkeys", qDeletePasskeys}, {"delete_totp", qDeleteTOTP},
			{"delete_recovery_codes", qDeleteRecoveryCodes}, {"delete_user_sessions", qDeleteUserSessions},
		} {
			if _, err := r.exec(ctx, q.name, q.query, userID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: reset second factors of %s: %w", userID, err)
	}
	return nil
}

// ReplaceRecoveryCodes replaces the user's recovery codes by codeHashes.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, codeHashes []string) error {
	now := timeArg(s.clock())
	err := s.write(ctx, false, func(r *runner) error {
		if _, err := r.exec(ctx, "delete_recovery_codes", qDeleteRecoveryCodes, userID); err != nil {
			return err
		}
		for _, h := range codeHashes {
			if _, err := r.exec(ctx, "insert_recovery_code", qInsertRecoveryCode, h, userID, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: replace recovery codes of %s: %w", userID, err)
	}
	return nil
}

// UseRecoveryCode marks the user's unused code with that hash as used. It
// reports false when there is no such unused code.
func (s *Store) UseRecoveryCode(ctx context.Context, userID, codeHash string) (bool, error) {
	var used bool
	err := s.write(ctx, false, func(r *runner) error {
		res, err := r.exec(ctx, "use_recovery_code", qUseRecoveryCode, timeArg(s.clock()), userID, codeHash)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		used = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: use recovery code of %s: %w", userID, err)
	}
	return used, nil
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	var n int
	if err := s.read().scanRow(ctx, "count_recovery_codes", qCountRecoveryCodes, []any{userID}, &n); err != nil {
		return 0, fmt.Errorf("store: count recovery codes of %s: %w", userID, err)
	}
	return n, nil
}

// AddPasskey registers a passkey and sets p.CreatedAt. A credential ID
// already registered gives model.ErrConflict.
func (s *Store) AddPasskey(ctx context.Context, p *Passkey) error {
	now := s.clock()
	err := s.write(ctx, false, func(r *runner) error {
		_, err := r.exec(ctx, "insert_passkey", qInsertPasskey, p.ID, p.UserID, p.Name, p.PublicKey,
			p.AttestationType, p.AAGUID, int64(p.SignCount), int(p.Flags), strings.Join(p.Transports, ","), timeArg(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: add passkey of %s: %w", p.UserID, err)
	}
	p.CreatedAt = now
	return nil
}

// PasskeysOf returns the user's passkeys, oldest first.
func (s *Store) PasskeysOf(ctx context.Context, userID string) ([]Passkey, error) {
	var keys []Passkey
	err := s.read().each(ctx, "passkeys", qPasskeys, []any{userID}, func(scan func(...any) error) error {
		var (
			p          Passkey
			count      int64
			flags      int
			transports string
		)
		if err := scan(&p.ID, &p.UserID, &p.Name, &p.PublicKey, &p.AttestationType, &p.AAGUID, &count, &flags,
			&transports, scanTime(&p.CreatedAt), scanTime(&p.LastUsedAt)); err != nil {
			return err
		}
		p.SignCount, p.Flags = uint32(count), uint8(flags)
		if transports != "" {
			p.Transports = strings.Split(transports, ",")
		}
		keys = append(keys, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: passkeys of %s: %w", userID, err)
	}
	return keys, nil
}

// UsePasskey records a sign-in with the user's passkey: its new signature
// counter and the time.
func (s *Store) UsePasskey(ctx context.Context, userID, id string, signCount uint32) error {
	if err := s.exec1(ctx, "use_passkey", qUsePasskey, int64(signCount), timeArg(s.clock()), id, userID); err != nil {
		return fmt.Errorf("store: use passkey of %s: %w", userID, err)
	}
	return nil
}

// DeletePasskey removes one of the user's passkeys.
func (s *Store) DeletePasskey(ctx context.Context, userID, id string) error {
	if err := s.exec1(ctx, "delete_passkey", qDeletePasskey, id, userID); err != nil {
		return fmt.Errorf("store: delete passkey of %s: %w", userID, err)
	}
	return nil
}

// exec1 runs a write expected to touch exactly one row, giving
// model.ErrNotFound when it touches none.
func (s *Store) exec1(ctx context.Context, name, query string, args ...any) error {
	return s.write(ctx, false, func(r *runner) error {
		return r.execOne(ctx, name, query, args...)
	})
}
