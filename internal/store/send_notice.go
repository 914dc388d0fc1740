package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Delivery names one outbox row: an issue sent to a subscriber.
type Delivery struct {
	IssueID, SubscriberID string
}

const (
	// The repeated condition lets both engines use the partial index
	// sends_message_id.
	qSendByMessageID = `SELECT issue_id, subscriber_id FROM sends WHERE message_id = ? AND message_id <> ''`
	qLatestSendTo    = `SELECT issue_id FROM sends WHERE subscriber_id = ? AND status = 'sent' ORDER BY sent_at DESC LIMIT 1`
	qCountComplaint  = `UPDATE issues SET complaints = complaints + 1 WHERE id = ?`
	qMarkSoftBounce  = `UPDATE sends SET bounce = 'soft' WHERE issue_id = ? AND subscriber_id = ?`
	qSetBouncedIndex = `UPDATE subscribers SET status = 'bounced' WHERE id = ? AND status = 'active' RETURNING email_index`
	// The subscriber's latest campaigns that reached an outcome, newest
	// first; a campaign they were skipped in does not count.
	qRecentBounces = `SELECT s.bounce FROM sends s JOIN issues i ON i.id = s.issue_id
WHERE s.subscriber_id = ? AND s.status IN ('sent', 'failed')
ORDER BY i.started_at DESC, i.id DESC LIMIT ?`
)

// DeliveryByMessageID returns the delivery whose message carried
// messageID (without angle brackets), or model.ErrNotFound.
func (s *Store) DeliveryByMessageID(ctx context.Context, messageID string) (Delivery, error) {
	var d Delivery
	if err := s.read().scanRow(ctx, "send_by_message_id", qSendByMessageID, []any{messageID}, &d.IssueID, &d.SubscriberID); err != nil {
		return Delivery{}, fmt.Errorf("store: delivery of message %q: %w", messageID, notFound(err))
	}
	return d, nil
}

// LatestDeliveryTo returns the issue most recently delivered to a
// subscriber, or model.ErrNotFound when none was.
func (s *Store) LatestDeliveryTo(ctx context.Context, subscriberID string) (string, error) {
	var issueID string
	if err := s.read().scanRow(ctx, "latest_send_to", qLatestSendTo, []any{subscriberID}, &issueID); err != nil {
		return "", fmt.Errorf("store: latest delivery to %s: %w", subscriberID, notFound(err))
	}
	return issueID, nil
}

// Complain acts on a spam complaint in one transaction: the subscriber is
// deleted, their address suppressed for good, and the complaint counted
// against issueID (unless it is "") for the complaint-rate breaker. An
// unknown subscriber gives model.ErrNotFound and counts nothing, so a
// notice delivered twice counts once.
func (s *Store) Complain(ctx context.Context, subscriberID, issueID string) error {
	now := s.clock()
	err := s.write(ctx, false, func(r *runner) error {
		if err := deleteSubscriber(ctx, r, subscriberID, SuppressComplaint, now); err != nil {
			return err
		}
		if issueID == "" {
			return nil
		}
		_, err := r.exec(ctx, "count_complaint", qCountComplaint, issueID)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: complaint of %s: %w", subscriberID, err)
	}
	return nil
}

// SoftBounce records that the delivery of an issue to a subscriber bounced
// softly (a transient failure the mail service gave up on, or our sender
// did). When the subscriber's last limit campaigns (at least 1) all bounced
// softly, the subscriber becomes bounced and their address is suppressed;
// it reports whether that happened. Repeating a notice changes nothing
// more.
func (s *Store) SoftBounce(ctx context.Context, issueID, subscriberID string, limit int) (bool, error) {
	limit = max(limit, 1)
	suppressed := false
	now := s.clock()
	err := s.write(ctx, false, func(r *runner) error {
		suppressed = false
		if _, err := r.exec(ctx, "mark_soft_bounce", qMarkSoftBounce, issueID, subscriberID); err != nil {
			return err
		}
		soft := 0
		err := r.each(ctx, "recent_bounces", qRecentBounces, []any{subscriberID, limit}, func(scan func(...any) error) error {
			var bounce string
			if err := scan(&bounce); err != nil {
				return err
			}
			if bounce == "soft" {
				soft++
			}
			return nil
		})
		if err != nil || soft < limit {
			return err
		}
		var index string
		if err := r.scanRow(ctx, "set_bounced", qSetBouncedIndex, []any{subscriberID}, &index); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil // already bounced, or gone
			}
			return err
		}
		suppressed = true
		_, err = r.exec(ctx, "suppress", qSuppress, index, SuppressBounce, timeArg(now))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: soft bounce of %s: %w", subscriberID, err)
	}
	return suppressed, nil
}
