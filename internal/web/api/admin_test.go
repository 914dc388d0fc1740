package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/apikeys"
	"github.com/tamizdat/tamizdat/internal/assets"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/media"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
	"github.com/tamizdat/tamizdat/internal/web/api"
	"github.com/tamizdat/tamizdat/internal/web/site"
)

const (
	contributor = accounts.Contributor
	author      = accounts.Author
	editor      = accounts.Editor
)

func TestAdminAuthentication(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		_, revoked, err := e.keys.Create(ctx, audit.System, apikeys.NewKey{Name: "old", Role: editor})
		if err != nil {
			t.Fatal(err)
		}
		id, _, _ := apikeys.ParseToken(revoked)
		if err := e.keys.Revoke(ctx, audit.System, id); err != nil {
			t.Fatal(err)
		}
		_, expiring, err := e.keys.Create(ctx, audit.System, apikeys.NewKey{Name: "short-lived", Role: editor, Expires: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
		good := e.tokens[editor]
		id, secret, _ := apikeys.ParseToken(good)
		tests := []struct {
			name   string
			header map[string]string
			status int
			code   string
		}{
			{"no key", nil, http.StatusUnauthorized, "unauthorized"},
			{"empty bearer", map[string]string{"Authorization": "Bearer "}, http.StatusUnauthorized, "unauthorized"},
			{"basic scheme", map[string]string{"Authorization": "Basic " + good}, http.StatusUnauthorized, "unauthorized"},
			{"malformed", map[string]string{"Authorization": "Bearer tzk_nope"}, http.StatusUnauthorized, "unauthorized"},
			{"wrong secret", map[string]string{"Authorization": "Bearer tzk_" + id + "_" + strings.Repeat("0", len(secret))}, http.StatusUnauthorized, "unauthorized"},
			{"revoked", map[string]string{"Authorization": "Bearer " + revoked}, http.StatusUnauthorized, "unauthorized"},
			{"expired", map[string]string{"Authorization": "Bearer " + expiring}, http.StatusUnauthorized, "unauthorized"},
			{"a session cookie", map[string]string{"Authorization": "Bearer " + good, "Cookie": "tamizdat_session=abc"}, http.StatusBadRequest, "cookies_not_accepted"},
			{"another host", map[string]string{"Authorization": "Bearer " + good, "Host": "mirror.example"}, http.StatusNotFound, "not_found"},
			{"the right key, any case of Bearer", map[string]string{"Authorization": "bearer " + good}, http.StatusOK, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := httptest.NewRequest(http.MethodGet, "http://"+adminHost+"/api/v1/admin/key", nil)
				for k, v := range tt.header {
					r.Header.Set(k, v)
				}
				if host := tt.header["Host"]; host != "" {
					r.Host = host
				}
				w := httptest.NewRecorder()
				e.api.ServeHTTP(w, r)
				if w.Code != tt.status {
					t.Fatalf("%d, want %d: %s", w.Code, tt.status, w.Body)
				}
				if tt.code == "" {
					return
				}
				if code, _, _ := errorOf(t, w); code != tt.code {
					t.Errorf("code %q, want %q", code, tt.code)
				}
				if tt.status == http.StatusUnauthorized && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("401 without a Bearer challenge: %v", w.Header())
				}
			})
		}
	})
}

func TestAdminThrottlesFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	id, secret, _ := apikeys.ParseToken(e.tokens[editor])
	wrong := map[string]string{"Authorization": "Bearer tzk_" + id + "_" + strings.Repeat("f", len(secret))}
	for range apikeys.MaxFailures {
		e.call(request{path: "/api/v1/admin/key", header: wrong}, http.StatusUnauthorized, nil)
	}
	w := e.call(request{path: "/api/v1/admin/key", role: editor}, http.StatusTooManyRequests, nil)
	if code, _, _ := errorOf(t, w); code != "too_many_requests" || w.Header().Get("Retry-After") != "900" {
		t.Errorf("code %q, Retry-After %q", code, w.Header().Get("Retry-After"))
	}
	// Other keys are not affected.
	e.call(request{path: "/api/v1/admin/key", role: author}, http.StatusOK, nil)
	e.clock.Advance(apikeys.LockFor)
	e.call(request{path: "/api/v1/admin/key", role: editor}, http.StatusOK, nil)
}

