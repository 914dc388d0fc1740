package api_test

import (
	"bytes"
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
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
	"github.com/tamizdat/tamizdat/internal/web/api"
)

// t0 is the test clock's start.
var t0 = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

// adminHost is the desk's host in these tests.
const adminHost = "desk.example"

// env is one API over a fresh store, with one key per role.
type env struct {
	t      *testing.T
	st     *store.Store
	clock  *storetest.Clock
	keys   *apikeys.Service
	api    *api.API
	tokens map[accounts.Role]string
	keyIDs map[accounts.Role]string
}

// each runs fn on both engines, in parallel, with a fresh env.
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		fn(t, newEnv(t, engine))
	})
}

func newEnv(t *testing.T, engine string) *env {
	t.Helper()
	return newEnvWith(t, engine, store.Options{})
}

// newEnvWith is newEnv over a store with the options opts, but for its
// clock.
func newEnvWith(t *testing.T, engine string, opts store.Options) *env {
	t.Helper()
	clock := storetest.NewClock(t0)
	opts.Now = clock.Now
	st := storetest.NewEngine(t, engine, opts)
	if err := st.SaveSettings(t.Context(), model.DefaultSettings("Test News")); err != nil {
		t.Fatal(err)
	}
	log := audit.New(st)
	keys := apikeys.New(apikeys.Options{Store: st, Audit: log, Now: clock.Now})
	e := &env{
		t: t, st: st, clock: clock, keys: keys,
		api: api.New(api.Options{Store: st, Keys: keys, Audit: log, AdminHost: adminHost, Now: clock.Now,
			Log: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))}),
		tokens: map[accounts.Role]string{}, keyIDs: map[accounts.Role]string{},
	}
	for _, role := range []accounts.Role{accounts.Contributor, accounts.Author, accounts.Editor} {
		k, token, err := keys.Create(t.Context(), audit.System, apikeys.NewKey{Name: string(role) + " bot", Role: role,
			MayPublish: role.Can(accounts.PermPublishOwn)})
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[role], e.keyIDs[role] = token, k.ID
	}
	return e
}

// request is one HTTP request to the API.
type request struct {
	method, path string
	body         string            // JSON, sent with Content-Type: application/json
	role         accounts.Role     // whose key to send; "" sends none
	header       map[string]string // more headers, e.g. Authorization to override
}

// do sends req on the desk's host and returns the response.
func (e *env) do(req request) *httptest.ResponseRecorder {
	e.t.Helper()
	var body io.Reader
	if req.body != "" {
		body = strings.NewReader(req.body)
	}
	method := req.method
	if method == "" {
		method = http.MethodGet
	}
	r := httptest.NewRequest(method, "http://"+adminHost+req.path, body)
	if req.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if req.role != "" {
		r.Header.Set("Authorization", "Bearer "+e.tokens[req.role])
	}
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.api.ServeHTTP(w, r)
	return w
}

// get GETs a path without a key and fails unless the status is want.
func (e *env) get(path string, want int) *httptest.ResponseRecorder {
	e.t.Helper()
	w := e.do(request{path: path})
	if w.Code != want {
		e.t.Fatalf("GET %s: %d, want %d: %s", path, w.Code, want, w.Body)
	}
	return w
}

// call sends req and fails unless the status is want; it decodes a JSON
// answer into out when out is not nil.
func (e *env) call(req request, want int, out any) *httptest.ResponseRecorder {
	e.t.Helper()
	w := e.do(req)
	if w.Code != want {
		e.t.Fatalf("%s %s as %q: %d, want %d: %s", req.method, req.path, req.role, w.Code, want, w.Body)
	}
	if out != nil {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", req.method, req.path, err, w.Body)
		}
	}
	return w
}

// createArticle makes an article through the Admin API as role.
func (e *env) createArticle(role accounts.Role, body string) api.AdminArticleJSON {
	e.t.Helper()
	var doc struct{ Article api.AdminArticleJSON }
	e.call(request{method: http.MethodPost, path: "/api/v1/admin/articles", role: role, body: body}, http.StatusCreated, &doc)
	return doc.Article
}

