package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// defaultNewsletters mirrors what a new site is seeded with.
func defaultNewsletters() []store.Newsletter {
	return []store.Newsletter{
		{Slug: "weekly", Name: "Weekly", Description: "The week's best", FullText: true,
			Schedule: &store.Schedule{Weekday: time.Friday, Hour: 9}, TimeZone: "Europe/Moscow"},
		{Slug: "breaking", Name: "Breaking", FullText: false},
	}
}

// seedNewsletters seeds the default newsletters and returns them by slug.
func seedNewsletters(t *testing.T, s *store.Store) map[string]store.Newsletter {
	t.Helper()
	if ok, err := s.SeedNewsletters(t.Context(), defaultNewsletters()); err != nil || !ok {
		t.Fatalf("SeedNewsletters() = %v, %v; want true", ok, err)
	}
	list, err := s.ListNewsletters(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Newsletter{}
	for _, n := range list {
		out[n.Slug] = n
	}
	return out
}

func TestNewsletters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		seedNewsletters(t, s)
		if ok, err := s.SeedNewsletters(ctx, defaultNewsletters()); err != nil || ok {
			t.Fatalf("second SeedNewsletters() = %v, %v; want false, nil", ok, err)
		}
		list, err := s.ListNewsletters(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Slug != "weekly" || list[1].Slug != "breaking" {
			t.Fatalf("ListNewsletters() = %+v; want weekly then breaking", list)
		}
		weekly, err := s.NewsletterBySlug(ctx, "weekly")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(list[0], weekly); diff != "" {
			t.Errorf("NewsletterBySlug differs from the list (-list +got):\n%s", diff)
		}
		want := defaultNewsletters()[0]
		want.ID, want.CreatedAt = weekly.ID, weekly.CreatedAt
		if diff := cmp.Diff(want, weekly); diff != "" {
			t.Errorf("weekly round trip (-want +got):\n%s", diff)
		}
		breaking, err := s.NewsletterByID(ctx, list[1].ID)
		if err != nil || breaking.Schedule != nil || breaking.FullText || breaking.TimeZone != "UTC" {
			t.Errorf("NewsletterByID(breaking) = %+v, %v; want no schedule, summaries, UTC", breaking, err)
		}

		tests := []struct {
			name string
			n    store.Newsletter
			want error
		}{
			{"duplicate slug", store.Newsletter{Slug: "weekly", Name: "Another"}, model.ErrConflict},
			{"no name", store.Newsletter{Slug: "nameless"}, &model.ValidationError{}},
			{"hour out of range", store.Newsletter{Slug: "late", Name: "Late", Schedule: &store.Schedule{Weekday: time.Monday, Hour: 24}}, &model.ValidationError{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := s.CreateNewsletter(ctx, &tt.n)
				var ve *model.ValidationError
				if _, wantValidation := tt.want.(*model.ValidationError); wantValidation {
					if !errors.As(err, &ve) {
						t.Errorf("CreateNewsletter() = %v, want a validation error", err)
					}
				} else if !errors.Is(err, tt.want) {
					t.Errorf("CreateNewsletter() = %v, want %v", err, tt.want)
				}
			})
		}
		if _, err := s.NewsletterBySlug(ctx, "nope"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("NewsletterBySlug(nope) = %v, want ErrNotFound", err)
		}
	})
}
