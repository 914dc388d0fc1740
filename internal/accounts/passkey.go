package accounts

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// What a WebAuthn ceremony is for. The purpose is stored with the challenge,
// so an assertion made for one purpose cannot finish another.
const (
	ceremonyRegister = "register"
	ceremonyLogin    = "login"
	ceremonyStepUp   = "step_up"
)

// ceremony is what a session keeps between the two requests of a WebAuthn
// ceremony.
type ceremony struct {
	Purpose string               `json:"purpose"`
	Data    webauthn.SessionData `json:"data"`
}

// waUser adapts an account to what go-webauthn needs.
type waUser struct {
	user  store.User
	creds []webauthn.Credential
}

func (u waUser) WebAuthnID() []byte                         { return []byte(u.user.ID) }
func (u waUser) WebAuthnName() string                       { return u.user.Email }
func (u waUser) WebAuthnDisplayName() string                { return displayName(u.user) }
func (u waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func displayName(u store.User) string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Email
}

var b64 = base64.RawURLEncoding

func (s *Service) waUser(ctx context.Context, user store.User) (waUser, []store.Passkey, error) {
	keys, err := s.store.PasskeysOf(ctx, user.ID)
	if err != nil {
		return waUser{}, nil, err
	}
	u := waUser{user: user}
	for _, k := range keys {
		c, err := credentialOf(k)
		if err != nil {
			return waUser{}, nil, err
		}
		u.creds = append(u.creds, c)
	}
	return u, keys, nil
}

func credentialOf(k store.Passkey) (webauthn.Credential, error) {
	id, err := b64.DecodeString(k.ID)
	if err != nil {
		return webauthn.Credential{}, fmt.Errorf("passkey %s: id: %w", k.ID, err)
	}
	pub, err := b64.DecodeString(k.PublicKey)
	if err != nil {
		return webauthn.Credential{}, fmt.Errorf("passkey %s: public key: %w", k.ID, err)
	}
	aaguid, err := b64.DecodeString(k.AAGUID)
	if err != nil {
		return webauthn.Credential{}, fmt.Errorf("passkey %s: aaguid: %w", k.ID, err)
	}
	c := webauthn.Credential{
		ID: id, PublicKey: pub, AttestationType: k.AttestationType,
		Flags:         webauthn.NewCredentialFlags(protocol.AuthenticatorFlags(k.Flags)),
		Authenticator: webauthn.Authenticator{AAGUID: aaguid, SignCount: k.SignCount},
	}
	for _, t := range k.Transports {
		c.Transport = append(c.Transport, protocol.AuthenticatorTransport(t))
	}
	return c, nil
}

// BeginPasskeyRegistration starts adding a passkey to the account and
// returns the options for navigator.credentials.create, as JSON.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, p *Principal) ([]byte, error) {
	if !p.CanEnrol() {
		return nil, ErrForbidden
	}
	u, _, err := s.waUser(ctx, p.User)
	if err != nil {
		return nil, fmt.Errorf("accounts: begin passkey registration: %w", err)
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range u.creds {
		exclude = append(exclude, c.Descriptor())
	}
	opts, data, err := s.webauthn.BeginRegistration(u,
		webauthn.WithExclusions(exclude),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementPreferred),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation))
	if err != nil {
		return nil, fmt.Errorf("accounts: begin passkey registration: %w", err)
	}
	return s.saveCeremony(ctx, p, ceremonyRegister, data, opts)
}

