package store_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestAuthors(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		zoe := model.Author{Slug: "zoe", Name: "Zoë Petrova", Kind: model.AuthorStaff, Bio: "Covers courts."}
		if err := s.CreateAuthor(ctx, &zoe); err != nil {
			t.Fatal(err)
		}
		afp := model.Author{Slug: "afp", Name: "AFP", Kind: model.AuthorAgency}
		if err := s.CreateAuthor(ctx, &afp); err != nil {
			t.Fatal(err)
		}
		anon := model.Author{Slug: "a-reader", Name: "a reader in Kazan", Kind: model.AuthorPseudonym}
		if err := s.CreateAuthor(ctx, &anon); err != nil {
			t.Fatal(err)
		}
		got, err := s.AuthorBySlug(ctx, "zoe")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(zoe, got); diff != "" {
			t.Errorf("author (-want +got):\n%s", diff)
		}
		_, err = s.AuthorBySlug(ctx, "nobody")
		wantErr(t, err, model.ErrNotFound)

		list, err := s.ListAuthors(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]model.Author{anon, afp, zoe}, list); diff != "" {
			t.Errorf("authors by name, ignoring case (-want +got):\n%s", diff)
		}
		// Bylines are not content until an article uses them.
		if v := contentVersion(t, s); v != 0 {
			t.Errorf("content version = %d after creating bylines, want 0", v)
		}
	})
}

func TestCreateAuthorValidates(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	for field, a := range map[string]model.Author{
		"name": {Slug: "x", Kind: model.AuthorStaff},
		"slug": {Name: "X", Kind: model.AuthorStaff},
		"kind": {Slug: "x", Name: "X", Kind: "robot"},
	} {
		t.Run(field, func(t *testing.T) {
			wantValidation(t, s.CreateAuthor(t.Context(), &a), field)
		})
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		tag := model.Tag{Slug: "sanctions", Name: "Sanctions", Description: "Measures against Russia and their effects."}
		if err := s.CreateTag(ctx, &tag); err != nil {
			t.Fatal(err)
		}
		got, err := s.TagBySlug(ctx, "sanctions")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tag, got); diff != "" {
			t.Errorf("tag (-want +got):\n%s", diff)
		}
		_, err = s.TagBySlug(ctx, "nothing")
		wantErr(t, err, model.ErrNotFound)
		wantValidation(t, s.CreateTag(ctx, &model.Tag{Slug: "x"}), "name")
		wantValidation(t, s.CreateTag(ctx, &model.Tag{Name: "X"}), "slug")
	})
}
