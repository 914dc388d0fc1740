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
	pageColumns   = `id, slug, title, body, body_html, language, updated_at`
	qInsertPage   = `INSERT INTO pages (id, slug, title, body, body_html, language, updated_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	qUpdatePage   = `UPDATE pages SET slug = ?, title = ?, body = ?, body_html = ?, language = ?, updated_at = ? WHERE id = ?`
	qPageSlugByID = `SELECT slug FROM pages WHERE id = ?`
	qPageBySlug   = `SELECT ` + pageColumns + ` FROM pages WHERE slug = ?`
	qListPages    = `SELECT ` + pageColumns + ` FROM pages`
)

// CreatePage stores a new static page and sets p.ID and p.UpdatedAt. The
// caller makes p.Slug; if it is taken, a "-2", "-3", … suffix makes it
// unique and p.Slug is updated.
func (s *Store) CreatePage(ctx context.Context, p *model.Page) error {
	if err := validatePage(p); err != nil {
		return fmt.Errorf("store: create page: %w", err)
	}
	var saved savedRow
	err := s.writeContent(ctx, false, func(r *runner) error {
		var err error
		saved, err = insertPage(ctx, r, p, s.clock())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create page %q: %w", p.Slug, err)
	}
	saved.applyPage(p)
	return nil
}

// insertPage stores a new page under a unique slug, created and last
// updated at; p is left as it is.
func insertPage(ctx context.Context, r *runner, p *model.Page, at time.Time) (savedRow, error) {
	sr := savedRow{id: newID(), at: at}
	var err error
	if sr.slug, err = uniqueSlug(ctx, r, pagesTable, p.Slug, sr.id); err != nil {
		return sr, err
	}
	_, err = r.exec(ctx, "insert_page", qInsertPage, sr.id, sr.slug, p.Title, p.Body, p.BodyHTML, p.Language, timeArg(at), timeArg(at))
	return sr, err
}

func (sr savedRow) applyPage(p *model.Page) {
	p.ID, p.Slug, p.UpdatedAt = sr.id, sr.slug, sr.at
}

// UpdatePage replaces the page p.ID and sets p.UpdatedAt. A changed p.Slug
// is made unique as in CreatePage.
func (s *Store) UpdatePage(ctx context.Context, p *model.Page) error {
	if err := validatePage(p); err != nil {
		return fmt.Errorf("store: update page: %w", err)
	}
	now := s.clock()
	var slug string
	err := s.writeContent(ctx, false, func(r *runner) error {
		var current string
		if err := r.scanRow(ctx, "page_slug_by_id", qPageSlugByID, []any{p.ID}, &current); err != nil {
			return notFound(err)
		}
		slug = p.Slug
		if slug != current {
			var err error
			if slug, err = uniqueSlug(ctx, r, pagesTable, p.Slug, p.ID); err != nil {
				return err
			}
		}
		_, err := r.exec(ctx, "update_page", qUpdatePage, slug, p.Title, p.Body, p.BodyHTML, p.Language, timeArg(now), p.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: update page %s: %w", p.ID, err)
	}
	p.Slug, p.UpdatedAt = slug, now
	return nil
}

// PageBySlug returns the page with that slug.
func (s *Store) PageBySlug(ctx context.Context, slug string) (*model.Page, error) {
	p := &model.Page{}
	if err := s.read().scanRow(ctx, "page_by_slug", qPageBySlug, []any{slug}, pageDest(p)...); err != nil {
		return nil, fmt.Errorf("store: page %q: %w", slug, notFound(err))
	}
	return p, nil
}

// ListPages returns every page, ordered by title.
func (s *Store) ListPages(ctx context.Context) ([]*model.Page, error) {
	var pages []*model.Page
	err := s.read().each(ctx, "list_pages", qListPages, nil, func(scan func(...any) error) error {
		p := &model.Page{}
		pages = append(pages, p)
		return scan(pageDest(p)...)
	})
	if err != nil {
		return nil, fmt.Errorf("store: list pages: %w", err)
	}
	slices.SortFunc(pages, func(a, b *model.Page) int {
		return cmp.Or(compareNames(a.Title, b.Title), strings.Compare(a.Slug, b.Slug))
	})
	return pages, nil
}

func validatePage(p *model.Page) error {
	pr := problems{}
	pr.require("title", p.Title, "a page needs a title")
	pr.require("slug", p.Slug, "a page needs a slug")
	return pr.err()
}

// pageDest lists scan destinations matching pageColumns.
func pageDest(p *model.Page) []any {
	return []any{&p.ID, &p.Slug, &p.Title, &p.Body, &p.BodyHTML, &p.Language, scanTime(&p.UpdatedAt)}
}
