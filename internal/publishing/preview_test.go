package publishing_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/store"
)

func TestPreviewLinksExpire(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		c := e.actor(t, "c@example.org", accounts.Contributor)
		a := e.create(t, c, "Secret draft")
		link, err := e.svc.SharePreview(ctx, c, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !link.Expires.Equal(t0.Add(publishing.DefaultPreviewLifetime)) || len(link.Token) < 40 {
			t.Errorf("link: %+v", link)
		}
		got, err := e.svc.Preview(ctx, link.Token)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != a.ID || got.Status != model.StatusDraft || got.PublishedAt.IsZero() {
			t.Errorf("preview of a draft: %+v", got)
		}
		_, err = e.svc.Preview(ctx, link.Token+"x")
		wantErr(t, err, model.ErrNotFound)

		e.clock.Advance(publishing.DefaultPreviewLifetime - time.Second)
		if _, err := e.svc.Preview(ctx, link.Token); err != nil {
			t.Errorf("a second before expiry: %v", err)
		}
		e.clock.Advance(time.Second)
		_, err = e.svc.Preview(ctx, link.Token)
		wantErr(t, err, model.ErrNotFound)

		again, err := e.svc.SharePreview(ctx, c, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := e.svc.RevokePreviews(ctx, c, a.ID); err != nil || n != 1 {
			t.Errorf("revoked %d, %v", n, err)
		}
		_, err = e.svc.Preview(ctx, again.Token)
		wantErr(t, err, model.ErrNotFound)
	})
}

func TestPreviewLifetimeIsConfigurable(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		svc := publishing.New(publishing.Options{Store: e.store, Now: e.clock.Now, PreviewLifetime: time.Hour})
		ed := e.actor(t, "ed@example.org", accounts.Editor)
		a := e.create(t, ed, "Draft")
		link, err := svc.SharePreview(t.Context(), ed, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !link.Expires.Equal(t0.Add(time.Hour)) {
			t.Errorf("expires %v, want an hour from now", link.Expires)
		}
	})
}

// TestPreviewDraftSanitizes: the live preview goes through the same
// renderer as saves, so scripts and javascript: links never reach it.
func TestPreviewDraftSanitizes(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		c := e.actor(t, "c@example.org", accounts.Contributor)
		d := draft("")
		d.Body = "Hello <script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror=alert(3)>\n\n**bold**"
		d.Image = publishing.ImageDraft{URL: "javascript:alert(4)", Alt: "x"}
		a, err := e.svc.PreviewDraft(t.Context(), c, d)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"<script", "javascript:", "onerror", "alert(1)"} {
			if strings.Contains(a.BodyHTML, bad) {
				t.Errorf("the preview's body contains %q:\n%s", bad, a.BodyHTML)
			}
		}
		if !strings.Contains(a.BodyHTML, "<strong>bold</strong>") || a.Title == "" || a.LeadImage != nil || !a.PublishedAt.Equal(t0) {
			t.Errorf("preview: %+v", a)
		}
		list, _, err := e.store.DeskArticles(t.Context(), store.DeskQuery{})
		if err != nil || len(list) != 0 {
			t.Errorf("a preview stored something: %v, %v", list, err)
		}
	})
}
