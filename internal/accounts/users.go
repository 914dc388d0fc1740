package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// Demo account. Its password is fixed and printed by serve, which is safe
// only because the demo flag is honoured on a loopback desk alone: on any
// other admin URL the account cannot sign in at all.
const (
	DemoEmail    = "demo@tamizdat.example"
	DemoPassword = "northern-courier-demo"
)

// SetupLink returns the address where a new account sets its password.
func (s *Service) SetupLink(token string) string { return s.AdminURL() + "/admin/setup/" + token }

// ResetLink returns the address where a password is reset.
func (s *Service) ResetLink(token string) string { return s.AdminURL() + "/admin/reset/" + token }

// AddUser creates an account without a password and returns it with the
// token of its one-time setup link (valid 24 hours), which it also emails
// to the person when the service has a mailer. actor is the admin's user
// ID, or audit.System for the command line; handlers check the permission
// before calling.
func (s *Service) AddUser(ctx context.Context, actor, email, name string, role Role) (store.User, string, error) {
	if !role.Valid() {
		return store.User{}, "", &model.ValidationError{Fields: map[string]string{"role": fmt.Sprintf("%q is not a role; use contributor, author, editor or admin", role)}}
	}
	u := store.User{Email: email, DisplayName: strings.TrimSpace(name), Role: string(role)}
	if err := s.store.CreateUser(ctx, &u); err != nil {
		if errors.Is(err, model.ErrConflict) {
			return store.User{}, "", &model.ValidationError{Fields: map[string]string{"email": "an account with this email already exists"}}
		}
		return store.User{}, "", fmt.Errorf("accounts: add user: %w", err)
	}
	token, err := s.issueLink(ctx, u.ID, store.TokenSetup)
	if err != nil {
		return store.User{}, "", err
	}
	s.record(ctx, audit.Entry{Actor: actor, Action: audit.UserAdded, Target: u.ID, Detail: map[string]any{"role": u.Role}})
	if s.mail != nil {
		s.sendSetupLink(ctx, u, token)
	}
	return u, token, nil
}

func (s *Service) issueLink(ctx context.Context, userID, purpose string) (string, error) {
	token := newToken()
	validity := SetupLinkValidity
	if purpose == store.TokenReset {
		validity = ResetLinkValidity
	}
	if err := s.store.CreateUserToken(ctx, userID, purpose, HashToken(token), s.now().Add(validity)); err != nil {
		return "", fmt.Errorf("accounts: issue %s link: %w", purpose, err)
	}
	return token, nil
}

// LinkOwner returns the account a valid setup or reset link belongs to,
// without using it; ErrInvalidLink if it is not valid.
func (s *Service) LinkOwner(ctx context.Context, purpose, token string) (store.User, error) {
	id, err := s.store.UserTokenOwner(ctx, purpose, HashToken(token))
	if errors.Is(err, model.ErrNotFound) {
		return store.User{}, ErrInvalidLink
	}
	if err != nil {
		return store.User{}, fmt.Errorf("accounts: link: %w", err)
	}
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		return store.User{}, fmt.Errorf("accounts: link: %w", err)
	}
	if u.Disabled {
		return store.User{}, ErrInvalidLink
	}
	return u, nil
}

// SetPasswordWithLink sets the password of the account a setup or reset
// link belongs to and uses the link up. The account's sessions end.
func (s *Service) SetPasswordWithLink(ctx context.Context, purpose, token, password string) error {
	u, err := s.LinkOwner(ctx, purpose, token)
	if err != nil {
		return err
	}
	if err := CheckPassword(password, u.Email); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	if _, err := s.store.UseUserToken(ctx, purpose, HashToken(token), hash); errors.Is(err, model.ErrNotFound) {
		return ErrInvalidLink
	} else if err != nil {
		return fmt.Errorf("accounts: set password: %w", err)
	}
	s.record(ctx, audit.Entry{Actor: u.ID, Action: audit.PasswordSet, Target: u.ID, Detail: map[string]any{"via": purpose}})
	if purpose == store.TokenReset {
		s.sendSecurityNotice(ctx, u, "Your "+s.siteName+" desk password was reset",
			"The password of your account on the "+s.siteName+" desk was reset with a link sent to this address, and every session of the account was signed out.")
	}
	return nil
}

