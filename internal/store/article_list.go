package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

const (
	// relationChunk caps the IDs in one IN (…) list, well below both
	// engines' limits on bound parameters.
	relationChunk = 500

	qArticleAuthors = `SELECT x.article_id, au.id, au.slug, au.name, au.kind, au.bio
FROM article_authors x JOIN authors au ON au.id = x.author_id
WHERE x.article_id IN (%s) ORDER BY x.position`
	qArticleTags = `SELECT x.article_id, t.id, t.slug, t.name, t.description
FROM article_tags x JOIN tags t ON t.id = x.tag_id
WHERE x.article_id IN (%s) ORDER BY x.position`
	qPublishedTimes = `SELECT published_at FROM articles WHERE status = 'published' AND published_at <= ?`
	qCorpusTags     = `SELECT x.article_id, x.tag_id
FROM article_tags x JOIN articles a ON a.id = x.article_id
WHERE a.status = 'published' AND a.published_at <= ?
ORDER BY x.position`
	qCorpusArticles = `SELECT id, slug, title, summary, body_text, reading_minutes, published_at
FROM articles WHERE status = 'published' AND published_at <= ?
ORDER BY published_at DESC, id DESC`
)

// filter is a tiny WHERE builder: conditions joined by AND.
type filter struct {
	conds []string
	args  []any
}

func (f *filter) add(cond string, args ...any) {
	f.conds = append(f.conds, cond)
	f.args = append(f.args, args...)
}

