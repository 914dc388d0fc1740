package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// mustNewsletter creates a newsletter for issue and outbox tests.
func mustNewsletter(t *testing.T, s *store.Store, slug string) store.Newsletter {
	t.Helper()
	n := store.Newsletter{Slug: slug, Name: "The " + slug, FullText: true}
	if err := s.CreateNewsletter(t.Context(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func mustIssue(t *testing.T, s *store.Store, newsletterID, subject string, articleIDs ...string) store.Issue {
	t.Helper()
	is := store.Issue{NewsletterID: newsletterID, Subject: subject, Note: "Hello, readers.", ArticleIDs: articleIDs}
	if err := s.CreateIssue(t.Context(), &is); err != nil {
		t.Fatal(err)
	}
	return is
}

func TestIssueLifecycle(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		nl := mustNewsletter(t, s, "weekly")

		for name, bad := range map[string]store.Issue{
			"subject":    {NewsletterID: nl.ID},
			"newsletter": {Subject: "Hello"},
		} {
			wantValidation(t, s.CreateIssue(ctx, &bad), name)
		}
		multiline := store.Issue{NewsletterID: nl.ID, Subject: "Hello\r\nBcc: x@y.z"}
		wantValidation(t, s.CreateIssue(ctx, &multiline), "subject")
		wantErr(t, s.CreateIssue(ctx, &store.Issue{NewsletterID: "no-such-newsletter", Subject: "Hello"}), model.ErrConflict)

		is := mustIssue(t, s, nl.ID, "The week", "a1", "a2")
		if is.ID == "" || is.Status != store.IssueDraft || !is.CreatedAt.Equal(t0) {
			t.Fatalf("created issue = %+v", is)
		}
		got, err := s.IssueByID(ctx, is.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(is, got); diff != "" {
			t.Errorf("IssueByID (-created +read):\n%s", diff)
		}

		is.Subject, is.ArticleIDs = "The week, revised", []string{"a2", "a1", "a3"}
		if withdrawn, err := s.UpdateIssue(ctx, &is); err != nil || withdrawn != 0 {
			t.Fatalf("UpdateIssue() = %d, %v", withdrawn, err)
		}
		if got, _ = s.IssueByID(ctx, is.ID); got.Subject != "The week, revised" || !cmp.Equal(got.ArticleIDs, []string{"a2", "a1", "a3"}) {
			t.Errorf("after update: %+v", got)
		}

		wantErr(t, s.PauseIssue(ctx, is.ID, "u1"), model.ErrConflict) // not sending yet
		at := t0.Add(2 * time.Hour)
		if err := s.ScheduleIssue(ctx, is.ID, at); err != nil {
			t.Fatal(err)
		}
		if got, _ = s.IssueByID(ctx, is.ID); got.Status != store.IssueScheduled || !got.ScheduledAt.Equal(at) {
			t.Errorf("after scheduling: %+v", got)
		}
		if ids, err := s.StartDueIssues(ctx, t0.Add(time.Hour)); err != nil || len(ids) != 0 {
			t.Errorf("StartDueIssues before the time = %v, %v", ids, err)
		}
		clock.Advance(2 * time.Hour)
		if ids, err := s.StartDueIssues(ctx, clock.Now()); err != nil || !cmp.Equal(ids, []string{is.ID}) {
			t.Fatalf("StartDueIssues at the time = %v, %v", ids, err)
		}
		got, _ = s.IssueByID(ctx, is.ID)
		if got.Status != store.IssueSending || !got.StartedAt.Equal(clock.Now()) {
			t.Errorf("after the scheduled time: %+v", got)
		}
		_, err = s.UpdateIssue(ctx, &is)
		wantErr(t, err, model.ErrConflict)
		wantErr(t, s.StartIssue(ctx, is.ID), model.ErrConflict)
		wantErr(t, s.DeleteIssue(ctx, is.ID), model.ErrConflict)

		if err := s.PauseIssue(ctx, is.ID, "u1"); err != nil {
			t.Fatal(err)
		}
		sending, err := s.SendingIssues(ctx)
		if err != nil || len(sending) != 1 || !sending[0].Paused || sending[0].PausedBy != "u1" || !sending[0].PausedAt.Equal(clock.Now()) {
			t.Errorf("SendingIssues() = %+v, %v; want the issue paused by u1 now", sending, err)
		}
		// A paused issue is not paused again, nor by someone else.
		wantErr(t, s.PauseIssue(ctx, is.ID, "u2"), model.ErrConflict)
		if err := s.ResumeIssue(ctx, is.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ = s.IssueByID(ctx, is.ID); got.Paused || got.PausedBy != "" || !got.PausedAt.IsZero() {
			t.Errorf("after resuming: %+v", got)
		}
		wantErr(t, s.ResumeIssue(ctx, is.ID), model.ErrConflict) // not paused
		if err := s.CancelIssue(ctx, is.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ = s.IssueByID(ctx, is.ID); got.Status != store.IssueCancelled || got.FinishedAt.IsZero() {
			t.Errorf("after cancelling: %+v", got)
		}
		wantErr(t, s.CancelIssue(ctx, is.ID), model.ErrConflict)
		if err := s.DeleteIssue(ctx, is.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.IssueByID(ctx, is.ID)
		wantErr(t, err, model.ErrNotFound)
		wantErr(t, s.StartIssue(ctx, is.ID), model.ErrNotFound)
	})
}

func TestIssueArticlesKeepTheEditorsOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		a := mustCreate(t, s, published("alpha", t0.Add(-3*time.Hour)))
		b := mustCreate(t, s, published("beta", t0.Add(-2*time.Hour)))
		draft := published("gamma", t0.Add(-time.Hour))
		draft.Status = model.StatusDraft
		mustCreate(t, s, draft)
		nl := mustNewsletter(t, s, "weekly")
		is := mustIssue(t, s, nl.ID, "Picks", b.ID, "deleted-article", draft.ID, a.ID, b.ID)
		got, err := s.IssueArticles(t.Context(), is)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"beta", "alpha"}, slugs(got)); diff != "" {
			t.Errorf("IssueArticles (-want +got):\n%s", diff)
		}
		if got[0].BodyText == "" {
			t.Error("articles come without their text")
		}
		empty := mustIssue(t, s, nl.ID, "Nothing")
		if got, err := s.IssueArticles(t.Context(), empty); err != nil || len(got) != 0 {
			t.Errorf("IssueArticles of an empty issue = %v, %v", got, err)
		}
	})
}

