package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestCreateArticleAsRecordsOwnerAndFirstRevision(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		ctx := t.Context()
		u := mustUser(t, s, "writer@example.org", "author")
		au := mustAuthor(t, s, "ann", "Ann")
		tag := mustTag(t, s, "politics", "Politics")
		a := published("first", time.Time{})
		a.Status = model.StatusDraft
		a.Authors, a.Tags = []model.Author{au}, []model.Tag{tag}
		a.LeadImage = &model.Image{URL: "/media/a.jpg", Alt: "A square", Width: 10, Height: 20}
		v := contentVersion(t, s)
		if err := s.CreateArticleAs(ctx, a, u.ID, false); err != nil {
			t.Fatal(err)
		}
		if contentVersion(t, s) == v {
			t.Error("creating an article did not bump the content version")
		}
		rec, err := s.ArticleRecordByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.CreatedBy != u.ID || rec.Revision != 1 {
			t.Errorf("record: created by %q, revision %d; want %q, 1", rec.CreatedBy, rec.Revision, u.ID)
		}
		if diff := articleDiff(a, rec.Article); diff != "" {
			t.Errorf("stored article differs (-want +got):\n%s", diff)
		}
		list, err := s.Revisions(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Number != 1 || list[0].SavedBy != u.ID || !list[0].SavedAt.Equal(t0) {
			t.Fatalf("revisions after creation: %+v", list)
		}
		full, err := s.RevisionByID(ctx, list[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		want := model.Article{ID: a.ID, Slug: a.Slug, Title: a.Title, Summary: a.Summary, Body: a.Body, Status: a.Status,
			Language: a.Language, TimeZone: a.TimeZone, LeadImage: a.LeadImage,
			Authors: []model.Author{{ID: au.ID}}, Tags: []model.Tag{{ID: tag.ID}}}
		if diff := articleDiff(want, full.Article); diff != "" {
			t.Errorf("revision 1 differs (-want +got):\n%s", diff)
		}
	})
}

func TestSaveArticleAsNumbersRevisionsAndRefusesStaleSaves(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		ctx := t.Context()
		u := mustUser(t, s, "writer@example.org", "author")
		a := published("story", t0)
		if err := s.CreateArticleAs(ctx, a, u.ID, false); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		a.Title = "Second title"
		saved, err := s.SaveArticleAs(ctx, a, u.ID, 1)
		n := saved.Revision
		if err != nil || n != 2 {
			t.Fatalf("second save: revision %d, %v", n, err)
		}
		// An editor who opened revision 1 saves after that: refused.
		stale := *a
		stale.Title = "Stale title"
		_, err = s.SaveArticleAs(ctx, &stale, u.ID, 1)
		wantErr(t, err, store.ErrStaleRevision)
		rec, err := s.ArticleRecordByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Article.Title != "Second title" || rec.Revision != 2 {
			t.Errorf("after the refused save: %q at revision %d", rec.Article.Title, rec.Revision)
		}
		list, err := s.Revisions(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Number != 2 || list[0].Article.Title != "Second title" || !list[0].SavedAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("revisions, newest first: %+v", list)
		}
		_, err = s.SaveArticleAs(ctx, &model.Article{ID: "no-such-id", Slug: "x", Title: "X", Status: model.StatusDraft}, u.ID, 0)
		wantErr(t, err, model.ErrNotFound)
	})
}

