package mail

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/emersion/go-msgauth/dkim"
)

// signedHeaders are the fields a DKIM signature covers (RFC 6376 §5.4.1 and
// requirement E1: the unsubscribe headers must be signed, so nobody can
// swap the link).
var signedHeaders = []string{
	"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
	"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
}

// DKIM signs messages for one domain.
type DKIM struct {
	Domain   string // d=, normally the domain of the From address
	Selector string // s=; the public key is at SELECTOR._domainkey.DOMAIN
	Signer   crypto.Signer
}

// LoadDKIM reads a PEM private key (PKCS #1 or PKCS #8 RSA, or PKCS #8
// Ed25519) for signing as selector for domain.
func LoadDKIM(keyFile, selector, domain string) (*DKIM, error) {
	if selector == "" || domain == "" {
		return nil, fmt.Errorf("mail: dkim: a selector and a domain are required")
	}
	data, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("mail: dkim: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("mail: dkim: %s holds no PEM block", keyFile)
	}
	var key any
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("mail: dkim: %s holds a %q block; expected a private key", keyFile, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("mail: dkim: parse %s: %w", keyFile, err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey, ed25519.PrivateKey:
		// crypto/rsa already refuses keys under 1024 bits.
		return &DKIM{Domain: domain, Selector: selector, Signer: k.(crypto.Signer)}, nil
	default:
		return nil, fmt.Errorf("mail: dkim: %s holds a %T; expected RSA or Ed25519", keyFile, key)
	}
}

// sign returns raw with a DKIM-Signature field in front.
func (d *DKIM) sign(raw []byte) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(raw) + 600)
	err := dkim.Sign(&out, bytes.NewReader(raw), &dkim.SignOptions{
		Domain:                 d.Domain,
		Selector:               d.Selector,
		Signer:                 d.Signer,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             signedHeaders,
	})
	if err != nil {
		return nil, fmt.Errorf("mail: dkim sign: %w", err)
	}
	return out.Bytes(), nil
}
