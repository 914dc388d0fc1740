// Package demo fills an empty database with the content of an invented
// newsroom, so that someone trying tamizdat for the first time sees a
// real-looking news site: the model article from the product brief with its
// four related articles, about 120 generated articles, static pages, site
// settings and placeholder images.
//
// Everything is deterministic: the same "now" yields the same content.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"
	_ "time/tzdata" // the demo's dates must not depend on the host's zoneinfo

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// SiteName is the name of the invented outlet the demo content belongs to.
const SiteName = "The Northern Courier"

// ErrNotEmpty is returned by Load when the store already holds content.
var ErrNotEmpty = errors.New("demo: the database is not empty; demo content is only loaded into an empty one")

// Load fills the empty store s with the demo site as it would look at now.
// Articles are dated up to now, except one scheduled for shortly after it.
// It returns ErrNotEmpty if s holds articles or pages already. The demo's
// settings replace stored ones, except for the mirrors and the onion
// address, which an operator may have listed before the first start
// (tamizdat mirrors) and which stay as they are. Everything is
// stored in one transaction, so a load that fails or is killed part-way
// leaves s empty, and the next start loads the demo afresh.
func Load(ctx context.Context, s *store.Store, now time.Time) error {
	empty, err := s.IsEmpty(ctx)
	if err != nil {
		return fmt.Errorf("demo: load: %w", err)
	}
	if !empty {
		return ErrNotEmpty
	}
	b, err := build(now)
	if err != nil {
		return err
	}
	stored, err := s.Settings(ctx)
	switch {
	case err == nil:
		b.Settings.Mirrors, b.Settings.OnionURL = stored.Mirrors, stored.OnionURL
	case !errors.Is(err, model.ErrNotFound):
		return fmt.Errorf("demo: load: %w", err)
	}
	if err := s.Import(ctx, b); err != nil {
		return fmt.Errorf("demo: load: %w", err)
	}
	return nil
}

// build assembles the demo site as of now without touching a store.
// Articles name their bylines and tags by slug, for the store to resolve.
func build(now time.Time) (*store.Bundle, error) {
	if !now.After(seedPublishedAt().Add(24 * time.Hour)) {
		return nil, fmt.Errorf("demo: build: now (%s) must be after the demo's model article of %s; is the clock right?",
			now.Format(time.DateOnly), seedPublishedAt().Format(time.DateOnly))
	}
	set, ap := settings(), appeal()
	b := &store.Bundle{Settings: &set, Appeals: []*model.Appeal{&ap}}
	var err error
	if b.Pages, err = pages(now); err != nil {
		return nil, err
	}
	authorsByName := map[string]model.Author{}
	for _, a := range authorTable {
		a.Slug = content.Slug(a.Name)
		b.Authors = append(b.Authors, &a)
		authorsByName[a.Name] = model.Author{Slug: a.Slug}
	}
	tagsByName := map[string]model.Tag{}
	for _, t := range tagTable {
		t.Slug = content.Slug(t.Name)
		b.Tags = append(b.Tags, &t)
		tagsByName[t.Name] = model.Tag{Slug: t.Slug}
	}
	stories := append(seedStories(), generate(now)...)
	for _, st := range stories {
		a, err := st.article()
		if err != nil {
			return nil, err
		}
		for _, name := range st.authors {
			au, ok := authorsByName[name]
			if !ok {
				return nil, fmt.Errorf("demo: build: article %q names unknown author %q", st.title, name)
			}
			a.Authors = append(a.Authors, au)
		}
		for _, name := range st.tags {
			t, ok := tagsByName[name]
			if !ok {
				return nil, fmt.Errorf("demo: build: article %q names unknown tag %q", st.title, name)
			}
			a.Tags = append(a.Tags, t)
		}
		b.Articles = append(b.Articles, a)
	}
	return b, nil
}

// story is an article as the demo tables describe it: Markdown, names of
// authors and tags, and times, before rendering.
type story struct {
	title, summary, body        string
	authors, tags               []string
	status                      model.Status
	language, zone              string
	created, published, updated time.Time
	image                       *model.Image
}

// article renders the story into an article ready for import, without
// authors and tags. The store keeps the slug unique.
func (st story) article() (*model.Article, error) {
	r, err := content.Render(st.body)
	if err != nil {
		return nil, fmt.Errorf("demo: render %q: %w", st.title, err)
	}
	return &model.Article{
		Slug:           content.Slug(st.title),
		Title:          st.title,
		Summary:        st.summary,
		Body:           st.body,
		BodyHTML:       r.HTML,
		BodyText:       r.Text,
		ReadingMinutes: content.ReadingMinutes(r.Text),
		Status:         st.status,
		Language:       st.language,
		TimeZone:       st.zone,
		PublishedAt:    st.published.UTC(),
		UpdatedAt:      st.updated.UTC(),
		CreatedAt:      st.created.UTC(),
		LeadImage:      st.image,
	}, nil
}

// mustZone loads a zone the demo tables name. time/tzdata is embedded, so
// only a typo in the tables can make it fail.
func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("demo: unknown time zone in demo tables: " + name)
	}
	return loc
}
