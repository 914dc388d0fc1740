package newsletter

import (
	"context"
	"errors"
	"fmt"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// Kinds of delivery notice a mail service posts.
const (
	NoticePermanent = "permanent" // a hard bounce: the address does not work
	NoticeTransient = "transient" // a soft bounce: mailbox full, server down
	NoticeComplaint = "complaint" // the recipient marked a message as spam
)

// Notice is a bounce or complaint report from a mail service.
type Notice struct {
	Email string `json:"email"`
	Type  string `json:"type"`
}

// ErrBadNotice is a notice that names no usable address or an unknown type.
var ErrBadNotice = errors.New("newsletter: a notice needs an email address and a type: permanent, transient or complaint")

// HandleNotice acts on a bounce or complaint notice. A complaint deletes
// the subscriber and suppresses the address for good; a permanent bounce
// marks the subscriber bounced and suppresses the address (a mail
// service's verdict needs no second opinion); a transient one changes
// nothing, as the service retries it itself. Addresses no subscriber has
// are suppressed all the same, so a later signup cannot reach them.
func (s *Service) HandleNotice(ctx context.Context, n Notice) error {
	addr, err := NormalizeAddress(n.Email)
	if err != nil {
		return ErrBadNotice
	}
	var reason string
	switch n.Type {
	case NoticeComplaint:
		reason = store.SuppressComplaint
	case NoticePermanent:
		reason = store.SuppressBounce
	case NoticeTransient:
		return nil
	default:
		return ErrBadNotice
	}
	index := s.index(addr)
	sub, err := s.store.SubscriberByEmailIndex(ctx, index)
	switch {
	case errors.Is(err, model.ErrNotFound):
		err = s.store.Suppress(ctx, index, reason)
	case err != nil:
	case reason == store.SuppressComplaint:
		err = s.store.DeleteSubscriber(ctx, sub.ID, reason)
	default:
		err = s.store.MarkBounced(ctx, sub.ID, true, 1)
	}
	if err != nil {
		return fmt.Errorf("newsletter: %s notice: %w", n.Type, err)
	}
	s.log.Info("newsletter: delivery notice", "type", n.Type)
	return nil
}
