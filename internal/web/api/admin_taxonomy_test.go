package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web/api"
)

func TestAdminTaxonomyAndPages(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		var tag struct{ Tag api.TagJSON }
		e.call(request{method: "POST", path: "/api/v1/admin/tags", role: editor, body: `{"name":"Elections 2025","description":"Votes."}`}, http.StatusCreated, &tag)
		if tag.Tag.Slug != "elections-2025" || tag.Tag.ID == "" {
			t.Fatalf("created tag %+v", tag.Tag)
		}
		// Renaming keeps the slug unless a new one is given.
		e.call(request{method: "PATCH", path: "/api/v1/admin/tags/" + tag.Tag.ID, role: editor, body: `{"name":"Elections"}`}, http.StatusOK, &tag)
		if tag.Tag.Slug != "elections-2025" || tag.Tag.Name != "Elections" || tag.Tag.Description != "Votes." {
			t.Errorf("renamed tag %+v", tag.Tag)
		}
		e.call(request{method: "PATCH", path: "/api/v1/admin/tags/" + tag.Tag.ID, role: editor, body: `{"slug":"elections"}`}, http.StatusOK, &tag)
		if tag.Tag.Slug != "elections" {
			t.Errorf("new slug: %+v", tag.Tag)
		}
		// Each save is a revision; a key is no account, so none is named.
		revs, err := e.st.RecordRevisions(t.Context(), store.KindTag, tag.Tag.ID)
		if err != nil || len(revs) != 3 || revs[0].Number != 3 || revs[0].SavedBy != "" || revs[1].Title != "Elections" {
			t.Errorf("the tag's revisions: %+v, %v", revs, err)
		}

		var byline struct{ Author api.AuthorJSON }
		e.call(request{method: "POST", path: "/api/v1/admin/authors", role: editor, body: `{"name":"Agence","kind":"agency"}`}, http.StatusCreated, &byline)
		e.call(request{method: "PATCH", path: "/api/v1/admin/authors/" + byline.Author.ID, role: editor, body: `{"bio":"Wire."}`}, http.StatusOK, &byline)
		if byline.Author.Bio != "Wire." || byline.Author.Kind != "agency" || byline.Author.Slug != "agence" {
			t.Errorf("byline %+v", byline.Author)
		}
		e.call(request{method: "PATCH", path: "/api/v1/admin/authors/" + byline.Author.ID, role: editor, body: `{"kind":"user"}`}, http.StatusUnprocessableEntity, nil)

		a := e.createArticle(editor, `{"title":"Tagged","tags":["elections"],"authors":["agence"]}`)
		if len(a.Tags) != 1 || len(a.Authors) != 1 {
			t.Fatalf("article %+v", a)
		}

		var page struct{ Page api.PageJSON }
		e.call(request{method: "POST", path: "/api/v1/admin/pages", role: editor, body: `{"title":"About","markdown":"We *report*.<script>x()</script>"}`}, http.StatusCreated, &page)
		// An empty language is the site's.
		if page.Page.Slug != "about" || strings.TrimSpace(page.Page.HTML) != "<p>We <em>report</em>.</p>" || page.Page.Language != "" {
			t.Errorf("page %+v", page.Page)
		}
		e.call(request{method: "PATCH", path: "/api/v1/admin/pages/" + page.Page.ID, role: editor, body: `{"title":"About us"}`}, http.StatusOK, &page)
		if page.Page.Slug != "about" || page.Page.Title != "About us" || page.Page.Markdown != "We *report*.<script>x()</script>" {
			t.Errorf("page after rename %+v", page.Page)
		}
		// A page cannot take an address the site uses itself.
		e.call(request{method: "POST", path: "/api/v1/admin/pages", role: editor, body: `{"title":"API","slug":"api"}`}, http.StatusUnprocessableEntity, nil)

		for _, path := range []string{"tags/" + tag.Tag.ID, "authors/" + byline.Author.ID, "pages/" + page.Page.ID} {
			e.call(request{method: "DELETE", path: "/api/v1/admin/" + path, role: author}, http.StatusForbidden, nil)
			e.call(request{method: "DELETE", path: "/api/v1/admin/" + path, role: editor}, http.StatusNoContent, nil)
			e.call(request{method: "DELETE", path: "/api/v1/admin/" + path, role: editor}, http.StatusNotFound, nil)
		}
		var doc struct{ Article api.AdminArticleJSON }
		e.call(request{path: "/api/v1/admin/articles/" + a.ID, role: editor}, http.StatusOK, &doc)
		if len(doc.Article.Tags) != 0 || len(doc.Article.Authors) != 0 {
			t.Errorf("the article keeps deleted tags or bylines: %+v", doc.Article)
		}
	})
}

