package publishing_test

import (
	"testing"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/publishing"
)

func TestOnlyEditorsManageTagsBylinesAndPages(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		author := e.actor(t, "author@example.org", accounts.Author)
		_, err := e.svc.SaveTag(ctx, author, publishing.TagDraft{Name: "War"})
		wantErr(t, err, publishing.ErrForbidden)
		_, err = e.svc.SaveByline(ctx, author, publishing.BylineDraft{Name: "Ann", Kind: model.AuthorStaff})
		wantErr(t, err, publishing.ErrForbidden)
		_, err = e.svc.SavePage(ctx, author, publishing.PageDraft{Title: "About"})
		wantErr(t, err, publishing.ErrForbidden)
		_, err = e.svc.Tags(ctx, author)
		wantErr(t, err, publishing.ErrForbidden)
	})
}

func TestTagsAndBylines(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ed := e.actor(t, "ed@example.org", accounts.Editor)
		_, err := e.svc.SaveTag(ctx, ed, publishing.TagDraft{Name: " "})
		wantFields(t, err, "name")
		war, err := e.svc.SaveTag(ctx, ed, publishing.TagDraft{Name: "Войну в Украине", Description: "Coverage."})
		if err != nil {
			t.Fatal(err)
		}
		if war.Slug != "voynu-v-ukraine" {
			t.Errorf("slug from the name: %q", war.Slug)
		}
		_, err = e.svc.SaveTag(ctx, ed, publishing.TagDraft{Name: "Other", Slug: war.Slug})
		wantFields(t, err, "slug")
		war.Name = "War in Ukraine"
		if _, err := e.svc.SaveTag(ctx, ed, publishing.TagDraft{ID: war.ID, Name: war.Name, Slug: war.Slug, Revision: 1}); err != nil {
			t.Fatal(err)
		}
		if got, err := e.svc.Tag(ctx, ed, war.ID); err != nil || got.Name != "War in Ukraine" || got.Description != "" {
			t.Errorf("renamed tag: %+v, %v", got, err)
		}

		_, err = e.svc.SaveByline(ctx, ed, publishing.BylineDraft{Name: "Ann", Kind: "person"})
		wantFields(t, err, "kind")
		ann, err := e.svc.SaveByline(ctx, ed, publishing.BylineDraft{Name: "Ann Smith", Kind: model.AuthorPseudonym, Bio: "Writes."})
		if err != nil || ann.Slug != "ann-smith" {
			t.Fatalf("byline: %+v, %v", ann, err)
		}
		if err := e.svc.DeleteByline(ctx, ed, ann.ID, 0); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Byline(ctx, ed, ann.ID)
		wantErr(t, err, model.ErrNotFound)
		if err := e.svc.DeleteTag(ctx, ed, war.ID, 0); err != nil {
			t.Fatal(err)
		}
		wantErr(t, e.svc.DeleteTag(ctx, ed, war.ID, 0), model.ErrNotFound)
	})
}

func TestPages(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ed := e.actor(t, "ed@example.org", accounts.Editor)
		for _, tc := range []struct {
			name  string
			d     publishing.PageDraft
			field string
		}{
			{"no title", publishing.PageDraft{Body: "x"}, "title"},
			{"reserved address", publishing.PageDraft{Title: "Archive"}, "slug"},
			{"reserved typed address", publishing.PageDraft{Title: "Admin page", Slug: "admin"}, "slug"},
			{"bad language", publishing.PageDraft{Title: "About", Language: "english!"}, "language"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.svc.SavePage(ctx, ed, tc.d)
				wantFields(t, err, tc.field)
			})
		}
		about, err := e.svc.SavePage(ctx, ed, publishing.PageDraft{Title: "About us", Body: "We <script>x</script>report.", Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		if about.Slug != "about-us" || about.BodyHTML != "<p>We report.</p>\n" {
			t.Errorf("page: slug %q, html %q", about.Slug, about.BodyHTML)
		}
		_, err = e.svc.SavePage(ctx, ed, publishing.PageDraft{Title: "About", Slug: "about-us"})
		wantFields(t, err, "slug")
		pages, err := e.svc.Pages(ctx, ed)
		if err != nil || len(pages) != 1 {
			t.Fatalf("pages: %v, %v", pages, err)
		}
		if err := e.svc.DeletePage(ctx, ed, about.ID, 0); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Page(ctx, ed, about.ID)
		wantErr(t, err, model.ErrNotFound)
	})
}
