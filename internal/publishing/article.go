package publishing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
)

// Action is what a save of the article form asks for.
type Action string

// Save actions. ActionSave keeps the article's status: a draft stays a
// draft, a published article stays published with the changes.
const (
	ActionSave     Action = "save"
	ActionSchedule Action = "schedule"
	ActionPublish  Action = "publish"
)

// target returns the status an article in status from has after the
// action.
func (act Action) target(from model.Status) (model.Status, bool) {
	switch act {
	case ActionSave:
		return from, true
	case ActionSchedule:
		return model.StatusScheduled, true
	case ActionPublish:
		return model.StatusPublished, true
	}
	return "", false
}

// Save stores the draft d as the article id, or as a new article owned by
// the actor when id is "", with the status the action asks for, and
// records a revision. Bad input is a *model.ValidationError by field and
// changes nothing; a save based on an old revision is
// store.ErrStaleRevision.
func (s *Service) Save(ctx context.Context, act Actor, id string, d Draft, action Action) (Changed, error) {
	rec, err := s.editable(ctx, act, id)
	if err != nil {
		return Changed{}, err
	}
	if id != "" && d.Revision != rec.Revision {
		return Changed{}, fmt.Errorf("publishing: save %s: %w", id, s.store.StaleArticle(ctx, id))
	}
	from := rec.Article.Status
	to, ok := action.target(from)
	if !ok {
		return Changed{}, &model.ValidationError{Fields: map[string]string{"action": "Choose Save, Schedule or Publish."}}
	}
	if to != model.StatusDraft || from != model.StatusDraft {
		if err := act.mayGoPublic(rec); err != nil {
			return Changed{}, err
		}
	}
	l, err := s.lists(ctx)
	if err != nil {
		return Changed{}, err
	}
	c, problems := compose(d, rec.Article, l, act, s.renderer(ctx))
	a := c.article
	a.Status = to
	if msg := s.SetTimes(a, from, rec.Article.PublishedAt, c.publishAt); msg != "" && problems["publish_at"] == "" {
		problems["publish_at"] = msg
	}
	if len(problems) > 0 {
		return Changed{}, &model.ValidationError{Fields: problems}
	}
	if err := s.createReferences(ctx, a, act.account()); err != nil {
		return Changed{}, err
	}
	saved := store.ArticleSaved{Revision: 1}
	if id == "" {
		err = s.store.CreateArticleAs(ctx, a, act.UserID, c.exactSlug)
	} else {
		saved, err = s.store.SaveArticleAs(ctx, a, act.UserID, rec.Revision)
	}
	if err != nil {
		return Changed{}, fmt.Errorf("publishing: save: %w", err)
	}
	s.recordChange(ctx, act, a, from, saved.Revision)
	return s.changed(ctx, act, a, saved.ApprovalsWithdrawn), nil
}

// mayGoPublic is MayGoPublic for the stored article rec.
func (act Actor) mayGoPublic(rec store.ArticleRecord) error { return act.MayGoPublic(act.owns(rec)) }

// SetTimes sets a's publication and update times for its new status
// a.Status, from its status before (from, published at was) and the time
// at asked for (zero for none), and says what is wrong with at, if
// anything: the rules of the desk's form and the Admin API alike. A draft
// keeps at as its planned time; a scheduled article needs a time to come;
// publishing is now, or backdated to a past at; a published article that
// stays published keeps its time, or takes a past at, and is marked
// updated now.
func (s *Service) SetTimes(a *model.Article, from model.Status, was, at time.Time) string {
	now := s.now()
	a.UpdatedAt = time.Time{}
	switch a.Status {
	case model.StatusDraft:
		a.PublishedAt = at // a planned time, or none
	case model.StatusScheduled:
		a.PublishedAt = at
		if at.IsZero() {
			return "Give the date and time to publish at."
		}
		if !at.After(now) {
			return "This time has passed. Choose a later one, or publish now."
		}
	case model.StatusPublished:
		if from != model.StatusPublished {
			// Publishing now, or backdated to a past time typed in.
			a.PublishedAt = now
			if !at.IsZero() && at.Before(now) {
				a.PublishedAt = at
			}
			return ""
		}
		a.PublishedAt, a.UpdatedAt = was, now
		if !at.IsZero() {
			a.PublishedAt = at
		}
		if a.PublishedAt.After(now) {
			return "A published article cannot be dated in the future; to take it down until then, schedule it."
		}
	}
	return ""
}

