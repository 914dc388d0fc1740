package newsletter_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// anyAddr returns one subscriber of e and their address.
func (e *sendEnv) anyAddr() (id, addr string) {
	for id, addr := range e.addrs {
		return id, addr
	}
	return "", ""
}

func TestOutboxRetriesTransientFailures(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		e := newSendEnv(t, s, 12)
		is := e.issue(t, "Retries")
		o := e.outbox(t, e.srv.SMTPConfig(), func(o *newsletter.SendOptions) { o.RetryBase = 300 * time.Millisecond })
		e.srv.FailNext(2, 451)
		start := time.Now()
		if err := o.Start(ctx, is.ID); err != nil {
			t.Fatal(err)
		}
		run(t, o)
		e.waitStatus(t, is.ID, store.IssueSent, 20*time.Second)
		// The two refused deliveries waited for their backoff (at least
		// four fifths of RetryBase).
		if took := time.Since(start); took < 240*time.Millisecond {
			t.Errorf("the issue finished after %v, before any retry was due", took)
		}
		wantEachOnce(t, e.srv.Messages(), e.addrs)
		rows, err := s.ListSends(ctx, is.ID, store.SendSent, 100)
		if err != nil {
			t.Fatal(err)
		}
		retried := 0
		for _, r := range rows {
			switch r.Attempts {
			case 1:
			case 2:
				retried++
			default:
				t.Errorf("row with %d attempts", r.Attempts)
			}
		}
		if retried != 2 {
			t.Errorf("%d deliveries were retried, want 2", retried)
		}
	})
}

func TestOutboxPermanentFailuresBounceAtTheThreshold(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		e := newSendEnv(t, s, 4)
		victim, addr := e.anyAddr()
		e.srv.Reject(addr, 550)
		o := e.outbox(t, e.srv.SMTPConfig(), func(o *newsletter.SendOptions) { o.BounceThreshold = 2 })
		run(t, o)
		for round, wantStatus := range []string{store.SubscriberActive, store.SubscriberBounced} {
			is := e.issue(t, "Issue")
			if err := o.Start(ctx, is.ID); err != nil {
				t.Fatal(err)
			}
			e.waitStatus(t, is.ID, store.IssueSent, 20*time.Second)
			failed, err := s.ListSends(ctx, is.ID, store.SendFailed, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(failed) != 1 || failed[0].SubscriberID != victim || failed[0].Attempts != 1 || !strings.Contains(failed[0].LastError, "550") {
				t.Fatalf("round %d: failed rows %+v; want the victim's, refused once with 550", round, failed)
			}
			if strings.Contains(failed[0].LastError, addr) {
				t.Errorf("the stored error names the address: %q", failed[0].LastError)
			}
			// The worker counts the bounce after recording the delivery,
			// which may come after the issue is seen as sent.
			sub := e.waitBounces(t, victim, round+1, 10*time.Second)
			if sub.Status != wantStatus || sub.BounceCount != round+1 {
				t.Errorf("after %d permanent failures: status %s, bounces %d; want %s", round+1, sub.Status, sub.BounceCount, wantStatus)
			}
		}
		if reason, err := s.Suppression(ctx, e.vault.Index(addr, newsletter.EmailPurpose)); err != nil || reason != store.SuppressBounce {
			t.Errorf("suppression of the bounced address = %q, %v", reason, err)
		}
		before := e.srv.Attempts(addr)
		third := e.issue(t, "After the bounce")
		if err := o.Start(ctx, third.ID); err != nil {
			t.Fatal(err)
		}
		e.waitStatus(t, third.ID, store.IssueSent, 20*time.Second)
		if after := e.srv.Attempts(addr); after != before {
			t.Errorf("the bounced address was tried again (%d → %d)", before, after)
		}
		if c, _ := s.SendProgress(ctx, third.ID); c.Sent != 3 || c.Total() != 3 {
			t.Errorf("third issue: %+v; want 3 sent and no row for the bounced", c)
		}
	})
}

