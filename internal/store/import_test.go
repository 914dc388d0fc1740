package store_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// importBudget is how long loading importCount articles into SQLite may
// take on the 2-core reference machine; the requirement is "well under 10 s".
// PostgreSQL is bound by round trips, one per statement, so it loads fewer
// articles to keep the suite quick, and only logs its rate.
const (
	importCount         = 10_000
	importCountPostgres = 1_000
	importWords         = 700
	importBudget        = 10 * time.Second
)

func TestImportArticlesPerformance(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 10,000 articles")
	}
	// Not parallel: the measurement should not share the CPUs with other tests.
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		tags := make([]model.Tag, 20)
		for i := range tags {
			tags[i] = model.Tag{Slug: fmt.Sprintf("tag-%d", i), Name: fmt.Sprintf("Tag %d", i)}
			if err := s.CreateTag(ctx, &tags[i]); err != nil {
				t.Fatal(err)
			}
		}
		author := model.Author{Slug: "wire", Name: "Wire", Kind: model.AuthorAgency}
		if err := s.CreateAuthor(ctx, &author); err != nil {
			t.Fatal(err)
		}
		count := importCount
		if s.Engine() == "postgres" {
			count = importCountPostgres
		}
		articles := syntheticArticles(count, tags, author)
		start := time.Now()
		if err := s.ImportArticles(ctx, articles); err != nil {
			t.Fatal(err)
		}
		elapsed := time.Since(start)
		t.Logf("%s: imported %d articles of ~%d words in %v (%.0f articles/s)",
			s.Engine(), count, importWords, elapsed.Round(time.Millisecond), float64(count)/elapsed.Seconds())
		if s.Engine() == "sqlite" && !raceEnabled && elapsed > importBudget {
			t.Errorf("import took %v, want under %v", elapsed, importBudget)
		}
		_, total, err := s.ListArticles(ctx, store.ArticleQuery{Limit: 1})
		if err != nil || total != count {
			t.Fatalf("after import: total %d, err %v; want %d", total, err, count)
		}
	})
}

// syntheticArticles builds n published articles of importWords words with
// three tags each; a tenth of them share a headline, so slugs collide.
func syntheticArticles(n int, tags []model.Tag, author model.Author) []*model.Article {
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("the minister said on tuesday that government officials would not comment " +
		"on reports of arrests in the region where journalists have been detained since protests began " +
		"over new restrictions on independent media and internet access across several cities")
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	articles := make([]*model.Article, n)
	for i := range articles {
		var b strings.Builder
		for w := range importWords {
			if w > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[rng.IntN(len(words))])
		}
		text := b.String()
		slug := fmt.Sprintf("story-%d", i)
		if i%10 == 0 {
			slug = "breaking-news"
		}
		articles[i] = &model.Article{
			Slug:           slug,
			Title:          fmt.Sprintf("Story %d", i),
			Summary:        text[:120],
			Body:           text,
			BodyHTML:       "<p>" + text + "</p>",
			BodyText:       text,
			Status:         model.StatusPublished,
			Language:       "en",
			TimeZone:       "Europe/Moscow",
			PublishedAt:    base.Add(time.Duration(i) * time.Hour),
			ReadingMinutes: 3,
			Authors:        []model.Author{author},
			Tags:           []model.Tag{tags[i%len(tags)], tags[(i+1)%len(tags)], tags[(i+7)%len(tags)]},
		}
	}
	return articles
}

func TestImportArticlesIsAtomic(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		tag := mustTag(t, s, "tag", "Tag")
		ok := published("fine", t0)
		ok.Tags = []model.Tag{tag}
		broken := published("broken", t0)
		broken.Tags = []model.Tag{{ID: "no-such-tag"}}
		err := s.ImportArticles(ctx, []*model.Article{ok, published("also-fine", t0), broken})
		wantErr(t, err, model.ErrConflict)
		if ok.ID != "" {
			t.Error("an article of a failed import got an ID")
		}
		if empty, err := s.IsEmpty(ctx); err != nil || !empty {
			t.Errorf("after a failed import IsEmpty() = %v, %v; want true", empty, err)
		}
		if v := contentVersion(t, s); v != 0 {
			t.Errorf("a failed import bumped the content version to %d", v)
		}

		invalid := published("invalid", t0)
		invalid.Title = ""
		wantValidation(t, s.ImportArticles(ctx, []*model.Article{ok, invalid}), "title")

		// CreatedAt is kept on import, and one import is one content change.
		old := published("old", t0.AddDate(-5, 0, 0))
		old.CreatedAt = t0.AddDate(-5, 0, -1)
		if err := s.ImportArticles(ctx, []*model.Article{ok, old}); err != nil {
			t.Fatal(err)
		}
		got, err := s.ArticleBySlug(ctx, "old")
		if err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(old.CreatedAt) {
			t.Errorf("imported CreatedAt = %v, want %v", got.CreatedAt, old.CreatedAt)
		}
		if v := contentVersion(t, s); v != 1 {
			t.Errorf("content version after one import = %d, want 1", v)
		}
	})
}
