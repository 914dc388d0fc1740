package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// TestHeldEdits: edits held during a step-up come back once, the latest
// per account and article; old ones are dropped.
func TestHeldEdits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		t.Parallel()
		ctx := t.Context()
		a, b := mustUser(t, s, "a@example.org", "author").ID, mustUser(t, s, "b@example.org", "author").ID
		hold := func(user, key, draft string, at time.Time) {
			t.Helper()
			if err := s.HoldEdits(ctx, user, key, store.HeldEdits{Action: "publish", Draft: draft, HeldAt: at}, at.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		take := func(user, key string) string {
			t.Helper()
			e, err := s.TakeHeldEdits(ctx, user, key)
			if errors.Is(err, model.ErrNotFound) {
				return ""
			}
			if err != nil {
				t.Fatal(err)
			}
			return e.Draft
		}
		hold(a, "", `{"Title":"old"}`, t0)
		hold(a, "", `{"Title":"new"}`, t0.Add(time.Minute))
		hold(b, "", `{"Title":"b's"}`, t0.Add(time.Minute))
		hold(a, "article-1", `{"Title":"edit"}`, t0.Add(time.Minute))
		if got := take(a, ""); got != `{"Title":"new"}` {
			t.Errorf("a's held new article = %q, want the latest", got)
		}
		if got := take(a, ""); got != "" {
			t.Errorf("held edits came back twice: %q", got)
		}
		if got := take(a, "article-1"); got != `{"Title":"edit"}` {
			t.Errorf("a's held edit = %q", got)
		}
		// Holding two hours later drops b's, which nobody came back for.
		hold(a, "", `{"Title":"later"}`, t0.Add(2*time.Hour))
		if got := take(b, ""); got != "" {
			t.Errorf("edits held two hours ago are still there: %q", got)
		}
	})
}
