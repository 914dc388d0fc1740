package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// TestTwoApproversForLargeSends: with the two-person rule at 2 recipients,
// an issue to 3 goes out only once two different people approved the same
// time and text; editing, another time or unscheduling withdraws the
// approvals, and no path starts an issue without them.
func TestTwoApproversForLargeSends(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		ctx := t.Context()
		s, clock, weekly, small, ed1, ed2 := largeSends(t, engine)
		if rule, err := s.ApprovalRule(ctx, weekly.ID); err != nil || rule != (store.ApprovalRule{Over: 2, Audience: 3, Needed: 2}) {
			t.Fatalf("ApprovalRule(weekly) = %+v, %v; want 3 recipients, 2 approvers", rule, err)
		}

		is := mustIssue(t, s, weekly.ID, "The week")
		wantErr(t, s.StartIssue(ctx, is.ID), store.ErrNeedsApproval)
		_, err := s.ApproveIssue(ctx, is.ID, ed1, time.Time{}, "")
		wantErr(t, err, store.ErrIssueChanged) // an approval names what it approves
		at := t0.Add(2 * time.Hour)
		approve := func(user string, at time.Time, want store.Approved) {
			t.Helper()
			is, err := s.IssueByID(ctx, is.ID)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.ApproveIssue(ctx, is.ID, user, at, storetest.IssueDigest(t, s, is))
			if err != nil || got != want {
				t.Fatalf("ApproveIssue(%s, %v) = %+v, %v; want %+v", user, at, got, err, want)
			}
		}
		approve(ed1, at, store.Approved{Status: store.IssueDraft, Approvals: 1})
		_, err = s.ApproveIssue(ctx, is.ID, ed1, at, storetest.IssueDigest(t, s, is))
		wantErr(t, err, store.ErrSameApprover)
		if got := approvers(t, s, is.ID); !cmp.Equal(got, []string{ed1 + "@" + at.Format(time.RFC3339)}) {
			t.Errorf("approvals after ed1 = %v", got)
		}
		// Saving the issue unchanged keeps the approval.
		if n, err := s.UpdateIssue(ctx, &is); err != nil || n != 0 {
			t.Fatalf("UpdateIssue(unchanged) = %d, %v", n, err)
		}
		approve(ed2, at, store.Approved{Status: store.IssueScheduled, Approvals: 2})
		if got, _ := s.IssueByID(ctx, is.ID); got.Status != store.IssueScheduled || !got.ScheduledAt.Equal(at) {
			t.Fatalf("approved by two: %+v", got)
		}

		// An edit withdraws both approvals and unschedules the issue.
		stale := storetest.IssueDigest(t, s, is)
		is.Subject = "The week, corrected"
		if n, err := s.UpdateIssue(ctx, &is); err != nil || n != 2 {
			t.Fatalf("UpdateIssue(changed) = %d, %v; want 2 approvals withdrawn", n, err)
		}
		if got, _ := s.IssueByID(ctx, is.ID); got.Status != store.IssueDraft || !got.ScheduledAt.IsZero() || len(approvers(t, s, is.ID)) != 0 {
			t.Fatalf("after the edit: %+v, approvals %v", got, approvers(t, s, is.ID))
		}
		_, err = s.ApproveIssue(ctx, is.ID, ed2, at, stale)
		wantErr(t, err, store.ErrIssueChanged)

		// Approving another time replaces the approvals of the first.
		approve(ed2, at, store.Approved{Status: store.IssueDraft, Approvals: 1})
		later := at.Add(time.Hour)
		approve(ed1, later, store.Approved{Status: store.IssueDraft, Approvals: 1})
		if got := approvers(t, s, is.ID); !cmp.Equal(got, []string{ed1 + "@" + later.Format(time.RFC3339)}) {
			t.Errorf("approvals after another time = %v", got)
		}
		// Unscheduling withdraws them too.
		if err := s.ScheduleIssue(ctx, is.ID, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if got := approvers(t, s, is.ID); len(got) != 0 {
			t.Errorf("approvals after unscheduling = %v", got)
		}
		approve(ed1, at, store.Approved{Status: store.IssueDraft, Approvals: 1})
		approve(ed2, at, store.Approved{Status: store.IssueScheduled, Approvals: 2})

		// An issue scheduled without approvals (as by an older version, or
		// a bug) is due, but the senders never start it.
		unapproved := mustIssue(t, s, weekly.ID, "Unapproved")
		if err := s.ScheduleIssue(ctx, unapproved.ID, at); err != nil {
			t.Fatal(err)
		}
		clock.Advance(2 * time.Hour)
		if ids, err := s.StartDueIssues(ctx, clock.Now()); err != nil || !cmp.Equal(ids, []string{is.ID}) {
			t.Fatalf("StartDueIssues() = %v, %v; want only the approved issue", ids, err)
		}
		if got, _ := s.IssueByID(ctx, unapproved.ID); got.Status != store.IssueScheduled {
			t.Errorf("the unapproved issue is %s", got.Status)
		}
		_, err = s.ApproveIssue(ctx, is.ID, ed1, time.Time{}, storetest.IssueDigest(t, s, is))
		wantErr(t, err, model.ErrConflict) // it is being sent

		// Sending at once, and a time that has passed, start the issue.
		now := mustIssue(t, s, weekly.ID, "Breaking")
		_, err = s.ApproveIssue(ctx, now.ID, ed1, time.Time{}, storetest.IssueDigest(t, s, now))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.ApproveIssue(ctx, now.ID, ed2, time.Time{}, storetest.IssueDigest(t, s, now)); err != nil || got.Status != store.IssueSending {
			t.Fatalf("second approval of sending now = %+v, %v", got, err)
		}
		if _, err := s.ApproveIssue(ctx, unapproved.ID, ed1, t0, storetest.IssueDigest(t, s, unapproved)); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.IssueByID(ctx, unapproved.ID); got.Status != store.IssueDraft {
			t.Errorf("a scheduled issue awaiting its second approval is %s, want a draft", got.Status)
		}
		if got, err := s.ApproveIssue(ctx, unapproved.ID, ed2, t0, storetest.IssueDigest(t, s, unapproved)); err != nil || got.Status != store.IssueSending {
			t.Fatalf("approving a time that has passed = %+v, %v; want it sent now", got, err)
		}

		// Two people approving at the same instant: one of them is the
		// second, and the issue is scheduled.
		for range 5 {
			race := mustIssue(t, s, weekly.ID, "Race")
			var wg sync.WaitGroup
			for _, user := range []string{ed1, ed2} {
				wg.Go(func() {
					if _, err := s.ApproveIssue(ctx, race.ID, user, clock.Now().Add(time.Hour), storetest.IssueDigest(t, s, race)); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if got, _ := s.IssueByID(ctx, race.ID); got.Status != store.IssueScheduled {
				t.Fatalf("approved by two at once, the issue is %s", got.Status)
			}
		}

		// One person sends to a small audience, and nothing is recorded.
		if rule, err := s.ApprovalRule(ctx, small.ID); err != nil || rule.Needed != 1 || rule.Audience != 1 {
			t.Fatalf("ApprovalRule(small) = %+v, %v", rule, err)
		}
		one := mustIssue(t, s, small.ID, "Small")
		if got, err := s.ApproveIssue(ctx, one.ID, ed1, time.Time{}, ""); err != nil || got != (store.Approved{Status: store.IssueSending}) {
			t.Fatalf("ApproveIssue(small) = %+v, %v", got, err)
		}
		if got := approvers(t, s, one.ID); len(got) != 0 {
			t.Errorf("a small send recorded approvals %v", got)
		}
	})
}

// largeSends returns a store of the given engine with the two-person
// rule at 2 recipients, its clock, a newsletter "weekly" with 3 recipients
// (and a pending and a suppressed subscriber, who do not count), one
// "small" with 1, and two people who may approve: an editor and an admin.
func largeSends(t *testing.T, engine string) (s *store.Store, clock *storetest.Clock, weekly, small store.Newsletter, ed1, ed2 string) {
	t.Helper()
	clock = storetest.NewClock(t0)
	s = storetest.NewEngine(t, engine, store.Options{Now: clock.Now, SecondApprovalOver: 2})
	weekly, small = mustNewsletter(t, s, "weekly"), mustNewsletter(t, s, "small")
	for i := range 3 {
		ids := []string{weekly.ID, small.ID}[:1+(i%2)]
		outboxSubscriber(t, s, fmt.Sprint("reader", i), store.SubscriberActive, ids...)
	}
	outboxSubscriber(t, s, "pending", store.SubscriberPending, weekly.ID)
	outboxSubscriber(t, s, "suppressed", store.SubscriberActive, weekly.ID)
	if err := s.Suppress(t.Context(), "idx-suppressed", store.SuppressManual); err != nil {
		t.Fatal(err)
	}
	return s, clock, weekly, small, mustUser(t, s, "ed1@example.org", "editor").ID, mustUser(t, s, "ed2@example.org", "admin").ID
}

// approvers lists an issue's approvals as "user@send time".
func approvers(t *testing.T, s *store.Store, id string) []string {
	t.Helper()
	list, err := s.IssueApprovals(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range list {
		if a.ApprovedAt.IsZero() {
			t.Errorf("approval %+v has no time", a)
		}
		out = append(out, a.UserID+"@"+a.SendAt.Format(time.RFC3339))
	}
	return out
}

// TestArticleChangesWithdrawApprovals: approvals of a large send approve
// its articles, and its newsletter's look, as they were. Saving, restoring
// or deleting an article an unsent issue picks, or changing the name or
// full-text setting of its newsletter, withdraws that issue's approvals in
// the same transaction; an approval given to a page read before is
// refused; other issues and articles are left alone.
func TestArticleChangesWithdrawApprovals(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		ctx := t.Context()
		s, _, weekly, small, ed1, ed2 := largeSends(t, engine)
		article := func(slug string) *model.Article {
			t.Helper()
			a := published(slug, t0.Add(-time.Hour))
			if err := s.CreateArticleAs(ctx, a, ed1, false); err != nil {
				t.Fatal(err)
			}
			return a
		}
		picked, other, unrelated := article("picked"), article("other"), article("unrelated")
		at := t0.Add(2 * time.Hour)
		approved := func(subject string, articleIDs ...string) store.Issue {
			t.Helper()
			is := mustIssue(t, s, weekly.ID, subject, articleIDs...)
			for _, user := range []string{ed1, ed2} {
				if _, err := s.ApproveIssue(ctx, is.ID, user, at, storetest.IssueDigest(t, s, is)); err != nil {
					t.Fatal(err)
				}
			}
			if got, _ := s.IssueByID(ctx, is.ID); got.Status != store.IssueScheduled {
				t.Fatalf("approved by two, %q is %s", subject, got.Status)
			}
			return is
		}
		save := func(a *model.Article, base int) store.ArticleSaved {
			t.Helper()
			saved, err := s.SaveArticleAs(ctx, a, ed1, base)
			if err != nil {
				t.Fatal(err)
			}
			return saved
		}
		wantState := func(is store.Issue, status string, approvals int) {
			t.Helper()
			got, err := s.IssueByID(ctx, is.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != status || len(approvers(t, s, is.ID)) != approvals {
				t.Errorf("issue %q is %s with approvals %v; want %s with %d", is.Subject, got.Status, approvers(t, s, is.ID), status, approvals)
			}
		}

		week := approved("The week", picked.ID, other.ID)
		// An issue of the small newsletter, sent by one person, records no
		// approvals and stays scheduled whatever changes.
		one := mustIssue(t, s, small.ID, "Small", picked.ID)
		if _, err := s.ApproveIssue(ctx, one.ID, ed1, at, ""); err != nil {
			t.Fatal(err)
		}

		// A change to an article the issue does not pick leaves it alone.
		unrelated.Title = "Unrelated, corrected"
		if saved := save(unrelated, 1); len(saved.ApprovalsWithdrawn) != 0 {
			t.Errorf("saving an article no issue picks withdrew %v", saved.ApprovalsWithdrawn)
		}
		wantState(week, store.IssueScheduled, 2)

		// The second approver read the page before the article changed.
		read := storetest.IssueDigest(t, s, week)
		picked.Title = "Picked, rewritten"
		saved := save(picked, 1)
		if !cmp.Equal(saved.ApprovalsWithdrawn, []string{week.ID}) || saved.Revision != 2 {
			t.Errorf("saving the picked article = %+v; want revision 2 and the week's approvals withdrawn", saved)
		}
		wantState(week, store.IssueDraft, 0)
		wantState(one, store.IssueScheduled, 0)
		_, err := s.ApproveIssue(ctx, week.ID, ed1, at, read)
		wantErr(t, err, store.ErrIssueChanged)
		if read == storetest.IssueDigest(t, s, week) {
			t.Error("the digest did not change with a picked article")
		}

		// Approved anew, the issue loses its approvals again when a picked
		// article is deleted.
		week2 := approved("The week again", other.ID)
		withdrawn, err := s.DeleteArticle(ctx, other.ID)
		if err != nil || !cmp.Equal(withdrawn, []string{week2.ID}) {
			t.Errorf("DeleteArticle = %v, %v; want the approvals of %s withdrawn", withdrawn, err, week2.ID)
		}
		wantState(week2, store.IssueDraft, 0)

		// An issue that is being sent is not touched.
		sending := approved("Sending", picked.ID)
		if err := s.StartIssue(ctx, sending.ID); err != nil {
			t.Fatal(err)
		}
		picked.Summary = "Changed while the issue goes out."
		if saved := save(picked, 2); len(saved.ApprovalsWithdrawn) != 0 {
			t.Errorf("saving an article of an issue being sent withdrew %v", saved.ApprovalsWithdrawn)
		}
		wantState(sending, store.IssueSending, 2)

		// The newsletter's settings: a new schedule leaves the approvals,
		// a change to what its emails show (the name, full text or not)
		// withdraws them.
		settled := approved("Settled", picked.ID)
		read = storetest.IssueDigest(t, s, settled)
		weekly.Schedule = &store.Schedule{Weekday: time.Thursday, Hour: 18}
		if withdrawn, err := s.UpdateNewsletter(ctx, &weekly); err != nil || len(withdrawn) != 0 {
			t.Errorf("a new schedule withdrew %v, %v", withdrawn, err)
		}
		wantState(settled, store.IssueScheduled, 2)
		weekly.FullText = !weekly.FullText
		if withdrawn, err := s.UpdateNewsletter(ctx, &weekly); err != nil || !cmp.Equal(withdrawn, []string{settled.ID}) {
			t.Errorf("switching full text = %v, %v; want the approvals of %s withdrawn", withdrawn, err, settled.ID)
		}
		wantState(settled, store.IssueDraft, 0)
		_, err = s.ApproveIssue(ctx, settled.ID, ed1, at, read)
		wantErr(t, err, store.ErrIssueChanged)
	})
}
