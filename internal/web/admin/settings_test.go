package admin_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// settingsForm returns what the settings form of section on the browser's
// last page submits as it stands, as a browser would: its fields as shown
// (a checkbox only when ticked, a select its chosen option) and the
// hidden values it was opened with.
func (b *browser) settingsForm(section string) url.Values {
	b.t.Helper()
	doc, err := html.Parse(strings.NewReader(b.last.Body.String()))
	if err != nil {
		b.t.Fatal(err)
	}
	attr := func(n *html.Node, key string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == key {
				return a.Val, true
			}
		}
		return "", false
	}
	for form := range doc.Descendants() {
		if action, _ := attr(form, "action"); form.Data != "form" || action != "/admin/settings/"+section {
			continue
		}
		values := url.Values{}
		for n := range form.Descendants() {
			name, _ := attr(n, "name")
			switch n.Data {
			case "input":
				value, _ := attr(n, "value")
				_, ticked := attr(n, "checked")
				if kind, _ := attr(n, "type"); kind != "checkbox" || ticked {
					values.Add(name, value)
				}
			case "textarea":
				if n.FirstChild != nil {
					values.Add(name, n.FirstChild.Data)
				} else {
					values.Add(name, "")
				}
			case "option":
				if _, chosen := attr(n, "selected"); chosen {
					value, _ := attr(n, "value")
					field, _ := attr(n.Parent, "name")
					values.Add(field, value)
				}
			}
		}
		return values
	}
	b.t.Fatalf("no %s settings form on the page:\n%s", section, b.last.Body)
	return nil
}