// createReferences creates the tags and bylines of a that have no ID yet,
// as the account userID.
func (s *Service) createReferences(ctx context.Context, a *model.Article, userID string) error {
	for i := range a.Tags {
		if a.Tags[i].ID == "" {
			if err := s.store.SaveTag(ctx, &a.Tags[i], userID, false, 0); err != nil {
				return fmt.Errorf("publishing: create tag: %w", err)
			}
		}
	}
	for i := range a.Authors {
		if a.Authors[i].ID == "" {
			if err := s.store.SaveAuthor(ctx, &a.Authors[i], userID, false, 0); err != nil {
				return fmt.Errorf("publishing: create byline: %w", err)
			}
		}
	}
	return nil
}

// recordChange writes the audit entry a save calls for: publishing,
// scheduling, or a change to a public or scheduled article.
func (s *Service) recordChange(ctx context.Context, act Actor, a *model.Article, from model.Status, revision int) {
	var action string
	switch {
	case a.Status == model.StatusPublished && from != model.StatusPublished:
		action = AuditPublished
	case a.Status == model.StatusScheduled && from != model.StatusScheduled:
		action = AuditScheduled
	case a.Status != model.StatusDraft:
		action = AuditEdited
	default:
		return
	}
	s.record(ctx, audit.Entry{Actor: act.UserID, Action: action, Target: a.ID, Detail: ArticleDetail(a, revision)})
}

// ArticleDetail is what an audit entry about a change to the article a,
// saved as revision, records of it: the desk and the Admin API alike.
func ArticleDetail(a *model.Article, revision int) map[string]any {
	d := map[string]any{"slug": a.Slug, "title": a.Title, "status": string(a.Status), "revision": revision}
	if a.Status == model.StatusScheduled {
		d["publish_at"] = a.PublishedAt.UTC().Format(time.RFC3339)
	}
	return d
}

// editable loads the article id for the actor to change, or a blank draft
// owned by the actor when id is "".
func (s *Service) editable(ctx context.Context, act Actor, id string) (store.ArticleRecord, error) {
	if !act.WriteOwn {
		return store.ArticleRecord{}, ErrForbidden
	}
	if id == "" {
		return store.ArticleRecord{Article: &model.Article{Status: model.StatusDraft}, CreatedBy: act.UserID}, nil
	}
	rec, err := s.store.ArticleRecordByID(ctx, id)
	if err != nil {
		return store.ArticleRecord{}, fmt.Errorf("publishing: %w", err)
	}
	if !act.mayEdit(rec) {
		return store.ArticleRecord{}, ErrForbidden
	}
	return rec, nil
}

// Unpublish takes a published or scheduled article back to draft.
func (s *Service) Unpublish(ctx context.Context, act Actor, id string) (Changed, error) {
	rec, err := s.editable(ctx, act, id)
	if err != nil {
		return Changed{}, err
	}
	from := rec.Article.Status
	if from == model.StatusDraft {
		return Changed{}, ErrAlreadyDraft
	}
	if err := act.mayGoPublic(rec); err != nil {
		return Changed{}, err
	}
	a := rec.Article
	a.Status, a.UpdatedAt = model.StatusDraft, time.Time{}
	saved, err := s.store.SaveArticleAs(ctx, a, act.UserID, rec.Revision)
	if err != nil {
		return Changed{}, fmt.Errorf("publishing: unpublish: %w", err)
	}
	detail := ArticleDetail(a, saved.Revision)
	detail["was"] = string(from)
	s.record(ctx, audit.Entry{Actor: act.UserID, Action: AuditUnpublished, Target: a.ID, Detail: detail})
	return s.changed(ctx, act, a, saved.ApprovalsWithdrawn), nil
}

// Delete removes an article with its revisions and preview links. A
// public or scheduled article needs the right to unpublish it.
func (s *Service) Delete(ctx context.Context, act Actor, id string) (Changed, error) {
	rec, err := s.editable(ctx, act, id)
	if err != nil {
		return Changed{}, err
	}
	if rec.Article.Status != model.StatusDraft {
		if err := act.mayGoPublic(rec); err != nil {
			return Changed{}, err
		}
	}
	withdrawn, err := s.store.DeleteArticle(ctx, id)
	if err != nil {
		return Changed{}, fmt.Errorf("publishing: delete: %w", err)
	}
	s.record(ctx, audit.Entry{Actor: act.UserID, Action: AuditDeleted, Target: id, Detail: ArticleDetail(rec.Article, rec.Revision)})
	return s.changed(ctx, act, rec.Article, withdrawn), nil
}

