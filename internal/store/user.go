package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// User is a staff account of the desk. It is never shown to readers: bylines
// are model.Author records, separate from accounts.
type User struct {
	ID          string
	Email       string // lowercased
	DisplayName string
	Role        string // contributor, author, editor or admin
	// PasswordHash is an argon2id PHC string; empty until the person sets a
	// password through their setup link.
	PasswordHash string
	Disabled     bool
	// Demo marks the demo loader's account, the only one that may skip
	// two-factor enrolment. Only CreateUser with Demo set can make one.
	Demo      bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Purposes of one-time user tokens.
const (
	TokenSetup = "setup"
	TokenReset = "reset"
)

const (
	userColumns   = `id, email, display_name, role, password_hash, disabled, demo, created_at, updated_at`
	qInsertUser   = `INSERT INTO users (` + userColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qUserByID     = `SELECT ` + userColumns + ` FROM users WHERE id = ?`
	qUserByEmail  = `SELECT ` + userColumns + ` FROM users WHERE email = ?`
	qListUsers    = `SELECT ` + userColumns + ` FROM users ORDER BY email`
	qCountUsers   = `SELECT COUNT(*) FROM users`
	qSetPassword  = `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`
	qSetRole      = `UPDATE users SET role = ?, updated_at = ? WHERE id = ?`
	qSetDisabled  = `UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?`
	qInsertToken  = `INSERT INTO user_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`
	qDropTokens   = `DELETE FROM user_tokens WHERE user_id = ? AND purpose = ?`
	qConsumeToken = `UPDATE user_tokens SET used_at = ?
WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
RETURNING user_id`
	qTokenUser = `SELECT user_id FROM user_tokens
WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?`
)

// CreateUser adds an account and sets u.ID, u.CreatedAt and u.UpdatedAt; the
// email is stored lowercased and trimmed. An email already in use gives
// model.ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	u.Email = NormalizeEmail(u.Email)
	p := problems{}
	p.require("email", u.Email, "an account needs an email address")
	if u.Email != "" && !strings.Contains(u.Email, "@") {
		p["email"] = "this does not look like an email address"
	}
	if err := p.err(); err != nil {
		return fmt.Errorf("store: create user: %w", err)
	}
	now := s.clock()
	id := newID()
	err := s.write(ctx, false, func(r *runner) error {
		_, err := r.exec(ctx, "insert_user", qInsertUser, id, u.Email, u.DisplayName, u.Role,
			u.PasswordHash, u.Disabled, u.Demo, timeArg(now), timeArg(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create user: %w", err)
	}
	u.ID, u.CreatedAt, u.UpdatedAt = id, now, now
	return nil
}

// NormalizeEmail is the form in which emails are stored and looked up.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// UserByID returns the account with that ID.
func (s *Store) UserByID(ctx context.Context, id string) (User, error) {
	var u User
	if err := s.read().scanRow(ctx, "user_by_id", qUserByID, []any{id}, userDest(&u)...); err != nil {
		return User{}, fmt.Errorf("store: user %s: %w", id, notFound(err))
	}
	return u, nil
}

// UserByEmail returns the account with that email, compared
// case-insensitively.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	if err := s.read().scanRow(ctx, "user_by_email", qUserByEmail, []any{NormalizeEmail(email)}, userDest(&u)...); err != nil {
		return User{}, fmt.Errorf("store: user by email: %w", notFound(err))
	}
	return u, nil
}

// ListUsers returns every account, ordered by email.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	var users []User
	err := s.read().each(ctx, "list_users", qListUsers, nil, func(scan func(...any) error) error {
		var u User
		err := scan(userDest(&u)...)
		users = append(users, u)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	return users, nil
}

// CountUsers returns how many accounts exist, disabled ones included.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.read().scanRow(ctx, "count_users", qCountUsers, nil, &n); err != nil {
		return 0, fmt.Errorf("store: count users: %w", err)
	}
	return n, nil
}

// SetPassword replaces the account's password hash and ends its sessions, so
// that a reset locks out whoever knew the old password.
func (s *Store) SetPassword(ctx context.Context, userID, hash string) error {
	err := s.updateUser(ctx, "set_password", qSetPassword, userID, true, hash)
	if err != nil {
		return fmt.Errorf("store: set password of %s: %w", userID, err)
	}
	return nil
}

