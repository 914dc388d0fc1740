package store_test

import (
	"errors"
	"fmt"
	"sync"
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
		for _, err := range []error{s.SavePage(ctx, &page, u.ID, true, 0), s.SaveTag(ctx, &tag, u.ID, true, 0), s.SaveAuthor(ctx, &byline, "", true, 0)} {
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
		for _, err := range []error{s.SavePage(ctx, &page2, u.ID, true, 1), s.SaveTag(ctx, &tag2, u.ID, true, 1), s.SaveAuthor(ctx, &byline2, u.ID, true, 1)} {
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
		if err := s.DeleteTag(ctx, tag.ID, 0); err != nil {
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

// recordSaver saves one kind of record from a revision, under a title.
type recordSaver struct {
	kind string
	save func(base int, title string) error
	// read returns the stored title and latest revision.
	read func() (string, int, error)
}

// recordSavers makes a page, a tag, a byline and an article for
// recordSaver, none saved through the desk yet (revision 0) but the
// article, at revision 1.
func recordSavers(t *testing.T, s *store.Store) []recordSaver {
	ctx := t.Context()
	page := model.Page{Slug: "about", Title: "About"}
	if err := s.CreatePage(ctx, &page); err != nil {
		t.Fatal(err)
	}
	tag := mustTag(t, s, "war", "War")
	byline := mustAuthor(t, s, "ann", "Ann")
	article := published("story", t0)
	if err := s.CreateArticleAs(ctx, article, mustUser(t, s, "editor@example.org", "editor").ID, false); err != nil {
		t.Fatal(err)
	}
	// Each save works on a copy: two run at once.
	return []recordSaver{
		{"page", func(base int, title string) error {
			p := page
			p.Title = title
			return s.SavePage(ctx, &p, "", true, base)
		}, func() (string, int, error) {
			p, n, err := s.PageByID(ctx, page.ID)
			if err != nil {
				return "", 0, err
			}
			return p.Title, n, nil
		}},
		{"tag", func(base int, title string) error {
			tg := tag
			tg.Name = title
			return s.SaveTag(ctx, &tg, "", true, base)
		}, func() (string, int, error) {
			tg, n, err := s.TagByID(ctx, tag.ID)
			return tg.Name, n, err
		}},
		{"byline", func(base int, title string) error {
			b := byline
			b.Name = title
			return s.SaveAuthor(ctx, &b, "", true, base)
		}, func() (string, int, error) {
			b, n, err := s.AuthorByID(ctx, byline.ID)
			return b.Name, n, err
		}},
		{"article", func(base int, title string) error {
			a := *article
			a.Title = title
			_, err := s.SaveArticleAs(ctx, &a, "", base+1) // the article starts at revision 1
			return err
		}, func() (string, int, error) {
			rec, err := s.ArticleRecordByID(ctx, article.ID)
			if err != nil {
				return "", 0, err
			}
			return rec.Article.Title, rec.Revision - 1, nil
		}},
	}
}

// TestStaleSavesAreRefused saves a page, a tag, a byline and an article
// from a revision that is no longer their latest: refused with the
// revision it ran into and when that was saved, and nothing changes.
func TestStaleSavesAreRefused(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		for _, c := range recordSavers(t, s) {
			if err := c.save(0, "First"); err != nil {
				t.Fatalf("%s: %v", c.kind, err)
			}
			at := clock.Now()
			clock.Advance(time.Minute)
			err := c.save(0, "Stale")
			var se *store.StaleError
			if !errors.As(err, &se) || !errors.Is(err, store.ErrStaleRevision) {
				t.Fatalf("%s: stale save: %v, want a *store.StaleError", c.kind, err)
			}
			if title, n, err := c.read(); err != nil || title != "First" || n != 1 {
				t.Errorf("%s after a stale save: %q at revision %d, %v", c.kind, title, n, err)
			}
			if !se.SavedAt.Equal(at) {
				t.Errorf("%s: the stale save ran into a revision saved at %v, want %v", c.kind, se.SavedAt, at)
			}
		}
	})
}

// TestStaleDeletesAreRefused: a page, tag or byline saved after the
// person deleting it opened it is not deleted (a *store.StaleError saying
// when); deleting from its latest revision, or without naming one,
// deletes it.
func TestStaleDeletesAreRefused(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		ctx := t.Context()
		page := model.Page{Slug: "about", Title: "About"}
		if err := s.CreatePage(ctx, &page); err != nil {
			t.Fatal(err)
		}
		tag, byline := mustTag(t, s, "war", "War"), mustAuthor(t, s, "ann", "Ann")
		for _, c := range []struct {
			kind   string
			save   func(base int) error
			delete func(base int) error
		}{
			{"page", func(base int) error { return s.SavePage(ctx, &page, "", true, base) },
				func(base int) error { return s.DeletePage(ctx, page.ID, base) }},
			{"tag", func(base int) error { return s.SaveTag(ctx, &tag, "", true, base) },
				func(base int) error { return s.DeleteTag(ctx, tag.ID, base) }},
			{"byline", func(base int) error { return s.SaveAuthor(ctx, &byline, "", true, base) },
				func(base int) error { return s.DeleteAuthor(ctx, byline.ID, base) }},
		} {
			for base := range 2 {
				if err := c.save(base); err != nil {
					t.Fatalf("%s: save from revision %d: %v", c.kind, base, err)
				}
			}
			at := clock.Now()
			clock.Advance(time.Minute)
			err := c.delete(1) // opened before the second save
			var se *store.StaleError
			if !errors.As(err, &se) || !errors.Is(err, store.ErrStaleRevision) || !se.SavedAt.Equal(at) || se.Revision != 2 {
				t.Fatalf("%s: stale delete: %v (%+v), want a *store.StaleError of revision 2 saved at %v", c.kind, err, se, at)
			}
			if err := c.delete(2); err != nil {
				t.Fatalf("%s: delete from the latest revision: %v", c.kind, err)
			}
			wantErr(t, c.delete(0), model.ErrNotFound)
		}
	})
}

// TestConcurrentSavesFromOneRevision saves each kind of record twice at
// once from the same revision, round after round: one save wins, the
// other is refused as stale (on PostgreSQL the two really run together,
// and the loser meets the winner's revision number, not an error of the
// database), and the revisions count the rounds.
func TestConcurrentSavesFromOneRevision(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		const rounds = 10
		for _, c := range recordSavers(t, s) {
			for base := range rounds {
				var (
					errs  [2]error
					wg    sync.WaitGroup
					start = make(chan struct{})
				)
				for i := range errs {
					wg.Go(func() {
						<-start
						errs[i] = c.save(base, fmt.Sprintf("Round %d, save %d", base, i))
					})
				}
				close(start)
				wg.Wait()
				won := 0
				for _, err := range errs {
					switch {
					case err == nil:
						won++
					case !errors.Is(err, store.ErrStaleRevision):
						t.Fatalf("%s round %d: %v, want a stale save", c.kind, base, err)
					}
				}
				if won != 1 {
					t.Fatalf("%s round %d: %d saves won (%v), want 1", c.kind, base, won, errs)
				}
			}
			if _, n, err := c.read(); err != nil || n != rounds {
				t.Errorf("%s: latest revision %d, %v; want %d", c.kind, n, err, rounds)
			}
		}
	})
}
