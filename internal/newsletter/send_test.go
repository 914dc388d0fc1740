package newsletter_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"mime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
	"github.com/tamizdat/tamizdat/internal/vault"
)

// sendKey is the master key of the outbox tests.
var sendKey = bytes.Repeat([]byte{7}, vault.KeySize)

const (
	sendSite = "https://news.example"
	sendFrom = "The Weekly <news@news.example>"
)

// sendEnv is a store with a newsletter, its subscribers and a real SMTP
// server to send to.
type sendEnv struct {
	st     *store.Store
	vault  *vault.Vault
	tokens *newsletter.Tokens
	srv    *mailtest.Server
	nl     store.Newsletter
	// addrs maps each active subscriber's ID to their address.
	addrs map[string]string
	log   *lockedBuffer
}

func newSendEnv(t *testing.T, s *store.Store, subscribers int) *sendEnv {
	t.Helper()
	v, err := vault.New(sendKey)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := newsletter.NewTokens(sendKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &sendEnv{st: s, vault: v, tokens: tokens, srv: mailtest.Start(t), addrs: map[string]string{}, log: &lockedBuffer{}}
	e.nl = store.Newsletter{Slug: "weekly", Name: "The Weekly", FullText: true}
	if err := s.CreateNewsletter(t.Context(), &e.nl); err != nil {
		t.Fatal(err)
	}
	for i := range subscribers {
		addr := fmt.Sprintf("reader%03d@example.net", i)
		e.addrs[e.subscribe(t, addr, store.SubscriberActive, e.nl.ID)] = addr
	}
	return e
}

// subscribe adds a subscriber as the signup service would: address sealed,
// found by its keyed hash.
func (e *sendEnv) subscribe(t *testing.T, addr, status string, newsletterIDs ...string) string {
	t.Helper()
	sub := store.Subscriber{
		EmailIndex:  e.vault.Index(strings.ToLower(addr), newsletter.EmailPurpose),
		EmailSealed: e.vault.Seal(addr, newsletter.EmailPurpose), Status: status,
	}
	if err := e.st.CreateSubscriber(t.Context(), &sub, newsletterIDs, nil); err != nil {
		t.Fatal(err)
	}
	return sub.ID
}

// issue creates a draft of the newsletter with the given articles.
func (e *sendEnv) issue(t *testing.T, subject string, articles ...*model.Article) store.Issue {
	t.Helper()
	is := store.Issue{NewsletterID: e.nl.ID, Subject: subject, Note: "A note from the editor."}
	for _, a := range articles {
		is.ArticleIDs = append(is.ArticleIDs, a.ID)
	}
	if err := e.st.CreateIssue(t.Context(), &is); err != nil {
		t.Fatal(err)
	}
	return is
}

// outbox builds an Outbox with test-sized timings, changed by adjust.
func (e *sendEnv) outbox(t *testing.T, cfg tmail.SMTPConfig, adjust func(*newsletter.SendOptions)) *newsletter.Outbox {
	t.Helper()
	sender, err := tmail.NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sender.Close() })
	opts := newsletter.SendOptions{
		Store: e.st, Vault: e.vault, Tokens: e.tokens, Mail: sender, From: sendFrom, SiteURL: sendSite,
		Workers: 4, Batch: 5, Lease: 2 * time.Second, RetryBase: 100 * time.Millisecond,
		Poll: 20 * time.Millisecond, ProgressEvery: 50 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(e.log, nil)),
	}
	if adjust != nil {
		adjust(&opts)
	}
	o, err := newsletter.NewOutbox(opts)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// run runs o until the test ends or the returned function is called.
