package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/apikeys"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web/api"
)

// TestErrorShape checks that every kind of failure, on both APIs, answers
// with the same JSON envelope, uncached, and with nothing internal in it.
func TestErrorShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	mine := e.createArticle(author, `{"title":"Mine"}`)
	id, secret, _ := apikeys.ParseToken(e.tokens[contributor])
	locked := map[string]string{"Authorization": "Bearer tzk_" + id + "_" + strings.Repeat("a", len(secret))}
	for range apikeys.MaxFailures {
		e.do(request{path: "/api/v1/admin/key", header: locked})
	}
	_, writer, err := e.keys.Create(t.Context(), audit.System, apikeys.NewKey{Name: "another contributor", Role: contributor})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		req    request
		status int
		code   string
	}{
		{"no such API", request{path: "/api/v2/content/articles"}, 404, "not_found"},
		{"no such content endpoint", request{path: "/api/v1/content/widgets"}, 404, "not_found"},
		{"no such article", request{path: "/api/v1/content/articles/nope"}, 404, "not_found"},
		{"content method", request{method: "DELETE", path: "/api/v1/content/articles"}, 405, "method_not_allowed"},
		{"content parameter", request{path: "/api/v1/content/articles?limit=-1"}, 400, "bad_request"},
		{"admin without a key", request{path: "/api/v1/admin/articles"}, 401, "unauthorized"},
		{"admin locked key", request{path: "/api/v1/admin/key", role: contributor}, 429, "too_many_requests"},
		{"admin cookie", request{path: "/api/v1/admin/key", role: editor, header: map[string]string{"Cookie": "a=b"}}, 400, "cookies_not_accepted"},
		{"admin no such endpoint", request{path: "/api/v1/admin/users", role: editor}, 404, "not_found"},
		{"admin method", request{method: "PUT", path: "/api/v1/admin/articles", role: editor}, 405, "method_not_allowed"},
		{"admin permission", request{method: "POST", path: "/api/v1/admin/tags", role: author, body: `{"name":"x"}`}, 403, "forbidden"},
		{"admin rule", request{method: "POST", path: "/api/v1/admin/articles", body: `{"title":"x","status":"published"}`,
			header: map[string]string{"Authorization": "Bearer " + writer}}, 403, "forbidden"},
		{"admin not found", request{path: "/api/v1/admin/articles/nope", role: editor}, 404, "not_found"},
		{"admin conflict", request{method: "POST", path: "/api/v1/admin/articles/" + mine.ID + "/unpublish", role: author}, 409, "conflict"},
		{"admin validation", request{method: "POST", path: "/api/v1/admin/articles", role: editor, body: `{}`}, 422, "validation_failed"},
		{"admin bad JSON", request{method: "POST", path: "/api/v1/admin/articles", role: editor, body: `[`}, 400, "bad_request"},
		{"admin media type", request{method: "POST", path: "/api/v1/admin/articles", role: editor, body: `{}`, header: map[string]string{"Content-Type": "text/plain"}}, 415, "unsupported_media_type"},
		{"admin parameter", request{path: "/api/v1/admin/articles?status=live", role: editor}, 400, "bad_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do(tt.req)
			if w.Code != tt.status {
				t.Fatalf("%d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if code, _, _ := errorOf(t, w); code != tt.code {
				t.Errorf("code %q, want %q", code, tt.code)
			}
			if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
			if w.Header().Get("ETag") != "" {
				t.Error("an error carries an ETag")
			}
			if w.Code == http.StatusMethodNotAllowed && w.Header().Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}

	t.Run("a failure on our side", func(t *testing.T) {
		broken := newEnv(t, "sqlite")
		token := broken.tokens[editor]
		broken.st.Close()
		for _, req := range []request{
			{path: "/api/v1/content/articles"},
			{path: "/api/v1/admin/articles", header: map[string]string{"Authorization": "Bearer " + token}},
		} {
			w := broken.do(req)
			if w.Code != http.StatusInternalServerError {
				t.Fatalf("%s: %d, want 500", req.path, w.Code)
			}
			if code, message, _ := errorOf(t, w); code != "internal_error" || strings.Contains(strings.ToLower(message), "sql") {
				t.Errorf("%s: code %q, message %q", req.path, code, message)
			}
		}
	})
}

// TestNoStaffDetails is the S8 canary test for the APIs: a staff account
// with unique strings makes the key that writes everything, and no answer
// of either API may carry its email, name or ID.
func TestNoStaffDetails(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		staff := store.User{Email: "canary-q7zx@staff.example", DisplayName: "Canaryname Realperson", Role: "admin"}
		if err := e.st.CreateUser(ctx, &staff); err != nil {
			t.Fatal(err)
		}
		_, token, err := e.keys.Create(ctx, staff.ID, apikeys.NewKey{Name: "canary's bot", Role: editor, Expires: t0.Add(time.Hour), MayPublish: true})
		if err != nil {
			t.Fatal(err)
		}
		auth := map[string]string{"Authorization": "Bearer " + token}
		canaries := []string{staff.Email, "canary-q7zx", staff.DisplayName, "Realperson", staff.ID}
		var bodies []string
		send := func(method, path, body string) {
			t.Helper()
			w := e.do(request{method: method, path: path, body: body, header: auth})
			if w.Code >= 300 {
				t.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
			}
			bodies = append(bodies, w.Body.String())
			for k, v := range w.Header() {
				bodies = append(bodies, k+": "+strings.Join(v, ", "))
			}
		}
		send("POST", "/api/v1/admin/tags", `{"name":"Investigations"}`)
		send("POST", "/api/v1/admin/authors", `{"name":"Pen Name","kind":"pseudonym","bio":"Anonymous."}`)
		send("POST", "/api/v1/admin/pages", `{"title":"About","markdown":"Who we are."}`)
		var created struct{ Article api.AdminArticleJSON }
		w := e.do(request{method: "POST", path: "/api/v1/admin/articles", header: auth,
			body: `{"title":"Exposé","markdown":"Text.","tags":["investigations"],"authors":["pen-name"],"status":"published"}`})
		json.Unmarshal(w.Body.Bytes(), &created)
		bodies = append(bodies, w.Body.String())
		send("PATCH", "/api/v1/admin/articles/"+created.Article.ID, `{"summary":"Dek."}`)
		for _, path := range []string{"key", "articles", "articles/" + created.Article.ID, "tags", "authors", "pages"} {
			send("GET", "/api/v1/admin/"+path, "")
		}
		for _, path := range []string{"articles", "articles/expose", "tags", "tags/investigations", "authors", "authors/pen-name", "pages", "pages/about"} {
			send("GET", "/api/v1/content/"+path, "")
		}
		if created.Article.Slug != "expose" || len(bodies) < 20 {
			t.Fatalf("the crawl went wrong: slug %q, %d bodies", created.Article.Slug, len(bodies))
		}
		for _, body := range bodies {
			for _, c := range canaries {
				if strings.Contains(body, c) {
					t.Errorf("an answer carries %q:\n%.300s", c, body)
				}
			}
		}
		if a, err := e.st.ArticleBySlug(ctx, "expose"); err != nil || a.Status != model.StatusPublished {
			t.Errorf("the article was not published: %v", err)
		}
	})
}
