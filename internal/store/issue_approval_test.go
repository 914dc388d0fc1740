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
		clock := storetest.NewClock(t0)
		s := storetest.NewEngine(t, engine, store.Options{Now: clock.Now, SecondApprovalOver: 2})
		weekly, small := mustNewsletter(t, s, "weekly"), mustNewsletter(t, s, "small")
		for i := range 3 {
			ids := []string{weekly.ID, small.ID}[:1+(i%2)]
			outboxSubscriber(t, s, fmt.Sprint("reader", i), store.SubscriberActive, ids...)
		}
		// Neither counts: one never confirmed, one is suppressed.
		outboxSubscriber(t, s, "pending", store.SubscriberPending, weekly.ID)
		outboxSubscriber(t, s, "suppressed", store.SubscriberActive, weekly.ID)
		if err := s.Suppress(ctx, "idx-suppressed", store.SuppressManual); err != nil {
			t.Fatal(err)
		}
		ed1, ed2 := mustUser(t, s, "ed1@example.org", "editor").ID, mustUser(t, s, "ed2@example.org", "admin").ID

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
			got, err := s.ApproveIssue(ctx, is.ID, user, at, is.Digest())
			if err != nil || got != want {
				t.Fatalf("ApproveIssue(%s, %v) = %+v, %v; want %+v", user, at, got, err, want)
			}
		}
		approve(ed1, at, store.Approved{Status: store.IssueDraft, Approvals: 1})
		_, err = s.ApproveIssue(ctx, is.ID, ed1, at, is.Digest())
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
		stale := is.Digest()
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
		_, err = s.ApproveIssue(ctx, is.ID, ed1, time.Time{}, is.Digest())
		wantErr(t, err, model.ErrConflict) // it is being sent

		// Sending at once, and a time that has passed, start the issue.
		now := mustIssue(t, s, weekly.ID, "Breaking")
		_, err = s.ApproveIssue(ctx, now.ID, ed1, time.Time{}, now.Digest())
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.ApproveIssue(ctx, now.ID, ed2, time.Time{}, now.Digest()); err != nil || got.Status != store.IssueSending {
			t.Fatalf("second approval of sending now = %+v, %v", got, err)
		}
		if _, err := s.ApproveIssue(ctx, unapproved.ID, ed1, t0, unapproved.Digest()); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.IssueByID(ctx, unapproved.ID); got.Status != store.IssueDraft {
			t.Errorf("a scheduled issue awaiting its second approval is %s, want a draft", got.Status)
		}
		if got, err := s.ApproveIssue(ctx, unapproved.ID, ed2, t0, unapproved.Digest()); err != nil || got.Status != store.IssueSending {
			t.Fatalf("approving a time that has passed = %+v, %v; want it sent now", got, err)
		}

		// Two people approving at the same instant: one of them is the
		// second, and the issue is scheduled.
		for range 5 {
			race := mustIssue(t, s, weekly.ID, "Race")
			var wg sync.WaitGroup
			for _, user := range []string{ed1, ed2} {
				wg.Go(func() {
					if _, err := s.ApproveIssue(ctx, race.ID, user, clock.Now().Add(time.Hour), race.Digest()); err != nil {
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
