// Package apikeys issues, checks and revokes the keys programs use to call
// the Admin API.
//
// A key reads tzk_<id>_<secret>. The id is public: it names the key in
// lists, in the audit log and in the failure counter. The secret is 256
// random bits shown once; only its SHA-256 is stored, and checking compares
// hashes in constant time. A key has a role below admin, may expire, and
// can be revoked. Failed attempts are counted per key, and a key that keeps
// failing is locked for a while, so its secret cannot be guessed online.
package apikeys

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// Prefix starts every key, so that secret scanners and people can tell
// what a leaked string is.
const Prefix = "tzk_"

// Audit actions for keys.
const (
	ActionCreated = "api_key_created"
	ActionRevoked = "api_key_revoked"
)

// Throttling of failed attempts: after MaxFailures within LockFor of each
// other, the key is refused, right secret or not, until LockFor has passed
// since the last failure.
const (
	MaxFailures = 10
	LockFor     = 15 * time.Minute
)

const (
	idBytes     = 8  // 16 hex digits: enough to never collide in one newsroom
	secretBytes = 32 // 256 bits
	// touchEvery limits how often a key's last use is written: one write
	// per request would be a write per API call.
	touchEvery = time.Minute
)

var (
	// ErrUnauthenticated means the key is missing, malformed, unknown,
	// wrong, expired or revoked. Callers must not tell these apart to the
	// client.
	ErrUnauthenticated = errors.New("apikeys: the API key is not valid")
)

// ThrottledError means the key failed too often and is locked until After.
type ThrottledError struct {
	After time.Time
}

func (e *ThrottledError) Error() string {
	return "apikeys: too many failed attempts with this key; locked until " + e.After.UTC().Format(time.RFC3339)
}

// Key is a key as the desk and command line show it: never its secret.
type Key struct {
	ID         string
	Name       string
	Role       accounts.Role
	CreatedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero: in force
	// MayPublish lets an author or editor key publish, schedule,
	// unpublish and change public articles; see NewKey.
	MayPublish bool
}

// NewKey is what Create makes.
type NewKey struct {
	Name    string // what uses the key, e.g. "wire importer"
	Role    accounts.Role
	Expires time.Time // zero: never
	// MayPublish lets an author or editor key make articles public,
	// schedule, unpublish and change public articles. On the desk these
	// need a fresh step-up, which a program cannot give: whoever makes the
	// key grants it here instead, on purpose, and every such act is in the
	// audit log under the key. Without it a key writes drafts only.
	MayPublish bool
}

// Actor is how the audit log names what a key did: "apikey:" and its ID,
// which cannot be mistaken for a user ID.
func (k Key) Actor() string { return "apikey:" + k.ID }

// Status says whether the key works at now: "active", "expired" or
// "revoked".
func (k Key) Status(now time.Time) string {
	switch {
	case !k.RevokedAt.IsZero():
		return "revoked"
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return "expired"
	}
	return "active"
}

// Options configure a Service.
type Options struct {
	Store *store.Store
	Audit *audit.Log
	Now   func() time.Time // time.Now when nil
}

// Service manages API keys.
type Service struct {
	store *store.Store
	audit *audit.Log
	now   func() time.Time
}

