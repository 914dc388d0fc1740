package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/demo"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// TestAppealTargetingAndCache changes appeals under a warm page cache and
// checks that each article page shows the most specific active appeal (tag,
// then language, then all articles) at its placement as soon as the
// content version moves.
func TestAppealTargetingAndCache(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h, refresh := demoSite(t, st)
		ctx := context.Background()
		seed := "/articles/" + content.Slug(seedTitle)
		other := "/articles/" + content.Slug("U.S. Curbs Intelligence Sharing With Ukraine – WP") // not tagged Lavrov
		allHeading := "A Message from " + demo.SiteName + ":"
		page := func(path string) string {
			t.Helper()
			w := get(h, path)
			if w.Code != 200 {
				t.Fatalf("GET %s = %d", path, w.Code)
			}
			return w.Body.String()
		}
		save := func(ap *model.Appeal) {
			t.Helper()
			before, err := st.ContentVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.SaveAppeal(ctx, ap); err != nil {
				t.Fatal(err)
			}
			v, err := st.ContentVersion(ctx)
			if err != nil || v <= before {
				t.Fatalf("content version %d after saving an appeal, was %d (%v)", v, before, err)
			}
			if err := refresh(ctx, v); err != nil {
				t.Fatal(err)
			}
		}
		if body := page(seed); !strings.Contains(body, allHeading) {
			t.Fatal("the seed page lacks the appeal for all articles")
		}
		page(other) // both pages are now in the cache

		english := model.DefaultAppeal(demo.SiteName)
		english.Heading, english.Placement, english.Target = "For our English readers", model.PlacementInline, model.Target{Kind: model.TargetLanguage, Value: "en"}
		save(&english)
		body := page(seed)
		inline := strings.Index(body, "For our English readers")
		third := strings.Index(body, "The statement gave no details")
		fourth := strings.Index(body, "Rubio also updated Lavrov")
		if strings.Contains(body, allHeading) || inline < 0 || !(third < inline && inline < fourth) {
			t.Errorf("the language appeal is not inline after the third paragraph (at %d, paragraphs at %d and %d; appeal for all shown: %v)",
				inline, third, fourth, strings.Contains(body, allHeading))
		}

		lavrovTag, err := st.TagBySlug(ctx, "lavrov")
		if err != nil {
			t.Fatal(err)
		}
		settingsBanner := "Support " + demo.SiteName + "!"
		lavrov := model.DefaultAppeal(demo.SiteName)
		lavrov.Heading, lavrov.ButtonText, lavrov.Placement = "Lavrov watch", "Back our Lavrov desk", model.PlacementBanner
		lavrov.Target = model.Target{Kind: model.TargetTag, Value: lavrovTag.ID}
		save(&lavrov)
		body = page(seed)
		banner, masthead := strings.Index(body, "Lavrov watch"), strings.Index(body, `class="masthead"`)
		if banner < 0 || banner > masthead || !strings.Contains(body, `href="../support/appeal/`+lavrov.ID+`">Back our Lavrov desk</a>`) {
			t.Errorf("the tag's site banner appeal is not the strip above the masthead linking to its donation page (at %d, masthead at %d)", banner, masthead)
		}
		if !strings.Contains(body, "For our English readers") || strings.Contains(body, settingsBanner) {
			t.Errorf("with a banner appeal, the article's own appeal is gone (%v) or the settings' banner still shows (%v)",
				!strings.Contains(body, "For our English readers"), strings.Contains(body, settingsBanner))
		}
		if body := page(other); !strings.Contains(body, "For our English readers") || strings.Contains(body, "Lavrov watch") || !strings.Contains(body, settingsBanner) {
			t.Error("an article without the tag does not show the language appeal under the settings' banner")
		}

		// A site banner appeal for all articles takes the strip on every
		// reader page; the tag's stays the more specific on its articles.
		everywhere := model.DefaultAppeal(demo.SiteName)
		everywhere.Heading, everywhere.ButtonText, everywhere.Placement = "Keep us independent", "Give now", model.PlacementBanner
		save(&everywhere)
		for path, root := range map[string]string{"/": "./", "/tags/lavrov": "../", "/about": "./", "/archive": "./", other: "../"} {
			body := page(path)
			if !strings.Contains(body, `<a href="`+root+`support/appeal/`+everywhere.ID+`">Give now</a>`) || strings.Contains(body, settingsBanner) ||
				!strings.Contains(body, `data-appeal-seen="`+root+`support/seen/`+everywhere.ID+`"`) {
				t.Errorf("%s does not show the site banner appeal for all articles in its strip", path)
			}
		}
		if body := page(seed); !strings.Contains(body, "Lavrov watch") || strings.Contains(body, "Keep us independent") {
			t.Error("the tag's banner appeal does not beat the one for all articles on its article")
		}
		// "Remind me later" hides the strip as it hides the article's
		// appeal, without JavaScript too.
		hidden := get(h, "/", "Cookie", "tz_appeal_hidden="+time.Now().UTC().AddDate(0, 0, 3).Format(time.DateOnly)).Body.String()
		if strings.Contains(hidden, "Keep us independent") || !strings.Contains(hidden, `class="masthead"`) {
			t.Error("the front page with the remind-me-later cookie still shows the banner appeal")
		}
		if form := page("/"); !strings.Contains(form, `<input type="hidden" name="return" value="">`) ||
			!strings.Contains(form, `action="./support/remind-later" data-remind-days="14"`) {
			t.Error("the banner's Remind me later form does not return to the front page")
		}
		everywhere.Active = false
		save(&everywhere)
		if body := page("/"); !strings.Contains(body, settingsBanner) || strings.Contains(body, "Keep us independent") {
			t.Error("with no site banner appeal running, the front page does not fall back to the settings' banner")
		}

		lavrov.Active = false
		save(&lavrov)
		if body := page(seed); strings.Contains(body, "Lavrov watch") || !strings.Contains(body, "For our English readers") {
			t.Error("a switched-off appeal still shows, or the next most specific one does not")
		}
		if body := page("/support"); !strings.Contains(body, allHeading) {
			t.Error("the donation page the banner links to does not show the appeal for all articles")
		}
	})
}
