package store_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// newsroom is a small fixture: five articles readers can see at t0, and
// three they cannot.
type newsroom struct {
	anna, boris model.Author
	war, courts model.Tag
	byID        map[string]string // slug by article ID
}

func newNewsroom(t *testing.T, s *store.Store) *newsroom {
	t.Helper()
	n := &newsroom{
		anna: mustAuthor(t, s, "anna", "Anna"), boris: mustAuthor(t, s, "boris", "Boris"),
		war: mustTag(t, s, "war", "War"), courts: mustTag(t, s, "courts", "Courts"),
		byID: map[string]string{},
	}
	add := func(a *model.Article) {
		mustCreate(t, s, a)
		n.byID[a.ID] = a.Slug
	}
	p1 := published("p1", t0.Add(-3*time.Hour))
	p1.Authors, p1.Tags = []model.Author{n.anna}, []model.Tag{n.war}
	add(p1)
	p2 := published("p2", t0.Add(-2*time.Hour))
	p2.Authors, p2.Tags = []model.Author{n.boris, n.anna}, []model.Tag{n.courts, n.war}
	add(p2)
	add(published("p3", t0.Add(-time.Hour)))
	// Two at the same instant: the ID breaks the tie.
	add(published("tie-a", t0.Add(-4*time.Hour)))
	add(published("tie-b", t0.Add(-4*time.Hour)))
	future := published("future", t0.Add(2*time.Hour))
	future.Tags = []model.Tag{n.war}
	add(future)
	scheduled := published("scheduled", t0.Add(time.Hour))
	scheduled.Status = model.StatusScheduled
	add(scheduled)
	add(&model.Article{Slug: "draft", Title: "Draft", Status: model.StatusDraft, Tags: []model.Tag{n.war}})
	return n
}

