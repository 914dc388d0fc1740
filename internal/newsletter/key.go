package newsletter

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"github.com/tamizdat/tamizdat/internal/vault"
)

// LoadKey reads the master key from the secret key file at path, creating
// the file with a new random key when there is none. Losing the file loses
// every subscriber's address, so creating one is logged loudly: production
// keeps it on another volume than the database, and backs it up apart.
// With no path (tests, tools), the key is random and lives in memory only.
func LoadKey(path string, log *slog.Logger) ([]byte, error) {
	if path == "" {
		key := make([]byte, vault.KeySize)
		rand.Read(key)
		log.Warn("no secret key file: subscribers' addresses are sealed with a temporary key and cannot be read after a restart")
		return key, nil
	}
	key, err := vault.LoadKeyFile(path)
	if err == nil {
		return key, nil
	}
	if _, statErr := os.Stat(path); !errors.Is(statErr, fs.ErrNotExist) {
		return nil, err
	}
	key, err = vault.CreateKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("newsletter: %w", err)
	}
	log.Warn("created a new secret key file; back it up apart from the database: without it, subscribers' addresses cannot be read", "path", path)
	return key, nil
}