// New returns a Service.
func New(opts Options) *Service {
	s := &Service{store: opts.Store, audit: opts.Audit, now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Create makes a key and returns it with its token, which is shown once and
// never again. actor is the user ID of the admin making it, or
// audit.System for the command line; a zero expires means the key does not
// expire.
func (s *Service) Create(ctx context.Context, actor string, nk NewKey) (Key, string, error) {
	name, role, expires := nk.Name, nk.Role, nk.Expires
	fields := map[string]string{}
	if strings.TrimSpace(name) == "" {
		fields["name"] = "give the key a name that says what uses it, e.g. \"wire importer\""
	}
	switch role {
	case accounts.Contributor, accounts.Author, accounts.Editor:
	default:
		fields["role"] = fmt.Sprintf("%q is not a role a key may have; use contributor, author or editor (keys are never admins)", role)
	}
	if nk.MayPublish && !role.Can(accounts.PermPublishOwn) {
		fields["may_publish"] = "a contributor key cannot publish; give it the author or editor role"
	}
	if !expires.IsZero() && !expires.After(s.now()) {
		fields["expires"] = "the expiry time has already passed"
	}
	if len(fields) > 0 {
		return Key{}, "", fmt.Errorf("apikeys: create: %w", &model.ValidationError{Fields: fields})
	}
	id, secret := randomHex(idBytes), randomHex(secretBytes)
	row := store.APIKey{ID: id, Name: strings.TrimSpace(name), Role: string(role), SecretHash: hashSecret(secret),
		CreatedBy: actor, ExpiresAt: expires, MayPublish: nk.MayPublish}
	if err := s.store.CreateAPIKey(ctx, &row); err != nil {
		return Key{}, "", fmt.Errorf("apikeys: create: %w", err)
	}
	err := s.audit.Append(ctx, audit.Entry{Actor: actor, Action: ActionCreated, Target: id,
		Detail: map[string]any{"name": row.Name, "role": row.Role, "may_publish": row.MayPublish}})
	if err != nil {
		// No key may work without its entry in the log; nobody has seen
		// its secret yet, so ending it costs nothing.
		return Key{}, "", fmt.Errorf("apikeys: create: %w", errors.Join(err, s.store.RevokeAPIKey(ctx, id)))
	}
	return fromRow(row), Prefix + id + "_" + secret, nil
}

// Revoke ends the key id at once. Revoking a revoked key is not an error.
func (s *Service) Revoke(ctx context.Context, actor, id string) error {
	if err := s.store.RevokeAPIKey(ctx, id); err != nil {
		return fmt.Errorf("apikeys: revoke: %w", err)
	}
	if err := s.audit.Append(ctx, audit.Entry{Actor: actor, Action: ActionRevoked, Target: id}); err != nil {
		return fmt.Errorf("apikeys: revoke: %w", err)
	}
	return nil
}

// List returns every key, newest first.
func (s *Service) List(ctx context.Context) ([]Key, error) {
	rows, err := s.store.ListAPIKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("apikeys: list: %w", err)
	}
	keys := make([]Key, len(rows))
	for i, row := range rows {
		keys[i] = fromRow(row)
	}
	return keys, nil
}

// Authenticate returns the key a token stands for. It fails with
// ErrUnauthenticated, or with a *ThrottledError when the key failed too
// often recently; other errors mean the database failed.
func (s *Service) Authenticate(ctx context.Context, token string) (Key, error) {
	id, secret, ok := ParseToken(token)
	if !ok {
		return Key{}, ErrUnauthenticated
	}
	row, err := s.store.APIKeyByID(ctx, id)
	if errors.Is(err, model.ErrNotFound) {
		// Nothing to guess: no secret can match a key that does not exist,
		// so unknown IDs are not counted (and cannot fill the counter table).
		return Key{}, ErrUnauthenticated
	}
	if err != nil {
		return Key{}, fmt.Errorf("apikeys: authenticate: %w", err)
	}
	now := s.now()
	throttleKey := "apikey:" + id
	failures, last, err := s.store.LoginFailures(ctx, throttleKey)
	if err != nil {
		return Key{}, fmt.Errorf("apikeys: authenticate: %w", err)
	}
	if failures >= MaxFailures && now.Before(last.Add(LockFor)) {
		return Key{}, &ThrottledError{After: last.Add(LockFor)}
	}
	key := fromRow(row)
	if subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(row.SecretHash)) != 1 {
		if _, err := s.store.RecordLoginFailure(ctx, throttleKey, now.Add(-LockFor)); err != nil {
			return Key{}, fmt.Errorf("apikeys: authenticate: %w", err)
		}
		return Key{}, ErrUnauthenticated
	}
	if key.Status(now) != "active" {
		return Key{}, ErrUnauthenticated
	}
	if failures > 0 {
		if err := s.store.ClearLoginFailures(ctx, throttleKey); err != nil {
			return Key{}, fmt.Errorf("apikeys: authenticate: %w", err)
		}
	}
	if now.Sub(key.LastUsedAt) >= touchEvery {
		if err := s.store.TouchAPIKey(ctx, id); err != nil {
			return Key{}, fmt.Errorf("apikeys: authenticate: %w", err)
		}
	}
	return key, nil
}

// ParseToken splits tzk_<id>_<secret> into its parts; ok is false when the
// token does not have that shape.
func ParseToken(token string) (id, secret string, ok bool) {
	rest, found := strings.CutPrefix(token, Prefix)
	if !found {
		return "", "", false
	}
	id, secret, found = strings.Cut(rest, "_")
	if !found || !isHex(id, idBytes) || !isHex(secret, secretBytes) {
		return "", "", false
	}
	return id, secret, true
}

// isHex reports whether s is exactly n bytes in lower-case hex.
func isHex(s string, n int) bool {
	if len(s) != 2*n {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func fromRow(row store.APIKey) Key {
	return Key{ID: row.ID, Name: row.Name, Role: accounts.Role(row.Role), CreatedBy: row.CreatedBy,
		CreatedAt: row.CreatedAt, ExpiresAt: row.ExpiresAt, LastUsedAt: row.LastUsedAt, RevokedAt: row.RevokedAt,
		MayPublish: row.MayPublish}
}
