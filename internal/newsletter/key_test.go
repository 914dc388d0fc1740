package newsletter_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/tamizdat/tamizdat/internal/newsletter"
)

func TestLoadKey(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	path := filepath.Join(t.TempDir(), "keys", "secret.key")
	first, err := newsletter.LoadKey(path, log)
	if err != nil || len(first) != 32 {
		t.Fatalf("LoadKey() on a missing file = %x, %v; want a new 32-byte key", first, err)
	}
	again, err := newsletter.LoadKey(path, log)
	if err != nil || !bytes.Equal(first, again) {
		t.Fatalf("LoadKey() the second time = %x, %v; want the same key", again, err)
	}
	// A damaged file is an error, never replaced by a new key: that
	// would lose every address sealed with the old one.
	if err := os.WriteFile(path, []byte("damaged\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := newsletter.LoadKey(path, log); err == nil {
		t.Error("LoadKey() accepted a damaged key file")
	}
	if data, _ := os.ReadFile(path); string(data) != "damaged\n" {
		t.Error("LoadKey() overwrote a damaged key file")
	}
	if key, err := newsletter.LoadKey("", log); err != nil || len(key) != 32 {
		t.Errorf("LoadKey(\"\") = %x, %v; want a temporary key", key, err)
	}
}
