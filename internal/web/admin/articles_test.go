package admin_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/accounts/passkeytest"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/store"
)

// articleForm is a complete, valid article form.
func articleForm(title string) url.Values {
	return url.Values{"title": {title}, "body": {"Text of " + title + "."}, "language": {"en"}, "time_zone": {"UTC"}}
}

var savedArticle = regexp.MustCompile(`^/admin/articles/([0-9a-f-]{36})\?done=`)

// write submits a new article as b and returns its ID.
func (b *browser) write(form url.Values) string {
	b.t.Helper()
	b.get("/admin/articles/new")
	w := b.post("/admin/articles", form)
	m := savedArticle.FindStringSubmatch(w.Header().Get("Location"))
	if w.Code != http.StatusSeeOther || m == nil {
		b.t.Fatalf("saving a new article: %d to %q\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	return m[1]
}

// edit opens the article id and submits form (with the page's revision
// unless form has one) as action.
func (b *browser) edit(id string, form url.Values, action string) *httptest.ResponseRecorder {
	b.t.Helper()
	form.Set("action", action)
	return b.save("/admin/articles/"+id, form)
}

// save opens the edit form at path and posts form back to it with the
// revision the form was opened at, unless form names one, as a person
// saving an article, tag, byline or page does.
func (b *browser) save(path string, form url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	page := b.get(path)
	if !form.Has("revision") {
		form.Set("revision", revisionOn(b.t, page.Body.String()))
	}
	return b.post(path, form)
}

// revisionOn returns the revision an edit form on page was opened at.
func revisionOn(t *testing.T, page string) string {
	t.Helper()
	m := regexp.MustCompile(`name="revision" value="(\d+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no revision on the form:\n%s", page)
	}
	return m[1]
}

func (d *desk) article(t *testing.T, id string) store.ArticleRecord {
	t.Helper()
	rec, err := d.store.ArticleRecordByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestEditorRolesOverHTTP: the desk answers the publishing rules with
// 403s the guard's matrix cannot see, as they depend on whose article it
// is; a refusal changes nothing.
func TestEditorRolesOverHTTP(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		contributor, _ := d.readyBrowser(t, "c@example.org", accounts.Contributor)
		author, _ := d.readyBrowser(t, "a@example.org", accounts.Author)
		editor, _ := d.readyBrowser(t, "e@example.org", accounts.Editor)
		mine := contributor.write(articleForm("Contributor's draft"))
		theirs := author.write(articleForm("Author's draft"))

		wantStatus(t, contributor.edit(mine, articleForm("Published?"), "publish"), http.StatusForbidden)
		wantStatus(t, contributor.get("/admin/articles/"+theirs), http.StatusForbidden)
		wantStatus(t, author.get("/admin/articles/"+mine), http.StatusForbidden)
		wantRedirect(t, contributor.edit(mine, articleForm("Better draft"), "save"), "/admin/articles/"+mine+"?done=saved")
		if rec := d.article(t, mine); rec.Article.Title != "Better draft" || rec.Article.Status != model.StatusDraft {
			t.Errorf("contributor's draft: %q, %s", rec.Article.Title, rec.Article.Status)
		}

		wantRedirect(t, author.edit(theirs, articleForm("Author's story"), "publish"), "/admin/articles/"+theirs+"?done=published")
		// The guard stops contributors unpublishing anything; the service
		// stops authors unpublishing others' articles.
		contributor.get("/admin/articles")
		wantStatus(t, contributor.post("/admin/articles/"+theirs+"/unpublish", nil), http.StatusForbidden)
		wantRedirect(t, editor.edit(mine, articleForm("Edited by the desk"), "publish"), "/admin/articles/"+mine+"?done=published")
		author.get("/admin/articles")
		wantStatus(t, author.post("/admin/articles/"+mine+"/unpublish", nil), http.StatusForbidden)
		if rec := d.article(t, mine); rec.Article.Status != model.StatusPublished {
			t.Errorf("a refused unpublish changed the status to %s", rec.Article.Status)
		}
		editor.get("/admin/articles")
		wantRedirect(t, editor.post("/admin/articles/"+theirs+"/unpublish", nil), "/admin/articles/"+theirs+"?done=unpublished")
		// Again, as from a page opened before: a conflict, as in the API.
		editor.get("/admin/articles")
		w := editor.post("/admin/articles/"+theirs+"/unpublish", nil)
		wantStatus(t, w, http.StatusConflict)
		if !strings.Contains(w.Body.String(), "This article is a draft already") {
			t.Errorf("unpublishing a draft: %s", w.Body)
		}

		// Lists show contributors and authors their own articles only.
		list := contributor.get("/admin/articles").Body.String()
		if !strings.Contains(list, "Edited by the desk") || strings.Contains(list, "Author&#39;s story") {
			t.Errorf("the contributor's list:\n%s", list)
		}
		if list := editor.get("/admin/articles?status=draft").Body.String(); !strings.Contains(list, "Author&#39;s story") ||
			strings.Contains(list, "Edited by the desk") {
			t.Errorf("the editor's list of drafts:\n%s", list)
		}
	})
}

// stepUp proves b's passkey again, as the step-up page does, and returns
// where the desk sends b next.
func (b *browser) stepUp(a *passkeytest.Authenticator, next string) string {
	b.t.Helper()
	b.get("/admin/step-up?next=" + url.QueryEscape(next))
	token := b.csrf()
	w := b.do(http.MethodPost, "/admin/passkey/assert/begin", nil, "X-CSRF-Token", token)
	wantStatus(b.t, w, http.StatusOK)
	cred, err := a.Get(w.Body.Bytes())
	if err != nil {
		b.t.Fatal(err)
	}
	w = b.post("/admin/passkey/assert/finish", url.Values{"csrf": {token}, "credential": {string(cred)}, "next": {next}})
	wantStatus(b.t, w, http.StatusSeeOther)
	return w.Header().Get("Location")
}

// TestPublishingNeedsAFreshStepUp (requirement S5): past the step-up
// window, publishing, editing a published article and unpublishing send
// the editor to confirm with their passkey, and change nothing until then.
func TestPublishingNeedsAFreshStepUp(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		d.user(t, "ed@example.org", accounts.Editor)
		b := d.browser(t)
		key := b.enrolPasskey("ed@example.org")
		draft := b.write(articleForm("Draft"))
		live := b.write(articleForm("Live"))
		wantRedirect(t, b.edit(live, articleForm("Live"), "publish"), "/admin/articles/"+live+"?done=published")
		before := map[string]store.ArticleRecord{draft: d.article(t, draft), live: d.article(t, live)}

		d.clock.Advance(accounts.StepUpWindow + time.Minute)
		if page := b.get("/admin/articles/" + draft).Body.String(); !strings.Contains(page, "ask you to confirm it is you first") {
			t.Error("the form does not say that publishing needs a step-up")
		}
		held := func(id string) string {
			return "/admin/step-up?next=" + url.QueryEscape("/admin/articles/"+id+"?held=1")
		}
		wantRedirect(t, b.edit(draft, articleForm("Draft"), "publish"), held(draft))
		form := articleForm("Draft")
		form.Set("publish_at", "2025-03-11T10:00")
		wantRedirect(t, b.edit(draft, form, "schedule"), held(draft))
		wantRedirect(t, b.edit(live, articleForm("Live, quietly changed"), "save"), held(live))
		next := "/admin/step-up?next=" + url.QueryEscape("/admin/articles/"+live)
		b.get("/admin/articles")
		wantRedirect(t, b.post("/admin/articles/"+live+"/unpublish", nil), next)
		b.get("/admin/articles")
		wantRedirect(t, b.post("/admin/articles/"+live+"/delete", url.Values{"confirm": {"yes"}}), next)
		for id, rec := range before {
			if after := d.article(t, id); after.Revision != rec.Revision || after.Article.Title != rec.Article.Title ||
				after.Article.Status != rec.Article.Status {
				t.Errorf("%s changed without a step-up: %+v", rec.Article.Title, after)
			}
		}
		// Drafts need none.
		wantRedirect(t, b.edit(draft, articleForm("Draft, improved"), "save"), "/admin/articles/"+draft+"?done=saved")

		// After the step-up, the edits typed before it are back in the
		// form, once, not yet saved.
		if to := b.stepUp(key, "/admin/articles/"+live+"?held=1"); to != "/admin/articles/"+live+"?held=1" {
			t.Errorf("after the step-up the desk goes to %q", to)
		}
		page := b.get("/admin/articles/" + live + "?held=1").Body.String()
		if !strings.Contains(page, `value="Live, quietly changed"`) || !strings.Contains(page, "Press Save changes again") {
			t.Errorf("the held edits are not back in the form:\n%s", page)
		}
		if rec := d.article(t, live); rec.Article.Title != "Live" {
			t.Errorf("the held edits were saved: %q", rec.Article.Title)
		}
		if page := b.get("/admin/articles/" + live + "?held=1").Body.String(); strings.Contains(page, "Live, quietly changed") {
			t.Error("the held edits came back twice")
		}
		wantRedirect(t, b.edit(live, articleForm("Live, corrected"), "save"), "/admin/articles/"+live+"?done=saved")
		if rec := d.article(t, live); rec.Article.Title != "Live, corrected" || rec.Article.UpdatedAt.IsZero() {
			t.Errorf("after the step-up: %+v", rec.Article)
		}
	})
}

// TestBadInputKeepsTheForm: each mistake is a 422 naming the field, with
// what was typed still in the form, and nothing saved.
func TestBadInputKeepsTheForm(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		b, _ := d.readyBrowser(t, "ed@example.org", accounts.Editor)
		b.write(articleForm("Taken"))
		for _, tc := range []struct {
			name   string
			change func(url.Values)
			action string
			want   string
		}{
			{"no headline", func(f url.Values) { f.Set("title", " ") }, "save", "An article needs a headline."},
			{"slug collision", func(f url.Values) { f.Set("slug", "taken") }, "save", `the address &#34;taken&#34; is already taken`},
			{"schedule in the past", func(f url.Values) { f.Set("publish_at", "2025-03-10T11:00") }, "schedule", "This time has passed."},
			{"image off the site", func(f url.Values) { f.Set("image_url", "https://tracker.example/pixel.gif"); f.Set("image_alt", "x") },
				"save", "starting with /media/"},
			{"unknown time zone", func(f url.Values) { f.Set("time_zone", "Mars/Olympus") }, "save", "Give a time zone"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				form := articleForm("Kept headline")
				form.Set("body", "Words I typed <b>here</b>.")
				form.Set("action", tc.action)
				tc.change(form)
				b.get("/admin/articles/new")
				w := b.post("/admin/articles", form)
				wantStatus(t, w, http.StatusUnprocessableEntity)
				page := w.Body.String()
				if !strings.Contains(page, tc.want) || !strings.Contains(page, "Words I typed &lt;b&gt;here&lt;/b&gt;.") {
					t.Errorf("the page lacks the message %q or the typed text:\n%s", tc.want, page)
				}
			})
		}
		if list, total, err := d.store.DeskArticles(t.Context(), store.DeskQuery{}); err != nil || total != 1 {
			t.Errorf("refused forms stored articles: %d, %v", len(list), err)
		}
	})
}

