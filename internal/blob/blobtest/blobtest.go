// Package blobtest checks that a blob.Store behaves as the interface
// promises, so every backend (the local directory, memory, and later S3)
// runs the same suite.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/tamizdat/tamizdat/internal/blob"
)

// Run checks the store that open returns; open is called once per subtest
// and must return an empty store.
func Run(t *testing.T, open func(t *testing.T) blob.Store) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		put(t, s, "ab/cd/object-1.jpg", "first")
		if got := get(t, s, "ab/cd/object-1.jpg"); got != "first" {
			t.Errorf("get = %q, want %q", got, "first")
		}
		info, err := s.Stat(ctx, "ab/cd/object-1.jpg")
		if err != nil || info.Size != 5 || info.Key != "ab/cd/object-1.jpg" {
			t.Errorf("stat = %+v, %v; want size 5", info, err)
		}
		put(t, s, "ab/cd/object-1.jpg", "replaced")
		if got := get(t, s, "ab/cd/object-1.jpg"); got != "replaced" {
			t.Errorf("get after replace = %q", got)
		}
		if err := s.Delete(ctx, "ab/cd/object-1.jpg"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Stat(ctx, "ab/cd/object-1.jpg"); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("stat after delete: %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "ab/cd/object-1.jpg"); err != nil {
			t.Errorf("deleting a missing key: %v, want nil", err)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		put(t, s, "dir/file", "x")
		for _, key := range []string{"nothing", "dir", "dir/other"} {
			if _, _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("get %q: %v, want ErrNotFound", key, err)
			}
			if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("stat %q: %v, want ErrNotFound", key, err)
			}
		}
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		for _, key := range InvalidKeys {
			if err := s.Put(ctx, key, bytes.NewReader([]byte("x"))); !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("put %q: %v, want ErrInvalidKey", key, err)
			}
			if _, _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("get %q: %v, want ErrInvalidKey", key, err)
			}
			if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("stat %q: %v, want ErrInvalidKey", key, err)
			}
			if err := s.Delete(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("delete %q: %v, want ErrInvalidKey", key, err)
			}
		}
	})

	t.Run("FailedPutStoresNothing", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		put(t, s, "kept", "old")
		broken := io.MultiReader(bytes.NewReader([]byte("partial")), errReader{})
		if err := s.Put(ctx, "kept", broken); err == nil {
			t.Fatal("put from a failing reader succeeded")
		}
		if err := s.Put(ctx, "new", io.MultiReader(bytes.NewReader([]byte("partial")), errReader{})); err == nil {
			t.Fatal("put from a failing reader succeeded")
		}
		if got := get(t, s, "kept"); got != "old" {
			t.Errorf("a failed put changed the object to %q", got)
		}
		if _, err := s.Stat(ctx, "new"); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("a failed put left an object: %v", err)
		}
	})

	t.Run("CancelledPut", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := s.Put(ctx, "cancelled", bytes.NewReader([]byte("x"))); !errors.Is(err, context.Canceled) {
			t.Errorf("put with a cancelled context: %v, want context.Canceled", err)
		}
		if _, err := s.Stat(t.Context(), "cancelled"); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("a cancelled put left an object: %v", err)
		}
	})
}

// InvalidKeys are keys every backend must refuse.
var InvalidKeys = []string{
	"", "/abs", "trailing/", "a//b", "..", "../escape", "a/../../b", "a/./b", ".hidden", "a/.tmp-123",
	`a\b`, "UPPER.jpg", "sp ace", "caf\u00e9", "nul\x00", "new\nline", string(bytes.Repeat([]byte("a"), blob.MaxKeyLength+1)),
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func put(t *testing.T, s blob.Store, key, data string) {
	t.Helper()
	if err := s.Put(t.Context(), key, bytes.NewReader([]byte(data))); err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
}

func get(t *testing.T, s blob.Store, key string) string {
	t.Helper()
	rc, info, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(data)) {
		t.Errorf("get %q: info says %d bytes, read %d", key, info.Size, len(data))
	}
	return string(data)
}
