package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// Bundle is content that Import stores all at once: a site brought over
// from another system, or the demo site.
type Bundle struct {
	// Settings replace the site settings; nil leaves them as they are.
	Settings *model.Settings
	// Authors and Tags must each have distinct slugs, since articles name
	// them by slug.
	Authors []*model.Author
	Tags    []*model.Tag
	Pages   []*model.Page
	// Articles name each byline and tag by Slug: an author or tag of this
	// bundle, by the slug it has here, or else one already stored. A byline
	// or tag with an ID is that stored row, as in CreateArticle.
	Articles []*model.Article
	// Appeals are stored as new appeals.
	Appeals []*model.Appeal
}

// Import stores everything in b in one transaction: if anything fails,
// nothing is stored. Each item is stored as its Create method or
// SaveSettings would store it (a taken slug gets a "-2", "-3", … suffix),
// except that an article's non-zero CreatedAt and a page's non-zero
// UpdatedAt are kept, so that archives keep their history.
//
// Once committed, Import sets the IDs, final slugs and times in b's
// structs, and replaces each byline and tag an article named by slug with
// the author or tag it names. A slug that names none is a
// *model.ValidationError. The import counts as one content change.
func (s *Store) Import(ctx context.Context, b *Bundle) error {
	if err := validateBundle(b); err != nil {
		return fmt.Errorf("store: import: %w", err)
	}
	var saved *importResult
	err := s.writeContent(ctx, true, func(r *runner) error {
		var err error
		saved, err = importBundle(ctx, r, b, s.clock())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: import: %w", err)
	}
	saved.apply(b)
	return nil
}

// validateBundle checks all of b before a transaction is opened. It cannot
// check references by slug to stored rows; importBundle does.
func validateBundle(b *Bundle) error {
	if b.Settings != nil {
		if err := b.Settings.Validate(); err != nil {
			return fmt.Errorf("settings: %w", err)
		}
	}
	for i, ap := range b.Appeals {
		if err := ap.Validate(); err != nil {
			return fmt.Errorf("appeal %d: %w", i+1, err)
		}
	}
	authorSlug := func(a *model.Author) string { return a.Slug }
	if err := validateItems("byline", b.Authors, authorSlug, true, validateAuthor); err != nil {
		return err
	}
	tagSlug := func(t *model.Tag) string { return t.Slug }
	if err := validateItems("tag", b.Tags, tagSlug, true, validateTag); err != nil {
		return err
	}
	pageSlug := func(p *model.Page) string { return p.Slug }
	if err := validateItems("page", b.Pages, pageSlug, false, validatePage); err != nil {
		return err
	}
	articleSlug := func(a *model.Article) string { return a.Slug }
	return validateItems("article", b.Articles, articleSlug, false, func(a *model.Article) error {
		return articleProblems(a, "ID or slug", func(id, slug string) string { return cmp.Or(id, slug) }).err()
	})
}

// validateItems validates each of items, and with distinct set checks that
// no two share a slug. Errors name the item by its index and slug.
func validateItems[T any](what string, items []*T, slug func(*T) string, distinct bool, validate func(*T) error) error {
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		err := validate(it)
		if err == nil && distinct && seen[slug(it)] {
			err = &model.ValidationError{Fields: map[string]string{
				"slug": "another " + what + " of this import has this slug, so articles could not tell them apart"}}
		}
		if err != nil {
			return fmt.Errorf("%s %d (%q): %w", what, i, slug(it), err)
		}
		seen[slug(it)] = true
	}
	return nil
}

// importResult is what importBundle decided, in the order of the bundle's
// lists, to be applied to the bundle once the transaction has committed.
type importResult struct {
	authors, tags, pages, articles []savedRow
	// bylines and tagging are each article's authors and tags as resolved.
	bylines [][]model.Author
	tagging [][]model.Tag
}