func TestAdminPublishingRules(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		post := func(role accounts.Role, path, body string, want int) {
			t.Helper()
			e.call(request{method: http.MethodPost, path: path, role: role, body: body}, want, nil)
		}
		mine := e.createArticle(contributor, `{"title":"A contributor's draft","markdown":"Text."}`)
		if mine.Status != model.StatusDraft || mine.Slug != "a-contributors-draft" || mine.Language != "en" || mine.TimeZone != "UTC" {
			t.Errorf("created %+v", mine)
		}
		path := "/api/v1/admin/articles/" + mine.ID
		post(contributor, "/api/v1/admin/articles", `{"title":"Straight out","status":"published"}`, http.StatusForbidden)
		post(contributor, path+"/publish", "", http.StatusForbidden)
		e.call(request{method: http.MethodPatch, path: path, role: contributor, body: `{"summary":"Dek."}`}, http.StatusOK, nil)

		// Other keys below editor do not see it at all.
		e.call(request{path: path, role: author}, http.StatusNotFound, nil)
		post(author, path+"/publish", "", http.StatusNotFound)

		var published struct{ Article api.AdminArticleJSON }
		e.call(request{method: http.MethodPost, path: path + "/publish", role: editor}, http.StatusOK, &published)
		if published.Article.Status != model.StatusPublished || !published.Article.PublishedAt.Equal(t0) {
			t.Errorf("published %+v", published.Article)
		}
		post(editor, path+"/publish", "", http.StatusConflict)
		// Published, it is out of the contributor's hands.
		e.call(request{method: http.MethodPatch, path: path, role: contributor, body: `{"title":"Changed"}`}, http.StatusForbidden, nil)
		e.call(request{method: http.MethodDelete, path: path, role: contributor}, http.StatusForbidden, nil)
		post(contributor, path+"/unpublish", "", http.StatusForbidden)

		// An author publishes, schedules and unpublishes its own.
		own := e.createArticle(author, `{"title":"Scheduled piece","status":"scheduled","published_at":"2025-03-11T09:00:00Z"}`)
		if own.Status != model.StatusScheduled {
			t.Errorf("scheduled create: %+v", own)
		}
		ownPath := "/api/v1/admin/articles/" + own.ID
		post(author, ownPath+"/publish", `{"published_at":"2025-03-10T11:00:00Z"}`, http.StatusOK)
		e.call(request{method: http.MethodPatch, path: ownPath, role: author, body: `{"title":"Scheduled piece, updated"}`}, http.StatusOK, nil)
		post(author, ownPath+"/unpublish", "", http.StatusOK)
		post(author, ownPath+"/unpublish", "", http.StatusConflict)
		e.call(request{method: http.MethodDelete, path: ownPath, role: author}, http.StatusNoContent, nil)
		e.call(request{path: ownPath, role: author}, http.StatusNotFound, nil)

		// Lists show what a key may see.
		for role, want := range map[accounts.Role]int{contributor: 1, author: 0, editor: 1} {
			var list api.AdminArticleList
			e.call(request{path: "/api/v1/admin/articles", role: role}, http.StatusOK, &list)
			if len(list.Articles) != want {
				t.Errorf("%s sees %d articles, want %d", role, len(list.Articles), want)
			}
		}

		// Taxonomy and pages are editors' work.
		post(author, "/api/v1/admin/tags", `{"name":"Elections"}`, http.StatusForbidden)
		post(editor, "/api/v1/admin/tags", `{"name":"Elections"}`, http.StatusCreated)
		post(editor, "/api/v1/admin/authors", `{"name":"Wire Agency","kind":"agency"}`, http.StatusCreated)
		post(contributor, "/api/v1/admin/pages", `{"title":"About"}`, http.StatusForbidden)

		entries, err := audit.New(e.st).Recent(t.Context(), 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for _, en := range entries {
			if strings.HasPrefix(en.Actor, "apikey:") {
				counts[en.Actor+" "+en.Action]++
			}
			// An API change is recorded as the desk records the same
			// change: with the article's title and revision.
			if en.Action == publishing.AuditPublished && en.Target == mine.ID {
				var detail struct {
					Title, Slug string
					Revision    int
				}
				if err := json.Unmarshal([]byte(en.Detail), &detail); err != nil || detail.Title != "A contributor's draft" || detail.Slug != "a-contributors-draft" || detail.Revision != 3 {
					t.Errorf("the publication is recorded as %s (%v); want the title, slug and revision 3", en.Detail, err)
				}
			}
		}
		for _, want := range []string{
			"apikey:" + e.keyIDs[contributor] + " " + api.ActionArticleCreated,
			"apikey:" + e.keyIDs[editor] + " " + publishing.AuditPublished,
			"apikey:" + e.keyIDs[author] + " " + publishing.AuditScheduled,
			"apikey:" + e.keyIDs[author] + " " + publishing.AuditUnpublished,
			"apikey:" + e.keyIDs[author] + " " + publishing.AuditDeleted,
			"apikey:" + e.keyIDs[editor] + " " + api.ActionTagSaved,
		} {
			if counts[want] == 0 {
				t.Errorf("audit log lacks %q; has %v", want, counts)
			}
		}
		if res, err := audit.New(e.st).Verify(t.Context()); err != nil || !res.OK() {
			t.Errorf("audit chain: %+v, %v", res, err)
		}
	})
}