// TestLivePreviewIsThePublicRenderer: the preview endpoint renders the
// form through the public site's article page, sanitized.
func TestLivePreviewIsThePublicRenderer(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		b, _ := d.readyBrowser(t, "c@example.org", accounts.Contributor)
		b.get("/admin/articles/new")
		form := articleForm("Hello <world>")
		form.Set("body", "Safe **text** <script>alert(1)</script> [x](javascript:alert(2)) <a href=\"#\" onclick=\"alert(3)\">y</a>")
		w := b.post("/admin/articles/preview", form)
		wantStatus(t, w, http.StatusOK)
		page := w.Body.String()
		for _, want := range []string{"Preview — not published", `<meta name="robots" content="noindex, nofollow">`,
			"<h1>Hello &lt;world&gt;</h1>", "<strong>text</strong>", `<article>`} {
			if !strings.Contains(page, want) {
				t.Errorf("the preview lacks %q", want)
			}
		}
		for _, bad := range []string{"<script>alert", "javascript:", "onclick"} {
			if strings.Contains(page, bad) {
				t.Errorf("the preview contains %q", bad)
			}
		}
		if list, _, _ := d.store.DeskArticles(t.Context(), store.DeskQuery{}); len(list) != 0 {
			t.Error("a preview saved the article")
		}
	})
}

