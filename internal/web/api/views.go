package api

import (
	"net/url"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// The JSON documents of both APIs. They are built only from content
// records (articles, bylines, tags, pages): no staff account, its email,
// name or ID, can reach them (requirement S8).

// ArticleJSON is an article as the Content API shows it.
type ArticleJSON struct {
	ID             string       `json:"id"`
	Slug           string       `json:"slug"`
	URL            string       `json:"url"` // path on the site
	Title          string       `json:"title"`
	Summary        string       `json:"summary"`
	HTML           string       `json:"html"`           // sanitized
	Text           string       `json:"text,omitempty"` // single articles only
	Language       string       `json:"language"`
	PublishedAt    *time.Time   `json:"published_at"`
	UpdatedAt      *time.Time   `json:"updated_at"`
	ReadingMinutes int          `json:"reading_minutes"`
	LeadImage      *ImageJSON   `json:"lead_image"`
	Authors        []BylineJSON `json:"authors"`
	Tags           []TagRefJSON `json:"tags"`
}

// AdminArticleJSON is an article as the Admin API shows it: any status,
// with its Markdown.
type AdminArticleJSON struct {
	ArticleJSON
	Status    model.Status `json:"status"`
	Markdown  string       `json:"markdown"`
	TimeZone  string       `json:"time_zone"`
	CreatedAt time.Time    `json:"created_at"`
}

// ImageJSON is a lead image.
type ImageJSON struct {
	URL     string `json:"url"`
	Alt     string `json:"alt"`
	Caption string `json:"caption"`
	Credit  string `json:"credit"`
	Width   int    `json:"width,omitempty"`
	Height  int    `json:"height,omitempty"`
}

// BylineJSON is a byline on an article.
type BylineJSON struct {
	Name string           `json:"name"`
	Slug string           `json:"slug"`
	Kind model.AuthorKind `json:"kind"`
	URL  string           `json:"url"`
}

// AuthorJSON is a byline in the authors lists.
type AuthorJSON struct {
	ID string `json:"id,omitempty"` // Admin API only
	BylineJSON
	Bio      string `json:"bio"`
	Articles int    `json:"articles,omitempty"` // published, in the Content API
}

// TagRefJSON is a tag on an article.
type TagRefJSON struct {
	Name string `json:"name"`
	Slug string `json:"slug"`
	URL  string `json:"url"`
}

// TagJSON is a tag in the tags lists.
type TagJSON struct {
	ID string `json:"id,omitempty"` // Admin API only
	TagRefJSON
	Description string `json:"description,omitempty"`
	Articles    int    `json:"articles,omitempty"` // published, in the Content API
}

// PageJSON is a static page.
type PageJSON struct {
	ID        string     `json:"id"`
	Slug      string     `json:"slug"`
	URL       string     `json:"url"`
	Title     string     `json:"title"`
	HTML      string     `json:"html"`
	Markdown  string     `json:"markdown,omitempty"` // Admin API only
	Language  string     `json:"language"`
	UpdatedAt *time.Time `json:"updated_at"`
}

// ListMeta tells how to fetch the next page of a list.
type ListMeta struct {
	Limit int `json:"limit"`
	// Next is the cursor of the next page, or null on the last one.
	Next *string `json:"next"`
}

func articleJSON(a *model.Article, withText bool) ArticleJSON {
	j := ArticleJSON{
		ID: a.ID, Slug: a.Slug, URL: "/articles/" + url.PathEscape(a.Slug),
		Title: a.Title, Summary: a.Summary, HTML: a.BodyHTML, Language: a.Language,
		PublishedAt: optTime(a.PublishedAt), UpdatedAt: optTime(a.UpdatedAt), ReadingMinutes: a.ReadingMinutes,
		Authors: make([]BylineJSON, len(a.Authors)), Tags: make([]TagRefJSON, len(a.Tags)),
	}
	if withText {
		j.Text = a.BodyText
	}
	if img := a.LeadImage; img != nil {
		j.LeadImage = &ImageJSON{URL: img.URL, Alt: img.Alt, Caption: img.Caption, Credit: img.Credit, Width: img.Width, Height: img.Height}
	}
	for i, au := range a.Authors {
		j.Authors[i] = bylineJSON(au)
	}
	for i, t := range a.Tags {
		j.Tags[i] = tagRefJSON(t.Slug, t.Name)
	}
	return j
}

func adminArticleJSON(a *model.Article) AdminArticleJSON {
	return AdminArticleJSON{ArticleJSON: articleJSON(a, false), Status: a.Status, Markdown: a.Body,
		TimeZone: a.TimeZone, CreatedAt: a.CreatedAt}
}

func bylineJSON(a model.Author) BylineJSON {
	return BylineJSON{Name: a.Name, Slug: a.Slug, Kind: a.Kind, URL: "/authors/" + url.PathEscape(a.Slug)}
}

func authorJSON(a model.Author, articles int) AuthorJSON {
	return AuthorJSON{BylineJSON: bylineJSON(a), Bio: a.Bio, Articles: articles}
}

func tagRefJSON(slug, name string) TagRefJSON {
	return TagRefJSON{Name: name, Slug: slug, URL: "/tags/" + url.PathEscape(slug)}
}

func tagJSON(t model.Tag) TagJSON {
	return TagJSON{TagRefJSON: tagRefJSON(t.Slug, t.Name), Description: t.Description}
}

func tagCountJSON(t store.TagCount) TagJSON {
	return TagJSON{TagRefJSON: tagRefJSON(t.Slug, t.Name), Articles: t.Count}
}

func pageJSON(p *model.Page, withMarkdown bool) PageJSON {
	j := PageJSON{ID: p.ID, Slug: p.Slug, URL: "/" + url.PathEscape(p.Slug), Title: p.Title, HTML: p.BodyHTML,
		Language: p.Language, UpdatedAt: optTime(p.UpdatedAt)}
	if withMarkdown {
		j.Markdown = p.Body
	}
	return j
}

// optTime is nil for the zero time, which JSON shows as null.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
