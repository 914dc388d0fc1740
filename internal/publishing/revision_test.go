package publishing_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/publishing"
)

func TestRevisionsAndRestore(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ann := e.actor(t, "ann@example.org", accounts.Author)
		ed := e.actor(t, "ed@example.org", accounts.Editor)
		tag, err := e.svc.SaveTag(ctx, ed, publishing.TagDraft{Name: "War"})
		if err != nil {
			t.Fatal(err)
		}
		d := draft("First headline")
		d.TagIDs = []string{tag.ID}
		d.Image = publishing.ImageDraft{URL: "/media/a.jpg", Alt: "A photo", Width: "640", Height: "480"}
		a, err := e.svc.Save(ctx, ann, "", d, publishing.ActionSave)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
		d = e.editDraft(t, a.ID)
		d.Title, d.Body, d.TagIDs, d.Image = "Second headline", "Rewritten.", nil, publishing.ImageDraft{}
		if _, err := e.svc.Save(ctx, ed, a.ID, d, publishing.ActionSave); err != nil {
			t.Fatal(err)
		}

		h, err := e.svc.History(ctx, ann, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		type line struct {
			Number    int
			Title, By string
			SavedAt   time.Time
		}
		var got []line
		for _, v := range h.Revisions {
			got = append(got, line{v.Number, v.Article.Title, v.By, v.SavedAt})
		}
		want := []line{
			{2, "Second headline", "Name of ed@example.org", t0.Add(time.Hour)},
			{1, "First headline", "Name of ann@example.org", t0},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("history (-want +got):\n%s", diff)
		}

		first, err := e.svc.Revision(ctx, ann, h.Revisions[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		if first.Latest || len(first.Tags) != 1 || first.Tags[0].Name != "War" || first.Article.Body != "Text of First headline." {
			t.Errorf("revision 1 as shown: latest=%v tags=%v body=%q", first.Latest, first.Tags, first.Article.Body)
		}

		restored, err := e.svc.Restore(ctx, ann, h.Revisions[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		rec := e.record(t, a.ID)
		if rec.Revision != 3 || rec.Article.Title != "First headline" || rec.Article.BodyHTML != "<p>Text of First headline.</p>\n" ||
			len(rec.Article.Tags) != 1 || rec.Article.LeadImage == nil || rec.Article.LeadImage.Width != 640 {
			t.Errorf("after restoring revision 1: revision %d, %+v", rec.Revision, rec.Article)
		}
		if restored.Title != rec.Article.Title {
			t.Errorf("Restore returned %q", restored.Title)
		}
		third, err := e.svc.History(ctx, ann, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		r3, err := e.store.RevisionByID(ctx, third.Revisions[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		r1, err := e.store.RevisionByID(ctx, h.Revisions[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(r1.Article, r3.Article); diff != "" {
			t.Errorf("revision 3 is not equal to revision 1 (-1 +3):\n%s", diff)
		}

		// Someone else's history is not a contributor's business.
		c := e.actor(t, "c@example.org", accounts.Contributor)
		_, err = e.svc.History(ctx, c, a.ID)
		wantErr(t, err, publishing.ErrForbidden)
		_, err = e.svc.Restore(ctx, c, h.Revisions[1].ID)
		wantErr(t, err, publishing.ErrForbidden)
	})
}

func TestRestoringIntoAPublishedArticleNeedsStepUpAndIsAudited(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ed := e.actor(t, "ed@example.org", accounts.Editor)
		a := e.create(t, ed, "Original")
		d := e.editDraft(t, a.ID)
		d.Title = "Published version"
		if _, err := e.svc.Save(ctx, ed, a.ID, d, publishing.ActionPublish); err != nil {
			t.Fatal(err)
		}
		h, err := e.svc.History(ctx, ed, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		stale := ed
		stale.SteppedUp = false
		_, err = e.svc.Restore(ctx, stale, h.Revisions[1].ID)
		wantErr(t, err, publishing.ErrStepUpRequired)
		if _, err := e.svc.Restore(ctx, ed, h.Revisions[1].ID); err != nil {
			t.Fatal(err)
		}
		rec := e.record(t, a.ID)
		if rec.Article.Title != "Original" || rec.Article.Status != model.StatusPublished {
			t.Errorf("restored: %q, %s; want the old text, still published", rec.Article.Title, rec.Article.Status)
		}
		if acts := e.actions(t); !slices.Equal(acts, []string{publishing.AuditPublished, publishing.AuditEdited}) {
			t.Errorf("audit: %v", acts)
		}
	})
}
