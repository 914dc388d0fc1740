package store

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// Article columns, split so that lists can leave the body out.
const (
	articleHeadColumns = `a.id, a.slug, a.title, a.summary`
	articleBodyColumns = `a.body, a.body_html, a.body_text`
	// renderedBodyColumns are articleBodyColumns with an empty source.
	renderedBodyColumns = `'', a.body_html, a.body_text`
	articleTailColumns  = `a.status, a.language, a.time_zone, a.published_at, a.updated_at, a.created_at,
a.lead_image_url, a.lead_image_alt, a.lead_image_caption, a.lead_image_credit,
a.lead_image_width, a.lead_image_height, a.reading_minutes`
)

const (
	qInsertArticle = `INSERT INTO articles (id, slug, created_at, title, summary, body, body_html, body_text,
status, language, time_zone, published_at, updated_at,
lead_image_url, lead_image_alt, lead_image_caption, lead_image_credit,
lead_image_width, lead_image_height, reading_minutes)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// articleColumnCount is the number of values in a row of qInsertArticle.
	articleColumnCount = 20
	qUpdateArticle     = `UPDATE articles SET slug = ?, title = ?, summary = ?, body = ?, body_html = ?, body_text = ?,
status = ?, language = ?, time_zone = ?, published_at = ?, updated_at = ?,
lead_image_url = ?, lead_image_alt = ?, lead_image_caption = ?, lead_image_credit = ?,
lead_image_width = ?, lead_image_height = ?, reading_minutes = ?
WHERE id = ?`
	qArticleBySlug        = `SELECT ` + articleHeadColumns + `, ` + articleBodyColumns + `, ` + articleTailColumns + ` FROM articles a WHERE a.slug = ?`
	qDeleteArticle        = `DELETE FROM articles WHERE id = ?`
	qDeleteArticleTags    = `DELETE FROM article_tags WHERE article_id = ?`
	qDeleteArticleAuthors = `DELETE FROM article_authors WHERE article_id = ?`
	// The two inserts below, like qInsertArticle, take one row of
	// placeholders more per further row.
	qInsertArticleTags    = `INSERT INTO article_tags (article_id, tag_id, position) VALUES (?, ?, ?)`
	qInsertArticleAuthors = `INSERT INTO article_authors (article_id, author_id, position) VALUES (?, ?, ?)`
	qPublishDue           = `UPDATE articles SET status = 'published' WHERE status = 'scheduled' AND published_at <= ?
RETURNING id, slug, title, published_at`
)

// CreateArticle stores a new article with its bylines and tags (given by
// ID, kept in the order given) and sets a.ID and a.CreatedAt. The caller
// makes a.Slug; if it is taken, a "-2", "-3", … suffix makes it unique and
// a.Slug is updated. Times in a are normalised to what is stored: UTC,
// microseconds.
func (s *Store) CreateArticle(ctx context.Context, a *model.Article) error {
	if err := validateArticle(a); err != nil {
		return fmt.Errorf("store: create article: %w", err)
	}
	var saved savedRow
	err := s.writeContent(ctx, false, func(r *runner) error {
		var err error
		saved, err = insertArticle(ctx, r, a, s.clock())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create article %q: %w", a.Slug, err)
	}
	saved.applyArticle(a)
	return nil
}

// ImportArticles stores many articles at once, in one transaction: it is
// Import of a bundle holding only articles. Bylines and tags are given by ID
// as in CreateArticle, or by slug as Import describes. A non-zero CreatedAt
// is kept so that archives brought over from another system keep their
// history. Either all articles are stored or none.
func (s *Store) ImportArticles(ctx context.Context, articles []*model.Article) error {
	return s.Import(ctx, &Bundle{Articles: articles})
}

// UpdateArticle replaces every field of the article a.ID, bylines and tags
// included, except CreatedAt. A changed a.Slug is made unique as in
// CreateArticle; an unchanged one stays as it is.
func (s *Store) UpdateArticle(ctx context.Context, a *model.Article) error {
	if err := validateArticle(a); err != nil {
		return fmt.Errorf("store: update article: %w", err)
	}
	var slug string
	err := s.writeContent(ctx, false, func(r *runner) error {
		var current, status string
		if err := r.scanRow(ctx, "article_slug_status", qArticleSlugStatus, []any{a.ID}, &current, &status); err != nil {
			return notFound(err)
		}
		slug = a.Slug
		if slug != current {
			var err error
			if slug, err = uniqueSlug(ctx, r, articlesTable, a.Slug, a.ID); err != nil {
				return err
			}
			if err := changeSlug(ctx, r, a.ID, status, current, s.clock()); err != nil {
				return err
			}
		}
		_, err := replaceArticle(ctx, r, slug, a)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: update article %s: %w", a.ID, err)
	}
	a.Slug = slug
	normArticleTimes(a)
	return nil
}

// replaceArticle writes every field of the stored article a.ID, under
// slug, with its bylines and tags, and withdraws the approvals of the
// unsent newsletter issues that pick it, whose IDs it returns: they
// approved the article as it was.
func replaceArticle(ctx context.Context, r *runner, slug string, a *model.Article) ([]string, error) {
	args := append([]any{slug}, articleArgs(a)...)
	if _, err := r.exec(ctx, "update_article", qUpdateArticle, append(args, a.ID)...); err != nil {
		return nil, err
	}
	if _, err := r.exec(ctx, "delete_article_authors", qDeleteArticleAuthors, a.ID); err != nil {
		return nil, err
	}
	if _, err := r.exec(ctx, "delete_article_tags", qDeleteArticleTags, a.ID); err != nil {
		return nil, err
	}
	if err := insertArticleRelations(ctx, r, []string{a.ID}, []*model.Article{a}); err != nil {
		return nil, err
	}
	return withdrawApprovalsPicking(ctx, r, a.ID)
}

// DeleteArticle removes an article with its byline and tag links. It
// returns the unsent newsletter issues that picked it and lost their
// approvals, which approved it.
func (s *Store) DeleteArticle(ctx context.Context, id string) (approvalsWithdrawn []string, err error) {
	err = s.writeContent(ctx, false, func(r *runner) error {
		res, err := r.exec(ctx, "delete_article", qDeleteArticle, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, model.ErrNotFound)
		}
		approvalsWithdrawn, err = withdrawApprovalsPicking(ctx, r, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: delete article %s: %w", id, err)
	}
	return approvalsWithdrawn, nil
}

// ArticleBySlug returns the article with that slug, whatever its status,
// with its body, bylines and tags.
func (s *Store) ArticleBySlug(ctx context.Context, slug string) (*model.Article, error) {
	r := s.read()
	a := &model.Article{}
	var img model.Image
	if err := r.scanRow(ctx, "article_by_slug", qArticleBySlug, []any{slug}, articleDest(a, &img, true)...); err != nil {
		return nil, fmt.Errorf("store: article %q: %w", slug, notFound(err))
	}
	setLeadImage(a, img)
	if err := loadRelations(ctx, r, []*model.Article{a}); err != nil {
		return nil, fmt.Errorf("store: article %q: %w", slug, err)
	}
	return a, nil
}

// PublishedDue is an article PublishDue published.
type PublishedDue struct {
	ID, Slug, Title string
	PublishedAt     time.Time
}

// PublishDue publishes the scheduled articles whose time has come by now
// and returns them. Each article is returned by exactly one call, also when
// several servers run it at once, so each can record what it published.
func (s *Store) PublishDue(ctx context.Context, now time.Time) ([]PublishedDue, error) {
	var due []PublishedDue
	err := s.write(ctx, false, func(r *runner) error {
		err := r.each(ctx, "publish_due", qPublishDue, []any{timeArg(now)}, func(scan func(...any) error) error {
			var p PublishedDue
			if err := scan(&p.ID, &p.Slug, &p.Title, scanTime(&p.PublishedAt)); err != nil {
				return err
			}
			due = append(due, p)
			return nil
		})
		if err != nil || len(due) == 0 {
			return err // with nothing changed, readers' caches stay valid
		}
		return bumpContent(ctx, r)
	})
	if err != nil {
		return nil, fmt.Errorf("store: publish due: %w", err)
	}
	return due, nil
}

// savedRow is what the store decided for a new row, applied to the
// caller's struct only once the transaction has committed.
type savedRow struct {
	id, slug string
	// at is an article's CreatedAt or a page's UpdatedAt.
	at time.Time
}

func (sr savedRow) applyArticle(a *model.Article) {
	a.ID, a.Slug, a.CreatedAt = sr.id, sr.slug, sr.at
	normArticleTimes(a)
}

func normArticleTimes(a *model.Article) {
	a.PublishedAt = normTime(a.PublishedAt)
	a.UpdatedAt = normTime(a.UpdatedAt)
}

// insertArticle stores a new article under a unique slug; a is left as it
// is.
func insertArticle(ctx context.Context, r *runner, a *model.Article, createdAt time.Time) (savedRow, error) {
	sr := savedRow{id: newID(), at: createdAt}
	var err error
	if sr.slug, err = uniqueSlug(ctx, r, articlesTable, a.Slug, sr.id); err != nil {
		return sr, err
	}
	return sr, insertArticles(ctx, r, []*model.Article{a}, []savedRow{sr})
}

// insertArticles stores each of articles under the ID, slug and creation
// time saved holds for it, with multi-row INSERTs: one round trip for many
// articles is what makes bulk imports fast on PostgreSQL.
func insertArticles(ctx context.Context, r *runner, articles []*model.Article, saved []savedRow) error {
	args := make([]any, 0, articleColumnCount*len(articles))
	ids := make([]string, len(articles))
	for i, a := range articles {
		args = append(append(args, saved[i].id, saved[i].slug, timeArg(saved[i].at)), articleArgs(a)...)
		ids[i] = saved[i].id
	}
	if err := insertRows(ctx, r, "insert_articles", qInsertArticle, articleColumnCount, args); err != nil {
		return err
	}
	return insertArticleRelations(ctx, r, ids, articles)
}

// articleArgs returns the values of the columns both INSERT and UPDATE set,
// from title to reading_minutes, in qUpdateArticle order.
func articleArgs(a *model.Article) []any {
	var img model.Image
	if a.LeadImage != nil {
		img = *a.LeadImage
	}
	return []any{a.Title, a.Summary, a.Body, a.BodyHTML, a.BodyText,
		string(a.Status), a.Language, a.TimeZone, timeArg(a.PublishedAt), timeArg(a.UpdatedAt),
		img.URL, img.Alt, img.Caption, img.Credit, img.Width, img.Height, a.ReadingMinutes}
}

// insertArticleRelations links each of ids to the bylines and tags of the
// article at the same index, numbering their positions in the order given.
func insertArticleRelations(ctx context.Context, r *runner, ids []string, articles []*model.Article) error {
	var bylines, tags []any
	for i, a := range articles {
		for pos, au := range a.Authors {
			bylines = append(bylines, ids[i], au.ID, pos)
		}
		for pos, t := range a.Tags {
			tags = append(tags, ids[i], t.ID, pos)
		}
	}
	if err := insertRows(ctx, r, "insert_article_authors", qInsertArticleAuthors, 3, bylines); err != nil {
		return fmt.Errorf("bylines: %w", err)
	}
	if err := insertRows(ctx, r, "insert_article_tags", qInsertArticleTags, 3, tags); err != nil {
		return fmt.Errorf("tags: %w", err)
	}
	return nil
}

// maxParams bounds the parameters of one statement, below the limits of
// both engines (SQLite's 32,766 and PostgreSQL's 65,535).
const maxParams = 30_000

// insertRows runs query, an INSERT whose VALUES list has one row of cols
// placeholders, for every row in args (cols values each), with as many
// rows in one statement as maxParams allows.
func insertRows(ctx context.Context, r *runner, name, query string, cols int, args []any) error {
	step := maxParams / cols * cols
	row := ", (" + placeholders(cols) + ")"
	for start := 0; start < len(args); start += step {
		batch := args[start:min(start+step, len(args))]
		if _, err := r.exec(ctx, name, query+strings.Repeat(row, len(batch)/cols-1), batch...); err != nil {
			return err
		}
	}
	return nil
}

// validateArticle checks an article whose bylines and tags are given by ID.
func validateArticle(a *model.Article) error {
	return articleProblems(a, "ID", func(id, _ string) string { return id }).err()
}

// articleProblems checks a's fields. ref names a byline or tag by its ID and
// slug, and missing says what a byline or tag with an empty name lacks.
func articleProblems(a *model.Article, missing string, ref func(id, slug string) string) problems {
	p := problems{}
	p.require("title", a.Title, "an article needs a headline")
	p.require("slug", a.Slug, "an article needs a slug")
	switch {
	case !a.Status.Valid():
		p["status"] = fmt.Sprintf("%q is not a status; use draft, scheduled or published", a.Status)
	case a.Status != model.StatusDraft && a.PublishedAt.IsZero():
		p["published_at"] = fmt.Sprintf("a %s article needs a publication time", a.Status)
	}
	if a.LeadImage != nil && strings.TrimSpace(a.LeadImage.URL) == "" {
		p["lead_image"] = "a lead image needs a URL"
	}
	if a.ReadingMinutes < 0 {
		p["reading_minutes"] = "reading time cannot be negative"
	}
	checkRefs(p, "authors", "byline", missing, len(a.Authors), func(i int) string { return ref(a.Authors[i].ID, a.Authors[i].Slug) })
	checkRefs(p, "tags", "tag", missing, len(a.Tags), func(i int) string { return ref(a.Tags[i].ID, a.Tags[i].Slug) })
	return p
}

// checkRefs records a problem when one of n names of bylines or tags is
// empty or repeated.
func checkRefs(p problems, field, what, missing string, n int, name func(int) string) {
	seen := make(map[string]bool, n)
	for i := range n {
		switch {
		case name(i) == "":
			p[field] = what + " " + strconv.Itoa(i+1) + " has no " + missing
		case seen[name(i)]:
			p[field] = what + " " + name(i) + " is listed twice"
		}
		seen[name(i)] = true
	}
}

// articleDest lists scan destinations for the article columns; the lead
// image goes to img, to be set with setLeadImage.
func articleDest(a *model.Article, img *model.Image, withBody bool) []any {
	dest := []any{&a.ID, &a.Slug, &a.Title, &a.Summary}
	if withBody {
		dest = append(dest, &a.Body, &a.BodyHTML, &a.BodyText)
	}
	return append(dest, (*string)(&a.Status), &a.Language, &a.TimeZone,
		scanTime(&a.PublishedAt), scanTime(&a.UpdatedAt), scanTime(&a.CreatedAt),
		&img.URL, &img.Alt, &img.Caption, &img.Credit, &img.Width, &img.Height, &a.ReadingMinutes)
}

// setLeadImage gives a its lead image; an empty URL means it has none.
func setLeadImage(a *model.Article, img model.Image) {
	if img.URL != "" {
		a.LeadImage = &img
	}
}
