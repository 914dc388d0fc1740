package newsletter

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// Kinds of delivery notice a mail service posts.
const (
	NoticePermanent = "permanent" // a hard bounce: the address does not work
	NoticeTransient = "transient" // a soft bounce: mailbox full, server down
	NoticeComplaint = "complaint" // the recipient marked a message as spam
)

// Notice is a bounce or complaint report from a mail service. It names
// the recipient by address, by the Message-ID of the message it is about
// (which also ties it to the issue: the outbox stores each delivery's
// Message-ID), or both.
type Notice struct {
	Email     string `json:"email,omitempty"`
	MessageID string `json:"message_id,omitempty"`
	Type      string `json:"type"`
}

// ErrBadNotice is a notice of an unknown type, or that names neither a
// usable address nor a Message-ID.
var ErrBadNotice = errors.New("newsletter: a notice needs a type (permanent, transient or complaint) and the recipient's email address or the Message-ID of the message")

// HandleNotice acts on a bounce or complaint notice (requirement E4). A
// complaint deletes the subscriber, suppresses the address for good and
// counts against the issue for the complaint-rate breaker; a permanent
// bounce marks the subscriber bounced and suppresses the address (a mail
// service's verdict needs no second opinion); a transient one marks the
// delivery soft-bounced, and SoftBounceLimit campaigns in a row that did
// suppress the address. Addresses no subscriber has are suppressed all the
// same, so a later signup cannot reach them. A notice about a message and
// address we do not know changes nothing.
func (s *Service) HandleNotice(ctx context.Context, n Notice) error {
	switch n.Type {
	case NoticeComplaint, NoticePermanent, NoticeTransient:
	default:
		return ErrBadNotice
	}
	var addr string
	if strings.TrimSpace(n.Email) != "" {
		a, err := NormalizeAddress(n.Email)
		if err != nil {
			return ErrBadNotice
		}
		addr = a
	}
	messageID := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(n.MessageID), "<"), ">")
	if addr == "" && messageID == "" {
		return ErrBadNotice
	}
	to, err := s.noticeTarget(ctx, addr, messageID)
	if err == nil {
		err = s.actOnNotice(ctx, n.Type, to)
	}
	if err != nil {
		return fmt.Errorf("newsletter: %s notice: %w", n.Type, err)
	}
	s.log.Info("newsletter: delivery notice", "type", n.Type, "issue", to.issueID, "known", to.subscriberID != "")
	return nil
}

// noticeTarget is whom and what a notice is about, as far as known.
type noticeTarget struct {
	subscriberID, issueID string
	index                 string // of the address; "" when the notice gave none
}

// noticeTarget finds the delivery a notice is about: by Message-ID, else by
// the subscriber with that address and the issue they were last sent.
func (s *Service) noticeTarget(ctx context.Context, addr, messageID string) (noticeTarget, error) {
	var to noticeTarget
	if addr != "" {
		to.index = s.index(addr)
	}
	if messageID != "" {
		d, err := s.store.DeliveryByMessageID(ctx, messageID)
		if err == nil {
			to.subscriberID, to.issueID = d.SubscriberID, d.IssueID
			return to, nil
		}
		if !errors.Is(err, model.ErrNotFound) {
			return to, err
		}
	}
	if addr == "" {
		return to, nil
	}
	sub, err := s.store.SubscriberByEmailIndex(ctx, to.index)
	if errors.Is(err, model.ErrNotFound) {
		return to, nil
	}
	if err != nil {
		return to, err
	}
	to.subscriberID = sub.ID
	to.issueID, err = s.store.LatestDeliveryTo(ctx, sub.ID)
	if errors.Is(err, model.ErrNotFound) {
		err = nil
	}
	return to, err
}

func (s *Service) actOnNotice(ctx context.Context, kind string, to noticeTarget) error {
	if to.subscriberID == "" {
		if to.index == "" || kind == NoticeTransient {
			return nil // nobody we know of
		}
		reason := store.SuppressBounce
		if kind == NoticeComplaint {
			reason = store.SuppressComplaint
		}
		return s.store.Suppress(ctx, to.index, reason)
	}
	var err error
	switch kind {
	case NoticeComplaint:
		err = s.store.Complain(ctx, to.subscriberID, to.issueID)
	case NoticePermanent:
		err = s.store.MarkBounced(ctx, to.subscriberID, true, 1)
	case NoticeTransient:
		if to.issueID != "" {
			_, err = s.store.SoftBounce(ctx, to.issueID, to.subscriberID, s.softBounceLimit)
		}
	}
	if errors.Is(err, model.ErrNotFound) {
		return nil // gone meanwhile: a notice delivered twice at once
	}
	return err
}