var sharedLinkRE = regexp.MustCompile(`<code class="secret" id="preview-link">https://news\.example(/preview/[A-Za-z0-9_-]+)</code>`)

func TestPreviewLinkWorksWithoutSignInAndExpires(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		b, _ := d.readyBrowser(t, "c@example.org", accounts.Contributor)
		id := b.write(articleForm("Draft for the lawyer"))
		b.get("/admin/articles/" + id)
		w := b.post("/admin/articles/"+id+"/preview-links", nil)
		wantStatus(t, w, http.StatusOK)
		m := sharedLinkRE.FindStringSubmatch(w.Body.String())
		if m == nil {
			t.Fatalf("no preview link shown:\n%s", w.Body)
		}
		public := http.NewServeMux()
		public.Handle("GET /preview/{token}", d.site.PreviewHandler(d.editor.Preview))
		get := func(path string) *httptest.ResponseRecorder {
			w := httptest.NewRecorder()
			public.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil)) // no cookies: anyone
			return w
		}
		if w := get(m[1]); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Draft for the lawyer") {
			t.Fatalf("the preview link: %d\n%s", w.Code, w.Body)
		}
		if page := b.get("/admin/articles/" + id).Body.String(); !strings.Contains(page, "1 link(s) work now") {
			t.Error("the form does not count the working link")
		}
		d.clock.Advance(publishing.DefaultPreviewLifetime)
		wantStatus(t, get(m[1]), http.StatusNotFound)
		wantStatus(t, get("/preview/forged"), http.StatusNotFound)
	})
}