func run(t *testing.T, o *newsletter.Outbox) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		o.Run(ctx)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitStatus waits for the issue to reach status and returns it.
func (e *sendEnv) waitStatus(t *testing.T, issueID, status string, limit time.Duration) store.Issue {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		is, err := e.st.IssueByID(t.Context(), issueID)
		if err != nil {
			t.Fatal(err)
		}
		if is.Status == status {
			return is
		}
		if time.Now().After(deadline) {
			c, _ := e.st.SendProgress(t.Context(), issueID)
			t.Fatalf("issue still %s after %v (outbox %+v); log:\n%s", is.Status, limit, c, e.log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitBounces waits until the subscriber id has n bounces counted, and
// returns it as it is then, or as it is at the limit.
func (e *sendEnv) waitBounces(t *testing.T, id string, n int, limit time.Duration) store.Subscriber {
	t.Helper()
	for deadline := time.Now().Add(limit); ; time.Sleep(10 * time.Millisecond) {
		sub, err := e.st.SubscriberByID(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if sub.BounceCount >= n || time.Now().After(deadline) {
			return sub
		}
	}
}

// waitLog waits for a log line that contains want.
func (e *sendEnv) waitLog(t *testing.T, want string, limit time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(limit); !strings.Contains(e.log.String(), want); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no log line says %q after %v:\n%s", want, limit, e.log)
		}
	}
}

// byRecipient groups received messages by envelope recipient.
func byRecipient(msgs []mailtest.Received) map[string][]mailtest.Received {
	out := map[string][]mailtest.Received{}
	for _, m := range msgs {
		for _, to := range m.To {
			out[to] = append(out[to], m)
		}
	}
	return out
}

// wantEachOnce fails unless every address in want got exactly one message
// and nobody else got any.
func wantEachOnce(t *testing.T, msgs []mailtest.Received, want map[string]string) {
	t.Helper()
	got := byRecipient(msgs)
	for _, addr := range want {
		if n := len(got[addr]); n != 1 {
			t.Errorf("%s received %d messages, want 1", addr, n)
		}
	}
	for addr := range got {
		if !slices.Contains(mapValues(want), addr) {
			t.Errorf("%s received a message and should not have", addr)
		}
	}
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// parts returns the decoded text and HTML parts of a multipart/alternative
// message.
func parts(t *testing.T, m mailtest.Received) (text, html string) {
	t.Helper()
	if ct := m.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative;") {
		t.Fatalf("Content-Type %q, want multipart/alternative", ct)
	}
	text, html, err := m.Parts()
	if err != nil {
		t.Fatal(err)
	}
	return text, html
}

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestOutboxSendsEveryRecipientOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		e := newSendEnv(t, s, 30)
		other := store.Newsletter{Slug: "breaking", Name: "Breaking"}
		if err := s.CreateNewsletter(ctx, &other); err != nil {
			t.Fatal(err)
		}
		e.subscribe(t, "pending@example.net", store.SubscriberPending, e.nl.ID)
		e.subscribe(t, "elsewhere@example.net", store.SubscriberActive, other.ID)
		e.subscribe(t, "suppressed@example.net", store.SubscriberActive, e.nl.ID)
		if err := s.Suppress(ctx, e.vault.Index("suppressed@example.net", newsletter.EmailPurpose), store.SuppressComplaint); err != nil {
			t.Fatal(err)
		}

		article := &model.Article{Slug: "the-story", Title: "The story <b>&</b> more", Summary: "What happened.",
			Body: "First paragraph.\n\nSecond paragraph.", BodyHTML: "<p>First paragraph.</p><p>Second paragraph.</p>",
			BodyText: "First paragraph.\n\nSecond paragraph.", Status: model.StatusPublished, Language: "en",
			TimeZone: "UTC", PublishedAt: time.Now().Add(-time.Hour), ReadingMinutes: 1}
		if err := s.CreateArticle(ctx, article); err != nil {
			t.Fatal(err)
		}
		is := e.issue(t, "This week: the story — и не только", article)
		o := e.outbox(t, e.srv.SMTPConfig(), nil)
		if err := o.Start(ctx, is.ID); err != nil {
			t.Fatal(err)
		}
		run(t, o)
		e.waitStatus(t, is.ID, store.IssueSent, 20*time.Second)

		msgs := e.srv.Messages()
		wantEachOnce(t, msgs, e.addrs)
		counts, err := s.SendProgress(ctx, is.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := (store.SendCounts{Sent: 30}); counts != want {
			t.Errorf("outbox = %+v, want %+v", counts, want)
		}

		ids := map[string]string{}
		for id, addr := range e.addrs {
			ids[addr] = id
		}
		for _, m := range msgs {
			to := m.To[0]
			h := m.Header
			subject, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
			if subject != is.Subject || m.From != "news@news.example" || h.Get("To") != "<"+to+">" || h.Get("Date") == "" {
				t.Errorf("to %s: Subject %q, envelope from %q, To %q, Date %q", to, subject, m.From, h.Get("To"), h.Get("Date"))
			}
			if got := h.Get("List-Id"); got != `"The Weekly" <weekly.news.example>` {
				t.Errorf("List-Id = %q", got)
			}
			wantUnsub := sendSite + "/newsletter/unsubscribe?t=" + e.tokens.UnsubscribeToken(ids[to], e.nl.ID)
			if got := h.Get("List-Unsubscribe"); got != "<"+wantUnsub+">" {
				t.Errorf("List-Unsubscribe = %q, want <%s>", got, wantUnsub)
			}
			if got := h.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
				t.Errorf("List-Unsubscribe-Post = %q", got)
			}
			if !strings.HasPrefix(m.MessageID, "issue-"+is.ID+"-") || !strings.HasSuffix(m.MessageID, "@news.example") {
				t.Errorf("Message-ID = %q", m.MessageID)
			}
			// Every subscriber's own page, where they change, export or
			// delete, is linked from every issue.
			wantManage := sendSite + "/newsletter/manage?t=" + e.tokens.ManageToken(ids[to], 0)
			text, html := parts(t, m)
			for _, want := range []string{"The story <b>&</b> more", "What happened.", "Second paragraph.", "A note from the editor.",
				sendSite + "/articles/the-story", "download or delete your data: " + wantManage, "Unsubscribe: " + wantUnsub,
				"How to reach us if this site is blocked: " + sendSite + "/reach"} {
				if !strings.Contains(text, want) {
					t.Errorf("the text part lacks %q:\n%s", want, text)
				}
			}
			for _, want := range []string{"The story &lt;b&gt;&amp;&lt;/b&gt; more", "<p style=\"margin:0 0 12px;\">Second paragraph.</p>",
				`href="` + strings.ReplaceAll(wantUnsub, "&", "&amp;") + `"`, `href="` + wantManage + `"`,
				`<a href="` + sendSite + `/reach" style="color:#555555;">How to reach us if this site is blocked</a>`} {
				if !strings.Contains(html, want) {
					t.Errorf("the HTML part lacks %q", want)
				}
			}
			for _, banned := range []string{"<img", "src=", "<script", "url("} {
				if strings.Contains(strings.ToLower(html), banned) {
					t.Errorf("the HTML part loads something remote or runs something: %q", banned)
				}
			}
		}
		sent, err := s.ListSends(ctx, is.ID, store.SendSent, 100)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]string{}
		for _, m := range msgs {
			byID[ids[m.To[0]]] = m.MessageID
		}
		for _, row := range sent {
			if row.MessageID != byID[row.SubscriberID] || row.Attempts != 1 || row.SentAt.IsZero() {
				t.Errorf("outbox row %+v; the message had ID %q", row, byID[row.SubscriberID])
			}
		}
		// The line follows the status change that waitStatus saw.
		e.waitLog(t, "newsletter: issue sent", 10*time.Second)
	})
}