// ChangePassword replaces the account's password hash and ends every
// session of the account except the one whose token hash is keep: the
// person changing it stays signed in, anyone else who knew the old
// password is signed out.
func (s *Store) ChangePassword(ctx context.Context, userID, hash, keep string) error {
	now := s.clock()
	err := s.write(ctx, false, func(r *runner) error {
		if err := r.execOne(ctx, "set_password", qSetPassword, hash, timeArg(now), userID); err != nil {
			return err
		}
		_, err := r.exec(ctx, "delete_other_sessions", qDeleteOtherSessions, userID, keep)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: change password of %s: %w", userID, err)
	}
	return nil
}

// SetRole changes the account's role.
func (s *Store) SetRole(ctx context.Context, userID, role string) error {
	if err := s.updateUser(ctx, "set_role", qSetRole, userID, false, role); err != nil {
		return fmt.Errorf("store: set role of %s: %w", userID, err)
	}
	return nil
}

// SetUserDisabled disables or re-enables the account. Disabling ends all its
// sessions in the same transaction.
func (s *Store) SetUserDisabled(ctx context.Context, userID string, disabled bool) error {
	if err := s.updateUser(ctx, "set_disabled", qSetDisabled, userID, disabled, disabled); err != nil {
		return fmt.Errorf("store: set disabled of %s: %w", userID, err)
	}
	return nil
}

// updateUser runs an UPDATE of one user taking (value, updated_at, id), and
// with endSessions deletes the user's sessions too.
func (s *Store) updateUser(ctx context.Context, name, query, userID string, endSessions bool, value any) error {
	now := s.clock()
	return s.write(ctx, false, func(r *runner) error {
		if err := r.execOne(ctx, name, query, value, timeArg(now), userID); err != nil || !endSessions {
			return err
		}
		_, err := r.exec(ctx, "delete_user_sessions", qDeleteUserSessions, userID)
		return err
	})
}

// CreateUserToken stores the hash of a one-time token for purpose
// (TokenSetup or TokenReset), valid until expires. Earlier tokens of the
// same purpose for the user stop working.
func (s *Store) CreateUserToken(ctx context.Context, userID, purpose, tokenHash string, expires time.Time) error {
	now := s.clock()
	err := s.write(ctx, false, func(r *runner) error {
		if _, err := r.exec(ctx, "drop_user_tokens", qDropTokens, userID, purpose); err != nil {
			return err
		}
		_, err := r.exec(ctx, "insert_user_token", qInsertToken, tokenHash, userID, purpose, timeArg(now), timeArg(expires))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create %s token: %w", purpose, err)
	}
	return nil
}

// UserTokenOwner returns the user a valid, unused token of purpose belongs
// to, without using it up; model.ErrNotFound if there is none.
func (s *Store) UserTokenOwner(ctx context.Context, purpose, tokenHash string) (string, error) {
	var userID string
	err := s.read().scanRow(ctx, "user_token_owner", qTokenUser, []any{tokenHash, purpose, timeArg(s.clock())}, &userID)
	if err != nil {
		return "", fmt.Errorf("store: %s token: %w", purpose, notFound(err))
	}
	return userID, nil
}

// UseUserToken marks a valid, unused token of purpose as used and sets the
// owner's password hash, ending the owner's sessions, all in one
// transaction. It returns the owner's ID, or model.ErrNotFound when the
// token is unknown, used or expired.
func (s *Store) UseUserToken(ctx context.Context, purpose, tokenHash, passwordHash string) (string, error) {
	now := s.clock()
	var userID string
	err := s.write(ctx, false, func(r *runner) error {
		err := r.scanRow(ctx, "consume_user_token", qConsumeToken, []any{timeArg(now), tokenHash, purpose, timeArg(now)}, &userID)
		if err != nil {
			return notFound(err)
		}
		if _, err := r.exec(ctx, "set_password", qSetPassword, passwordHash, timeArg(now), userID); err != nil {
			return err
		}
		_, err = r.exec(ctx, "delete_user_sessions", qDeleteUserSessions, userID)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("store: use %s token: %w", purpose, err)
	}
	return userID, nil
}

// userDest lists scan destinations matching userColumns.
func userDest(u *User) []any {
	return []any{&u.ID, &u.Email, &u.DisplayName, &u.Role, &u.PasswordHash, &u.Disabled, &u.Demo,
		scanTime(&u.CreatedAt), scanTime(&u.UpdatedAt)}
}
