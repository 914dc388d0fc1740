package newsletter_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// noticeService is the subscriber side over e's store, which takes bounce
// and complaint notices.
func (e *sendEnv) noticeService(t *testing.T) *newsletter.Service {
	t.Helper()
	svc, err := newsletter.New(newsletter.Options{Store: e.st, Key: sendKey, Log: slog.New(slog.NewTextHandler(e.log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// sendIssue sends a new issue to everyone through o and returns it.
func (e *sendEnv) sendIssue(t *testing.T, o *newsletter.Outbox, subject string) store.Issue {
	t.Helper()
	is := e.issue(t, subject)
	if err := o.Start(t.Context(), is.ID); err != nil {
		t.Fatal(err)
	}
	return e.waitStatus(t, is.ID, store.IssueSent, 30*time.Second)
}

// messageTo returns the Message-ID of the copy of issue subject that addr
// received.
func (e *sendEnv) messageTo(t *testing.T, addr, subject string) string {
	t.Helper()
	for _, m := range e.srv.Messages() {
		if len(m.To) == 1 && m.To[0] == addr && m.Header.Get("Subject") == subject {
			return m.MessageID
		}
	}
	t.Fatalf("%s did not receive %q", addr, subject)
	return ""
}

// TestNoticesFoundByMessageID is requirement E4: notices that carry only
// the Message-ID of the message reach the right subscriber and issue, and
// three campaigns in a row that bounced softly suppress the address.
func TestNoticesFoundByMessageID(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		e := newSendEnv(t, s, 3)
		svc := e.noticeService(t)
		o := e.outbox(t, e.srv.SMTPConfig(), nil)
		run(t, o)
		first := e.sendIssue(t, o, "First")
		addrs := mapValues(e.addrs)
		complainer, bouncer := addrs[0], addrs[1]

		notice := newsletter.Notice{MessageID: "<" + e.messageTo(t, complainer, "First") + ">", Type: newsletter.NoticeComplaint}
		for range 2 { // the mail service sends it twice
			if err := svc.HandleNotice(ctx, notice); err != nil {
				t.Fatal(err)
			}
		}
		index := e.vault.Index(complainer, newsletter.EmailPurpose)
		if _, err := s.SubscriberByEmailIndex(ctx, index); err == nil {
			t.Error("the complainer is still subscribed")
		}
		if reason, err := s.Suppression(ctx, index); reason != store.SuppressComplaint {
			t.Errorf("the complainer's suppression: %q, %v", reason, err)
		}
		if is, _ := s.IssueByID(ctx, first.ID); is.Complaints != 1 {
			t.Errorf("the issue counts %d complaints, want 1", is.Complaints)
		}

		// Soft bounces: of the first two issues by Message-ID, of the third
		// by address alone, which stands for the latest issue they got.
		soft := func(n newsletter.Notice) {
			t.Helper()
			n.Type = newsletter.NoticeTransient
			if err := svc.HandleNotice(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
		soft(newsletter.Notice{MessageID: e.messageTo(t, bouncer, "First")})
		e.sendIssue(t, o, "Second")
		soft(newsletter.Notice{MessageID: e.messageTo(t, bouncer, "Second")})
		sub, err := s.SubscriberByEmailIndex(ctx, e.vault.Index(bouncer, newsletter.EmailPurpose))
		if err != nil || sub.Status != store.SubscriberActive {
			t.Fatalf("after two soft-bounced campaigns: %+v, %v; want still active", sub, err)
		}
		e.sendIssue(t, o, "Third")
		soft(newsletter.Notice{Email: strings.ToUpper(bouncer)})
		if sub, _ = s.SubscriberByID(ctx, sub.ID); sub.Status != store.SubscriberBounced {
			t.Errorf("after three soft-bounced campaigns the status is %q, want bounced", sub.Status)
		}
		if reason, _ := s.Suppression(ctx, e.vault.Index(bouncer, newsletter.EmailPurpose)); reason != store.SuppressBounce {
			t.Errorf("the soft bouncer's suppression: %q", reason)
		}

		// A notice about a message nobody here sent changes nothing.
		before := len(e.srv.Messages())
		if err := svc.HandleNotice(ctx, newsletter.Notice{MessageID: "<issue-x-123@elsewhere.example>", Type: newsletter.NoticeComplaint}); err != nil {
			t.Errorf("a notice about an unknown message: %v", err)
		}
		e.sendIssue(t, o, "Fourth")
		if got := len(e.srv.Messages()) - before; got != 1 {
			t.Errorf("the fourth issue went to %d readers; want the 1 left", got)
		}
	})
}

// TestComplaintBreakerPausesTheSend is requirement E5: complaints above the
// rate pause the rest of the send on every server and alert the admins;
// the first complaint alone does not; resuming sends the rest.
func TestComplaintBreakerPausesTheSend(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		const readers, workers = 300, 4
		e := newSendEnv(t, s, readers)
		for _, u := range []store.User{{Email: "admin@news.example", DisplayName: "Admin", Role: "admin"},
			{Email: "editor@news.example", DisplayName: "Editor", Role: "editor"}} {
			if err := s.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
		}
		svc := e.noticeService(t)
		cfg := e.srv.SMTPConfig()
		cfg.Rate = 150 // slow enough to complain during the send
		o := e.outbox(t, cfg, func(o *newsletter.SendOptions) { o.Workers = workers })
		run(t, o)
		is := e.issue(t, "Provocative")
		if err := o.Start(ctx, is.ID); err != nil {
			t.Fatal(err)
		}
		issueMessages := func() []mailtest.Received {
			var out []mailtest.Received
			for _, m := range e.srv.Messages() {
				if m.Header.Get("Subject") == "Provocative" {
					out = append(out, m)
				}
			}
			return out
		}
		complaints := 0
		complain := func() {
			t.Helper()
			for len(issueMessages()) < 20 {
				time.Sleep(5 * time.Millisecond)
			}
			m := issueMessages()[complaints]
			complaints++
			if err := svc.HandleNotice(ctx, newsletter.Notice{MessageID: m.MessageID, Type: newsletter.NoticeComplaint}); err != nil {
				t.Fatal(err)
			}
		}
		complain()
		time.Sleep(200 * time.Millisecond) // ten polls
		if got, _ := s.IssueByID(ctx, is.ID); got.Paused {
			t.Fatalf("one complaint paused the send: %+v", got)
		}
		complain()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, _ := s.IssueByID(ctx, is.ID)
			if got.Paused {
				if got.PauseReason != store.PauseComplaints || got.Complaints != 2 {
					t.Fatalf("paused issue %+v; want paused for 2 complaints", got)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("two complaints did not pause the send: %+v", got)
			}
			time.Sleep(5 * time.Millisecond)
		}
		atPause := len(issueMessages())
		time.Sleep(300 * time.Millisecond)
		if after := len(issueMessages()); after > atPause+workers || after >= readers {
			t.Errorf("%d messages went out after the pause (%d before); want at most the %d in flight", after-atPause, atPause, workers)
		}
		admin, ok := mailtest.LastTo(e.srv.Messages(), "admin@news.example")
		if !ok {
			t.Fatal("the admin was not alerted")
		}
		text := mailtest.TextOf(t, admin)
		if !strings.Contains(admin.Header.Get("Subject"), "too many spam complaints") || !strings.Contains(text, "tamizdat newsletter resume "+is.ID) {
			t.Errorf("the alert %q says:\n%s", admin.Header.Get("Subject"), text)
		}
		if _, ok := mailtest.LastTo(e.srv.Messages(), "editor@news.example"); ok {
			t.Error("an editor was alerted; only admins are")
		}
		e.waitLog(t, "too many spam complaints", 10*time.Second)

		if err := o.Resume(ctx, is.ID); err != nil {
			t.Fatal(err)
		}
		e.waitStatus(t, is.ID, store.IssueSent, 30*time.Second)
		wantEachOnce(t, issueMessages(), e.addrs)
	})
}

// TestDomainPreflightHoldsTheSend is requirement E3: while the sending
// domain lacks DMARC, starting an issue fails saying so, an issue started
// another way (the desk, a schedule) is held without a message going out,
// and a resume is refused until the record is published.
func TestDomainPreflightHoldsTheSend(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		e := newSendEnv(t, s, 5)
		dns, key := mailtest.SendingZone(t, "news.example", "203.0.113.7")
		dns.Set("_dmarc.news.example") // missing
		check := &tmail.DomainCheck{From: sendFrom, DKIM: key, Relays: []string{"203.0.113.7"}, Resolver: dns}
		o := e.outbox(t, e.srv.SMTPConfig(), func(o *newsletter.SendOptions) { o.DomainCheck = check })

		rep, ok := o.CheckDomain(ctx)
		if !ok || rep.OK() || len(rep.Checks) != 4 || rep.Checks[2].Name != tmail.CheckDMARC || rep.Checks[2].OK {
			t.Fatalf("CheckDomain() = %+v, %v; want the DMARC check failed", rep, ok)
		}
		is := e.issue(t, "Held")
		err := o.Start(ctx, is.ID)
		if !errors.Is(err, tmail.ErrDomainNotReady) || !strings.Contains(err.Error(), "_dmarc.news.example") {
			t.Fatalf("Start() = %v; want ErrDomainNotReady naming the DMARC record", err)
		}
		if got, _ := s.IssueByID(ctx, is.ID); got.Status != store.IssueDraft {
			t.Errorf("after a refused start the issue is %s, want still a draft", got.Status)
		}

		// Started as the desk or a schedule would, the outbox holds it.
		if err := s.StartIssue(ctx, is.ID); err != nil {
			t.Fatal(err)
		}
		run(t, o)
		waitHeld := func() {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for {
				got, _ := s.IssueByID(ctx, is.ID)
				if got.Paused && got.PauseReason == store.PauseDNS {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("the issue was not held: %+v; log:\n%s", got, e.log)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		waitHeld()
		e.waitLog(t, "the sending domain is not ready", 10*time.Second)
		err = o.Resume(ctx, is.ID)
		if !errors.Is(err, tmail.ErrDomainNotReady) {
			t.Errorf("Resume() with DMARC still missing = %v; want ErrDomainNotReady", err)
		}
		// Resumed behind the pre-flight's back: held again.
		if err := s.ResumeIssue(ctx, is.ID); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond) // five polls
		waitHeld()
		if n := e.srv.Count(); n != 0 {
			t.Fatalf("%d messages went out while the domain failed the pre-flight", n)
		}

		dns.Set("_dmarc.news.example", "v=DMARC1; p=none")
		if err := o.Resume(ctx, is.ID); err != nil {
			t.Fatalf("Resume() once DMARC is published: %v", err)
		}
		e.waitStatus(t, is.ID, store.IssueSent, 30*time.Second)
		wantEachOnce(t, e.srv.Messages(), e.addrs)
	})
}

// TestDomainPreflightOverride: with SkipDomainCheck (for testing) an issue
// goes out although the domain fails the pre-flight, with a warning.
func TestDomainPreflightOverride(t *testing.T) {
	t.Parallel()
	s := storetest.NewEngine(t, "sqlite", store.Options{})
	e := newSendEnv(t, s, 3)
	dns, key := mailtest.SendingZone(t, "news.example", "203.0.113.7")
	dns.SetFail("news.example", true) // SPF cannot be looked up
	o := e.outbox(t, e.srv.SMTPConfig(), func(o *newsletter.SendOptions) {
		o.DomainCheck = &tmail.DomainCheck{From: sendFrom, DKIM: key, Relays: []string{"203.0.113.7"}, Resolver: dns}
		o.SkipDomainCheck = true
	})
	run(t, o)
	e.sendIssue(t, o, "Sent anyway")
	wantEachOnce(t, e.srv.Messages(), e.addrs)
	if !strings.Contains(e.log.String(), "skip-dns-check") {
		t.Errorf("the override is not logged:\n%s", e.log)
	}
}

// TestSenderNeedsTwoApprovers: with the two-person rule at 2 recipients, a
// sender neither starts an issue to 3 that lacks its second approval (even
// one whose status says it is scheduled and due), nor sends a message of
// it; once two people approved it, every recipient gets it once.
func TestSenderNeedsTwoApprovers(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		ctx := t.Context()
		s := storetest.NewEngine(t, engine, store.Options{SecondApprovalOver: 2})
		e := newSendEnv(t, s, 3)
		var approvers []string
		for _, email := range []string{"ed1@example.org", "ed2@example.org"} {
			u := store.User{Email: email, Role: "editor"}
			if err := s.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			approvers = append(approvers, u.ID)
		}
		o := e.outbox(t, e.srv.SMTPConfig(), nil)
		run(t, o)

		is := e.issue(t, "Large")
		if err := o.Start(ctx, is.ID); !errors.Is(err, store.ErrNeedsApproval) {
			t.Fatalf("Start() of an unapproved large issue = %v, want ErrNeedsApproval", err)
		}
		// Scheduled behind the desk's back, and due: still not started.
		if err := s.ScheduleIssue(ctx, is.ID, time.Now().Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond) // five polls
		if got, _ := s.IssueByID(ctx, is.ID); got.Status != store.IssueScheduled || e.srv.Count() != 0 {
			t.Fatalf("without approvals the issue is %s and %d messages went out", got.Status, e.srv.Count())
		}
		if _, err := s.ApproveIssue(ctx, is.ID, approvers[0], time.Time{}, storetest.IssueDigest(t, s, is)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if got, _ := s.IssueByID(ctx, is.ID); got.Status != store.IssueDraft || e.srv.Count() != 0 {
			t.Fatalf("with one approval the issue is %s and %d messages went out", got.Status, e.srv.Count())
		}
		if _, err := s.ApproveIssue(ctx, is.ID, approvers[1], time.Time{}, storetest.IssueDigest(t, s, is)); err != nil {
			t.Fatal(err)
		}
		e.waitStatus(t, is.ID, store.IssueSent, 20*time.Second)
		wantEachOnce(t, e.srv.Messages(), e.addrs)
	})
}
