package app

import (
	"bytes"
	"image"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/media"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// TestMediaServing checks that /media/ serves the demo images from memory
// and uploads from the media directory.
func TestMediaServing(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	u := store.User{Email: "anna@example.org", Role: "editor"}
	if err := st.CreateUser(t.Context(), &u); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	uploads, err := NewMedia(st, config.Config{MediaDir: dir, MaxUploadBytes: 1 << 20}, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	if uploads.MaxBytes() != 1<<20 {
		t.Errorf("MaxBytes = %d, want the configured 1 MB", uploads.MaxBytes())
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 600, 20))); err != nil {
		t.Fatal(err)
	}
	m, err := uploads.Upload(t.Context(), media.Upload{Body: &buf, Name: "chart.png", By: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(media.URL(m), "/media/")))); err != nil {
		t.Errorf("the upload is not in the media directory: %v", err)
	}

	// The demo's files are drawn on the first request, once.
	drawn := 0
	h := media.WithFiles(func() map[string][]byte {
		drawn++
		return map[string][]byte{"demo/photo.jpg": []byte("demo bytes")}
	}, uploads)
	if drawn != 0 {
		t.Errorf("WithFiles drew the demo's files before any request")
	}
	for _, tc := range []struct {
		path   string
		status int
		cache  string
	}{
		{"/media/demo/photo.jpg", 200, "public, max-age=86400"},
		{media.URL(m), 200, "public, max-age=31536000, immutable"},
		{media.Variants(m)[0].URL, 200, "public, max-age=31536000, immutable"},
		{"/media/demo/missing.jpg", 404, ""},
		{"/media/../../etc/passwd", 404, ""},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if w.Code != tc.status || w.Header().Get("Cache-Control") != tc.cache {
			t.Errorf("GET %s: %d, Cache-Control %q; want %d, %q", tc.path, w.Code, w.Header().Get("Cache-Control"), tc.status, tc.cache)
		}
	}
	if drawn != 1 {
		t.Errorf("the demo's files were drawn %d times, want once", drawn)
	}
}
