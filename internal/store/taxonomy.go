package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tamizdat/tamizdat/internal/model"
)

// The desk's edits of tags, bylines and static pages. Each bumps the
// content version: their names and texts appear on published pages.
const (
	qTagByID        = `SELECT ` + tagColumns + ` FROM tags WHERE id = ?`
	qAllTags        = `SELECT ` + tagColumns + ` FROM tags`
	qUpdateTag      = `UPDATE tags SET slug = ?, name = ?, description = ? WHERE id = ?`
	qDeleteTag      = `DELETE FROM tags WHERE id = ?`
	qAuthorByID     = `SELECT ` + authorColumns + ` FROM authors WHERE id = ?`
	qUpdateAuthor   = `UPDATE authors SET slug = ?, name = ?, kind = ?, bio = ? WHERE id = ?`
	qDeleteAuthor   = `DELETE FROM authors WHERE id = ?`
	qPageByID       = `SELECT ` + pageColumns + ` FROM pages WHERE id = ?`
	qDeletePage     = `DELETE FROM pages WHERE id = ?`
	qTagSlugByID    = `SELECT slug FROM tags WHERE id = ?`
	qAuthorSlugByID = `SELECT slug FROM authors WHERE id = ?`
)

// SaveTag creates the tag when t.ID is empty and sets t.ID, or else
// replaces the tag t.ID, as the account userID, and records the result as
// the tag's next revision. A slug another tag has is suffixed on creation,
// or with exactSlug, and on every change of slug, a validation error.
func (s *Store) SaveTag(ctx context.Context, t *model.Tag, userID string, exactSlug bool) error {
	if err := validateTag(t); err != nil {
		return fmt.Errorf("store: save tag: %w", err)
	}
	now := s.clock()
	var sr savedRow // a new tag's ID and slug, applied once committed
	err := s.writeContent(ctx, false, func(r *runner) error {
		id, slug := t.ID, t.Slug
		if id == "" {
			sr.id = newID()
			var err error
			if sr.slug, err = claimSlug(ctx, r, tagsTable, t.Slug, sr.id, exactSlug); err != nil {
				return err
			}
			if _, err = r.exec(ctx, "insert_tag", qInsertTag, sr.id, sr.slug, t.Name, t.Description, timeArg(now)); err != nil {
				return err
			}
			id, slug = sr.id, sr.slug
		} else {
			if err := keepOrClaimSlug(ctx, r, tagsTable, qTagSlugByID, t.Slug, t.ID); err != nil {
				return err
			}
			if _, err := r.exec(ctx, "update_tag", qUpdateTag, t.Slug, t.Name, t.Description, t.ID); err != nil {
				return err
			}
		}
		return insertRecordRevision(ctx, r, KindTag, id, t.Name, recordFields{Slug: slug, Description: t.Description}, userID, now)
	})
	if err != nil {
		return fmt.Errorf("store: save tag %q: %w", t.Slug, err)
	}
	if sr.id != "" {
		t.ID, t.Slug = sr.id, sr.slug
	}
	return nil
}

// TagByID returns the tag with that ID.
func (s *Store) TagByID(ctx context.Context, id string) (model.Tag, error) {
	var t model.Tag
	if err := s.read().scanRow(ctx, "tag_by_id", qTagByID, []any{id}, tagDest(&t)...); err != nil {
		return model.Tag{}, fmt.Errorf("store: tag %s: %w", id, notFound(err))
	}
	return t, nil
}