func TestOutboxGivesUpOnEndlessTransientFailures(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		e := newSendEnv(t, s, 3)
		victim, addr := e.anyAddr()
		e.srv.Reject(addr, 452) // mailbox full, for ever
		is := e.issue(t, "Full mailbox")
		o := e.outbox(t, e.srv.SMTPConfig(), func(o *newsletter.SendOptions) {
			o.MaxAttempts, o.RetryBase = 3, 30*time.Millisecond
		})
		if err := o.Start(ctx, is.ID); err != nil {
			t.Fatal(err)
		}
		run(t, o)
		e.waitStatus(t, is.ID, store.IssueSent, 20*time.Second)
		failed, err := s.ListSends(ctx, is.ID, store.SendFailed, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(failed) != 1 || failed[0].SubscriberID != victim || failed[0].Attempts != 3 ||
			!strings.Contains(failed[0].LastError, "gave up after 3 attempts") {
			t.Fatalf("failed rows %+v", failed)
		}
		if n := e.srv.Attempts(addr); n != 3 {
			t.Errorf("the server was asked %d times, want 3", n)
		}
		if sub, _ := s.SubscriberByID(ctx, victim); sub.Status != store.SubscriberActive || sub.BounceCount != 0 {
			t.Errorf("transient failures bounced the subscriber: %+v", sub)
		}
		delete(e.addrs, victim)
		wantEachOnce(t, e.srv.Messages(), e.addrs)

		// Two more campaigns given up on make three soft-bounced ones in a
		// row (E4): the address is suppressed.
		for _, subject := range []string{"Still full", "Full again"} {
			if sub, _ := s.SubscriberByID(ctx, victim); sub.Status != store.SubscriberActive {
				t.Fatalf("before %q the subscriber is %q", subject, sub.Status)
			}
			is := e.issue(t, subject)
			if err := o.Start(ctx, is.ID); err != nil {
				t.Fatal(err)
			}
			e.waitStatus(t, is.ID, store.IssueSent, 20*time.Second)
		}
		// The worker counts the soft bounce just after recording the row,
		// so the issue may be marked sent a moment before.
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			sub, _ := s.SubscriberByID(ctx, victim)
			if sub.Status == store.SubscriberBounced {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after three campaigns given up on, the subscriber is %q, want bounced", sub.Status)
			}
		}
		if reason, err := s.Suppression(ctx, e.vault.Index(addr, newsletter.EmailPurpose)); reason != store.SuppressBounce {
			t.Errorf("suppression %q, %v; want bounce", reason, err)
		}
	})
}

func TestOutboxHangingServer(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		e := newSendEnv(t, s, 6)
		cfg := e.srv.SMTPConfig()
		cfg.Timeout = 200 * time.Millisecond
		e.srv.Hang()
		is := e.issue(t, "Hang")
		o := e.outbox(t, cfg, nil)
		if err := o.Start(ctx, is.ID); err != nil {
			t.Fatal(err)
		}
		stop := run(t, o)
		time.Sleep(time.Second)
		c, err := s.SendProgress(ctx, is.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Pending+c.Sending != 6 || e.srv.Count() != 0 {
			t.Fatalf("while the server hangs: %+v, %d received", c, e.srv.Count())
		}
		rows, _ := s.ListSends(ctx, is.ID, "", 10)
		for _, r := range rows {
			if r.Attempts > 0 && r.Status == store.SendPending {
				t.Errorf("a hanging server used up an attempt of %s: %+v", r.SubscriberID, r)
			}
		}
		e.waitLog(t, "not taking messages", 10*time.Second)
		// A shutdown while the server hangs is not held up by it.
		start := time.Now()
		stop()
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("stopping took %v", took)
		}

		e.srv.Unhang()
		run(t, e.outbox(t, e.srv.SMTPConfig(), nil))
		e.waitStatus(t, is.ID, store.IssueSent, 20*time.Second)
		wantEachOnce(t, e.srv.Messages(), e.addrs)
	})
}

