package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestArticleRoundTrip(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		anna := mustAuthor(t, s, "anna", "Anna")
		afp := mustAuthor(t, s, "afp", "AFP")
		war := mustTag(t, s, "war", "War")
		courts := mustTag(t, s, "courts", "Courts")
		moscow, err := time.LoadLocation("Europe/Moscow")
		if err != nil {
			t.Fatal(err)
		}
		// Nanoseconds and a non-UTC zone: the store keeps microseconds, in UTC.
		publishedAt := time.Date(2025, 3, 31, 2, 30, 15, 123456789, moscow)
		a := published("verdict", publishedAt)
		a.UpdatedAt = publishedAt.Add(90 * time.Minute)
		a.LeadImage = &model.Image{URL: "/media/2025/03/court.jpg", Alt: "A court", Caption: "The court", Credit: "AFP", Width: 1200, Height: 800}
		a.ReadingMinutes = 4
		// Out of alphabetical and creation order, to test positions.
		a.Authors = []model.Author{afp, anna}
		a.Tags = []model.Tag{war, courts}
		mustCreate(t, s, a)

		if a.ID == "" || !a.CreatedAt.Equal(t0) {
			t.Errorf("after create: ID %q, CreatedAt %v; want an ID and %v", a.ID, a.CreatedAt, t0)
		}
		wantPublished := time.Date(2025, 3, 30, 23, 30, 15, 123456000, time.UTC)
		if !a.PublishedAt.Equal(wantPublished) || a.PublishedAt.Location() != time.UTC {
			t.Errorf("PublishedAt normalised to %v, want %v", a.PublishedAt, wantPublished)
		}
		got, err := s.ArticleBySlug(ctx, "verdict")
		if err != nil {
			t.Fatal(err)
		}
		if diff := articleDiff(a, got); diff != "" {
			t.Errorf("stored article differs (-want +got):\n%s", diff)
		}
		if got.PublishedAt != wantPublished || got.CreatedAt.Location() != time.UTC {
			t.Errorf("PublishedAt = %v (%v), want exactly %v in UTC", got.PublishedAt, got.PublishedAt.Location(), wantPublished)
		}
		if s.Engine() == "sqlite" {
			var raw string
			if err := store.ReaderDB(s).QueryRowContext(ctx, "SELECT published_at FROM articles WHERE id = ?", a.ID).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if raw != "2025-03-30T23:30:15.123456000Z" {
				t.Errorf("SQLite stores %q, want fixed-width RFC 3339 UTC", raw)
			}
		}

		draft := &model.Article{Slug: "draft", Title: "Draft", Status: model.StatusDraft}
		mustCreate(t, s, draft)
		got, err = s.ArticleBySlug(ctx, "draft")
		if err != nil {
			t.Fatal(err)
		}
		if !got.PublishedAt.IsZero() || !got.UpdatedAt.IsZero() || got.LeadImage != nil {
			t.Errorf("draft: PublishedAt %v, UpdatedAt %v, LeadImage %v; want zero, zero, nil", got.PublishedAt, got.UpdatedAt, got.LeadImage)
		}

		_, err = s.ArticleBySlug(ctx, "missing")
		wantErr(t, err, model.ErrNotFound)
	})
}

func TestCreateArticleValidates(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	tag := mustTag(t, s, "tag", "Tag")
	tests := []struct {
		field  string
		change func(a *model.Article)
	}{
		{"title", func(a *model.Article) { a.Title = "  " }},
		{"slug", func(a *model.Article) { a.Slug = "" }},
		{"status", func(a *model.Article) { a.Status = "archived" }},
		{"published_at", func(a *model.Article) { a.PublishedAt = time.Time{} }},
		{"published_at", func(a *model.Article) { a.Status, a.PublishedAt = model.StatusScheduled, time.Time{} }},
		{"lead_image", func(a *model.Article) { a.LeadImage = &model.Image{Alt: "no URL"} }},
		{"reading_minutes", func(a *model.Article) { a.ReadingMinutes = -1 }},
		{"tags", func(a *model.Article) { a.Tags = []model.Tag{tag, tag} }},
		{"authors", func(a *model.Article) { a.Authors = []model.Author{{Name: "no ID"}} }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			a := published("story", t0)
			tt.change(a)
			wantValidation(t, s.CreateArticle(t.Context(), a), tt.field)
			if a.ID != "" {
				t.Error("a rejected article got an ID")
			}
		})
	}
	if v := contentVersion(t, s); v != 0 {
		t.Errorf("rejected writes bumped the content version to %d", v)
	}
}

