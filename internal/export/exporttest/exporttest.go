// Package exporttest fills a store with a small site for tests of the
// static export: three pages of front page, every tag, byline and month
// under one page of its own, lead images, static pages, a draft with a tag
// of its own, and bodies linking root-relative, to the main site and
// elsewhere.
package exporttest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// BaseURL is the main site's address in the tests.
const BaseURL = "https://news.example"

// Articles is how many published articles Fill creates.
const Articles = 45

// Site is what Fill created.
type Site struct {
	Articles []*model.Article // published, oldest first
	Draft    *model.Article
}

// Fill creates the test site in the empty store st.
func Fill(t testing.TB, st *store.Store) *Site {
	t.Helper()
	ctx := context.Background()
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	check(st.SaveSettings(ctx, model.DefaultSettings("The Test Courier")))
	appeal := model.DefaultAppeal("The Test Courier")
	check(st.SaveAppeal(ctx, &appeal))
	var authors []model.Author
	for _, name := range []string{"Anna Petrova", "Ivan Sokolov", "AFP"} {
		a := model.Author{Name: name, Slug: content.Slug(name), Kind: model.AuthorStaff}
		check(st.CreateAuthor(ctx, &a))
		authors = append(authors, a)
	}
	var tags []model.Tag
	for _, name := range []string{"Politics", "Economy", "Culture", "Sport", "Secret"} {
		tg := model.Tag{Name: name, Slug: content.Slug(name)}
		check(st.CreateTag(ctx, &tg))
		tags = append(tags, tg)
	}
	site := &Site{}
	start := time.Date(2025, 1, 3, 9, 0, 0, 0, time.UTC)
	for i := range Articles {
		body := fmt.Sprintf("Paragraph one of story %d.\n\nSee [the first story](/articles/story-0), [our site](%s/about#team) or [elsewhere](https://example.org/x).", i, BaseURL)
		a := Article(t, fmt.Sprintf("Story %d", i), body)
		a.PublishedAt = start.Add(time.Duration(i) * 2 * 24 * time.Hour) // 15 a month
		a.Authors = []model.Author{authors[i%3]}
		a.Tags = []model.Tag{tags[i%4]}
		if i%5 == 0 {
			a.LeadImage = &model.Image{URL: "/media/demo/river.jpg", Alt: "A river", Width: 1200, Height: 800}
		}
		check(st.CreateArticle(ctx, a))
		site.Articles = append(site.Articles, a)
	}
	site.Draft = Article(t, "Unfinished", "Not yet.")
	site.Draft.Status, site.Draft.PublishedAt = model.StatusDraft, time.Time{}
	site.Draft.Tags = []model.Tag{tags[4]}
	check(st.CreateArticle(ctx, site.Draft))
	for _, p := range []struct{ slug, title string }{{"about", "About"}, {"privacy-policy", "Privacy Policy"}} {
		r, err := content.Render("We are a test.")
		check(err)
		check(st.CreatePage(ctx, &model.Page{Slug: p.slug, Title: p.title, Body: "We are a test.", BodyHTML: r.HTML}))
	}
	return site
}

// Article returns a published article with a rendered body, not yet
// stored, without bylines, tags or date.
func Article(t testing.TB, title, body string) *model.Article {
	t.Helper()
	r, err := content.Render(body)
	if err != nil {
		t.Fatal(err)
	}
	return &model.Article{
		Slug: content.Slug(title), Title: title, Summary: "About " + title + ".",
		Body: body, BodyHTML: r.HTML, BodyText: r.Text, ReadingMinutes: content.ReadingMinutes(r.Text),
		Status: model.StatusPublished, Language: "en", TimeZone: "UTC",
	}
}