func TestOutboxSkipsWhoLeftBeforeTheirTurn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		e := newSendEnv(t, s, 5)
		stays := e.subscribe(t, "two-lists@example.net", store.SubscriberActive, e.nl.ID)
		other := store.Newsletter{Slug: "breaking", Name: "Breaking"}
		if err := s.CreateNewsletter(ctx, &other); err != nil {
			t.Fatal(err)
		}
		if err := s.SetSubscriptions(ctx, stays, []string{e.nl.ID, other.ID}, nil); err != nil {
			t.Fatal(err)
		}
		suppressed := e.subscribe(t, "complains@example.net", store.SubscriberActive, e.nl.ID)
		is := e.issue(t, "Skips")
		o := e.outbox(t, e.srv.SMTPConfig(), nil)
		if err := o.Start(ctx, is.ID); err != nil {
			t.Fatal(err)
		}
		// After the outbox is filled: one reader leaves this newsletter but
		// keeps another, one address is suppressed by a complaint.
		if _, err := s.Unsubscribe(ctx, stays, e.nl.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.Suppress(ctx, e.vault.Index("complains@example.net", newsletter.EmailPurpose), store.SuppressComplaint); err != nil {
			t.Fatal(err)
		}
		run(t, o)
		e.waitStatus(t, is.ID, store.IssueSent, 20*time.Second)
		wantEachOnce(t, e.srv.Messages(), e.addrs)
		skipped, err := s.ListSends(ctx, is.ID, store.SendSkipped, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range skipped {
			ids = append(ids, r.SubscriberID)
		}
		slices.Sort(ids)
		want := []string{stays, suppressed}
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Errorf("skipped %v, want %v", ids, want)
		}
	})
}
