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

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		ctx := t.Context()
		k := store.APIKey{ID: "abc", Name: "wire importer", Role: "author", SecretHash: "hash", CreatedBy: "system",
			ExpiresAt: t0.Add(24*time.Hour + 1234*time.Nanosecond)}
		if err := s.CreateAPIKey(ctx, &k); err != nil {
			t.Fatal(err)
		}
		want := store.APIKey{ID: "abc", Name: "wire importer", Role: "author", SecretHash: "hash", CreatedBy: "system",
			CreatedAt: t0, ExpiresAt: t0.Add(24*time.Hour + time.Microsecond)}
		if diff := cmp.Diff(want, k); diff != "" {
			t.Errorf("created key (-want +got):\n%s", diff)
		}
		got, err := s.APIKeyByID(ctx, "abc")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("stored key (-want +got):\n%s", diff)
		}

		clock.Advance(time.Minute)
		if err := s.TouchAPIKey(ctx, "abc"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		if err := s.RevokeAPIKey(ctx, "abc"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		if err := s.RevokeAPIKey(ctx, "abc"); err != nil {
			t.Errorf("revoking twice: %v", err)
		}
		want.LastUsedAt, want.RevokedAt = t0.Add(time.Minute), t0.Add(2*time.Minute)
		if got, err = s.APIKeyByID(ctx, "abc"); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("used and revoked key; the first revocation counts (-want +got):\n%s", diff)
		}

		second := store.APIKey{ID: "def", Name: "newsletter bot", Role: "contributor", SecretHash: "h2", CreatedBy: "u1"}
		if err := s.CreateAPIKey(ctx, &second); err != nil {
			t.Fatal(err)
		}
		keys, err := s.ListAPIKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 2 || keys[0].ID != "def" || keys[1].ID != "abc" {
			t.Errorf("ListAPIKeys = %+v, want def then abc", keys)
		}

		_, err = s.APIKeyByID(ctx, "nope")
		wantErr(t, err, model.ErrNotFound)
		wantErr(t, s.RevokeAPIKey(ctx, "nope"), model.ErrNotFound)
		wantErr(t, s.CreateAPIKey(ctx, &store.APIKey{ID: "abc", Name: "again", Role: "editor", SecretHash: "h", CreatedBy: "system"}), model.ErrConflict)
	})
}

func TestCreateAPIKeyValidates(t *testing.T) {
	t.Parallel()
	s := storetest.NewEngine(t, "sqlite", store.Options{})
	valid := store.APIKey{ID: "id", Name: "name", Role: "editor", SecretHash: "h", CreatedBy: "system"}
	tests := []struct {
		field  string
		mutate func(*store.APIKey)
	}{
		{"id", func(k *store.APIKey) { k.ID = "" }},
		{"name", func(k *store.APIKey) { k.Name = " " }},
		{"secret_hash", func(k *store.APIKey) { k.SecretHash = "" }},
		{"created_by", func(k *store.APIKey) { k.CreatedBy = "" }},
		{"role", func(k *store.APIKey) { k.Role = "admin" }},
		{"role", func(k *store.APIKey) { k.Role = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			k := valid
			tt.mutate(&k)
			wantValidation(t, s.CreateAPIKey(t.Context(), &k), tt.field)
		})
	}
}

func TestCreateArticleByKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		if err := s.CreateAPIKey(ctx, &store.APIKey{ID: "k", Name: "k", Role: "author", SecretHash: "h", CreatedBy: "system"}); err != nil {
			t.Fatal(err)
		}
		desk := mustCreate(t, s, &model.Article{Slug: "a", Title: "A", Status: model.StatusDraft})
		if id, err := s.ArticleKey(ctx, desk.ID); err != nil || id != "" {
			t.Errorf("ArticleKey of an article from the desk = %q, %v; want none", id, err)
		}
		a := &model.Article{Slug: "a", Title: "By key", Status: model.StatusDraft}
		if err := s.CreateArticleByKey(ctx, a, "k", false); err != nil {
			t.Fatal(err)
		}
		if a.Slug != "a-2" || a.ID == "" {
			t.Errorf("created %+v; want a new ID and the slug a-2", a)
		}
		// A slug the key asked for is its, or an error.
		wantValidation(t, s.CreateArticleByKey(ctx, &model.Article{Slug: "a", Title: "Exact", Status: model.StatusDraft}, "k", true), "slug")
		if id, err := s.ArticleKey(ctx, a.ID); err != nil || id != "k" {
			t.Errorf("ArticleKey = %q, %v; want k", id, err)
		}
		revs, err := s.Revisions(ctx, a.ID)
		if err != nil || len(revs) != 1 || revs[0].Number != 1 || revs[0].SavedBy != "" || revs[0].Article.Title != "By key" {
			t.Errorf("revisions = %+v, %v; want the first, saved by no account", revs, err)
		}

		// An unknown key changes nothing.
		before := contentVersion(t, s)
		wantErr(t, s.CreateArticleByKey(ctx, &model.Article{Slug: "orphan", Title: "Orphan", Status: model.StatusDraft}, "unknown-key", false), model.ErrConflict)
		if _, err := s.ArticleBySlug(ctx, "orphan"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("the failed create left the article behind: %v", err)
		}
		if contentVersion(t, s) != before {
			t.Error("the failed create bumped the content version")
		}
		wantValidation(t, s.CreateArticleByKey(ctx, &model.Article{Slug: "x", Status: model.StatusDraft}, "k", false), "title")

		if _, err := s.DeleteArticle(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if id, err := s.ArticleKey(ctx, a.ID); err != nil || id != "" {
			t.Errorf("ArticleKey after the article was deleted = %q, %v; want none", id, err)
		}
	})
}
