package export

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Problem is one way a copy differs from what its manifest promises.
type Problem struct {
	Path   string // the file concerned, relative to the export's root
	Reason string
}

func (p Problem) String() string { return p.Path + ": " + p.Reason }

// VerifyError lists everything wrong with a copy.
type VerifyError struct {
	Problems []Problem
}

func (e *VerifyError) Error() string {
	const shown = 20
	var b strings.Builder
	fmt.Fprintf(&b, "export: verify: %d problem(s)", len(e.Problems))
	for i, p := range e.Problems {
		if i == shown {
			fmt.Fprintf(&b, "\n  … and %d more", len(e.Problems)-shown)
			break
		}
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// Verify checks the export in dir against the public key: the manifest's
// signature, a sequence number of at least minSequence (a lower one is a
// rollback to an older copy), and every file's size and SHA-256. A file
// the manifest lists but dir lacks fails, and so does a file dir holds but
// the manifest does not list: nothing unsigned may pass as the outlet's
// own, since a mirror host could otherwise add a forged article next to
// the real ones. Symbolic links fail for the same reason. It returns the
// manifest when everything checks out, else a *VerifyError.
func Verify(ctx context.Context, dir string, pub ed25519.PublicKey, minSequence uint64) (*Manifest, error) {
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real // a web root is often a link to the folder
	}
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, &VerifyError{[]Problem{{ManifestName, "cannot be read: " + errText(err)}}}
	}
	sig, err := os.ReadFile(filepath.Join(dir, SignatureName))
	if err != nil {
		return nil, &VerifyError{[]Problem{{SignatureName, "cannot be read: " + errText(err)}}}
	}
	if len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, data, sig) {
		reason := "the signature does not match " + ManifestName + " for public key " + KeyID(pub)
		if m, err := decodeManifest(data); err == nil && m.KeyID != KeyID(pub) {
			reason += " (the manifest names key " + m.KeyID + ")"
		}
		return nil, &VerifyError{[]Problem{{SignatureName, reason}}}
	}
	m, err := decodeManifest(data)
	if err != nil {
		return nil, &VerifyError{[]Problem{{ManifestName, err.Error()}}}
	}
	var problems []Problem
	if m.Sequence < minSequence {
		problems = append(problems, Problem{ManifestName, fmt.Sprintf(
			"sequence %d is lower than %d, the last one seen: this is an older copy (rollback)", m.Sequence, minSequence)})
	}
	listed := make(map[string]File, len(m.Files))
	for _, f := range m.Files {
		listed[f.Path] = f
	}
	seen := make(map[string]bool, len(m.Files))
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			return nil
		case rel == ManifestName || rel == SignatureName:
			return nil
		case !d.Type().IsRegular():
			problems = append(problems, Problem{rel, "is not a regular file (a link or a device); copies hold plain files only"})
			return nil
		}
		f, ok := listed[rel]
		if !ok {
			problems = append(problems, Problem{rel, "is not listed in the manifest"})
			return nil
		}
		seen[rel] = true
		if reason := checkFile(p, f); reason != "" {
			problems = append(problems, Problem{rel, reason})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("export: verify %s: %w", dir, err)
	}
	for _, f := range m.Files {
		if !seen[f.Path] {
			problems = append(problems, Problem{f.Path, "is missing"})
		}
	}
	if len(problems) > 0 {
		return nil, &VerifyError{problems}
	}
	return m, nil
}

// checkFile compares a file with its manifest entry and says what differs.
func checkFile(path string, want File) string {
	file, err := os.Open(path)
	if err != nil {
		return "cannot be read: " + errText(err)
	}
	defer file.Close()
	h := sha256.New()
	n, err := io.Copy(h, file)
	switch {
	case err != nil:
		return "cannot be read: " + errText(err)
	case n != want.Size:
		return fmt.Sprintf("has %d bytes, the manifest says %d", n, want.Size)
	case hex.EncodeToString(h.Sum(nil)) != want.SHA256:
		return "its content differs from the manifest (SHA-256 mismatch)"
	}
	return ""
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// ReadSequenceState reads the last sequence number a verifier saw from a
// state file; a missing file is 0.
func ReadSequenceState(path string) (uint64, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("export: state: %w", err)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("export: state file %s does not hold a sequence number", path)
	}
	return n, nil
}

// WriteSequenceState records seq in the state file, replacing it whole so
// that a crash never leaves half a number.
func WriteSequenceState(path string, seq uint64) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatUint(seq, 10)+"\n"), 0o644); err != nil {
		return fmt.Errorf("export: state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("export: state: %w", err)
	}
	return nil
}
