package admin_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/apikeys"
	"github.com/tamizdat/tamizdat/internal/audit"
)

var keyToken = regexp.MustCompile(`<code class="secret">(tzk_[0-9a-f]+_[0-9a-f]+)</code>`)

func TestAPIKeysInTheDesk(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		ctx := t.Context()
		b, _ := d.readyBrowser(t, "boss@example.org", accounts.Admin)
		if page := b.get("/admin/api-keys").Body.String(); !strings.Contains(page, "No keys yet") {
			t.Fatalf("the empty key list:\n%s", page)
		}
		for _, bad := range []url.Values{
			{"name": {"importer"}, "role": {"admin"}},
			{"name": {""}, "role": {"editor"}},
			{"name": {"importer"}, "role": {"editor"}, "expires": {"next week"}},
			{"name": {"importer"}, "role": {"editor"}, "expires": {"2020-01-01"}},
		} {
			w := b.post("/admin/api-keys", bad)
			wantStatus(t, w, http.StatusUnprocessableEntity)
			if !strings.Contains(w.Body.String(), `class="error"`) || keyToken.MatchString(w.Body.String()) {
				t.Errorf("%v: no reason given, or a key made:\n%s", bad, w.Body)
			}
		}
		w := b.post("/admin/api-keys", url.Values{"name": {"wire importer"}, "role": {"editor"}, "expires": {"2025-12-31"}})
		wantStatus(t, w, http.StatusOK)
		m := keyToken.FindStringSubmatch(w.Body.String())
		if m == nil {
			t.Fatalf("the new key's token is not shown:\n%s", w.Body)
		}
		keys := apikeys.New(apikeys.Options{Store: d.store, Audit: audit.New(d.store), Now: d.clock.Now})
		k, err := keys.Authenticate(ctx, m[1])
		if err != nil || k.Role != accounts.Editor || k.Name != "wire importer" || k.ExpiresAt.IsZero() {
			t.Fatalf("the token authenticates as %+v, %v", k, err)
		}
		page := b.get("/admin/api-keys").Body.String()
		if strings.Contains(page, m[1]) || !strings.Contains(page, "wire importer") || !strings.Contains(page, "boss@example.org") ||
			!strings.Contains(page, "active") || strings.Contains(page, "No keys yet") {
			t.Errorf("the list after creating (it must not show the token again):\n%s", page)
		}

		wantRedirect(t, b.post("/admin/api-keys/"+k.ID+"/revoke", nil), "/admin/api-keys")
		if _, err := keys.Authenticate(ctx, m[1]); err == nil {
			t.Error("a revoked key still authenticates")
		}
		if page := b.get("/admin/api-keys").Body.String(); !strings.Contains(page, "revoked") || strings.Contains(page, "/revoke\"") {
			t.Errorf("the list after revoking:\n%s", page)
		}
		wantStatus(t, b.post("/admin/api-keys/0123456789abcdef/revoke", nil), http.StatusNotFound)
		audits := b.get("/admin/audit").Body.String()
		if !strings.Contains(audits, apikeys.ActionCreated) || !strings.Contains(audits, apikeys.ActionRevoked) {
			t.Error("creating and revoking are not in the audit log")
		}

		// Creating a credential needs a fresh step-up.
		d.clock.Advance(accounts.StepUpWindow + time.Minute)
		b.get("/admin/api-keys")
		wantRedirect(t, b.post("/admin/api-keys", url.Values{"name": {"late"}, "role": {"author"}}), "/admin/step-up")
	})
}
