package app

import (
	"context"
	"strings"
	"testing"

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

		lavrov := model.DefaultAppeal(demo.SiteName)
		lavrov.Heading, lavrov.Placement, lavrov.Target = "Lavrov watch", model.PlacementBanner, model.Target{Kind: model.TargetTag, Value: "lavrov"}
		save(&lavrov)
		body = page(seed)
		banner, title := strings.Index(body, "Lavrov watch"), strings.Index(body, "<h1>"+seedTitle)
		if banner < 0 || banner > title || !strings.Contains(body, `href="../support/appeal/`+lavrov.ID+`"`) || strings.Contains(body, "For our English readers") {
			t.Errorf("the tag's appeal is not a banner above the article linking to its donation page (at %d, title at %d)", banner, title)
		}
		if body := page(other); !strings.Contains(body, "For our English readers") || strings.Contains(body, "Lavrov watch") {
			t.Error("an article without the tag does not show the language appeal")
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
