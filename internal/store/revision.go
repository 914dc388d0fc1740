package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// ErrStaleRevision reports a save based on a revision that is no longer the
// latest: someone else saved the article, page, tag or byline after the
// editor opened it. The store returns it as a *StaleError.
var ErrStaleRevision = errors.New("store: saved again after this version was opened")

// StaleError is ErrStaleRevision with the save that came first: the
// latest revision when the stale save was refused.
type StaleError struct {
	Revision int       // its number; 0 when it could not be read
	SavedAt  time.Time // when it was saved; zero when it could not be read
}

func (e *StaleError) Error() string {
	if e.Revision == 0 {
		return ErrStaleRevision.Error()
	}
	return fmt.Sprintf("%v: revision %d, saved %s", ErrStaleRevision, e.Revision, e.SavedAt.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrStaleRevision) hold.
func (e *StaleError) Is(target error) bool { return target == ErrStaleRevision }

// Revision is one saved version of an article, as the desk shows it. It
// names the account that saved it, so it is never shown to readers
// (requirement S8).
type Revision struct {
	ID        string
	ArticleID string
	Number    int // 1 for the first save of the article, then 2, 3 …
	// Article holds the version's editable fields. Its bylines and tags
	// carry only their IDs; the lists of revisions fill in only the slug,
	// title and status.
	Article model.Article
	SavedBy string // the account's user ID; "" once the account is gone
	SavedAt time.Time
}

// revisionFields is the JSON of a revision's fields column: what the editor
// can change besides the text.
type revisionFields struct {
	Language    string         `json:"language,omitempty"`
	TimeZone    string         `json:"time_zone,omitempty"`
	PublishedAt time.Time      `json:"published_at,omitzero"`
	LeadImage   *revisionImage `json:"lead_image,omitempty"`
	AuthorIDs   []string       `json:"author_ids,omitempty"`
	TagIDs      []string       `json:"tag_ids,omitempty"`
}

type revisionImage struct {
	URL     string `json:"url"`
	Alt     string `json:"alt,omitempty"`
	Caption string `json:"caption,omitempty"`
	Credit  string `json:"credit,omitempty"`
	Width   int    `json:"width,omitempty"`
	Height  int    `json:"height,omitempty"`
}

const (
	qInsertRevision = `INSERT INTO revisions (id, article_id, number, slug, title, summary, body, status, fields, saved_by, saved_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qSetArticleCreator   = `UPDATE articles SET created_by = ? WHERE id = ?`
	qArticleSlugRevision = `SELECT a.slug, a.status, (SELECT COALESCE(MAX(v.number), 0) FROM revisions v WHERE v.article_id = a.id)
FROM articles a WHERE a.id = ?`
	qRevisions = `SELECT id, article_id, number, slug, title, status, COALESCE(saved_by, ''), saved_at
FROM revisions WHERE article_id = ? ORDER BY number DESC`
	qRevisionByID = `SELECT id, article_id, number, slug, title, summary, body, status, fields, COALESCE(saved_by, ''), saved_at
FROM revisions WHERE id = ?`
	qLatestRevision = `SELECT number, saved_at FROM revisions WHERE article_id = ? ORDER BY number DESC LIMIT 1`
)

// CreateArticleAs stores a new article created by the account userID, with
// its bylines and tags as CreateArticle does, and records it as revision 1.
// A taken a.Slug gets a "-2", "-3", … suffix, or with exactSlug fails with
// a validation error on the slug field. It sets a.ID, a.Slug and
// a.CreatedAt.
func (s *Store) CreateArticleAs(ctx context.Context, a *model.Article, userID string, exactSlug bool) error {
	return s.createFirstRevision(ctx, a, userID, exactSlug, func(r *runner, id string) error {
		_, err := r.exec(ctx, "set_article_creator", qSetArticleCreator, userID, id)
		return err
	})
}

// createFirstRevision stores a new article as CreateArticleAs does, saved
// by the account userID ("" for none), with own recording in the same
// transaction who created the article id: all of it or nothing.
func (s *Store) createFirstRevision(ctx context.Context, a *model.Article, userID string, exactSlug bool,
	own func(r *runner, id string) error) error {
	if err := validateArticle(a); err != nil {
		return fmt.Errorf("store: create article: %w", err)
	}
	now := s.clock()
	sr := savedRow{id: newID(), at: now}
	err := s.writeContent(ctx, false, func(r *runner) error {
		var err error
		if sr.slug, err = claimSlug(ctx, r, articlesTable, a.Slug, sr.id, exactSlug); err != nil {
			return err
		}
		if err := insertArticles(ctx, r, []*model.Article{a}, []savedRow{sr}); err != nil {
			return err
		}
		if err := own(r, sr.id); err != nil {
			return err
		}
		return insertRevision(ctx, r, sr.id, 1, sr.slug, a, userID, now)
	})
	if err != nil {
		return fmt.Errorf("store: create article %q: %w", a.Slug, err)
	}
	sr.applyArticle(a)
	return nil
}

// ArticleSaved is what SaveArticleAs did.
type ArticleSaved struct {
	Revision int // the number of the revision recorded
	// ApprovalsWithdrawn names the unsent newsletter issues that pick the
	// article and lost their approvals, which approved it as it was: they
	// are drafts again, to be approved anew.
	ApprovalsWithdrawn []string
}

// SaveArticleAs replaces every field of the article a.ID as UpdateArticle
// does, as the account userID, and records the result as the next
// revision. baseRevision is the revision the editor started from: if
// another save came since, nothing changes and the error is
// ErrStaleRevision. A changed slug that another article has fails with a
// validation error on the slug field; slugs change only on purpose.
func (s *Store) SaveArticleAs(ctx context.Context, a *model.Article, userID string, baseRevision int) (ArticleSaved, error) {
	if err := validateArticle(a); err != nil {
		return ArticleSaved{}, fmt.Errorf("store: save article: %w", err)
	}
	now := s.clock()
	var saved ArticleSaved
	err := s.writeContent(ctx, false, func(r *runner) error {
		var current, status string
		var latest int
		if err := r.scanRow(ctx, "article_slug_revision", qArticleSlugRevision, []any{a.ID}, &current, &status, &latest); err != nil {
			return notFound(err)
		}
		if latest != baseRevision {
			return ErrStaleRevision
		}
		if a.Slug != current {
			if _, err := claimSlug(ctx, r, articlesTable, a.Slug, a.ID, true); err != nil {
				return err
			}
			if err := changeSlug(ctx, r, a.ID, status, current, now); err != nil {
				return err
			}
		}
		var err error
		if saved.ApprovalsWithdrawn, err = replaceArticle(ctx, r, a.Slug, a); err != nil {
			return err
		}
		saved.Revision = latest + 1
		return insertRevision(ctx, r, a.ID, saved.Revision, a.Slug, a, userID, now)
	})
	if errors.Is(err, ErrStaleRevision) {
		err = s.stale(ctx, "latest_revision", qLatestRevision, a.ID)
	}
	if err != nil {
		return ArticleSaved{}, fmt.Errorf("store: save article %s: %w", a.ID, err)
	}
	normArticleTimes(a)
	return saved, nil
}

// insertRevision records a's editable fields as revision number of the
// article id, saved under slug.
func insertRevision(ctx context.Context, r *runner, id string, number int, slug string, a *model.Article, userID string, at time.Time) error {
	f := revisionFields{Language: a.Language, TimeZone: a.TimeZone, PublishedAt: normTime(a.PublishedAt)}
	if img := a.LeadImage; img != nil {
		f.LeadImage = &revisionImage{URL: img.URL, Alt: img.Alt, Caption: img.Caption, Credit: img.Credit, Width: img.Width, Height: img.Height}
	}
	for _, au := range a.Authors {
		f.AuthorIDs = append(f.AuthorIDs, au.ID)
	}
	for _, t := range a.Tags {
		f.TagIDs = append(f.TagIDs, t.ID)
	}
	fields, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("revision fields: %w", err)
	}
	_, err = r.exec(ctx, "insert_revision", qInsertRevision, newID(), id, number, slug, a.Title, a.Summary, a.Body,
		string(a.Status), string(fields), savedBy(userID), timeArg(at))
	return staleOnConflict(err)
}

// staleOnConflict turns a clash on a revision's number into
// ErrStaleRevision. Two saves from the same revision, racing on
// PostgreSQL, both pass the check of the latest number and then insert the
// same next one: its UNIQUE constraint lets the first in, and the second is
// a stale save like any other.
func staleOnConflict(err error) error {
	if errors.Is(err, model.ErrConflict) {
		return ErrStaleRevision
	}
	return err
}

// StaleArticle returns the error of a save of the article id from a
// revision older than its latest: a *StaleError.
func (s *Store) StaleArticle(ctx context.Context, id string) error {
	return s.stale(ctx, "latest_revision", qLatestRevision, id)
}

// stale returns the *StaleError of a refused save, reading the latest
// revision's number and time with the query name and its args. Failing to
// read them leaves them out: the save was refused all the same.
func (s *Store) stale(ctx context.Context, name, query string, args ...any) error {
	e := &StaleError{}
	if err := s.read().scanRow(ctx, name, query, args, &e.Revision, scanTime(&e.SavedAt)); err != nil {
		s.log.WarnContext(ctx, "store: reading the revision a stale save ran into", "err", err)
		return &StaleError{}
	}
	return e
}

// Revisions lists the revisions of an article, newest first, with only
// their slug, title and status filled in.
func (s *Store) Revisions(ctx context.Context, articleID string) ([]Revision, error) {
	var list []Revision
	err := s.read().each(ctx, "revisions", qRevisions, []any{articleID}, func(scan func(...any) error) error {
		var v Revision
		if err := scan(&v.ID, &v.ArticleID, &v.Number, &v.Article.Slug, &v.Article.Title, (*string)(&v.Article.Status),
			&v.SavedBy, scanTime(&v.SavedAt)); err != nil {
			return err
		}
		list = append(list, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: revisions of %s: %w", articleID, err)
	}
	return list, nil
}

// RevisionByID returns one revision with all its fields.
func (s *Store) RevisionByID(ctx context.Context, id string) (Revision, error) {
	var (
		v      Revision
		fields string
	)
	a := &v.Article
	err := s.read().scanRow(ctx, "revision_by_id", qRevisionByID, []any{id}, &v.ID, &v.ArticleID, &v.Number,
		&a.Slug, &a.Title, &a.Summary, &a.Body, (*string)(&a.Status), &fields, &v.SavedBy, scanTime(&v.SavedAt))
	if err != nil {
		return Revision{}, fmt.Errorf("store: revision %s: %w", id, notFound(err))
	}
	var f revisionFields
	if err := json.Unmarshal([]byte(fields), &f); err != nil {
		return Revision{}, fmt.Errorf("store: revision %s: fields: %w", id, err)
	}
	a.ID, a.Language, a.TimeZone, a.PublishedAt = v.ArticleID, f.Language, f.TimeZone, f.PublishedAt
	if img := f.LeadImage; img != nil {
		a.LeadImage = &model.Image{URL: img.URL, Alt: img.Alt, Caption: img.Caption, Credit: img.Credit, Width: img.Width, Height: img.Height}
	}
	for _, id := range f.AuthorIDs {
		a.Authors = append(a.Authors, model.Author{ID: id})
	}
	for _, id := range f.TagIDs {
		a.Tags = append(a.Tags, model.Tag{ID: id})
	}
	return v, nil
}
