package publishing_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/store"
)

// operations are what the role table tries, each as act on the article id.
var operations = map[string]func(t *testing.T, e *env, act publishing.Actor, id string) error{
	"edit": func(t *testing.T, e *env, act publishing.Actor, id string) error {
		d := e.editDraft(t, id)
		d.Title = "Changed"
		_, err := e.svc.Save(t.Context(), act, id, d, publishing.ActionSave)
		return err
	},
	"publish": func(t *testing.T, e *env, act publishing.Actor, id string) error {
		_, err := e.svc.Save(t.Context(), act, id, e.editDraft(t, id), publishing.ActionPublish)
		return err
	},
	"schedule": func(t *testing.T, e *env, act publishing.Actor, id string) error {
		d := e.editDraft(t, id)
		d.PublishAt = "2025-03-11T09:00"
		_, err := e.svc.Save(t.Context(), act, id, d, publishing.ActionSchedule)
		return err
	},
	"unpublish": func(t *testing.T, e *env, act publishing.Actor, id string) error {
		_, err := e.svc.Unpublish(t.Context(), act, id)
		return err
	},
	"delete": func(t *testing.T, e *env, act publishing.Actor, id string) error {
		_, err := e.svc.Delete(t.Context(), act, id)
		return err
	},
	"share preview": func(t *testing.T, e *env, act publishing.Actor, id string) error {
		_, err := e.svc.SharePreview(t.Context(), act, id)
		return err
	},
}

