package api

import (
	"context"

	"github.com/tamizdat/tamizdat/internal/apikeys"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/publishing"
)

// Tags, bylines and pages go through the publishing service, with the
// desk's rules (names, lengths, slugs, the site's reserved page addresses);
// this file only applies partial updates and records what keys change in
// the audit log.

// Audit actions for tags, bylines and pages changed through the API.
const (
	ActionTagSaved      = "tag_saved"
	ActionTagDeleted    = "tag_deleted"
	ActionBylineSaved   = "byline_saved"
	ActionBylineDeleted = "byline_deleted"
	ActionPageSaved     = "page_saved"
	ActionPageDeleted   = "page_deleted"
)

// set replaces *dst with v when v is present.
func set(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

// saveTag creates a tag (id "") or applies in to the tag id, as it is at
// its latest revision: a save by someone else in the meantime makes it a
// store.ErrStaleRevision, as for articles.
func (e *editorial) saveTag(ctx context.Context, k apikeys.Key, id string, in tagInput) (model.Tag, error) {
	var d publishing.TagDraft
	if id != "" {
		var err error
		if d, err = e.publishing.Tag(ctx, actorOf(k), id); err != nil {
			return model.Tag{}, err
		}
	}
	set(&d.Name, in.Name)
	set(&d.Slug, in.Slug)
	set(&d.Description, in.Description)
	t, err := e.publishing.SaveTag(ctx, actorOf(k), d)
	if err != nil {
		return model.Tag{}, err
	}
	e.recordEntry(ctx, audit.Entry{Actor: k.Actor(), Action: ActionTagSaved, Target: t.ID, Detail: map[string]any{"slug": t.Slug}})
	return t, nil
}

// saveByline creates a byline (id "") or applies in to the byline id, as
// saveTag does. A byline is not an account: nothing ties it to a user.
func (e *editorial) saveByline(ctx context.Context, k apikeys.Key, id string, in authorInput) (model.Author, error) {
	var d publishing.BylineDraft
	if id != "" {
		var err error
		if d, err = e.publishing.Byline(ctx, actorOf(k), id); err != nil {
			return model.Author{}, err
		}
	}
	set(&d.Name, in.Name)
	set(&d.Slug, in.Slug)
	set(&d.Bio, in.Bio)
	if in.Kind != nil {
		d.Kind = model.AuthorKind(*in.Kind)
	}
	a, err := e.publishing.SaveByline(ctx, actorOf(k), d)
	if err != nil {
		return model.Author{}, err
	}
	e.recordEntry(ctx, audit.Entry{Actor: k.Actor(), Action: ActionBylineSaved, Target: a.ID, Detail: map[string]any{"slug": a.Slug}})
	return a, nil
}

// savePage creates a page (id "") or applies in to the page id, as saveTag
// does.
func (e *editorial) savePage(ctx context.Context, k apikeys.Key, id string, in pageInput) (*model.Page, error) {
	var d publishing.PageDraft
	if id != "" {
		var err error
		if d, err = e.publishing.Page(ctx, actorOf(k), id); err != nil {
			return nil, err
		}
	}
	set(&d.Title, in.Title)
	set(&d.Slug, in.Slug)
	set(&d.Body, in.Markdown)
	set(&d.Language, in.Language)
	p, err := e.publishing.SavePage(ctx, actorOf(k), d)
	if err != nil {
		return nil, err
	}
	e.recordEntry(ctx, audit.Entry{Actor: k.Actor(), Action: ActionPageSaved, Target: p.ID, Detail: map[string]any{"slug": p.Slug}})
	return p, nil
}

// deleteTaxonomy deletes a tag, byline or page with the publishing
// service's del and records it as action.
func (e *editorial) deleteTaxonomy(ctx context.Context, k apikeys.Key, id, action string,
	del func(context.Context, publishing.Actor, string, int) error) error {
	// The API shows no revisions, so a DELETE deletes what is there, as
	// the desk does only for the revision its page showed.
	if err := del(ctx, actorOf(k), id, 0); err != nil {
		return err
	}
	e.recordEntry(ctx, audit.Entry{Actor: k.Actor(), Action: action, Target: id})
	return nil
}
