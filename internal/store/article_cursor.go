package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// ArticleCursor is a position in a list of articles: the sort time and ID
// of the last article already seen.
type ArticleCursor struct {
	At time.Time
	ID string
}

// ArticlePageQuery selects one page of articles for keyset ("cursor")
// pagination, which stays correct while articles are being published,
// unlike an offset.
//
// With PublishedAsOf set, the list holds the articles a reader may see at
// that instant, in publication order (PublishedAt, then ID, newest first),
// and the cursor's At is a PublishedAt. Without it, the list holds articles
// of every status in the order they were created (CreatedAt, then ID,
// newest first), and the cursor's At is a CreatedAt.
type ArticlePageQuery struct {
	PublishedAsOf time.Time
	ID            string       // only the article with this ID
	Status        model.Status // only this status; "" for all
	TagSlug       string
	AuthorSlug    string
	Language      string // compared case-insensitively
	// From and To bound PublishedAt to [From, To) when non-zero.
	From, To time.Time
	// APIKeyID, when set, keeps only the articles that key created.
	APIKeyID string
	// After, when set, starts the page after this position.
	After *ArticleCursor
	// Limit is the page size, at least 1.
	Limit    int
	WithBody bool
}

// ArticlePage returns the articles q selects, with bylines and tags. An
// unknown tag or author slug selects nothing rather than failing, so that
// the answer does not tell whether an unpublished tag exists.
func (s *Store) ArticlePage(ctx context.Context, q ArticlePageQuery) ([]*model.Article, error) {
	if q.Limit < 1 {
		return nil, fmt.Errorf("store: article page: %w", &model.ValidationError{Fields: map[string]string{
			"limit": "a page holds at least one article"}})
	}
	var f filter
	timeCol := "a.created_at"
	if !q.PublishedAsOf.IsZero() {
		f.add("a.status = 'published' AND a.published_at <= ?", timeArg(q.PublishedAsOf))
		timeCol = "a.published_at"
	}
	if q.ID != "" {
		f.add("a.id = ?", q.ID)
	}
	if q.Status != "" {
		f.add("a.status = ?", string(q.Status))
	}
	if q.TagSlug != "" {
		f.add("EXISTS (SELECT 1 FROM article_tags x JOIN tags t ON t.id = x.tag_id WHERE x.article_id = a.id AND t.slug = ?)", q.TagSlug)
	}
	if q.AuthorSlug != "" {
		f.add("EXISTS (SELECT 1 FROM article_authors x JOIN authors au ON au.id = x.author_id WHERE x.article_id = a.id AND au.slug = ?)", q.AuthorSlug)
	}
	if q.Language != "" {
		f.add("LOWER(a.language) = ?", strings.ToLower(q.Language))
	}
	if !q.From.IsZero() {
		f.add("a.published_at >= ?", timeArg(q.From))
	}
	if !q.To.IsZero() {
		f.add("a.published_at < ?", timeArg(q.To))
	}
	if q.APIKeyID != "" {
		f.add("EXISTS (SELECT 1 FROM api_key_articles k WHERE k.article_id = a.id AND k.key_id = ?)", q.APIKeyID)
	}
	if q.After != nil {
		// A row value comparison lets both engines seek the list's index.
		f.add("("+timeCol+", a.id) < (?, ?)", timeArg(q.After.At), q.After.ID)
	}
	cols := articleHeadColumns + ", " + articleTailColumns
	if q.WithBody {
		cols = articleHeadColumns + ", " + articleBodyColumns + ", " + articleTailColumns
	}
	query := "SELECT " + cols + " FROM articles a" + f.where() +
		" ORDER BY " + timeCol + " DESC, a.id DESC LIMIT ?"
	r := s.read()
	rows, err := r.query(ctx, "article_page", query, append(slices.Clip(f.args), q.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: article page: %w", err)
	}
	defer rows.Close()
	var list []*model.Article
	for rows.Next() {
		a := &model.Article{}
		var img model.Image
		if err := rows.Scan(articleDest(a, &img, q.WithBody)...); err != nil {
			return nil, fmt.Errorf("store: article page: %w", err)
		}
		setLeadImage(a, img)
		list = append(list, a)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("store: article page: %w", err)
	}
	if err := loadRelations(ctx, r, list); err != nil {
		return nil, fmt.Errorf("store: article page: %w", err)
	}
	return list, nil
}

// AuthorCount is a byline with the number of published articles carrying
// it.
type AuthorCount struct {
	model.Author
	Count int
}

const qAuthorCounts = `SELECT au.id, au.slug, au.name, au.kind, au.bio, COUNT(a.id)
FROM authors au
LEFT JOIN article_authors x ON x.author_id = au.id
LEFT JOIN articles a ON a.id = x.article_id AND a.status = 'published' AND a.published_at <= ?
GROUP BY au.id, au.slug, au.name, au.kind, au.bio`

// AuthorCounts returns every byline with the number of articles published
// as of asOf (every published article when asOf is zero), bylines without
// any included, ordered by name.
func (s *Store) AuthorCounts(ctx context.Context, asOf time.Time) ([]AuthorCount, error) {
	var authors []AuthorCount
	err := s.read().each(ctx, "author_counts", qAuthorCounts, []any{asOfArg(asOf)}, func(scan func(...any) error) error {
		var a AuthorCount
		err := scan(append(authorDest(&a.Author), &a.Count)...)
		authors = append(authors, a)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: author counts: %w", err)
	}
	slices.SortFunc(authors, func(a, b AuthorCount) int {
		return cmp.Or(compareNames(a.Name, b.Name), strings.Compare(a.Slug, b.Slug))
	})
	return authors, nil
}
