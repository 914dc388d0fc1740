package admin_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/accounts/passkeytest"
	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/vault"
)

// sendingDomain is the DNS pre-flight of news.example, the desk tests'
// sending domain, relayed from 203.0.113.7: its zone publishes the DKIM
// key and SPF, but no DMARC policy yet.
func sendingDomain(t *testing.T) (*mailtest.DNS, *tmail.DomainCheck) {
	t.Helper()
	dns, key := mailtest.SendingZone(t, "news.example", "203.0.113.7")
	dns.Set("_dmarc.news.example")
	return dns, &tmail.DomainCheck{From: newsFrom, DKIM: key,
		Relays: []string{"203.0.113.7"}, Resolver: dns}
}

// subscribe adds count confirmed subscribers of n and returns their
// addresses.
func (d *desk) subscribe(t *testing.T, n store.Newsletter, count int) []string {
	t.Helper()
	v, err := vault.New(newsKey)
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for i := range count {
		addr := fmt.Sprintf("reader%d@example.net", i)
		sub := store.Subscriber{EmailIndex: v.Index(addr, newsletter.EmailPurpose), EmailSealed: v.Seal(addr, newsletter.EmailPurpose),
			Status: store.SubscriberActive}
		if err := d.store.CreateSubscriber(t.Context(), &sub, []string{n.ID}, nil); err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, addr)
	}
	return addrs
}