// TestKeysWithoutThePublishGrantWriteDraftsOnly: an author or editor key
// made without --may-publish is refused (403, saying how to get one)
// whatever would make an article public or change one that is, as a desk
// session without a fresh step-up is; it still writes drafts.
func TestKeysWithoutThePublishGrantWriteDraftsOnly(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		auth := map[accounts.Role]map[string]string{}
		for _, role := range []accounts.Role{author, editor} {
			_, token, err := e.keys.Create(t.Context(), audit.System, apikeys.NewKey{Name: "drafts-only " + string(role), Role: role})
			if err != nil {
				t.Fatal(err)
			}
			auth[role] = map[string]string{"Authorization": "Bearer " + token}
		}
		refused := func(role accounts.Role, method, path, body string) {
			t.Helper()
			w := e.do(request{method: method, path: path, body: body, header: auth[role]})
			if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "--may-publish") {
				t.Errorf("%s %s with a %s key without the grant: %d %s; want 403 naming --may-publish", method, path, role, w.Code, w.Body)
			}
		}
		var key struct{ Key api.KeyJSON }
		e.call(request{path: "/api/v1/admin/key", header: auth[author]}, http.StatusOK, &key)
		if key.Key.MayPublish {
			t.Error("GET /admin/key says a key made without the grant may publish")
		}

		refused(author, http.MethodPost, "/api/v1/admin/articles", `{"title":"Straight out","status":"published"}`)
		var draft struct{ Article api.AdminArticleJSON }
		e.call(request{method: http.MethodPost, path: "/api/v1/admin/articles", header: auth[author],
			body: `{"title":"Drafted by a bot","markdown":"Text."}`}, http.StatusCreated, &draft)
		path := "/api/v1/admin/articles/" + draft.Article.ID
		e.call(request{method: http.MethodPatch, path: path, header: auth[author], body: `{"summary":"Dek."}`}, http.StatusOK, nil)
		refused(author, http.MethodPost, path+"/publish", "")
		refused(editor, http.MethodPost, path+"/publish", "")

		// Once an editor with the grant publishes it, keys without it may
		// neither change nor take down nor delete it.
		e.call(request{method: http.MethodPost, path: path + "/publish", role: editor}, http.StatusOK, nil)
		refused(author, http.MethodPatch, path, `{"title":"Quietly changed"}`)
		refused(editor, http.MethodPatch, path, `{"title":"Quietly changed"}`)
		refused(editor, http.MethodPost, path+"/unpublish", "")
		refused(editor, http.MethodDelete, path, "")
		rec, err := e.st.ArticleRecordByID(t.Context(), draft.Article.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Article.Title != "Drafted by a bot" || rec.Article.Status != model.StatusPublished {
			t.Errorf("after the refusals the article is %q, %s", rec.Article.Title, rec.Article.Status)
		}
	})
}