// TestOutboxPauseAndResume: an editor's pause, made through one of two
// servers sending an issue, stops both: that server's workers after the
// message in hand, the other's at its next poll. What was sent stays sent,
// the issue says who paused it and when, and resuming sends the rest, to
// each recipient once.
func TestOutboxPauseAndResume(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		e := newSendEnv(t, s, 40)
		cfg := e.srv.SMTPConfig()
		cfg.Rate = 50
		is := e.issue(t, "Paused")
		const poll = 200 * time.Millisecond
		slow := func(o *newsletter.SendOptions) { o.Workers, o.Batch, o.Poll = 2, 2, poll }
		a, b := e.outbox(t, cfg, slow), e.outbox(t, cfg, slow)
		if err := a.Start(ctx, is.ID); err != nil {
			t.Fatal(err)
		}
		run(t, a)
		run(t, b)
		if !e.srv.Wait(5, 10*time.Second) {
			t.Fatal("nothing was sent")
		}
		pausedAt := time.Now()
		if err := a.Pause(ctx, is.ID, "editor-1"); err != nil {
			t.Fatal(err)
		}
		// The messages in hand and one poll's worth of claims finish, then
		// nothing more arrives.
		stopped, ok := settle(e.srv, 3*poll, 10*time.Second)
		if !ok || stopped == 40 {
			t.Fatalf("after the pause %d of 40 messages arrived and the count did not settle", stopped)
		}
		time.Sleep(3 * poll)
		if n := e.srv.Count(); n != stopped {
			t.Fatalf("while paused the count went from %d to %d (of 40)", stopped, n)
		}
		got, _ := s.IssueByID(ctx, is.ID)
		if got.Status != store.IssueSending || !got.Paused || got.PauseReason != store.PauseEditor || got.PausedBy != "editor-1" ||
			got.PausedAt.Before(pausedAt.Add(-time.Second)) {
			t.Errorf("a paused issue: %+v", got)
		}
		if c, _ := s.SendProgress(ctx, is.ID); c.Sent != stopped || c.Sending != 0 {
			t.Errorf("while paused the outbox counts %+v; want %d sent and no row held", c, stopped)
		}
		if err := b.Resume(ctx, is.ID); err != nil {
			t.Fatal(err)
		}
		e.waitStatus(t, is.ID, store.IssueSent, 20*time.Second)
		wantEachOnce(t, e.srv.Messages(), e.addrs)
		if err := b.Resume(ctx, is.ID); !errors.Is(err, newsletter.ErrNotPaused) {
			t.Errorf("resuming a sent issue = %v, want ErrNotPaused", err)
		}
	})
}

// settle waits, up to limit, until srv has received nothing new for
// quiet, and returns the count then.
func settle(srv *mailtest.Server, quiet, limit time.Duration) (int, bool) {
	deadline := time.Now().Add(limit)
	last, since := srv.Count(), time.Now()
	for time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		if n := srv.Count(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= quiet {
			return last, true
		}
	}
	return last, false
}

func TestTwoOutboxesNeverSendTwice(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		e := newSendEnv(t, s, 150)
		is := e.issue(t, "Two servers")
		small := func(o *newsletter.SendOptions) { o.Batch = 3 }
		a, b := e.outbox(t, e.srv.SMTPConfig(), small), e.outbox(t, e.srv.SMTPConfig(), small)
		if err := s.StartIssue(ctx, is.ID); err != nil {
			t.Fatal(err)
		}
		// Both fill the outbox and both send; neither knows of the other.
		run(t, a)
		run(t, b)
		e.waitStatus(t, is.ID, store.IssueSent, 30*time.Second)
		wantEachOnce(t, e.srv.Messages(), e.addrs)
	})
}

func TestOutboxStartsScheduledIssues(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		e := newSendEnv(t, s, 3)
		is := e.issue(t, "Friday")
		if err := s.ScheduleIssue(ctx, is.ID, time.Now().Add(300*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		run(t, e.outbox(t, e.srv.SMTPConfig(), nil))
		time.Sleep(100 * time.Millisecond)
		if e.srv.Count() != 0 {
			t.Fatal("a scheduled issue went out early")
		}
		e.waitStatus(t, is.ID, store.IssueSent, 20*time.Second)
		wantEachOnce(t, e.srv.Messages(), e.addrs)
	})
}
