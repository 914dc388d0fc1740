package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tamizdat/tamizdat/internal/model"
)

// The desk's edits of tags, bylines and static pages. Each bumps the
// content version: their names and texts appear on published pages.
const (
	qTagByID      = `SELECT ` + tagColumns + `, ` + latestRecordRevision + ` FROM tags x WHERE x.id = ?`
	qAllTags      = `SELECT ` + tagColumns + ` FROM tags`
	qUpdateTag    = `UPDATE tags SET slug = ?, name = ?, description = ? WHERE id = ?`
	qDeleteTag    = `DELETE FROM tags WHERE id = ?`
	qAuthorByID   = `SELECT ` + authorColumns + `, ` + latestRecordRevision + ` FROM authors x WHERE x.id = ?`
	qUpdateAuthor = `UPDATE authors SET slug = ?, name = ?, kind = ?, bio = ? WHERE id = ?`
	qDeleteAuthor = `DELETE FROM authors WHERE id = ?`
	qPageByID     = `SELECT ` + pageColumns + `, ` + latestRecordRevision + ` FROM pages x WHERE x.id = ?`
	qDeletePage   = `DELETE FROM pages WHERE id = ?`
)

// SaveTag creates the tag when t.ID is empty and sets t.ID, or else
// replaces the tag t.ID, as the account userID, and records the result as
// the tag's next revision. A slug another tag has is suffixed on creation,
// or with exactSlug, and on every change of slug, a validation error.
// baseRevision is the revision the editor started from, as TagByID gave
// it: if another save came since, nothing changes and the error is a
// *StaleError (ErrStaleRevision).
func (s *Store) SaveTag(ctx context.Context, t *model.Tag, userID string, exactSlug bool, baseRevision int) error {
	if err := validateTag(t); err != nil {
		return fmt.Errorf("store: save tag: %w", err)
	}
	sr, err := s.saveRecord(ctx, recordSave{kind: KindTag, id: t.ID, slug: t.Slug, exact: exactSlug, base: baseRevision,
		title: t.Name, fields: recordFields{Description: t.Description}, userID: userID,
		insert: func(r *runner, sr savedRow) error {
			_, err := r.exec(ctx, "insert_tag", qInsertTag, sr.id, sr.slug, t.Name, t.Description, timeArg(sr.at))
			return err
		},
		update: func(r *runner, sr savedRow) error {
			_, err := r.exec(ctx, "update_tag", qUpdateTag, sr.slug, t.Name, t.Description, sr.id)
			return err
		}})
	if err != nil {
		return fmt.Errorf("store: save tag %q: %w", t.Slug, err)
	}
	t.ID, t.Slug = sr.id, sr.slug
	return nil
}