// TestAdminRoutesByRole walks every route with every key and checks that
// the answer is 403 exactly when the route's permission is missing.
func TestAdminRoutesByRole(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	for _, rt := range e.api.Routes() {
		if rt.Perm == "" {
			t.Errorf("route %s has no permission", rt.Pattern)
		}
		method, path, _ := strings.Cut(rt.Pattern, " ")
		if !strings.HasPrefix(path, api.AdminPrefix) {
			if rt.Perm != api.Public {
				t.Errorf("content route %s is not public", rt.Pattern)
			}
			continue
		}
		for _, role := range []accounts.Role{contributor, author, editor} {
			// A fresh draft of the key's own each time, so that the
			// permission alone decides.
			draft := e.createArticle(role, `{"title":"Walk"}`)
			w := e.do(request{method: method, path: strings.ReplaceAll(path, "{id}", draft.ID), role: role, body: "{}"})
			if forbidden := w.Code == http.StatusForbidden; forbidden == role.Can(rt.Perm) {
				t.Errorf("%s as %s: %d, but role.Can(%s) = %v", rt.Pattern, role, w.Code, rt.Perm, role.Can(rt.Perm))
			}
			if w.Code >= 500 {
				t.Errorf("%s as %s: %d %s", rt.Pattern, role, w.Code, w.Body)
			}
		}
	}
}

func TestAdminArticleAppearsOnSite(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		e.tag(model.Tag{Slug: "politics", Name: "Politics"})
		e.author(model.Author{Slug: "wire", Name: "Wire Desk", Kind: model.AuthorAgency})
		a := e.createArticle(editor, `{"title":"Parliament votes","summary":"A vote.","markdown":"# Result\n\nThe bill passed.\n\n<script>alert('x')</script>\n\n[click](javascript:alert(1)) <img src=x onerror=alert(1)>",
			"tags":["politics"],"authors":["wire"],"status":"published","lead_image":{"url":"/media/vote.jpg","alt":"The chamber"}}`)
		for _, bad := range []string{"<script", "javascript:", "onerror", "alert("} {
			if strings.Contains(a.HTML, bad) {
				t.Errorf("rendered HTML keeps %q: %s", bad, a.HTML)
			}
		}
		if !strings.Contains(a.HTML, "<h2>Result</h2>") || a.Markdown == "" || a.ReadingMinutes != 1 {
			t.Errorf("rendered %+v", a)
		}

		set, err := assets.Load()
		if err != nil {
			t.Fatal(err)
		}
		s, err := site.New(site.Options{Store: e.st, Assets: set, Now: e.clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		routes := s.Routes(func(h http.Handler) http.Handler { return h })
		for _, path := range []string{"/", "/articles/parliament-votes", "/tags/politics"} {
			w := httptest.NewRecorder()
			routes.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Parliament votes") {
				t.Errorf("site %s: %d, headline missing", path, w.Code)
			}
			if strings.Contains(w.Body.String(), "alert(") {
				t.Errorf("site %s carries the script", path)
			}
		}
		var doc struct{ Article api.ArticleJSON }
		json.Unmarshal(e.get("/api/v1/content/articles/parliament-votes", http.StatusOK).Body.Bytes(), &doc)
		if doc.Article.ID != a.ID || len(doc.Article.Tags) != 1 || doc.Article.Authors[0].Kind != model.AuthorAgency {
			t.Errorf("Content API: %+v", doc.Article)
		}
	})
}

