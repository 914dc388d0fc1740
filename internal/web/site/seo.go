package site

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// articleHead is what an article page tells search engines and social
// networks: Open Graph and Twitter card values, and a schema.org
// NewsArticle as JSON-LD. Its URLs are absolute on the main site when one
// is configured (declared exceptions to relative links, requirement C2),
// else on the host the request came through. It names bylines only, never
// the accounts behind them.
type articleHead struct {
	URL       string
	ImageURL  string // "" when the article has no lead image
	Published string
	Modified  string
	// JSONLD is a <script type="application/ld+json"> block's content. It
	// is data, never run, so the strict CSP has nothing to allow for it;
	// json.Marshal escapes "<", so it cannot end the script element.
	JSONLD template.JS
}

type ldArticle struct {
	Context          string    `json:"@context"`
	Type             string    `json:"@type"`
	MainEntityOfPage string    `json:"mainEntityOfPage"`
	Headline         string    `json:"headline"`
	Description      string    `json:"description,omitempty"`
	DatePublished    string    `json:"datePublished"`
	DateModified     string    `json:"dateModified"`
	InLanguage       string    `json:"inLanguage,omitempty"`
	Author           []ldParty `json:"author,omitempty"`
	Image            *ldImage  `json:"image,omitempty"`
	Publisher        ldParty   `json:"publisher"`
}

// ldParty is a schema.org Person or Organization.
type ldParty struct {
	Type string `json:"@type"`
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

type ldImage struct {
	Type   string `json:"@type"`
	URL    string `json:"url"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
}

// articleMeta builds the head metadata of the article page v.
func articleMeta(v articleView) (articleHead, error) {
	a := v.Article
	loc := a.Location()
	h := articleHead{
		URL:       v.AbsRoot + "articles/" + url.PathEscape(a.Slug),
		Published: a.PublishedAt.In(loc).Format(time.RFC3339),
		Modified:  modifiedAt(a).In(loc).Format(time.RFC3339),
	}
	ld := ldArticle{
		Context:          "https://schema.org",
		Type:             "NewsArticle",
		MainEntityOfPage: h.URL,
		Headline:         a.Title,
		Description:      a.Summary,
		DatePublished:    h.Published,
		DateModified:     h.Modified,
		InLanguage:       a.Language,
		Publisher:        ldParty{Type: "Organization", Name: v.Settings.SiteName},
	}
	for _, au := range a.Authors {
		kind := "Person" // pseudonyms included: a byline stands for a person
		if au.Kind == model.AuthorAgency {
			kind = "Organization"
		}
		ld.Author = append(ld.Author, ldParty{Type: kind, Name: au.Name, URL: v.AbsRoot + "authors/" + url.PathEscape(au.Slug)})
	}
	if img := a.LeadImage; img != nil && img.URL != "" {
		h.ImageURL = siteURL(v.AbsRoot, img.URL)
		ld.Image = &ldImage{Type: "ImageObject", URL: h.ImageURL, Width: img.Width, Height: img.Height}
	}
	js, err := json.Marshal(ld)
	if err != nil {
		return articleHead{}, fmt.Errorf("site: article metadata: %w", err)
	}
	h.JSONLD = template.JS(js)
	return h, nil
}
