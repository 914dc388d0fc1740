package publishing

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/model"
)

// Draft is an article as the editor's form sends it: every field as typed.
type Draft struct {
	Title   string
	Slug    string // "" makes one from the title
	Summary string
	Body    string // Markdown
	// Language is a BCP 47 tag such as "en" or "ru".
	Language string
	// TimeZone is the IANA zone the article is dated in.
	TimeZone string
	// PublishAt is the publication time as typed, in PublishAtLayout and
	// TimeZone; "" for none.
	PublishAt string
	TagIDs    []string // existing tags, in order
	// NewTags are tag names typed in: a tag of that name is used when there
	// is one, else created (editors only).
	NewTags   []string
	AuthorIDs []string // existing bylines, in order
	// NewByline is a byline name typed in, used like NewTags, and created
	// of kind NewBylineKind (editors only).
	NewByline     string
	NewBylineKind model.AuthorKind
	Image         ImageDraft
	// Revision is the revision the editor started from; 0 for a new
	// article.
	Revision int
}

// ImageDraft is the lead image as typed. An empty URL means no image.
type ImageDraft struct {
	URL, Alt, Caption, Credit string
	Width, Height             string // whole pixels, or "" when unknown
}

// PublishAtLayout is the layout of Draft.PublishAt: that of an HTML
// datetime-local input.
const PublishAtLayout = "2006-01-02T15:04"

// Limits on what a draft may hold.
const (
	maxTitle   = 300  // runes
	maxSummary = 1000 // runes
	maxImage   = 20000
)

// mediaURL is a path on our own /media/, the only place lead images come
// from.
var mediaURL = regexp.MustCompile(`^/media/[A-Za-z0-9._~/-]+$`)

// DraftOf returns the form values of the article a at revision.
func DraftOf(a *model.Article, revision int) Draft {
	d := Draft{Title: a.Title, Slug: a.Slug, Summary: a.Summary, Body: a.Body, Language: a.Language,
		TimeZone: a.TimeZone, Revision: revision, NewBylineKind: model.AuthorStaff}
	if !a.PublishedAt.IsZero() {
		d.PublishAt = a.PublishedAt.In(a.Location()).Format(PublishAtLayout)
	}
	for _, t := range a.Tags {
		d.TagIDs = append(d.TagIDs, t.ID)
	}
	for _, au := range a.Authors {
		d.AuthorIDs = append(d.AuthorIDs, au.ID)
	}
	if img := a.LeadImage; img != nil {
		d.Image = ImageDraft{URL: img.URL, Alt: img.Alt, Caption: img.Caption, Credit: img.Credit}
		if img.Width > 0 {
			d.Image.Width, d.Image.Height = strconv.Itoa(img.Width), strconv.Itoa(img.Height)
		}
	}
	return d
}

// lists are the tags and bylines an article can use.
type lists struct {
	tags    []model.Tag
	authors []model.Author
}

func (s *Service) lists(ctx context.Context) (lists, error) {
	tags, err := s.store.AllTags(ctx)
	if err != nil {
		return lists{}, fmt.Errorf("publishing: %w", err)
	}
	authors, err := s.store.ListAuthors(ctx)
	if err != nil {
		return lists{}, fmt.Errorf("publishing: %w", err)
	}
	return lists{tags: tags, authors: authors}, nil
}

// composed is an article built from a draft, with the tags and byline a
// save must create first (those without an ID).
type composed struct {
	article   *model.Article
	exactSlug bool      // the slug was typed: a taken one is an error
	publishAt time.Time // the typed publication time; zero when none
}

// compose builds the article d describes on top of current, whose ID,
// status and times it keeps, rendering its text with render, and lists
// what is wrong with d by field.
func compose(d Draft, current *model.Article, l lists, act Actor, render renderFunc) (composed, map[string]string) {
	p := map[string]string{}
	a := &model.Article{ID: current.ID, Status: current.Status, PublishedAt: current.PublishedAt,
		UpdatedAt: current.UpdatedAt, CreatedAt: current.CreatedAt}
	c := composed{article: a}

	a.Title = strings.TrimSpace(d.Title)
	a.Summary = strings.TrimSpace(d.Summary)
	a.Slug, c.exactSlug = SlugFor(d.Slug, a.Title, current.ID)

	a.Body = d.Body
	rendered, err := render(d.Body)
	if err != nil {
		p["body"] = "This text could not be rendered; check its Markdown."
	}
	a.BodyHTML, a.BodyText = rendered.HTML, rendered.Text
	a.ReadingMinutes = content.ReadingMinutes(rendered.Text)

	a.Language = strings.TrimSpace(d.Language)
	a.TimeZone = strings.TrimSpace(d.TimeZone)
	CheckArticle(a, p)
	loc := time.UTC
	if p["time_zone"] == "" {
		loc, _ = time.LoadLocation(a.TimeZone)
	}
	if v := strings.TrimSpace(d.PublishAt); v != "" {
		t, err := time.ParseInLocation(PublishAtLayout, v, loc)
		if err != nil {
			p["publish_at"] = "Give the date and time as 2025-03-10T14:30."
		}
		c.publishAt = t
	}

	a.LeadImage = composeImage(d.Image, p)
	a.Tags = composeTags(d, l.tags, act, p)
	a.Authors = composeBylines(d, l.authors, act, p)
	return c, p
}