func TestLatestSentIssueAndArchive(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		nl := mustNewsletter(t, s, "weekly")
		other := mustNewsletter(t, s, "breaking")
		_, err := s.LatestSentIssue(ctx, nl.ID)
		wantErr(t, err, model.ErrNotFound)

		var sent []string
		for _, subject := range []string{"First", "Second"} {
			is := mustIssue(t, s, nl.ID, subject)
			if err := s.StartIssue(ctx, is.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.EnqueueSends(ctx, is.ID, 100, "example.org"); err != nil { // nobody subscribed: finishes at once
				t.Fatal(err)
			}
			clock.Advance(time.Hour)
			if ids, err := s.FinishIssues(ctx); err != nil || !cmp.Equal(ids, []string{is.ID}) {
				t.Fatalf("FinishIssues() = %v, %v", ids, err)
			}
			sent = append(sent, is.ID)
		}
		mustIssue(t, s, nl.ID, "Draft")
		mustIssue(t, s, other.ID, "Elsewhere")

		latest, err := s.LatestSentIssue(ctx, nl.ID)
		if err != nil || latest.ID != sent[1] || latest.Status != store.IssueSent || !latest.FinishedAt.Equal(clock.Now()) {
			t.Errorf("LatestSentIssue() = %+v, %v; want the second", latest, err)
		}
		archive, err := s.SentIssues(ctx, nl.ID, 10, 0)
		if err != nil || len(archive) != 2 || archive[0].ID != sent[1] || archive[1].ID != sent[0] {
			t.Errorf("SentIssues() = %+v, %v", archive, err)
		}
		all, err := s.ListIssues(ctx, nl.ID, 10, 0)
		if err != nil || len(all) != 3 || all[0].Subject != "Draft" {
			t.Errorf("ListIssues() = %+v, %v; want 3, newest first", all, err)
		}
	})
}
