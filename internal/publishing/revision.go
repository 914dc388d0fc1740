package publishing

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// History is an article with its revisions, newest first.
type History struct {
	Article   *model.Article
	Revisions []Saved
	// MayRestore allows restoring a revision; for a public or scheduled
	// article a restore also needs a step-up.
	MayRestore bool
}

// Saved is a revision with the name of the account that saved it (its
// display name, else its email): desk-only, never shown to readers.
type Saved struct {
	store.Revision
	By string
}

// RevisionView is one revision with its bylines and tags by name.
type RevisionView struct {
	Saved
	Current    *model.Article // the article as it is now
	Tags       []model.Tag    // those that still exist
	Authors    []model.Author // likewise
	Latest     bool           // this is the article's latest revision
	MayRestore bool
}

// History lists the revisions of the article id.
func (s *Service) History(ctx context.Context, act Actor, id string) (History, error) {
	rec, err := s.viewable(ctx, act, id)
	if err != nil {
		return History{}, err
	}
	list, err := s.store.Revisions(ctx, id)
	if err != nil {
		return History{}, fmt.Errorf("publishing: history: %w", err)
	}
	names, err := s.accountNames(ctx)
	if err != nil {
		return History{}, err
	}
	h := History{Article: rec.Article, MayRestore: act.mayEdit(rec)}
	for _, v := range list {
		h.Revisions = append(h.Revisions, Saved{Revision: v, By: names(v.SavedBy)})
	}
	return h, nil
}

// Revision returns one revision by its ID, for reading.
func (s *Service) Revision(ctx context.Context, act Actor, revisionID string) (RevisionView, error) {
	v, err := s.store.RevisionByID(ctx, revisionID)
	if err != nil {
		return RevisionView{}, fmt.Errorf("publishing: %w", err)
	}
	rec, err := s.viewable(ctx, act, v.ArticleID)
	if err != nil {
		return RevisionView{}, err
	}
	names, err := s.accountNames(ctx)
	if err != nil {
		return RevisionView{}, err
	}
	l, err := s.lists(ctx)
	if err != nil {
		return RevisionView{}, err
	}
	return RevisionView{
		Saved: Saved{Revision: v, By: names(v.SavedBy)}, Current: rec.Article,
		Tags: existingTags(v.Article.Tags, l.tags), Authors: existingAuthors(v.Article.Authors, l.authors),
		Latest: v.Number == rec.Revision, MayRestore: act.mayEdit(rec),
	}, nil
}

// Restore makes an old revision's content current again, as a new
// revision: headline, slug, summary, body, language, time zone, lead
// image, bylines and tags (those that still exist). The article keeps its
// status and publication time.
func (s *Service) Restore(ctx context.Context, act Actor, revisionID string) (Changed, error) {
	v, err := s.store.RevisionByID(ctx, revisionID)
	if err != nil {
		return Changed{}, fmt.Errorf("publishing: restore: %w", err)
	}
	rec, err := s.editable(ctx, act, v.ArticleID)
	if err != nil {
		return Changed{}, err
	}
	cur := rec.Article
	if cur.Status != model.StatusDraft {
		if err := act.mayGoPublic(rec); err != nil {
			return Changed{}, err
		}
	}
	l, err := s.lists(ctx)
	if err != nil {
		return Changed{}, err
	}
	old := v.Article
	rendered, err := s.renderer(ctx)(old.Body)
	if err != nil {
		return Changed{}, fmt.Errorf("publishing: restore: %w", err)
	}
	a := &model.Article{ID: cur.ID, Status: cur.Status, PublishedAt: cur.PublishedAt, CreatedAt: cur.CreatedAt,
		Slug: old.Slug, Title: old.Title, Summary: old.Summary, Body: old.Body,
		BodyHTML: rendered.HTML, BodyText: rendered.Text, ReadingMinutes: content.ReadingMinutes(rendered.Text),
		Language: old.Language, TimeZone: old.TimeZone, LeadImage: old.LeadImage,
		Tags: existingTags(old.Tags, l.tags), Authors: existingAuthors(old.Authors, l.authors)}
	if a.Status == model.StatusPublished {
		a.UpdatedAt = s.now()
	}
	saved, err := s.store.SaveArticleAs(ctx, a, act.UserID, rec.Revision)
	if err != nil {
		return Changed{}, fmt.Errorf("publishing: restore: %w", err)
	}
	if a.Status != model.StatusDraft {
		detail := ArticleDetail(a, saved.Revision)
		detail["restored"] = v.Number
		s.record(ctx, audit.Entry{Actor: act.UserID, Action: AuditEdited, Target: a.ID, Detail: detail})
	}
	return s.changed(ctx, act, a, saved.ApprovalsWithdrawn), nil
}

// viewable loads the article id if the actor may see it.
func (s *Service) viewable(ctx context.Context, act Actor, id string) (store.ArticleRecord, error) {
	if !act.WriteOwn {
		return store.ArticleRecord{}, ErrForbidden
	}
	rec, err := s.store.ArticleRecordByID(ctx, id)
	if err != nil {
		return store.ArticleRecord{}, fmt.Errorf("publishing: %w", err)
	}
	if !act.mayView(rec) {
		return store.ArticleRecord{}, ErrForbidden
	}
	return rec, nil
}

// accountNames returns a function naming accounts by user ID.
func (s *Service) accountNames(ctx context.Context) (func(id string) string, error) {
	users, err := s.store.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("publishing: %w", err)
	}
	names := make(map[string]string, len(users))
	for _, u := range users {
		names[u.ID] = cmp.Or(u.DisplayName, u.Email)
	}
	// A revision names no account when an API key or an import saved it,
	// or when its account was removed since.
	return func(id string) string {
		return cmp.Or(names[id], "no account (an API key, an import or a removed account)")
	}, nil
}

