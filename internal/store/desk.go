package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tamizdat/tamizdat/internal/model"
)

// ArticleRecord is an article as the desk edits it: with the account that
// created it and its latest revision.
type ArticleRecord struct {
	Article *model.Article
	// CreatedBy is the user ID of the account that created the article;
	// "" for imported and demo articles.
	CreatedBy string
	// Revision is the number of the latest revision; 0 when the article was
	// never saved through the desk. The lists of the desk leave it 0.
	Revision int
}

// DeskQuery selects articles for the desk's list. The zero value lists
// every article.
type DeskQuery struct {
	Status    model.Status // "" for every status
	AuthorID  string       // with this byline
	TagID     string       // with this tag
	CreatedBy string       // created by this account
	// Title selects titles containing it, ignoring case (ASCII letters
	// only on SQLite).
	Title  string
	Limit  int // 0 means no limit
	Offset int
}

const qArticleRecordByID = `SELECT ` + articleHeadColumns + `, ` + articleBodyColumns + `, ` + articleTailColumns + `,
COALESCE(a.created_by, ''), (SELECT COALESCE(MAX(v.number), 0) FROM revisions v WHERE v.article_id = a.id)
FROM articles a WHERE a.id = ?`

// ArticleRecordByID returns the article with that ID, whatever its status,
// with its body, bylines, tags, creator and latest revision.
func (s *Store) ArticleRecordByID(ctx context.Context, id string) (ArticleRecord, error) {
	r := s.read()
	rec := ArticleRecord{Article: &model.Article{}}
	var img model.Image
	dest := append(articleDest(rec.Article, &img, true), &rec.CreatedBy, &rec.Revision)
	if err := r.scanRow(ctx, "article_record_by_id", qArticleRecordByID, []any{id}, dest...); err != nil {
		return ArticleRecord{}, fmt.Errorf("store: article %s: %w", id, notFound(err))
	}
	setLeadImage(rec.Article, img)
	if err := loadRelations(ctx, r, []*model.Article{rec.Article}); err != nil {
		return ArticleRecord{}, fmt.Errorf("store: article %s: %w", id, err)
	}
	return rec, nil
}

// DeskArticles returns one page of the articles q selects, without their
// bodies, in the order of ListArticles (undated drafts first, then newest
// first), and how many q selects in all.
func (s *Store) DeskArticles(ctx context.Context, q DeskQuery) ([]ArticleRecord, int, error) {
	if q.Limit < 0 || q.Offset < 0 {
		return nil, 0, fmt.Errorf("store: desk articles: %w", &model.ValidationError{Fields: map[string]string{
			"page": "limit and offset cannot be negative"}})
	}
	var f filter
	if q.Status != "" {
		f.add("a.status = ?", string(q.Status))
	}
	if q.TagID != "" {
		f.add("EXISTS (SELECT 1 FROM article_tags x WHERE x.article_id = a.id AND x.tag_id = ?)", q.TagID)
	}
	if q.AuthorID != "" {
		f.add("EXISTS (SELECT 1 FROM article_authors x WHERE x.article_id = a.id AND x.author_id = ?)", q.AuthorID)
	}
	if q.CreatedBy != "" {
		f.add("a.created_by = ?", q.CreatedBy)
	}
	if t := strings.TrimSpace(q.Title); t != "" {
		f.add(`lower(a.title) LIKE ? ESCAPE '\'`, "%"+escapeLike(strings.ToLower(t))+"%")
	}
	r := s.read()
	var total int
	if err := r.scanRow(ctx, "count_desk_articles", "SELECT COUNT(*) FROM articles a"+f.where(), f.args, &total); err != nil {
		return nil, 0, fmt.Errorf("store: desk articles: %w", err)
	}
	query := "SELECT " + articleHeadColumns + ", " + articleTailColumns + ", COALESCE(a.created_by, '') FROM articles a" +
		f.where() + " ORDER BY a.published_at DESC NULLS FIRST, a.id DESC"
	args := f.args
	if q.Limit > 0 || q.Offset > 0 {
		limit := q.Limit
		if limit == 0 {
			limit = math.MaxInt64
		}
		query += " LIMIT ? OFFSET ?"
		args = append(slices.Clip(args), limit, q.Offset)
	}
	rows, err := r.query(ctx, "desk_articles", query, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: desk articles: %w", err)
	}
	defer rows.Close()
	var (
		list     []ArticleRecord
		articles []*model.Article
	)
	for rows.Next() {
		rec := ArticleRecord{Article: &model.Article{}}
		var img model.Image
		if err := rows.Scan(append(articleDest(rec.Article, &img, false), &rec.CreatedBy)...); err != nil {
			return nil, 0, fmt.Errorf("store: desk articles: %w", err)
		}
		setLeadImage(rec.Article, img)
		list = append(list, rec)
		articles = append(articles, rec.Article)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, 0, fmt.Errorf("store: desk articles: %w", err)
	}
	if err := loadRelations(ctx, r, articles); err != nil {
		return nil, 0, fmt.Errorf("store: desk articles: %w", err)
	}
	return list, total, nil
}

// escapeLike escapes the LIKE wildcards of s for ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// claimSlug returns the slug a row selfID of table gets for slug: slug
// itself when no other row has it; otherwise, with exact, a validation
// error on the slug field, and without, a free suffixed slug as
// uniqueSlug makes.
func claimSlug(ctx context.Context, r *runner, table slugTable, slug, selfID string, exact bool) (string, error) {
	if !exact {
		return uniqueSlug(ctx, r, table, slug, selfID)
	}
	taken, err := takenSuffixes(ctx, r, table, slug, selfID, []int{1})
	if err != nil {
		return "", err
	}
	if taken[1] {
		return "", &model.ValidationError{Fields: map[string]string{
			"slug": fmt.Sprintf("the address %q is already taken; choose another", slug)}}
	}
	return slug, nil
}
