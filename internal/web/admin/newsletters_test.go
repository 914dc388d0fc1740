package admin_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tamizdat/tamizdat/internal/accounts"
	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/vault"
	"github.com/tamizdat/tamizdat/internal/web/admin"
)

// newsKey is the master key of the desk tests' newsletter links.
var newsKey = bytes.Repeat([]byte{9}, vault.KeySize)

const newsFrom = "The Outlet <news@news.example>"

// newEditions gives a desk its newsletter previews and test sends, mailing
// through a real SMTP server.
func newEditions(t *testing.T, st *store.Store) (*mailtest.Server, *newsletter.Tokens, *newsletter.Editions) {
	t.Helper()
	srv := mailtest.Start(t)
	sender, err := tmail.NewSMTP(srv.SMTPConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sender.Close() })
	tokens, err := newsletter.NewTokens(newsKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := newsletter.NewEditions(newsletter.EditionOptions{Store: st, Tokens: tokens, Mail: sender, From: newsFrom, SiteURL: siteURL})
	if err != nil {
		t.Fatal(err)
	}
	return srv, tokens, e
}

// weekly seeds the default newsletters and returns the weekly one.
func (d *desk) weekly(t *testing.T) store.Newsletter {
	t.Helper()
	if _, err := d.store.SeedNewsletters(t.Context(), newsletter.DefaultNewsletters(model.DefaultSettings("The Outlet"))); err != nil {
		t.Fatal(err)
	}
	n, err := d.store.NewsletterBySlug(t.Context(), "weekly")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// published stores a published article and returns its ID.
func (d *desk) published(t *testing.T, title string) string {
	t.Helper()
	a := &model.Article{Slug: strings.ToLower(strings.ReplaceAll(title, " ", "-")), Title: title, Summary: "Summary of " + title,
		Body: "Text of " + title + ".", BodyHTML: "<p>Text of " + title + ".</p>", BodyText: "Text of " + title + ".",
		Status: model.StatusPublished, Language: "en", TimeZone: "UTC", PublishedAt: t0.Add(-time.Hour), ReadingMinutes: 1}
	if err := d.store.CreateArticle(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	return a.ID
}

var issueLocation = regexp.MustCompile(`^/admin/issues/([0-9a-f-]{36})$`)

// newIssue starts an issue of n through the list page and returns its ID.
func (b *browser) newIssue(n store.Newsletter) string {
	b.t.Helper()
	b.get("/admin/newsletters")
	w := b.post("/admin/newsletters/"+n.ID+"/issues", nil)
	m := issueLocation.FindStringSubmatch(w.Header().Get("Location"))
	if w.Code != http.StatusSeeOther || m == nil {
		b.t.Fatalf("new issue: %d to %q\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	return m[1]
}

// compose submits the compose form of an issue as the page would: its
// subject, note and articles in order, with the button op.
func (b *browser) compose(id, subject, note string, articles []string, op string, extra ...string) *httptest.ResponseRecorder {
	b.t.Helper()
	b.get("/admin/issues/" + id)
	form := url.Values{"subject": {subject}, "note": {note}, "article": articles, "op": {op}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	return b.post("/admin/issues/"+id, form)
}

func (d *desk) issue(t *testing.T, id string) store.Issue {
	t.Helper()
	is, err := d.store.IssueByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return is
}

// TestComposePreviewAndTestSend composes an issue with plain form posts
// (no JavaScript), previews its email and sends a test to the editor.
func TestComposePreviewAndTestSend(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		weekly := d.weekly(t)
		first, second, third := d.published(t, "First story"), d.published(t, "Second story"), d.published(t, "Third story")
		b, _ := d.readyBrowser(t, "ed@example.org", accounts.Editor)
		if page := b.get("/admin/newsletters").Body.String(); !strings.Contains(page, "Weekly") || !strings.Contains(page, "No issues yet") {
			t.Fatalf("newsletters page:\n%s", page)
		}
		id := b.newIssue(weekly)

		// Search, then add three articles, move one up and remove one.
		page := b.get("/admin/issues/" + id + "?q=second").Body.String()
		if !strings.Contains(page, `value="add:`+second+`"`) || strings.Contains(page, `value="add:`+first+`"`) {
			t.Fatalf("searching for 'second' does not offer exactly the second story:\n%s", page)
		}
		wantRedirect(t, b.compose(id, "Our week", "", nil, "search", "q", "story"), "/admin/issues/"+id+"?q=story")
		var ids []string
		for _, aid := range []string{first, second, third} {
			wantRedirect(t, b.compose(id, "Our week", "", ids, "add:"+aid, "q", "story"), "/admin/issues/"+id+"?q=story")
			ids = d.issue(t, id).ArticleIDs
		}
		if want := []string{first, second, third}; !slices.Equal(ids, want) {
			t.Fatalf("after adding: %v, want %v", ids, want)
		}
		wantRedirect(t, b.compose(id, "Our week", "", ids, "up:"+third), "/admin/issues/"+id)
		wantRedirect(t, b.compose(id, "Our week", "", d.issue(t, id).ArticleIDs, "remove:"+first), "/admin/issues/"+id)
		note := "Good morning, **readers**.\n\nTwo stories this week."
		wantRedirect(t, b.compose(id, "Our week", note, d.issue(t, id).ArticleIDs, "save"), "/admin/issues/"+id+"?done=saved")
		is := d.issue(t, id)
		if want := []string{third, second}; !slices.Equal(is.ArticleIDs, want) || is.Subject != "Our week" || is.Note != note {
			t.Fatalf("saved issue = %+v; want articles %v", is, want)
		}
		// A bad subject is refused, saying why, and changes nothing.
		w := b.compose(id, "Two\r\nBcc: everyone@example.org", note, is.ArticleIDs, "save")
		wantStatus(t, w, http.StatusUnprocessableEntity)
		if !strings.Contains(w.Body.String(), "single line") || d.issue(t, id).Subject != "Our week" {
			t.Errorf("a two-line subject: %s", w.Body)
		}

		// The preview is the email's text part, articles in order.
		page = b.get("/admin/issues/" + id).Body.String()
		text := page[strings.Index(page, `<pre class="plain">`):]
		for _, want := range []string{"Good morning, readers.", "Third story", "Second story", siteURL + "/newsletter/manage?t=", siteURL + "/newsletter/unsubscribe?t="} {
			if !strings.Contains(text, want) {
				t.Errorf("the preview lacks %q:\n%s", want, text)
			}
		}
		if strings.Index(text, "Third story") > strings.Index(text, "Second story") || strings.Contains(text, "First story") {
			t.Errorf("the preview's articles are not the editor's:\n%s", text)
		}
		w = b.get("/admin/issues/" + id + "/email")
		wantStatus(t, w, http.StatusOK)
		if html := w.Body.String(); !strings.Contains(html, "<strong>readers</strong>") || !strings.Contains(html, "Change your newsletters") {
			t.Errorf("the HTML email:\n%s", html)
		}
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script") {
			t.Errorf("the HTML email's policy = %q", csp)
		}

		// The test goes to the editor's own address, with the manage link.
		b.get("/admin/issues/" + id)
		wantRedirect(t, b.post("/admin/issues/"+id+"/test", nil), "/admin/issues/"+id+"?done=tested")
		m, ok := mailtest.LastTo(d.mail.Messages(), "ed@example.org")
		if !ok {
			t.Fatal("no test email arrived")
		}
		if len(d.mail.Messages()) != 1 {
			t.Errorf("%d emails sent, want the one test", len(d.mail.Messages()))
		}
		text, html, err := m.Parts()
		if err != nil {
			t.Fatal(err)
		}
		manage := siteURL + "/newsletter/manage?t=" + d.tokens.ManageToken("preview", 0)
		if !strings.Contains(text, manage) || !strings.Contains(html, `href="`+manage+`"`) {
			t.Errorf("the test email lacks the manage link %s:\n%s\n%s", manage, text, html)
		}
		if s := m.Header.Get("Subject"); s != "[Test] Our week" {
			t.Errorf("Subject = %q", s)
		}
		if u := m.Header.Get("List-Unsubscribe"); !strings.HasPrefix(u, "<"+siteURL+"/newsletter/unsubscribe?t=") {
			t.Errorf("List-Unsubscribe = %q", u)
		}
		if is := d.issue(t, id); is.Status != store.IssueDraft {
			t.Errorf("a test send changed the issue to %s", is.Status)
		}
	})
}

// TestSendingNeedsStepUpAndIsAudited (requirement S5): scheduling and
// sending ask for a fresh second factor and change nothing until then;
// once done they are in the audit log, and a scheduled issue is delivered
// by an outbox started afterwards (as after a restart) to every
// subscriber. A sent issue cannot change.
func TestSendingNeedsStepUpAndIsAudited(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		ctx := t.Context()
		weekly := d.weekly(t)
		story := d.published(t, "The story")
		v, err := vault.New(newsKey)
		if err != nil {
			t.Fatal(err)
		}
		readers := d.subscribe(t, weekly, 5)
		u := d.user(t, "ed@example.org", accounts.Editor)
		b := d.browser(t)
		key := b.enrolPasskey("ed@example.org")
		id := b.newIssue(weekly)
		wantRedirect(t, b.compose(id, "This week", "", []string{story}, "save"), "/admin/issues/"+id+"?done=saved")

		d.clock.Advance(accounts.StepUpWindow + time.Minute)
		if page := b.get("/admin/issues/" + id).Body.String(); !strings.Contains(page, "confirm with your passkey") {
			t.Error("the page does not say that sending needs a step-up")
		}
		at := time.Now().Add(time.Hour).UTC().Truncate(time.Minute)
		stepUp := "/admin/step-up?next=" + url.QueryEscape("/admin/issues/"+id)
		wantRedirect(t, b.post("/admin/issues/"+id+"/send", nil), stepUp)
		b.get("/admin/issues/" + id)
		wantRedirect(t, b.post("/admin/issues/"+id+"/schedule", url.Values{"at": {at.Format("2006-01-02T15:04")}}), stepUp)
		if is := d.issue(t, id); is.Status != store.IssueDraft {
			t.Fatalf("without a step-up the issue became %s", is.Status)
		}

		if to := b.stepUp(key, "/admin/issues/"+id); to != "/admin/issues/"+id {
			t.Errorf("after the step-up the desk goes to %q", to)
		}
		b.get("/admin/issues/" + id)
		w := b.post("/admin/issues/"+id+"/schedule", url.Values{"at": {"2020-01-01T09:00"}})
		wantStatus(t, w, http.StatusUnprocessableEntity)
		if !strings.Contains(w.Body.String(), "This time has passed") {
			t.Errorf("a past time: %s", w.Body)
		}
		b.get("/admin/issues/" + id)
		// The weekly is in UTC in the default settings.
		wantRedirect(t, b.post("/admin/issues/"+id+"/schedule", url.Values{"at": {at.Format("2006-01-02T15:04")}}), "/admin/issues/"+id+"?done=scheduled")
		if is := d.issue(t, id); is.Status != store.IssueScheduled || !is.ScheduledAt.Equal(at) {
			t.Fatalf("scheduled issue = %+v, want scheduled at %v", is, at)
		}
		// Cancel the schedule, and schedule again.
		b.get("/admin/issues/" + id)
		wantRedirect(t, b.post("/admin/issues/"+id+"/unschedule", nil), "/admin/issues/"+id+"?done=unscheduled")
		if is := d.issue(t, id); is.Status != store.IssueDraft {
			t.Fatalf("after cancelling the schedule: %s", is.Status)
		}
		b.get("/admin/issues/" + id)
		wantRedirect(t, b.post("/admin/issues/"+id+"/schedule", url.Values{"at": {at.Format("2006-01-02T15:04")}}), "/admin/issues/"+id+"?done=scheduled")
		actions := map[string]int{}
		err = d.store.EachAudit(ctx, func(e store.AuditEntry) error {
			if e.Target == id && e.Actor == u.ID {
				actions[e.Action]++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if actions[newsletter.AuditIssueScheduled] != 2 || actions[newsletter.AuditIssueUnscheduled] != 1 {
			t.Errorf("audit log of the issue: %v", actions)
		}

		// An outbox that starts later, its clock past the time, sends it.
		sender, err := tmail.NewSMTP(d.mail.SMTPConfig())
		if err != nil {
			t.Fatal(err)
		}
		defer sender.Close()
		o, err := newsletter.NewOutbox(newsletter.SendOptions{Store: d.store, Vault: v, Tokens: d.tokens, Mail: sender, From: newsFrom,
			SiteURL: siteURL, Poll: 20 * time.Millisecond, Now: func() time.Time { return time.Now().Add(2 * time.Hour) },
			Log: slog.New(slog.NewTextHandler(d.logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		runCtx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); o.Run(runCtx) }()
		deadline := time.Now().Add(20 * time.Second)
		for d.issue(t, id).Status != store.IssueSent {
			if time.Now().After(deadline) {
				t.Fatalf("the scheduled issue was not sent: %+v", d.issue(t, id))
			}
			time.Sleep(20 * time.Millisecond)
		}
		stop()
		<-done
		for _, addr := range readers {
			if _, ok := mailtest.LastTo(d.mail.Messages(), addr); !ok {
				t.Errorf("%s did not get the issue", addr)
			}
		}
		// Sent: the figures, the public page, no compose form, and a
		// forged save changes nothing.
		page := b.get("/admin/issues/" + id).Body.String()
		for _, want := range []string{"Sent 5 · failed 0 · left 0", `href="` + siteURL + `/newsletter/issues/` + id + `"`, "cannot be changed"} {
			if !strings.Contains(page, want) {
				t.Errorf("the page of the sent issue lacks %q:\n%s", want, page)
			}
		}
		if strings.Contains(page, `id="issue-form"`) {
			t.Errorf("the page of a sent issue offers to edit it:\n%s", page)
		}
		w = b.post("/admin/issues/"+id, url.Values{"subject": {"Changed"}, "article": {story}, "op": {"save"}})
		wantStatus(t, w, http.StatusConflict)
		if is := d.issue(t, id); is.Subject != "This week" {
			t.Errorf("a sent issue changed: %+v", is)
		}

		// Send another now, with no sender running: the list follows its
		// figures and reloads itself; then stop it.
		next := b.newIssue(weekly)
		wantRedirect(t, b.compose(next, "Breaking", "", []string{story}, "save"), "/admin/issues/"+next+"?done=saved")
		b.get("/admin/issues/" + next)
		wantRedirect(t, b.post("/admin/issues/"+next+"/send", nil), "/admin/issues/"+next+"?done=sending")
		if _, err := d.store.EnqueueSends(ctx, next, 1000, "example.org"); err != nil {
			t.Fatal(err)
		}
		list := b.get("/admin/newsletters").Body.String()
		if !strings.Contains(list, "<td>0</td><td>0</td><td>5</td>") || !strings.Contains(list, `<meta http-equiv="refresh" content="5">`) {
			t.Errorf("the list does not follow the send (0 sent, 0 failed, 5 left, reloading):\n%s", list)
		}
		b.get("/admin/issues/" + next)
		wantStatus(t, b.post("/admin/issues/"+next+"/cancel", nil), http.StatusUnprocessableEntity)
		b.get("/admin/issues/" + next)
		wantRedirect(t, b.post("/admin/issues/"+next+"/cancel", url.Values{"confirm": {"yes"}}), "/admin/issues/"+next+"?done=cancelled")
		if c, err := d.store.SendProgress(ctx, next); err != nil || c.Left() != 0 || c.Skipped != 5 || d.issue(t, next).Status != store.IssueCancelled {
			t.Errorf("after stopping: %+v, %v, %s", c, err, d.issue(t, next).Status)
		}
		actions = map[string]int{}
		err = d.store.EachAudit(ctx, func(e store.AuditEntry) error {
			if e.Target == next && e.Actor == u.ID {
				actions[e.Action]++
			}
			return nil
		})
		if err != nil || actions[newsletter.AuditIssueSent] != 1 || actions[newsletter.AuditIssueCancelled] != 1 {
			t.Errorf("audit log of the second issue: %v, %v", actions, err)
		}

		// A draft is deleted only when the box is ticked.
		draft := b.newIssue(weekly)
		b.get("/admin/issues/" + draft)
		wantStatus(t, b.post("/admin/issues/"+draft+"/delete", nil), http.StatusUnprocessableEntity)
		b.get("/admin/issues/" + draft)
		wantRedirect(t, b.post("/admin/issues/"+draft+"/delete", url.Values{"confirm": {"yes"}}), "/admin/newsletters?done=deleted")
		if _, err := d.store.IssueByID(ctx, draft); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("the deleted draft: %v", err)
		}
	})
}

// TestNewsletterSettings: editors set when a newsletter goes out by default
// and whether it carries full text; bad values change nothing.
func TestNewsletterSettings(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		weekly := d.weekly(t)
		b, _ := d.readyBrowser(t, "ed@example.org", accounts.Editor)
		settings := func(weekday, hour, zone string) url.Values {
			return url.Values{"name": {"The Weekly"}, "description": {"Every Thursday."}, "weekday": {weekday}, "hour": {hour}, "time_zone": {zone}}
		}
		b.get("/admin/newsletters")
		wantRedirect(t, b.post("/admin/newsletters/"+weekly.ID, settings("4", "18", "Europe/Berlin")), "/admin/newsletters?done=settings")
		n, err := d.store.NewsletterByID(t.Context(), weekly.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n.Name != "The Weekly" || n.FullText || n.TimeZone != "Europe/Berlin" || n.Schedule == nil ||
			*n.Schedule != (store.Schedule{Weekday: time.Thursday, Hour: 18}) {
			t.Fatalf("saved settings = %+v %+v", n, n.Schedule)
		}
		if page := b.get("/admin/newsletters").Body.String(); !strings.Contains(page, "Next scheduled time: Thursday") ||
			!strings.Contains(page, `<option value="4" selected>Thursday</option>`) || !strings.Contains(page, `<option value="18" selected>18:00</option>`) {
			t.Errorf("the list does not show the new schedule:\n%s", page)
		}
		for _, bad := range []url.Values{settings("4", "18", "Mars/Olympus"), settings("9", "18", "UTC"), settings("4", "24", "UTC"), settings("4", "18", "UTC")} {
			if bad.Get("time_zone") == "UTC" && bad.Get("weekday") == "4" && bad.Get("hour") == "18" {
				bad.Set("name", "") // a newsletter needs a name
			}
			b.get("/admin/newsletters")
			w := b.post("/admin/newsletters/"+weekly.ID, bad)
			wantStatus(t, w, http.StatusUnprocessableEntity)
			if !strings.Contains(w.Body.String(), "Nothing was saved") {
				t.Errorf("%v: %s", bad, w.Body)
			}
		}
		if after, _ := d.store.NewsletterByID(t.Context(), weekly.ID); after.TimeZone != "Europe/Berlin" || after.Name != "The Weekly" ||
			*after.Schedule != *n.Schedule {
			t.Errorf("refused settings changed the newsletter: %+v", after)
		}
		// No day: sent by hand, and never drafted automatically.
		b.get("/admin/newsletters")
		form := settings("", "9", "UTC")
		form.Set("full_text", "yes")
		wantRedirect(t, b.post("/admin/newsletters/"+weekly.ID, form), "/admin/newsletters?done=settings")
		if n, _ := d.store.NewsletterByID(t.Context(), weekly.ID); n.Schedule != nil || !n.FullText {
			t.Errorf("by hand: %+v", n)
		}
	})
}

// TestComposeInBrowser picks and orders an issue's articles in Chromium
// with the page's plain forms: Enter in the search box searches (and never
// presses the first article's Move or Remove button), and the buttons
// move and add articles.
func TestComposeInBrowser(t *testing.T) {
	ctx := chromium(t)
	bd := startBrowserDesk(t, func(bd *browserDesk, opts *admin.Options, _ *http.ServeMux) {
		_, _, opts.Newsletters = newEditions(t, bd.store)
		opts.Publishing = publishing.New(publishing.Options{Store: bd.store, Audit: bd.audit, Log: bd.log})
	})
	d := &desk{store: bd.store}
	weekly := d.weekly(t)
	first, second, other := d.published(t, "First story"), d.published(t, "Second story"), d.published(t, "Other news")
	is := store.Issue{NewsletterID: weekly.ID, Subject: "Browser week", ArticleIDs: []string{first, second}}
	if err := bd.store.CreateIssue(t.Context(), &is); err != nil {
		t.Fatal(err)
	}
	bd.editor(t, "editor@example.org")
	addPasskeyDevice(t, ctx)
	signInAndEnrol(t, ctx, bd.url, "editor@example.org")

	order := func() []string {
		t.Helper()
		return d.issue(t, is.ID).ArticleIDs
	}
	// until polls the page that is there now until a script says true: a
	// page reached by pressing Enter is not always the one chromedp's
	// element queries look at.
	until := func(script string) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && (`+script+`)`))
			if err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the page never had %s: %v", script, err)
			}
		}
	}
	waitFor := func(sel string) { t.Helper(); until(fmt.Sprintf(`document.querySelector(%q) !== null`, sel)) }
	click := func(sel string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q).click(), true`, sel))); err != nil {
			t.Fatal(err)
		}
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(bd.url+"/admin/issues/"+is.ID),
		chromedp.WaitVisible(`input[name=q]`),
		chromedp.SendKeys(`input[name=q]`, "other\n"),
	)
	if err != nil {
		t.Fatal(err)
	}
	until(`location.search === "?q=other"`)
	waitFor(`button[value="add:` + other + `"]`)
	if got := order(); !slices.Equal(got, []string{first, second}) {
		t.Fatalf("Enter in the search box changed the articles to %v", got)
	}
	click(`button[value="add:` + other + `"]`)
	waitFor(`button[value="remove:` + other + `"]`)
	click(`button[value="down:` + first + `"]`)
	waitFor(`ol.picked li:first-child input[value="` + second + `"]`)
	if got, want := order(), []string{second, first, other}; !slices.Equal(got, want) {
		t.Errorf("after Add and Move down: %v, want %v", got, want)
	}
}
