package store_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// A large import spans many of Import's multi-row batches. How fast it
// runs is measured by `go run ./bench`, never asserted here: a timed test
// fails on a busy machine for reasons that are not the code's.
const (
	importCount         = 10_000
	importCountPostgres = 1_000
	importWords         = 700
)

func TestImportManyArticles(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 10,000 articles")
	}
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

// siteBundle returns a small site whose articles name their bylines and
// tags by slug, in an order that is neither alphabetical nor the bundle's.
func siteBundle() *store.Bundle {
	set := model.DefaultSettings("The Test Gazette")
	set.Banner.Text = "Support the Gazette!"
	talks := published("talks", t0.Add(-time.Hour))
	talks.Authors = []model.Author{{Slug: "wire"}, {Slug: "ann"}}
	talks.Tags = []model.Tag{{Slug: "diplomacy"}, {Slug: "ukraine"}}
	talks.CreatedAt = t0.AddDate(0, 0, -2)
	front := published("front", t0.Add(-2*time.Hour))
	front.Authors = []model.Author{{Slug: "ann"}}
	front.Tags = []model.Tag{{Slug: "ukraine"}}
	draft := published("draft", time.Time{})
	draft.Status = model.StatusDraft
	draft.Authors = []model.Author{{Slug: "ann"}}
	return &store.Bundle{
		Settings: &set,
		Authors: []*model.Author{
			{Slug: "ann", Name: "Ann Smith", Kind: model.AuthorStaff, Bio: "Covers diplomacy."},
			{Slug: "wire", Name: "Wire", Kind: model.AuthorAgency},
		},
		Tags: []*model.Tag{
			{Slug: "ukraine", Name: "Ukraine"},
			{Slug: "diplomacy", Name: "Diplomacy", Description: "Talks and treaties."},
		},
		Pages: []*model.Page{
			{Slug: "privacy", Title: "Privacy", Body: "We keep little.", BodyHTML: "<p>We keep little.</p>", Language: "en"},
			{Slug: "about", Title: "About", Body: "Who we are.", BodyHTML: "<p>Who we are.</p>", Language: "en", UpdatedAt: t0.AddDate(-1, 0, 0)},
		},
		Articles: []*model.Article{front, talks, draft},
	}
}

func TestImportRoundTrip(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, _ *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		b := siteBundle()
		if err := s.Import(ctx, b); err != nil {
			t.Fatal(err)
		}
		front, talks, draft := b.Articles[0], b.Articles[1], b.Articles[2]
		ann, wire := *b.Authors[0], *b.Authors[1]
		ukraine, diplomacy := *b.Tags[0], *b.Tags[1]
		if ann.ID == "" || ukraine.ID == "" || talks.ID == "" || b.Pages[0].ID == "" {
			t.Fatalf("IDs were not filled in: author %q, tag %q, article %q, page %q", ann.ID, ukraine.ID, talks.ID, b.Pages[0].ID)
		}
		// Bylines and tags named by slug are now the stored rows, in order.
		if diff := cmp.Diff([]model.Author{wire, ann}, talks.Authors); diff != "" {
			t.Errorf("bylines of %q after import (-want +got):\n%s", talks.Slug, diff)
		}
		if diff := cmp.Diff([]model.Tag{diplomacy, ukraine}, talks.Tags); diff != "" {
			t.Errorf("tags of %q after import (-want +got):\n%s", talks.Slug, diff)
		}
		if !talks.CreatedAt.Equal(t0.AddDate(0, 0, -2)) || !front.CreatedAt.Equal(t0) {
			t.Errorf("CreatedAt = %v and %v, want the given %v kept and the clock's %v", talks.CreatedAt, front.CreatedAt, t0.AddDate(0, 0, -2), t0)
		}

		got, _, err := s.ListArticles(ctx, store.ArticleQuery{WithBody: true})
		if err != nil {
			t.Fatal(err)
		}
		if diff := articleDiff([]*model.Article{draft, talks, front}, got); diff != "" {
			t.Errorf("stored articles differ from the imported ones (-want +got):\n%s", diff)
		}

		pages, err := s.ListPages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*model.Page{b.Pages[1], b.Pages[0]}, pages); diff != "" {
			t.Errorf("stored pages differ from the imported ones (-want +got):\n%s", diff)
		}
		if about, privacy := b.Pages[1], b.Pages[0]; !about.UpdatedAt.Equal(t0.AddDate(-1, 0, 0)) || !privacy.UpdatedAt.Equal(t0) {
			t.Errorf("page UpdatedAt = %v and %v, want the given %v kept and the clock's %v", about.UpdatedAt, privacy.UpdatedAt, t0.AddDate(-1, 0, 0), t0)
		}

		set, err := s.Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(*b.Settings, set); diff != "" {
			t.Errorf("stored settings (-want +got):\n%s", diff)
		}
		if v := contentVersion(t, s); v != 1 {
			t.Errorf("content version after one import = %d, want 1", v)
		}
	})
}

