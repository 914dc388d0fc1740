package publishing_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/store"
)

// TestRecordRevisionsAndRestore saves a page, a tag and a byline twice,
// restores each one's first version, and checks who may do so.
func TestRecordRevisionsAndRestore(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ed := e.actor(t, "ed@example.org", accounts.Editor)
		author := e.actor(t, "author@example.org", accounts.Author)

		page, err := e.svc.SavePage(ctx, ed, publishing.PageDraft{Title: "About", Body: "We *report*.", Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		tag, err := e.svc.SaveTag(ctx, ed, publishing.TagDraft{Name: "War", Description: "The war."})
		if err != nil {
			t.Fatal(err)
		}
		byline, err := e.svc.SaveByline(ctx, ed, publishing.BylineDraft{Name: "Ann", Kind: model.AuthorStaff, Bio: "Reporter."})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		for _, err := range []error{
			func() error {
				_, err := e.svc.SavePage(ctx, ed, publishing.PageDraft{ID: page.ID, Title: "Who we are", Slug: "who-we-are", Body: "Changed.", Revision: 1})
				return err
			}(),
			func() error {
				_, err := e.svc.SaveTag(ctx, ed, publishing.TagDraft{ID: tag.ID, Name: "The war", Slug: "the-war", Revision: 1})
				return err
			}(),
			func() error {
				_, err := e.svc.SaveByline(ctx, ed, publishing.BylineDraft{ID: byline.ID, Name: "A. Nonymous", Slug: "ann", Kind: model.AuthorPseudonym, Revision: 1})
				return err
			}(),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}

		for _, c := range []struct {
			kind    store.RecordKind
			id      string
			current func() (string, error) // the record as it is now, as text
			want    string                 // its first version, as text
		}{
			{store.KindPage, page.ID, func() (string, error) {
				p, _, err := e.store.PageByID(ctx, page.ID)
				if err != nil {
					return "", err
				}
				return p.Title + "|" + p.Slug + "|" + p.Body + "|" + p.Language + "|" + p.BodyHTML, nil
			}, "About|about|We *report*.|en|<p>We <em>report</em>.</p>\n"},
			{store.KindTag, tag.ID, func() (string, error) {
				t, err := e.svc.Tag(ctx, ed, tag.ID)
				return t.Name + "|" + t.Slug + "|" + t.Description, err
			}, "War|war|The war."},
			{store.KindByline, byline.ID, func() (string, error) {
				b, err := e.svc.Byline(ctx, ed, byline.ID)
				return b.Name + "|" + b.Slug + "|" + string(b.Kind) + "|" + b.Bio, err
			}, "Ann|ann|staff|Reporter."},
		} {
			_, err := e.svc.RecordHistory(ctx, author, c.kind, c.id)
			wantErr(t, err, publishing.ErrForbidden)
			h, err := e.svc.RecordHistory(ctx, ed, c.kind, c.id)
			if err != nil {
				t.Fatal(err)
			}
			if len(h) != 2 || h[0].Number != 2 || h[1].Number != 1 || h[1].By != "Name of ed@example.org" ||
				!h[1].SavedAt.Equal(t0) || !h[0].SavedAt.Equal(t0.Add(time.Minute)) {
				t.Fatalf("%s history: %+v", c.kind, h)
			}
			first := h[1].ID
			// A revision is found only under its own kind.
			other := store.KindTag
			if c.kind == store.KindTag {
				other = store.KindPage
			}
			_, err = e.svc.RecordRevision(ctx, ed, other, c.id, first)
			wantErr(t, err, model.ErrNotFound)
			// And only under its own record.
			_, err = e.svc.RecordRevision(ctx, ed, c.kind, page.ID+tag.ID, first)
			wantErr(t, err, model.ErrNotFound)
			if v, err := e.svc.RecordRevision(ctx, ed, c.kind, c.id, first); err != nil || v.Latest || v.By != "Name of ed@example.org" {
				t.Errorf("%s revision 1: latest %t, by %q, %v", c.kind, v.Latest, v.By, err)
			}
			_, err = e.svc.RestoreRecord(ctx, author, c.kind, c.id, first)
			wantErr(t, err, publishing.ErrForbidden)

			if _, err := e.svc.RestoreRecord(ctx, ed, c.kind, c.id, first); err != nil {
				t.Fatal(err)
			}
			if got, err := c.current(); err != nil || got != c.want {
				t.Errorf("%s after restoring revision 1: %q, %v; want %q", c.kind, got, err, c.want)
			}
			h, err = e.svc.RecordHistory(ctx, ed, c.kind, c.id)
			if err != nil {
				t.Fatal(err)
			}
			if len(h) != 3 || h[0].Number != 3 || h[0].Title != h[2].Title || h[0].By != "Name of ed@example.org" || !h[0].Latest || h[1].Latest {
				t.Errorf("%s history after the restore: %+v", c.kind, h)
			}
		}
		if acts := e.actions(t); !slices.Equal(acts, []string{publishing.AuditRecordRestored, publishing.AuditRecordRestored, publishing.AuditRecordRestored}) {
			t.Errorf("audit: %v", acts)
		}
	})
}

// TestRestoringATakenSlugChangesNothing restores a tag's revision whose
// slug another tag has taken since.
func TestRestoringATakenSlugChangesNothing(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ed := e.actor(t, "ed@example.org", accounts.Editor)
		war, err := e.svc.SaveTag(ctx, ed, publishing.TagDraft{Name: "War"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SaveTag(ctx, ed, publishing.TagDraft{ID: war.ID, Name: "The war", Slug: "the-war", Revision: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SaveTag(ctx, ed, publishing.TagDraft{Name: "War games", Slug: "war"}); err != nil {
			t.Fatal(err)
		}
		h, err := e.svc.RecordHistory(ctx, ed, store.KindTag, war.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.RestoreRecord(ctx, ed, store.KindTag, war.ID, h[1].ID)
		wantFields(t, err, "slug")
		if got, err := e.svc.Tag(ctx, ed, war.ID); err != nil || got.Name != "The war" || got.Slug != "the-war" {
			t.Errorf("tag after a refused restore: %+v, %v", got, err)
		}
		if after, err := e.svc.RecordHistory(ctx, ed, store.KindTag, war.ID); err != nil || len(after) != 2 {
			t.Errorf("revisions after a refused restore: %d, %v", len(after), err)
		}
		if acts := e.actions(t); len(acts) != 0 {
			t.Errorf("a refused restore is audited: %v", acts)
		}

		// An API key is not an account: its saves name none.
		key := ed
		key.UserID, key.APIKey = "apikey:test", true
		if _, err := e.svc.SaveTag(ctx, key, publishing.TagDraft{ID: war.ID, Name: "War, by a key", Slug: "the-war", Revision: 2}); err != nil {
			t.Fatal(err)
		}
		if h, err := e.svc.RecordHistory(ctx, ed, store.KindTag, war.ID); err != nil || len(h) != 3 || h[0].SavedBy != "" ||
			h[0].By != "no account (an API key, an import or a removed account)" {
			t.Errorf("a key's save: %+v, %v", h, err)
		}
	})
}
