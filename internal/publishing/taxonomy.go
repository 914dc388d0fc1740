package publishing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/model"
)

// Limits on tags, bylines and pages.
const (
	maxName        = 100  // runes, of tag and byline names
	maxDescription = 2000 // runes, of tag descriptions and byline bios
)

// reservedPageSlugs are the first path segments the public site and the
// server use for themselves: a page there could never be reached.
var reservedPageSlugs = []string{"admin", "api", "archive", "articles", "authors", "feed", "healthz", "media",
	"newsletter", "preview", "reach", "sitemaps", "static", "support", "tags"}

// TagDraft is a tag as its form sends it; an empty ID makes a new tag.
type TagDraft struct {
	ID, Name, Slug, Description string
	// Revision is the tag's latest revision when the form was opened, as
	// Draft.Revision is the article's: a save since makes saving the form a
	// store.ErrStaleRevision.
	Revision int
}

// BylineDraft is a byline as its form sends it; an empty ID makes a new
// one. A byline is not an account (requirement S8).
type BylineDraft struct {
	ID, Name, Slug, Bio string
	Kind                model.AuthorKind
	Revision            int // as in TagDraft
}

// PageDraft is a static page as its form sends it; an empty ID makes a
// new page.
type PageDraft struct {
	ID, Title, Slug, Body, Language string
	Revision                        int // as in TagDraft
}

// Tags returns every tag, by name.
func (s *Service) Tags(ctx context.Context, act Actor) ([]model.Tag, error) {
	if !act.ManageTags {
		return nil, ErrForbidden
	}
	tags, err := s.store.AllTags(ctx)
	if err != nil {
		return nil, fmt.Errorf("publishing: %w", err)
	}
	return tags, nil
}

// Tag returns one tag as its form shows it, at its latest revision.
func (s *Service) Tag(ctx context.Context, act Actor, id string) (TagDraft, error) {
	if !act.ManageTags {
		return TagDraft{}, ErrForbidden
	}
	t, revision, err := s.store.TagByID(ctx, id)
	if err != nil {
		return TagDraft{}, fmt.Errorf("publishing: %w", err)
	}
	return TagDraft{ID: t.ID, Name: t.Name, Slug: t.Slug, Description: t.Description, Revision: revision}, nil
}

// SaveTag creates or changes a tag: changing it from a revision older than
// its latest is a store.ErrStaleRevision.
func (s *Service) SaveTag(ctx context.Context, act Actor, d TagDraft) (model.Tag, error) {
	if !act.ManageTags {
		return model.Tag{}, ErrForbidden
	}
	p := map[string]string{}
	t := model.Tag{ID: d.ID, Name: checkName(d.Name, "A tag needs a name.", p), Description: strings.TrimSpace(d.Description)}
	checkLength(p, "description", t.Description, maxDescription)
	var exact bool
	t.Slug, exact = SlugFor(d.Slug, t.Name, d.ID)
	if len(p) > 0 {
		return t, &model.ValidationError{Fields: p}
	}
	if err := s.store.SaveTag(ctx, &t, act.account(), exact, d.Revision); err != nil {
		return t, fmt.Errorf("publishing: save tag: %w", err)
	}
	return t, nil
}

// DeleteTag removes a tag from the site and from its articles.
// baseRevision, unless 0, is the revision the person deleting it saw: if
// it was saved since, nothing is deleted (store.ErrStaleRevision).
func (s *Service) DeleteTag(ctx context.Context, act Actor, id string, baseRevision int) error {
	if !act.ManageTags {
		return ErrForbidden
	}
	if err := s.store.DeleteTag(ctx, id, baseRevision); err != nil {
		return fmt.Errorf("publishing: %w", err)
	}
	return nil
}

// Bylines returns every byline, by name.
func (s *Service) Bylines(ctx context.Context, act Actor) ([]model.Author, error) {
	if !act.ManageAuthors {
		return nil, ErrForbidden
	}
	authors, err := s.store.ListAuthors(ctx)
	if err != nil {
		return nil, fmt.Errorf("publishing: %w", err)
	}
	return authors, nil
}

// Byline returns one byline as its form shows it, at its latest revision.
func (s *Service) Byline(ctx context.Context, act Actor, id string) (BylineDraft, error) {
	if !act.ManageAuthors {
		return BylineDraft{}, ErrForbidden
	}
	a, revision, err := s.store.AuthorByID(ctx, id)
	if err != nil {
		return BylineDraft{}, fmt.Errorf("publishing: %w", err)
	}
	return BylineDraft{ID: a.ID, Name: a.Name, Slug: a.Slug, Bio: a.Bio, Kind: a.Kind, Revision: revision}, nil
}

