package export

import (
	"crypto/ed25519"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerateKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	private, public, err := GenerateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]os.FileMode{private: 0o600, public: 0o644} {
		info, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != mode {
			t.Errorf("%s has mode %04o, want %04o", name, info.Mode().Perm(), mode)
		}
	}
	priv, err := ReadPrivateKey(private)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ReadPublicKey(public)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(priv.Public()) {
		t.Error("the public key does not belong to the private key")
	}
	sig := ed25519.Sign(priv, []byte("manifest"))
	if !ed25519.Verify(pub, []byte("manifest"), sig) {
		t.Error("a signature made with the key does not verify")
	}

	before, _ := os.ReadFile(private)
	if _, _, err := GenerateKeys(dir); err == nil || !strings.Contains(err.Error(), "never overwritten") {
		t.Errorf("a second GenerateKeys into the same folder = %v, want a refusal", err)
	}
	if after, _ := os.ReadFile(private); string(after) != string(before) {
		t.Error("the refused GenerateKeys changed the private key")
	}

	if err := os.Chmod(private, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPrivateKey(private); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("reading a private key others can read = %v, want a refusal", err)
	}
	if _, err := ReadPublicKey(private); err == nil {
		t.Error("a private key file was accepted as a public key")
	}
}

// TestSignatureVerifiesWithOpenSSL checks the claim in the manifest's
// documentation: a reader can check a copy with openssl alone.
func TestSignatureVerifiesWithOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed")
	}
	keys := t.TempDir()
	private, public, err := GenerateKeys(keys)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ReadPrivateKey(private)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), "mirror")
	opts := f.options(t, dir)
	opts.Key = priv
	if _, err := Run(t.Context(), opts); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(dir, ManifestName)
	sig := filepath.Join(dir, SignatureName)
	verify := func() error {
		return exec.Command(openssl, "pkeyutl", "-verify", "-pubin", "-inkey", public, "-rawin", "-in", manifest, "-sigfile", sig).Run()
	}
	if err := verify(); err != nil {
		t.Fatalf("openssl rejects the signature: %v", err)
	}
	appendTo(t, manifest, " ")
	if verify() == nil {
		t.Error("openssl accepts a changed manifest")
	}
}

func TestSequenceState(t *testing.T) {
	name := filepath.Join(t.TempDir(), "seen")
	if n, err := ReadSequenceState(name); n != 0 || err != nil {
		t.Fatalf("missing state = %d, %v; want 0", n, err)
	}
	if err := WriteSequenceState(name, 41); err != nil {
		t.Fatal(err)
	}
	if n, err := ReadSequenceState(name); n != 41 || err != nil {
		t.Errorf("state = %d, %v; want 41", n, err)
	}
	write(t, name, "garbage")
	if _, err := ReadSequenceState(name); err == nil {
		t.Error("a state file without a number was accepted")
	}
}
