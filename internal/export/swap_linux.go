package export

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// exchange swaps the folders a and b in one step, so that no reader ever
// finds the export missing or half old, half new.
func exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) {
		return exchangeByRenames(a, b) // a file system without atomic exchange
	}
	return err
}

// syncFS flushes everything written to the file system holding dir, which
// for thousands of files costs one call instead of one fsync each.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

// syncPath flushes the file or folder name to disk.
func syncPath(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// lockFolder takes an exclusive lock on path, created if needed, so that two
// exports into the same folder cannot run at once. The kernel drops the
// lock if the process dies, so a crash never leaves a stale lock.
func lockFolder(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("another export into the same folder is running (it holds %s)", path)
		}
		return nil, err
	}
	return func() { f.Close() }, nil
}
