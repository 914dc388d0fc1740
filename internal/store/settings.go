package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tamizdat/tamizdat/internal/model"
)

const (
	// siteSettingsKey is the settings row holding model.Settings.
	siteSettingsKey = "site"

	qSettings     = `SELECT value FROM settings WHERE key = ?`
	qSaveSettings = `INSERT INTO settings (key, value) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value`
	// qLockSettings changes nothing but takes the row's lock on PostgreSQL
	// until the transaction ends. SQLite has one writer at a time anyway.
	qLockSettings = `UPDATE settings SET value = value WHERE key = ?`
)

// Settings returns the site settings, or model.ErrNotFound when they were
// never saved.
func (s *Store) Settings(ctx context.Context) (model.Settings, error) {
	set, err := loadSettings(ctx, s.read())
	if err != nil {
		return model.Settings{}, fmt.Errorf("store: settings: %w", err)
	}
	return set, nil
}

// loadSettings reads the settings with r; model.ErrNotFound when they were
// never saved.
func loadSettings(ctx context.Context, r *runner) (model.Settings, error) {
	var doc string
	if err := r.scanRow(ctx, "settings", qSettings, []any{siteSettingsKey}, &doc); err != nil {
		return model.Settings{}, notFound(err)
	}
	var set model.Settings
	if err := json.Unmarshal([]byte(doc), &set); err != nil {
		return model.Settings{}, fmt.Errorf("stored JSON: %w", err)
	}
	return set, nil
}

// UpdateSettings applies edit to the settings as they are stored at that
// moment and stores the result, validated, in one transaction, which
// concurrent updates queue for: each changes only what its edit changes,
// so two screens that edit different settings at once keep both changes,
// where Settings then SaveSettings would let the later save put back what
// it read before the other. edit's error, or the settings' validation
// error, changes nothing and is returned; model.ErrNotFound when settings
// were never saved. It returns the settings as stored.
func (s *Store) UpdateSettings(ctx context.Context, edit func(*model.Settings) error) (model.Settings, error) {
	var set model.Settings
	err := s.writeContent(ctx, false, func(r *runner) error {
		if err := r.execOne(ctx, "lock_settings", qLockSettings, siteSettingsKey); err != nil {
			return err
		}
		var err error
		if set, err = loadSettings(ctx, r); err != nil {
			return err
		}
		if err := edit(&set); err != nil {
			return err
		}
		if err := set.Validate(); err != nil {
			return err
		}
		return saveSettings(ctx, r, set)
	})
	if err != nil {
		return model.Settings{}, fmt.Errorf("store: update settings: %w", err)
	}
	return set, nil
}

// SaveSettings validates and stores the site settings, replacing them
// whole: to set them first; changes go through UpdateSettings. Pages show
// them, so this counts as a content change.
func (s *Store) SaveSettings(ctx context.Context, set model.Settings) error {
	if err := set.Validate(); err != nil {
		return fmt.Errorf("store: save settings: %w", err)
	}
	err := s.writeContent(ctx, false, func(r *runner) error {
		return saveSettings(ctx, r, set)
	})
	if err != nil {
		return fmt.Errorf("store: save settings: %w", err)
	}
	return nil
}

// saveSettings stores set, which the caller has validated.
func saveSettings(ctx context.Context, r *runner, set model.Settings) error {
	doc, err := json.Marshal(set)
	if err != nil {
		return err
	}
	_, err = r.exec(ctx, "save_settings", qSaveSettings, siteSettingsKey, string(doc))
	return err
}