// RequestPasswordReset emails a reset link to the account with that email,
// when there is a usable one and resets for it are not throttled; without
// a mailer the link goes to the log. It reports only errors that are not
// the person's doing, so that callers answer the same in every other case
// (S11); the email is sent in the background for the same reason.
func (s *Service) RequestPasswordReset(ctx context.Context, email string, c Client) error {
	limit := throttle{key: "reset:" + accountThrottle(email).key, free: 3}
	if err := s.throttled(ctx, limit, s.clientThrottle(c.IP)); errors.Is(err, ErrThrottled) {
		s.log.WarnContext(ctx, "password reset refused: throttled")
		return nil
	} else if err != nil {
		return err
	}
	// Every request counts, so a flood of them for one address slows down.
	if err := s.charge(ctx, limit); err != nil {
		return err
	}
	u, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, model.ErrNotFound) || (err == nil && (u.Disabled || u.Demo)) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("accounts: request password reset: %w", err)
	}
	token, err := s.issueLink(ctx, u.ID, store.TokenReset)
	if err != nil {
		return err
	}
	s.record(ctx, audit.Entry{Actor: audit.System, Action: audit.PasswordReset, Target: u.ID})
	s.sendResetLink(ctx, u, token)
	return nil
}

// ChangePassword replaces the signed-in person's password after checking
// the current one, with the same rules as at setup. It ends the account's
// other sessions, so whoever else knew the old password is signed out.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, current, next string) error {
	if p.Stage() != StageReady || p.Demo {
		return ErrForbidden
	}
	limit := throttle{key: "password-change:" + p.User.ID, free: accountFreeFailures}
	if err := s.throttled(ctx, limit); err != nil {
		return err
	}
	ok, err := VerifyPassword(p.User.PasswordHash, current)
	if err != nil {
		return fmt.Errorf("accounts: change password: %w", err)
	}
	if !ok {
		if err := s.charge(ctx, limit); err != nil {
			return err
		}
		s.record(ctx, audit.Entry{Actor: p.User.ID, Action: audit.SignInFailed, Target: p.User.ID,
			Detail: map[string]any{"factor": "password", "for": "password change"}})
		return &model.ValidationError{Fields: map[string]string{"current": "your current password is not right"}}
	}
	if err := CheckPassword(next, p.User.Email); err != nil {
		return err
	}
	if next == current {
		return &model.ValidationError{Fields: map[string]string{"password": "the new password is the same as the current one"}}
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	if err := s.store.ChangePassword(ctx, p.User.ID, hash, p.Session.TokenHash); err != nil {
		return fmt.Errorf("accounts: change password: %w", err)
	}
	if err := s.store.ClearLoginFailures(ctx, limit.key); err != nil {
		return fmt.Errorf("accounts: change password: %w", err)
	}
	s.record(ctx, audit.Entry{Actor: p.User.ID, Action: audit.PasswordSet, Target: p.User.ID, Detail: map[string]any{"via": "change"}})
	s.sendSecurityNotice(ctx, p.User, "Your "+s.siteName+" desk password was changed",
		"The password of your account on the "+s.siteName+" desk was changed, and every other session of the account was signed out.")
	return nil
}

// ResetSecondFactors removes every passkey, authenticator app and recovery
// code of another account and ends its sessions, for a person who lost
// their factors: at the next sign-in with the password they must enrol a
// new one. It needs the users permission and a recent step-up (S5), is
// audit-logged, and the person is told by email.
func (s *Service) ResetSecondFactors(ctx context.Context, p *Principal, userID string) error {
	if !p.Can(PermManageUsers) {
		return ErrForbidden
	}
	if err := p.RequireStepUp(); err != nil {
		return err
	}
	if userID == p.User.ID {
		return &model.ValidationError{Fields: map[string]string{"user": "you cannot reset your own two-factor sign-in; ask another administrator"}}
	}
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("accounts: reset second factors: %w", err)
	}
	if err := s.store.ResetSecondFactors(ctx, userID); err != nil {
		return fmt.Errorf("accounts: reset second factors: %w", err)
	}
	s.record(ctx, audit.Entry{Actor: p.User.ID, Action: audit.MFAReset, Target: userID})
	s.sendSecurityNotice(ctx, u, "Your "+s.siteName+" desk sign-in was reset",
		"An administrator removed the passkeys, authenticator app and recovery codes of your account on the "+s.siteName+
			" desk and signed out its sessions. Sign in with your password to set up a new second factor.")
	return nil
}

// NeedsSetup reports whether no account exists yet, when the desk offers to
// create the first administrator.
func (s *Service) NeedsSetup(ctx context.Context) (bool, error) {
	n, err := s.store.CountUsers(ctx)
	if err != nil {
		return false, fmt.Errorf("accounts: needs setup: %w", err)
	}
	return n == 0, nil
}

