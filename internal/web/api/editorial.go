package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/apikeys"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/store"
)

// This file applies the desk's editorial rules (package publishing) to
// API keys: who may do what to which article, the status transitions, and
// what goes into the audit log. The rules themselves are publishing's
// (Actor.MayChange, MayPublish, MayGoPublic); a key is an actor with its
// role's permissions, and its "may publish" grant stands where a person's
// fresh step-up does: a program has no second factor, so whoever made the
// key granted publishing on purpose (tamizdat apikey create
// --may-publish), and every publish is in the audit log under the key.
//
// A key "owns" the articles it created. Contributor keys write and edit
// their own drafts; author keys also publish, schedule, unpublish and edit
// their own articles once published; editor keys do all of that to every
// article; the last three need the key's "may publish" grant. A key sees
// only the articles it may edit: others' answer 404, as if they did not
// exist. Every change is saved as a revision, as the desk's are, so that
// the desk's history shows it and an editor's save cannot silently
// overwrite it.

// Audit actions of the Admin API's article writes that the desk has no
// word for: the desk records publishing, scheduling, unpublishing,
// deleting and edits of public articles (publishing.Audit*), and keeps
// revisions of drafts instead of logging them. A key's every write is
// logged.
const (
	ActionArticleCreated = "article_created"
	ActionDraftEdited    = "draft_edited"
)

// editorial applies the rules to the store, and hands tags, bylines and
// pages to the publishing service.
type editorial struct {
	store      *store.Store
	publishing *publishing.Service
	audit      *audit.Log
	now        func() time.Time
	log        *slog.Logger
}

func forbidden(message string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: message}
}

func conflict(field, message string) *Error {
	return &Error{Status: http.StatusConflict, Code: "conflict", Field: field, Message: message}
}

// actorOf is the key k as the publishing rules see it: its role's
// permissions, with its "may publish" grant standing for a step-up, and
// its name for the audit log and revisions (which record no account).
func actorOf(k apikeys.Key) publishing.Actor {
	act := publishing.NewActor(k.Actor(), k.Role, k.MayPublish)
	act.APIKey = true
	return act
}

// mayChange answers whether k may change or delete an article in status s
// that it owns, or not, with the error the client gets when it may not.
func mayChange(k apikeys.Key, owned bool, s model.Status, what string) error {
	if s == model.StatusDraft {
		if !actorOf(k).MayChange(owned, s) {
			return forbidden("This key's role (" + string(k.Role) + ") may not " + what + " this draft.")
		}
		return nil
	}
	return mayGoPublic(k, owned, what+" this article while it is "+string(s))
}

// mayGoPublic answers whether k may make an article public, schedule it,
// take it down or change it while it is public or scheduled.
func mayGoPublic(k apikeys.Key, owned bool, what string) error {
	switch err := actorOf(k).MayGoPublic(owned); {
	case errors.Is(err, publishing.ErrForbidden):
		return forbidden("This key's role (" + string(k.Role) + ") may not " + what + ".")
	case errors.Is(err, publishing.ErrStepUpRequired):
		return forbidden("This key writes drafts only, so it may not " + what + ". Publishing through the API needs " +
			"an author or editor key made with tamizdat apikey create --may-publish.")
	}
	return nil
}

// listQuery is the part of an article list k may see.
func listQuery(k apikeys.Key) store.ArticlePageQuery {
	if k.Role.Can(accounts.PermEditAll) {
		return store.ArticlePageQuery{}
	}
	return store.ArticlePageQuery{APIKeyID: k.ID}
}

// load returns the article id if k may see it, and whether k owns it.
func (e *editorial) load(ctx context.Context, k apikeys.Key, id string) (store.ArticleRecord, bool, error) {
	rec, err := e.store.ArticleRecordByID(ctx, id)
	if err != nil {
		return store.ArticleRecord{}, false, err
	}
	owner, err := e.store.ArticleKey(ctx, id)
	if err != nil {
		return store.ArticleRecord{}, false, err
	}
	owned := owner == k.ID
	if !owned && !k.Role.Can(accounts.PermEditAll) {
		return store.ArticleRecord{}, false, model.ErrNotFound
	}
	return rec, owned, nil
}

// save stores a changed article as a new revision of rec, which no account
// saved, for the key k. A save by someone else since rec was read is
// store.ErrStaleRevision: nothing is overwritten unseen.
func (e *editorial) save(ctx context.Context, k apikeys.Key, rec store.ArticleRecord) (revision int, err error) {
	saved, err := e.store.SaveArticleAs(ctx, rec.Article, "", rec.Revision)
	if err != nil {
		return 0, err
	}
	e.recordWithdrawn(ctx, k, rec.Article, saved.ApprovalsWithdrawn)
	return saved.Revision, nil
}

// recordWithdrawn records that k's change of a withdrew the approvals of
// the newsletter issues withdrawn.
func (e *editorial) recordWithdrawn(ctx context.Context, k apikeys.Key, a *model.Article, withdrawn []string) {
	for _, entry := range publishing.ApprovalsWithdrawn(k.Actor(), a, withdrawn) {
		e.recordEntry(ctx, entry)
	}
}

