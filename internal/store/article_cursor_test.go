package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// walk reads every page of q, limit articles at a time, and returns the
// slugs in order and the number of pages.
func walk(t *testing.T, s *store.Store, q store.ArticlePageQuery, limit int) ([]string, int) {
	t.Helper()
	q.Limit = limit
	var got []string
	for pages := 1; ; pages++ {
		list, err := s.ArticlePage(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, slugs(list)...)
		if len(list) < limit {
			return got, pages
		}
		last := list[len(list)-1]
		at := last.PublishedAt
		if q.PublishedAsOf.IsZero() {
			at = last.CreatedAt
		}
		q.After = &store.ArticleCursor{At: at, ID: last.ID}
		if pages > 100 {
			t.Fatal("the walk does not end")
		}
	}
}

func TestArticlePage(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		n := newNewsroom(t, s)
		ru := published("ru", t0.Add(-5*time.Hour))
		ru.Language = "RU"
		mustCreate(t, s, ru)
		visible := append(append([]string{"p3", "p2", "p1"}, n.tied()...), "ru")
		tests := []struct {
			name  string
			q     store.ArticlePageQuery
			limit int
			want  []string
		}{
			{"published, one at a time", store.ArticlePageQuery{PublishedAsOf: t0}, 1, visible},
			{"published, two at a time through the tie", store.ArticlePageQuery{PublishedAsOf: t0}, 2, visible},
			{"published, all at once", store.ArticlePageQuery{PublishedAsOf: t0}, 100, visible},
			{"by tag slug", store.ArticlePageQuery{PublishedAsOf: t0, TagSlug: "war"}, 1, []string{"p2", "p1"}},
			{"by author slug", store.ArticlePageQuery{PublishedAsOf: t0, AuthorSlug: "boris"}, 5, []string{"p2"}},
			{"unknown tag selects nothing", store.ArticlePageQuery{PublishedAsOf: t0, TagSlug: "nope"}, 5, nil},
			{"language ignores case", store.ArticlePageQuery{PublishedAsOf: t0, Language: "ru"}, 5, []string{"ru"}},
			{"from inclusive, to exclusive", store.ArticlePageQuery{PublishedAsOf: t0, From: t0.Add(-3 * time.Hour), To: t0.Add(-time.Hour)}, 1, []string{"p2", "p1"}},
			{"drafts only", store.ArticlePageQuery{Status: model.StatusDraft}, 5, []string{"draft"}},
			// Every status, in the order of creation: the fixture's.
			{"every status by creation", store.ArticlePageQuery{}, 3, []string{"ru", "draft", "scheduled", "future", "tie-b", "tie-a", "p3", "p2", "p1"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, _ := walk(t, s, tt.q, tt.limit)
				if diff := articleDiff(tt.want, got); diff != "" {
					t.Errorf("slugs (-want +got):\n%s", diff)
				}
			})
		}

		t.Run("a page carries bylines, tags and, when asked, the body", func(t *testing.T) {
			full, err := s.ArticleBySlug(t.Context(), "p2")
			if err != nil {
				t.Fatal(err)
			}
			list, err := s.ArticlePage(t.Context(), store.ArticlePageQuery{ID: full.ID, Limit: 1, WithBody: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 {
				t.Fatalf("by ID: %d articles, want 1", len(list))
			}
			if diff := articleDiff(full, list[0]); diff != "" {
				t.Errorf("by ID differs from ArticleBySlug (-want +got):\n%s", diff)
			}
		})

		t.Run("a limit below one is refused", func(t *testing.T) {
			_, err := s.ArticlePage(t.Context(), store.ArticlePageQuery{})
			wantValidation(t, err, "limit")
		})
	})
}

func TestArticlePageByKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		for _, id := range []string{"k1", "k2"} {
			if err := s.CreateAPIKey(ctx, &store.APIKey{ID: id, Name: id, Role: "author", SecretHash: "h", CreatedBy: "system"}); err != nil {
				t.Fatal(err)
			}
		}
		for slug, key := range map[string]string{"mine": "k1", "theirs": "k2"} {
			if err := s.CreateArticleByKey(ctx, &model.Article{Slug: slug, Title: slug, Status: model.StatusDraft}, key, false); err != nil {
				t.Fatal(err)
			}
		}
		mustCreate(t, s, &model.Article{Slug: "desk", Title: "From the desk", Status: model.StatusDraft})
		got, _ := walk(t, s, store.ArticlePageQuery{APIKeyID: "k1"}, 10)
		if diff := cmp.Diff([]string{"mine"}, got); diff != "" {
			t.Errorf("k1's articles (-want +got):\n%s", diff)
		}
	})
}

func TestAuthorCounts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		n := newNewsroom(t, s)
		idle := mustAuthor(t, s, "idle", "idle") // lower case: names sort case-insensitively
		got, err := s.AuthorCounts(t.Context(), t0)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.AuthorCount{{Author: n.anna, Count: 2}, {Author: n.boris, Count: 1}, {Author: idle, Count: 0}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("author counts (-want +got):\n%s", diff)
		}
	})
}