// fixture fills the store directly: bylines, tags and articles in every
// state. Published articles are returned newest first, as lists show them.
type fixture struct {
	anna, ghost, idle model.Author
	war, courts, none model.Tag
	published         []*model.Article
}

func (e *env) fixture(n int) *fixture {
	e.t.Helper()
	f := &fixture{
		anna:   e.author(model.Author{Slug: "anna", Name: "Anna Staff", Kind: model.AuthorStaff}),
		ghost:  e.author(model.Author{Slug: "ghost", Name: "A. Pseudonym", Kind: model.AuthorPseudonym, Bio: "Writes from inside."}),
		idle:   e.author(model.Author{Slug: "idle", Name: "Only Drafts", Kind: model.AuthorStaff}),
		war:    e.tag(model.Tag{Slug: "war", Name: "War", Description: "The war."}),
		courts: e.tag(model.Tag{Slug: "courts", Name: "Courts"}),
		none:   e.tag(model.Tag{Slug: "secret-investigation", Name: "Secret investigation"}),
	}
	for i := range n {
		// Articles come in pairs sharing a time, so that pages must break
		// ties by ID.
		at := t0.Add(-time.Duration(i/2) * time.Hour)
		a := article(slugN(i), model.StatusPublished, at)
		a.Authors = []model.Author{f.anna}
		if i%2 == 0 {
			a.Tags = []model.Tag{f.war}
			a.Authors = []model.Author{f.ghost, f.anna}
		}
		if i%5 == 0 {
			a.Language = "ru"
			a.Tags = append(a.Tags, f.courts)
		}
		e.mustCreate(a)
	}
	secret := article("draft-story", model.StatusDraft, time.Time{})
	secret.Tags, secret.Authors = []model.Tag{f.none, f.war}, []model.Author{f.idle}
	e.mustCreate(secret)
	scheduled := article("scheduled-story", model.StatusScheduled, t0.Add(time.Hour))
	scheduled.Tags, scheduled.Authors = []model.Tag{f.none}, []model.Author{f.idle}
	e.mustCreate(scheduled)
	// Published with a time still ahead: not visible until then.
	e.mustCreate(article("future-story", model.StatusPublished, t0.Add(48*time.Hour)))
	list, _, err := e.st.ListArticles(e.t.Context(), store.ArticleQuery{PublishedAsOf: t0, WithBody: true})
	if err != nil {
		e.t.Fatal(err)
	}
	f.published = list
	return f
}

func slugN(i int) string { return "story-" + string(rune('a'+i/26)) + string(rune('a'+i%26)) }

func article(slug string, status model.Status, at time.Time) *model.Article {
	return &model.Article{Slug: slug, Title: "Headline " + slug, Summary: "Summary " + slug,
		Body: "Body of " + slug, BodyHTML: "<p>Body of " + slug + "</p>", BodyText: "Body of " + slug,
		ReadingMinutes: 1, Status: status, Language: "en", TimeZone: "Europe/Riga", PublishedAt: at,
		LeadImage: &model.Image{URL: "/media/" + slug + ".jpg", Alt: "alt", Caption: "caption", Credit: "credit", Width: 800, Height: 600}}
}

func (e *env) mustCreate(a *model.Article) {
	e.t.Helper()
	if err := e.st.CreateArticle(e.t.Context(), a); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) author(a model.Author) model.Author {
	e.t.Helper()
	if err := e.st.CreateAuthor(e.t.Context(), &a); err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *env) tag(t model.Tag) model.Tag {
	e.t.Helper()
	if err := e.st.CreateTag(e.t.Context(), &t); err != nil {
		e.t.Fatal(err)
	}
	return t
}

// errorOf decodes an error answer strictly: nothing but the documented
// members may appear.
func errorOf(t *testing.T, w *httptest.ResponseRecorder) (code, message, field string) {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("error Content-Type = %q", ct)
	}
	var body struct {
		Error struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Field   string            `json:"field"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("error body %s: %v", w.Body, err)
	}
	if body.Error.Code == "" || body.Error.Message == "" {
		t.Errorf("error body %s lacks a code or message", w.Body)
	}
	return body.Error.Code, body.Error.Message, body.Error.Field
}