// SaveByline creates or changes a byline, with revisions as in SaveTag.
func (s *Service) SaveByline(ctx context.Context, act Actor, d BylineDraft) (model.Author, error) {
	if !act.ManageAuthors {
		return model.Author{}, ErrForbidden
	}
	p := map[string]string{}
	a := model.Author{ID: d.ID, Name: checkName(d.Name, "A byline needs a name.", p), Kind: d.Kind, Bio: strings.TrimSpace(d.Bio)}
	checkLength(p, "bio", a.Bio, maxDescription)
	if !a.Kind.Valid() {
		p["kind"] = "Choose staff, pseudonym or agency."
	}
	var exact bool
	a.Slug, exact = SlugFor(d.Slug, a.Name, d.ID)
	if len(p) > 0 {
		return a, &model.ValidationError{Fields: p}
	}
	if err := s.store.SaveAuthor(ctx, &a, act.account(), exact, d.Revision); err != nil {
		return a, fmt.Errorf("publishing: save byline: %w", err)
	}
	return a, nil
}

// DeleteByline removes a byline from the site and from its articles.
// baseRevision, unless 0, is the revision the person deleting it saw: if
// it was saved since, nothing is deleted (store.ErrStaleRevision).
func (s *Service) DeleteByline(ctx context.Context, act Actor, id string, baseRevision int) error {
	if !act.ManageAuthors {
		return ErrForbidden
	}
	if err := s.store.DeleteAuthor(ctx, id, baseRevision); err != nil {
		return fmt.Errorf("publishing: %w", err)
	}
	return nil
}

// Pages returns every static page, by title.
func (s *Service) Pages(ctx context.Context, act Actor) ([]*model.Page, error) {
	if !act.ManagePages {
		return nil, ErrForbidden
	}
	pages, err := s.store.ListPages(ctx)
	if err != nil {
		return nil, fmt.Errorf("publishing: %w", err)
	}
	return pages, nil
}

// Page returns one static page as its form shows it, at its latest
// revision.
func (s *Service) Page(ctx context.Context, act Actor, id string) (PageDraft, error) {
	if !act.ManagePages {
		return PageDraft{}, ErrForbidden
	}
	p, revision, err := s.store.PageByID(ctx, id)
	if err != nil {
		return PageDraft{}, fmt.Errorf("publishing: %w", err)
	}
	return PageDraft{ID: p.ID, Title: p.Title, Slug: p.Slug, Body: p.Body, Language: p.Language, Revision: revision}, nil
}

// SavePage creates or changes a static page, rendering its Markdown as
// article bodies are rendered, with revisions as in SaveTag.
func (s *Service) SavePage(ctx context.Context, act Actor, d PageDraft) (*model.Page, error) {
	if !act.ManagePages {
		return nil, ErrForbidden
	}
	prob := map[string]string{}
	pg := &model.Page{ID: d.ID, Title: strings.TrimSpace(d.Title), Body: d.Body, Language: strings.TrimSpace(d.Language)}
	if pg.Title == "" {
		prob["title"] = "A page needs a title."
	}
	checkLength(prob, "title", pg.Title, maxTitle)
	if pg.Language != "" && !model.ValidLanguage(pg.Language) {
		prob["language"] = "Give the language as a code such as en, ru or uk, or leave it empty for the site's."
	}
	var exact bool
	pg.Slug, exact = SlugFor(d.Slug, pg.Title, d.ID)
	if slices.Contains(reservedPageSlugs, pg.Slug) {
		prob["slug"] = fmt.Sprintf("The address %q belongs to the site itself; choose another.", pg.Slug)
	}
	rendered, err := s.renderer(ctx)(pg.Body)
	if err != nil {
		prob["body"] = "This text could not be rendered; check its Markdown."
	}
	pg.BodyHTML = rendered.HTML
	if len(prob) > 0 {
		return pg, &model.ValidationError{Fields: prob}
	}
	if err := s.store.SavePage(ctx, pg, act.account(), exact, d.Revision); err != nil {
		return pg, fmt.Errorf("publishing: save page: %w", err)
	}
	return pg, nil
}

// DeletePage removes a static page.
// baseRevision, unless 0, is the revision the person deleting it saw: if
// it was saved since, nothing is deleted (store.ErrStaleRevision).
func (s *Service) DeletePage(ctx context.Context, act Actor, id string, baseRevision int) error {
	if !act.ManagePages {
		return ErrForbidden
	}
	if err := s.store.DeletePage(ctx, id, baseRevision); err != nil {
		return fmt.Errorf("publishing: %w", err)
	}
	return nil
}

// checkName trims a tag's or byline's name and records what is wrong.
func checkName(name, missing string, p map[string]string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		p["name"] = missing
	}
	checkLength(p, "name", name, maxName)
	return name
}

func checkLength(p map[string]string, field, value string, limit int) {
	if n := utf8.RuneCountInString(value); n > limit {
		p[field] = fmt.Sprintf("Keep this under %d characters; it has %d.", limit, n)
	}
}

// SlugFor makes the slug of an article, tag, byline or page from what was
// typed, or from its headline or name; it reports whether a taken slug is
// an error (typed, or changed on an existing record, whose address changes
// only on purpose) rather than suffixed. The desk and the Admin API both
// make slugs with it.
func SlugFor(typed, name, id string) (slug string, exact bool) {
	if typed = strings.TrimSpace(typed); typed != "" {
		return content.Slug(typed), true
	}
	return content.Slug(name), id != ""
}
