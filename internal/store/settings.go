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
)

// Settings returns the site settings, or model.ErrNotFound when they were
// never saved.
func (s *Store) Settings(ctx context.Context) (model.Settings, error) {
	var doc string
	if err := s.read().scanRow(ctx, "settings", qSettings, []any{siteSettingsKey}, &doc); err != nil {
		return model.Settings{}, fmt.Errorf("store: settings: %w", notFound(err))
	}
	var set model.Settings
	if err := json.Unmarshal([]byte(doc), &set); err != nil {
		return model.Settings{}, fmt.Errorf("store: settings: stored JSON: %w", err)
	}
	return set, nil
}

// SaveSettings validates and stores the site settings. Pages show them, so
// this counts as a content change.
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
