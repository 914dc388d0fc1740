package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
)

// Dir stores objects as files under one directory: the key is the path
// relative to it. Every file operation goes through an os.Root, so even a
// symbolic link planted inside the directory cannot lead outside it. The
// root is opened per operation (one system call), so a Dir holds no file
// descriptor and needs no closing.
type Dir struct {
	path string
}

// OpenDir opens (creating it if needed) the directory at dir as a Store.
// The directory should lie outside anything a web server executes or
// serves directly.
func OpenDir(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", dir, err)
	}
	d := &Dir{path: dir}
	root, err := d.root()
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", dir, err)
	}
	return d, root.Close()
}

func (d *Dir) root() (*os.Root, error) { return os.OpenRoot(d.path) }

// Put writes r to a temporary file next to key, syncs it and renames it
// into place, so that a crash or a failed upload never leaves a partial
// object under key.
func (d *Dir) Put(ctx context.Context, key string, r io.Reader) (err error) {
	if err := ValidKey(key); err != nil {
		return err
	}
	root, err := d.root()
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	defer root.Close()
	dir := path.Dir(key)
	if err := root.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	var suffix [8]byte
	rand.Read(suffix[:])
	// A leading dot: no valid key can name a temporary file.
	tmp := path.Join(dir, ".tmp-"+hex.EncodeToString(suffix[:]))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			root.Remove(tmp)
			err = fmt.Errorf("blob: put %s: %w", key, err)
		}
	}()
	if _, err := io.Copy(f, contextReader{ctx, r}); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := root.Rename(tmp, key); err != nil {
		return err
	}
	// Make the rename itself durable.
	if dirFile, err := root.Open(dir); err == nil {
		dirFile.Sync()
		dirFile.Close()
	}
	return nil
}

// Get opens the file of key.
func (d *Dir) Get(_ context.Context, key string) (io.ReadCloser, Info, error) {
	if err := ValidKey(key); err != nil {
		return nil, Info{}, err
	}
	root, err := d.root()
	if err != nil {
		return nil, Info{}, d.fail("get", key, err)
	}
	// The open file stays usable after its root is closed.
	defer root.Close()
	f, err := root.Open(key)
	if err != nil {
		return nil, Info{}, d.fail("get", key, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		f.Close()
		return nil, Info{}, d.fail("get", key, err)
	}
	return f, Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Stat describes the file of key.
func (d *Dir) Stat(_ context.Context, key string) (Info, error) {
	if err := ValidKey(key); err != nil {
		return Info{}, err
	}
	root, err := d.root()
	if err != nil {
		return Info{}, d.fail("stat", key, err)
	}
	defer root.Close()
	fi, err := root.Stat(key)
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		return Info{}, d.fail("stat", key, err)
	}
	return Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Delete removes the file of key. Emptied directories stay: they are few
// (keys fan out over a fixed set) and removing them would race with Put.
func (d *Dir) Delete(_ context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	root, err := d.root()
	if err != nil {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	defer root.Close()
	if err := root.Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	return nil
}

func (d *Dir) fail(op, key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		err = ErrNotFound
	}
	return fmt.Errorf("blob: %s %s: %w", op, key, err)
}
