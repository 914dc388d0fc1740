package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// t0 is the test clock's start: a Monday noon, UTC.
var t0 = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

// eachWithClock runs fn on both engines with a store whose clock starts at
// t0.
func eachWithClock(t *testing.T, fn func(t *testing.T, s *store.Store, clock *storetest.Clock)) {
	t.Helper()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		clock := storetest.NewClock(t0)
		fn(t, storetest.NewEngine(t, engine, store.Options{Now: clock.Now}), clock)
	})
}

func mustAuthor(t *testing.T, s *store.Store, slug, name string) model.Author {
	t.Helper()
	a := model.Author{Slug: slug, Name: name, Kind: model.AuthorStaff}
	if err := s.CreateAuthor(t.Context(), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func mustTag(t *testing.T, s *store.Store, slug, name string) model.Tag {
	t.Helper()
	tag := model.Tag{Slug: slug, Name: name}
	if err := s.CreateTag(t.Context(), &tag); err != nil {
		t.Fatal(err)
	}
	return tag
}

// published returns a minimal published article; callers adjust fields.
func published(slug string, at time.Time) *model.Article {
	return &model.Article{
		Slug:           slug,
		Title:          "Headline of " + slug,
		Summary:        "Summary of " + slug,
		Body:           "Body of " + slug,
		BodyHTML:       "<p>Body of " + slug + "</p>",
		BodyText:       "Body of " + slug,
		ReadingMinutes: 1,
		Status:         model.StatusPublished,
		Language:       "en",
		TimeZone:       "Europe/Moscow",
		PublishedAt:    at,
	}
}

func mustCreate(t *testing.T, s *store.Store, a *model.Article) *model.Article {
	t.Helper()
	if err := s.CreateArticle(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

func contentVersion(t *testing.T, s *store.Store) int64 {
	t.Helper()
	v, err := s.ContentVersion(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// wantErr fails the test unless err matches target with errors.Is.
func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

// wantValidation fails the test unless err is a *model.ValidationError
// naming field.
func wantValidation(t *testing.T, err error, field string) {
	t.Helper()
	var ve *model.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v, want a validation error", err)
	}
	if _, ok := ve.Fields[field]; !ok {
		t.Fatalf("validation error %v does not name %q", ve, field)
	}
}

// articleDiff compares articles, treating nil and empty lists alike.
func articleDiff(want, got any) string {
	return cmp.Diff(want, got, cmpopts.EquateEmpty())
}

func slugs(articles []*model.Article) []string {
	out := make([]string, len(articles))
	for i, a := range articles {
		out[i] = a.Slug
	}
	return out
}
