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

// TestOldSlugsRedirect: a published article's former slugs lead to its
// current one through any number of renames; drafts' former slugs are not
// kept; an article that takes a former slug wins over the redirect.
func TestOldSlugsRedirect(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		now := t0.Add(time.Hour)
		movedTo := func(slug string) string {
			t.Helper()
			to, err := s.ArticleMovedTo(ctx, slug, now)
			if errors.Is(err, model.ErrNotFound) {
				return ""
			}
			if err != nil {
				t.Fatal(err)
			}
			return to
		}
		rename := func(a *model.Article, slug string) {
			t.Helper()
			a.Slug = slug
			if err := s.UpdateArticle(ctx, a); err != nil {
				t.Fatal(err)
			}
		}

		a := mustCreate(t, s, published("first-name", t0))
		rename(a, "second-name")
		rename(a, "third-name")
		for _, old := range []string{"first-name", "second-name"} {
			if got := movedTo(old); got != "third-name" {
				t.Errorf("ArticleMovedTo(%s) = %q, want third-name", old, got)
			}
		}
		if got := movedTo("third-name"); got != "" {
			t.Errorf("the current slug redirects to %q", got)
		}

		// The desk's save path keeps old slugs too.
		rec, err := s.ArticleRecordByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		rec.Article.Slug = "fourth-name"
		if _, err := s.SaveArticleAs(ctx, rec.Article, "", rec.Revision); err != nil {
			t.Fatal(err)
		}
		if got := movedTo("third-name"); got != "fourth-name" {
			t.Errorf("after a desk save, ArticleMovedTo(third-name) = %q, want fourth-name", got)
		}

		// Renaming back to a former slug: that slug is live again, the one
		// left becomes a redirect.
		rename(a, "second-name")
		if got := movedTo("second-name"); got != "" {
			t.Errorf("a slug the article has again redirects to %q", got)
		}
		if got := movedTo("fourth-name"); got != "second-name" {
			t.Errorf("ArticleMovedTo(fourth-name) = %q, want second-name", got)
		}

		// A draft's renames leave nothing behind.
		d := published("draft-name", t0)
		d.Status = model.StatusDraft
		mustCreate(t, s, d)
		rename(d, "draft-renamed")
		if got := movedTo("draft-name"); got != "" {
			t.Errorf("a draft's old slug redirects to %q", got)
		}

		// Another article that takes a former slug wins.
		b := mustCreate(t, s, published("first-name", t0))
		if b.Slug != "first-name" {
			t.Fatalf("the new article got slug %q", b.Slug)
		}
		if got := movedTo("first-name"); got != "" {
			t.Errorf("a slug another article has now still redirects to %q", got)
		}

		want := []store.SlugRedirect{{From: "fourth-name", To: "second-name"}, {From: "third-name", To: "second-name"}}
		got, err := s.ArticleRedirects(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ArticleRedirects (-want +got):\n%s", diff)
		}

		// Unpublished, the article's old slugs stop redirecting; deleted,
		// they are gone.
		a.Status = model.StatusDraft
		if err := s.UpdateArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
		if got := movedTo("third-name"); got != "" {
			t.Errorf("an unpublished article's old slug redirects to %q", got)
		}
		if _, err := s.DeleteArticle(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := s.ArticleRedirects(ctx, now); err != nil || len(got) != 0 {
			t.Errorf("after deleting the article: %v, %v", got, err)
		}
	})
}
