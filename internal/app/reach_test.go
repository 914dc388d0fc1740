package app

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tamizdat/tamizdat/internal/content"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// TestMirrorsAndOnion serves the site under its main host, a mirror and its
// onion address, and checks requirements C2 and C4 through the whole stack.
func TestMirrorsAndOnion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h, refresh := demoSite(t, st)
		onion := "http://" + strings.Repeat("n4", 28) + ".onion"
		ctx := context.Background()
		settings, err := st.Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		settings.OnionURL = onion
		if err := st.SaveSettings(ctx, settings); err != nil {
			t.Fatal(err)
		}
		addMirrors(t, st, refresh, "https://mirror.example/")
		article := "/articles/" + content.Slug(seedTitle)

		main := get(h, article)
		if got := main.Header().Get("Onion-Location"); got != onion+article {
			t.Errorf("Onion-Location on the main host = %q, want %q", got, onion+article)
		}
		mirror := get(h, "https://mirror.example"+article)
		if mirror.Code != 200 || mirror.Header().Get("Onion-Location") == "" {
			t.Errorf("mirror: %d, Onion-Location %q", mirror.Code, mirror.Header().Get("Onion-Location"))
		}
		if n := strings.Count(mirror.Body.String(), `href="https://news.example`); n != 1 {
			t.Errorf("the page served on the mirror links %d times to the main host; only the canonical link may", n)
		}
		viaOnion := get(h, onion+article)
		if viaOnion.Code != 200 || viaOnion.Header().Get("Onion-Location") != "" || viaOnion.Header().Get("Strict-Transport-Security") != "" {
			t.Errorf("onion: %d, Onion-Location %q, HSTS %q", viaOnion.Code, viaOnion.Header().Get("Onion-Location"), viaOnion.Header().Get("Strict-Transport-Security"))
		}
		stranger := get(h, "https://unlisted.example"+article)
		if stranger.Code != 421 || stranger.Header().Get("Location") != "" {
			t.Errorf("unlisted host: %d, Location %q; want 421 and no redirect", stranger.Code, stranger.Header().Get("Location"))
		}

		list := get(h, "/mirrors.json")
		var parsed struct {
			Sites []struct {
				MainDomain   string                              `json:"main_domain"`
				Alternatives []struct{ URL, Proto, Type string } `json:"available_alternatives"`
			} `json:"sites"`
		}
		if err := json.Unmarshal(list.Body.Bytes(), &parsed); err != nil {
			t.Fatal(err)
		}
		if len(parsed.Sites) != 1 || parsed.Sites[0].MainDomain != "news.example" || len(parsed.Sites[0].Alternatives) != 2 ||
			parsed.Sites[0].Alternatives[0].URL != onion || parsed.Sites[0].Alternatives[1].URL != "https://mirror.example/" {
			t.Errorf("mirror list: %s", list.Body.String())
		}
	})
}
