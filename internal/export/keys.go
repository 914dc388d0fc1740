package export

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Key file names that GenerateKeys writes.
const (
	PrivateKeyName = "export-signing.key"
	PublicKeyName  = "export-signing.pub"
)

// GenerateKeys writes a new Ed25519 key pair into dir, creating it if
// needed: the private key as PKCS #8 PEM readable by its owner only, the
// public key as PKIX PEM. Both are what openssl reads. It refuses to
// overwrite an existing key: losing a signing key that mirrors trust would
// force every verifier to be told of a new one. It returns both paths.
func GenerateKeys(dir string) (private, public string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("export: generate key: %w", err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", "", fmt.Errorf("export: encode private key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", "", fmt.Errorf("export: encode public key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("export: %w", err)
	}
	private, public = filepath.Join(dir, PrivateKeyName), filepath.Join(dir, PublicKeyName)
	for _, p := range []string{private, public} {
		if _, err := os.Lstat(p); err == nil {
			return "", "", fmt.Errorf("export: %s already exists; keys are never overwritten (move it away first if you really mean to replace it)", p)
		}
	}
	if err := writeNew(private, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600); err != nil {
		return "", "", err
	}
	if err := writeNew(public, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		os.Remove(private)
		return "", "", err
	}
	return private, public, nil
}

// writeNew creates path with data, failing if it exists.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	_, err = f.Write(data)
	if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
		os.Remove(path)
		return fmt.Errorf("export: write %s: %w", path, err)
	}
	return nil
}

// ReadPrivateKey reads a PEM private key written by GenerateKeys (or by
// openssl genpkey -algorithm ed25519). A key file others may read is
// refused, as ssh does.
func ReadPrivateKey(path string) (ed25519.PrivateKey, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("export: signing key: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("export: signing key %s can be read by other users (mode %04o); run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	block, err := readPEM(path, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("export: signing key %s: %w", path, err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("export: signing key %s is not an Ed25519 key", path)
	}
	return priv, nil
}

// ReadPublicKey reads a PEM public key written by GenerateKeys.
func ReadPublicKey(path string) (ed25519.PublicKey, error) {
	block, err := readPEM(path, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("export: public key %s: %w", path, err)
	}
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("export: public key %s is not an Ed25519 key", path)
	}
	return pub, nil
}

func readPEM(path, typ string) (*pem.Block, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != typ {
		return nil, fmt.Errorf("export: %s holds no PEM block of type %q", path, typ)
	}
	return block, nil
}
