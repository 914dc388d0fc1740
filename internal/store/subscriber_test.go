package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// newSubscriber adds a subscriber whose index and sealed value derive from
// name (the store treats both as opaque text).
func newSubscriber(t *testing.T, s *store.Store, name, status string, newsletterIDs ...string) store.Subscriber {
	t.Helper()
	sub := store.Subscriber{EmailIndex: "index-" + name, EmailSealed: "sealed-" + name, Status: status}
	consent := &store.Consent{Text: "Sign up for the newsletters", PolicyVersion: "2025-01"}
	if err := s.CreateSubscriber(t.Context(), &sub, newsletterIDs, consent); err != nil {
		t.Fatal(err)
	}
	return sub
}

// rowCount counts the rows of table where column equals value.
func rowCount(t *testing.T, s *store.Store, table, column, value string) int {
	t.Helper()
	var n int
	q := store.Rebind(s, fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s = ?", table, column))
	if err := store.ReaderDB(s).QueryRowContext(t.Context(), q, value).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func newsletterIDs(subs []store.Subscription) []string {
	var ids []string
	for _, n := range subs {
		ids = append(ids, n.NewsletterID)
	}
	return ids
}

func TestSubscriberLifecycle(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		ns := seedNewsletters(t, s)
		weekly, breaking := ns["weekly"].ID, ns["breaking"].ID

		sub := newSubscriber(t, s, "reader", "", weekly)
		if sub.Status != store.SubscriberPending || !sub.CreatedAt.Equal(t0) {
			t.Fatalf("new subscriber = %+v; want pending, created at t0", sub)
		}
		got, err := s.SubscriberByEmailIndex(ctx, "index-reader")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(sub, got); diff != "" {
			t.Errorf("SubscriberByEmailIndex (-created +got):\n%s", diff)
		}
		dup := store.Subscriber{EmailIndex: "index-reader", EmailSealed: "other"}
		if err := s.CreateSubscriber(ctx, &dup, []string{weekly}, nil); !errors.Is(err, model.ErrConflict) {
			t.Errorf("second subscriber with the same address: %v, want ErrConflict", err)
		}
		stray := store.Subscriber{EmailIndex: "index-stray", EmailSealed: "sealed-stray"}
		if err := s.CreateSubscriber(ctx, &stray, []string{"no-such-newsletter"}, nil); !errors.Is(err, model.ErrConflict) {
			t.Errorf("subscription to an unknown newsletter: %v, want ErrConflict", err)
		}
		if n := rowCount(t, s, "subscribers", "email_index", "index-stray"); n != 0 {
			t.Error("a failed CreateSubscriber left its row behind")
		}

		if r, _ := s.ActiveRecipients(ctx, weekly, "", 10); len(r) != 0 {
			t.Errorf("a pending subscriber is a recipient: %+v", r)
		}
		clock.Advance(time.Hour)
		if ok, err := s.ConfirmSubscriber(ctx, sub.ID); err != nil || !ok {
			t.Fatalf("ConfirmSubscriber() = %v, %v; want true", ok, err)
		}
		if ok, err := s.ConfirmSubscriber(ctx, sub.ID); err != nil || ok {
			t.Errorf("second ConfirmSubscriber() = %v, %v; want false, nil", ok, err)
		}
		if _, err := s.ConfirmSubscriber(ctx, "missing"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("ConfirmSubscriber(missing) = %v, want ErrNotFound", err)
		}
		got, _ = s.SubscriberByID(ctx, sub.ID)
		if got.Status != store.SubscriberActive || !got.ConfirmedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("after confirming: %+v", got)
		}
		r, err := s.ActiveRecipients(ctx, weekly, "", 10)
		if err != nil || len(r) != 1 || r[0] != (store.Recipient{SubscriberID: sub.ID, EmailSealed: "sealed-reader"}) {
			t.Errorf("ActiveRecipients() = %+v, %v; want the reader", r, err)
		}

		clock.Advance(time.Hour)
		consent := &store.Consent{Text: "Changed choices", PolicyVersion: "2025-02"}
		if err := s.SetSubscriptions(ctx, sub.ID, []string{weekly, breaking}, consent); err != nil {
			t.Fatal(err)
		}
		got, _ = s.SubscriberByID(ctx, sub.ID)
		want := []store.Subscription{{NewsletterID: weekly, CreatedAt: t0}, {NewsletterID: breaking, CreatedAt: t0.Add(2 * time.Hour)}}
		if diff := cmp.Diff(want, got.Subscriptions); diff != "" {
			t.Errorf("subscriptions after adding breaking (-want +got):\n%s", diff)
		}
		consents, err := s.Consents(ctx, sub.ID)
		if err != nil || len(consents) != 2 || consents[1].Text != "Changed choices" || consents[1].PolicyVersion != "2025-02" || !consents[1].GivenAt.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("Consents() = %+v, %v", consents, err)
		}
		if err := s.SetSubscriptions(ctx, "missing", []string{weekly}, nil); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("SetSubscriptions(missing) = %v, want ErrNotFound", err)
		}

		if gone, err := s.Unsubscribe(ctx, sub.ID, weekly); err != nil || gone {
			t.Fatalf("Unsubscribe(weekly) = %v, %v; want false, nil", gone, err)
		}
		if r, _ := s.ActiveRecipients(ctx, weekly, "", 10); len(r) != 0 {
			t.Errorf("still a weekly recipient after unsubscribing: %+v", r)
		}
		if r, _ := s.ActiveRecipients(ctx, breaking, "", 10); len(r) != 1 {
			t.Errorf("unsubscribing from weekly ended breaking too: %+v", r)
		}
		if gone, err := s.Unsubscribe(ctx, sub.ID, breaking); err != nil || !gone {
			t.Fatalf("Unsubscribe(breaking) = %v, %v; want true, nil", gone, err)
		}
		for _, table := range []string{"subscribers", "subscriptions", "consents"} {
			column := "subscriber_id"
			if table == "subscribers" {
				column = "id"
			}
			if n := rowCount(t, s, table, column, sub.ID); n != 0 {
				t.Errorf("%d rows left in %s after the last unsubscribe", n, table)
			}
		}
		if reason, err := s.Suppression(ctx, "index-reader"); err != nil || reason != store.SuppressUnsubscribe {
			t.Errorf("Suppression() = %q, %v; want unsubscribe", reason, err)
		}
		if _, err := s.Unsubscribe(ctx, sub.ID, breaking); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("Unsubscribe of a deleted subscriber = %v, want ErrNotFound", err)
		}

		// Signing up again and confirming lifts the unsubscribe suppression.
		again := newSubscriber(t, s, "reader", "", weekly)
		if _, err := s.ConfirmSubscriber(ctx, again.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Suppression(ctx, "index-reader"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("Suppression() after a new confirmed signup = %v, want ErrNotFound", err)
		}
	})
}

