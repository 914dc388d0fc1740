package export

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"testing"

	"github.com/tamizdat/tamizdat/internal/export/exporttest"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// fixture is the test site in a fresh store, with a signing key.
type fixture struct {
	*exporttest.Site
	st  *store.Store
	key ed25519.PrivateKey
	pub ed25519.PublicKey
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := storetest.New(t)
	f := &fixture{Site: exporttest.Fill(t, st), st: st}
	f.pub, f.key = newKeyPair(t)
	return f
}

// options returns export options into dir over the fixture's store.
func (f *fixture) options(t *testing.T, dir string) Options {
	t.Helper()
	src, err := NewSource(context.Background(), f.st, exporttest.BaseURL, nil, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	return Options{Source: src, Dir: dir, Key: f.key}
}

// export runs an export into dir and fails the test on error.
func (f *fixture) export(t *testing.T, dir string) Stats {
	t.Helper()
	s, err := Run(context.Background(), f.options(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newKeyPair(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, key
}

func signWith(key ed25519.PrivateKey, data []byte) []byte { return ed25519.Sign(key, data) }
