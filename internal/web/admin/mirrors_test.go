package admin_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
)

// TestMirrorsScreen: an admin lists, adds and removes mirrors and sets the
// onion address; bad addresses are refused with the reason and change
// nothing; every change is in the audit log; past the step-up window a
// change waits for the passkey (S5); editors do not see the screen.
func TestMirrorsScreen(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		ctx := t.Context()
		d.courierSettings(t)
		d.user(t, "admin@example.org", accounts.Admin)
		b := d.browser(t)
		key := b.enrolPasskey("admin@example.org")
		editor, _ := d.readyBrowser(t, "ed@example.org", accounts.Editor)
		if page := editor.get("/admin/articles").Body.String(); strings.Contains(page, `href="/admin/mirrors"`) {
			t.Error("an editor's menu offers the mirrors screen")
		}

		page := b.get("/admin/mirrors").Body.String()
		for _, want := range []string{`href="/admin/mirrors"`, "No mirrors yet.", `href="https://news.example/reach"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the empty screen lacks %s", want)
			}
		}
		wantRedirect(t, b.post("/admin/mirrors", url.Values{"url": {" https://mirror.example/news/ "}, "type": {"static"}}), "/admin/mirrors?done=added")
		onion := "http://" + strings.Repeat("m7", 28) + ".onion"
		b.get("/admin/mirrors")
		wantRedirect(t, b.post("/admin/mirrors/onion", url.Values{"onion": {onion}}), "/admin/mirrors?done=onion")
		s := d.storedSettings(t)
		if len(s.Mirrors) != 1 || s.Mirrors[0].URL != "https://mirror.example/news/" || s.Mirrors[0].Type != "static" || s.OnionURL != onion {
			t.Fatalf("after adding: %+v, onion %q", s.Mirrors, s.OnionURL)
		}
		page = b.get("/admin/mirrors?done=added").Body.String()
		for _, want := range []string{"Mirror added.", "<code>https://mirror.example/news/</code>", `value="` + onion + `"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the screen lacks %s", want)
			}
		}

		for _, tc := range []struct {
			path string
			form url.Values
			want string
		}{
			{"/admin/mirrors", url.Values{"url": {"mirror2.example"}, "type": {"mirror"}}, "is not a mirror address"},
			{"/admin/mirrors", url.Values{"url": {"https://MIRROR.example/news/"}, "type": {"mirror"}}, "is listed twice"},
			{"/admin/mirrors", url.Values{"url": {"https://other.example/"}, "type": {"cdn"}}, "mirror type &#34;cdn&#34; is unknown"},
			{"/admin/mirrors/onion", url.Values{"onion": {"http://short.onion"}, "onion_was": {onion}}, "not a version 3 onion address"},
			{"/admin/mirrors/remove", url.Values{"url": {"https://gone.example/"}}, "no longer listed"},
		} {
			b.get("/admin/mirrors")
			w := b.post(tc.path, tc.form)
			wantStatus(t, w, 422)
			if body := w.Body.String(); !strings.Contains(body, tc.want) {
				t.Errorf("POST %s %v: the page does not say %q", tc.path, tc.form, tc.want)
			}
			if typed := tc.form.Get("url"); tc.path == "/admin/mirrors" && !strings.Contains(w.Body.String(), `value="`+typed+`"`) {
				t.Errorf("POST %s: the form lost what was typed, %q", tc.path, typed)
			}
			if after := d.storedSettings(t); len(after.Mirrors) != 1 || after.OnionURL != onion {
				t.Errorf("POST %s %v changed the settings: %+v", tc.path, tc.form, after)
			}
		}

		// Past the step-up window nothing changes until the passkey is
		// shown again.
		d.clock.Advance(accounts.StepUpWindow + time.Minute)
		if page := b.get("/admin/mirrors").Body.String(); !strings.Contains(page, "confirm with your passkey") {
			t.Error("the screen does not say that changes need a step-up")
		}
		wantRedirect(t, b.post("/admin/mirrors/remove", url.Values{"url": {"https://mirror.example/news/"}}), "/admin/step-up?next=/admin/mirrors")
		b.get("/admin/mirrors")
		wantRedirect(t, b.post("/admin/mirrors/onion", url.Values{"remove": {"yes"}}), "/admin/step-up?next=/admin/mirrors")
		if after := d.storedSettings(t); len(after.Mirrors) != 1 || after.OnionURL != onion {
			t.Fatalf("changed without a step-up: %+v", after)
		}
		if to := b.stepUp(key, "/admin/mirrors"); to != "/admin/mirrors" {
			t.Errorf("after the step-up the desk goes to %q", to)
		}
		b.get("/admin/mirrors")
		wantRedirect(t, b.post("/admin/mirrors/remove", url.Values{"url": {"https://mirror.example/news/"}}), "/admin/mirrors?done=removed")
		b.get("/admin/mirrors")
		wantRedirect(t, b.post("/admin/mirrors/onion", url.Values{"onion": {onion}, "onion_was": {onion}, "remove": {"yes"}}), "/admin/mirrors?done=onion-removed")
		if after := d.storedSettings(t); len(after.Mirrors) != 0 || after.OnionURL != "" {
			t.Errorf("after removing: %+v", after)
		}

		entries, err := d.store.RecentAudit(ctx, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, e := range entries {
			got[e.Action] = e.Target
		}
		for action, target := range map[string]string{"mirror_added": "https://mirror.example/news/", "onion_address_set": onion,
			"mirror_removed": "https://mirror.example/news/", "onion_address_removed": ""} {
			if tg, ok := got[action]; !ok || tg != target {
				t.Errorf("audit log: %s on %q missing (have %v)", action, target, got)
			}
		}
	})
}