var revisionLink = regexp.MustCompile(`href="/admin/revisions/([0-9a-f-]{36})">1<`)

func TestRevisionsRestoreOverHTTP(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		b, _ := d.readyBrowser(t, "ed@example.org", accounts.Editor)
		id := b.write(articleForm("First words"))
		d.clock.Advance(time.Minute)
		wantRedirect(t, b.edit(id, articleForm("Second words"), "save"), "/admin/articles/"+id)
		page := b.get("/admin/articles/" + id + "/revisions").Body.String()
		m := revisionLink.FindStringSubmatch(page)
		if m == nil || !strings.Contains(page, "ed@example.org") || !strings.Contains(page, "10 Mar 2025 12:01 UTC") {
			t.Fatalf("the revisions page lacks who or when:\n%s", page)
		}
		view := b.get("/admin/revisions/" + m[1])
		wantStatus(t, view, http.StatusOK)
		if !strings.Contains(view.Body.String(), "Text of First words.") {
			t.Errorf("revision 1 does not show its text:\n%s", view.Body)
		}
		wantRedirect(t, b.post("/admin/revisions/"+m[1]+"/restore", nil), "/admin/articles/"+id+"?done=restored")
		if rec := d.article(t, id); rec.Article.Title != "First words" || rec.Revision != 3 {
			t.Errorf("after restoring: %q at revision %d", rec.Article.Title, rec.Revision)
		}
		// A form opened before the restore is stale: the desk says so and
		// keeps the text.
		w := b.edit(id, url.Values{"revision": {"2"}, "title": {"Stale words"}, "language": {"en"}, "time_zone": {"UTC"}}, "save")
		wantStatus(t, w, http.StatusConflict)
		if !strings.Contains(w.Body.String(), "Someone else saved this article") || !strings.Contains(w.Body.String(), "Stale words") {
			t.Errorf("the stale save's page:\n%s", w.Body)
		}
	})
}

