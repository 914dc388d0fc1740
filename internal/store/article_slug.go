package store

import (
	"context"
	"fmt"
	"time"
)

// An article whose slug changes while it is published keeps its old
// address as a redirect. Drafts' and scheduled articles' slugs are not
// kept: no reader has them, and an early slug may say what the newsroom
// chose not to publish. An article that takes a former slug later wins
// over the redirect, which the queries below then skip.

const (
	qArticleSlugStatus = `SELECT slug, status FROM articles WHERE id = ?`
	qRetireSlug        = `INSERT INTO article_old_slugs (slug, article_id, retired_at) VALUES (?, ?, ?)
ON CONFLICT (slug) DO UPDATE SET article_id = excluded.article_id, retired_at = excluded.retired_at`
	qArticleMovedTo = `SELECT a.slug FROM article_old_slugs o JOIN articles a ON a.id = o.article_id
WHERE o.slug = ? AND a.status = 'published' AND a.published_at <= ?
AND NOT EXISTS (SELECT 1 FROM articles x WHERE x.slug = o.slug)`
	qArticleRedirects = `SELECT o.slug, a.slug FROM article_old_slugs o JOIN articles a ON a.id = o.article_id
WHERE a.status = 'published' AND a.published_at <= ?
AND NOT EXISTS (SELECT 1 FROM articles x WHERE x.slug = o.slug) ORDER BY o.slug`
)

// SlugRedirect is a former address of a published article: From is the
// old slug, To the article's current one.
type SlugRedirect struct {
	From, To string
}

// changeSlug is called in the transaction that changes the slug of the
// article id from from: if the article is published (status as stored
// before the change), from is kept as a redirect to it.
func changeSlug(ctx context.Context, r *runner, id, status, from string, at time.Time) error {
	if status != "published" {
		return nil
	}
	_, err := r.exec(ctx, "retire_slug", qRetireSlug, from, id, timeArg(at))
	return err
}

// ArticleMovedTo returns the current slug of the article published by now
// that had the slug before, or model.ErrNotFound when there is none or
// another article has that slug now.
func (s *Store) ArticleMovedTo(ctx context.Context, slug string, now time.Time) (string, error) {
	var to string
	if err := s.read().scanRow(ctx, "article_moved_to", qArticleMovedTo, []any{slug, timeArg(now)}, &to); err != nil {
		return "", fmt.Errorf("store: old slug %q: %w", slug, notFound(err))
	}
	return to, nil
}

// ArticleRedirects lists the former slugs of the articles published by
// now, by old slug.
func (s *Store) ArticleRedirects(ctx context.Context, now time.Time) ([]SlugRedirect, error) {
	var out []SlugRedirect
	err := s.read().each(ctx, "article_redirects", qArticleRedirects, []any{timeArg(now)}, func(scan func(...any) error) error {
		var rd SlugRedirect
		if err := scan(&rd.From, &rd.To); err != nil {
			return err
		}
		out = append(out, rd)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: article redirects: %w", err)
	}
	return out, nil
}