// TestWhoMayDoWhat walks roles × whose article × its status × action:
// contributors work on their own drafts only, authors also publish their
// own, editors do everything. A refusal changes nothing.
func TestWhoMayDoWhat(t *testing.T) {
	t.Parallel()
	const draft, published = model.StatusDraft, model.StatusPublished
	cases := []struct {
		role    accounts.Role
		own     bool
		status  model.Status
		op      string
		allowed bool
	}{
		{accounts.Contributor, true, draft, "edit", true},
		{accounts.Contributor, true, draft, "share preview", true},
		{accounts.Contributor, true, draft, "delete", true},
		{accounts.Contributor, true, draft, "publish", false},
		{accounts.Contributor, true, draft, "schedule", false},
		{accounts.Contributor, true, published, "edit", false},
		{accounts.Contributor, true, published, "unpublish", false},
		{accounts.Contributor, true, published, "delete", false},
		{accounts.Contributor, false, draft, "edit", false},
		{accounts.Contributor, false, draft, "share preview", false},
		{accounts.Contributor, false, draft, "delete", false},
		{accounts.Author, true, draft, "publish", true},
		{accounts.Author, true, draft, "schedule", true},
		{accounts.Author, true, published, "edit", true},
		{accounts.Author, true, published, "unpublish", true},
		{accounts.Author, true, published, "delete", true},
		{accounts.Author, false, draft, "edit", false},
		{accounts.Author, false, draft, "publish", false},
		{accounts.Author, false, published, "edit", false},
		{accounts.Author, false, published, "unpublish", false},
		{accounts.Author, false, published, "delete", false},
		{accounts.Editor, false, draft, "edit", true},
		{accounts.Editor, false, draft, "publish", true},
		{accounts.Editor, false, draft, "schedule", true},
		{accounts.Editor, false, draft, "share preview", true},
		{accounts.Editor, false, published, "edit", true},
		{accounts.Editor, false, published, "unpublish", true},
		{accounts.Editor, false, published, "delete", true},
	}
	each(t, func(t *testing.T, e *env) {
		boss := e.actor(t, "boss@example.org", accounts.Editor)
		for i, tc := range cases {
			whose := "another's"
			if tc.own {
				whose = "own"
			}
			t.Run(fmt.Sprintf("%s %s %s %s", tc.role, tc.op, whose, tc.status), func(t *testing.T) {
				act := e.actor(t, fmt.Sprintf("%s-%d@example.org", tc.role, i), tc.role)
				owner := boss
				if tc.own {
					owner = act
				}
				a := e.create(t, owner, "Story")
				if tc.status == published {
					if _, err := e.svc.Save(t.Context(), boss, a.ID, e.editDraft(t, a.ID), publishing.ActionPublish); err != nil {
						t.Fatal(err)
					}
				}
				before := e.record(t, a.ID)
				err := operations[tc.op](t, e, act, a.ID)
				if tc.allowed {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				wantErr(t, err, publishing.ErrForbidden)
				if diff := cmp.Diff(before, e.record(t, a.ID)); diff != "" {
					t.Errorf("a refused %s changed the article (-before +after):\n%s", tc.op, diff)
				}
			})
		}
	})
}

// TestPublicChangesNeedStepUp: publishing, scheduling, unpublishing,
// editing and deleting a public article need a fresh step-up
// (requirement S5); without one nothing changes. Drafts do not.
func TestPublicChangesNeedStepUp(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		author := e.actor(t, "author@example.org", accounts.Author)
		stale := author
		stale.SteppedUp = false
		a := e.create(t, stale, "Draft") // drafts need no step-up
		d := e.editDraft(t, a.ID)
		d.Title = "Draft, again"
		if _, err := e.svc.Save(ctx, stale, a.ID, d, publishing.ActionSave); err != nil {
			t.Fatalf("saving a draft without a step-up: %v", err)
		}
		before := e.record(t, a.ID)
		_, err := e.svc.Save(ctx, stale, a.ID, e.editDraft(t, a.ID), publishing.ActionPublish)
		wantErr(t, err, publishing.ErrStepUpRequired)
		d = e.editDraft(t, a.ID)
		d.PublishAt = "2025-03-12T10:00"
		_, err = e.svc.Save(ctx, stale, a.ID, d, publishing.ActionSchedule)
		wantErr(t, err, publishing.ErrStepUpRequired)
		if diff := cmp.Diff(before, e.record(t, a.ID)); diff != "" {
			t.Errorf("a refused publication changed the draft:\n%s", diff)
		}

		if _, err := e.svc.Save(ctx, author, a.ID, e.editDraft(t, a.ID), publishing.ActionPublish); err != nil {
			t.Fatal(err)
		}
		before = e.record(t, a.ID)
		d = e.editDraft(t, a.ID)
		d.Body = "A quiet change."
		_, err = e.svc.Save(ctx, stale, a.ID, d, publishing.ActionSave)
		wantErr(t, err, publishing.ErrStepUpRequired)
		_, err = e.svc.Unpublish(ctx, stale, a.ID)
		wantErr(t, err, publishing.ErrStepUpRequired)
		_, err = e.svc.Delete(ctx, stale, a.ID)
		wantErr(t, err, publishing.ErrStepUpRequired)
		if diff := cmp.Diff(before, e.record(t, a.ID)); diff != "" {
			t.Errorf("refused changes changed the published article:\n%s", diff)
		}
	})
}

func TestPublishEditUnpublishDeleteAreAudited(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ed := e.actor(t, "ed@example.org", accounts.Editor)
		a := e.create(t, ed, "Story")
		e.clock.Advance(time.Minute)
		got, err := e.svc.Save(ctx, ed, a.ID, e.editDraft(t, a.ID), publishing.ActionPublish)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != model.StatusPublished || !got.PublishedAt.Equal(t0.Add(time.Minute)) || !got.UpdatedAt.IsZero() {
			t.Errorf("published now: %s at %v, updated %v", got.Status, got.PublishedAt, got.UpdatedAt)
		}
		e.clock.Advance(time.Hour)
		d := e.editDraft(t, a.ID)
		d.Summary = "A correction."
		got, err = e.svc.Save(ctx, ed, a.ID, d, publishing.ActionSave)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != model.StatusPublished || !got.PublishedAt.Equal(t0.Add(time.Minute)) || !got.UpdatedAt.Equal(e.clock.Now()) {
			t.Errorf("edited: %s, published %v, updated %v", got.Status, got.PublishedAt, got.UpdatedAt)
		}
		if _, err := e.svc.Unpublish(ctx, ed, a.ID); err != nil {
			t.Fatal(err)
		}
		if rec := e.record(t, a.ID); rec.Article.Status != model.StatusDraft || rec.Revision != 4 {
			t.Errorf("after unpublishing: %s at revision %d", rec.Article.Status, rec.Revision)
		}
		// Unpublishing it again, as from a page opened before, conflicts
		// with its state and changes nothing.
		_, err = e.svc.Unpublish(ctx, ed, a.ID)
		wantErr(t, err, publishing.ErrAlreadyDraft)
		if rec := e.record(t, a.ID); rec.Revision != 4 {
			t.Errorf("a second unpublish saved revision %d", rec.Revision)
		}
		if _, err := e.svc.Delete(ctx, ed, a.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.store.ArticleRecordByID(ctx, a.ID)
		wantErr(t, err, model.ErrNotFound)
		want := []string{publishing.AuditPublished, publishing.AuditEdited, publishing.AuditUnpublished, publishing.AuditDeleted}
		if diff := cmp.Diff(want, e.actions(t)); diff != "" {
			t.Errorf("audit actions (-want +got):\n%s", diff)
		}
	})
}

