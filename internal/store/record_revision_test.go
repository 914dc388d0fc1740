package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// TestRecordRevisions saves a page, a tag and a byline twice each and reads
// their revisions back: numbered per record, newest first, with who and
// when, every field of each version, and gone with the record.
func TestRecordRevisions(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		ctx := t.Context()
		u := mustUser(t, s, "editor@example.org", "editor")

		page := model.Page{Slug: "about", Title: "About us", Body: "We *report*.", BodyHTML: "<p>We <em>report</em>.</p>", Language: "en"}
		tag := model.Tag{Slug: "war", Name: "War", Description: "The war."}
		byline := model.Author{Slug: "ann", Name: "Ann", Kind: model.AuthorStaff, Bio: "Reporter."}
		for _, err := range []error{s.SavePage(ctx, &page, u.ID, true), s.SaveTag(ctx, &tag, u.ID, true), s.SaveAuthor(ctx, &byline, "", true)} {
			if err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(time.Hour)
		page2 := page
		page2.Slug, page2.Title, page2.Body, page2.Language = "who-we-are", "Who we are", "We report; we check.", "ru"
		tag2 := tag
		tag2.Slug, tag2.Name, tag2.Description = "the-war", "The war", ""
		byline2 := byline
		byline2.Kind, byline2.Bio = model.AuthorPseudonym, "Writes from inside."
		for _, err := range []error{s.SavePage(ctx, &page2, u.ID, true), s.SaveTag(ctx, &tag2, u.ID, true), s.SaveAuthor(ctx, &byline2, u.ID, true)} {
			if err != nil {
				t.Fatal(err)
			}
		}

		for _, c := range []struct {
			kind          store.RecordKind
			id            string
			titles        [2]string
			firstBy       string
			first, latest store.RecordRevision
		}{
			{store.KindPage, page.ID, [2]string{"Who we are", "About us"}, u.ID,
				store.RecordRevision{Page: &model.Page{Slug: "about", Title: "About us", Body: "We *report*.", Language: "en"}},
				store.RecordRevision{Page: &model.Page{Slug: "who-we-are", Title: "Who we are", Body: "We report; we check.", Language: "ru"}}},
			{store.KindTag, tag.ID, [2]string{"The war", "War"}, u.ID,
				store.RecordRevision{Tag: &model.Tag{Slug: "war", Name: "War", Description: "The war."}},
				store.RecordRevision{Tag: &model.Tag{Slug: "the-war", Name: "The war"}}},
			{store.KindByline, byline.ID, [2]string{"Ann", "Ann"}, "",
				store.RecordRevision{Author: &model.Author{Slug: "ann", Name: "Ann", Kind: model.AuthorStaff, Bio: "Reporter."}},
				store.RecordRevision{Author: &model.Author{Slug: "ann", Name: "Ann", Kind: model.AuthorPseudonym, Bio: "Writes from inside."}}},
		} {
			list, err := s.RecordRevisions(ctx, c.kind, c.id)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 2 {
				t.Fatalf("%s: %d revisions, want 2: %+v", c.kind, len(list), list)
			}
			latest, first := list[0], list[1]
			if latest.Number != 2 || first.Number != 1 || latest.Title != c.titles[0] || first.Title != c.titles[1] ||
				latest.SavedBy != u.ID || first.SavedBy != c.firstBy ||
				!first.SavedAt.Equal(t0) || !latest.SavedAt.Equal(t0.Add(time.Hour)) || latest.Page != nil || latest.Tag != nil {
				t.Errorf("%s: list %+v", c.kind, list)
			}
			for _, want := range []struct {
				id   string
				want store.RecordRevision
			}{{first.ID, c.first}, {latest.ID, c.latest}} {
				got, err := s.RecordRevisionByID(ctx, want.id)
				if err != nil {
					t.Fatal(err)
				}
				if got.Kind != c.kind || got.RecordID != c.id {
					t.Errorf("%s: revision %s is of %s %s", c.kind, want.id, got.Kind, got.RecordID)
				}
				if diff := cmp.Diff(want.want, got, cmp.FilterPath(func(p cmp.Path) bool {
					switch p.String() {
					case "ID", "Kind", "RecordID", "Number", "Title", "SavedBy", "SavedAt":
						return true
					}
					return false
				}, cmp.Ignore())); diff != "" {
					t.Errorf("%s revision %d (-want +got):\n%s", c.kind, got.Number, diff)
				}
			}
		}

		// Deleting a record deletes its revisions; the others keep theirs.
		if err := s.DeleteTag(ctx, tag.ID); err != nil {
			t.Fatal(err)
		}
		if list, err := s.RecordRevisions(ctx, store.KindTag, tag.ID); err != nil || len(list) != 0 {
			t.Errorf("revisions of a deleted tag: %+v, %v", list, err)
		}
		if list, err := s.RecordRevisions(ctx, store.KindPage, page.ID); err != nil || len(list) != 2 {
			t.Errorf("page revisions after deleting a tag: %+v, %v", list, err)
		}
		wantErr(t, func() error { _, err := s.RecordRevisionByID(ctx, "no-such-revision"); return err }(), model.ErrNotFound)
	})
}