func (f *filter) where() string {
	if len(f.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(f.conds, " AND ")
}

// ListArticles returns one page of the articles q selects, newest first
// (drafts without a date before all others), and how many articles q selects
// in all, which it counts only when the page does not tell. Bylines and tags
// are loaded for the whole page at once.
func (s *Store) ListArticles(ctx context.Context, q ArticleQuery) ([]*model.Article, int, error) {
	if q.Limit < 0 || q.Offset < 0 {
		return nil, 0, fmt.Errorf("store: list articles: %w", &model.ValidationError{Fields: map[string]string{
			"page": "limit and offset cannot be negative"}})
	}
	var f filter
	dated := false // whether the filter already excludes undated articles
	if !q.PublishedAsOf.IsZero() {
		f.add("a.status = 'published' AND a.published_at <= ?", timeArg(q.PublishedAsOf))
		dated = true
	}
	if q.TagID != "" {
		f.add("a.id IN (SELECT x.article_id FROM article_tags x WHERE x.tag_id = ?)", q.TagID)
	}
	if q.AuthorID != "" {
		f.add("a.id IN (SELECT x.article_id FROM article_authors x WHERE x.author_id = ?)", q.AuthorID)
	}
	if !q.From.IsZero() {
		f.add("a.published_at >= ?", timeArg(q.From))
		dated = true
	}
	if !q.To.IsZero() {
		f.add("a.published_at < ?", timeArg(q.To))
		dated = true
	}

	r := s.read()
	cols := articleHeadColumns + ", " + articleTailColumns
	if q.WithBody {
		body := articleBodyColumns
		if q.WithoutSource {
			body = renderedBodyColumns
		}
		cols = articleHeadColumns + ", " + body + ", " + articleTailColumns
	}
	// Engines disagree on where NULLs sort, so say it; but only when there
	// can be NULLs, as NULLS FIRST keeps SQLite from walking the index.
	order := " ORDER BY a.published_at DESC NULLS FIRST, a.id DESC"
	if dated {
		order = " ORDER BY a.published_at DESC, a.id DESC"
	}
	query := "SELECT " + cols + " FROM articles a" + f.where() + order
	args := f.args
	if q.Limit > 0 || q.Offset > 0 {
		limit := q.Limit
		if limit == 0 {
			limit = math.MaxInt64 // SQLite has no OFFSET without LIMIT
		}
		query += " LIMIT ? OFFSET ?"
		args = append(slices.Clip(args), limit, q.Offset)
	}
	// When every article is selected, or every published one (an export
	// lists them all), the bylines and tags of all articles are read on
	// other connections while the articles are, rather than by their IDs
	// afterwards. All, not those the condition selects: the queries run
	// on different snapshots, and every article the list holds must find
	// its own.
	all := q.Limit == 0 && q.Offset == 0 && q.TagID == "" && q.AuthorID == "" && q.From.IsZero() && q.To.IsZero()
	var rel relations
	related := make(chan error, 1)
	if all {
		go func() { related <- rel.read(ctx, r, "SELECT id FROM articles", nil) }()
	}
	rows, err := r.query(ctx, "list_articles", query, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list articles: %w", err)
	}
	defer rows.Close()
	var list []*model.Article
	for rows.Next() {
		a := &model.Article{}
		var img model.Image
		if err := rows.Scan(articleDest(a, &img, q.WithBody)...); err != nil {
			return nil, 0, fmt.Errorf("store: list articles: %w", err)
		}
		setLeadImage(a, img)
		list = append(list, a)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, 0, fmt.Errorf("store: list articles: %w", err)
	}
	if all {
		err = <-related
		rel.attach(list)
	} else {
		err = loadRelations(ctx, r, list)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("store: list articles: %w", err)
	}
	// The last page of a selection, unless it starts past the end, tells
	// the total, which spares a count that walks the whole selection.
	total := q.Offset + len(list)
	if last := q.Limit == 0 || len(list) < q.Limit; !last || (len(list) == 0 && q.Offset > 0) {
		if err := r.scanRow(ctx, "count_articles", "SELECT COUNT(*) FROM articles a"+f.where(), f.args, &total); err != nil {
			return nil, 0, fmt.Errorf("store: list articles: %w", err)
		}
	}
	return list, total, nil
}

// loadRelations fills in the bylines and tags of articles, in position
// order, with two queries per relationChunk articles.
func loadRelations(ctx context.Context, r *runner, articles []*model.Article) error {
	for chunk := range slices.Chunk(articles, relationChunk) {
		ids := make([]any, len(chunk))
		for i, a := range chunk {
			ids[i] = a.ID
		}
		var rel relations
		if err := rel.read(ctx, r, placeholders(len(ids)), ids); err != nil {
			return err
		}
		rel.attach(chunk)
	}
	return nil
}

// relations are the bylines and tags of articles, by article ID, each in
// position order.
type relations struct {
	authors map[string][]model.Author
	tags    map[string][]model.Tag
}

// read reads the bylines and tags of the articles whose IDs the SQL in
// selects with args: a list of placeholders, or a subquery. Outside a
// transaction its two queries run at once.
func (rel *relations) read(ctx context.Context, r *runner, in string, args []any) error {
	rel.authors, rel.tags = map[string][]model.Author{}, map[string][]model.Tag{}
	authors := func() error {
		return r.each(ctx, "article_authors", fmt.Sprintf(qArticleAuthors, in), args, func(scan func(...any) error) error {
			var articleID string
			var au model.Author
			err := scan(append([]any{&articleID}, authorDest(&au)...)...)
			rel.authors[articleID] = append(rel.authors[articleID], au)
			return err
		})
	}
	tags := func() error {
		return r.each(ctx, "article_tags", fmt.Sprintf(qArticleTags, in), args, func(scan func(...any) error) error {
			var articleID string
			var t model.Tag
			err := scan(append([]any{&articleID}, tagDest(&t)...)...)
			rel.tags[articleID] = append(rel.tags[articleID], t)
			return err
		})
	}
	if r.tx != nil {
		if err := authors(); err != nil {
			return err
		}
		return tags()
	}
	done := make(chan error, 1)
	go func() { done <- authors() }()
	return cmp.Or(tags(), <-done)
}

// attach gives each of articles its bylines and tags.
func (rel *relations) attach(articles []*model.Article) {
	for _, a := range articles {
		a.Authors, a.Tags = rel.authors[a.ID], rel.tags[a.ID]
	}
}

// ArchiveMonths counts the articles published as of asOf (every published
// article when asOf is zero) by calendar month in loc (UTC when nil), newest
// month first. Months are bucketed in Go, which keeps the SQL portable.
func (s *Store) ArchiveMonths(ctx context.Context, asOf time.Time, loc *time.Location) ([]MonthCount, error) {
	if loc == nil {
		loc = time.UTC
	}
	counts := map[[2]int]int{}
	err := s.read().each(ctx, "published_times", qPublishedTimes, []any{asOfArg(asOf)}, func(scan func(...any) error) error {
		var t time.Time
		if err := scan(scanTime(&t)); err != nil {
			return err
		}
		t = t.In(loc)
		counts[[2]int{t.Year(), int(t.Month())}]++
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: archive months: %w", err)
	}
	months := make([]MonthCount, 0, len(counts))
	for ym, n := range counts {
		months = append(months, MonthCount{Year: ym[0], Month: time.Month(ym[1]), Count: n})
	}
	slices.SortFunc(months, func(a, b MonthCount) int {
		return cmp.Or(b.Year-a.Year, int(b.Month)-int(a.Month))
	})
	return months, nil
}

// Corpus calls fn with every article published as of asOf (every published
// article when asOf is zero), newest first, with its tag IDs in the editor's
// order. It reads the tags in one query and streams the articles from a
// second, so it holds a database connection while fn runs; an error from fn
// stops the walk and is returned wrapped.
func (s *Store) Corpus(ctx context.Context, asOf time.Time, fn func(CorpusEntry) error) error {
	r := s.read()
	tagIDs := map[string][]string{}
	err := r.each(ctx, "corpus_tags", qCorpusTags, []any{asOfArg(asOf)}, func(scan func(...any) error) error {
		var articleID, tagID string
		if err := scan(&articleID, &tagID); err != nil {
			return err
		}
		tagIDs[articleID] = append(tagIDs[articleID], tagID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: corpus: %w", err)
	}
	err = r.each(ctx, "corpus_articles", qCorpusArticles, []any{asOfArg(asOf)}, func(scan func(...any) error) error {
		var e CorpusEntry
		if err := scan(&e.ID, &e.Slug, &e.Title, &e.Summary, &e.BodyText, &e.ReadingMinutes, scanTime(&e.PublishedAt)); err != nil {
			return err
		}
		e.TagIDs = tagIDs[e.ID]
		return fn(e)
	})
	if err != nil {
		return fmt.Errorf("store: corpus: %w", err)
	}
	return nil
}

// each runs a query and calls fn for every row with a function that scans
// it. It stops at the first error.
func (r *runner) each(ctx context.Context, name, query string, args []any, fn func(scan func(...any) error) error) error {
	rows, err := r.query(ctx, name, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return errors.Join(rows.Err(), rows.Close())
}