// tied returns the slugs of the two articles sharing a time, in list order.
func (n *newsroom) tied() []string {
	var ids []string
	for id, slug := range n.byID {
		if strings.HasPrefix(slug, "tie-") {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return []string{n.byID[ids[1]], n.byID[ids[0]]}
}

func TestListArticles(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		n := newNewsroom(t, s)
		visible := append([]string{"p3", "p2", "p1"}, n.tied()...)
		tests := []struct {
			name      string
			q         store.ArticleQuery
			want      []string
			wantTotal int
		}{
			{"everything, undated drafts first", store.ArticleQuery{},
				append([]string{"draft", "future", "scheduled", "p3", "p2", "p1"}, n.tied()...), 8},
			{"published as of t0", store.ArticleQuery{PublishedAsOf: t0}, visible, 5},
			{"a page", store.ArticleQuery{PublishedAsOf: t0, Limit: 2, Offset: 1}, []string{"p2", "p1"}, 5},
			{"the last page", store.ArticleQuery{PublishedAsOf: t0, Limit: 2, Offset: 4}, n.tied()[1:], 5},
			{"a page holding all", store.ArticleQuery{PublishedAsOf: t0, Limit: 9}, visible, 5},
			{"a page ending at the end", store.ArticleQuery{PublishedAsOf: t0, Limit: 2, Offset: 3}, n.tied(), 5},
			{"past the end", store.ArticleQuery{PublishedAsOf: t0, Limit: 2, Offset: 10}, nil, 5},
			{"past the end without limit", store.ArticleQuery{PublishedAsOf: t0, Offset: 10}, nil, 5},
			{"nothing at all", store.ArticleQuery{PublishedAsOf: t0, TagID: "nope", Limit: 2}, nil, 0},
			{"offset without limit", store.ArticleQuery{PublishedAsOf: t0, Offset: 3}, n.tied(), 5},
			{"by tag", store.ArticleQuery{PublishedAsOf: t0, TagID: n.war.ID}, []string{"p2", "p1"}, 2},
			{"by tag, any status", store.ArticleQuery{TagID: n.war.ID}, []string{"draft", "future", "p2", "p1"}, 4},
			{"by author", store.ArticleQuery{PublishedAsOf: t0, AuthorID: n.anna.ID}, []string{"p2", "p1"}, 2},
			{"by author and tag", store.ArticleQuery{AuthorID: n.boris.ID, TagID: n.courts.ID}, []string{"p2"}, 1},
			{"from is inclusive, to exclusive", store.ArticleQuery{From: t0.Add(-3 * time.Hour), To: t0.Add(-time.Hour)}, []string{"p2", "p1"}, 2},
			{"unknown tag", store.ArticleQuery{TagID: "nope"}, nil, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				list, total, err := s.ListArticles(t.Context(), tt.q)
				if err != nil {
					t.Fatal(err)
				}
				if diff := articleDiff(tt.want, slugs(list)); diff != "" || total != tt.wantTotal {
					t.Errorf("total %d (want %d), slugs (-want +got):\n%s", total, tt.wantTotal, diff)
				}
			})
		}

		list, _, err := s.ListArticles(t.Context(), store.ArticleQuery{PublishedAsOf: t0, Limit: 2, Offset: 1})
		if err != nil {
			t.Fatal(err)
		}
		p2 := list[0]
		if diff := cmp.Diff([]model.Author{n.boris, n.anna}, p2.Authors); diff != "" {
			t.Errorf("p2 bylines out of order (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]model.Tag{n.courts, n.war}, p2.Tags); diff != "" {
			t.Errorf("p2 tags out of order (-want +got):\n%s", diff)
		}
		if p2.Body != "" || p2.BodyHTML != "" || p2.BodyText != "" || p2.Summary == "" {
			t.Errorf("list without WithBody: body %q, html %q, text %q, summary %q", p2.Body, p2.BodyHTML, p2.BodyText, p2.Summary)
		}
		full, err := s.ArticleBySlug(t.Context(), "p2")
		if err != nil {
			t.Fatal(err)
		}
		list, _, err = s.ListArticles(t.Context(), store.ArticleQuery{PublishedAsOf: t0, Limit: 2, Offset: 1, WithBody: true})
		if err != nil {
			t.Fatal(err)
		}
		if diff := articleDiff(full, list[0]); diff != "" {
			t.Errorf("list WithBody differs from ArticleBySlug (-want +got):\n%s", diff)
		}
		// Listing every published article reads bylines and tags by
		// another path (see ListArticles): they are the same.
		all, _, err := s.ListArticles(t.Context(), store.ArticleQuery{PublishedAsOf: t0, WithBody: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range all {
			one, err := s.ArticleBySlug(t.Context(), a.Slug)
			if err != nil {
				t.Fatal(err)
			}
			if diff := articleDiff(one, a); diff != "" {
				t.Errorf("%s in the list of all differs from ArticleBySlug (-want +got):\n%s", a.Slug, diff)
			}
		}
		rendered, _, err := s.ListArticles(t.Context(), store.ArticleQuery{PublishedAsOf: t0, WithBody: true, WithoutSource: true})
		if err != nil || len(rendered) != len(all) {
			t.Fatalf("WithoutSource listed %d articles (%v), want %d", len(rendered), err, len(all))
		}
		for i, a := range rendered {
			want := *all[i]
			want.Body = ""
			if diff := articleDiff(&want, a); diff != "" || all[i].Body == "" {
				t.Errorf("%s WithoutSource differs from the article without its source (-want +got):\n%s", a.Slug, diff)
			}
		}

		_, _, err = s.ListArticles(t.Context(), store.ArticleQuery{Limit: -1})
		wantValidation(t, err, "page")
	})
}

func TestArchiveMonths(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		for slug, at := range map[string]time.Time{
			"april-in-moscow":    time.Date(2025, 3, 31, 23, 30, 0, 0, time.UTC),
			"mid-march":          time.Date(2025, 3, 15, 12, 0, 0, 0, time.UTC),
			"february":           time.Date(2025, 2, 1, 0, 30, 0, 0, time.UTC),
			"february-in-moscow": time.Date(2025, 1, 31, 22, 0, 0, 0, time.UTC),
			"after-as-of":        time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
		} {
			mustCreate(t, s, published(slug, at))
		}
		scheduled := published("scheduled", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
		scheduled.Status = model.StatusScheduled
		mustCreate(t, s, scheduled)
		mustCreate(t, s, &model.Article{Slug: "draft", Title: "Draft", Status: model.StatusDraft})

		moscow, err := time.LoadLocation("Europe/Moscow")
		if err != nil {
			t.Fatal(err)
		}
		asOf := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
		tests := []struct {
			name string
			loc  *time.Location
			want []store.MonthCount
		}{
			{"Moscow", moscow, []store.MonthCount{{2025, time.April, 1}, {2025, time.March, 1}, {2025, time.February, 2}}},
			{"UTC", time.UTC, []store.MonthCount{{2025, time.March, 2}, {2025, time.February, 1}, {2025, time.January, 1}}},
			{"nil is UTC", nil, []store.MonthCount{{2025, time.March, 2}, {2025, time.February, 1}, {2025, time.January, 1}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.ArchiveMonths(t.Context(), asOf, tt.loc)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("months (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestCorpus(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		n := newNewsroom(t, s)
		var got []store.CorpusEntry
		err := s.Corpus(t.Context(), t0, func(e store.CorpusEntry) error {
			got = append(got, e)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var gotSlugs []string
		for _, e := range got {
			gotSlugs = append(gotSlugs, n.byID[e.ID])
		}
		if diff := cmp.Diff(append([]string{"p3", "p2", "p1"}, n.tied()...), gotSlugs); diff != "" {
			t.Fatalf("corpus articles (-want +got):\n%s", diff)
		}
		p2 := got[1]
		want := store.CorpusEntry{ID: p2.ID, Slug: "p2", Title: "Headline of p2", ReadingMinutes: 1, Summary: "Summary of p2", BodyText: "Body of p2",
			PublishedAt: t0.Add(-2 * time.Hour), TagIDs: []string{n.courts.ID, n.war.ID}}
		if diff := cmp.Diff(want, p2); diff != "" {
			t.Errorf("corpus entry (-want +got):\n%s", diff)
		}

		stop := errors.New("enough")
		calls := 0
		err = s.Corpus(t.Context(), t0, func(store.CorpusEntry) error {
			calls++
			return stop
		})
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("Corpus with a failing callback: %v after %d calls; want the callback's error after 1", err, calls)
		}
	})
}

func TestListTags(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		newNewsroom(t, s)
		mustTag(t, s, "arts", "arts") // lower case, to test case-insensitive order
		mustTag(t, s, "zoo", "Zoo")
		tests := []struct {
			name string
			asOf time.Time
			want []store.TagCount
		}{
			// "future" and "draft" carry war but are not visible at t0.
			{"as of t0", t0, []store.TagCount{{"war", "War", 2}, {"courts", "Courts", 1}, {"arts", "arts", 0}, {"zoo", "Zoo", 0}}},
			{"zero is every published article", time.Time{}, []store.TagCount{{"war", "War", 3}, {"courts", "Courts", 1}, {"arts", "arts", 0}, {"zoo", "Zoo", 0}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.ListTags(t.Context(), tt.asOf)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("tags (-want +got):\n%s", diff)
				}
			})
		}
	})
}
