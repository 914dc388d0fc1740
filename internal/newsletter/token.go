package newsletter

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tamizdat/tamizdat/internal/vault"
)

// Errors of links whose token does not verify.
var (
	// ErrBadLink is a token that was changed, cut short, made with another
	// key, or revoked; it says nothing more, on purpose.
	ErrBadLink = errors.New("newsletter: this link is not valid")
	// ErrExpiredLink is a genuine token past its expiry.
	ErrExpiredLink = errors.New("newsletter: this link has expired")
)

// What a token may be used for; part of what is signed, so a token for one
// purpose is refused for another.
const (
	purposeConfirm     byte = 'c'
	purposeManage      byte = 'm'
	purposeUnsubscribe byte = 'u'
)

// Link lifetimes. Manage and unsubscribe links do not expire: they are in
// every email a subscriber keeps. Manage links are revoked by rotation
// instead.
const confirmFor = 72 * time.Hour

// macSize is how much of the HMAC-SHA256 a token carries: 128 bits.
const macSize = 16

// claims is what a token says.
type claims struct {
	purpose      byte
	expires      time.Time // zero: never
	version      uint32    // the subscriber's token version, for manage links
	subscriberID string
	newsletterID string // unsubscribe links only
}

// Tokens signs and verifies the tokens in newsletter links: HMAC-SHA256 over
// the purpose, expiry, token version and IDs, with a key derived from the
// site's master key. Nothing about a token is stored.
type Tokens struct {
	key []byte
	now func() time.Time
}

// NewTokens derives the token key from the master key of the secret key
// file. now is the clock; time.Now when nil.
func NewTokens(master []byte, now func() time.Time) (*Tokens, error) {
	if len(master) != vault.KeySize {
		return nil, fmt.Errorf("newsletter: the master key must be %d bytes, not %d", vault.KeySize, len(master))
	}
	if now == nil {
		now = time.Now
	}
	m := hmac.New(sha256.New, master)
	m.Write([]byte("tamizdat newsletter link tokens"))
	return &Tokens{key: m.Sum(nil), now: now}, nil
}

// UnsubscribeToken returns the token of the one-click unsubscribe link for
// one subscriber and one newsletter, as used in List-Unsubscribe:
// SITE/newsletter/unsubscribe?t=TOKEN. It never expires.
func (t *Tokens) UnsubscribeToken(subscriberID, newsletterID string) string {
	return t.sign(claims{purpose: purposeUnsubscribe, subscriberID: subscriberID, newsletterID: newsletterID})
}

// ManageToken returns the token of a subscriber's manage link,
// SITE/newsletter/manage?t=TOKEN, valid until the subscriber's token version
// changes.
func (t *Tokens) ManageToken(subscriberID string, version int) string {
	return t.sign(claims{purpose: purposeManage, subscriberID: subscriberID, version: uint32(version)})
}

// confirmToken returns the token of a double opt-in link.
func (t *Tokens) confirmToken(subscriberID string) string {
	return t.sign(claims{purpose: purposeConfirm, subscriberID: subscriberID, expires: t.now().Add(confirmFor)})
}

func (t *Tokens) sign(c claims) string {
	var exp int64
	if !c.expires.IsZero() {
		exp = c.expires.Unix()
	}
	b := []byte{c.purpose}
	b = binary.BigEndian.AppendUint64(b, uint64(exp))
	b = binary.BigEndian.AppendUint32(b, c.version)
	b = appendID(b, c.subscriberID)
	b = appendID(b, c.newsletterID)
	return base64.RawURLEncoding.EncodeToString(append(b, t.mac(b)...))
}

func (t *Tokens) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, t.key)
	m.Write(payload)
	return m.Sum(nil)[:macSize]
}

// verify checks a token's signature, purpose and expiry and returns its
// claims.
func (t *Tokens) verify(token string, purpose byte) (claims, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < 1+8+4+macSize {
		return claims{}, ErrBadLink
	}
	payload, sum := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	if !hmac.Equal(sum, t.mac(payload)) || payload[0] != purpose {
		return claims{}, ErrBadLink
	}
	c := claims{purpose: payload[0], version: binary.BigEndian.Uint32(payload[9:13])}
	if exp := int64(binary.BigEndian.Uint64(payload[1:9])); exp != 0 {
		c.expires = time.Unix(exp, 0)
	}
	rest := payload[13:]
	if c.subscriberID, rest, err = readID(rest); err != nil {
		return claims{}, ErrBadLink
	}
	if c.newsletterID, rest, err = readID(rest); err != nil || len(rest) != 0 {
		return claims{}, ErrBadLink
	}
	if !c.expires.IsZero() && !t.now().Before(c.expires) {
		return claims{}, ErrExpiredLink
	}
	return c, nil
}

// IDs are UUIDs, written as their 16 bytes to keep links short; anything
// else is written as text. The first byte says which.
const (
	idText byte = 0
	idUUID byte = 1
)

func appendID(b []byte, id string) []byte {
	if u, err := uuid.Parse(id); err == nil && u.String() == id {
		return append(append(b, idUUID), u[:]...)
	}
	return append(append(b, idText, byte(len(id))), id...)
}

func readID(b []byte) (string, []byte, error) {
	switch {
	case len(b) >= 17 && b[0] == idUUID:
		return uuid.UUID(b[1:17]).String(), b[17:], nil
	case len(b) >= 2 && b[0] == idText && len(b) >= 2+int(b[1]):
		return string(b[2 : 2+b[1]]), b[2+b[1]:], nil
	}
	return "", nil, ErrBadLink
}