func TestScheduledArticleReachesTheSiteWhenDue(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		b, _ := d.readyBrowser(t, "a@example.org", accounts.Author)
		id := b.write(articleForm("Morning briefing"))
		form := articleForm("Morning briefing")
		form.Set("time_zone", "Europe/Moscow")
		form.Set("publish_at", "2025-03-11T08:00") // 05:00 UTC
		wantRedirect(t, b.edit(id, form, "schedule"), "/admin/articles/"+id+"?done=scheduled")
		site := d.site.Routes(func(h http.Handler) http.Handler { return h })
		get := func() int {
			w := httptest.NewRecorder()
			site.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/articles/morning-briefing", nil))
			return w.Code
		}
		if code := get(); code != http.StatusNotFound {
			t.Errorf("a scheduled article is on the site before its time: %d", code)
		}
		due := time.Date(2025, 3, 11, 5, 0, 0, 0, time.UTC)
		d.clock.Advance(due.Sub(d.clock.Now()))
		if due, err := d.store.PublishDue(t.Context(), d.clock.Now()); err != nil || len(due) != 1 {
			t.Fatalf("PublishDue: %v, %v", due, err)
		}
		if code := get(); code != http.StatusOK {
			t.Errorf("the article is not on the site at its time: %d", code)
		}
	})
}

// TestNewPostsNeedTheFormToken: every form the editor adds is refused
// without the session's token (or from another site), and changes nothing.
func TestNewPostsNeedTheFormToken(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		b, _ := d.readyBrowser(t, "ed@example.org", accounts.Editor)
		id := b.write(articleForm("Story"))
		before := d.article(t, id)
		for _, rt := range d.admin.Routes() {
			method, path, _ := strings.Cut(rt.Pattern, " ")
			if method != http.MethodPost || !regexp.MustCompile(`^/admin/(articles|revisions|tags|bylines|pages)`).MatchString(path) {
				continue
			}
			path = strings.ReplaceAll(path, "{id}", id)
			form := articleForm("Hijacked")
			form.Set("name", "Hijacked")
			form.Set("confirm", "yes")
			form.Set("action", "publish")
			for _, tc := range []struct {
				name   string
				token  string
				header []string
			}{
				{"no token", "", nil},
				{"wrong token", "guessed", nil},
				{"cross-site", b.token(false), []string{"Sec-Fetch-Site", "cross-site"}},
			} {
				if tc.token != "" {
					form.Set("csrf", tc.token)
				} else {
					form.Del("csrf")
				}
				if w := b.do(http.MethodPost, path, form, tc.header...); w.Code != http.StatusForbidden {
					t.Errorf("%s %s with %s: %d, want 403", method, path, tc.name, w.Code)
				}
			}
		}
		if after := d.article(t, id); after.Revision != before.Revision || after.Article.Status != before.Article.Status {
			t.Errorf("refused posts changed the article: %+v", after)
		}
		if tags, _ := d.store.AllTags(t.Context()); len(tags) != 0 {
			t.Errorf("refused posts made tags: %v", tags)
		}
	})
}

// TestRenamedArticleRedirects: once a published article's address changes
// in the editor, its old addresses answer 301 to the current one, also
// after a further rename; a draft's renames leave nothing behind.
func TestRenamedArticleRedirects(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		b, _ := d.readyBrowser(t, "ed@example.org", accounts.Editor)
		site := d.site.Routes(func(h http.Handler) http.Handler { return h })
		get := func(path string) *httptest.ResponseRecorder {
			w := httptest.NewRecorder()
			site.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
			return w
		}
		rename := func(id, title, slug, action string) {
			t.Helper()
			form := articleForm(title)
			form.Set("slug", slug)
			if w := b.edit(id, form, action); w.Code != http.StatusSeeOther {
				t.Fatalf("renaming to %s: %d\n%s", slug, w.Code, w.Body)
			}
		}
		id := b.write(articleForm("Flood in the north"))
		rename(id, "Flood in the north", "flood-draft-name", "save") // a draft: no redirect
		rename(id, "Flood in the north", "flood-in-the-north", "publish")
		rename(id, "Flood in the north", "flood-north", "save")
		rename(id, "Flood in the north", "flood-north-2025", "save")

		wantStatus(t, get("/articles/flood-north-2025"), http.StatusOK)
		for _, old := range []string{"flood-in-the-north", "flood-north"} {
			w := get("/articles/" + old)
			if w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != "flood-north-2025" {
				t.Errorf("GET /articles/%s: %d to %q; want 301 to flood-north-2025", old, w.Code, w.Header().Get("Location"))
			}
		}
		wantStatus(t, get("/articles/flood-draft-name"), http.StatusNotFound)
		wantStatus(t, get("/articles/never-was"), http.StatusNotFound)
	})
}