// TestScheduledArticlesPublishWhenDue: the server's watch loop calls
// PublishDue, also after a restart, since the schedule is in the
// database, and each scheduled publish is audited as the system's.
func TestScheduledArticlesPublishWhenDue(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		author := e.actor(t, "author@example.org", accounts.Author)
		a := e.create(t, author, "Tomorrow's news")
		d := e.editDraft(t, a.ID)
		d.PublishAt = "2025-03-10T14:59" // 11:59 UTC: already past
		_, err := e.svc.Save(ctx, author, a.ID, d, publishing.ActionSchedule)
		wantFields(t, err, "publish_at")
		d.PublishAt = ""
		_, err = e.svc.Save(ctx, author, a.ID, d, publishing.ActionSchedule)
		wantFields(t, err, "publish_at")

		d.PublishAt = "2025-03-10T16:00" // 13:00 UTC
		got, err := e.svc.Save(ctx, author, a.ID, d, publishing.ActionSchedule)
		if err != nil {
			t.Fatal(err)
		}
		due := time.Date(2025, 3, 10, 13, 0, 0, 0, time.UTC)
		if got.Status != model.StatusScheduled || !got.PublishedAt.Equal(due) {
			t.Fatalf("scheduled: %s at %v, want scheduled at %v", got.Status, got.PublishedAt, due)
		}
		e.clock.Advance(due.Add(-time.Second).Sub(e.clock.Now()))
		if n, err := e.svc.PublishDue(ctx); err != nil || n != 0 {
			t.Fatalf("PublishDue before the time: %d, %v", n, err)
		}
		e.clock.Advance(time.Second)
		if n, err := e.svc.PublishDue(ctx); err != nil || n != 1 {
			t.Fatalf("PublishDue at the time: %d, %v", n, err)
		}
		entries, err := e.audit.Recent(ctx, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := entries[0]; got.Actor != audit.System || got.Action != publishing.AuditPublished || got.Target != a.ID ||
			!strings.Contains(got.Detail, `"scheduled":true`) || !strings.Contains(got.Detail, `"slug":"`+a.Slug+`"`) {
			t.Errorf("the scheduled publish was audited as %+v; want the system publishing %s", got, a.ID)
		}
		if rec := e.record(t, a.ID); rec.Article.Status != model.StatusPublished || !rec.Article.PublishedAt.Equal(due) {
			t.Errorf("after PublishDue: %s at %v", rec.Article.Status, rec.Article.PublishedAt)
		}
		if !slices.Contains(e.actions(t), publishing.AuditScheduled) {
			t.Errorf("scheduling was not audited: %v", e.actions(t))
		}
	})
}