// FinishPasskeyRegistration checks the browser's answer to
// BeginPasskeyRegistration and stores the passkey under name. Like
// ConfirmTOTP, it returns recovery codes for a first factor and a new token
// for an enrolling session.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, p *Principal, name string, response []byte) (token string, codes []string, err error) {
	if !p.CanEnrol() {
		return "", nil, ErrForbidden
	}
	data, err := s.takeCeremony(ctx, p, ceremonyRegister)
	if err != nil {
		return "", nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBody(bytes.NewReader(response))
	if err != nil {
		return "", nil, s.passkeyFailed(ctx, p, "passkey_registration", err)
	}
	u, _, err := s.waUser(ctx, p.User)
	if err != nil {
		return "", nil, fmt.Errorf("accounts: finish passkey registration: %w", err)
	}
	cred, err := s.webauthn.CreateCredential(u, data, parsed)
	if err != nil {
		return "", nil, s.passkeyFailed(ctx, p, "passkey_registration", err)
	}
	if name == "" {
		name = "Passkey"
	}
	key := store.Passkey{
		ID: b64.EncodeToString(cred.ID), UserID: p.User.ID, Name: name,
		PublicKey: b64.EncodeToString(cred.PublicKey), AttestationType: cred.AttestationType,
		AAGUID: b64.EncodeToString(cred.Authenticator.AAGUID), SignCount: cred.Authenticator.SignCount,
		Flags: uint8(cred.Flags.ProtocolValue()),
	}
	for _, t := range cred.Transport {
		key.Transports = append(key.Transports, string(t))
	}
	if err := s.store.AddPasskey(ctx, &key); err != nil {
		return "", nil, fmt.Errorf("accounts: finish passkey registration: %w", err)
	}
	return s.enrolled(ctx, p, "passkey")
}

// BeginPasskeyAssertion starts proving the account's passkey, as the second
// factor of a sign-in (stage StageSecondFactor) or as a step-up (stage
// StageReady), and returns the options for navigator.credentials.get.
func (s *Service) BeginPasskeyAssertion(ctx context.Context, p *Principal) ([]byte, error) {
	purpose := ceremonyLogin
	switch {
	case p.Stage() == StageReady:
		purpose = ceremonyStepUp
	case p.Stage() != StageSecondFactor:
		return nil, ErrForbidden
	}
	u, _, err := s.waUser(ctx, p.User)
	if err != nil {
		return nil, fmt.Errorf("accounts: begin passkey assertion: %w", err)
	}
	if len(u.creds) == 0 {
		return nil, ErrForbidden
	}
	opts, data, err := s.webauthn.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, fmt.Errorf("accounts: begin passkey assertion: %w", err)
	}
	return s.saveCeremony(ctx, p, purpose, data, opts)
}

