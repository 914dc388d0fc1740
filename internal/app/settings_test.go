package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tamizdat/tamizdat/internal/demo"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// TestSettingsReachCachedPages saves the site's name and the support
// banner on the desk's settings screen and finds both on the front page,
// which was in the page cache before, once the content version the save
// moved reaches the server.
func TestSettingsReachCachedPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h, refresh := demoSite(t, st)
		before := get(h, "/")
		if body := before.Body.String(); !strings.Contains(body, demo.SiteName) || !strings.Contains(body, "Support "+demo.SiteName+"!") {
			t.Fatalf("the front page lacks the demo's name or banner:\n%s", body)
		}
		version, err := st.ContentVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}

		_, signedIn := demoDeskSignIn(t, h)
		session := signedIn.Result().Cookies()
		page := deskSend(h, http.MethodGet, deskURL+"/admin/settings", nil, session)
		token := csrfField.FindStringSubmatch(page.Body.String())
		if page.Code != http.StatusOK || token == nil {
			t.Fatalf("the settings screen = %d\n%s", page.Code, page.Body)
		}
		s, err := st.Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		site := url.Values{"csrf": {token[1]}, "site_name": {"The Free Courier"}, "site_description": {s.SiteDescription},
			"language": {s.Language}, "time_zone": {s.TimeZone}, "site_name_was": {s.SiteName},
			"site_description_was": {s.SiteDescription}, "language_was": {s.Language}, "time_zone_was": {s.TimeZone}}
		banner := url.Values{"csrf": {token[1]}, "banner_enabled": {"yes"}, "banner_text": {"Keep the Free Courier free!"},
			"banner_link_text": {"Chip in"}, "banner_enabled_was": {"yes"}, "banner_text_was": {s.Banner.Text},
			"banner_link_text_was": {s.Banner.LinkText}}
		for section, form := range map[string]url.Values{"site": site, "banner": banner} {
			w := deskSend(h, http.MethodPost, deskURL+"/admin/settings/"+section, form, session)
			if w.Code != http.StatusSeeOther {
				t.Fatalf("saving the %s settings = %d\n%s", section, w.Code, w.Body)
			}
		}

		after, err := st.ContentVersion(ctx)
		if err != nil || after <= version {
			t.Fatalf("content version %d after the saves, was %d (%v)", after, version, err)
		}
		if err := refresh(ctx, after); err != nil {
			t.Fatal(err)
		}
		w := get(h, "/")
		text := visibleText(t, w.Body.String())
		for _, want := range []string{"The Free Courier", "Keep the Free Courier free! Chip in"} {
			if !strings.Contains(text, want) {
				t.Errorf("the front page after the saves lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, demo.SiteName) || w.Header().Get("ETag") == before.Header().Get("ETag") {
			t.Errorf("the front page still shows the old name, or the cached copy (ETag %s)", w.Header().Get("ETag"))
		}
	})
}
