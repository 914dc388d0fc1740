package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

const (
	tagColumns = `id, slug, name, description`
	qInsertTag = `INSERT INTO tags (id, slug, name, description, created_at) VALUES (?, ?, ?, ?, ?)`
	qTagBySlug = `SELECT ` + tagColumns + ` FROM tags WHERE slug = ?`
	// qTagCounts counts, for every tag, the articles published as of ?.
	qTagCounts = `SELECT t.slug, t.name, COUNT(a.id)
FROM tags t
LEFT JOIN article_tags at ON at.tag_id = t.id
LEFT JOIN articles a ON a.id = at.article_id AND a.status = 'published' AND a.published_at <= ?
GROUP BY t.id, t.slug, t.name`
)

// CreateTag adds a tag and sets t.ID. The caller makes t.Slug; if it is
// taken, a "-2", "-3", … suffix makes it unique and t.Slug is updated.
func (s *Store) CreateTag(ctx context.Context, t *model.Tag) error {
	if err := validateTag(t); err != nil {
		return fmt.Errorf("store: create tag: %w", err)
	}
	var saved savedRow
	err := s.write(ctx, false, func(r *runner) error {
		var err error
		saved, err = insertTag(ctx, r, t, s.clock())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create tag %q: %w", t.Slug, err)
	}
	t.ID, t.Slug = saved.id, saved.slug
	return nil
}

func validateTag(t *model.Tag) error {
	p := problems{}
	p.require("name", t.Name, "a tag needs a name")
	p.require("slug", t.Slug, "a tag needs a slug")
	return p.err()
}

// insertTag stores a new tag under a unique slug; t is left as it is.
func insertTag(ctx context.Context, r *runner, t *model.Tag, now time.Time) (savedRow, error) {
	sr := savedRow{id: newID()}
	var err error
	if sr.slug, err = uniqueSlug(ctx, r, tagsTable, t.Slug, sr.id); err != nil {
		return sr, err
	}
	_, err = r.exec(ctx, "insert_tag", qInsertTag, sr.id, sr.slug, t.Name, t.Description, timeArg(now))
	return sr, err
}

// TagBySlug returns the tag with that slug.
func (s *Store) TagBySlug(ctx context.Context, slug string) (model.Tag, error) {
	var t model.Tag
	err := s.read().scanRow(ctx, "tag_by_slug", qTagBySlug, []any{slug}, tagDest(&t)...)
	if err != nil {
		return model.Tag{}, fmt.Errorf("store: tag %q: %w", slug, notFound(err))
	}
	return t, nil
}

// ListTags returns every tag with the number of articles published as of
// asOf (every published article when asOf is zero), tags without any
// included, by count (highest first) then name.
func (s *Store) ListTags(ctx context.Context, asOf time.Time) ([]TagCount, error) {
	var tags []TagCount
	err := s.read().each(ctx, "tag_counts", qTagCounts, []any{asOfArg(asOf)}, func(scan func(...any) error) error {
		var t TagCount
		err := scan(&t.Slug, &t.Name, &t.Count)
		tags = append(tags, t)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list tags: %w", err)
	}
	slices.SortFunc(tags, func(a, b TagCount) int {
		return cmp.Or(b.Count-a.Count, compareNames(a.Name, b.Name), strings.Compare(a.Slug, b.Slug))
	})
	return tags, nil
}

// tagDest lists scan destinations matching tagColumns.
func tagDest(t *model.Tag) []any {
	return []any{&t.ID, &t.Slug, &t.Name, &t.Description}
}