// CheckArticle records in p, by field, what is wrong with the headline,
// summary, language and time zone of a: the rules every article follows,
// whether the desk's form or the Admin API wrote it.
func CheckArticle(a *model.Article, p map[string]string) {
	switch n := utf8.RuneCountInString(a.Title); {
	case strings.TrimSpace(a.Title) == "":
		p["title"] = "An article needs a headline."
	case n > maxTitle:
		p["title"] = fmt.Sprintf("Keep the headline under %d characters; this one has %d.", maxTitle, n)
	}
	if n := utf8.RuneCountInString(a.Summary); n > maxSummary {
		p["summary"] = fmt.Sprintf("Keep the summary under %d characters; this one has %d.", maxSummary, n)
	}
	if !model.ValidLanguage(a.Language) {
		p["language"] = "Give the language as a code such as en, ru, uk or pt-BR."
	}
	if !model.ValidTimeZone(a.TimeZone) {
		p["time_zone"] = "Give a time zone such as Europe/Moscow or UTC."
	}
}

// ImageFields name the fields a lead image's problems are recorded under:
// the desk's form and the Admin API's JSON call them differently.
type ImageFields struct{ URL, Alt, Size string }

// FormImageFields are the desk form's names of the lead image's fields.
var FormImageFields = ImageFields{URL: "image_url", Alt: "image_alt", Size: "image_size"}

// imageSizeProblem is what is wrong with a lead image's size, however it
// was typed.
var imageSizeProblem = fmt.Sprintf("Give both width and height in whole pixels up to %d, or neither.", maxImage)

// CheckLeadImage records in p, under the names in f, what is wrong with
// the lead image img (nil for none): the rules every lead image follows,
// whether the desk's form or the Admin API wrote it. It comes from this
// site's /media/ (the site's Content-Security-Policy loads images from its
// own host only), it is described for readers who cannot see it, and its
// size is both dimensions in whole pixels or neither.
func CheckLeadImage(img *model.Image, f ImageFields, p map[string]string) {
	if img == nil {
		return
	}
	if !mediaURL.MatchString(img.URL) || path.Clean(img.URL) != img.URL {
		p[f.URL] = "Give the image's address on this site, starting with /media/."
	}
	if strings.TrimSpace(img.Alt) == "" {
		p[f.Alt] = "Describe the image for readers who cannot see it."
	}
	if img.Width < 0 || img.Height < 0 || img.Width > maxImage || img.Height > maxImage || (img.Width == 0) != (img.Height == 0) {
		p[f.Size] = imageSizeProblem
	}
}

func composeImage(d ImageDraft, p map[string]string) *model.Image {
	img := &model.Image{URL: strings.TrimSpace(d.URL), Alt: strings.TrimSpace(d.Alt),
		Caption: strings.TrimSpace(d.Caption), Credit: strings.TrimSpace(d.Credit)}
	if img.URL == "" {
		return nil
	}
	var wErr, hErr error
	if d.Width != "" || d.Height != "" {
		img.Width, wErr = strconv.Atoi(strings.TrimSpace(d.Width))
		img.Height, hErr = strconv.Atoi(strings.TrimSpace(d.Height))
	}
	CheckLeadImage(img, FormImageFields, p)
	if errors.Join(wErr, hErr) != nil {
		p[FormImageFields.Size] = imageSizeProblem
	}
	return img
}

// composeTags resolves picked tag IDs and typed names, in that order,
// without repeats. Tags to create have no ID yet.
func composeTags(d Draft, all []model.Tag, act Actor, p map[string]string) []model.Tag {
	var out []model.Tag
	has := func(id string) bool { return slices.ContainsFunc(out, func(t model.Tag) bool { return t.ID == id }) }
	for _, id := range d.TagIDs {
		i := slices.IndexFunc(all, func(t model.Tag) bool { return t.ID == id })
		switch {
		case i < 0:
			p["tags"] = "One of the picked tags no longer exists; pick again."
		case !has(id):
			out = append(out, all[i])
		}
	}
	for _, name := range d.NewTags {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		i := slices.IndexFunc(all, func(t model.Tag) bool { return strings.EqualFold(t.Name, name) })
		switch {
		case i >= 0 && !has(all[i].ID):
			out = append(out, all[i])
		case i >= 0:
		case !act.ManageTags:
			p["new_tags"] = fmt.Sprintf("There is no tag %q, and only editors can create tags. Pick one from the list.", name)
		case !slices.ContainsFunc(out, func(t model.Tag) bool { return t.ID == "" && strings.EqualFold(t.Name, name) }):
			out = append(out, model.Tag{Name: name, Slug: content.Slug(name)})
		}
	}
	return out
}

// composeBylines resolves picked byline IDs and a typed name as
// composeTags does.
func composeBylines(d Draft, all []model.Author, act Actor, p map[string]string) []model.Author {
	var out []model.Author
	has := func(id string) bool { return slices.ContainsFunc(out, func(a model.Author) bool { return a.ID == id }) }
	for _, id := range d.AuthorIDs {
		i := slices.IndexFunc(all, func(a model.Author) bool { return a.ID == id })
		switch {
		case i < 0:
			p["authors"] = "One of the picked bylines no longer exists; pick again."
		case !has(id):
			out = append(out, all[i])
		}
	}
	name := strings.TrimSpace(d.NewByline)
	if name == "" {
		return out
	}
	i := slices.IndexFunc(all, func(a model.Author) bool { return strings.EqualFold(a.Name, name) })
	switch {
	case i >= 0 && !has(all[i].ID):
		out = append(out, all[i])
	case i >= 0:
	case !act.ManageAuthors:
		p["new_byline"] = fmt.Sprintf("There is no byline %q, and only editors can create bylines. Pick one from the list.", name)
	case !d.NewBylineKind.Valid():
		p["new_byline"] = "Say whether the new byline is staff, a pseudonym or an agency."
	default:
		out = append(out, model.Author{Name: name, Slug: content.Slug(name), Kind: d.NewBylineKind})
	}
	return out
}
