package publishing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// heldLifetime is how long edits held during a step-up wait for their
// author to come back.
const heldLifetime = time.Hour

// Hold keeps the actor's form d for the article id ("" for a new one), and
// the action it asked for, while they confirm a step-up that Save asked
// for, so that nothing typed is lost; Held gives it back.
func (s *Service) Hold(ctx context.Context, act Actor, id string, d Draft, action Action) error {
	if !act.WriteOwn {
		return ErrForbidden
	}
	data, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("publishing: hold edits: %w", err)
	}
	now := s.now()
	err = s.store.HoldEdits(ctx, act.UserID, id, store.HeldEdits{Action: string(action), Draft: string(data), HeldAt: now}, now.Add(-heldLifetime))
	if err != nil {
		return fmt.Errorf("publishing: %w", err)
	}
	return nil
}

// Held returns, once, the form the actor's Hold kept for the article id
// and the action it asked for; ok is false when there is none or it is
// over an hour old.
func (s *Service) Held(ctx context.Context, act Actor, id string) (d Draft, action Action, ok bool, err error) {
	e, err := s.store.TakeHeldEdits(ctx, act.UserID, id)
	if errors.Is(err, model.ErrNotFound) || (err == nil && s.now().Sub(e.HeldAt) > heldLifetime) {
		return Draft{}, "", false, nil
	}
	if err != nil {
		return Draft{}, "", false, fmt.Errorf("publishing: %w", err)
	}
	if err := json.Unmarshal([]byte(e.Draft), &d); err != nil {
		return Draft{}, "", false, fmt.Errorf("publishing: held edits: %w", err)
	}
	return d, Action(e.Action), true, nil
}
