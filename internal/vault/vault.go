// Package vault encrypts readers' personal data (subscriber and donor
// email addresses, payment customer IDs) field by field, with a key kept
// outside the database, so a stolen database file or backup does not reveal
// who reads or supports the newsroom. A keyed hash (blind index) lets the
// store find a row by email without decrypting every row.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of the master key in bytes.
const KeySize = 32

// prefix marks sealed values and their format version, so a later key
// rotation can tell old values from new.
const prefix = "v1:"

// ErrTampered reports a sealed value that does not decrypt with this key:
// it was changed, or sealed with another key or for another purpose.
var ErrTampered = errors.New("vault: value does not decrypt with this key (changed, or sealed with another key)")

// Vault seals and opens values with subkeys derived from one master key.
type Vault struct {
	aead     cipher.AEAD
	indexKey []byte
}

// New builds a vault from a master key of KeySize bytes.
func New(master []byte) (*Vault, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("vault: the key must be %d bytes, not %d", KeySize, len(master))
	}
	block, err := aes.NewCipher(derive(master, "tamizdat vault encryption"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Vault{aead: aead, indexKey: derive(master, "tamizdat vault index")}, nil
}

// derive makes an independent subkey for one purpose (HMAC-SHA256 as a
// PRF over the purpose label).
func derive(master []byte, purpose string) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// Seal encrypts plaintext for one purpose (e.g. "subscriber email"); the
// purpose is authenticated, so a value cannot be moved to another column.
func (v *Vault) Seal(plaintext, purpose string) string {
	nonce := make([]byte, v.aead.NonceSize())
	rand.Read(nonce)
	out := v.aead.Seal(nonce, nonce, []byte(plaintext), []byte(purpose))
	return prefix + base64.RawStdEncoding.EncodeToString(out)
}

// Open decrypts a value sealed for the same purpose.
func (v *Vault) Open(sealed, purpose string) (string, error) {
	raw, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return "", ErrTampered
	}
	data, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil || len(data) < v.aead.NonceSize() {
		return "", ErrTampered
	}
	n := v.aead.NonceSize()
	plain, err := v.aead.Open(nil, data[:n], data[n:], []byte(purpose))
	if err != nil {
		return "", ErrTampered
	}
	return string(plain), nil
}

// Index returns a keyed hash of value for one purpose, for looking rows up
// by an encrypted field. Without the key it reveals nothing, not even
// whether two databases hold the same address.
func (v *Vault) Index(value, purpose string) string {
	m := hmac.New(sha256.New, v.indexKey)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// LoadKeyFile reads a master key written by CreateKeyFile: 64 hex digits.
func LoadKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vault: read key file: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("vault: key file %s does not hold %d hex-encoded bytes", path, KeySize)
	}
	return key, nil
}

// CreateKeyFile writes a new random master key to path, readable by its
// owner only. It refuses to overwrite an existing file: losing the key
// loses every encrypted address.
func CreateKeyFile(path string) ([]byte, error) {
	key := make([]byte, KeySize)
	rand.Read(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("vault: create key file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("vault: create key file: %w", err)
	}
	if _, err := fmt.Fprintln(f, hex.EncodeToString(key)); err != nil {
		f.Close()
		return nil, fmt.Errorf("vault: write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("vault: write key file: %w", err)
	}
	return key, f.Close()
}
