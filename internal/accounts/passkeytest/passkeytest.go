// Package passkeytest is a software WebAuthn authenticator for tests: it
// answers the options a relying party sends to navigator.credentials.create
// and .get the way a browser with a security key would ("none"
// attestation, an ES256 key), so the server's ceremonies can be tested
// without a browser.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

var b64 = base64.RawURLEncoding

// Authenticator holds one credential once Create has made it.
type Authenticator struct {
	Origin  string // the page's origin, e.g. http://localhost:8080
	key     *ecdsa.PrivateKey
	credID  []byte
	rpID    string
	userID  []byte
	counter uint32
}

// New returns an authenticator for pages at origin.
func New(origin string) *Authenticator { return &Authenticator{Origin: origin} }

// CredentialID returns the credential's ID, base64url, once created.
func (a *Authenticator) CredentialID() string { return b64.EncodeToString(a.credID) }

type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		RPID string `json:"rpId"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

// Create answers creation options (the JSON the server sends) with a new
// credential, as the JSON a browser would post back.
func (a *Authenticator) Create(optionsJSON []byte) ([]byte, error) {
	var o options
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		return nil, fmt.Errorf("passkeytest: creation options: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	a.key, a.rpID = key, o.PublicKey.RP.ID
	a.credID = make([]byte, 32)
	rand.Read(a.credID)
	if a.userID, err = b64.DecodeString(o.PublicKey.User.ID); err != nil {
		return nil, fmt.Errorf("passkeytest: user id: %w", err)
	}
	ecdh, err := key.PublicKey.ECDH()
	if err != nil {
		return nil, err
	}
	point := ecdh.Bytes() // 0x04 || X || Y
	cose, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         1, // P-256
		XCoord:        point[1:33], YCoord: point[33:],
	})
	if err != nil {
		return nil, err
	}
	authData := a.authData(0x41 | 0x04) // UP, UV, AT
	authData = append(authData, make([]byte, 16)...)
	authData = binary.BigEndian.AppendUint16(authData, uint16(len(a.credID)))
	authData = append(authData, a.credID...)
	authData = append(authData, cose...)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": authData})
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": a.CredentialID(), "rawId": a.CredentialID(), "type": "public-key",
		"authenticatorAttachment": "cross-platform",
		"clientExtensionResults":  map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData("webauthn.create", o.PublicKey.Challenge)),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"usb"},
		},
	})
}

// Get answers request options with an assertion signed by the credential,
// as the JSON a browser would post back.
func (a *Authenticator) Get(optionsJSON []byte) ([]byte, error) {
	if a.key == nil {
		return nil, fmt.Errorf("passkeytest: no credential yet; call Create first")
	}
	var o options
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		return nil, fmt.Errorf("passkeytest: request options: %w", err)
	}
	if o.PublicKey.RPID != "" && o.PublicKey.RPID != a.rpID {
		return nil, fmt.Errorf("passkeytest: options for relying party %q; the credential is for %q", o.PublicKey.RPID, a.rpID)
	}
	a.counter++
	authData := a.authData(0x01 | 0x04) // UP, UV
	clientData := a.clientData("webauthn.get", o.PublicKey.Challenge)
	cdHash := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(append([]byte{}, authData...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": a.CredentialID(), "rawId": a.CredentialID(), "type": "public-key",
		"clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData),
			"authenticatorData": b64.EncodeToString(authData),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(a.userID),
		},
	})
}

func (a *Authenticator) authData(flags byte) []byte {
	rp := sha256.Sum256([]byte(a.rpID))
	out := append(rp[:], flags)
	return binary.BigEndian.AppendUint32(out, a.counter)
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}