// existingTags returns the tags of refs (by ID) that still exist, in order.
func existingTags(refs, all []model.Tag) []model.Tag {
	var out []model.Tag
	for _, r := range refs {
		if i := slices.IndexFunc(all, func(t model.Tag) bool { return t.ID == r.ID }); i >= 0 {
			out = append(out, all[i])
		}
	}
	return out
}

// existingAuthors is existingTags for bylines.
func existingAuthors(refs, all []model.Author) []model.Author {
	var out []model.Author
	for _, r := range refs {
		if i := slices.IndexFunc(all, func(a model.Author) bool { return a.ID == r.ID }); i >= 0 {
			out = append(out, all[i])
		}
	}
	return out
}

// SavedRecord is a revision of a static page, tag or byline with the name
// of the account that saved it, as Saved is for articles.
type SavedRecord struct {
	store.RecordRevision
	By     string
	Latest bool // this is the record's latest revision
}

// mayManage reports whether the actor may change records of kind, and so
// read and restore their revisions.
func (act Actor) mayManage(kind store.RecordKind) bool {
	switch kind {
	case store.KindPage:
		return act.ManagePages
	case store.KindTag:
		return act.ManageTags
	case store.KindByline:
		return act.ManageAuthors
	}
	return false
}

// RecordHistory lists the revisions of the record id of kind, newest
// first.
func (s *Service) RecordHistory(ctx context.Context, act Actor, kind store.RecordKind, id string) ([]SavedRecord, error) {
	if !act.mayManage(kind) {
		return nil, ErrForbidden
	}
	list, err := s.store.RecordRevisions(ctx, kind, id)
	if err != nil {
		return nil, fmt.Errorf("publishing: history: %w", err)
	}
	names, err := s.accountNames(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]SavedRecord, len(list))
	for i, v := range list {
		out[i] = SavedRecord{RecordRevision: v, By: names(v.SavedBy), Latest: i == 0}
	}
	return out, nil
}

// RecordRevision returns one revision of the record recordID of kind, for
// reading; model.ErrNotFound when it is another record's.
func (s *Service) RecordRevision(ctx context.Context, act Actor, kind store.RecordKind, recordID, revisionID string) (SavedRecord, error) {
	saved, _, err := s.recordRevision(ctx, act, kind, recordID, revisionID)
	return saved, err
}

// recordRevision is RecordRevision, also returning the number of the
// record's latest revision.
func (s *Service) recordRevision(ctx context.Context, act Actor, kind store.RecordKind, recordID, revisionID string) (SavedRecord, int, error) {
	if !act.mayManage(kind) {
		return SavedRecord{}, 0, ErrForbidden
	}
	v, err := s.store.RecordRevisionByID(ctx, revisionID)
	if err == nil && (v.Kind != kind || v.RecordID != recordID) {
		err = model.ErrNotFound
	}
	if err != nil {
		return SavedRecord{}, 0, fmt.Errorf("publishing: revision %s: %w", revisionID, err)
	}
	list, err := s.RecordHistory(ctx, act, kind, recordID)
	if err != nil {
		return SavedRecord{}, 0, err
	}
	i := slices.IndexFunc(list, func(r SavedRecord) bool { return r.ID == v.ID })
	if i < 0 {
		return SavedRecord{}, 0, fmt.Errorf("publishing: revision %s: %w", revisionID, model.ErrNotFound)
	}
	saved := list[i]
	saved.RecordRevision = v // with its fields, which lists leave out
	return saved, list[0].Number, nil
}

// RestoreRecord saves an old revision of the static page, tag or byline
// recordID as its current version, through the same checks as the desk's form, so it
// becomes the record's next revision. Readers see these records at once,
// so every restore is audit-logged, as restores of public articles are.
// A save of the record while it restores is a store.ErrStaleRevision.
func (s *Service) RestoreRecord(ctx context.Context, act Actor, kind store.RecordKind, recordID, revisionID string) (store.RecordRevision, error) {
	saved, latest, err := s.recordRevision(ctx, act, kind, recordID, revisionID)
	if err != nil {
		return store.RecordRevision{}, err
	}
	v := saved.RecordRevision
	// The revision's slug is restored exactly: taken by another record
	// since, it is a validation error on the slug field.
	var slug string
	switch kind {
	case store.KindPage:
		slug = v.Page.Slug
		_, err = s.SavePage(ctx, act, PageDraft{ID: v.RecordID, Title: v.Page.Title, Slug: slug, Body: v.Page.Body, Language: v.Page.Language,
			Revision: latest})
	case store.KindTag:
		slug = v.Tag.Slug
		_, err = s.SaveTag(ctx, act, TagDraft{ID: v.RecordID, Name: v.Tag.Name, Slug: slug, Description: v.Tag.Description, Revision: latest})
	case store.KindByline:
		slug = v.Author.Slug
		_, err = s.SaveByline(ctx, act, BylineDraft{ID: v.RecordID, Name: v.Author.Name, Slug: slug, Kind: v.Author.Kind, Bio: v.Author.Bio,
			Revision: latest})
	}
	if err != nil {
		return v, fmt.Errorf("publishing: restore %s revision %d: %w", kind, v.Number, err)
	}
	s.record(ctx, audit.Entry{Actor: act.UserID, Action: AuditRecordRestored, Target: v.RecordID,
		Detail: map[string]any{"kind": string(kind), "slug": slug, "restored": v.Number}})
	return v, nil
}