// TagByID returns the tag with that ID and the number of its latest
// revision, 0 when the desk never saved it.
func (s *Store) TagByID(ctx context.Context, id string) (model.Tag, int, error) {
	var (
		t        model.Tag
		revision int
	)
	if err := s.read().scanRow(ctx, "tag_by_id", qTagByID, []any{string(KindTag), id}, append(tagDest(&t), &revision)...); err != nil {
		return model.Tag{}, 0, fmt.Errorf("store: tag %s: %w", id, notFound(err))
	}
	return t, revision, nil
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
func (s *Store) DeleteTag(ctx context.Context, id string, baseRevision int) error {
	return s.deleteContent(ctx, KindTag, "delete_tag", qDeleteTag, id, baseRevision)
}

// SaveAuthor creates the byline when a.ID is empty and sets a.ID, or else
// replaces the byline a.ID, as the account userID, with slugs, revisions
// and baseRevision as in SaveTag.
func (s *Store) SaveAuthor(ctx context.Context, a *model.Author, userID string, exactSlug bool, baseRevision int) error {
	if err := validateAuthor(a); err != nil {
		return fmt.Errorf("store: save author: %w", err)
	}
	sr, err := s.saveRecord(ctx, recordSave{kind: KindByline, id: a.ID, slug: a.Slug, exact: exactSlug, base: baseRevision,
		title: a.Name, fields: recordFields{AuthorKind: string(a.Kind), Bio: a.Bio}, userID: userID,
		insert: func(r *runner, sr savedRow) error {
			_, err := r.exec(ctx, "insert_author", qInsertAuthor, sr.id, sr.slug, a.Name, string(a.Kind), a.Bio, timeArg(sr.at))
			return err
		},
		update: func(r *runner, sr savedRow) error {
			_, err := r.exec(ctx, "update_author", qUpdateAuthor, sr.slug, a.Name, string(a.Kind), a.Bio, sr.id)
			return err
		}})
	if err != nil {
		return fmt.Errorf("store: save author %q: %w", a.Slug, err)
	}
	a.ID, a.Slug = sr.id, sr.slug
	return nil
}

// AuthorByID returns the byline with that ID and the number of its latest
// revision, as TagByID does.
func (s *Store) AuthorByID(ctx context.Context, id string) (model.Author, int, error) {
	var (
		a        model.Author
		revision int
	)
	if err := s.read().scanRow(ctx, "author_by_id", qAuthorByID, []any{string(KindByline), id}, append(authorDest(&a), &revision)...); err != nil {
		return model.Author{}, 0, fmt.Errorf("store: author %s: %w", id, notFound(err))
	}
	return a, revision, nil
}

// DeleteAuthor removes a byline; articles lose it.
func (s *Store) DeleteAuthor(ctx context.Context, id string, baseRevision int) error {
	return s.deleteContent(ctx, KindByline, "delete_author", qDeleteAuthor, id, baseRevision)
}

// SavePage creates the page when p.ID is empty, as CreatePage does, or else
// replaces it as UpdatePage does, as the account userID, and records the
// result as the page's next revision; but a slug that another page has is
// a validation error with exactSlug, and always when an existing page's
// slug changes. baseRevision is as in SaveTag.
func (s *Store) SavePage(ctx context.Context, p *model.Page, userID string, exactSlug bool, baseRevision int) error {
	if err := validatePage(p); err != nil {
		return fmt.Errorf("store: save page: %w", err)
	}
	sr, err := s.saveRecord(ctx, recordSave{kind: KindPage, id: p.ID, slug: p.Slug, exact: exactSlug, base: baseRevision,
		title: p.Title, fields: recordFields{Body: p.Body, Language: p.Language}, userID: userID,
		insert: func(r *runner, sr savedRow) error {
			_, err := r.exec(ctx, "insert_page", qInsertPage, sr.id, sr.slug, p.Title, p.Body, p.BodyHTML, p.Language, timeArg(sr.at), timeArg(sr.at))
			return err
		},
		update: func(r *runner, sr savedRow) error {
			_, err := r.exec(ctx, "update_page", qUpdatePage, sr.slug, p.Title, p.Body, p.BodyHTML, p.Language, timeArg(sr.at), sr.id)
			return err
		}})
	if err != nil {
		return fmt.Errorf("store: save page %q: %w", p.Slug, err)
	}
	sr.applyPage(p)
	return nil
}

// PageByID returns the page with that ID and the number of its latest
// revision, as TagByID does.
func (s *Store) PageByID(ctx context.Context, id string) (*model.Page, int, error) {
	p := &model.Page{}
	var revision int
	if err := s.read().scanRow(ctx, "page_by_id", qPageByID, []any{string(KindPage), id}, append(pageDest(p), &revision)...); err != nil {
		return nil, 0, fmt.Errorf("store: page %s: %w", id, notFound(err))
	}
	return p, revision, nil
}

// DeletePage removes a static page.
func (s *Store) DeletePage(ctx context.Context, id string, baseRevision int) error {
	return s.deleteContent(ctx, KindPage, "delete_page", qDeletePage, id, baseRevision)
}

// deleteContent runs a DELETE of one row of kind by ID as a content change,
// with the row's revisions; model.ErrNotFound when there was no such row.
// baseRevision, unless 0, is the revision the person deleting it saw: if
// the row was saved since, nothing is deleted and the error is
// ErrStaleRevision (a *StaleError).
func (s *Store) deleteContent(ctx context.Context, kind RecordKind, name, query, id string, baseRevision int) error {
	err := s.writeContent(ctx, false, func(r *runner) error {
		// The DELETE first: it takes the row's lock on PostgreSQL, so a
		// save either committed before and is counted below, or waits and
		// finds the row gone.
		res, err := r.exec(ctx, name, query, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, model.ErrNotFound)
		}
		if baseRevision != 0 {
			latest, err := latestRecordNumber(ctx, r, kind, id)
			if err != nil {
				return err
			}
			if latest != baseRevision {
				return ErrStaleRevision
			}
		}
		_, err = r.exec(ctx, "delete_record_revisions", qDeleteRecordRevisions, string(kind), id)
		return err
	})
	if errors.Is(err, ErrStaleRevision) {
		err = s.stale(ctx, "latest_record_revision", qLatestRecordRevision, string(kind), id)
	}
	if err != nil {
		return fmt.Errorf("store: %s %s: %w", strings.ReplaceAll(name, "_", " "), id, err)
	}
	return nil
}