// Changed is an article as a change left it, and what the change did to
// the newsletter issues waiting to be sent.
type Changed struct {
	*model.Article
	// ApprovalsWithdrawn names the unsent issues that pick the article
	// and lost the approvals they had (requirement S5): those approved
	// the article as it was, so the issues are drafts again, to be
	// approved anew.
	ApprovalsWithdrawn []string
}

// changed records that act's change of a withdrew the approvals of the
// issues withdrawn, and returns what the change did.
func (s *Service) changed(ctx context.Context, act Actor, a *model.Article, withdrawn []string) Changed {
	for _, e := range ApprovalsWithdrawn(act.UserID, a, withdrawn) {
		s.record(ctx, e)
	}
	return Changed{Article: a, ApprovalsWithdrawn: withdrawn}
}

// ApprovalsWithdrawn returns the audit entries, by actor, of a change to
// the article a that withdrew the approvals of the issues with the IDs
// withdrawn.
func ApprovalsWithdrawn(actor string, a *model.Article, withdrawn []string) []audit.Entry {
	entries := make([]audit.Entry, len(withdrawn))
	for i, id := range withdrawn {
		entries[i] = audit.Entry{Actor: actor, Action: newsletter.AuditIssueApprovalsWithdrawn, Target: id,
			Detail: map[string]any{"article": a.ID, "article_title": a.Title, "reason": "a picked article changed"}}
	}
	return entries
}

// Editing is what the article form shows.
type Editing struct {
	// Article is the stored article; nil for a new one.
	Article *model.Article
	Draft   Draft // the form's values
	Tags    []model.Tag
	Authors []model.Author
	MayEdit bool // may save at all
	// MayPublish allows scheduling, publishing and unpublishing; each also
	// needs a step-up.
	MayPublish       bool
	MayCreateTags    bool
	MayCreateBylines bool
	PreviewLinks     int // unexpired draft-preview links
}

// Editor returns what the form for the article id needs, or for a new
// article, with the site's language and time zone, when id is "".
func (s *Service) Editor(ctx context.Context, act Actor, id string) (Editing, error) {
	if !act.WriteOwn {
		return Editing{}, ErrForbidden
	}
	l, err := s.lists(ctx)
	if err != nil {
		return Editing{}, err
	}
	e := Editing{Tags: l.tags, Authors: l.authors, MayCreateTags: act.ManageTags, MayCreateBylines: act.ManageAuthors}
	if id == "" {
		lang, zone, err := s.NewArticleDefaults(ctx)
		if err != nil {
			return Editing{}, err
		}
		e.Draft = Draft{Language: lang, TimeZone: zone, NewBylineKind: model.AuthorStaff}
		e.MayEdit, e.MayPublish = true, act.PublishOwn || act.PublishAll
		return e, nil
	}
	rec, err := s.store.ArticleRecordByID(ctx, id)
	if err != nil {
		return Editing{}, fmt.Errorf("publishing: %w", err)
	}
	if !act.mayView(rec) {
		return Editing{}, ErrForbidden
	}
	if e.PreviewLinks, err = s.store.PreviewLinks(ctx, id); err != nil {
		return Editing{}, fmt.Errorf("publishing: %w", err)
	}
	e.Article, e.Draft = rec.Article, DraftOf(rec.Article, rec.Revision)
	e.MayEdit, e.MayPublish = act.mayEdit(rec), act.mayPublish(rec)
	return e, nil
}

// NewArticleDefaults returns the language and time zone a new article
// starts with: the site's, or the defaults before its settings are saved.
func (s *Service) NewArticleDefaults(ctx context.Context) (lang, zone string, err error) {
	settings, err := s.store.Settings(ctx)
	if errors.Is(err, model.ErrNotFound) {
		settings, err = model.DefaultSettings(""), nil
	}
	if err != nil {
		return "", "", fmt.Errorf("publishing: settings: %w", err)
	}
	return settings.Language, settings.TimeZone, nil
}

// PublishDue publishes the scheduled articles whose time has come and
// records each in the audit log, as the system's doing, since nobody
// clicked Publish at that moment; the entry names the revision's author
// through the earlier AuditScheduled entry. It reports how many it
// published.
func (s *Service) PublishDue(ctx context.Context) (int, error) {
	due, err := s.store.PublishDue(ctx, s.now())
	if err != nil {
		return 0, fmt.Errorf("publishing: %w", err)
	}
	for _, p := range due {
		s.record(ctx, audit.Entry{Actor: audit.System, Action: AuditPublished, Target: p.ID, Detail: map[string]any{
			"slug": p.Slug, "title": p.Title, "status": string(model.StatusPublished), "scheduled": true,
			"publish_at": p.PublishedAt.UTC().Format(time.RFC3339)}})
	}
	return len(due), nil
}
