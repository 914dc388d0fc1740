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
	authorColumns = `id, slug, name, kind, bio`
	qInsertAuthor = `INSERT INTO authors (id, slug, name, kind, bio, created_at) VALUES (?, ?, ?, ?, ?, ?)`
	qAuthorBySlug = `SELECT ` + authorColumns + ` FROM authors WHERE slug = ?`
	qListAuthors  = `SELECT ` + authorColumns + ` FROM authors`
)

// CreateAuthor adds a byline and sets a.ID. The caller makes a.Slug; if it
// is taken, a "-2", "-3", … suffix makes it unique and a.Slug is updated.
func (s *Store) CreateAuthor(ctx context.Context, a *model.Author) error {
	if err := validateAuthor(a); err != nil {
		return fmt.Errorf("store: create author: %w", err)
	}
	var saved savedRow
	err := s.write(ctx, false, func(r *runner) error {
		var err error
		saved, err = insertAuthor(ctx, r, a, s.clock())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create author %q: %w", a.Slug, err)
	}
	a.ID, a.Slug = saved.id, saved.slug
	return nil
}

func validateAuthor(a *model.Author) error {
	p := problems{}
	p.require("name", a.Name, "a byline needs a name")
	p.require("slug", a.Slug, "a byline needs a slug")
	if !a.Kind.Valid() {
		p["kind"] = fmt.Sprintf("%q is not a byline kind; use staff, pseudonym or agency", a.Kind)
	}
	return p.err()
}

// insertAuthor stores a new byline under a unique slug; a is left as it is.
func insertAuthor(ctx context.Context, r *runner, a *model.Author, now time.Time) (savedRow, error) {
	sr := savedRow{id: newID()}
	var err error
	if sr.slug, err = uniqueSlug(ctx, r, authorsTable, a.Slug, sr.id); err != nil {
		return sr, err
	}
	_, err = r.exec(ctx, "insert_author", qInsertAuthor, sr.id, sr.slug, a.Name, string(a.Kind), a.Bio, timeArg(now))
	return sr, err
}

// AuthorBySlug returns the byline with that slug.
func (s *Store) AuthorBySlug(ctx context.Context, slug string) (model.Author, error) {
	var a model.Author
	err := s.read().scanRow(ctx, "author_by_slug", qAuthorBySlug, []any{slug}, authorDest(&a)...)
	if err != nil {
		return model.Author{}, fmt.Errorf("store: author %q: %w", slug, notFound(err))
	}
	return a, nil
}

// ListAuthors returns every byline, ordered by name.
func (s *Store) ListAuthors(ctx context.Context) ([]model.Author, error) {
	var authors []model.Author
	err := s.read().each(ctx, "list_authors", qListAuthors, nil, func(scan func(...any) error) error {
		var a model.Author
		err := scan(authorDest(&a)...)
		authors = append(authors, a)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list authors: %w", err)
	}
	slices.SortFunc(authors, func(a, b model.Author) int {
		return cmp.Or(compareNames(a.Name, b.Name), strings.Compare(a.Slug, b.Slug))
	})
	return authors, nil
}

// authorDest lists scan destinations matching authorColumns.
func authorDest(a *model.Author) []any {
	return []any{&a.ID, &a.Slug, &a.Name, (*string)(&a.Kind), &a.Bio}
}

// compareNames orders names for people: case-insensitively, then exactly.
// It runs in Go because SQL text order depends on the engine and, on
// PostgreSQL, on the database's collation.
func compareNames(a, b string) int {
	return cmp.Or(strings.Compare(strings.ToLower(a), strings.ToLower(b)), strings.Compare(a, b))
}

// problems collects validation failures by field.
type problems map[string]string

// require records msg for field when value is blank.
func (p problems) require(field, value, msg string) {
	if strings.TrimSpace(value) == "" {
		p[field] = msg
	}
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &model.ValidationError{Fields: p}
}