func TestAdminValidation(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		taken := e.createArticle(editor, `{"title":"Taken"}`)
		tests := []struct {
			name, method, path, body string
			status                   int
			field                    string
		}{
			{"no title", "POST", "articles", `{"markdown":"x"}`, 422, "title"},
			{"long title", "POST", "articles", `{"title":"` + strings.Repeat("я", 301) + `"}`, 422, "title"},
			{"traversing lead image", "POST", "articles", `{"title":"T","lead_image":{"url":"/media/../admin/","alt":"A"}}`, 422, "lead_image.url"},
			{"lead image without alt", "POST", "articles", `{"title":"T","lead_image":{"url":"/media/a.jpg"}}`, 422, "lead_image.alt"},
			{"lead image with blank alt", "POST", "articles", `{"title":"T","lead_image":{"url":"/media/a.jpg","alt":"  "}}`, 422, "lead_image.alt"},
			{"alt removed on update", "PATCH", "articles/" + taken.ID, `{"lead_image":{"url":"/media/a.jpg","alt":""}}`, 422, "lead_image.alt"},
			{"half a lead image size", "POST", "articles", `{"title":"T","lead_image":{"url":"/media/a.jpg","alt":"A","width":640}}`, 422, "lead_image.width"},
			{"giant lead image", "POST", "articles", `{"title":"T","lead_image":{"url":"/media/a.jpg","alt":"A","width":50000,"height":50000}}`, 422, "lead_image.width"},
			{"blank title on update", "PATCH", "articles/" + taken.ID, `{"title":"  "}`, 422, "title"},
			{"slug taken", "POST", "articles", `{"title":"T","slug":"taken"}`, 422, "slug"},
			{"unknown tag", "POST", "articles", `{"title":"T","tags":["nope"]}`, 422, "tags"},
			{"repeated byline", "POST", "articles", `{"title":"T","authors":["x","x"]}`, 422, "authors"},
			{"script lead image", "POST", "articles", `{"title":"T","lead_image":{"url":"javascript:alert(1)","alt":"A"}}`, 422, "lead_image.url"},
			{"protocol-relative lead image", "POST", "articles", `{"title":"T","lead_image":{"url":"//evil.example/x.jpg","alt":"A"}}`, 422, "lead_image.url"},
			{"bad time zone", "POST", "articles", `{"title":"T","time_zone":"Mars/Olympus"}`, 422, "time_zone"},
			{"bad language", "POST", "articles", `{"title":"T","language":"english"}`, 422, "language"},
			{"unknown status", "POST", "articles", `{"title":"T","status":"live"}`, 422, "status"},
			{"schedule in the past", "POST", "articles", `{"title":"T","status":"scheduled","published_at":"2025-03-01T00:00:00Z"}`, 422, "published_at"},
			{"schedule without a time", "POST", "articles", `{"title":"T","status":"scheduled"}`, 422, "published_at"},
			{"status on update", "PATCH", "articles/" + taken.ID, `{"status":"published"}`, 422, "status"},
			{"unknown member", "POST", "articles", `{"title":"T","body":"x"}`, 400, "body"},
			{"wrong type", "POST", "articles", `{"title":5}`, 400, "title"},
			{"wrong type in a list", "POST", "articles", `{"title":"T","tags":"war"}`, 400, "tags"},
			{"bad time", "POST", "articles", `{"title":"T","status":"scheduled","published_at":"tomorrow"}`, 400, "published_at"},
			{"not JSON", "POST", "articles", `{"title":`, 400, ""},
			{"two values", "POST", "articles", `{"title":"T"} {}`, 400, ""},
			{"tag without name", "POST", "tags", `{"slug":"x"}`, 422, "name"},
			{"tag slug taken", "POST", "tags", `{"name":"Again","slug":"dup"}`, 422, "slug"},
			{"byline kind", "POST", "authors", `{"name":"N","kind":"user"}`, 422, "kind"},
			{"unknown article", "PATCH", "articles/nope", `{"title":"T"}`, 404, ""},
		}
		e.call(request{method: "POST", path: "/api/v1/admin/tags", role: editor, body: `{"name":"Dup","slug":"dup"}`}, 201, nil)
		before := e.articleCount()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				w := e.do(request{method: tt.method, path: "/api/v1/admin/" + tt.path, role: editor, body: tt.body})
				if w.Code != tt.status {
					t.Fatalf("%d, want %d: %s", w.Code, tt.status, w.Body)
				}
				if _, _, field := errorOf(t, w); field != tt.field {
					t.Errorf("field %q, want %q", field, tt.field)
				}
			})
		}
		if after := e.articleCount(); after != before {
			t.Errorf("failed requests changed the articles: %d before, %d after", before, after)
		}
		if a := e.createArticle(editor, `{"title":"Taken"}`); a.Slug != "taken-2" {
			t.Errorf("a slug made from a taken headline: %q, want taken-2", a.Slug)
		}
	})
}

func (e *env) articleCount() int {
	e.t.Helper()
	var list api.AdminArticleList
	e.call(request{path: "/api/v1/admin/articles?limit=100", role: editor}, http.StatusOK, &list)
	return len(list.Articles)
}

func TestAdminBodies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	big := `{"title":"T","markdown":"` + strings.Repeat("x", 1<<20) + `"}`
	tests := []struct {
		name   string
		header map[string]string
		body   string
		status int
		code   string
	}{
		{"too large", nil, big, http.StatusRequestEntityTooLarge, "payload_too_large"},
		{"form instead of JSON", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "title=T", http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"JSON with charset", map[string]string{"Content-Type": "application/json; charset=utf-8"}, `{"title":"T"}`, http.StatusCreated, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do(request{method: http.MethodPost, path: "/api/v1/admin/articles", role: editor, body: tt.body, header: tt.header})
			if w.Code != tt.status {
				t.Fatalf("%d, want %d: %.200s", w.Code, tt.status, w.Body)
			}
			if tt.code != "" {
				if code, _, _ := errorOf(t, w); code != tt.code {
					t.Errorf("code %q, want %q", code, tt.code)
				}
			}
		})
	}
}

