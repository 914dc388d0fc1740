package mail_test

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
)

// writeKey writes key as PKCS #8 PEM and returns the file and the DNS TXT
// record that publishes its public half.
func writeKey(t *testing.T, key crypto.Signer, algo string) (file, txt string) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(t.TempDir(), "dkim.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	var pub []byte
	switch k := key.Public().(type) {
	case ed25519.PublicKey:
		pub = k
	default:
		if pub, err = x509.MarshalPKIXPublicKey(k); err != nil {
			t.Fatal(err)
		}
	}
	return file, "v=DKIM1; k=" + algo + "; p=" + base64.StdEncoding.EncodeToString(pub)
}

// TestDKIM is requirement E1's test: a message sent through a real SMTP
// server verifies, and its signature covers the unsubscribe headers.
func TestDKIM(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		algo string
		key  crypto.Signer
	}{{"rsa", rsaKey}, {"ed25519", edKey}} {
		t.Run(tc.algo, func(t *testing.T) {
			t.Parallel()
			file, txt := writeKey(t, tc.key, tc.algo)
			d, err := tmail.LoadDKIM(file, "news2025", "example.org")
			if err != nil {
				t.Fatal(err)
			}
			srv := mailtest.Start(t)
			cfg := srv.SMTPConfig()
			cfg.DKIM = d
			if err := newSMTP(t, cfg).Send(t.Context(), issueMessage()); err != nil {
				t.Fatal(err)
			}
			raw := srv.Messages()[0].Data
			lookup := &dkim.VerifyOptions{LookupTXT: func(domain string) ([]string, error) {
				if domain != "news2025._domainkey.example.org" {
					t.Errorf("looked up %s", domain)
				}
				return []string{txt}, nil
			}}
			vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), lookup)
			if err != nil || len(vs) != 1 || vs[0].Err != nil {
				t.Fatalf("verification: %v, %+v", err, vs)
			}
			if vs[0].Domain != "example.org" {
				t.Errorf("signed for %q", vs[0].Domain)
			}
			signed := make([]string, len(vs[0].HeaderKeys))
			for i, k := range vs[0].HeaderKeys {
				signed[i] = strings.ToLower(k)
			}
			for _, h := range []string{"from", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post"} {
				if !slices.Contains(signed, h) {
					t.Errorf("the signature does not cover %s (h=%v)", h, signed)
				}
			}

			swapped := bytes.Replace(raw, []byte("t=abc"), []byte("t=xyz"), 1)
			vs, err = dkim.VerifyWithOptions(bytes.NewReader(swapped), lookup)
			if err != nil || len(vs) != 1 || vs[0].Err == nil {
				t.Errorf("a changed List-Unsubscribe still verifies: %v, %+v", err, vs)
			}
		})
	}
}

func TestLoadDKIMRefusesBadKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string][]byte{
		"not-pem":     []byte("hello"),
		"certificate": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}),
		"garbage":     pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}),
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := tmail.LoadDKIM(path, "s", "example.org"); err == nil {
			t.Errorf("LoadDKIM(%s) succeeded", name)
		}
	}
	if _, err := tmail.LoadDKIM(filepath.Join(dir, "missing"), "s", "example.org"); err == nil {
		t.Error("LoadDKIM of a missing file succeeded")
	}
}
