package admin_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
)

// firstRecordRevision finds the link to revision 1 on a record's edit
// screen under base.
func firstRecordRevision(t *testing.T, base, page string) string {
	t.Helper()
	m := regexp.MustCompile(`href="` + regexp.QuoteMeta(base) + `/revisions/([0-9a-f-]{36})">1<`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no link to revision 1 on %s:\n%s", base, page)
	}
	return base + "/revisions/" + m[1]
}

func TestRecordRevisionsOverHTTP(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		ctx := t.Context()
		b, _ := d.readyBrowser(t, "ed@example.org", accounts.Editor)

		// A static page: two saves, then the first restored.
		b.get("/admin/pages/new")
		w := b.post("/admin/pages", url.Values{"title": {"About us"}, "body": {"We *report*."}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("saving a page: %d\n%s", w.Code, w.Body)
		}
		base, _, _ := strings.Cut(w.Header().Get("Location"), "?")
		d.clock.Advance(time.Minute)
		wantRedirect(t, b.save(base, url.Values{"title": {"Who we are"}, "slug": {"about-us"}, "body": {"We report and check."}}), base+"?done=saved")
		edit := b.get(base).Body.String()
		for _, want := range []string{"<h2>Revisions</h2>", "ed@example.org", "10 Mar 2025 12:00 UTC", "10 Mar 2025 12:01 UTC", "2</a> (current)"} {
			if !strings.Contains(edit, want) {
				t.Errorf("the page's edit screen lacks %q:\n%s", want, edit)
			}
		}
		first := firstRecordRevision(t, base, edit)
		view := b.get(first)
		wantStatus(t, view, http.StatusOK)
		if !strings.Contains(view.Body.String(), "We *report*.") || !strings.Contains(view.Body.String(), "About us") ||
			!strings.Contains(view.Body.String(), "Restore this revision") {
			t.Errorf("revision 1 of the page:\n%s", view.Body)
		}
		wantRedirect(t, b.post(first+"/restore", nil), base+"?done=restored")
		site := d.site.Routes(func(h http.Handler) http.Handler { return h })
		rec := httptest.NewRecorder()
		site.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/about-us", nil))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "We <em>report</em>.") {
			t.Errorf("the site after the restore: %d\n%s", rec.Code, rec.Body)
		}
		edit = b.get(base + "?done=restored").Body.String()
		if !strings.Contains(edit, "3</a> (current)") || !strings.Contains(edit, "The old revision is restored") {
			t.Errorf("the edit screen after the restore:\n%s", edit)
		}
		// Revision 1 is no longer current, and is found only under its page.
		if strings.Contains(b.get(first).Body.String(), "This is the current version") {
			t.Error("revision 1 calls itself current")
		}
		wantStatus(t, b.get(strings.Replace(first, "/admin/pages/", "/admin/tags/", 1)), http.StatusNotFound)

		// A tag whose old slug another tag took since cannot be restored.
		b.get("/admin/tags")
		wantRedirect(t, b.post("/admin/tags", url.Values{"name": {"War"}}), "/admin/tags?done=saved")
		war, err := d.store.TagBySlug(ctx, "war")
		if err != nil {
			t.Fatal(err)
		}
		tagBase := "/admin/tags/" + war.ID
		wantRedirect(t, b.save(tagBase, url.Values{"name": {"The war"}, "slug": {"the-war"}}), "/admin/tags?done=saved")
		b.get("/admin/tags")
		wantRedirect(t, b.post("/admin/tags", url.Values{"name": {"War games"}, "slug": {"war"}}), "/admin/tags?done=saved")
		first = firstRecordRevision(t, tagBase, b.get(tagBase).Body.String())
		b.get(first)
		w = b.post(first+"/restore", nil)
		wantStatus(t, w, http.StatusConflict)
		if !strings.Contains(w.Body.String(), "now used by another tag") {
			t.Errorf("the refused restore's page:\n%s", w.Body)
		}
		if got, _, err := d.store.TagByID(ctx, war.ID); err != nil || got.Name != "The war" {
			t.Errorf("the tag after a refused restore: %+v, %v", got, err)
		}

		// A byline's kind and biography come back.
		b.get("/admin/bylines")
		wantRedirect(t, b.post("/admin/bylines", url.Values{"name": {"Ann"}, "kind": {"staff"}, "bio": {"Reporter."}}), "/admin/bylines?done=saved")
		ann, err := d.store.AuthorBySlug(ctx, "ann")
		if err != nil {
			t.Fatal(err)
		}
		bylineBase := "/admin/bylines/" + ann.ID
		wantRedirect(t, b.save(bylineBase, url.Values{"name": {"Ann"}, "kind": {"pseudonym"}, "slug": {"ann"}}), "/admin/bylines?done=saved")
		first = firstRecordRevision(t, bylineBase, b.get(bylineBase).Body.String())
		b.get(first)
		wantRedirect(t, b.post(first+"/restore", nil), bylineBase+"?done=restored")
		if got, _, err := d.store.AuthorByID(ctx, ann.ID); err != nil || got.Kind != "staff" || got.Bio != "Reporter." {
			t.Errorf("the byline after the restore: %+v, %v", got, err)
		}

		// Authors neither read nor restore them.
		author, _ := d.readyBrowser(t, "a@example.org", accounts.Author)
		wantStatus(t, author.get(first), http.StatusForbidden)
	})
}

// TestConcurrentRecordSavesOverHTTP: two editors open the form of the same
// tag, byline or page and save it at the same moment. One save wins; the
// other gets the form back with its values kept, a 409 saying someone
// else saved it and when, and the revision it ran into, so that sending
// the form again replaces the winner's save on purpose.
func TestConcurrentRecordSavesOverHTTP(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		ctx := t.Context()
		ann, _ := d.readyBrowser(t, "ann@example.org", accounts.Editor)
		bob, _ := d.readyBrowser(t, "bob@example.org", accounts.Editor)
		for _, c := range []struct {
			noun, list string
			create     url.Values
			id         func() (string, error) // the new record's
			// form is a save of the record under name.
			form func(name string) url.Values
			// name is the stored one.
			name func(id string) (string, error)
		}{
			{"tag", "/admin/tags", url.Values{"name": {"War"}},
				func() (string, error) { tag, err := d.store.TagBySlug(ctx, "war"); return tag.ID, err },
				func(name string) url.Values { return url.Values{"name": {name}, "slug": {"war"}} },
				func(id string) (string, error) { tag, _, err := d.store.TagByID(ctx, id); return tag.Name, err }},
			{"byline", "/admin/bylines", url.Values{"name": {"Ann"}, "kind": {"staff"}},
				func() (string, error) { au, err := d.store.AuthorBySlug(ctx, "ann"); return au.ID, err },
				func(name string) url.Values { return url.Values{"name": {name}, "slug": {"ann"}, "kind": {"staff"}} },
				func(id string) (string, error) { au, _, err := d.store.AuthorByID(ctx, id); return au.Name, err }},
			{"page", "/admin/pages", url.Values{"title": {"About"}, "body": {"We report."}},
				func() (string, error) { p, err := d.store.PageBySlug(ctx, "about"); return p.ID, err },
				func(name string) url.Values {
					return url.Values{"title": {name}, "slug": {"about"}, "body": {"We report."}}
				},
				func(id string) (string, error) { p, _, err := d.store.PageByID(ctx, id); return p.Title, err }},
		} {
			ann.get(c.list)
			if w := ann.post(c.list, c.create); w.Code != http.StatusSeeOther {
				t.Fatalf("creating the %s: %d\n%s", c.noun, w.Code, w.Body)
			}
			id, err := c.id()
			if err != nil {
				t.Fatal(err)
			}
			path := c.list + "/" + id
			d.clock.Advance(time.Minute)
			saves := [2]struct {
				b    *browser
				name string
				form url.Values
				w    *httptest.ResponseRecorder
			}{{b: ann, name: "Ann's " + c.noun}, {b: bob, name: "Bob's " + c.noun}}
			for i := range saves {
				s := &saves[i]
				page := s.b.get(path).Body.String()
				s.form = c.form(s.name)
				s.form.Set("revision", revisionOn(t, page))
				s.form.Set("csrf", s.b.csrf())
			}
			var wg sync.WaitGroup
			for i := range saves {
				s := &saves[i]
				wg.Go(func() { s.w = s.b.do(http.MethodPost, path, s.form) })
			}
			wg.Wait()
			if saves[0].w.Code == http.StatusConflict {
				saves[0], saves[1] = saves[1], saves[0]
			}
			winner, loser := saves[0], saves[1]
			wantStatus(t, winner.w, http.StatusSeeOther)
			wantStatus(t, loser.w, http.StatusConflict)
			page := loser.w.Body.String()
			for _, want := range []string{"Someone else saved this " + c.noun + " at " + d.clock.Now().Format("2 Jan 2006 15:04 UTC"), "was not saved",
				`value="` + strings.ReplaceAll(loser.name, "'", "&#39;") + `"`} {
				if !strings.Contains(page, want) {
					t.Errorf("%s: the refused save's page lacks %q:\n%s", c.noun, want, page)
				}
			}
			if got, err := c.name(id); err != nil || got != winner.name {
				t.Errorf("%s after the two saves: %q, %v; want the winner's %q", c.noun, got, err, winner.name)
			}
			if got := revisionOn(t, page); got != "2" {
				t.Errorf("%s: the refused save's form is at revision %s, want the winner's, 2", c.noun, got)
			}
			// Sent again, the kept form replaces the winner's save.
			again := loser.form
			again.Set("revision", revisionOn(t, page))
			again.Del("csrf")
			wantRedirect(t, loser.b.post(path, again), c.list)
			if got, err := c.name(id); err != nil || got != loser.name {
				t.Errorf("%s after the kept form was sent again: %q, %v; want %q", c.noun, got, err, loser.name)
			}
		}
	})
}
