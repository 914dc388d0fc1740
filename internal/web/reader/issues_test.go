package reader_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/assets"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
	"github.com/tamizdat/tamizdat/internal/web/reader"
)

// sendIssue makes a sent issue of a newsletter with one new article.
func (s *site) sendIssue(slug, subject, note string) store.Issue {
	s.t.Helper()
	ctx := s.t.Context()
	a := &model.Article{
		Slug: strings.ToLower(strings.ReplaceAll(subject, " ", "-")), Title: "Story of " + subject, Summary: "Summary of " + subject,
		Body: "Full text of " + subject, BodyHTML: "<p>Full text of " + subject + "</p>", BodyText: "Full text of " + subject,
		Status: model.StatusPublished, Language: "en", TimeZone: "UTC", PublishedAt: s.clock.Now().Add(-time.Hour),
	}
	if err := s.st.CreateArticle(ctx, a); err != nil {
		s.t.Fatal(err)
	}
	is := store.Issue{NewsletterID: s.ns[slug].ID, Subject: subject, Note: note, ArticleIDs: []string{a.ID}}
	if err := s.st.CreateIssue(ctx, &is); err != nil {
		s.t.Fatal(err)
	}
	if err := s.st.StartIssue(ctx, is.ID); err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.st.EnqueueSends(ctx, is.ID, 100, "example.org"); err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.st.FinishIssues(ctx); err != nil {
		s.t.Fatal(err)
	}
	sent, err := s.st.IssueByID(ctx, is.ID)
	if err != nil || sent.Status != store.IssueSent {
		s.t.Fatalf("issue %+v, %v; want sent", sent, err)
	}
	return sent
}

func TestPreviewAndArchive(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		s := newSite(t, engine)
		resp, page := s.get("/newsletter/preview")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("preview with nothing sent: %d", resp.StatusCode)
		}
		mustContain(t, page, "No issue of Weekly has been sent yet", `href="../newsletter"`)

		s.sendIssue("weekly", "First week", "Hello.\n\nA quiet week.")
		s.clock.Advance(24 * time.Hour)
		latest := s.sendIssue("weekly", "Second week", "")
		breaking := s.sendIssue("breaking", "Big news", "")
		draft := store.Issue{NewsletterID: s.ns["weekly"].ID, Subject: "Unsent draft"}
		if err := s.st.CreateIssue(t.Context(), &draft); err != nil {
			t.Fatal(err)
		}

		resp, page = s.get("/newsletter/preview")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Cache-Control"), "public") {
			t.Fatalf("preview: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
		mustContain(t, page, "<h1>Second week</h1>", `href="../articles/second-week"`, "<p>Full text of Second week</p>")
		if strings.Contains(page, "First week") {
			t.Error("the preview shows an older issue")
		}
		_, page = s.get("/newsletter/preview?newsletter=breaking")
		mustContain(t, page, "<h1>Big news</h1>")
		if resp, _ := s.get("/newsletter/preview?newsletter=daily"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("preview of an unknown newsletter: %d, want 404", resp.StatusCode)
		}

		_, page = s.get("/newsletter/archive")
		mustContain(t, page, "newsletter/issues/"+latest.ID, "newsletter/issues/"+breaking.ID, "First week")
		if strings.Index(page, "Second week") > strings.Index(page, "First week") {
			t.Error("the archive does not list the latest issue first")
		}
		if strings.Contains(page, "Unsent draft") {
			t.Error("the archive lists a draft")
		}

		resp, page = s.get("/newsletter/issues/" + latest.ID)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("issue page: %d", resp.StatusCode)
		}
		mustContain(t, page, "<h1>Second week</h1>", `href="../../articles/second-week"`)
		for _, id := range []string{draft.ID, "no-such-issue"} {
			if resp, _ := s.get("/newsletter/issues/" + id); resp.StatusCode != http.StatusNotFound {
				t.Errorf("issue %s: %d, want 404", id, resp.StatusCode)
			}
		}
	})
}

func TestIssueNoteAndSummaries(t *testing.T) {
	t.Parallel()
	s := newSite(t, "sqlite")
	// A newsletter of summaries shows no full text.
	brief := store.Newsletter{Slug: "brief", Name: "Brief", FullText: false}
	if err := s.st.CreateNewsletter(t.Context(), &brief); err != nil {
		t.Fatal(err)
	}
	s.ns["brief"] = brief
	// The editor's note is Markdown, rendered and sanitized as articles are.
	s.sendIssue("brief", "Short one", "First paragraph, **bold**.\n\nSecond paragraph.<script>alert(1)</script>")
	_, page := s.get("/newsletter/preview?newsletter=brief")
	mustContain(t, page, `<div class="dek"><p>First paragraph, <strong>bold</strong>.</p>`, `<p>Second paragraph.</p>`, "Summary of Short one")
	if strings.Contains(page, "<script>alert") {
		t.Error("the note's script reached the page")
	}
	if strings.Contains(page, "Full text of Short one") {
		t.Error("a summaries newsletter shows full text")
	}
}

func TestBouncesOffWithoutSecret(t *testing.T) {
	t.Parallel()
	s := newSite(t, "sqlite")
	set, err := assets.Load()
	if err != nil {
		t.Fatal(err)
	}
	rd, err := reader.New(reader.Options{Store: s.st, Newsletters: s.news, Assets: set})
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"", "anything"} {
		req := httptest.NewRequest(http.MethodPost, "/newsletter/bounces", strings.NewReader(`{"email":"a@example.org","type":"complaint"}`))
		req.Header.Set("X-Bounce-Secret", secret)
		rec := httptest.NewRecorder()
		rd.Routes().ServeHTTP(rec, req)
		if rec.Code != http.StatusNotFound {
			t.Errorf("secret %q: status %d, want 404 when no secret is configured", secret, rec.Code)
		}
	}
}