func TestSlugDeduplication(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		var got []string
		for i := range 4 {
			a := mustCreate(t, s, published("election", t0.Add(time.Duration(i)*time.Hour)))
			got = append(got, a.Slug)
		}
		want := []string{"election", "election-2", "election-3", "election-4"}
		if diff := articleDiff(want, got); diff != "" {
			t.Errorf("slugs (-want +got):\n%s", diff)
		}
		// A slug that looks like a suffix is its own base.
		if a := mustCreate(t, s, published("election-2", t0)); a.Slug != "election-2-2" {
			t.Errorf("second election-2 became %q, want election-2-2", a.Slug)
		}

		for _, create := range []struct {
			kind string
			make func(slug string) (string, error)
		}{
			{"author", func(slug string) (string, error) {
				a := model.Author{Slug: slug, Name: "N", Kind: model.AuthorPseudonym}
				return a.Slug, s.CreateAuthor(ctx, &a)
			}},
			{"tag", func(slug string) (string, error) {
				tag := model.Tag{Slug: slug, Name: "N"}
				err := s.CreateTag(ctx, &tag)
				return tag.Slug, err
			}},
			{"page", func(slug string) (string, error) {
				p := model.Page{Slug: slug, Title: "T"}
				err := s.CreatePage(ctx, &p)
				return p.Slug, err
			}},
		} {
			create.make("same")
			slug, err := create.make("same")
			if err != nil || slug != "same-2" {
				t.Errorf("second %s slug = %q, %v; want same-2", create.kind, slug, err)
			}
		}
	})
}

// TestSlugDeduplicationManyDuplicates covers the long runs (a daily
// "Morning briefing") where uniqueSlug bisects instead of counting.
func TestSlugDeduplicationManyDuplicates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		const n = 150
		articles := make([]*model.Article, n)
		for i := range articles {
			articles[i] = published("morning-briefing", t0.Add(time.Duration(i)*time.Hour))
		}
		if err := s.ImportArticles(t.Context(), articles); err != nil {
			t.Fatal(err)
		}
		for i, a := range articles {
			want := "morning-briefing"
			if i > 0 {
				want = fmt.Sprintf("morning-briefing-%d", i+1)
			}
			if a.Slug != want {
				t.Fatalf("article %d got slug %q, want %q", i, a.Slug, want)
			}
		}
		// After a deletion the run has a gap; a new slug must still be free.
		if _, err := s.DeleteArticle(t.Context(), articles[40].ID); err != nil {
			t.Fatal(err)
		}
		a := mustCreate(t, s, published("morning-briefing", t0))
		if a.Slug == "morning-briefing" || a.Slug == "morning-briefing-2" {
			t.Errorf("new article took slug %q of an existing one", a.Slug)
		}
	})
}

func TestArticleConflicts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		a := published("story", t0)
		a.Tags = []model.Tag{{ID: "no-such-tag"}}
		wantErr(t, s.CreateArticle(ctx, a), model.ErrConflict)
		a = published("story", t0)
		a.Authors = []model.Author{{ID: "no-such-author"}}
		wantErr(t, s.CreateArticle(ctx, a), model.ErrConflict)
		if _, err := s.ArticleBySlug(ctx, "story"); err == nil {
			t.Error("a failed create left the article behind")
		}
		if v := contentVersion(t, s); v != 0 {
			t.Errorf("failed creates bumped the content version to %d", v)
		}
	})
}