func TestBadInputIsRefusedByField(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		contributor := e.actor(t, "c@example.org", accounts.Contributor)
		editor := e.actor(t, "ed@example.org", accounts.Editor)
		for _, tc := range []struct {
			name  string
			act   publishing.Actor
			edit  func(d *publishing.Draft)
			field string
		}{
			{"no headline", editor, func(d *publishing.Draft) { d.Title = "  " }, "title"},
			{"long headline", editor, func(d *publishing.Draft) { d.Title = strings.Repeat("й", 301) }, "title"},
			{"bad language", editor, func(d *publishing.Draft) { d.Language = "english!" }, "language"},
			{"unknown time zone", editor, func(d *publishing.Draft) { d.TimeZone = "Mars/Olympus" }, "time_zone"},
			{"local time zone", editor, func(d *publishing.Draft) { d.TimeZone = "Local" }, "time_zone"},
			{"bad time", editor, func(d *publishing.Draft) { d.PublishAt = "tomorrow" }, "publish_at"},
			{"image off site", editor, func(d *publishing.Draft) {
				d.Image = publishing.ImageDraft{URL: "https://evil.example/x.jpg", Alt: "x"}
			}, "image_url"},
			{"image script", editor, func(d *publishing.Draft) { d.Image = publishing.ImageDraft{URL: "javascript:alert(1)", Alt: "x"} }, "image_url"},
			{"image traversal", editor, func(d *publishing.Draft) { d.Image = publishing.ImageDraft{URL: "/media/../config", Alt: "x"} }, "image_url"},
			{"image without alt", editor, func(d *publishing.Draft) { d.Image = publishing.ImageDraft{URL: "/media/a.jpg"} }, "image_alt"},
			{"image with a blank alt", editor, func(d *publishing.Draft) { d.Image = publishing.ImageDraft{URL: "/media/a.jpg", Alt: " "} }, "image_alt"},
			{"image address not clean", editor, func(d *publishing.Draft) { d.Image = publishing.ImageDraft{URL: "/media//a.jpg", Alt: "x"} }, "image_url"},
			{"giant image", editor, func(d *publishing.Draft) {
				d.Image = publishing.ImageDraft{URL: "/media/a.jpg", Alt: "A", Width: "50000", Height: "50000"}
			}, "image_size"},
			{"image size not a number", editor, func(d *publishing.Draft) {
				d.Image = publishing.ImageDraft{URL: "/media/a.jpg", Alt: "A", Width: "wide", Height: "480"}
			}, "image_size"},
			{"half a size", editor, func(d *publishing.Draft) {
				d.Image = publishing.ImageDraft{URL: "/media/a.jpg", Alt: "A", Width: "100"}
			}, "image_size"},
			{"unknown tag", editor, func(d *publishing.Draft) { d.TagIDs = []string{"no-such-tag"} }, "tags"},
			{"unknown byline", editor, func(d *publishing.Draft) { d.AuthorIDs = []string{"no-such-byline"} }, "authors"},
			{"contributor creates a tag", contributor, func(d *publishing.Draft) { d.NewTags = []string{"Secret plans"} }, "new_tags"},
			{"contributor creates a byline", contributor, func(d *publishing.Draft) { d.NewByline = "Ivan" }, "new_byline"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				d := draft("Story")
				tc.edit(&d)
				_, err := e.svc.Save(t.Context(), tc.act, "", d, publishing.ActionSave)
				wantFields(t, err, tc.field)
			})
		}
		list, _, err := e.store.DeskArticles(t.Context(), store.DeskQuery{})
		if err != nil {
			t.Fatal(err)
		}
		tags, err := e.store.AllTags(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 0 || len(tags) != 0 {
			t.Errorf("refused saves stored %d articles and %d tags", len(list), len(tags))
		}
	})
}

