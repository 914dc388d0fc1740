package store_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// outbox is an issue being sent to n active subscribers, plus people who
// must not get it: one pending, one suppressed, one who gets another
// newsletter only.
type outbox struct {
	nl         store.Newsletter
	issue      store.Issue
	recipients []string // IDs of the n active subscribers, sorted
	excluded   []string // IDs of the others
}

func outboxSubscriber(t *testing.T, s *store.Store, name, status string, newsletterIDs ...string) string {
	t.Helper()
	sub := store.Subscriber{EmailIndex: "idx-" + name, EmailSealed: "sealed-" + name, Status: status}
	if err := s.CreateSubscriber(t.Context(), &sub, newsletterIDs, nil); err != nil {
		t.Fatal(err)
	}
	return sub.ID
}

func newOutbox(t *testing.T, s *store.Store, n int) outbox {
	t.Helper()
	o := outbox{nl: mustNewsletter(t, s, "weekly")}
	other := mustNewsletter(t, s, "breaking")
	for i := range n {
		o.recipients = append(o.recipients, outboxSubscriber(t, s, fmt.Sprint("reader", i), store.SubscriberActive, o.nl.ID))
	}
	slices.Sort(o.recipients)
	o.excluded = append(o.excluded,
		outboxSubscriber(t, s, "pending", store.SubscriberPending, o.nl.ID),
		outboxSubscriber(t, s, "suppressed", store.SubscriberActive, o.nl.ID),
		outboxSubscriber(t, s, "elsewhere", store.SubscriberActive, other.ID))
	if err := s.Suppress(t.Context(), "idx-suppressed", store.SuppressManual); err != nil {
		t.Fatal(err)
	}
	o.issue = mustIssue(t, s, o.nl.ID, "The week")
	if err := s.StartIssue(t.Context(), o.issue.ID); err != nil {
		t.Fatal(err)
	}
	return o
}

func claimIDs(cs []store.Claim) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.SubscriberID
	}
	slices.Sort(ids)
	return ids
}

func sendIDs(t *testing.T, s *store.Store, issueID, status string) []string {
	t.Helper()
	rows, err := s.ListSends(t.Context(), issueID, status, 1000)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.SubscriberID
	}
	return ids
}

func TestEnqueueSendsIsIdempotentAndResumable(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		o := newOutbox(t, s, 7)
		draft := mustIssue(t, s, o.nl.ID, "Not started")
		_, err := s.EnqueueSends(ctx, draft.ID, 3, "example.org")
		wantErr(t, err, model.ErrConflict)

		added, err := s.EnqueueSends(ctx, o.issue.ID, 3, "example.org")
		if err != nil || added != 7 {
			t.Fatalf("EnqueueSends() = %d, %v; want 7", added, err)
		}
		if diff := cmp.Diff(o.recipients, sendIDs(t, s, o.issue.ID, store.SendPending)); diff != "" {
			t.Errorf("queued (-want +got):\n%s", diff)
		}
		if is, _ := s.IssueByID(ctx, o.issue.ID); is.EnqueuedAt.IsZero() {
			t.Error("the issue is not marked enqueued")
		}
		if added, err := s.EnqueueSends(ctx, o.issue.ID, 3, "example.org"); err != nil || added != 0 {
			t.Errorf("second EnqueueSends() = %d, %v; want 0", added, err)
		}

		// An enqueue interrupted after the first pages: the rows of the
		// last recipients are missing and the issue is not marked enqueued.
		db := store.WriterDB(s)
		if _, err := db.ExecContext(ctx, store.Rebind(s, `DELETE FROM sends WHERE issue_id = ? AND subscriber_id > ?`), o.issue.ID, o.recipients[3]); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, store.Rebind(s, `UPDATE issues SET enqueued_at = NULL WHERE id = ?`), o.issue.ID); err != nil {
			t.Fatal(err)
		}
		if added, err := s.EnqueueSends(ctx, o.issue.ID, 2, "example.org"); err != nil || added != 3 {
			t.Errorf("resumed EnqueueSends() = %d, %v; want the 3 missing", added, err)
		}
		if got := sendIDs(t, s, o.issue.ID, ""); !cmp.Equal(got, o.recipients) {
			t.Errorf("after resuming: %v, want %v", got, o.recipients)
		}
	})
}

