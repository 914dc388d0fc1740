package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// TestAuditEntriesReachTheSink signs in wrongly to a server whose
// audit-sink is a file, and finds the entry there after shutdown.
func TestAuditEntriesReachTheSink(t *testing.T) {
	st := storetest.New(t)
	sinkPath := filepath.Join(t.TempDir(), "audit.jsonl")
	cfg := config.Config{CacheMaxAge: time.Minute, AuditSink: sinkPath}
	ctx, shutdown := context.WithCancel(t.Context())
	if err := prepare(ctx, st, cfg, quietLog); err != nil {
		t.Fatal(err)
	}
	h, _, err := Handler(ctx, st, cfg, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	page := httptest.NewRecorder()
	h.ServeHTTP(page, httptest.NewRequest(http.MethodGet, "http://localhost:8080/admin/sign-in", nil))
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page.Body.String())[1]
	form := url.Values{"csrf": {token}, "email": {"nobody@example.org"}, "password": {"wrong password"}}
	r := httptest.NewRequest(http.MethodPost, "http://localhost:8080/admin/sign-in", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range page.Result().Cookies() {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("sign-in = %d, want 401", w.Code)
	}
	shutdown()
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, _ := os.ReadFile(sinkPath)
		if strings.Contains(string(data), `"action":"sign_in_failed"`) && strings.Contains(string(data), `"hash":"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sink file lacks the failed sign-in:\n%s", data)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
