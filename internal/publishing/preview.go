package publishing

import (
	"context"
	"fmt"
	"time"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
)

// PreviewLink is a new draft-preview link's secret token, shown once, and
// when it stops working.
type PreviewLink struct {
	Token   string
	Expires time.Time
}

// SharePreview creates a link that shows the article id, whatever its
// status, to anyone who has it, until it expires. Only the token's hash
// is kept.
func (s *Service) SharePreview(ctx context.Context, act Actor, id string) (PreviewLink, error) {
	rec, err := s.editable(ctx, act, id)
	if err != nil {
		return PreviewLink{}, err
	}
	link := PreviewLink{Token: newToken(), Expires: s.now().Add(s.previewLifetime)}
	if err := s.store.CreatePreviewToken(ctx, hashToken(link.Token), id, act.UserID, link.Expires); err != nil {
		return PreviewLink{}, fmt.Errorf("publishing: share preview: %w", err)
	}
	s.record(ctx, audit.Entry{Actor: act.UserID, Action: AuditPreviewShared, Target: id,
		Detail: map[string]any{"slug": rec.Article.Slug, "expires": link.Expires.UTC().Format(time.RFC3339)}})
	return link, nil
}

// RevokePreviews ends every preview link of the article id and reports how
// many there were.
func (s *Service) RevokePreviews(ctx context.Context, act Actor, id string) (int, error) {
	if _, err := s.editable(ctx, act, id); err != nil {
		return 0, err
	}
	n, err := s.store.RevokePreviewTokens(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("publishing: revoke previews: %w", err)
	}
	return n, nil
}

// Preview returns the article a preview link's token shows;
// model.ErrNotFound when the token is unknown or expired.
func (s *Service) Preview(ctx context.Context, token string) (*model.Article, error) {
	a, err := s.store.PreviewArticle(ctx, hashToken(token))
	if err != nil {
		return nil, fmt.Errorf("publishing: preview: %w", err)
	}
	if a.PublishedAt.IsZero() {
		a.PublishedAt = s.now()
	}
	return a, nil
}

// PreviewDraft returns the article the draft d describes, rendered as a
// save would render it but not stored, for the editor's live preview.
// Whatever a save would refuse is left out or shown as typed: a preview
// of half-written work must still work.
func (s *Service) PreviewDraft(ctx context.Context, act Actor, d Draft) (*model.Article, error) {
	if !act.WriteOwn {
		return nil, ErrForbidden
	}
	l, err := s.lists(ctx)
	if err != nil {
		return nil, err
	}
	c, problems := compose(d, &model.Article{Status: model.StatusDraft}, l, act, s.renderer(ctx))
	a := c.article
	if problems[FormImageFields.URL] != "" {
		a.LeadImage = nil // only our own /media/ addresses reach a page
	}
	if a.Title == "" {
		a.Title = "(No headline yet)"
	}
	a.PublishedAt = c.publishAt
	if a.PublishedAt.IsZero() {
		a.PublishedAt = s.now()
	}
	return a, nil
}