// TestAdminArticleImagesInText: an upload shown in an article's text
// written through the API gets its srcset and size from the library, as
// on the desk: both render with publishing's Render.
func TestAdminArticleImagesInText(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		staff := store.User{Email: "photo@example.org", Role: "editor"}
		if err := e.st.CreateUser(t.Context(), &staff); err != nil {
			t.Fatal(err)
		}
		m := store.Media{Key: "ab" + strings.Repeat("0", 30), Format: "jpeg", Width: 1000, Height: 600, Sizes: []int{480, 800},
			Bytes: 1000, Alt: "A flooded street", Label: "flood.jpg", CreatedBy: staff.ID}
		if err := e.st.CreateMedia(t.Context(), &m); err != nil {
			t.Fatal(err)
		}
		a := e.createArticle(editor, `{"title":"Pictured","markdown":"![A flooded street](`+media.URL(m)+`)"}`)
		rec, err := e.st.ArticleRecordByID(t.Context(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := `srcset="` + media.Srcset(m) + `" sizes="` + media.ColumnSizes + `" width="1000" height="600"`
		if !strings.Contains(rec.Article.BodyHTML, want) {
			t.Errorf("the text's image is rendered as\n%s\nwant %s", rec.Article.BodyHTML, want)
		}
	})
}

// TestAdminEditsWithdrawApprovals: a send approved by two people approves
// the articles it picks as they were. An Admin API edit or deletion of a
// picked article withdraws the approvals, as a desk save does, and the
// audit log says which key's change did it.
func TestAdminEditsWithdrawApprovals(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		e := newEnvWith(t, engine, store.Options{SecondApprovalOver: 1})
		ctx := t.Context()
		nl := store.Newsletter{Slug: "weekly", Name: "The weekly", FullText: true}
		if err := e.st.CreateNewsletter(ctx, &nl); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"a", "b"} {
			sub := store.Subscriber{EmailIndex: "idx-" + name, EmailSealed: "sealed-" + name, Status: store.SubscriberActive}
			if err := e.st.CreateSubscriber(ctx, &sub, []string{nl.ID}, nil); err != nil {
				t.Fatal(err)
			}
		}
		var approvers []string
		for _, email := range []string{"one@example.org", "two@example.org"} {
			u := store.User{Email: email, Role: string(accounts.Editor)}
			if err := e.st.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			approvers = append(approvers, u.ID)
		}
		picked := e.createArticle(editor, `{"title":"Picked","markdown":"Text.","status":"published"}`)
		approve := func() store.Issue {
			t.Helper()
			is := store.Issue{NewsletterID: nl.ID, Subject: "The week", ArticleIDs: []string{picked.ID}}
			if err := e.st.CreateIssue(ctx, &is); err != nil {
				t.Fatal(err)
			}
			for _, u := range approvers {
				digest, err := e.st.IssueDigest(ctx, is)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.st.ApproveIssue(ctx, is.ID, u, t0.Add(time.Hour), digest); err != nil {
					t.Fatal(err)
				}
			}
			return is
		}
		withdrawnBy := func(is store.Issue) int {
			t.Helper()
			if got, err := e.st.IssueByID(ctx, is.ID); err != nil || got.Status != store.IssueDraft {
				t.Errorf("issue after the change: %+v, %v; want a draft", got, err)
			}
			entries, err := audit.New(e.st).Recent(ctx, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, en := range entries {
				if en.Action == newsletter.AuditIssueApprovalsWithdrawn && en.Target == is.ID && en.Actor == "apikey:"+e.keyIDs[editor] {
					n++
				}
			}
			return n
		}

		edited := approve()
		path := "/api/v1/admin/articles/" + picked.ID
		e.call(request{method: http.MethodPatch, path: path, role: editor, body: `{"title":"Picked, rewritten"}`}, http.StatusOK, nil)
		if n := withdrawnBy(edited); n != 1 {
			t.Errorf("%d audit entries of the edit's withdrawal, want 1", n)
		}
		deleted := approve()
		e.call(request{method: http.MethodDelete, path: path, role: editor}, http.StatusNoContent, nil)
		if n := withdrawnBy(deleted); n != 1 {
			t.Errorf("%d audit entries of the deletion's withdrawal, want 1", n)
		}
	})
}
