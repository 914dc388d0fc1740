package app

import (
	"log/slog"

	"github.com/tamizdat/tamizdat/internal/blob"
	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/media"
	"github.com/tamizdat/tamizdat/internal/store"
)

// NewMedia builds the image upload service over the directory
// cfg.MediaDir; with no directory (tests), uploads are kept in memory.
func NewMedia(st *store.Store, cfg config.Config, log *slog.Logger) (*media.Service, error) {
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