func TestUpdateArticle(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		anna, boris := mustAuthor(t, s, "anna", "Anna"), mustAuthor(t, s, "boris", "Boris")
		war, courts, media := mustTag(t, s, "war", "War"), mustTag(t, s, "courts", "Courts"), mustTag(t, s, "media", "Media")
		mustCreate(t, s, published("taken", t0))
		a := published("draft-story", time.Time{})
		a.Status = model.StatusDraft
		a.Authors, a.Tags = []model.Author{anna}, []model.Tag{war, courts}
		mustCreate(t, s, a)
		created := a.CreatedAt

		clock.Advance(time.Hour)
		before := contentVersion(t, s)
		a.Title, a.Status, a.PublishedAt = "Now published", model.StatusPublished, t0.Add(time.Hour)
		a.Authors, a.Tags = []model.Author{boris, anna}, []model.Tag{media, war}
		a.LeadImage = &model.Image{URL: "/media/x.jpg"}
		if err := s.UpdateArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
		if a.Slug != "draft-story" {
			t.Errorf("unchanged slug became %q", a.Slug)
		}
		if contentVersion(t, s) <= before {
			t.Error("update did not bump the content version")
		}
		got, err := s.ArticleBySlug(ctx, "draft-story")
		if err != nil {
			t.Fatal(err)
		}
		a.CreatedAt = created
		if diff := articleDiff(a, got); diff != "" {
			t.Errorf("updated article differs (-want +got):\n%s", diff)
		}

		a.Slug = "taken"
		if err := s.UpdateArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
		if a.Slug != "taken-2" {
			t.Errorf("slug changed to a taken one became %q, want taken-2", a.Slug)
		}
		if _, err := s.ArticleBySlug(ctx, "draft-story"); err == nil {
			t.Error("the old slug still finds the article")
		}

		wantErr(t, s.UpdateArticle(ctx, &model.Article{ID: "missing", Slug: "x", Title: "X", Status: model.StatusDraft}), model.ErrNotFound)
	})
}

func TestDeleteArticle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		tag := mustTag(t, s, "tag", "Tag")
		a := published("story", t0)
		a.Tags = []model.Tag{tag}
		mustCreate(t, s, a)
		before := contentVersion(t, s)
		if _, err := s.DeleteArticle(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if contentVersion(t, s) != before+1 {
			t.Error("delete did not bump the content version once")
		}
		_, err := s.ArticleBySlug(ctx, "story")
		wantErr(t, err, model.ErrNotFound)
		_, err = s.DeleteArticle(ctx, a.ID)
		wantErr(t, err, model.ErrNotFound)
		tags, err := s.ListTags(ctx, time.Time{})
		if err != nil || len(tags) != 1 || tags[0].Count != 0 {
			t.Errorf("tag counts after delete = %+v, %v; want the tag with 0", tags, err)
		}
		if empty, err := s.IsEmpty(ctx); err != nil || !empty {
			t.Errorf("IsEmpty() = %v, %v; want true", empty, err)
		}
	})
}

func TestPublishDue(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		for slug, at := range map[string]time.Time{"due": t0.Add(-time.Minute), "exactly-due": t0, "later": t0.Add(time.Minute)} {
			a := published(slug, at)
			a.Status = model.StatusScheduled
			mustCreate(t, s, a)
		}
		mustCreate(t, s, &model.Article{Slug: "draft", Title: "Draft", Status: model.StatusDraft, PublishedAt: t0.Add(-time.Hour)})

		before := contentVersion(t, s)
		due, err := s.PublishDue(ctx, t0)
		if err != nil {
			t.Fatal(err)
		}
		var slugs []string
		for _, p := range due {
			slugs = append(slugs, p.Slug)
			if p.ID == "" || p.Title == "" || p.PublishedAt.After(t0) {
				t.Errorf("published %+v: want its ID, title and a time not after %v", p, t0)
			}
		}
		slices.Sort(slugs)
		if !slices.Equal(slugs, []string{"due", "exactly-due"}) {
			t.Fatalf("PublishDue() published %v; want due and exactly-due", slugs)
		}
		if contentVersion(t, s) != before+1 {
			t.Error("PublishDue did not bump the content version once")
		}
		for slug, want := range map[string]model.Status{"due": model.StatusPublished, "exactly-due": model.StatusPublished, "later": model.StatusScheduled, "draft": model.StatusDraft} {
			a, err := s.ArticleBySlug(ctx, slug)
			if err != nil {
				t.Fatal(err)
			}
			if a.Status != want {
				t.Errorf("%s is %s, want %s", slug, a.Status, want)
			}
		}
		before = contentVersion(t, s)
		if due, err := s.PublishDue(ctx, t0); err != nil || len(due) != 0 {
			t.Errorf("second PublishDue() = %v, %v; want none", due, err)
		}
		if contentVersion(t, s) != before {
			t.Error("PublishDue with nothing due bumped the content version")
		}
	})
}
