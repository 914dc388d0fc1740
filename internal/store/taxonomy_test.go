package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestSaveTag(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		ctx := t.Context()
		war := mustTag(t, s, "war", "War")
		peace := model.Tag{Slug: "war", Name: "Peace", Description: "Talks"}
		wantValidation(t, s.SaveTag(ctx, &peace, "", true, 0), "slug")
		if peace.ID != "" {
			t.Error("a refused tag got an ID")
		}
		if err := s.SaveTag(ctx, &peace, "", false, 0); err != nil || peace.Slug != "war-2" || peace.ID == "" {
			t.Fatalf("automatic slug: %+v, %v", peace, err)
		}
		peace.Slug = "war"
		wantValidation(t, s.SaveTag(ctx, &peace, "", false, 1), "slug")
		peace.Slug, peace.Name = "peace", "Peace talks"
		v := contentVersion(t, s)
		if err := s.SaveTag(ctx, &peace, "", false, 1); err != nil {
			t.Fatal(err)
		}
		if contentVersion(t, s) == v {
			t.Error("renaming a tag did not bump the content version")
		}
		got, revision, err := s.TagByID(ctx, peace.ID)
		if err != nil || got != peace || revision != 2 {
			t.Errorf("TagByID = %+v, %d, %v; want %+v, 2", got, revision, err, peace)
		}
		all, err := s.AllTags(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]model.Tag{peace, war}, all); diff != "" {
			t.Errorf("AllTags (-want +got):\n%s", diff)
		}
		wantErr(t, s.SaveTag(ctx, &model.Tag{ID: "no-such-id", Slug: "x", Name: "X"}, "", false, 0), model.ErrNotFound)
	})
}

func TestDeletingTagsAndBylinesUnlinksArticles(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		ctx := t.Context()
		tag := mustTag(t, s, "war", "War")
		au := mustAuthor(t, s, "ann", "Ann")
		a := published("story", t0)
		a.Tags, a.Authors = []model.Tag{tag}, []model.Author{au}
		mustCreate(t, s, a)
		if err := s.DeleteTag(ctx, tag.ID, 0); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteAuthor(ctx, au.ID, 0); err != nil {
			t.Fatal(err)
		}
		got, err := s.ArticleBySlug(ctx, "story")
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Tags) != 0 || len(got.Authors) != 0 {
			t.Errorf("the article keeps deleted tags or bylines: %+v %+v", got.Tags, got.Authors)
		}
		wantErr(t, s.DeleteTag(ctx, tag.ID, 0), model.ErrNotFound)
		wantErr(t, s.DeleteAuthor(ctx, au.ID, 0), model.ErrNotFound)
	})
}

func TestSaveAuthor(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		ctx := t.Context()
		mustAuthor(t, s, "ann", "Ann")
		b := model.Author{Slug: "ann", Name: "Ann B.", Kind: model.AuthorPseudonym}
		wantValidation(t, s.SaveAuthor(ctx, &b, "", true, 0), "slug")
		b.Slug = "ann-b"
		if err := s.SaveAuthor(ctx, &b, "", true, 0); err != nil {
			t.Fatal(err)
		}
		b.Kind, b.Bio = model.AuthorAgency, "A wire service."
		if err := s.SaveAuthor(ctx, &b, "", false, 1); err != nil {
			t.Fatal(err)
		}
		got, revision, err := s.AuthorByID(ctx, b.ID)
		if err != nil || got != b || revision != 2 {
			t.Errorf("AuthorByID = %+v, %d, %v; want %+v, 2", got, revision, err, b)
		}
		b.Kind = "person"
		wantValidation(t, s.SaveAuthor(ctx, &b, "", false, 2), "kind")
	})
}

func TestSavePage(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		ctx := t.Context()
		about := model.Page{Slug: "about", Title: "About", Body: "We.", BodyHTML: "<p>We.</p>", Language: "en"}
		if err := s.SavePage(ctx, &about, "", true, 0); err != nil {
			t.Fatal(err)
		}
		if about.ID == "" || !about.UpdatedAt.Equal(t0) {
			t.Errorf("new page: %+v", about)
		}
		other := model.Page{Slug: "about", Title: "About us"}
		wantValidation(t, s.SavePage(ctx, &other, "", true, 0), "slug")
		clock.Advance(time.Hour)
		about.Title = "About us"
		if err := s.SavePage(ctx, &about, "", true, 1); err != nil {
			t.Fatal(err)
		}
		got, revision, err := s.PageByID(ctx, about.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Title != "About us" || !got.UpdatedAt.Equal(t0.Add(time.Hour)) || revision != 2 {
			t.Errorf("updated page: %+v", got)
		}
		if err := s.DeletePage(ctx, about.ID, 0); err != nil {
			t.Fatal(err)
		}
		_, _, err = s.PageByID(ctx, about.ID)
		wantErr(t, err, model.ErrNotFound)
	})
}
