package api

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/publishing"
)

// compose applies in to a, checking every member by the rules every
// article follows (publishing.CheckArticle), and renders the Markdown as
// the desk does (publishing's Render: sanitized, with uploads in their
// responsive sizes). With creating set, absent members take their
// defaults; otherwise they keep a's values. Problems come back together as
// one *model.ValidationError.
func (e *editorial) compose(ctx context.Context, a *model.Article, in articleInput, creating bool) error {
	p := map[string]string{}
	if in.Title != nil {
		a.Title = strings.TrimSpace(*in.Title)
	}
	if in.Summary != nil {
		a.Summary = strings.TrimSpace(*in.Summary)
	}
	if err := e.composeSlug(ctx, p, a, in.Slug, creating); err != nil {
		return err
	}
	if in.Markdown != nil || creating {
		if in.Markdown != nil {
			a.Body = *in.Markdown
		}
		r, err := e.publishing.Render(ctx, a.Body)
		if err != nil {
			return err
		}
		a.BodyHTML, a.BodyText, a.ReadingMinutes = r.HTML, r.Text, content.ReadingMinutes(r.Text)
	}
	if creating {
		lang, zone, err := e.settingsDefaults(ctx)
		if err != nil {
			return err
		}
		a.Language, a.TimeZone = lang, zone
	}
	if in.Language != nil {
		a.Language = *in.Language
	}
	if in.TimeZone != nil {
		a.TimeZone = *in.TimeZone
	}
	publishing.CheckArticle(a, p)
	if in.LeadImage.Set {
		a.LeadImage = nil
		if img := in.LeadImage.Value; img != nil {
			a.LeadImage = &model.Image{URL: img.URL, Alt: img.Alt, Caption: img.Caption, Credit: img.Credit, Width: img.Width, Height: img.Height}
			if !imageURL.MatchString(img.URL) || path.Clean(img.URL) != img.URL {
				p["lead_image.url"] = "a lead image is a path under /media/ on this site"
			}
			if img.Width < 0 || img.Height < 0 {
				p["lead_image.width"] = "width and height cannot be negative"
			}
		}
	}
	if in.Authors != nil {
		var err error
		if a.Authors, err = resolve(ctx, p, "authors", "byline", *in.Authors, e.store.AuthorBySlug); err != nil {
			return err
		}
	}
	if in.Tags != nil {
		var err error
		if a.Tags, err = resolve(ctx, p, "tags", "tag", *in.Tags, e.store.TagBySlug); err != nil {
			return err
		}
	}
	if creating {
		composeStatus(p, a, in, e.now())
	}
	if len(p) > 0 {
		return &model.ValidationError{Fields: p}
	}
	return nil
}

// composeSlug sets a.Slug: the one asked for, which must be free, or on
// creation one made from the headline (the store numbers it if taken).
func (e *editorial) composeSlug(ctx context.Context, p map[string]string, a *model.Article, slug *string, creating bool) error {
	if slug == nil {
		if creating {
			a.Slug = content.Slug(a.Title)
		}
		return nil
	}
	if *slug == a.Slug && !creating {
		return nil
	}
	checkSlug(p, *slug)
	a.Slug = *slug
	if p["slug"] != "" {
		return nil
	}
	other, err := e.store.ArticleBySlug(ctx, *slug)
	switch {
	case errors.Is(err, model.ErrNotFound):
		return nil
	case err != nil:
		return err
	case other.ID != a.ID:
		p["slug"] = "another article has this slug; choose another, or leave slug out to have one made from the headline"
	}
	return nil
}

// composeStatus applies the status and time a new article asks for.
func composeStatus(p map[string]string, a *model.Article, in articleInput, now time.Time) {
	if in.Status != nil {
		a.Status = model.Status(*in.Status)
	}
	switch a.Status {
	case model.StatusDraft:
		if in.PublishedAt != nil {
			p["published_at"] = "a draft has no publication time; set status to scheduled or published"
		}
	case model.StatusPublished:
		a.PublishedAt = now
		if in.PublishedAt != nil {
			a.PublishedAt = *in.PublishedAt
		}
		if a.PublishedAt.After(now) {
			p["published_at"] = "a publication time in the future schedules the article; set status to scheduled"
		}
	case model.StatusScheduled:
		if in.PublishedAt == nil || !in.PublishedAt.After(now) {
			p["published_at"] = "a scheduled article needs a publication time in the future"
		} else {
			a.PublishedAt = *in.PublishedAt
		}
	default:
		p["status"] = fmt.Sprintf("%q is not a status; use draft, scheduled or published", a.Status)
	}
}

// resolve looks up bylines or tags by slug, in order, recording unknown
// and repeated slugs in p under field.
func resolve[T any](ctx context.Context, p map[string]string, field, what string, slugs []string,
	bySlug func(context.Context, string) (T, error)) ([]T, error) {
	out := make([]T, 0, len(slugs))
	seen := map[string]bool{}
	for _, slug := range slugs {
		if seen[slug] {
			p[field] = fmt.Sprintf("%s %q is listed twice", what, slug)
			continue
		}
		seen[slug] = true
		v, err := bySlug(ctx, slug)
		if errors.Is(err, model.ErrNotFound) {
			p[field] = fmt.Sprintf("there is no %s %q; create it first with POST /api/v1/admin/%s", what, slug, field)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