func TestSlugs(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ed := e.actor(t, "ed@example.org", accounts.Editor)
		first := e.create(t, ed, "Talks in Geneva")
		if first.Slug != "talks-in-geneva" {
			t.Errorf("slug from the title: %q", first.Slug)
		}
		second := e.create(t, ed, "Talks in Geneva")
		if second.Slug != "talks-in-geneva-2" {
			t.Errorf("a second automatic slug: %q", second.Slug)
		}
		d := draft("Other talks")
		d.Slug = "Talks in Geneva"
		_, err := e.svc.Save(ctx, ed, "", d, publishing.ActionSave)
		wantFields(t, err, "slug")

		// Retitling keeps the address; changing it is deliberate.
		d = e.editDraft(t, first.ID)
		d.Title = "Talks in Geneva collapse"
		got, err := e.svc.Save(ctx, ed, first.ID, d, publishing.ActionSave)
		if err != nil || got.Slug != "talks-in-geneva" {
			t.Fatalf("retitled: %q, %v", got.Slug, err)
		}
		d = e.editDraft(t, first.ID)
		d.Slug = "talks-in-geneva-2"
		_, err = e.svc.Save(ctx, ed, first.ID, d, publishing.ActionSave)
		wantFields(t, err, "slug")
	})
}

func TestTagsAndBylinesOnTheFly(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ed := e.actor(t, "ed@example.org", accounts.Editor)
		contributor := e.actor(t, "c@example.org", accounts.Contributor)
		d := draft("Floods")
		d.NewTags = []string{"Climate", " climate ", "Weather"}
		d.NewByline, d.NewBylineKind = "Our correspondent", model.AuthorPseudonym
		a, err := e.svc.Save(ctx, ed, "", d, publishing.ActionSave)
		if err != nil {
			t.Fatal(err)
		}
		names := func(a *model.Article) (tags, bylines []string) {
			for _, t := range a.Tags {
				tags = append(tags, t.Name)
			}
			for _, au := range a.Authors {
				bylines = append(bylines, au.Name+"/"+string(au.Kind))
			}
			return tags, bylines
		}
		tags, bylines := names(e.record(t, a.ID).Article)
		if diff := cmp.Diff([]string{"Climate", "Weather"}, tags); diff != "" {
			t.Errorf("tags (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"Our correspondent/pseudonym"}, bylines); diff != "" {
			t.Errorf("bylines (-want +got):\n%s", diff)
		}
		// A contributor typing an existing name picks it.
		d = draft("More floods")
		d.NewTags, d.NewByline = []string{"CLIMATE"}, "our correspondent"
		b, err := e.svc.Save(ctx, contributor, "", d, publishing.ActionSave)
		if err != nil {
			t.Fatal(err)
		}
		tags, bylines = names(e.record(t, b.ID).Article)
		if diff := cmp.Diff([]string{"Climate"}, tags); diff != "" {
			t.Errorf("picked tags (-want +got):\n%s", diff)
		}
		if len(bylines) != 1 {
			t.Errorf("picked bylines: %v", bylines)
		}
		all, err := e.store.AllTags(ctx)
		if err != nil || len(all) != 2 {
			t.Errorf("tags in the store: %v, %v", all, err)
		}
	})
}

func TestStaleSavesAreRefused(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ed := e.actor(t, "ed@example.org", accounts.Editor)
		a := e.create(t, ed, "Story")
		mine, theirs := e.editDraft(t, a.ID), e.editDraft(t, a.ID)
		theirs.Title = "Their change"
		e.clock.Advance(time.Minute)
		if _, err := e.svc.Save(ctx, ed, a.ID, theirs, publishing.ActionSave); err != nil {
			t.Fatal(err)
		}
		mine.Title = "My change"
		_, err := e.svc.Save(ctx, ed, a.ID, mine, publishing.ActionSave)
		wantStale(t, err, t0.Add(time.Minute))
		if got := e.record(t, a.ID).Article.Title; got != "Their change" {
			t.Errorf("title after the stale save: %q", got)
		}
	})
}

