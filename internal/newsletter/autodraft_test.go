package newsletter_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestNextSend(t *testing.T) {
	t.Parallel()
	weekly := store.Newsletter{Schedule: &store.Schedule{Weekday: time.Friday, Hour: 9}, TimeZone: "Europe/Berlin"}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		n        store.Newsletter
		at, want time.Time
	}{
		{"midweek", weekly, time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), time.Date(2026, 11, 27, 9, 0, 0, 0, berlin)},
		{"Friday before the hour", weekly, time.Date(2026, 11, 27, 7, 59, 0, 0, time.UTC), time.Date(2026, 11, 27, 9, 0, 0, 0, berlin)},
		{"at the hour: the next week", weekly, time.Date(2026, 11, 27, 9, 0, 0, 0, berlin), time.Date(2026, 12, 4, 9, 0, 0, 0, berlin)},
		// The hour is wall-clock time: 9:00 in Berlin is 7:00 UTC in
		// summer and 8:00 UTC in winter.
		{"across the change to winter time", weekly, time.Date(2026, 10, 23, 10, 0, 0, 0, time.UTC), time.Date(2026, 10, 30, 8, 0, 0, 0, time.UTC)},
		{"no zone is UTC", store.Newsletter{Schedule: &store.Schedule{Weekday: time.Monday, Hour: 6}},
			time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)},
		{"no schedule", store.Newsletter{TimeZone: "UTC"}, time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC), time.Time{}},
	} {
		if got := newsletter.NextSend(tc.n, tc.at); !got.Equal(tc.want) {
			t.Errorf("%s: NextSend(%v) = %v, want %v", tc.name, tc.at, got, tc.want)
		}
	}
}

// TestAutoDraftOncePerWeek drafts the weekly issue from the week's latest
// published articles, once, however many servers try at the same moment.
func TestAutoDraftOncePerWeek(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		weekly := store.Newsletter{Slug: "weekly", Name: "Weekly", FullText: true,
			Schedule: &store.Schedule{Weekday: time.Friday, Hour: 9}, TimeZone: "UTC"}
		breaking := store.Newsletter{Slug: "breaking", Name: "Breaking", TimeZone: "UTC"}
		for _, n := range []*store.Newsletter{&weekly, &breaking} {
			if err := s.CreateNewsletter(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
		friday := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
		article := func(slug string, status model.Status, at time.Time) *model.Article {
			a := &model.Article{Slug: slug, Title: slug, Summary: "About " + slug, Body: "Text.", BodyHTML: "<p>Text.</p>",
				BodyText: "Text.", Status: status, Language: "en", TimeZone: "UTC", PublishedAt: at, ReadingMinutes: 1}
			if err := s.CreateArticle(ctx, a); err != nil {
				t.Fatal(err)
			}
			return a
		}
		article("last-week", model.StatusPublished, friday.AddDate(0, 0, -8))
		article("a-draft", model.StatusDraft, time.Time{})
		var week []string // newest first
		for i := range newsletter.DraftArticles + 2 {
			a := article(fmt.Sprintf("this-week-%02d", i), model.StatusPublished, friday.Add(-time.Duration(100-i)*time.Hour))
			week = append([]string{a.ID}, week...)
		}

		if made, err := newsletter.AutoDraft(ctx, s, friday.Add(-newsletter.DraftLead-time.Minute)); err != nil || len(made) != 0 {
			t.Fatalf("AutoDraft before its time = %v, %v; want nothing", made, err)
		}
		at := friday.Add(-newsletter.DraftLead + time.Minute)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var made []store.Issue
		for range 2 {
			wg.Go(func() {
				got, err := newsletter.AutoDraft(ctx, s, at)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				made = append(made, got...)
				mu.Unlock()
			})
		}
		wg.Wait()
		if len(made) != 1 {
			t.Fatalf("two servers drafting at once made %d drafts, want 1: %+v", len(made), made)
		}
		list, err := s.ListIssues(ctx, weekly.ID, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != made[0].ID || list[0].Status != store.IssueDraft || list[0].Subject != "Weekly — 27 November 2026" {
			t.Fatalf("weekly issues = %+v", list)
		}
		if want := week[:newsletter.DraftArticles]; !slices.Equal(list[0].ArticleIDs, want) {
			t.Errorf("drafted articles = %v, want the week's latest %v", list[0].ArticleIDs, want)
		}
		if other, _ := s.ListIssues(ctx, breaking.ID, 10, 0); len(other) != 0 {
			t.Errorf("a newsletter without a schedule got drafts: %+v", other)
		}

		// The editor deletes it: the week stays drafted.
		if err := s.DeleteIssue(ctx, made[0].ID); err != nil {
			t.Fatal(err)
		}
		if again, err := newsletter.AutoDraft(ctx, s, at.Add(time.Hour)); err != nil || len(again) != 0 {
			t.Errorf("AutoDraft after the draft was deleted = %v, %v; want nothing", again, err)
		}
		// The next week has no articles yet: nothing, until there are.
		next := friday.AddDate(0, 0, 7).Add(-newsletter.DraftLead + time.Minute)
		if got, err := newsletter.AutoDraft(ctx, s, next); err != nil || len(got) != 0 {
			t.Errorf("AutoDraft for a week without articles = %v, %v", got, err)
		}
		fresh := article("next-week", model.StatusPublished, next.Add(-time.Hour))
		if got, err := newsletter.AutoDraft(ctx, s, next); err != nil || len(got) != 1 || !slices.Equal(got[0].ArticleIDs, []string{fresh.ID}) {
			t.Errorf("AutoDraft for the next week = %+v, %v; want one draft of %s", got, err, fresh.ID)
		}
	})
}