func TestClaimLeaseAndRecord(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		t.Parallel()
		ctx := t.Context()
		o := newOutbox(t, s, 5)
		if _, err := s.EnqueueSends(ctx, o.issue.ID, 100, "example.org"); err != nil {
			t.Fatal(err)
		}
		lease := time.Minute
		a, err := s.ClaimSends(ctx, o.issue.ID, "A", 3, lease)
		if err != nil || len(a) != 3 {
			t.Fatalf("A claimed %v, %v; want 3", a, err)
		}
		b, err := s.ClaimSends(ctx, o.issue.ID, "B", 3, lease)
		if err != nil || len(b) != 2 {
			t.Fatalf("B claimed %v, %v; want the 2 left", b, err)
		}
		if both := append(claimIDs(a), claimIDs(b)...); !cmp.Equal(sorted(both), o.recipients) {
			t.Errorf("A and B claimed %v; want each recipient once", both)
		}
		if c, err := s.ClaimSends(ctx, o.issue.ID, "C", 3, lease); err != nil || len(c) != 0 {
			t.Errorf("C claimed %v, %v while every row was leased", c, err)
		}

		// A settles its three: sent, retry later, permanent failure.
		results := []store.SendResult{
			{IssueID: o.issue.ID, SubscriberID: a[0].SubscriberID, Owner: "A", Status: store.SendSent, MessageID: "m0@x"},
			{IssueID: o.issue.ID, SubscriberID: a[1].SubscriberID, Owner: "A", Status: store.SendPending, RetryAt: t0.Add(10 * time.Minute), MessageID: "m1@x", Error: "451 try later"},
			{IssueID: o.issue.ID, SubscriberID: a[2].SubscriberID, Owner: "A", Status: store.SendFailed, MessageID: "m2@x", Error: "550 no such user"},
		}
		if n, err := s.RecordSends(ctx, results); err != nil || n != 3 {
			t.Fatalf("RecordSends() = %d, %v", n, err)
		}
		if n, err := s.RecordSends(ctx, results[:1]); err != nil || n != 0 {
			t.Errorf("recording a settled row again changed %d rows, %v", n, err)
		}
		want := store.SendCounts{Pending: 1, Sending: 2, Sent: 1, Failed: 1}
		if got, err := s.SendProgress(ctx, o.issue.ID); err != nil || got != want {
			t.Errorf("SendProgress() = %+v, %v; want %+v", got, err, want)
		}
		sent, _ := s.ListSends(ctx, o.issue.ID, store.SendSent, 10)
		if len(sent) != 1 || sent[0].MessageID != "m0@x" || !sent[0].SentAt.Equal(t0) || !sent[0].NextAttemptAt.IsZero() || sent[0].Attempts != 1 {
			t.Errorf("the sent row = %+v", sent)
		}

		// B keeps its lease alive; its rows outlive the first lease.
		clock.Advance(50 * time.Second)
		if n, err := s.RenewSends(ctx, o.issue.ID, "B", claimIDs(b), lease); err != nil || n != 2 {
			t.Fatalf("RenewSends() = %d, %v", n, err)
		}
		if n, err := s.RenewSends(ctx, o.issue.ID, "C", claimIDs(b), lease); err != nil || n != 0 {
			t.Errorf("C renewed %d of B's rows, %v", n, err)
		}
		clock.Advance(20 * time.Second)
		if c, _ := s.ClaimSends(ctx, o.issue.ID, "C", 10, lease); len(c) != 0 {
			t.Errorf("C took %v from B's renewed lease", claimIDs(c))
		}

		// B dies. Its lease runs out, and C takes over its rows, along with
		// the retry whose time has come.
		clock.Advance(10 * time.Minute)
		c, err := s.ClaimSends(ctx, o.issue.ID, "C", 10, lease)
		if err != nil || !cmp.Equal(claimIDs(c), sorted(append(claimIDs(b), a[1].SubscriberID))) {
			t.Fatalf("C claimed %v, %v; want B's rows and the retry", claimIDs(c), err)
		}
		for _, cl := range c {
			if cl.Attempts != 2 {
				t.Errorf("a second claim of %s counts %d attempts", cl.SubscriberID, cl.Attempts)
			}
		}
		late := []store.SendResult{{IssueID: o.issue.ID, SubscriberID: b[0].SubscriberID, Owner: "B", Status: store.SendSent}}
		if n, err := s.RecordSends(ctx, late); err != nil || n != 0 {
			t.Errorf("B's late result changed %d rows, %v; C holds them now", n, err)
		}

		// C gives back what it did not attempt.
		if err := s.ReleaseSends(ctx, o.issue.ID, "C", claimIDs(c)); err != nil {
			t.Fatal(err)
		}
		d, err := s.ClaimSends(ctx, o.issue.ID, "D", 10, lease)
		if err != nil || len(d) != 3 || d[0].Attempts != 2 {
			t.Errorf("after release D claimed %+v, %v; want 3 at their second attempt", d, err)
		}

		var settle []store.SendResult
		for _, cl := range d {
			settle = append(settle, store.SendResult{IssueID: o.issue.ID, SubscriberID: cl.SubscriberID, Owner: "D", Status: store.SendSent})
		}
		if ids, _ := s.FinishIssues(ctx); len(ids) != 0 {
			t.Errorf("FinishIssues() finished %v with deliveries left", ids)
		}
		if _, err := s.RecordSends(ctx, settle); err != nil {
			t.Fatal(err)
		}
		if ids, err := s.FinishIssues(ctx); err != nil || !cmp.Equal(ids, []string{o.issue.ID}) {
			t.Errorf("FinishIssues() = %v, %v; want the issue", ids, err)
		}
	})
}

func sorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func TestFinishWaitsForTheEnqueue(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		newOutbox(t, s, 0)
		if ids, err := s.FinishIssues(t.Context()); err != nil || len(ids) != 0 {
			t.Errorf("FinishIssues() = %v, %v before the outbox was filled", ids, err)
		}
	})
}

func TestConcurrentClaimsNeverShareARow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		o := newOutbox(t, s, 120)
		if _, err := s.EnqueueSends(ctx, o.issue.ID, 50, "example.org"); err != nil {
			t.Fatal(err)
		}
		var (
			mu      sync.Mutex
			claimed []string
			wg      sync.WaitGroup
		)
		for w := range 6 {
			wg.Go(func() {
				owner := fmt.Sprint("worker", w)
				for idle := 0; idle < 3; {
					c, err := s.ClaimSends(ctx, o.issue.ID, owner, 7, time.Hour)
					if err != nil {
						t.Error(err)
						return
					}
					if len(c) == 0 {
						idle++
						continue
					}
					mu.Lock()
					claimed = append(claimed, claimIDs(c)...)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if diff := cmp.Diff(o.recipients, sorted(claimed)); diff != "" {
			t.Errorf("claimed rows (-each once +got):\n%s", diff)
		}
	})
}

func TestSendRecipientsLeavesOutThoseWhoLeft(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		o := newOutbox(t, s, 3)
		if _, err := s.Unsubscribe(ctx, o.recipients[1], o.nl.ID); err != nil {
			t.Fatal(err)
		}
		got, err := s.SendRecipients(ctx, o.nl.ID, append(slices.Clone(o.recipients), o.excluded...))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{o.recipients[0]: "", o.recipients[2]: ""}
		if len(got) != len(want) {
			t.Fatalf("SendRecipients() = %v; want only %v", got, []string{o.recipients[0], o.recipients[2]})
		}
		for id := range want {
			if got[id].EmailSealed == "" {
				t.Errorf("recipient %s missing or without an address", id)
			}
		}
	})
}

func TestCancelSkipsWhatIsLeft(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		o := newOutbox(t, s, 4)
		if _, err := s.EnqueueSends(ctx, o.issue.ID, 100, "example.org"); err != nil {
			t.Fatal(err)
		}
		held, err := s.ClaimSends(ctx, o.issue.ID, "A", 1, time.Minute)
		if err != nil || len(held) != 1 {
			t.Fatalf("claim: %v, %v", held, err)
		}
		if err := s.CancelIssue(ctx, o.issue.ID); err != nil {
			t.Fatal(err)
		}
		want := store.SendCounts{Sending: 1, Skipped: 3}
		if got, err := s.SendProgress(ctx, o.issue.ID); err != nil || got != want {
			t.Errorf("after cancelling: %+v, %v; want %+v", got, err, want)
		}
		if c, _ := s.ClaimSends(ctx, o.issue.ID, "B", 10, time.Minute); len(c) != 0 {
			t.Errorf("claimed %v of a cancelled issue", claimIDs(c))
		}
	})
}

// sendSamples counts SQLite's sample statistics of the outbox table.
func sendSamples(t *testing.T, s *store.Store) int {
	t.Helper()
	var n int
	err := store.ReaderDB(s).QueryRowContext(t.Context(), `SELECT COUNT(*) FROM sqlite_stat4 WHERE tbl = 'sends'`).Scan(&n)
	if err != nil && !strings.Contains(err.Error(), "no such table") {
		t.Fatal(err)
	}
	return n
}

// On SQLite the outbox keeps no sample statistics: with them every claim
// and record would be compiled again each time it runs.
func TestSQLiteOutboxHasNoSampleStatistics(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, all := migratedBefore(t, "sqlite", "0022")
	o := newOutbox(t, s, 20)
	if _, err := s.EnqueueSends(ctx, o.issue.ID, 100, "example.org"); err != nil {
		t.Fatal(err)
	}
	// What an earlier version did after filling an outbox.
	if err := store.Exec(s, `ANALYZE sends`); err != nil {
		t.Fatal(err)
	}
	if sendSamples(t, s) == 0 {
		t.Fatal("ANALYZE left no samples: the migration below would prove nothing")
	}
	store.SetMigrations(s, all)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if n := sendSamples(t, s); n != 0 {
		t.Errorf("after migrating, sqlite_stat4 holds %d samples of sends; want none", n)
	}

	// A large outbox (past the size at which PostgreSQL's is analysed)
	// brings none back.
	s = storetest.NewEngine(t, "sqlite", store.Options{})
	big := newOutbox(t, s, 1001)
	if n, err := s.EnqueueSends(ctx, big.issue.ID, 1000, "example.org"); err != nil || n != 1001 {
		t.Fatalf("EnqueueSends() = %d, %v", n, err)
	}
	if n := sendSamples(t, s); n != 0 {
		t.Errorf("after filling an outbox of 1001, sqlite_stat4 holds %d samples of sends; want none", n)
	}
}
