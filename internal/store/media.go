package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Media is an uploaded image. Its files live in the blob store under names
// derived from Key; the row records what was made of the upload.
type Media struct {
	ID     string
	Key    string // random and never reused, so its files can be cached forever
	Format string // "jpeg" or "png": what the stored files are
	Width  int    // of the stored original
	Height int
	// Sizes lists the widths of the smaller copies, ascending.
	Sizes []int
	Bytes int64 // size of the stored original
	Alt   string
	// Label is the uploaded file's name, sanitised, shown on the desk only.
	// It is never used to name a stored file.
	Label string
	// CreatedBy is the uploader's user ID; never shown publicly (S8).
	CreatedBy string
	CreatedAt time.Time
}

// MediaQuery filters ListMedia. The zero value lists the newest 50.
type MediaQuery struct {
	CreatedBy string // only this user's uploads; all when empty
	Limit     int    // 50 when zero
	Offset    int
}

const (
	mediaColumns   = `id, key, format, width, height, sizes, bytes, alt, label, created_by, created_at`
	qInsertMedia   = `INSERT INTO media (` + mediaColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qMedia         = `SELECT ` + mediaColumns + ` FROM media WHERE id = ?`
	qMediaByKey    = `SELECT ` + mediaColumns + ` FROM media WHERE key = ?`
	qListMedia     = `SELECT ` + mediaColumns + ` FROM media ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`
	qListUserMedia = `SELECT ` + mediaColumns + ` FROM media WHERE created_by = ?
ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`
	qSetMediaAlt = `UPDATE media SET alt = ? WHERE id = ?`
	qDeleteMedia = `DELETE FROM media WHERE id = ?`
	// The key is lowercase hex, so it holds no LIKE wildcards.
	qMediaUses = `SELECT (SELECT COUNT(*) FROM articles WHERE lead_image_url LIKE ? OR body LIKE ?) +
(SELECT COUNT(*) FROM pages WHERE body LIKE ?)`
)

// CreateMedia records an upload and sets m.ID and m.CreatedAt.
func (s *Store) CreateMedia(ctx context.Context, m *Media) error {
	if err := validateMedia(m); err != nil {
		return fmt.Errorf("store: create media: %w", err)
	}
	id, now := newID(), s.clock()
	err := s.write(ctx, false, func(r *runner) error {
		_, err := r.exec(ctx, "insert_media", qInsertMedia, id, m.Key, m.Format, m.Width, m.Height,
			joinSizes(m.Sizes), m.Bytes, m.Alt, m.Label, m.CreatedBy, timeArg(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create media: %w", err)
	}
	m.ID, m.CreatedAt = id, now
	return nil
}

func validateMedia(m *Media) error {
	p := problems{}
	p.require("key", m.Key, "an upload needs a storage key")
	p.require("created_by", m.CreatedBy, "an upload needs its uploader")
	if m.Format != "jpeg" && m.Format != "png" {
		p["format"] = fmt.Sprintf("%q is not a stored image format; use jpeg or png", m.Format)
	}
	if m.Width <= 0 || m.Height <= 0 {
		p["size"] = "an image needs a width and a height"
	}
	if !slices.IsSorted(m.Sizes) || slices.ContainsFunc(m.Sizes, func(w int) bool { return w <= 0 || w >= m.Width }) {
		p["sizes"] = "smaller copies must be ascending widths below the original's"
	}
	return p.err()
}

// Media returns the upload with that ID.
func (s *Store) Media(ctx context.Context, id string) (Media, error) {
	m, err := s.scanMedia(ctx, "media", qMedia, id)
	if err != nil {
		return Media{}, fmt.Errorf("store: media %s: %w", id, err)
	}
	return m, nil
}

// MediaByKey returns the upload stored under key.
func (s *Store) MediaByKey(ctx context.Context, key string) (Media, error) {
	m, err := s.scanMedia(ctx, "media_by_key", qMediaByKey, key)
	if err != nil {
		return Media{}, fmt.Errorf("store: media with key %s: %w", key, err)
	}
	return m, nil
}

func (s *Store) scanMedia(ctx context.Context, name, query, arg string) (Media, error) {
	var (
		m     Media
		sizes string
	)
	if err := s.read().scanRow(ctx, name, query, []any{arg}, mediaDest(&m, &sizes)...); err != nil {
		return Media{}, notFound(err)
	}
	var err error
	m.Sizes, err = splitSizes(sizes)
	return m, err
}

// ListMedia returns uploads, newest first.
func (s *Store) ListMedia(ctx context.Context, q MediaQuery) ([]Media, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	query, args := qListMedia, []any{q.Limit, q.Offset}
	if q.CreatedBy != "" {
		query, args = qListUserMedia, []any{q.CreatedBy, q.Limit, q.Offset}
	}
	var list []Media
	err := s.read().each(ctx, "list_media", query, args, func(scan func(...any) error) error {
		var (
			m     Media
			sizes string
		)
		if err := scan(mediaDest(&m, &sizes)...); err != nil {
			return err
		}
		var err error
		m.Sizes, err = splitSizes(sizes)
		list = append(list, m)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list media: %w", err)
	}
	return list, nil
}

// SetMediaAlt changes an upload's default alternative text.
func (s *Store) SetMediaAlt(ctx context.Context, id, alt string) error {
	return s.changeMedia(ctx, "set_media_alt", qSetMediaAlt, "set alt of media "+id, alt, id)
}

// DeleteMedia removes the record of an upload; its files are the caller's
// to delete.
func (s *Store) DeleteMedia(ctx context.Context, id string) error {
	return s.changeMedia(ctx, "delete_media", qDeleteMedia, "delete media "+id, id)
}

func (s *Store) changeMedia(ctx context.Context, name, query, op string, args ...any) error {
	if err := s.exec1(ctx, name, query, args...); err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	return nil
}

// MediaUses counts the articles and pages whose lead image or text
// mentions key, whatever their status.
func (s *Store) MediaUses(ctx context.Context, key string) (int, error) {
	pattern := "%" + key + "%"
	var n int
	if err := s.read().scanRow(ctx, "media_uses", qMediaUses, []any{pattern, pattern, pattern}, &n); err != nil {
		return 0, fmt.Errorf("store: uses of media %s: %w", key, err)
	}
	return n, nil
}

// mediaDest lists scan destinations matching mediaColumns; sizes receives
// the stored list for splitSizes.
func mediaDest(m *Media, sizes *string) []any {
	return []any{&m.ID, &m.Key, &m.Format, &m.Width, &m.Height, sizes, &m.Bytes, &m.Alt, &m.Label,
		&m.CreatedBy, scanTime(&m.CreatedAt)}
}

func joinSizes(sizes []int) string {
	parts := make([]string, len(sizes))
	for i, w := range sizes {
		parts[i] = strconv.Itoa(w)
	}
	return strings.Join(parts, ",")
}

func splitSizes(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var sizes []int
	for part := range strings.SplitSeq(s, ",") {
		w, err := strconv.Atoi(part)
		if err != nil {
			return nil, fmt.Errorf("store: stored media sizes %q: %w", s, err)
		}
		sizes = append(sizes, w)
	}
	return sizes, nil
}