// TestStaleRecordSavesAreRefused does to the forms of a tag, a byline and
// a page what TestStaleSavesAreRefused does to an article's.
func TestStaleRecordSavesAreRefused(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ed := e.actor(t, "ed@example.org", accounts.Editor)
		tag, err := e.svc.SaveTag(ctx, ed, publishing.TagDraft{Name: "War"})
		if err != nil {
			t.Fatal(err)
		}
		byline, err := e.svc.SaveByline(ctx, ed, publishing.BylineDraft{Name: "Ann", Kind: model.AuthorStaff})
		if err != nil {
			t.Fatal(err)
		}
		page, err := e.svc.SavePage(ctx, ed, publishing.PageDraft{Title: "About"})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			kind string
			// save opens the form, changes its title, and saves it after
			// then has run.
			save func(title string, then func() error) error
			// title is the stored one.
			title func() (string, error)
		}{
			{"tag", formSave(func() (publishing.TagDraft, error) { return e.svc.Tag(ctx, ed, tag.ID) },
				func(d *publishing.TagDraft, title string) { d.Name = title },
				func(d publishing.TagDraft) error { _, err := e.svc.SaveTag(ctx, ed, d); return err }),
				func() (string, error) { d, err := e.svc.Tag(ctx, ed, tag.ID); return d.Name, err }},
			{"byline", formSave(func() (publishing.BylineDraft, error) { return e.svc.Byline(ctx, ed, byline.ID) },
				func(d *publishing.BylineDraft, title string) { d.Name = title },
				func(d publishing.BylineDraft) error { _, err := e.svc.SaveByline(ctx, ed, d); return err }),
				func() (string, error) { d, err := e.svc.Byline(ctx, ed, byline.ID); return d.Name, err }},
			{"page", formSave(func() (publishing.PageDraft, error) { return e.svc.Page(ctx, ed, page.ID) },
				func(d *publishing.PageDraft, title string) { d.Title = title },
				func(d publishing.PageDraft) error { _, err := e.svc.SavePage(ctx, ed, d); return err }),
				func() (string, error) { d, err := e.svc.Page(ctx, ed, page.ID); return d.Title, err }},
		} {
			e.clock.Advance(time.Minute)
			theirs := e.clock.Now()
			// Mine is opened, then theirs is opened and saved, then mine.
			err := c.save("My change", func() error {
				return c.save("Their change", func() error { return nil })
			})
			wantStale(t, err, theirs)
			if got, err := c.title(); err != nil || got != "Their change" {
				t.Errorf("%s after the stale save: %q, %v", c.kind, got, err)
			}
		}
	})
}

// formSave returns what a person does with a form: open it, retitle it,
// and, once then has run, save it.
func formSave[D any](open func() (D, error), retitle func(*D, string), save func(D) error) func(title string, then func() error) error {
	return func(title string, then func() error) error {
		d, err := open()
		if err != nil {
			return err
		}
		retitle(&d, title)
		if err := then(); err != nil {
			return err
		}
		return save(d)
	}
}

// wantStale fails the test unless err is a stale save that ran into a
// revision saved at.
func wantStale(t *testing.T, err error, at time.Time) {
	t.Helper()
	var se *store.StaleError
	if !errors.As(err, &se) || !errors.Is(err, store.ErrStaleRevision) || !se.SavedAt.Equal(at) {
		t.Fatalf("error = %v, want a stale save running into a revision saved at %v", err, at)
	}
}

func TestListShowsOwnArticlesUnlessEditor(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ann := e.actor(t, "ann@example.org", accounts.Author)
		ed := e.actor(t, "ed@example.org", accounts.Editor)
		e.create(t, ann, "Ann's story")
		e.create(t, ed, "Editor's story")
		for _, tc := range []struct {
			act  publishing.Actor
			want []string
		}{{ann, []string{"Ann's story"}}, {ed, []string{"Editor's story", "Ann's story"}}} {
			l, err := e.svc.List(ctx, tc.act, publishing.ListQuery{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range l.Rows {
				got = append(got, r.Article.Title)
				if !r.MayEdit {
					t.Errorf("%s may not edit %q", tc.act.UserID, r.Article.Title)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" || l.Total != len(tc.want) {
				t.Errorf("list (-want +got):\n%s (total %d)", diff, l.Total)
			}
		}
		l, err := e.svc.List(ctx, ed, publishing.ListQuery{Title: "ann", Status: model.StatusDraft})
		if err != nil || len(l.Rows) != 1 {
			t.Errorf("filtered list: %+v, %v", l.Rows, err)
		}
	})
}
