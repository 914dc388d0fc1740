package store_test

import (
	"errors"
	"fmt"
	"sync"
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
			Newsletter: model.NewsletterBlock{Enabled: true, Heading: "Daily", ConsentText: "Subscribers agree to the", PolicySlug: "privacy"},
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

// TestUpdateSettings: an update edits the settings as stored when it runs,
// so concurrent updates of different settings all keep their change; a
// refused edit, or one leaving the settings invalid, changes nothing.
func TestUpdateSettings(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		_, err := s.UpdateSettings(ctx, func(*model.Settings) error { return nil })
		wantErr(t, err, model.ErrNotFound)
		if err := s.SaveSettings(ctx, model.DefaultSettings("The Courier")); err != nil {
			t.Fatal(err)
		}
		v := contentVersion(t, s)

		// Each of these runs as its own screen would: four add a mirror,
		// one changes the banner.
		var wg sync.WaitGroup
		errs := make([]error, 5)
		for i := range 4 {
			wg.Go(func() {
				_, errs[i] = s.UpdateSettings(ctx, func(set *model.Settings) error {
					set.Mirrors = append(set.Mirrors, model.Mirror{URL: fmt.Sprintf("https://m%d.example/", i), Type: "mirror"})
					return nil
				})
			})
		}
		wg.Go(func() {
			_, errs[4] = s.UpdateSettings(ctx, func(set *model.Settings) error {
				set.Banner = model.Banner{Enabled: true, Text: "Support us!", LinkText: "Give"}
				return nil
			})
		})
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		got, err := s.Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Mirrors) != 4 || got.Banner.Text != "Support us!" || got.SiteName != "The Courier" {
			t.Errorf("after concurrent updates: %d mirrors %+v, banner %+v", len(got.Mirrors), got.Mirrors, got.Banner)
		}
		if after := contentVersion(t, s); after != v+5 {
			t.Errorf("content version went from %d to %d after five updates", v, after)
		}

		refused := errors.New("refused")
		_, err = s.UpdateSettings(ctx, func(set *model.Settings) error { set.SiteName = "Changed"; return refused })
		wantErr(t, err, refused)
		_, err = s.UpdateSettings(ctx, func(set *model.Settings) error { set.SiteName = ""; return nil })
		wantValidation(t, err, "site_name")
		if after, err := s.Settings(ctx); err != nil || !cmp.Equal(after, got) {
			t.Errorf("refused updates changed the settings: %+v, %v", after, err)
		}
	})
}
