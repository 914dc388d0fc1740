package blob_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tamizdat/tamizdat/internal/blob"
	"github.com/tamizdat/tamizdat/internal/blob/blobtest"
)

func TestDir(t *testing.T) {
	t.Parallel()
	blobtest.Run(t, func(t *testing.T) blob.Store { return openDir(t, t.TempDir()) })
}

func TestMemory(t *testing.T) {
	t.Parallel()
	blobtest.Run(t, func(*testing.T) blob.Store { return blob.NewMemory() })
}

func openDir(t *testing.T, dir string) *blob.Dir {
	t.Helper()
	d, err := blob.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestValidKey(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"a", "ab/0123456789abcdef.jpg", "x/y/z-480.png", "under_score"} {
		if err := blob.ValidKey(key); err != nil {
			t.Errorf("ValidKey(%q) = %v, want nil", key, err)
		}
	}
	for _, key := range blobtest.InvalidKeys {
		if err := blob.ValidKey(key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("ValidKey(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
}

// TestDirLeavesNoTemporaryFiles checks that a failed write is cleaned up
// and that a successful one is a plain file under its key.
func TestDirLeavesNoTemporaryFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	d := openDir(t, root)
	if err := d.Put(t.Context(), "ab/ok.jpg", strings.NewReader("data")); err != nil {
		t.Fatal(err)
	}
	if err := d.Put(t.Context(), "ab/broken.jpg", failingReader{}); err == nil {
		t.Fatal("put from a failing reader succeeded")
	}
	var files []string
	filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if len(files) != 1 || files[0] != "ab/ok.jpg" {
		t.Errorf("files on disk = %q, want only ab/ok.jpg", files)
	}
}

// TestDirDoesNotFollowLinksOutside plants a symbolic link inside the store
// that points outside it: reads and writes through it must fail.
func TestDirDoesNotFollowLinksOutside(t *testing.T) {
	t.Parallel()
	outside, root := t.TempDir(), t.TempDir()
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Skipf("cannot make symbolic links here: %v", err)
	}
	d := openDir(t, root)
	if _, _, err := d.Get(t.Context(), "link/secret"); err == nil {
		t.Error("read a file outside the store through a symbolic link")
	}
	if err := d.Put(t.Context(), "link/planted", strings.NewReader("x")); err == nil {
		t.Error("wrote a file outside the store through a symbolic link")
	}
	if _, err := os.Stat(filepath.Join(outside, "planted")); err == nil {
		t.Error("a file appeared outside the store")
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }
