package admin_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/model"
)

func TestTagsAndBylinesPages(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		ctx := t.Context()
		b, _ := d.readyBrowser(t, "ed@example.org", accounts.Editor)
		b.get("/admin/tags")
		wantRedirect(t, b.post("/admin/tags", url.Values{"name": {"Elections"}, "description": {"Votes."}}), "/admin/tags?done=saved")
		b.get("/admin/tags")
		w := b.post("/admin/tags", url.Values{"name": {"Other"}, "slug": {"elections"}})
		wantStatus(t, w, http.StatusUnprocessableEntity)
		if !strings.Contains(w.Body.String(), "already taken") || !strings.Contains(w.Body.String(), `value="Other"`) {
			t.Errorf("the slug collision page:\n%s", w.Body)
		}
		tag, err := d.store.TagBySlug(ctx, "elections")
		if err != nil {
			t.Fatal(err)
		}
		wantRedirect(t, b.save("/admin/tags/"+tag.ID, url.Values{"name": {"Elections 2025"}, "slug": {"elections"}}), "/admin/tags")
		b.get("/admin/tags/" + tag.ID)
		wantStatus(t, b.post("/admin/tags/"+tag.ID+"/delete", nil), http.StatusUnprocessableEntity)
		if got, _, err := d.store.TagByID(ctx, tag.ID); err != nil || got.Name != "Elections 2025" {
			t.Fatalf("the tag after an unconfirmed delete: %+v, %v", got, err)
		}
		// A delete from a page opened before another editor's save is
		// refused, and the page shows the tag as it is now.
		opened := revisionOn(t, b.get("/admin/tags/"+tag.ID).Body.String())
		other, _ := d.readyBrowser(t, "other@example.org", accounts.Editor)
		wantRedirect(t, other.save("/admin/tags/"+tag.ID, url.Values{"name": {"Elections 2026"}, "slug": {"elections"}}), "/admin/tags")
		w = b.post("/admin/tags/"+tag.ID+"/delete", url.Values{"confirm": {"yes"}, "revision": {opened}})
		wantStatus(t, w, http.StatusConflict)
		if page := w.Body.String(); !strings.Contains(page, "after you opened it. It was not deleted.") || !strings.Contains(page, `value="Elections 2026"`) {
			t.Errorf("the page of a stale delete:\n%s", page)
		}
		if got, _, err := d.store.TagByID(ctx, tag.ID); err != nil || got.Name != "Elections 2026" {
			t.Fatalf("the tag after a stale delete: %+v, %v", got, err)
		}
		current := revisionOn(t, w.Body.String())
		wantRedirect(t, b.post("/admin/tags/"+tag.ID+"/delete", url.Values{"confirm": {"yes"}, "revision": {current}}), "/admin/tags?done=deleted")

		b.get("/admin/bylines")
		wantRedirect(t, b.post("/admin/bylines", url.Values{"name": {"Reuters"}, "kind": {"agency"}}), "/admin/bylines?done=saved")
		b.get("/admin/bylines")
		wantStatus(t, b.post("/admin/bylines", url.Values{"name": {"Someone"}, "kind": {"user"}}), http.StatusUnprocessableEntity)
		au, err := d.store.AuthorBySlug(ctx, "reuters")
		if err != nil || au.Kind != model.AuthorAgency {
			t.Fatalf("the new byline: %+v, %v", au, err)
		}
		if page := b.get("/admin/bylines/" + au.ID).Body.String(); !strings.Contains(page, `value="Reuters"`) {
			t.Errorf("the byline's page:\n%s", page)
		}

		// Authors pick tags and bylines but do not manage them.
		author, _ := d.readyBrowser(t, "a@example.org", accounts.Author)
		for _, path := range []string{"/admin/tags", "/admin/bylines", "/admin/pages"} {
			wantStatus(t, author.get(path), http.StatusForbidden)
		}
	})
}

func TestStaticPages(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		b, _ := d.readyBrowser(t, "ed@example.org", accounts.Editor)
		b.get("/admin/pages/new")
		w := b.post("/admin/pages", url.Values{"title": {"Archive"}, "body": {"x"}})
		wantStatus(t, w, http.StatusUnprocessableEntity)
		if !strings.Contains(w.Body.String(), "belongs to the site itself") {
			t.Errorf("a reserved address is not explained:\n%s", w.Body)
		}
		b.get("/admin/pages/new")
		w = b.post("/admin/pages", url.Values{"title": {"Privacy Policy"}, "body": {"We keep **nothing**.<script>x()</script>"}})
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/admin/pages/") {
			t.Fatalf("saving a page: %d to %q\n%s", w.Code, w.Header().Get("Location"), w.Body)
		}
		site := d.site.Routes(func(h http.Handler) http.Handler { return h })
		rec := httptest.NewRecorder()
		site.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/privacy-policy", nil))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "We keep <strong>nothing</strong>.") ||
			strings.Contains(rec.Body.String(), "x()") {
			t.Errorf("the page on the site: %d\n%s", rec.Code, rec.Body)
		}
		if list := b.get("/admin/pages").Body.String(); !strings.Contains(list, "/privacy-policy") {
			t.Errorf("the list of pages:\n%s", list)
		}
	})
}

// TestBylinesHideAccounts (requirement S8): an article written and
// published by a staff account under a pseudonym shows nothing of the
// account, on the site or in a preview link.
func TestBylinesHideAccounts(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		u := d.user(t, "canary-7f3a9@example.org", accounts.Editor)
		b := d.browser(t)
		b.enrolPasskey(u.Email)
		form := articleForm("Inside the ministry")
		form.Set("new_byline", "Ivan Petrov")
		form.Set("new_byline_kind", "pseudonym")
		id := b.write(form)
		b.get("/admin/articles/" + id)
		m := sharedLinkRE.FindStringSubmatch(b.post("/admin/articles/"+id+"/preview-links", nil).Body.String())
		if m == nil {
			t.Fatal("no preview link")
		}
		wantRedirect(t, b.edit(id, form, "publish"), "/admin/articles/"+id+"?done=published")

		mux := http.NewServeMux()
		mux.Handle("GET /preview/{token}", d.site.PreviewHandler(d.editor.Preview))
		mux.Handle("/", d.site.Routes(func(h http.Handler) http.Handler { return h }))
		for _, path := range []string{"/articles/inside-the-ministry", m[1], "/", "/authors/ivan-petrov"} {
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
			page := w.Body.String()
			if w.Code != http.StatusOK || (path != "/" && !strings.Contains(page, "Ivan Petrov")) {
				t.Errorf("%s: %d, without the byline", path, w.Code)
			}
			for _, secret := range []string{u.Email, "canary-7f3a9", u.ID} {
				if strings.Contains(page, secret) {
					t.Errorf("%s shows the account's %q", path, secret)
				}
			}
		}
	})
}
