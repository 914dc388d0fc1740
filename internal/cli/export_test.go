package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tamizdat/tamizdat/internal/export"
	"github.com/tamizdat/tamizdat/internal/export/exporttest"
	"github.com/tamizdat/tamizdat/internal/store"
)

// TestExportCommands walks a newsroom's routine: make keys, export, check
// the copy, export again, and catch a tampered and a rolled-back copy.
func TestExportCommands(t *testing.T) {
	tmp := t.TempDir()
	db := "sqlite:" + filepath.Join(tmp, "news.db")
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	exporttest.Fill(t, st)
	st.Close()

	keys, mirror, state := filepath.Join(tmp, "keys"), filepath.Join(tmp, "mirror"), filepath.Join(tmp, "seen")
	private, public := filepath.Join(keys, export.PrivateKeyName), filepath.Join(keys, export.PublicKeyName)
	exportArgs := []string{"export", "--db", db, "--base-url", exporttest.BaseURL, "--out", mirror, "--key", private, "--log-level", "warn"}
	var olderCopy string
	steps := []struct {
		name   string
		args   []string
		code   int
		want   string
		before func()
	}{
		{"keys", []string{"keys", "--out", keys}, 0, "key id:", nil},
		{"keys again", []string{"keys", "--out", keys}, 1, "never overwritten", nil},
		{"export without a key", []string{"export", "--db", db, "--out", mirror}, 1, "--key FILE are required", nil},
		{"export", exportArgs, 0, "manifest sequence 1", nil},
		{"verify", []string{"verify", mirror, "--pubkey", public, "--state", state}, 0, "sequence 1", func() { olderCopy = copyDir(t, mirror) }},
		{"export again", exportArgs, 0, "0 written", nil},
		{"verify with flags first", []string{"verify", "--pubkey", public, "--state", state, mirror}, 0, "sequence 2", nil},
		{"verify an older copy", []string{"verify", "--pubkey", public, "--state", state, "PLACEHOLDER"}, 1, "rollback", nil},
		{"verify below --min-sequence", []string{"verify", mirror, "--pubkey", public, "--min-sequence", "3"}, 1, "sequence 2 is lower than 3", nil},
		{"verify a tampered copy", []string{"verify", mirror, "--pubkey", public}, 1, "articles/story-1.html: its content differs", func() {
			name := filepath.Join(mirror, "articles", "story-1.html")
			data, _ := os.ReadFile(name)
			os.WriteFile(name, bytes.Replace(data, []byte("Story 1"), []byte("Story X"), 1), 0o644)
		}},
		{"verify without a key", []string{"verify", mirror}, 1, "usage: tamizdat verify", nil},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		for i, a := range s.args {
			if a == "PLACEHOLDER" {
				s.args[i] = olderCopy
			}
		}
		var out bytes.Buffer
		code := Run(t.Context(), s.args, noEnv, &out, &out)
		if code != s.code || !strings.Contains(out.String(), s.want) {
			t.Fatalf("%s: exit %d, output:\n%s\nwant exit %d and %q", s.name, code, out.String(), s.code, s.want)
		}
	}
	if n, err := export.ReadSequenceState(state); n != 2 || err != nil {
		t.Errorf("state file holds %d (%v), want 2", n, err)
	}
}

// copyDir copies the files under src to a new folder.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
