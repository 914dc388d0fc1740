package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/publishing"
)

// leadImageFields name the lead image's problems by the JSON members at
// fault.
var leadImageFields = publishing.ImageFields{URL: "lead_image.url", Alt: "lead_image.alt", Size: "lead_image.width"}

// compose applies in to a by the rules every article follows, whether the
// desk's form or a key wrote it (package publishing: CheckArticle,
// CheckLeadImage, SlugFor, SetTimes), and renders the Markdown as the desk
// does (publishing's Render: sanitized, with uploads in their responsive
// sizes). With creating set, absent members take their defaults and the
// status and publication time asked for apply; otherwise absent members
// keep a's values. It reports whether a taken slug is an error rather than
// suffixed. Problems come back together as one *model.ValidationError.
func (e *editorial) compose(ctx context.Context, a *model.Article, in articleInput, creating bool) (exactSlug bool, err error) {
	p := map[string]string{}
	from, was := a.Status, a.PublishedAt
	if in.Title != nil {
		a.Title = strings.TrimSpace(*in.Title)
	}
	if in.Summary != nil {
		a.Summary = strings.TrimSpace(*in.Summary)
	}
	if in.Slug != nil || creating {
		var typed string
		if in.Slug != nil {
			typed = *in.Slug
		}
		a.Slug, exactSlug = publishing.SlugFor(typed, a.Title, a.ID)
	}
	if in.Markdown != nil || creating {
		if in.Markdown != nil {
			a.Body = *in.Markdown
		}
		r, err := e.publishing.Render(ctx, a.Body)
		if err != nil {
			return false, err
		}
		a.BodyHTML, a.BodyText, a.ReadingMinutes = r.HTML, r.Text, content.ReadingMinutes(r.Text)
	}
	if creating {
		if a.Language, a.TimeZone, err = e.publishing.NewArticleDefaults(ctx); err != nil {
			return false, err
		}
	}
	if in.Language != nil {
		a.Language = strings.TrimSpace(*in.Language)
	}
	if in.TimeZone != nil {
		a.TimeZone = strings.TrimSpace(*in.TimeZone)
	}
	publishing.CheckArticle(a, p)
	if in.LeadImage.Set {
		a.LeadImage = nil
		if img := in.LeadImage.Value; img != nil {
			a.LeadImage = &model.Image{URL: strings.TrimSpace(img.URL), Alt: strings.TrimSpace(img.Alt),
				Caption: strings.TrimSpace(img.Caption), Credit: strings.TrimSpace(img.Credit), Width: img.Width, Height: img.Height}
		}
	}
	publishing.CheckLeadImage(a.LeadImage, leadImageFields, p)
	if in.Authors != nil {
		if a.Authors, err = resolve(ctx, p, "authors", "byline", *in.Authors, e.store.AuthorBySlug); err != nil {
			return false, err
		}
	}
	if in.Tags != nil {
		if a.Tags, err = resolve(ctx, p, "tags", "tag", *in.Tags, e.store.TagBySlug); err != nil {
			return false, err
		}
	}
	at := a.PublishedAt // an edit keeps the article's time
	if creating {
		at = requestedStatus(p, a, in, e.now())
	}
	if msg := e.publishing.SetTimes(a, from, was, at); msg != "" {
		p["published_at"] = msg
	}
	if len(p) > 0 {
		return false, &model.ValidationError{Fields: p}
	}
	return exactSlug, nil
}

// requestedStatus sets the status a new article asks for, a draft unless
// in says otherwise, and returns the publication time it asks for.
func requestedStatus(p map[string]string, a *model.Article, in articleInput, now time.Time) time.Time {
	var at time.Time
	if in.PublishedAt != nil {
		at = *in.PublishedAt
	}
	if in.Status == nil {
		return at
	}
	switch s := model.Status(*in.Status); {
	case !s.Valid():
		p["status"] = fmt.Sprintf("%q is not a status; use draft, scheduled or published", s)
	case s == model.StatusPublished:
		a.Status = publishStatus(at, now)
	default:
		a.Status = s
	}
	return at
}

// publishStatus is the status publishing at the time at gives, as the
// Admin API reads it: scheduled when at is still to come, else published
// (now when at is zero, else backdated to at).
func publishStatus(at, now time.Time) model.Status {
	if at.After(now) {
		return model.StatusScheduled
	}
	return model.StatusPublished
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
