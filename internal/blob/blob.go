// Package blob stores opaque objects, such as uploaded images, by key.
// Store is the interface every backend implements: a local directory now
// (Dir), an in-memory one for tests (Memory), an S3-compatible bucket
// later. Keys are chosen by the server, never by a client, and are
// validated by every backend so that none can name anything outside its
// store.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Errors every backend returns.
var (
	// ErrNotFound: no object has that key.
	ErrNotFound = errors.New("blob: not found")
	// ErrInvalidKey: the key breaks the rules of ValidKey.
	ErrInvalidKey = errors.New("blob: invalid key")
)

// Info describes a stored object.
type Info struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Store keeps objects by key. Implementations are safe for concurrent use.
// A Put is atomic: readers see the old object, or none, until the whole
// new one is stored; a failed Put leaves nothing behind.
type Store interface {
	// Put stores everything r yields under key, replacing any object there.
	Put(ctx context.Context, key string, r io.Reader) error
	// Get opens the object for reading; the caller closes it.
	Get(ctx context.Context, key string) (io.ReadCloser, Info, error)
	// Stat describes the object without reading it.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes the object; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// MaxKeyLength bounds a key, well under the limits of file systems and of
// S3 (1,024 bytes).
const MaxKeyLength = 512

// ValidKey checks a key: one or more segments separated by "/", each made
// of lowercase ASCII letters, digits, '.', '_' and '-', and not starting
// with '.'. That rules out "..", absolute paths, backslashes, hidden and
// temporary files, and keys that differ only in case (which would collide
// on case-insensitive file systems).
func ValidKey(key string) error {
	if key == "" || len(key) > MaxKeyLength {
		return fmt.Errorf("%w: %q: must be 1 to %d bytes", ErrInvalidKey, key, MaxKeyLength)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg[0] == '.' {
			return fmt.Errorf("%w: %q: empty segment or segment starting with a dot", ErrInvalidKey, key)
		}
		for _, c := range []byte(seg) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return fmt.Errorf("%w: %q: only a-z, 0-9, '.', '_', '-' and '/' are allowed", ErrInvalidKey, key)
			}
		}
	}
	return nil
}

// contextReader fails a copy as soon as ctx ends, so a cancelled upload
// stops writing.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