// settingsChanges returns the changes each settings_changed entry of the
// audit log lists, by the section it names.
func (d *desk) settingsChanges(t *testing.T) map[string][]map[string]struct{ From, To any } {
	t.Helper()
	got := map[string][]map[string]struct{ From, To any }{}
	err := d.store.EachAudit(t.Context(), func(e store.AuditEntry) error {
		if e.Action != audit.SettingsChanged {
			return nil
		}
		var detail struct {
			Changes map[string]struct{ From, To any }
		}
		if err := json.Unmarshal([]byte(e.Detail), &detail); err != nil {
			return err
		}
		got[e.Target] = append(got[e.Target], detail.Changes)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// wantErrorBy fails the test unless the page shows message as the error
// of field, between the field and the next one.
func wantErrorBy(t *testing.T, page, field, message string) {
	t.Helper()
	at := strings.Index(page, `name="`+field+`"`)
	if at < 0 {
		t.Fatalf("no field %s on the page:\n%s", field, page)
	}
	rest := page[at:]
	next := strings.Index(rest[1:], "<label") + 1
	if next == 0 {
		next = len(rest)
	}
	if !strings.Contains(rest[:next], `<p class="error">`+message) {
		t.Errorf("the page does not say %q by the field %s:\n%s", message, field, rest[:next])
	}
}

// TestSettingsScreen: an admin sees each section of the site settings with
// what is stored, and saves each; a save changes only its section's
// fields and is one audit entry listing each changed field with its old
// and new value (a save that changes nothing is none); the menu offers the
// screen only to admins.
func TestSettingsScreen(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		ctx := t.Context()
		d.courierSettings(t)
		editor, _ := d.readyBrowser(t, "ed@example.org", accounts.Editor)
		if page := editor.get("/admin/articles").Body.String(); strings.Contains(page, `href="/admin/settings"`) {
			t.Error("an editor's menu offers the settings screen")
		}
		wantStatus(t, editor.get("/admin/settings"), http.StatusForbidden)
		for _, title := range []string{"Privacy policy", "About us"} {
			editor.get("/admin/pages/new")
			wantRedirect(t, editor.post("/admin/pages", url.Values{"title": {title}, "body": {"What we do."}}), "/admin/pages/")
		}

		b, _ := d.readyBrowser(t, "admin@example.org", accounts.Admin)
		page := b.get("/admin/settings").Body.String()
		for _, want := range []string{`<a href="/admin/settings">Settings</a>`, `value="The Courier"`, `value="Support The Courier!"`,
			`value="Sign up for our free weekly newsletter"`, `<option value="privacy-policy" selected>Privacy policy (/privacy-policy)</option>`,
			`<option value="about-us">About us (/about-us)</option>`, `<option value="Europe/Moscow">`} {
			if !strings.Contains(page, want) {
				t.Errorf("the settings screen lacks %s", want)
			}
		}

		before := d.storedSettings(t)
		site := b.settingsForm("site")
		site.Set("site_name", " The Evening Courier ")
		site.Set("language", "ru")
		site.Set("time_zone", "Europe/Moscow")
		wantRedirect(t, b.post("/admin/settings/site", site), "/admin/settings?done=site#site")
		want := before
		want.SiteName, want.Language, want.TimeZone = "The Evening Courier", "ru", "Europe/Moscow"
		if diff := cmp.Diff(want, d.storedSettings(t)); diff != "" {
			t.Errorf("after saving the site section (-want +got):\n%s", diff)
		}

		if page := b.get("/admin/settings?done=site").Body.String(); !strings.Contains(page, "Site settings saved.") ||
			!strings.Contains(page, `value="The Evening Courier"`) {
			t.Errorf("the screen after saving:\n%s", page)
		}
		banner := b.settingsForm("banner")
		banner.Del("banner_enabled")
		banner.Set("banner_text", "Support the Evening Courier!")
		wantRedirect(t, b.post("/admin/settings/banner", banner), "/admin/settings?done=banner#banner")
		want.Banner = model.Banner{Enabled: false, Text: "Support the Evening Courier!", LinkText: "Contribute today"}

		b.get("/admin/settings")
		signup := b.settingsForm("newsletter")
		signup.Set("newsletter_heading", "Get the Courier by email")
		signup.Set("newsletter_text", "Every Friday.\r\nFree.")
		signup.Set("newsletter_policy_slug", "about-us")
		wantRedirect(t, b.post("/admin/settings/newsletter", signup), "/admin/settings?done=newsletter#newsletter")
		want.Newsletter.Heading, want.Newsletter.Text, want.Newsletter.PolicySlug = "Get the Courier by email", "Every Friday.\nFree.", "about-us"
		if diff := cmp.Diff(want, d.storedSettings(t)); diff != "" {
			t.Errorf("after saving the banner and the signup block (-want +got):\n%s", diff)
		}

		// Saved again as shown, the text (sent back with CRLF) included:
		// no change, so nothing more in the audit log.
		b.get("/admin/settings")
		wantRedirect(t, b.post("/admin/settings/newsletter", b.settingsForm("newsletter")), "/admin/settings?done=newsletter")
		type change = struct{ From, To any }
		wantChanges := map[string][]map[string]change{
			"site": {{"site_name": {"The Courier", "The Evening Courier"}, "language": {"en", "ru"}, "time_zone": {"UTC", "Europe/Moscow"}}},
			"banner": {{"banner_enabled": {true, false},
				"banner_text": {"Support The Courier!", "Support the Evening Courier!"}}},
			"newsletter": {{"newsletter_heading": {"Sign up for our free weekly newsletter", "Get the Courier by email"},
				"newsletter_text": {before.Newsletter.Text, "Every Friday.\nFree."}, "newsletter_policy_slug": {"privacy-policy", "about-us"}}},
		}
		if diff := cmp.Diff(wantChanges, d.settingsChanges(t)); diff != "" {
			t.Errorf("audit log's settings changes (-want +got):\n%s", diff)
		}
		admin, err := d.store.UserByEmail(ctx, "admin@example.org")
		if err != nil {
			t.Fatal(err)
		}
		if n := d.auditCount(t, admin.ID, audit.SettingsChanged, "site"); n != 1 {
			t.Errorf("%d settings_changed entries by the admin on the site section, want 1", n)
		}
	})
}

// TestSettingsRefuseMistakes: a section with mistakes comes back as typed,
// 422, each mistake by its field, and nothing is saved. The privacy policy
// must be a published page, and the screen says when there is none.
func TestSettingsRefuseMistakes(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		d.courierSettings(t)
		stored := d.storedSettings(t)
		b, _ := d.readyBrowser(t, "admin@example.org", accounts.Admin)
		refused := func(section string, change func(url.Values)) string {
			t.Helper()
			b.get("/admin/settings")
			form := b.settingsForm(section)
			change(form)
			w := b.post("/admin/settings/"+section, form)
			wantStatus(t, w, http.StatusUnprocessableEntity)
			if !strings.Contains(w.Body.String(), "nothing was saved") {
				t.Errorf("the refused %s form does not say that nothing was saved", section)
			}
			if diff := cmp.Diff(stored, d.storedSettings(t)); diff != "" {
				t.Errorf("a refused %s form changed the settings (-before +after):\n%s", section, diff)
			}
			return w.Body.String()
		}

		page := b.get("/admin/settings").Body.String()
		if !strings.Contains(page, "No static page is published yet") {
			t.Error("with no pages, the screen does not say there is no policy to choose")
		}
		body := refused("newsletter", func(f url.Values) { f.Set("newsletter_heading", "Our newsletter") })
		wantErrorBy(t, body, "newsletter_policy_slug", "No static page is published yet")
		if !strings.Contains(body, `value="Our newsletter"`) {
			t.Error("the refused signup block lost the heading typed")
		}
		// With the block off, its policy may stay as it is.
		b.get("/admin/settings")
		off := b.settingsForm("newsletter")
		off.Del("newsletter_enabled")
		wantRedirect(t, b.post("/admin/settings/newsletter", off), "/admin/settings?done=newsletter")
		stored = d.storedSettings(t)

		body = refused("site", func(f url.Values) {
			f.Set("site_name", "  ")
			f.Set("language", "Russian")
			f.Set("time_zone", "Mars/Olympus")
			f.Set("site_description", "Typed and kept")
		})
		wantErrorBy(t, body, "site_name", "Give the site a name")
		wantErrorBy(t, body, "language", "&#34;Russian&#34; is not a language code")
		wantErrorBy(t, body, "time_zone", "&#34;Mars/Olympus&#34; is not a time zone this server knows")
		for _, typed := range []string{`value="Mars/Olympus"`, `value="Russian"`, ">Typed and kept</textarea>"} {
			if !strings.Contains(body, typed) {
				t.Errorf("the refused form lost %s", typed)
			}
		}
		body = refused("banner", func(f url.Values) { f.Set("banner_text", ""); f.Set("banner_link_text", "Give") })
		wantErrorBy(t, body, "banner_text", "The banner shows a sentence")

		b.get("/admin/pages/new")
		wantRedirect(t, b.post("/admin/pages", url.Values{"title": {"Privacy policy"}, "body": {"We keep little."}}), "/admin/pages/")
		body = refused("newsletter", func(f url.Values) {
			f.Set("newsletter_enabled", "yes")
			f.Set("newsletter_policy_slug", "no-such-page")
			f.Set("newsletter_consent_text", "")
		})
		wantErrorBy(t, body, "newsletter_policy_slug", "There is no published page at /no-such-page")
		wantErrorBy(t, body, "newsletter_consent_text", "Say what readers agree to")
	})
}

