package export

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// TestSnapshotAnswersAsTheStore asks the snapshot and the store the
// queries the site's pages, feeds and sitemaps ask.
func TestSnapshotAnswersAsTheStore(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	articles, _, err := f.st.ListArticles(ctx, store.ArticleQuery{PublishedAsOf: now, WithBody: true})
	if err != nil {
		t.Fatal(err)
	}
	snap := newSnapshot(articles)
	tag, author := f.Articles[6].Tags[0].ID, f.Articles[6].Authors[0].ID
	march := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		q    store.ArticleQuery
	}{
		{"the front page", store.ArticleQuery{Limit: 20}},
		{"its last page", store.ArticleQuery{Limit: 20, Offset: 40}},
		{"past the end", store.ArticleQuery{Limit: 20, Offset: 60}},
		{"everything", store.ArticleQuery{}},
		{"from an offset, without a limit", store.ArticleQuery{Offset: 30}},
		{"a tag", store.ArticleQuery{TagID: tag, Limit: 5}},
		{"a tag's second page", store.ArticleQuery{TagID: tag, Limit: 5, Offset: 5}},
		{"a byline's feed", store.ArticleQuery{AuthorID: author, Limit: 30, WithBody: true}},
		{"a tag and a byline", store.ArticleQuery{TagID: tag, AuthorID: author, Limit: 2, Offset: 1}},
		{"an unknown tag", store.ArticleQuery{TagID: "nope", Limit: 20}},
		{"a month", store.ArticleQuery{From: march, To: march.AddDate(0, 1, 0), Limit: 20}},
		{"a month's second page", store.ArticleQuery{From: march, To: march.AddDate(0, 1, 0), Limit: 10, Offset: 10}},
		{"since a moment", store.ArticleQuery{From: f.Articles[40].PublishedAt, Limit: 3}},
		{"a tag in a month", store.ArticleQuery{TagID: tag, From: march, To: march.AddDate(0, 1, 0)}},
	}
	ids := func(list []*model.Article) []string {
		var out []string
		for _, a := range list {
			out = append(out, a.ID)
		}
		return out
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.PublishedAsOf = now
			want, wantTotal, err := f.st.ListArticles(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			got, total, ok := snap.ListArticles(tt.q)
			if !ok {
				t.Fatal("the snapshot cannot answer")
			}
			if diff := cmp.Diff(ids(want), ids(got)); diff != "" || total != wantTotal {
				t.Errorf("total %d, want %d; articles (-store +snapshot):\n%s", total, wantTotal, diff)
			}
		})
	}
	if _, _, ok := snap.ListArticles(store.ArticleQuery{Limit: 20}); ok {
		t.Error("the snapshot answers a query for drafts too, which it does not hold")
	}
	if a, ok := snap.ArticleBySlug(f.Articles[3].Slug); !ok || a.ID != f.Articles[3].ID {
		t.Errorf("ArticleBySlug(%q) = %v, %v", f.Articles[3].Slug, a, ok)
	}
	if _, ok := snap.ArticleBySlug(f.Draft.Slug); ok {
		t.Error("the snapshot holds a draft")
	}
}

func TestSnapshotMemo(t *testing.T) {
	snap := newSnapshot(nil)
	calls := 0
	make := func(v string) func() string { return func() string { calls++; return v } }
	if got := snap.Memo("a", make("first")); got != "first" {
		t.Errorf("Memo(a) = %q, want first", got)
	}
	if got := snap.Memo("a", make("second")); got != "first" || calls != 1 {
		t.Errorf("Memo(a) again = %q after %d calls, want the kept first after 1", got, calls)
	}
	if got := snap.Memo("b", make("other")); got != "other" {
		t.Errorf("Memo(b) = %q, want other", got)
	}
}