func TestImportResolvesStoredSlugs(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		storedWire := mustAuthor(t, s, "wire", "Old Wire")
		russia := mustTag(t, s, "russia", "Russia")
		newWire := &model.Author{Slug: "wire", Name: "New Wire", Kind: model.AuthorAgency}
		bySlug := published("by-slug", t0)
		bySlug.Authors = []model.Author{{Slug: "wire"}}
		bySlug.Tags = []model.Tag{{Slug: "russia"}}
		byID := published("by-id", t0)
		byID.Authors = []model.Author{{ID: storedWire.ID}}
		byID.Tags = []model.Tag{{Slug: "russia"}}
		b := &store.Bundle{Authors: []*model.Author{newWire}, Articles: []*model.Article{bySlug, byID}}
		if err := s.Import(ctx, b); err != nil {
			t.Fatal(err)
		}
		if newWire.Slug != "wire-2" {
			t.Errorf("imported byline got slug %q, want wire-2 since wire is taken", newWire.Slug)
		}
		tests := []struct {
			slug        string
			wantAuthors []model.Author
			wantTags    []model.Tag
		}{
			// The bundle's own "wire" wins over the stored one.
			{"by-slug", []model.Author{*newWire}, []model.Tag{russia}},
			{"by-id", []model.Author{storedWire}, []model.Tag{russia}},
		}
		for _, tt := range tests {
			t.Run(tt.slug, func(t *testing.T) {
				got, err := s.ArticleBySlug(ctx, tt.slug)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.wantAuthors, got.Authors); diff != "" {
					t.Errorf("bylines (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantTags, got.Tags); diff != "" {
					t.Errorf("tags (-want +got):\n%s", diff)
				}
			})
		}
	})
}

// storeState is everything an import could change.
type storeState struct {
	Rows     map[string]int
	Version  int64
	Settings model.Settings
	Authors  []model.Author
	Tags     []store.TagCount
	Pages    []*model.Page
	Articles []*model.Article
}

func snapshot(t *testing.T, s *store.Store) storeState {
	t.Helper()
	ctx := t.Context()
	st := storeState{Rows: map[string]int{}, Version: contentVersion(t, s)}
	for _, table := range []string{"settings", "authors", "tags", "pages", "articles", "article_authors", "article_tags"} {
		var n int
		if err := store.ReaderDB(s).QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		st.Rows[table] = n
	}
	var err error
	if st.Settings, err = s.Settings(ctx); err != nil {
		t.Fatal(err)
	}
	if st.Authors, err = s.ListAuthors(ctx); err != nil {
		t.Fatal(err)
	}
	if st.Tags, err = s.ListTags(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if st.Pages, err = s.ListPages(ctx); err != nil {
		t.Fatal(err)
	}
	if st.Articles, _, err = s.ListArticles(ctx, store.ArticleQuery{WithBody: true}); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestImportFailureChangesNothing(t *testing.T) {
	t.Parallel()
	last := func(b *store.Bundle) *model.Article { return b.Articles[len(b.Articles)-1] }
	tests := []struct {
		name string
		// spoil breaks the bundle; staff is a stored byline.
		spoil     func(b *store.Bundle, staff model.Author)
		wantField string // the validation error's field; "" for a conflict
		wantText  []string
	}{
		{"unknown byline slug", func(b *store.Bundle, _ model.Author) {
			last(b).Authors = append(last(b).Authors, model.Author{Slug: "nobody"})
		}, "authors", []string{`"draft"`, `"nobody"`}},
		{"unknown tag slug", func(b *store.Bundle, _ model.Author) {
			last(b).Tags = []model.Tag{{Slug: "ukraine"}, {Slug: "nowhere"}}
		}, "tags", []string{`"draft"`, `"nowhere"`}},
		{"tag ID that is not stored", func(b *store.Bundle, _ model.Author) {
			last(b).Tags = []model.Tag{{ID: "no-such-tag"}}
		}, "", nil},
		{"byline named by ID and by slug", func(b *store.Bundle, staff model.Author) {
			last(b).Authors = []model.Author{{ID: staff.ID}, {Slug: staff.Slug}}
		}, "", nil},
		{"invalid last article", func(b *store.Bundle, _ model.Author) {
			last(b).Title = ""
		}, "title", []string{`"draft"`}},
		{"two bylines with one slug", func(b *store.Bundle, _ model.Author) {
			b.Authors[1].Slug = b.Authors[0].Slug
		}, "slug", nil},
		{"invalid settings", func(b *store.Bundle, _ model.Author) {
			b.Settings.SiteName = ""
		}, "site_name", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				t.Parallel()
				ctx := t.Context()
				if err := s.SaveSettings(ctx, model.DefaultSettings("Before")); err != nil {
					t.Fatal(err)
				}
				staff := mustAuthor(t, s, "staff", "Staff")
				a := published("existing", t0)
				a.Authors = []model.Author{staff}
				a.Tags = []model.Tag{mustTag(t, s, "news", "News")}
				mustCreate(t, s, a)
				if err := s.CreatePage(ctx, &model.Page{Slug: "about", Title: "About"}); err != nil {
					t.Fatal(err)
				}
				before := snapshot(t, s)

				b := siteBundle()
				tt.spoil(b, staff)
				err := s.Import(ctx, b)
				if tt.wantField == "" {
					wantErr(t, err, model.ErrConflict)
				} else {
					wantValidation(t, err, tt.wantField)
				}
				for _, text := range tt.wantText {
					if !strings.Contains(err.Error(), text) {
						t.Errorf("error %q does not name %s", err, text)
					}
				}
				if diff := cmp.Diff(before, snapshot(t, s)); diff != "" {
					t.Errorf("a failed import changed the store (-before +after):\n%s", diff)
				}
				if b.Authors[0].ID != "" || b.Pages[0].ID != "" || b.Articles[0].ID != "" || b.Articles[0].Authors[0].ID != "" {
					t.Error("a failed import filled in IDs")
				}
			})
		})
	}
}
