package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// deliver claims and records every row of o's issue as sent, each with the
// Message-ID the outbox named it when it was queued.
func deliver(t *testing.T, s *store.Store, issueID string) {
	t.Helper()
	ctx := t.Context()
	if _, err := s.EnqueueSends(ctx, issueID, 100, "example.org"); err != nil {
		t.Fatal(err)
	}
	claims, err := s.ClaimSends(ctx, issueID, "A", 1000, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var results []store.SendResult
	for _, c := range claims {
		if want := store.SendMessageID(issueID, c.SubscriberID, "example.org"); c.MessageID != want {
			t.Fatalf("claim of %s carries Message-ID %q; want %q", c.SubscriberID, c.MessageID, want)
		}
		results = append(results, store.SendResult{IssueID: issueID, SubscriberID: c.SubscriberID, Owner: "A", Status: store.SendSent})
	}
	if _, err := s.RecordSends(ctx, results); err != nil {
		t.Fatal(err)
	}
}

func TestDeliveryByMessageIDAndComplaints(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		o := newOutbox(t, s, 3)
		deliver(t, s, o.issue.ID)
		reader := o.recipients[1]
		d, err := s.DeliveryByMessageID(ctx, store.SendMessageID(o.issue.ID, reader, "example.org"))
		if err != nil || d != (store.Delivery{IssueID: o.issue.ID, SubscriberID: reader}) {
			t.Fatalf("DeliveryByMessageID() = %+v, %v; want the delivery to %s", d, err, reader)
		}
		_, err = s.DeliveryByMessageID(ctx, "unknown@x")
		wantErr(t, err, model.ErrNotFound)
		_, err = s.DeliveryByMessageID(ctx, "")
		wantErr(t, err, model.ErrNotFound)
		if got, err := s.LatestDeliveryTo(ctx, reader); err != nil || got != o.issue.ID {
			t.Errorf("LatestDeliveryTo() = %q, %v; want %s", got, err, o.issue.ID)
		}
		_, err = s.LatestDeliveryTo(ctx, o.excluded[0])
		wantErr(t, err, model.ErrNotFound)

		if err := s.Complain(ctx, reader, o.issue.ID); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.Complain(ctx, reader, o.issue.ID), model.ErrNotFound) // the same notice again
		if _, err := s.SubscriberByID(ctx, reader); err == nil {
			t.Error("the complainer is still a subscriber")
		}
		if reason, err := s.Suppression(ctx, "idx-reader1"); err != nil || reason != store.SuppressComplaint {
			t.Errorf("suppression of the complainer = %q, %v", reason, err)
		}
		is, err := s.IssueByID(ctx, o.issue.ID)
		if err != nil || is.Complaints != 1 {
			t.Errorf("the issue counts %d complaints, %v; want 1", is.Complaints, err)
		}
	})
}

func TestHoldAndResumeIssue(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		o := newOutbox(t, s, 4)
		deliver(t, s, o.issue.ID)
		if err := s.Complain(ctx, o.recipients[0], o.issue.ID); err != nil {
			t.Fatal(err)
		}
		if held, err := s.HoldIssue(ctx, o.issue.ID, store.PauseComplaints); err != nil || !held {
			t.Fatalf("HoldIssue() = %v, %v; want true", held, err)
		}
		if held, err := s.HoldIssue(ctx, o.issue.ID, store.PauseDNS); err != nil || held {
			t.Errorf("holding a paused issue again = %v, %v; want false", held, err)
		}
		is, _ := s.IssueByID(ctx, o.issue.ID)
		if !is.Paused || is.PauseReason != store.PauseComplaints {
			t.Errorf("held issue: paused %v, reason %q; want paused for complaints", is.Paused, is.PauseReason)
		}
		if c, _ := s.ClaimSends(ctx, o.issue.ID, "B", 10, time.Minute); len(c) != 0 {
			t.Errorf("claimed %d rows of a held issue", len(c))
		}
		if err := s.ResumeIssue(ctx, o.issue.ID); err != nil {
			t.Fatal(err)
		}
		is, _ = s.IssueByID(ctx, o.issue.ID)
		// Three sent rows are left and one complainer's went with them.
		if is.Paused || is.PauseReason != "" || is.BreakerComplaints != 1 || is.BreakerDelivered != 4 {
			t.Errorf("resumed issue: %+v; want unpaused, breaker counting from 1 complaint in 4 deliveries", is)
		}
		if err := s.PauseIssue(ctx, o.issue.ID, "u1"); err != nil {
			t.Fatal(err)
		}
		if is, _ = s.IssueByID(ctx, o.issue.ID); is.PauseReason != store.PauseEditor || is.PausedBy != "u1" {
			t.Errorf("paused by hand: reason %q, by %q", is.PauseReason, is.PausedBy)
		}
		draft := mustIssue(t, s, o.nl.ID, "Draft")
		if held, err := s.HoldIssue(ctx, draft.ID, store.PauseDNS); err != nil || held {
			t.Errorf("held a draft: %v, %v", held, err)
		}
	})
}

// TestSoftBounces is requirement E4's soft-bounce rule: three campaigns in a
// row that bounced softly suppress the address; a delivered campaign in
// between starts the count again.
func TestSoftBounces(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		o := newOutbox(t, s, 2)
		reader, other := o.recipients[0], o.recipients[1]
		issues := []string{o.issue.ID}
		deliver(t, s, o.issue.ID)
		for i := 1; i < 5; i++ {
			clock.Advance(time.Hour)
			is := mustIssue(t, s, o.nl.ID, fmt.Sprint("Issue ", i))
			if err := s.StartIssue(ctx, is.ID); err != nil {
				t.Fatal(err)
			}
			deliver(t, s, is.ID)
			issues = append(issues, is.ID)
		}
		bounce := func(issue int, limit int) bool {
			t.Helper()
			suppressed, err := s.SoftBounce(ctx, issues[issue], reader, limit)
			if err != nil {
				t.Fatal(err)
			}
			return suppressed
		}
		// Issues 0 and 1 bounce, 2 is delivered, 3 and 4 bounce: never
		// three in a row.
		for _, i := range []int{0, 1, 1, 3, 4} {
			if bounce(i, 3) {
				t.Fatalf("suppressed after the soft bounce of issue %d, with no three in a row", i)
			}
		}
		if sub, _ := s.SubscriberByID(ctx, reader); sub.Status != store.SubscriberActive {
			t.Errorf("status %q, want still active", sub.Status)
		}
		if !bounce(2, 3) {
			t.Fatal("issues 2, 3 and 4 all bounced softly, and the address is not suppressed")
		}
		if sub, _ := s.SubscriberByID(ctx, reader); sub.Status != store.SubscriberBounced {
			t.Errorf("status %q, want bounced", sub.Status)
		}
		if reason, err := s.Suppression(ctx, "idx-reader0"); err != nil || reason != store.SuppressBounce {
			t.Errorf("suppression = %q, %v; want bounce", reason, err)
		}
		if bounce(2, 3) {
			t.Error("the same notice again reported a new suppression")
		}
		// The limit is configurable: one soft bounce may be enough.
		if sub, _ := s.SubscriberByID(ctx, other); sub.Status != store.SubscriberActive {
			t.Fatalf("the other reader is %q", sub.Status)
		}
		if suppressed, err := s.SoftBounce(ctx, issues[4], other, 1); err != nil || !suppressed {
			t.Errorf("SoftBounce with limit 1 = %v, %v; want suppressed", suppressed, err)
		}
	})
}
