package app

import (
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/tamizdat/tamizdat/internal/blob"
	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/media"
	"github.com/tamizdat/tamizdat/internal/store"
)

// newMedia builds the image upload service over the directory
// cfg.MediaDir; with no directory (tests), uploads are kept in memory.
func newMedia(st *store.Store, cfg config.Config, log *slog.Logger) (*media.Service, error) {
	var blobs blob.Store = blob.NewMemory()
	if cfg.MediaDir != "" {
		dir, err := blob.OpenDir(cfg.MediaDir)
		if err != nil {
			return nil, err
		}
		blobs = dir
	}
	return media.New(st, blobs, media.Options{MaxBytes: cfg.MaxUploadBytes, Log: log}), nil
}

// mediaHandler serves /media/{path}: the demo images from files, keyed by
// path, and everything else from uploads.
func mediaHandler(files map[string][]byte, uploads http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/media/")
		body, ok := files[name]
		if !ok {
			uploads.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Write(body)
	})
}
