package store_test

import (
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

func TestPreviewTokensExpire(t *testing.T) {
	t.Parallel()
	eachWithClock(t, func(t *testing.T, s *store.Store, clock *storetest.Clock) {
		ctx := t.Context()
		u := mustUser(t, s, "writer@example.org", "author")
		a := published("draft", time.Time{})
		a.Status = model.StatusDraft
		if err := s.CreateArticleAs(ctx, a, u.ID, false); err != nil {
			t.Fatal(err)
		}
		if err := s.CreatePreviewToken(ctx, "hash-1", a.ID, u.ID, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, err := s.PreviewArticle(ctx, "hash-1")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != a.ID || got.Body != a.Body {
			t.Errorf("preview shows %q, want the draft %q with its body", got.ID, a.ID)
		}
		_, err = s.PreviewArticle(ctx, "no-such-hash")
		wantErr(t, err, model.ErrNotFound)
		if n, err := s.PreviewLinks(ctx, a.ID); err != nil || n != 1 {
			t.Errorf("active links: %d, %v", n, err)
		}

		clock.Advance(time.Hour) // expires_at is exclusive
		_, err = s.PreviewArticle(ctx, "hash-1")
		wantErr(t, err, model.ErrNotFound)
		if n, err := s.PreviewLinks(ctx, a.ID); err != nil || n != 0 {
			t.Errorf("active links after expiry: %d, %v", n, err)
		}

		if err := s.CreatePreviewToken(ctx, "hash-2", a.ID, u.ID, t0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if n, err := s.RevokePreviewTokens(ctx, a.ID); err != nil || n != 1 {
			t.Errorf("revoked %d links (%v); the expired one should have been purged, leaving 1", n, err)
		}
		_, err = s.PreviewArticle(ctx, "hash-2")
		wantErr(t, err, model.ErrNotFound)
	})
}