// TestSettingsKeepConcurrentChanges: two admins opened the screen; one
// saves the site section while the other saves the banner, at the same
// moment: both changes stay. Then the second saves the site section from
// the page opened before the first's change: refused with a 409 that says
// what the section holds now, keeping what was typed, and saving that
// again replaces it on purpose.
func TestSettingsKeepConcurrentChanges(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		d.courierSettings(t)
		ann, _ := d.readyBrowser(t, "ann@example.org", accounts.Admin)
		bob, _ := d.readyBrowser(t, "bob@example.org", accounts.Admin)
		ann.get("/admin/settings")
		annSite := ann.settingsForm("site")
		annSite.Set("site_name", "The Morning Courier")
		bob.get("/admin/settings")
		bobSite, bobBanner := bob.settingsForm("site"), bob.settingsForm("banner")
		bobBanner.Set("banner_text", "Keep the Courier going!")
		site, banner := postAtOnce(ann, "/admin/settings/site", annSite, bob, "/admin/settings/banner", bobBanner)
		wantRedirect(t, site, "/admin/settings?done=site")
		wantRedirect(t, banner, "/admin/settings?done=banner")
		if s := d.storedSettings(t); s.SiteName != "The Morning Courier" || s.Banner.Text != "Keep the Courier going!" {
			t.Fatalf("after both saves: name %q, banner %q", s.SiteName, s.Banner.Text)
		}

		// Bob's site form still shows the name from before Ann's save.
		bobSite.Set("site_name", "The Night Courier")
		bobSite.Set("time_zone", "Europe/Riga")
		w := bob.post("/admin/settings/site", bobSite)
		wantStatus(t, w, http.StatusConflict)
		for _, want := range []string{"Someone else changed this after you opened the page: the site&#39;s name is now “The Morning Courier”.",
			"Last changed by ann@example.org at " + d.clock.Now().UTC().Format("2 Jan 2006 15:04 UTC") + ".",
			`value="The Night Courier"`, `value="Europe/Riga"`, `name="site_name_was" value="The Morning Courier"`} {
			if !strings.Contains(w.Body.String(), want) {
				t.Errorf("the refused save's page lacks %q:\n%s", want, w.Body)
			}
		}
		if s := d.storedSettings(t); s.SiteName != "The Morning Courier" || s.TimeZone != "UTC" {
			t.Fatalf("a stale save changed the site section: %q, %q", s.SiteName, s.TimeZone)
		}
		wantRedirect(t, bob.post("/admin/settings/site", bob.settingsForm("site")), "/admin/settings?done=site")
		if s := d.storedSettings(t); s.SiteName != "The Night Courier" || s.TimeZone != "Europe/Riga" || s.Banner.Text != "Keep the Courier going!" {
			t.Errorf("after saving the kept form again: name %q, zone %q, banner %q", s.SiteName, s.TimeZone, s.Banner.Text)
		}
	})
}