// create stores a new article written by k, a draft unless the input asks
// for publication and k may publish.
func (e *editorial) create(ctx context.Context, k apikeys.Key, in articleInput) (*model.Article, error) {
	a := &model.Article{Status: model.StatusDraft}
	exactSlug, err := e.compose(ctx, a, in, true)
	if err != nil {
		return nil, err
	}
	if a.Status != model.StatusDraft {
		if err := mayGoPublic(k, true, "publish or schedule"); err != nil {
			return nil, err
		}
	}
	if err := e.store.CreateArticleByKey(ctx, a, k.ID, exactSlug); err != nil {
		return nil, err
	}
	e.record(ctx, k, ActionArticleCreated, a, 1)
	if a.Status != model.StatusDraft {
		e.record(ctx, k, transitionAction(a.Status), a, 1)
	}
	return a, nil
}

// update changes the members of in on the article id.
func (e *editorial) update(ctx context.Context, k apikeys.Key, id string, in articleInput) (*model.Article, error) {
	if in.Status != nil || in.PublishedAt != nil {
		return nil, &model.ValidationError{Fields: map[string]string{
			"status": "change the status and publication time with /publish and /unpublish"}}
	}
	rec, owned, err := e.load(ctx, k, id)
	if err != nil {
		return nil, err
	}
	a := rec.Article
	if err := mayChange(k, owned, a.Status, "edit"); err != nil {
		return nil, err
	}
	if _, err := e.compose(ctx, a, in, false); err != nil {
		return nil, err
	}
	action := ActionDraftEdited
	if a.Status != model.StatusDraft {
		action = publishing.AuditEdited
	}
	revision, err := e.save(ctx, k, rec)
	if err != nil {
		return nil, err
	}
	e.record(ctx, k, action, a, revision)
	return a, nil
}

// publish makes the article id public at the given time: now when nil,
// scheduled when in the future.
func (e *editorial) publish(ctx context.Context, k apikeys.Key, id string, at *time.Time) (*model.Article, error) {
	rec, owned, err := e.load(ctx, k, id)
	if err != nil {
		return nil, err
	}
	a := rec.Article
	if err := mayGoPublic(k, owned, "publish this article"); err != nil {
		return nil, err
	}
	if a.Status == model.StatusPublished {
		return nil, conflict("status", "The article is published already; unpublish it first to publish it again.")
	}
	from, was := a.Status, a.PublishedAt
	var asked time.Time
	if at != nil {
		asked = *at
	}
	a.Status = publishStatus(asked, e.now())
	if msg := e.publishing.SetTimes(a, from, was, asked); msg != "" {
		return nil, &model.ValidationError{Fields: map[string]string{"published_at": msg}}
	}
	revision, err := e.save(ctx, k, rec)
	if err != nil {
		return nil, err
	}
	e.record(ctx, k, transitionAction(a.Status), a, revision)
	return a, nil
}

// unpublish takes the article id off the site (or out of the schedule)
// and makes it a draft again.
func (e *editorial) unpublish(ctx context.Context, k apikeys.Key, id string) (*model.Article, error) {
	rec, owned, err := e.load(ctx, k, id)
	if err != nil {
		return nil, err
	}
	a := rec.Article
	if err := mayGoPublic(k, owned, "unpublish this article"); err != nil {
		return nil, err
	}
	if a.Status == model.StatusDraft {
		return nil, conflict("status", "The article is a draft already.")
	}
	a.Status, a.UpdatedAt = model.StatusDraft, time.Time{}
	revision, err := e.save(ctx, k, rec)
	if err != nil {
		return nil, err
	}
	e.record(ctx, k, publishing.AuditUnpublished, a, revision)
	return a, nil
}

// remove deletes the article id.
func (e *editorial) remove(ctx context.Context, k apikeys.Key, id string) error {
	rec, owned, err := e.load(ctx, k, id)
	if err != nil {
		return err
	}
	a := rec.Article
	if err := mayChange(k, owned, a.Status, "delete"); err != nil {
		return err
	}
	withdrawn, err := e.store.DeleteArticle(ctx, id)
	if err != nil {
		return err
	}
	e.recordWithdrawn(ctx, k, a, withdrawn)
	e.record(ctx, k, publishing.AuditDeleted, a, rec.Revision)
	return nil
}

func transitionAction(s model.Status) string {
	if s == model.StatusScheduled {
		return publishing.AuditScheduled
	}
	return publishing.AuditPublished
}

// record appends what k did to the audit log. A failure is logged, not
// returned: the change it describes has been made.
func (e *editorial) record(ctx context.Context, k apikeys.Key, action string, a *model.Article, revision int) {
	e.recordEntry(ctx, audit.Entry{Actor: k.Actor(), Action: action, Target: a.ID, Detail: publishing.ArticleDetail(a, revision)})
}

func (e *editorial) recordEntry(ctx context.Context, entry audit.Entry) {
	if err := e.audit.Append(ctx, entry); err != nil {
		e.log.ErrorContext(ctx, "audit entry lost", "action", entry.Action, "actor", entry.Actor, "err", err)
	}
}