func TestArticleSlugsChangeOnlyOnPurpose(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		ctx := t.Context()
		u := mustUser(t, s, "writer@example.org", "author")
		first := published("taken", t0)
		if err := s.CreateArticleAs(ctx, first, u.ID, false); err != nil {
			t.Fatal(err)
		}
		// A slug made from the title is suffixed, a typed one refused.
		auto := published("taken", t0)
		if err := s.CreateArticleAs(ctx, auto, u.ID, false); err != nil || auto.Slug != "taken-2" {
			t.Fatalf("automatic slug: %q, %v", auto.Slug, err)
		}
		typed := published("taken", t0)
		wantValidation(t, s.CreateArticleAs(ctx, typed, u.ID, true), "slug")
		// Renaming onto another article's slug is refused too; keeping one's
		// own slug is fine.
		auto.Slug = "taken"
		_, err := s.SaveArticleAs(ctx, auto, u.ID, 1)
		wantValidation(t, err, "slug")
		auto.Slug = "taken-2"
		if _, err := s.SaveArticleAs(ctx, auto, u.ID, 1); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDeskArticlesFilters(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		ctx := t.Context()
		ann, bob := mustUser(t, s, "ann@example.org", "author"), mustUser(t, s, "bob@example.org", "author")
		byline := mustAuthor(t, s, "agency", "Agency")
		tag := mustTag(t, s, "war", "War")
		add := func(slug, title string, status model.Status, owner string, tagged bool) {
			a := published(slug, t0.Add(-time.Hour))
			a.Title, a.Status = title, status
			if status == model.StatusDraft {
				a.PublishedAt = time.Time{}
			}
			if tagged {
				a.Tags, a.Authors = []model.Tag{tag}, []model.Author{byline}
			}
			if err := s.CreateArticleAs(ctx, a, owner, false); err != nil {
				t.Fatal(err)
			}
		}
		add("a", "Talks in Geneva", model.StatusPublished, ann.ID, true)
		add("b", "GENEVA 100% talks_x", model.StatusDraft, bob.ID, false)
		add("c", "Floods", model.StatusDraft, ann.ID, true)
		mustCreate(t, s, published("d", t0)) // imported: no owner
		for _, tc := range []struct {
			name string
			q    store.DeskQuery
			want []string
		}{
			{"everything", store.DeskQuery{}, []string{"c", "b", "d", "a"}},
			{"status", store.DeskQuery{Status: model.StatusDraft}, []string{"c", "b"}},
			{"owner", store.DeskQuery{CreatedBy: ann.ID}, []string{"c", "a"}},
			{"tag", store.DeskQuery{TagID: tag.ID}, []string{"c", "a"}},
			{"byline", store.DeskQuery{AuthorID: byline.ID, Status: model.StatusPublished}, []string{"a"}},
			{"title ignores case", store.DeskQuery{Title: "geneva"}, []string{"b", "a"}},
			{"wildcards are literal", store.DeskQuery{Title: "100%"}, []string{"b"}},
			{"underscore is literal", store.DeskQuery{Title: "s_x"}, []string{"b"}},
			{"no match for a wildcard", store.DeskQuery{Title: "talks%geneva"}, nil},
			{"page", store.DeskQuery{Limit: 2, Offset: 1}, []string{"b", "d"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				list, total, err := s.DeskArticles(ctx, tc.q)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, rec := range list {
					got = append(got, rec.Article.Slug)
				}
				if articleDiff(tc.want, got) != "" {
					t.Errorf("slugs %v, want %v", got, tc.want)
				}
				if tc.q.Limit == 0 && total != len(tc.want) {
					t.Errorf("total %d, want %d", total, len(tc.want))
				}
			})
		}
		list, _, err := s.DeskArticles(ctx, store.DeskQuery{Title: "floods"})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].CreatedBy != ann.ID || len(list[0].Article.Tags) != 1 {
			t.Errorf("a listed record lacks its owner or tags: %+v", list)
		}
	})
}

func TestRevisionsDieWithTheirArticle(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		ctx := t.Context()
		u := mustUser(t, s, "writer@example.org", "author")
		a := published("story", t0)
		if err := s.CreateArticleAs(ctx, a, u.ID, false); err != nil {
			t.Fatal(err)
		}
		list, err := s.Revisions(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeleteArticle(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RevisionByID(ctx, list[0].ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a deleted article's revision: %v, want not found", err)
		}
	})
}
