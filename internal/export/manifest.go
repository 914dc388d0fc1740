package export

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ManifestFormat names the manifest's layout; a verifier refuses others.
const ManifestFormat = "tamizdat-export/1"

// Manifest lists every file of an export. manifest.json holds it as JSON,
// exactly as Encode writes it, and manifest.json.sig holds the 64-byte
// Ed25519 signature of those bytes (detached, raw), so anyone with the
// public key can check a copy, even with openssl:
//
//	openssl pkeyutl -verify -pubin -inkey export.pub -rawin \
//	    -in manifest.json -sigfile manifest.json.sig
type Manifest struct {
	Format string `json:"format"`
	// Site is the main site the export copies, when it was given.
	Site string `json:"site,omitempty"`
	// Sequence rises by one with every export into the same folder, so a
	// verifier that remembers the last one it saw can refuse an older copy.
	Sequence uint64 `json:"sequence"`
	// Published is the newest publication or update time in the content,
	// not the time of the export, so that equal content gives equal bytes.
	Published time.Time `json:"published"`
	// KeyID names the signing key: the first 16 hex digits of the SHA-256
	// of the raw public key.
	KeyID string `json:"key_id"`
	Files []File `json:"files"` // sorted by path
}

// File is one file of an export.
type File struct {
	Path   string `json:"path"` // slash-separated, relative to the export's root
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Encode returns the manifest as manifest.json holds it: indented JSON,
// files sorted by path, ending in a newline.
func (m *Manifest) Encode() ([]byte, error) {
	slices.SortFunc(m.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return nil, fmt.Errorf("export: encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// decodeManifest parses manifest.json strictly: unknown fields, another
// format and unsorted or repeated paths are refused.
func decodeManifest(data []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a manifest: %w", err)
	}
	if m.Format != ManifestFormat {
		return nil, fmt.Errorf("manifest format %q, want %q", m.Format, ManifestFormat)
	}
	for i, f := range m.Files {
		if err := checkManifestPath(f.Path); err != nil {
			return nil, err
		}
		if i > 0 && m.Files[i-1].Path >= f.Path {
			return nil, fmt.Errorf("manifest lists %q out of order or twice", f.Path)
		}
		if len(f.SHA256) != 64 || strings.Trim(f.SHA256, "0123456789abcdef") != "" || f.Size < 0 {
			return nil, fmt.Errorf("manifest entry for %q has a malformed hash or size", f.Path)
		}
	}
	return &m, nil
}

// checkManifestPath refuses paths that could reach outside the export.
func checkManifestPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || strings.Contains(p, "\x00") ||
		p == ManifestName || p == SignatureName {
		return fmt.Errorf("manifest lists an invalid path %q", p)
	}
	for s := range strings.SplitSeq(p, "/") {
		if s == "" || s == "." || s == ".." {
			return fmt.Errorf("manifest lists an invalid path %q", p)
		}
	}
	return nil
}

// KeyID returns the short name of a public key the manifest records.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// readManifest reads dir's manifest, or returns nil if it has none.
func readManifest(dir string) (*Manifest, []byte, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if os.IsNotExist(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	m, err := decodeManifest(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", ManifestName, err)
	}
	return m, data, nil
}
