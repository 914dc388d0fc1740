//go:build !linux

package export

// exchange swaps the folders a and b. Without an atomic exchange there is
// a moment between the two renames when b is missing.
func exchange(a, b string) error { return exchangeByRenames(a, b) }

// syncFS is a no-op where there is no cheap way to flush a file system;
// a power cut right after an export may then lose its newest files.
func syncFS(dir string) error { return nil }

// syncPath is a no-op for the same reason.
func syncPath(name string) error { return nil }

// lockFolder does not lock where flock is not available.
func lockFolder(path string) (unlock func(), err error) { return func() {}, nil }