// TestMirrorsScreenKeepsConcurrentChanges: two admins opened the screen;
// one adds a mirror while the other sets the onion address, at the same
// moment: both changes stay. Then the first sets the onion address from
// the page they opened before it was set: refused with a 409 that says
// what it is now, keeping what they typed, and saving that again
// replaces it on purpose.
func TestMirrorsScreenKeepsConcurrentChanges(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		ctx := t.Context()
		d.courierSettings(t)
		ann, _ := d.readyBrowser(t, "ann@example.org", accounts.Admin)
		bob, _ := d.readyBrowser(t, "bob@example.org", accounts.Admin)
		ann.get("/admin/mirrors")
		mirror := url.Values{"url": {"https://mirror.example/"}, "type": {"mirror"}, "csrf": {ann.csrf()}}
		bob.get("/admin/mirrors")
		theirs := "http://" + strings.Repeat("b2", 28) + ".onion"
		onion := url.Values{"onion": {theirs}, "onion_was": {onionWasOn(t, bob.last.Body.String())}, "csrf": {bob.csrf()}}
		added, onSet := postAtOnce(ann, "/admin/mirrors", mirror, bob, "/admin/mirrors/onion", onion)
		wantRedirect(t, added, "/admin/mirrors?done=added")
		wantRedirect(t, onSet, "/admin/mirrors?done=onion")
		s, err := d.store.Settings(ctx)
		if err != nil || len(s.Mirrors) != 1 || s.OnionURL != theirs {
			t.Fatalf("after both saves: mirrors %+v, onion %q, %v", s.Mirrors, s.OnionURL, err)
		}

		// Ann's page, opened before, showed no onion address.
		mine := "http://" + strings.Repeat("c3", 28) + ".onion"
		w := ann.post("/admin/mirrors/onion", url.Values{"onion": {mine}, "onion_was": {""}, "csrf": {mirror.Get("csrf")}})
		wantStatus(t, w, http.StatusConflict)
		for _, want := range []string{"Someone else changed this after you opened the page: the onion address is now " + theirs,
			`value="` + mine + `"`, `name="onion_was" value="` + theirs + `"`} {
			if !strings.Contains(w.Body.String(), want) {
				t.Errorf("the refused save's page lacks %q:\n%s", want, w.Body)
			}
		}
		if s, err := d.store.Settings(ctx); err != nil || s.OnionURL != theirs {
			t.Fatalf("a stale save changed the onion address to %q, %v", s.OnionURL, err)
		}
		again := url.Values{"onion": {mine}, "onion_was": {onionWasOn(t, w.Body.String())}}
		wantRedirect(t, ann.post("/admin/mirrors/onion", again), "/admin/mirrors?done=onion")
		if s, err := d.store.Settings(ctx); err != nil || s.OnionURL != mine || len(s.Mirrors) != 1 {
			t.Errorf("after saving the kept form again: onion %q, mirrors %+v, %v", s.OnionURL, s.Mirrors, err)
		}
	})
}

// onionWasOn returns the onion address the mirrors screen's onion form
// was opened with.
func onionWasOn(t *testing.T, page string) string {
	t.Helper()
	m := regexp.MustCompile(`name="onion_was" value="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no onion_was on the page:\n%s", page)
	}
	return m[1]
}