func TestUnsubscribePendingLeavesNoSuppression(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		weekly := seedNewsletters(t, s)["weekly"].ID
		sub := newSubscriber(t, s, "pending", "", weekly)
		if gone, err := s.Unsubscribe(t.Context(), sub.ID, weekly); err != nil || !gone {
			t.Fatalf("Unsubscribe() = %v, %v", gone, err)
		}
		if _, err := s.Suppression(t.Context(), "index-pending"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("an unconfirmed signup left a suppression: %v", err)
		}
	})
}

func TestActiveRecipientsPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		ns := seedNewsletters(t, s)
		weekly, breaking := ns["weekly"].ID, ns["breaking"].ID
		var want []string
		for i := range 5 {
			want = append(want, newSubscriber(t, s, fmt.Sprint("active", i), store.SubscriberActive, weekly).ID)
		}
		newSubscriber(t, s, "pending", store.SubscriberPending, weekly)
		newSubscriber(t, s, "bounced", store.SubscriberBounced, weekly)
		newSubscriber(t, s, "other-list", store.SubscriberActive, breaking)
		newSubscriber(t, s, "suppressed", store.SubscriberActive, weekly)
		if err := s.Suppress(ctx, "index-suppressed", store.SuppressManual); err != nil {
			t.Fatal(err)
		}

		var got []string
		after := ""
		for pages := 0; ; pages++ {
			page, err := s.ActiveRecipients(ctx, weekly, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				if pages != 3 {
					t.Errorf("%d pages of 2 for 5 recipients, want 3", pages)
				}
				break
			}
			for _, r := range page {
				got = append(got, r.SubscriberID)
			}
			after = page[len(page)-1].SubscriberID
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("recipients (-want +got):\n%s", diff)
		}
	})
}

func TestMarkBounced(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		weekly := seedNewsletters(t, s)["weekly"].ID
		sub := newSubscriber(t, s, "bouncy", store.SubscriberActive, weekly)
		steps := []struct {
			permanent  bool
			wantCount  int
			wantStatus string
		}{
			{false, 0, store.SubscriberActive}, // transient: the sender retries it
			{true, 1, store.SubscriberActive},
			{true, 2, store.SubscriberBounced},
		}
		for i, step := range steps {
			if err := s.MarkBounced(ctx, sub.ID, step.permanent, 2); err != nil {
				t.Fatal(err)
			}
			got, _ := s.SubscriberByID(ctx, sub.ID)
			if got.BounceCount != step.wantCount || got.Status != step.wantStatus {
				t.Errorf("step %d: count %d, status %s; want %d, %s", i, got.BounceCount, got.Status, step.wantCount, step.wantStatus)
			}
		}
		if reason, err := s.Suppression(ctx, "index-bouncy"); err != nil || reason != store.SuppressBounce {
			t.Errorf("Suppression() = %q, %v; want bounce", reason, err)
		}
		if err := s.MarkBounced(ctx, "missing", true, 1); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("MarkBounced(missing) = %v, want ErrNotFound", err)
		}
	})
}

