package reach

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

var onion = "http://" + strings.Repeat("ab23", 14) + ".onion"

func policy(t *testing.T, base string) *Policy {
	t.Helper()
	p, err := New(base, "https://desk.news.example")
	if err != nil {
		t.Fatal(err)
	}
	p.Update(model.Settings{
		OnionURL: onion,
		Mirrors: []model.Mirror{
			{URL: "https://mirror-b.example/outlet/", Type: "static", AddedAt: time.Date(2025, 5, 2, 0, 0, 0, 0, time.UTC)},
			{URL: "https://mirror-a.example/", Type: "mirror", AddedAt: time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)},
		},
	})
	return p
}

func TestHostsAndOnionLocation(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("page")) })
	h := policy(t, "https://news.example").Middleware(ok)
	tests := []struct {
		name, host, target string
		status             int
		onionLocation      string
	}{
		{"main host", "news.example", "/articles/x?page=2", 200, onion + "/articles/x?page=2"},
		{"main host with port", "news.example:443", "/", 200, onion + "/"},
		{"mirror", "mirror-a.example", "/tags/lavrov", 200, onion + "/tags/lavrov"},
		{"mirror in capitals", "MIRROR-B.example", "/", 200, onion + "/"},
		{"desk host", "desk.news.example", "/admin", 200, onion + "/admin"},
		{"onion", strings.TrimPrefix(onion, "http://"), "/", 200, ""},
		{"unknown host", "evil.example", "/", http.StatusMisdirectedRequest, ""},
		{"unknown host health check", "10.0.0.5:8080", "/healthz", 200, onion + "/healthz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.target, nil)
			r.Host = tt.host
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if got := w.Header().Get("Onion-Location"); got != tt.onionLocation {
				t.Errorf("Onion-Location %q, want %q", got, tt.onionLocation)
			}
			if w.Code == http.StatusMisdirectedRequest && (w.Header().Get("Location") != "" || strings.Contains(w.Body.String(), "news.example")) {
				t.Error("a refused host is told about, or sent to, the main host")
			}
		})
	}
}

func TestDevelopmentServesAnyHost(t *testing.T) {
	h := policy(t, "").Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Host = "127.0.0.1:8080"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Errorf("without a base URL every host is served; got %d", w.Code)
	}
}

func TestMirrorList(t *testing.T) {
	p := policy(t, "https://news.example")
	w := httptest.NewRecorder()
	p.ServeMirrorList(w, httptest.NewRequest("GET", "/mirrors.json", nil))
	var list struct {
		Version string `json:"version"`
		Sites   []struct {
			MainDomain   string `json:"main_domain"`
			Alternatives []struct {
				Proto, Type, URL string
				CreatedAt        string `json:"created_at"`
				UpdatedAt        string `json:"updated_at"`
			} `json:"available_alternatives"`
			ReachPage string `json:"reach_page"`
		} `json:"sites"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	if page := list.Sites[0].ReachPage; page != "http://example.com/reach" {
		t.Errorf("reach_page = %q, want the page on the host the list was fetched through", page)
	}
	if list.Version != "2.0" || len(list.Sites) != 1 || list.Sites[0].MainDomain != "news.example" {
		t.Fatalf("list = %+v", list)
	}
	alts := list.Sites[0].Alternatives
	if len(alts) != 3 {
		t.Fatalf("%d alternatives, want onion + 2 mirrors", len(alts))
	}
	want := []struct{ proto, typ, url, created string }{
		{"tor", "eotk", onion, ""},
		{"https", "mirror", "https://mirror-a.example/", "2025-05-01T00:00:00Z"},
		{"https", "static", "https://mirror-b.example/outlet/", "2025-05-02T00:00:00Z"},
	}
	for i, w := range want {
		a := alts[i]
		if a.Proto != w.proto || a.Type != w.typ || a.URL != w.url || a.CreatedAt != w.created {
			t.Errorf("alternative %d = %+v, want %+v", i, a, w)
		}
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	// Through a listed mirror, the page is on that mirror, in its folder.
	r := httptest.NewRequest("GET", "/mirrors.json", nil)
	r.Host = "mirror-b.example"
	w = httptest.NewRecorder()
	p.ServeMirrorList(w, r)
	if !strings.Contains(w.Body.String(), `"reach_page": "https://mirror-b.example/outlet/reach"`) {
		t.Errorf("through the mirror:\n%s", w.Body.String())
	}
}

// TestEdits checks the edits the command line and the desk share: each
// valid one changes the settings, each invalid one explains itself and
// changes nothing.
func TestEdits(t *testing.T) {
	now := time.Date(2025, 6, 1, 10, 0, 0, 500, time.UTC)
	s := model.DefaultSettings("Courier")
	if err := AddMirror(&s, " https://m.example/news/ ", "", now); err != nil {
		t.Fatal(err)
	}
	if len(s.Mirrors) != 1 || s.Mirrors[0] != (model.Mirror{URL: "https://m.example/news/", Type: "mirror", AddedAt: now.Truncate(time.Second)}) {
		t.Fatalf("after adding: %+v", s.Mirrors)
	}
	if err := SetOnion(&s, onion); err != nil || s.OnionURL != onion {
		t.Fatalf("set onion: %v, %q", err, s.OnionURL)
	}
	before := s
	for _, tc := range []struct {
		name string
		edit func(*model.Settings) error
		want string
	}{
		{"twice", func(s *model.Settings) error { return AddMirror(s, "https://M.example/news/", "static", now) }, "listed twice"},
		{"no scheme", func(s *model.Settings) error { return AddMirror(s, "m2.example", "mirror", now) }, "is not a mirror address"},
		{"unknown type", func(s *model.Settings) error { return AddMirror(s, "https://m2.example/", "cdn", now) }, `mirror type "cdn" is unknown`},
		{"not listed", func(s *model.Settings) error { return RemoveMirror(s, "https://gone.example/") }, "no such mirror"},
		{"bad onion", func(s *model.Settings) error { return SetOnion(s, "http://short.onion") }, "not a version 3 onion address"},
	} {
		err := tc.edit(&s)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
		if s.OnionURL != before.OnionURL || len(s.Mirrors) != 1 {
			t.Errorf("%s: a refused edit changed the settings: %+v", tc.name, s)
		}
	}
	if err := RemoveMirror(&s, "https://m.example/news/"); err != nil || len(s.Mirrors) != 0 {
		t.Errorf("remove: %v, %+v", err, s.Mirrors)
	}
	if err := SetOnion(&s, ""); err != nil || s.OnionURL != "" {
		t.Errorf("clear onion: %v, %q", err, s.OnionURL)
	}
	if len(before.Mirrors) != 1 {
		t.Error("an edit changed the mirror list of an earlier copy of the settings")
	}
}
