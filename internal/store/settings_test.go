package store_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestSettings(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		_, err := s.Settings(ctx)
		wantErr(t, err, model.ErrNotFound)

		set := model.Settings{
			SiteName: "Novaya Vremya", SiteDescription: "Independent news", Language: "ru", TimeZone: "Europe/Moscow",
			Banner:     model.Banner{Enabled: true, Text: "Support us!", LinkText: "Contribute today"},
			Newsletter: model.NewsletterBlock{Enabled: true, Heading: "Daily", PolicySlug: "privacy"},
		}
		for range 2 { // the second save replaces the first
			if err := s.SaveSettings(ctx, set); err != nil {
				t.Fatal(err)
			}
			set.SiteName += "!"
		}
		set.SiteName = set.SiteName[:len(set.SiteName)-1]
		got, err := s.Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(set, got); diff != "" {
			t.Errorf("settings (-want +got):\n%s", diff)
		}
		if v := contentVersion(t, s); v != 2 {
			t.Errorf("content version after two saves = %d, want 2", v)
		}

		bad := set
		bad.SiteName = ""
		wantValidation(t, s.SaveSettings(ctx, bad), "site_name")
	})
}