func (res *importResult) apply(b *Bundle) {
	for i, a := range b.Authors {
		a.ID, a.Slug = res.authors[i].id, res.authors[i].slug
	}
	for i, t := range b.Tags {
		t.ID, t.Slug = res.tags[i].id, res.tags[i].slug
	}
	for i, p := range b.Pages {
		res.pages[i].applyPage(p)
	}
	for i, a := range b.Articles {
		res.articles[i].applyArticle(a)
		a.Authors, a.Tags = res.bylines[i], res.tagging[i]
	}
}

// importBundle writes the validated bundle b through r, which must be a
// transaction: a failure part-way leaves rows behind for the rollback.
func importBundle(ctx context.Context, r *runner, b *Bundle, now time.Time) (*importResult, error) {
	if b.Settings != nil {
		if err := saveSettings(ctx, r, *b.Settings); err != nil {
			return nil, fmt.Errorf("settings: %w", err)
		}
	}
	for _, ap := range b.Appeals {
		if err := insertAppeal(ctx, r, ap, now); err != nil {
			return nil, fmt.Errorf("appeal %q: %w", ap.Heading, err)
		}
	}
	res := &importResult{}
	authors := newRefResolver("authors", "byline", authorsTable, qAuthorBySlug, authorDest,
		func(a model.Author) (string, string) { return a.ID, a.Slug })
	for i, a := range b.Authors {
		sr, err := insertAuthor(ctx, r, a, now)
		if err != nil {
			return nil, fmt.Errorf("byline %d (%q): %w", i, a.Slug, err)
		}
		res.authors = append(res.authors, sr)
		stored := *a
		stored.ID, stored.Slug = sr.id, sr.slug
		authors.learn(a.Slug, stored)
	}
	tags := newRefResolver("tags", "tag", tagsTable, qTagBySlug, tagDest,
		func(t model.Tag) (string, string) { return t.ID, t.Slug })
	for i, t := range b.Tags {
		sr, err := insertTag(ctx, r, t, now)
		if err != nil {
			return nil, fmt.Errorf("tag %d (%q): %w", i, t.Slug, err)
		}
		res.tags = append(res.tags, sr)
		stored := *t
		stored.ID, stored.Slug = sr.id, sr.slug
		tags.learn(t.Slug, stored)
	}
	for i, p := range b.Pages {
		sr, err := insertPage(ctx, r, p, keptTime(p.UpdatedAt, now))
		if err != nil {
			return nil, fmt.Errorf("page %d (%q): %w", i, p.Slug, err)
		}
		res.pages = append(res.pages, sr)
	}
	slugs := newSlugPicker(articlesTable)
	for start := 0; start < len(b.Articles); start += importBatch {
		batch := b.Articles[start:min(start+importBatch, len(b.Articles))]
		if err := importArticles(ctx, r, start, batch, authors, tags, slugs, now, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// importBatch is how many articles importArticles stores with one
// statement: enough to make round trips rare, few enough that a statement
// of long articles stays a few megabytes.
const importBatch = 100

// importArticles resolves the bylines and tags of batch, the articles of
// the bundle from index first on, picks their slugs and stores them,
// adding what it decided to res. Errors name the article.
func importArticles(ctx context.Context, r *runner, first int, batch []*model.Article,
	authors *refResolver[model.Author], tags *refResolver[model.Tag], slugs *slugPicker, now time.Time, res *importResult) error {
	named := func(i int, err error) error {
		return fmt.Errorf("article %d (%q): %w", first+i, batch[i].Slug, err)
	}
	wanted := make([]string, len(batch))
	for i, a := range batch {
		wanted[i] = a.Slug
	}
	if err := slugs.prefetch(ctx, r, wanted); err != nil {
		return fmt.Errorf("articles %d to %d: %w", first, first+len(batch)-1, err)
	}
	resolved := make([]*model.Article, len(batch))
	saved := make([]savedRow, len(batch))
	for i, a := range batch {
		ra := *a
		var err error
		if ra.Authors, err = authors.resolve(ctx, r, a.Authors); err != nil {
			return named(i, err)
		}
		if ra.Tags, err = tags.resolve(ctx, r, a.Tags); err != nil {
			return named(i, err)
		}
		resolved[i] = &ra
		saved[i] = savedRow{id: newID(), at: keptTime(a.CreatedAt, now)}
		if saved[i].slug, err = slugs.pick(ctx, r, a.Slug); err != nil {
			return named(i, err)
		}
	}
	if err := insertArticles(ctx, r, resolved, saved); err != nil {
		return fmt.Errorf("articles %d to %d: %w", first, first+len(batch)-1, err)
	}
	for i, ra := range resolved {
		res.articles = append(res.articles, saved[i])
		res.bylines = append(res.bylines, ra.Authors)
		res.tagging = append(res.tagging, ra.Tags)
	}
	return nil
}

// keptTime is t as stored, or now when t is zero.
func keptTime(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return normTime(t)
}

// refResolver finds the authors or tags that articles name by slug: first
// among those of the bundle, by the slug the bundle gave them, then among
// stored ones, which it remembers once found. It also checks that those
// named by ID are stored, so that a wrong ID is reported with the article
// naming it rather than by a statement storing many articles.
type refResolver[T any] struct {
	field, what string // for errors: "authors" and "byline"
	table       slugTable
	bySlug      string // the query selecting a stored row by slug
	dest        func(*T) []any
	key         func(T) (id, slug string)
	known       map[string]T    // by the slug articles name them by
	stored      map[string]bool // IDs known to be stored
}

func newRefResolver[T any](field, what string, table slugTable, bySlug string, dest func(*T) []any, key func(T) (string, string)) *refResolver[T] {
	return &refResolver[T]{field: field, what: what, table: table, bySlug: bySlug, dest: dest, key: key,
		known: map[string]T{}, stored: map[string]bool{}}
}

// learn records row as the one articles name by slug.
func (rr *refResolver[T]) learn(slug string, row T) {
	rr.known[slug] = row
	id, _ := rr.key(row)
	rr.stored[id] = true
}

// resolve returns refs with each one that has no ID replaced by the row its
// slug names. Naming one row twice, or an ID no row has, is a conflict.
func (rr *refResolver[T]) resolve(ctx context.Context, r *runner, refs []T) ([]T, error) {
	out := slices.Clone(refs)
	seen := make(map[string]bool, len(refs))
	for i, ref := range refs {
		id, slug := rr.key(ref)
		if id == "" {
			row, err := rr.lookup(ctx, r, slug)
			if err != nil {
				return nil, err
			}
			out[i] = row
			id, _ = rr.key(row)
		} else if err := rr.check(ctx, r, id); err != nil {
			return nil, err
		}
		if seen[id] {
			return nil, fmt.Errorf("%s: %w: %s %s is named twice (by ID and by slug)", rr.field, model.ErrConflict, rr.what, id)
		}
		seen[id] = true
	}
	return out, nil
}

// lookup returns the row articles name by slug.
func (rr *refResolver[T]) lookup(ctx context.Context, r *runner, slug string) (T, error) {
	row, ok := rr.known[slug]
	if ok {
		return row, nil
	}
	err := r.scanRow(ctx, rr.what+"_by_slug", rr.bySlug, []any{slug}, rr.dest(&row)...)
	if errors.Is(err, sql.ErrNoRows) {
		return row, &model.ValidationError{Fields: map[string]string{
			rr.field: fmt.Sprintf("no %s has the slug %q, in this import or already stored", rr.what, slug)}}
	}
	if err != nil {
		return row, err
	}
	rr.learn(slug, row)
	return row, nil
}

// check makes sure a row with the given ID is stored.
func (rr *refResolver[T]) check(ctx context.Context, r *runner, id string) error {
	if rr.stored[id] {
		return nil
	}
	var found string
	err := r.scanRow(ctx, rr.what+"_by_id", "SELECT id FROM "+string(rr.table)+" WHERE id = ?", []any{id}, &found)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w: no %s has the ID %q", rr.field, model.ErrConflict, rr.what, id)
	}
	if err != nil {
		return err
	}
	rr.stored[id] = true
	return nil
}
