package vault

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func newVault(t *testing.T, fill byte) *Vault {
	t.Helper()
	v, err := New(bytes.Repeat([]byte{fill}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSealOpen(t *testing.T) {
	v := newVault(t, 1)
	const email = "reader@example.org"
	sealed := v.Seal(email, "subscriber email")
	if strings.Contains(sealed, "reader") || strings.Contains(sealed, "example") {
		t.Fatalf("sealed value shows the plaintext: %s", sealed)
	}
	if sealed == v.Seal(email, "subscriber email") {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	got, err := v.Open(sealed, "subscriber email")
	if err != nil || got != email {
		t.Fatalf("Open = %q, %v", got, err)
	}
	tests := []struct {
		name   string
		v      *Vault
		sealed string
		use    string
	}{
		{"other purpose", v, sealed, "donor email"},
		{"other key", newVault(t, 2), sealed, "subscriber email"},
		{"flipped byte", v, sealed[:len(sealed)-2] + string('A'+(sealed[len(sealed)-2]-'A'+1)%26) + sealed[len(sealed)-1:], "subscriber email"},
		{"no prefix", v, strings.TrimPrefix(sealed, prefix), "subscriber email"},
		{"truncated", v, sealed[:6], "subscriber email"},
		{"not base64", v, prefix + "!!!", "subscriber email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.v.Open(tt.sealed, tt.use); !errors.Is(err, ErrTampered) {
				t.Errorf("Open = %v, want ErrTampered", err)
			}
		})
	}
}

func TestIndex(t *testing.T) {
	a, b := newVault(t, 1), newVault(t, 2)
	if a.Index("x@example.org", "email") != a.Index("x@example.org", "email") {
		t.Error("the index is not stable")
	}
	if a.Index("x@example.org", "email") == b.Index("x@example.org", "email") {
		t.Error("two keys give the same index: it is not keyed")
	}
	if a.Index("x@example.org", "email") == a.Index("x@example.org", "donor") {
		t.Error("two purposes give the same index")
	}
	if a.Index("ab", "c") == a.Index("a", "bc") {
		t.Error("purpose and value run together")
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "secret.key")
	key, err := CreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", info.Mode(), err)
	}
	loaded, err := LoadKeyFile(path)
	if err != nil || !bytes.Equal(key, loaded) {
		t.Fatalf("LoadKeyFile = %x, %v", loaded, err)
	}
	if _, err := CreateKeyFile(path); err == nil {
		t.Error("CreateKeyFile overwrote an existing key")
	}
	os.WriteFile(path, []byte("not hex\n"), 0o600)
	if _, err := LoadKeyFile(path); err == nil || !strings.Contains(err.Error(), "hex-encoded") {
		t.Errorf("bad key file: %v", err)
	}
	if _, err := New(make([]byte, 16)); err == nil {
		t.Error("a 16-byte key was accepted")
	}
}