func TestSuppressionReasons(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		tests := []struct {
			name    string
			reasons []string
			want    string
		}{
			{"complaint replaces unsubscribe", []string{store.SuppressUnsubscribe, store.SuppressComplaint}, store.SuppressComplaint},
			{"unsubscribe does not weaken a complaint", []string{store.SuppressComplaint, store.SuppressUnsubscribe}, store.SuppressComplaint},
			{"the first strong reason stays", []string{store.SuppressBounce, store.SuppressManual}, store.SuppressBounce},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				index := fmt.Sprint("index-", i)
				for _, reason := range tt.reasons {
					if err := s.Suppress(ctx, index, reason); err != nil {
						t.Fatal(err)
					}
				}
				if got, err := s.Suppression(ctx, index); err != nil || got != tt.want {
					t.Errorf("Suppression() = %q, %v; want %q", got, err, tt.want)
				}
			})
		}
		if err := s.Suppress(ctx, "index-x", "whim"); err == nil {
			t.Error("Suppress accepted an unknown reason")
		}
		// A confirmed signup lifts only an unsubscribe suppression.
		weekly := seedNewsletters(t, s)["weekly"].ID
		sub := newSubscriber(t, s, "complainer", "", weekly)
		if err := s.Suppress(ctx, "index-complainer", store.SuppressComplaint); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ConfirmSubscriber(ctx, sub.ID); err != nil {
			t.Fatal(err)
		}
		if reason, _ := s.Suppression(ctx, "index-complainer"); reason != store.SuppressComplaint {
			t.Errorf("confirming lifted a complaint: reason now %q", reason)
		}
		if r, _ := s.ActiveRecipients(ctx, weekly, "", 10); len(r) != 0 {
			t.Errorf("a suppressed address is a recipient: %+v", r)
		}
	})
}

func TestDeleteSubscriber(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		weekly := seedNewsletters(t, s)["weekly"].ID
		tests := []struct {
			name, reason string
		}{
			{"erase without a trace", ""},
			{"never email me again", store.SuppressManual},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				sub := newSubscriber(t, s, tt.name, store.SubscriberActive, weekly)
				if err := s.DeleteSubscriber(ctx, sub.ID, tt.reason); err != nil {
					t.Fatal(err)
				}
				left := rowCount(t, s, "subscribers", "id", sub.ID) + rowCount(t, s, "subscriptions", "subscriber_id", sub.ID) +
					rowCount(t, s, "consents", "subscriber_id", sub.ID)
				if left != 0 {
					t.Errorf("%d rows left after deleting", left)
				}
				suppressed := rowCount(t, s, "suppressions", "email_index", sub.EmailIndex)
				if want := map[bool]int{true: 0, false: 1}[tt.reason == ""]; suppressed != want {
					t.Errorf("%d suppression rows, want %d", suppressed, want)
				}
				if err := s.DeleteSubscriber(ctx, sub.ID, tt.reason); !errors.Is(err, model.ErrNotFound) {
					t.Errorf("second DeleteSubscriber() = %v, want ErrNotFound", err)
				}
			})
		}
	})
}

func TestRotateManageToken(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		sub := newSubscriber(t, s, "rotor", store.SubscriberActive)
		for want := 1; want <= 2; want++ {
			if v, err := s.RotateManageToken(t.Context(), sub.ID); err != nil || v != want {
				t.Errorf("RotateManageToken() = %d, %v; want %d", v, err, want)
			}
		}
		if _, err := s.RotateManageToken(t.Context(), "missing"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("RotateManageToken(missing) = %v, want ErrNotFound", err)
		}
	})
}

func TestPurgePendingSubscribers(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		weekly := seedNewsletters(t, s)["weekly"].ID
		old := newSubscriber(t, s, "old", "", weekly)
		confirmed := newSubscriber(t, s, "confirmed", store.SubscriberActive, weekly)
		clock.Advance(7 * 24 * time.Hour)
		fresh := newSubscriber(t, s, "fresh", "", weekly)
		n, err := s.PurgePendingSubscribers(t.Context(), clock.Now().Add(-7*24*time.Hour+time.Second))
		if err != nil || n != 1 {
			t.Fatalf("PurgePendingSubscribers() = %d, %v; want 1", n, err)
		}
		for sub, want := range map[string]int{old.ID: 0, confirmed.ID: 1, fresh.ID: 1} {
			if got := rowCount(t, s, "subscribers", "id", sub); got != want {
				t.Errorf("subscriber %s: %d rows, want %d", sub, got, want)
			}
		}
	})
}