// FinishPasskeyAssertion checks the browser's answer to
// BeginPasskeyAssertion. For a sign-in it returns the session's new token;
// for a step-up it records the fresh proof and returns "".
func (s *Service) FinishPasskeyAssertion(ctx context.Context, p *Principal, response []byte) (string, error) {
	purpose := ceremonyLogin
	if p.Stage() == StageReady {
		purpose = ceremonyStepUp
	}
	ft := factorThrottle(p.User.ID)
	if err := s.throttled(ctx, ft); err != nil {
		return "", err
	}
	data, err := s.takeCeremony(ctx, p, purpose)
	if err != nil {
		return "", err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBody(bytes.NewReader(response))
	if err != nil {
		return "", s.passkeyAssertionFailed(ctx, p, ft, err)
	}
	u, _, err := s.waUser(ctx, p.User)
	if err != nil {
		return "", fmt.Errorf("accounts: finish passkey assertion: %w", err)
	}
	cred, err := s.webauthn.ValidateLogin(u, data, parsed)
	if err != nil {
		return "", s.passkeyAssertionFailed(ctx, p, ft, err)
	}
	if cred.Authenticator.CloneWarning {
		s.log.WarnContext(ctx, "passkey signature counter went backwards: the key may be cloned", "user", p.User.ID)
	}
	if err := s.store.UsePasskey(ctx, p.User.ID, b64.EncodeToString(cred.ID), cred.Authenticator.SignCount); err != nil {
		return "", fmt.Errorf("accounts: finish passkey assertion: %w", err)
	}
	if purpose == ceremonyStepUp {
		if err := s.store.StepUpSession(ctx, p.Session.TokenHash); err != nil {
			return "", fmt.Errorf("accounts: step up: %w", err)
		}
		return "", nil
	}
	return s.completeSecondFactor(ctx, p, "passkey", true)
}

// Passkeys lists the account's passkeys.
func (s *Service) Passkeys(ctx context.Context, p *Principal) ([]store.Passkey, error) {
	keys, err := s.store.PasskeysOf(ctx, p.User.ID)
	if err != nil {
		return nil, fmt.Errorf("accounts: passkeys: %w", err)
	}
	return keys, nil
}

// RemovePasskey deletes one of the account's passkeys. It needs a recent
// step-up, and refuses to remove the last passkey of a role that needs one.
func (s *Service) RemovePasskey(ctx context.Context, p *Principal, id string) error {
	if p.Stage() != StageReady {
		return ErrForbidden
	}
	if err := p.RequireStepUp(); err != nil {
		return err
	}
	if p.Passkeys <= 1 && (p.Role().NeedsPasskey() || !p.TOTP) {
		return &model.ValidationError{Fields: map[string]string{"passkey": "this is your only way to sign in; add another passkey first"}}
	}
	if err := s.store.DeletePasskey(ctx, p.User.ID, id); err != nil {
		return fmt.Errorf("accounts: remove passkey: %w", err)
	}
	s.record(ctx, audit.Entry{Actor: p.User.ID, Action: audit.MFARemoved, Target: p.User.ID,
		Detail: map[string]any{"factor": "passkey", "passkey": id}})
	s.sendSecurityNotice(ctx, p.User, "A passkey was removed from your "+s.siteName+" desk account",
		"A passkey was removed from your account on the "+s.siteName+" desk.")
	return nil
}

func (s *Service) saveCeremony(ctx context.Context, p *Principal, purpose string, data *webauthn.SessionData, opts any) ([]byte, error) {
	state, err := json.Marshal(ceremony{Purpose: purpose, Data: *data})
	if err != nil {
		return nil, fmt.Errorf("accounts: save ceremony: %w", err)
	}
	if err := s.store.SetSessionCeremony(ctx, p.Session.TokenHash, string(state)); err != nil {
		return nil, fmt.Errorf("accounts: save ceremony: %w", err)
	}
	out, err := json.Marshal(opts)
	if err != nil {
		return nil, fmt.Errorf("accounts: save ceremony: %w", err)
	}
	return out, nil
}

// takeCeremony returns the session's pending ceremony of purpose and clears
// it, so each challenge can be answered once.
func (s *Service) takeCeremony(ctx context.Context, p *Principal, purpose string) (webauthn.SessionData, error) {
	var c ceremony
	if p.Session.Ceremony == "" || json.Unmarshal([]byte(p.Session.Ceremony), &c) != nil || c.Purpose != purpose {
		return webauthn.SessionData{}, ErrInvalidCode
	}
	if err := s.store.SetSessionCeremony(ctx, p.Session.TokenHash, ""); err != nil {
		return webauthn.SessionData{}, fmt.Errorf("accounts: take ceremony: %w", err)
	}
	return c.Data, nil
}

func (s *Service) passkeyAssertionFailed(ctx context.Context, p *Principal, ft throttle, cause error) error {
	s.log.InfoContext(ctx, "passkey assertion rejected", "user", p.User.ID, "err", describe(cause))
	return s.factorFailed(ctx, p, ft, "passkey")
}

func (s *Service) passkeyFailed(ctx context.Context, p *Principal, what string, cause error) error {
	s.log.InfoContext(ctx, "passkey rejected", "user", p.User.ID, "step", what, "err", describe(cause))
	return ErrInvalidCode
}

// describe adds the library's developer detail to a WebAuthn error, for the
// log only.
func describe(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.DevInfo != "" {
		return err.Error() + ": " + pe.DevInfo
	}
	return err.Error()
}
