package newsletter

import (
	"context"
	"errors"
	"fmt"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// Record is what the desk shows staff about one address on the
// newsletters' side.
type Record struct {
	// Address is the address as signups normalise it.
	Address string
	// Index is the address's keyed hash, which the audit log names
	// instead of the address.
	Index string
	// Subscriber is nil when the address subscribes to nothing.
	Subscriber *store.Subscriber
	Consents   []store.Consent
	// Suppression is why the address is never mailed; "" when it is not
	// suppressed.
	Suppression string
}

// RecordOf looks up one address, normalised as a signup normalises it.
// Only the address itself finds its subscriber: the store keeps keyed
// hashes, so no near match is possible. A malformed address is an
// *AddressError.
func (s *Service) RecordOf(ctx context.Context, addr string) (Record, error) {
	norm, err := NormalizeAddress(addr)
	if err != nil {
		return Record{}, err
	}
	rec := Record{Address: norm, Index: s.index(norm)}
	sub, err := s.store.SubscriberByEmailIndex(ctx, rec.Index)
	switch {
	case err == nil:
		rec.Subscriber = &sub
		rec.Consents, err = s.store.Consents(ctx, sub.ID)
	case errors.Is(err, model.ErrNotFound):
		err = nil
	}
	if err == nil {
		rec.Suppression, err = s.store.Suppression(ctx, rec.Index)
		if errors.Is(err, model.ErrNotFound) {
			err = nil
		}
	}
	if err != nil {
		return Record{}, fmt.Errorf("newsletter: record of an address: %w", err)
	}
	return rec, nil
}
