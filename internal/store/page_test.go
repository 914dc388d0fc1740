package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestPages(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		privacy := &model.Page{Slug: "privacy", Title: "Privacy policy", Body: "We keep *nothing*.", BodyHTML: "<p>We keep <em>nothing</em>.</p>", Language: "en"}
		if err := s.CreatePage(ctx, privacy); err != nil {
			t.Fatal(err)
		}
		if privacy.ID == "" || !privacy.UpdatedAt.Equal(t0) {
			t.Errorf("after create: ID %q, UpdatedAt %v; want an ID and %v", privacy.ID, privacy.UpdatedAt, t0)
		}
		if empty, err := s.IsEmpty(ctx); err != nil || empty {
			t.Errorf("IsEmpty() with a page = %v, %v; want false", empty, err)
		}
		about := &model.Page{Slug: "about", Title: "About us"}
		if err := s.CreatePage(ctx, about); err != nil {
			t.Fatal(err)
		}
		got, err := s.PageBySlug(ctx, "privacy")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(privacy, got); diff != "" {
			t.Errorf("page (-want +got):\n%s", diff)
		}

		clock.Advance(time.Hour)
		before := contentVersion(t, s)
		privacy.Title, privacy.Slug = "Privacy", "privacy-policy"
		if err := s.UpdatePage(ctx, privacy); err != nil {
			t.Fatal(err)
		}
		if contentVersion(t, s) != before+1 {
			t.Error("UpdatePage did not bump the content version once")
		}
		got, err = s.PageBySlug(ctx, "privacy-policy")
		if err != nil {
			t.Fatal(err)
		}
		if got.Title != "Privacy" || !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("updated page: title %q, UpdatedAt %v", got.Title, got.UpdatedAt)
		}
		_, err = s.PageBySlug(ctx, "privacy")
		wantErr(t, err, model.ErrNotFound)
		wantErr(t, s.UpdatePage(ctx, &model.Page{ID: "missing", Slug: "x", Title: "X"}), model.ErrNotFound)
		wantValidation(t, s.CreatePage(ctx, &model.Page{Slug: "x"}), "title")

		list, err := s.ListPages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*model.Page{about, privacy}, list); diff != "" {
			t.Errorf("pages by title (-want +got):\n%s", diff)
		}
	})
}
