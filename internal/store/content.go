package store

import (
	"context"
	"fmt"
	"strconv"
)

const (
	qBumpContent    = `UPDATE content_state SET version = version + 1 WHERE id = 1`
	qContentVersion = `SELECT version FROM content_state WHERE id = 1`
	qContentIsEmpty = `SELECT CASE WHEN EXISTS (SELECT 1 FROM articles) OR EXISTS (SELECT 1 FROM pages) THEN 0 ELSE 1 END`
)

// bumpContent records that content changed. It runs in the same transaction
// as the change, so a poller never sees the new version before the content.
func bumpContent(ctx context.Context, r *runner) error {
	_, err := r.exec(ctx, "bump_content", qBumpContent)
	return err
}

// ContentVersion returns a number that grows with every content write.
// Servers sharing the database poll it to know when to drop their caches.
func (s *Store) ContentVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.read().scanRow(ctx, "content_version", qContentVersion, nil, &v); err != nil {
		return 0, fmt.Errorf("store: content version: %w", err)
	}
	return v, nil
}

// IsEmpty reports whether there are neither articles nor pages, as in a
// fresh installation.
func (s *Store) IsEmpty(ctx context.Context) (bool, error) {
	var empty int
	if err := s.read().scanRow(ctx, "content_is_empty", qContentIsEmpty, nil, &empty); err != nil {
		return false, fmt.Errorf("store: is empty: %w", err)
	}
	return empty == 1, nil
}

// slugTable names a table whose rows have a unique slug.
type slugTable string

const (
	articlesTable slugTable = "articles"
	authorsTable  slugTable = "authors"
	tagsTable     slugTable = "tags"
	pagesTable    slugTable = "pages"
)

// slugProbes are the suffixes uniqueSlug checks in its first query: every
// one up to 10, then doubling, to bracket long runs of duplicates.
var slugProbes = func() []int {
	var ns []int
	for n := 1; n <= 10; n++ {
		ns = append(ns, n)
	}
	for n := 20; n <= 655_360; n *= 2 {
		ns = append(ns, n)
	}
	return ns
}()

// uniqueSlug returns slug if no row of table other than selfID has it, else
// slug-n for a free n ≥ 2: the lowest free one while the suffixes in use
// have no gaps, as when this function made them all. One query checks
// slug, slug-2 … slug-10 and slug-20, slug-40, …; past ten duplicates it
// bisects between the last taken and the first free of those, so the
// thousandth "morning-briefing" costs a dozen indexed lookups, not a hundred.
func uniqueSlug(ctx context.Context, r *runner, table slugTable, slug, selfID string) (string, error) {
	return pickSlug(slug, func(ns []int) (map[int]bool, error) {
		return takenSuffixes(ctx, r, table, slug, selfID, ns)
	})
}

// pickSlug is uniqueSlug's search, asking taken which of slug's suffixes
// are in use.
func pickSlug(slug string, taken func(ns []int) (map[int]bool, error)) (string, error) {
	probed, err := taken(slugProbes)
	if err != nil {
		return "", err
	}
	lo, hi := 0, 0 // lo: a taken suffix; hi: a free one above it
	for _, n := range slugProbes {
		if !probed[n] {
			if n <= 10 {
				return slugWithSuffix(slug, n), nil
			}
			hi = n
			break
		}
		lo = n
	}
	if hi == 0 {
		return "", fmt.Errorf("every suffix of slug %q up to %d is taken", slug, lo)
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		probed, err := taken([]int{mid})
		if err != nil {
			return "", err
		}
		if probed[mid] {
			lo = mid
		} else {
			hi = mid
		}
	}
	return slugWithSuffix(slug, hi), nil
}

// slugPicker makes slugs unique, as uniqueSlug does, for many new rows of
// one table written in one transaction. It asks about the slugs of many rows
// in one query and remembers the answers and the slugs it handed out, so a
// bulk import costs a query per batch rather than one per row.
type slugPicker struct {
	table slugTable
	// taken holds every slug asked about: true when a row has it or this
	// picker handed it out.
	taken map[string]bool
}

func newSlugPicker(table slugTable) *slugPicker {
	return &slugPicker{table: table, taken: map[string]bool{}}
}

// prefetch asks in one query about every suffix pick probes first for each
// of slugs.
func (sp *slugPicker) prefetch(ctx context.Context, r *runner, slugs []string) error {
	var ask []any
	for _, slug := range slugs {
		for _, n := range slugProbes {
			c := slugWithSuffix(slug, n)
			if _, known := sp.taken[c]; !known {
				sp.taken[c] = false
				ask = append(ask, c)
			}
		}
	}
	if len(ask) == 0 {
		return nil
	}
	query := "SELECT slug FROM " + string(sp.table) + " WHERE slug IN (" + placeholders(len(ask)) + ")"
	found, err := r.strings(ctx, "taken_slugs_"+string(sp.table)+"_bulk", query, ask...)
	for _, c := range found {
		sp.taken[c] = true
	}
	return err
}

// pick returns the slug for a new row and keeps it from being handed out
// again. Suffixes prefetch did not ask about are looked up one query at a
// time.
func (sp *slugPicker) pick(ctx context.Context, r *runner, slug string) (string, error) {
	got, err := pickSlug(slug, func(ns []int) (map[int]bool, error) {
		var unknown []int
		for _, n := range ns {
			if _, known := sp.taken[slugWithSuffix(slug, n)]; !known {
				unknown = append(unknown, n)
			}
		}
		if len(unknown) > 0 {
			found, err := takenSuffixes(ctx, r, sp.table, slug, "", unknown)
			if err != nil {
				return nil, err
			}
			for _, n := range unknown {
				sp.taken[slugWithSuffix(slug, n)] = found[n]
			}
		}
		probed := make(map[int]bool, len(ns))
		for _, n := range ns {
			probed[n] = sp.taken[slugWithSuffix(slug, n)]
		}
		return probed, nil
	})
	if err != nil {
		return "", err
	}
	sp.taken[got] = true
	return got, nil
}

// takenSuffixes reports which of slug's suffixes ns rows of table other than
// selfID already use.
func takenSuffixes(ctx context.Context, r *runner, table slugTable, slug, selfID string, ns []int) (map[int]bool, error) {
	query := "SELECT slug FROM " + string(table) + " WHERE slug IN (" + placeholders(len(ns)) + ") AND id <> ?"
	args := make([]any, 0, len(ns)+1)
	bySlug := make(map[string]int, len(ns))
	for _, n := range ns {
		c := slugWithSuffix(slug, n)
		args = append(args, c)
		bySlug[c] = n
	}
	rows, err := r.strings(ctx, "taken_slugs_"+string(table), query, append(args, selfID)...)
	if err != nil {
		return nil, err
	}
	taken := make(map[int]bool, len(rows))
	for _, s := range rows {
		taken[bySlug[s]] = true
	}
	return taken, nil
}

// slugWithSuffix returns slug for n == 1 and slug-n otherwise.
func slugWithSuffix(slug string, n int) string {
	if n == 1 {
		return slug
	}
	return slug + "-" + strconv.Itoa(n)
}

// strings runs a query returning one text column.
func (r *runner) strings(ctx context.Context, name, query string, args ...any) ([]string, error) {
	var out []string
	err := r.each(ctx, name, query, args, func(scan func(...any) error) error {
		var v string
		err := scan(&v)
		out = append(out, v)
		return err
	})
	return out, err
}