// auditCount counts the audit entries of action by actor about target.
func (d *desk) auditCount(t *testing.T, actor, action, target string) int {
	t.Helper()
	n := 0
	err := d.store.EachAudit(t.Context(), func(e store.AuditEntry) error {
		if e.Actor == actor && e.Action == action && e.Target == target {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// composedIssue is a draft of the weekly, with one published story and
// five subscribers, composed through the desk by a new editor,
// ed@example.org, signed in on b with the passkey key.
func (d *desk) composedIssue(t *testing.T) (b *browser, key *passkeytest.Authenticator, u store.User, id string) {
	t.Helper()
	weekly := d.weekly(t)
	story := d.published(t, "The story")
	d.subscribe(t, weekly, 5)
	u = d.user(t, "ed@example.org", accounts.Editor)
	b = d.browser(t)
	key = b.enrolPasskey("ed@example.org")
	id = b.newIssue(weekly)
	wantRedirect(t, b.compose(id, "This week", "", []string{story}, "save"), "/admin/issues/"+id+"?done=saved")
	return b, key, u, id
}

// TestSendingDomainPanel: the newsletters page checks the sending domain
// on request and lists each check, with the fix of what fails.
func TestSendingDomainPanel(t *testing.T) {
	t.Parallel()
	d := newDesk(t, nil, nil)
	d.weekly(t)
	b, _ := d.readyBrowser(t, "ed@example.org", accounts.Editor)

	list := b.get("/admin/newsletters").Body.String()
	if !strings.Contains(list, `action="/admin/newsletters/domain#sending-domain"`) || strings.Contains(list, "is not ready for bulk mail") {
		t.Errorf("the newsletters page should offer the check without running it:\n%s", list)
	}
	w := b.get("/admin/newsletters/domain")
	wantStatus(t, w, http.StatusOK)
	page := w.Body.String()
	for _, want := range []string{
		"news.example is not ready for bulk mail",
		"<td>DKIM</td><td>passed</td>",
		"<td>SPF</td><td>passed</td>",
		"<td>DMARC</td><td><strong>failed</strong></td><td>there is no DMARC record at _dmarc.news.example</td>",
		"publish a TXT record at _dmarc.news.example such as",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the domain check lacks %q:\n%s", want, page)
		}
	}
	d.dns.Set("_dmarc.news.example", "v=DMARC1; p=none")
	if page := b.get("/admin/newsletters/domain").Body.String(); !strings.Contains(page, "news.example is ready for bulk mail: every check passed") ||
		strings.Contains(page, "<strong>failed</strong>") {
		t.Errorf("a domain that passes:\n%s", page)
	}
}

// TestPausedIssueReasonAndResume: a paused issue's page says why in plain
// words (the DNS records still missing, with their fixes; the complaints
// and their rate), and an editor resumes it after a step-up, audited; an
// issue held for DNS stays paused until its domain passes.
func TestPausedIssueReasonAndResume(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		ctx := t.Context()
		b, key, u, id := d.composedIssue(t)
		b.get("/admin/issues/" + id)
		wantRedirect(t, b.post("/admin/issues/"+id+"/send", nil), "/admin/issues/"+id+"?done=sending")
		if held, err := d.store.HoldIssue(ctx, id, store.PauseDNS); err != nil || !held {
			t.Fatalf("HoldIssue() = %v, %v", held, err)
		}

		page := b.get("/admin/issues/" + id).Body.String()
		for _, want := range []string{
			"Sending is paused", "the sending domain is not set up for bulk mail",
			"<strong>DMARC:</strong> there is no DMARC record at _dmarc.news.example.<br>Fix: publish a TXT record at _dmarc.news.example",
			`action="/admin/issues/` + id + `/resume"`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("the page of an issue held for DNS lacks %q:\n%s", want, page)
			}
		}
		if strings.Contains(page, "<strong>DKIM:</strong>") || strings.Contains(page, `http-equiv="refresh"`) {
			t.Errorf("the page lists a check that passes, or reloads while nothing moves:\n%s", page)
		}

		// Without a fresh second factor, resuming asks for one first.
		d.clock.Advance(accounts.StepUpWindow + time.Minute)
		stepUp := "/admin/step-up?next=" + url.QueryEscape("/admin/issues/"+id)
		if page := b.get("/admin/issues/" + id).Body.String(); !strings.Contains(page, "Resuming asks you to confirm it is you first") {
			t.Error("the page does not say that resuming needs a step-up")
		}
		wantRedirect(t, b.post("/admin/issues/"+id+"/resume", nil), stepUp)
		if is := d.issue(t, id); !is.Paused {
			t.Fatal("resumed without a step-up")
		}
		if to := b.stepUp(key, "/admin/issues/"+id); to != "/admin/issues/"+id {
			t.Fatalf("after the step-up the desk goes to %q", to)
		}

		// The domain still lacks DMARC: the issue stays held.
		b.get("/admin/issues/" + id)
		w := b.post("/admin/issues/"+id+"/resume", nil)
		wantStatus(t, w, http.StatusConflict)
		if !strings.Contains(w.Body.String(), "still fails the DNS pre-flight") || !strings.Contains(w.Body.String(), "_dmarc.news.example") {
			t.Errorf("a refused resume:\n%s", w.Body)
		}
		if is := d.issue(t, id); !is.Paused || is.PauseReason != store.PauseDNS {
			t.Fatalf("after a refused resume the issue is %+v", is)
		}

		// Once it is published, the page says so and the resume goes through.
		d.dns.Set("_dmarc.news.example", "v=DMARC1; p=none")
		if page := b.get("/admin/issues/" + id).Body.String(); !strings.Contains(page, "passes every check now") {
			t.Errorf("the page of a held issue whose domain now passes:\n%s", page)
		}
		wantRedirect(t, b.post("/admin/issues/"+id+"/resume", nil), "/admin/issues/"+id+"?done=resumed")
		if is := d.issue(t, id); is.Paused || is.Status != store.IssueSending {
			t.Fatalf("after the resume the issue is %+v", is)
		}
		if page := b.get("/admin/issues/" + id + "?done=resumed").Body.String(); strings.Contains(page, "Sending is paused") {
			t.Errorf("a resumed issue still says it is paused:\n%s", page)
		}
		if n := d.auditCount(t, u.ID, newsletter.AuditIssueResumed, id); n != 1 {
			t.Errorf("%d audit entries of the resume, want 1", n)
		}
		// Resuming an issue that is not paused changes nothing.
		b.get("/admin/issues/" + id)
		wantStatus(t, b.post("/admin/issues/"+id+"/resume", nil), http.StatusConflict)

		// Three delivered, two of whom complained: the breaker's figures.
		if _, err := d.store.EnqueueSends(ctx, id, 100, "example.org"); err != nil {
			t.Fatal(err)
		}
		claims, err := d.store.ClaimSends(ctx, id, "test", 5, time.Minute)
		if err != nil || len(claims) != 5 {
			t.Fatalf("ClaimSends() = %v, %v", claims, err)
		}
		var results []store.SendResult
		for i, c := range claims[:3] {
			results = append(results, store.SendResult{IssueID: id, SubscriberID: c.SubscriberID, Owner: "test", Status: store.SendSent,
				MessageID: fmt.Sprintf("<m%d@news.example>", i)})
		}
		if _, err := d.store.RecordSends(ctx, results); err != nil {
			t.Fatal(err)
		}
		for _, c := range claims[:2] {
			if err := d.store.Complain(ctx, c.SubscriberID, id); err != nil {
				t.Fatal(err)
			}
		}
		if held, err := d.store.HoldIssue(ctx, id, store.PauseComplaints); err != nil || !held {
			t.Fatalf("HoldIssue() = %v, %v", held, err)
		}
		page = b.get("/admin/issues/" + id).Body.String()
		if !strings.Contains(page, "paused because 2 readers reported the issue as spam out of 3 who received it (67 %): the complaint-rate breaker paused it at "+d.clock.Now().Format("2 Jan 2006 15:04 UTC")) {
			t.Errorf("the page of an issue paused for complaints:\n%s", page)
		}
		wantRedirect(t, b.post("/admin/issues/"+id+"/resume", nil), "/admin/issues/"+id+"?done=resumed")
		if is := d.issue(t, id); is.Paused || is.BreakerComplaints != 2 {
			t.Errorf("after resuming from the breaker the issue is %+v; want it running, its complaints counted afresh", is)
		}
		if n := d.auditCount(t, u.ID, newsletter.AuditIssueResumed, id); n != 2 {
			t.Errorf("%d audit entries of resumes, want 2", n)
		}
	})
}
