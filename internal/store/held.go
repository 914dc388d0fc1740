package store

import (
	"context"
	"fmt"
	"time"
)

// HeldEdits are article-form edits kept while their author confirms a
// step-up. The store keeps the form as the caller encodes it.
type HeldEdits struct {
	Action string
	Draft  string
	HeldAt time.Time
}

const (
	qHoldEdits = `INSERT INTO held_edits (user_id, article_key, action, draft, held_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (user_id, article_key) DO UPDATE SET action = excluded.action, draft = excluded.draft, held_at = excluded.held_at`
	qTakeHeldEdits = `DELETE FROM held_edits WHERE user_id = ? AND article_key = ? RETURNING action, draft, held_at`
	qDropOldEdits  = `DELETE FROM held_edits WHERE held_at < ?`
)

// HoldEdits keeps the edits e of the account userID to the article
// articleKey ("" for a new one), replacing any held before, and drops
// every account's edits held before olderThan.
func (s *Store) HoldEdits(ctx context.Context, userID, articleKey string, e HeldEdits, olderThan time.Time) error {
	err := s.write(ctx, false, func(r *runner) error {
		if _, err := r.exec(ctx, "drop_old_edits", qDropOldEdits, timeArg(olderThan)); err != nil {
			return err
		}
		_, err := r.exec(ctx, "hold_edits", qHoldEdits, userID, articleKey, e.Action, e.Draft, timeArg(e.HeldAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: hold edits: %w", err)
	}
	return nil
}

// TakeHeldEdits returns and forgets the edits the account userID holds for
// the article articleKey; model.ErrNotFound when there are none.
func (s *Store) TakeHeldEdits(ctx context.Context, userID, articleKey string) (HeldEdits, error) {
	var e HeldEdits
	err := s.write(ctx, false, func(r *runner) error {
		return r.scanRow(ctx, "take_held_edits", qTakeHeldEdits, []any{userID, articleKey}, &e.Action, &e.Draft, scanTime(&e.HeldAt))
	})
	if err != nil {
		return HeldEdits{}, fmt.Errorf("store: held edits: %w", notFound(err))
	}
	return e, nil
}