func TestAdminEditsAreRevisions(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		a := e.createArticle(author, `{"title":"First"}`)
		path := "/api/v1/admin/articles/" + a.ID
		e.call(request{method: "PATCH", path: path, role: author, body: `{"title":"Second"}`}, http.StatusOK, nil)
		e.call(request{method: "POST", path: path + "/publish", role: author}, http.StatusOK, nil)
		revs, err := e.st.Revisions(t.Context(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range revs {
			got = append(got, r.Article.Title+" "+string(r.Article.Status))
		}
		if diff := cmp.Diff([]string{"Second published", "Second draft", "First draft"}, got); diff != "" {
			t.Errorf("revisions, newest first (-want +got):\n%s", diff)
		}
	})
}

// TestConcurrentTaxonomyPatches changes two members of one tag, byline or
// page at once, round after round. A PATCH reads the record and saves it
// from the revision it read, as the desk's forms do: when the other PATCH
// saved in between, it is refused with a 409 rather than writing back
// the member the other one changed. So every change answered 200 is
// there afterwards, and at least one of each pair is.
func TestConcurrentTaxonomyPatches(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		for _, c := range []struct {
			path, create string
			members      [2]string
			read         func(id string) ([2]string, error) // the members, as stored
		}{
			{"tags", `{"name":"War"}`, [2]string{"name", "description"}, func(id string) ([2]string, error) {
				tag, _, err := e.st.TagByID(ctx, id)
				return [2]string{tag.Name, tag.Description}, err
			}},
			{"authors", `{"name":"Ann","kind":"staff"}`, [2]string{"name", "bio"}, func(id string) ([2]string, error) {
				au, _, err := e.st.AuthorByID(ctx, id)
				return [2]string{au.Name, au.Bio}, err
			}},
			{"pages", `{"title":"About"}`, [2]string{"title", "markdown"}, func(id string) ([2]string, error) {
				p, _, err := e.st.PageByID(ctx, id)
				if err != nil {
					return [2]string{}, err
				}
				return [2]string{p.Title, p.Body}, nil
			}},
		} {
			var created map[string]struct{ ID string } // {"tag": {"id": …}} and the like
			e.call(request{method: "POST", path: "/api/v1/admin/" + c.path, role: editor, body: c.create}, http.StatusCreated, &created)
			var id string
			for _, doc := range created {
				id = doc.ID
			}
			for round := range 10 {
				var (
					answers [2]*httptest.ResponseRecorder
					values  [2]string
					wg      sync.WaitGroup
				)
				for i, member := range c.members {
					values[i] = fmt.Sprintf("%s %d", member, round)
					body := fmt.Sprintf(`{%q:%q}`, member, values[i])
					wg.Go(func() {
						answers[i] = e.do(request{method: "PATCH", path: "/api/v1/admin/" + c.path + "/" + id, role: editor, body: body})
					})
				}
				wg.Wait()
				got, err := c.read(id)
				if err != nil {
					t.Fatal(err)
				}
				saved := 0
				for i, w := range answers {
					switch w.Code {
					case http.StatusOK:
						saved++
						if got[i] != values[i] {
							t.Errorf("%s round %d: %s is %q after its PATCH was answered 200 with %q", c.path, round, c.members[i], got[i], values[i])
						}
					case http.StatusConflict:
						if code, _, _ := errorOf(t, w); code != "conflict" {
							t.Errorf("%s round %d: a refused PATCH's code is %q", c.path, round, code)
						}
					default:
						t.Fatalf("%s round %d: PATCH %s: %d %s", c.path, round, c.members[i], w.Code, w.Body)
					}
				}
				if saved == 0 {
					t.Errorf("%s round %d: both PATCHes were refused", c.path, round)
				}
			}
		}
	})
}