// AllTags returns every tag, ordered by name.
func (s *Store) AllTags(ctx context.Context) ([]model.Tag, error) {
	var tags []model.Tag
	err := s.read().each(ctx, "all_tags", qAllTags, nil, func(scan func(...any) error) error {
		var t model.Tag
		err := scan(tagDest(&t)...)
		tags = append(tags, t)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: all tags: %w", err)
	}
	slices.SortFunc(tags, func(a, b model.Tag) int {
		return cmp.Or(compareNames(a.Name, b.Name), strings.Compare(a.Slug, b.Slug))
	})
	return tags, nil
}

// DeleteTag removes a tag; articles lose it.
func (s *Store) DeleteTag(ctx context.Context, id string) error {
	return s.deleteContent(ctx, KindTag, "delete_tag", qDeleteTag, id)
}

// SaveAuthor creates the byline when a.ID is empty and sets a.ID, or else
// replaces the byline a.ID, as the account userID, with slugs and
// revisions as in SaveTag.
func (s *Store) SaveAuthor(ctx context.Context, a *model.Author, userID string, exactSlug bool) error {
	if err := validateAuthor(a); err != nil {
		return fmt.Errorf("store: save author: %w", err)
	}
	now := s.clock()
	var sr savedRow // a new byline's ID and slug, applied once committed
	err := s.writeContent(ctx, false, func(r *runner) error {
		id, slug := a.ID, a.Slug
		if id == "" {
			sr.id = newID()
			var err error
			if sr.slug, err = claimSlug(ctx, r, authorsTable, a.Slug, sr.id, exactSlug); err != nil {
				return err
			}
			if _, err = r.exec(ctx, "insert_author", qInsertAuthor, sr.id, sr.slug, a.Name, string(a.Kind), a.Bio, timeArg(now)); err != nil {
				return err
			}
			id, slug = sr.id, sr.slug
		} else {
			if err := keepOrClaimSlug(ctx, r, authorsTable, qAuthorSlugByID, a.Slug, a.ID); err != nil {
				return err
			}
			if _, err := r.exec(ctx, "update_author", qUpdateAuthor, a.Slug, a.Name, string(a.Kind), a.Bio, a.ID); err != nil {
				return err
			}
		}
		return insertRecordRevision(ctx, r, KindByline, id, a.Name, recordFields{Slug: slug, AuthorKind: string(a.Kind), Bio: a.Bio}, userID, now)
	})
	if err != nil {
		return fmt.Errorf("store: save author %q: %w", a.Slug, err)
	}
	if sr.id != "" {
		a.ID, a.Slug = sr.id, sr.slug
	}
	return nil
}

// AuthorByID returns the byline with that ID.
func (s *Store) AuthorByID(ctx context.Context, id string) (model.Author, error) {
	var a model.Author
	if err := s.read().scanRow(ctx, "author_by_id", qAuthorByID, []any{id}, authorDest(&a)...); err != nil {
		return model.Author{}, fmt.Errorf("store: author %s: %w", id, notFound(err))
	}
	return a, nil
}

// DeleteAuthor removes a byline; articles lose it.
func (s *Store) DeleteAuthor(ctx context.Context, id string) error {
	return s.deleteContent(ctx, KindByline, "delete_author", qDeleteAuthor, id)
}

// SavePage creates the page when p.ID is empty, as CreatePage does, or else
// replaces it as UpdatePage does, as the account userID, and records the
// result as the page's next revision; but a slug that another page has is
// a validation error with exactSlug, and always when an existing page's
// slug changes.
func (s *Store) SavePage(ctx context.Context, p *model.Page, userID string, exactSlug bool) error {
	if err := validatePage(p); err != nil {
		return fmt.Errorf("store: save page: %w", err)
	}
	now := s.clock()
	sr := savedRow{id: p.ID, slug: p.Slug, at: now}
	err := s.writeContent(ctx, false, func(r *runner) error {
		if p.ID == "" {
			sr.id = newID()
			var err error
			if sr.slug, err = claimSlug(ctx, r, pagesTable, p.Slug, sr.id, exactSlug); err != nil {
				return err
			}
			if _, err = r.exec(ctx, "insert_page", qInsertPage, sr.id, sr.slug, p.Title, p.Body, p.BodyHTML, p.Language, timeArg(now), timeArg(now)); err != nil {
				return err
			}
		} else {
			if err := keepOrClaimSlug(ctx, r, pagesTable, qPageSlugByID, p.Slug, p.ID); err != nil {
				return err
			}
			if _, err := r.exec(ctx, "update_page", qUpdatePage, p.Slug, p.Title, p.Body, p.BodyHTML, p.Language, timeArg(now), p.ID); err != nil {
				return err
			}
		}
		return insertRecordRevision(ctx, r, KindPage, sr.id, p.Title, recordFields{Slug: sr.slug, Body: p.Body, Language: p.Language}, userID, now)
	})
	if err != nil {
		return fmt.Errorf("store: save page %q: %w", p.Slug, err)
	}
	sr.applyPage(p)
	return nil
}

// PageByID returns the page with that ID.
func (s *Store) PageByID(ctx context.Context, id string) (*model.Page, error) {
	p := &model.Page{}
	if err := s.read().scanRow(ctx, "page_by_id", qPageByID, []any{id}, pageDest(p)...); err != nil {
		return nil, fmt.Errorf("store: page %s: %w", id, notFound(err))
	}
	return p, nil
}

// DeletePage removes a static page.
func (s *Store) DeletePage(ctx context.Context, id string) error {
	return s.deleteContent(ctx, KindPage, "delete_page", qDeletePage, id)
}

// keepOrClaimSlug checks the slug of an existing row id of table: its
// current slug (read with slugByID) is kept, a new one must be free.
func keepOrClaimSlug(ctx context.Context, r *runner, table slugTable, slugByID, slug, id string) error {
	var current string
	if err := r.scanRow(ctx, "slug_by_id_"+string(table), slugByID, []any{id}, &current); err != nil {
		return notFound(err)
	}
	if slug == current {
		return nil
	}
	_, err := claimSlug(ctx, r, table, slug, id, true)
	return err
}

// deleteContent runs a DELETE of one row of kind by ID as a content change,
// with the row's revisions; model.ErrNotFound when there was no such row.
func (s *Store) deleteContent(ctx context.Context, kind RecordKind, name, query, id string) error {
	err := s.writeContent(ctx, false, func(r *runner) error {
		res, err := r.exec(ctx, name, query, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, model.ErrNotFound)
		}
		_, err = r.exec(ctx, "delete_record_revisions", qDeleteRecordRevisions, string(kind), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: %s %s: %w", strings.ReplaceAll(name, "_", " "), id, err)
	}
	return nil
}