// CreateFirstAdmin creates the first administrator with a password, only
// while no account exists. The new admin then signs in and enrols a
// passkey like anyone else.
func (s *Service) CreateFirstAdmin(ctx context.Context, email, name, password string) (store.User, error) {
	if open, err := s.NeedsSetup(ctx); err != nil {
		return store.User{}, err
	} else if !open {
		return store.User{}, ErrSetupClosed
	}
	return s.createWithPassword(ctx, store.User{Email: email, DisplayName: strings.TrimSpace(name), Role: string(Admin)}, password)
}

// CreateDemoUser creates the demo account: an admin with DemoPassword that
// may skip two-factor enrolment on a loopback desk. Only the demo loader
// calls it, on a database it has just filled; no screen or API can.
func (s *Service) CreateDemoUser(ctx context.Context) (store.User, error) {
	return s.createWithPassword(ctx, store.User{Email: DemoEmail, DisplayName: "Demo editor", Role: string(Admin), Demo: true}, DemoPassword)
}

// DemoLogin reports the demo account's email and password when the
// database has one and it may sign in here.
func (s *Service) DemoLogin(ctx context.Context) (email, password string, ok bool) {
	u, err := s.store.UserByEmail(ctx, DemoEmail)
	if err != nil || !u.Demo || u.Disabled || !s.demoAllowed {
		return "", "", false
	}
	return DemoEmail, DemoPassword, true
}

func (s *Service) createWithPassword(ctx context.Context, u store.User, password string) (store.User, error) {
	if err := CheckPassword(password, u.Email); err != nil {
		return store.User{}, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return store.User{}, err
	}
	u.PasswordHash = hash
	if err := s.store.CreateUser(ctx, &u); err != nil {
		return store.User{}, fmt.Errorf("accounts: create user: %w", err)
	}
	s.record(ctx, audit.Entry{Actor: audit.System, Action: audit.UserAdded, Target: u.ID, Detail: map[string]any{"role": u.Role}})
	return u, nil
}

// Users lists every account, for admins.
func (s *Service) Users(ctx context.Context, p *Principal) ([]store.User, error) {
	if !p.Can(PermManageUsers) {
		return nil, ErrForbidden
	}
	users, err := s.store.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("accounts: users: %w", err)
	}
	return users, nil
}

// ChangeRole gives an account another role. It needs the users permission
// and a recent step-up, and never leaves the site without an enabled admin.
func (s *Service) ChangeRole(ctx context.Context, p *Principal, userID string, role Role) error {
	if !p.Can(PermManageUsers) {
		return ErrForbidden
	}
	if err := p.RequireStepUp(); err != nil {
		return err
	}
	if !role.Valid() {
		return &model.ValidationError{Fields: map[string]string{"role": "choose one of the roles"}}
	}
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("accounts: change role: %w", err)
	}
	if Role(u.Role) == Admin && role != Admin {
		if err := s.keepAnAdmin(ctx, u.ID); err != nil {
			return err
		}
	}
	if err := s.store.SetRole(ctx, userID, string(role)); err != nil {
		return fmt.Errorf("accounts: change role: %w", err)
	}
	s.record(ctx, audit.Entry{Actor: p.User.ID, Action: audit.RoleChanged, Target: userID,
		Detail: map[string]any{"from": u.Role, "to": string(role)}})
	return nil
}

// SetDisabled disables an account, ending all its sessions at once, or
// enables it again. Admins cannot disable themselves or the last admin.
func (s *Service) SetDisabled(ctx context.Context, p *Principal, userID string, disabled bool) error {
	if !p.Can(PermManageUsers) {
		return ErrForbidden
	}
	if disabled && userID == p.User.ID {
		return &model.ValidationError{Fields: map[string]string{"user": "you cannot disable your own account"}}
	}
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("accounts: disable user: %w", err)
	}
	if disabled && Role(u.Role) == Admin {
		if err := s.keepAnAdmin(ctx, u.ID); err != nil {
			return err
		}
	}
	if err := s.store.SetUserDisabled(ctx, userID, disabled); err != nil {
		return fmt.Errorf("accounts: disable user: %w", err)
	}
	action := audit.UserDisabled
	if !disabled {
		action = audit.UserEnabled
	}
	s.record(ctx, audit.Entry{Actor: p.User.ID, Action: action, Target: userID})
	return nil
}

// keepAnAdmin fails unless an enabled admin other than userID exists.
func (s *Service) keepAnAdmin(ctx context.Context, userID string) error {
	users, err := s.store.ListUsers(ctx)
	if err != nil {
		return fmt.Errorf("accounts: %w", err)
	}
	for _, u := range users {
		if u.ID != userID && Role(u.Role) == Admin && !u.Disabled {
			return nil
		}
	}
	return &model.ValidationError{Fields: map[string]string{"role": "the site needs at least one enabled admin"}}
}
