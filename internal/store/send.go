package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// Send statuses: the life of one outbox row.
const (
	SendPending = "pending" // waiting for its turn or its retry time
	SendSending = "sending" // claimed by a sender under a lease
	SendSent    = "sent"    // the SMTP server accepted it
	SendFailed  = "failed"  // given up: a permanent refusal or too many attempts
	SendSkipped = "skipped" // the recipient left, or the issue was cancelled, before their turn
)

// Send is one outbox row.
type Send struct {
	IssueID       string
	SubscriberID  string
	Status        string // one of the Send* statuses
	Attempts      int
	NextAttemptAt time.Time // zero once the row is final
	LeaseOwner    string
	LeaseUntil    time.Time
	MessageID     string
	SentAt        time.Time
	LastError     string
}

// Claim is an outbox row a sender took: deliver it and report the outcome
// with RecordSends before the lease ends.
type Claim struct {
	SubscriberID string
	Attempts     int // including this one
	// MessageID is the delivery's Message-ID, named when the row was
	// queued; empty for rows an older version queued without one.
	MessageID string
}

// SendResult is the outcome of one claimed delivery.
type SendResult struct {
	IssueID, SubscriberID string
	Owner                 string // who claimed it
	// Status is SendSent, SendFailed or SendSkipped, which settle the row,
	// or SendPending to try again at RetryAt.
	Status  string
	RetryAt time.Time
	// MessageID is recorded only when set: for a row queued without one.
	MessageID string
	Error     string // why it failed or was skipped; "" when sent
}

// SendCounts are an issue's outbox rows by status.
type SendCounts struct {
	Pending, Sending, Sent, Failed, Skipped int
}

// Total is the number of rows.
func (c SendCounts) Total() int { return c.Pending + c.Sending + c.Sent + c.Failed + c.Skipped }

// Left is the number of rows not yet settled.
func (c SendCounts) Left() int { return c.Pending + c.Sending }

// enqueueChunk is how many rows one INSERT adds; 3 parameters each.
const enqueueChunk = 500

// analyzeAfter is how many new outbox rows make EnqueueSends refresh the
// table's planner statistics on PostgreSQL.
const analyzeAfter = 1000

const (
	sendColumns = `issue_id, subscriber_id, status, attempts, next_attempt_at, lease_owner, lease_until, message_id, sent_at, last_error`
	qLastQueued = `SELECT COALESCE(MAX(subscriber_id), '') FROM sends WHERE issue_id = ?`
	// Another "(?, ?, 'pending', 0, ?, ?)" per further row.
	qEnqueueSends = `INSERT INTO sends (issue_id, subscriber_id, status, attempts, next_attempt_at, message_id) VALUES (?, ?, 'pending', 0, ?, ?)`
	qEnqueued     = `UPDATE issues SET enqueued_at = ? WHERE id = ? AND enqueued_at IS NULL`
	qAnalyzeSends = `ANALYZE sends`
	// Claiming is two statements: the first walks sends_due in order and
	// stops after the batch (on PostgreSQL locking the rows and skipping
	// those another sender is claiming); the second takes the rows it found
	// by primary key, checking each again, so that a row another sender
	// claimed in the meantime is left alone. The check is written so that
	// no index serves it: SQLite would otherwise walk every due row through
	// sends_due rather than look up the batch by primary key.
	qDueSends = `SELECT subscriber_id FROM sends WHERE issue_id = ? AND next_attempt_at <= ? AND status IN ('pending', 'sending')
ORDER BY next_attempt_at LIMIT ?`
	qClaimSends = `UPDATE sends SET status = 'sending', lease_owner = ?, lease_until = ?, next_attempt_at = ?, attempts = attempts + 1
WHERE issue_id = ? AND subscriber_id IN (%s)
AND ((status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND lease_until <= ?))
AND EXISTS (SELECT 1 FROM issues WHERE id = ? AND status = 'sending' AND NOT paused)
RETURNING subscriber_id, attempts, message_id`
	qRenewSends = `UPDATE sends SET lease_until = ?, next_attempt_at = ?
WHERE issue_id = ? AND status = 'sending' AND lease_owner = ? AND subscriber_id IN (%s)`
	qReleaseSends = `UPDATE sends SET status = 'pending', lease_owner = '', lease_until = NULL, next_attempt_at = ?, attempts = attempts - 1
WHERE issue_id = ? AND status = 'sending' AND lease_owner = ? AND subscriber_id IN (%s)`
	qRecordSent = `UPDATE sends SET status = 'sent', next_attempt_at = NULL, lease_owner = '', lease_until = NULL,
sent_at = ?, last_error = ''
WHERE issue_id = ? AND subscriber_id IN (%s) AND status = 'sending' AND lease_owner = ?`
	qRecordSend = `UPDATE sends SET status = ?, next_attempt_at = ?, lease_owner = '', lease_until = NULL,
message_id = COALESCE(NULLIF(?, ''), message_id), sent_at = ?, last_error = ?
WHERE issue_id = ? AND subscriber_id = ? AND status = 'sending' AND lease_owner = ?`
	// The conditions are selected, not filtered on: a WHERE on status
	// makes SQLite walk every active subscriber through its status index
	// instead of looking up the batch by primary key.
	qSendRecipients = `SELECT s.id, s.email_sealed, s.status, s.token_version,
EXISTS (SELECT 1 FROM subscriptions n WHERE n.subscriber_id = s.id AND n.newsletter_id = ?),
EXISTS (SELECT 1 FROM suppressions x WHERE x.email_index = s.email_index)
FROM subscribers s WHERE s.id IN (%s)`
	qSendCounts = `SELECT status, COUNT(*) FROM sends WHERE issue_id = ? GROUP BY status`
	// Rows left to deliver are those with a next attempt time (final rows
	// have none), so the check walks sends_due and stops at the first.
	qFinishIssues = `UPDATE issues SET status = 'sent', finished_at = ?
WHERE status = 'sending' AND enqueued_at IS NOT NULL
AND NOT EXISTS (SELECT 1 FROM sends WHERE sends.issue_id = issues.id AND sends.next_attempt_at IS NOT NULL)
RETURNING id`
	qListSends = `SELECT ` + sendColumns + ` FROM sends WHERE issue_id = ? AND (? = '' OR status = ?)
ORDER BY subscriber_id LIMIT ?`
)

// EnqueueSends fills the outbox of an issue being sent with one pending row
// per active recipient of its newsletter, page by page, then marks the issue
// enqueued. It is idempotent and resumable: after an interruption it carries
// on after the last recipient queued (pages are in ID order), and the
// primary key keeps a recipient from being queued twice. Each row is named
// its Message-ID at the right of domain (see SendMessageID), so every
// copy of a delivery carries the same one and bounce notices find it. It
// returns how many rows it added.
func (s *Store) EnqueueSends(ctx context.Context, issueID string, pageSize int, domain string) (int, error) {
	fail := func(err error) (int, error) {
		return 0, fmt.Errorf("store: enqueue sends of issue %s: %w", issueID, err)
	}
	is, err := s.IssueByID(ctx, issueID)
	if err != nil {
		return fail(err)
	}
	if is.Status != IssueSending {
		return fail(fmt.Errorf("%w: the issue is %s, not sending", model.ErrConflict, is.Status))
	}
	var after string
	if err := s.read().scanRow(ctx, "last_queued", qLastQueued, []any{issueID}, &after); err != nil {
		return fail(err)
	}
	added := 0
	for {
		page, err := s.ActiveRecipients(ctx, is.NewsletterID, after, pageSize)
		if err != nil {
			return fail(err)
		}
		if len(page) == 0 {
			break
		}
		now := timeArg(s.clock())
		err = s.write(ctx, true, func(r *runner) error {
			for start := 0; start < len(page); start += enqueueChunk {
				chunk := page[start:min(start+enqueueChunk, len(page))]
				args := make([]any, 0, 4*len(chunk))
				for _, rc := range chunk {
					args = append(args, issueID, rc.SubscriberID, now, SendMessageID(issueID, rc.SubscriberID, domain))
				}
				query := qEnqueueSends + strings.Repeat(", (?, ?, 'pending', 0, ?, ?)", len(chunk)-1) +
					` ON CONFLICT (issue_id, subscriber_id) DO NOTHING`
				res, err := r.exec(ctx, "enqueue_sends", query, args...)
				if err != nil {
					return err
				}
				n, err := res.RowsAffected()
				if err != nil {
					return err
				}
				added += int(n)
			}
			return nil
		})
		if err != nil {
			return fail(err)
		}
		after = page[len(page)-1].SubscriberID
	}
	err = s.write(ctx, false, func(r *runner) error {
		_, err := r.exec(ctx, "mark_enqueued", qEnqueued, timeArg(s.clock()), issueID)
		return err
	})
	if err != nil {
		return fail(err)
	}
	if added >= analyzeAfter && s.d.name() == "postgres" {
		// Without fresh statistics PostgreSQL plans the claim query as if
		// the outbox were empty, sorting every due row for each batch until
		// autovacuum catches up, minutes later. SQLite is left without:
		// its sample statistics would make every claim and record compile
		// again each time (see migration 0022).
		err := s.write(ctx, false, func(r *runner) error {
			_, err := r.exec(ctx, "analyze_sends", qAnalyzeSends)
			return err
		})
		if err != nil {
			return fail(err)
		}
	}
	return added, nil
}

// SendMessageID names the delivery of an issue to a subscriber. The
// subscriber's ID is hashed: it is time-ordered and would tell anyone the
// message is forwarded to when they subscribed.
func SendMessageID(issueID, subscriberID, domain string) string {
	sum := sha256.Sum256([]byte(issueID + "/" + subscriberID))
	return "issue-" + issueID + "-" + hex.EncodeToString(sum[:12]) + "@" + domain
}

// ClaimSends takes up to limit deliveries of an issue that are due (pending
// and past their retry time, or claimed by a sender whose lease ran out)
// for owner, leasing them for lease. Two senders never get the same row,
// and nobody gets one while the issue is paused or no longer sending.
func (s *Store) ClaimSends(ctx context.Context, issueID, owner string, limit int, lease time.Duration) ([]Claim, error) {
	now := s.clock()
	until := timeArg(now.Add(lease))
	var out []Claim
	err := s.write(ctx, false, func(r *runner) error {
		out = out[:0]
		var due []any
		err := r.each(ctx, "due_sends", qDueSends+s.d.skipLocked(), []any{issueID, timeArg(now), limit}, func(scan func(...any) error) error {
			var id string
			err := scan(&id)
			due = append(due, id)
			return err
		})
		if err != nil || len(due) == 0 {
			return err
		}
		args := append([]any{owner, until, until, issueID}, due...)
		args = append(args, timeArg(now), timeArg(now), issueID)
		return r.each(ctx, "claim_sends", fmt.Sprintf(qClaimSends, placeholders(len(due))), args, func(scan func(...any) error) error {
			var c Claim
			err := scan(&c.SubscriberID, &c.Attempts, &c.MessageID)
			out = append(out, c)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim sends of issue %s: %w", issueID, err)
	}
	return out, nil
}

// RenewSends extends owner's lease on the listed rows it still holds and
// returns how many it holds.
func (s *Store) RenewSends(ctx context.Context, issueID, owner string, subscriberIDs []string, lease time.Duration) (int, error) {
	until := timeArg(s.clock().Add(lease))
	n, err := s.updateHeld(ctx, "renew_sends", qRenewSends, []any{until, until, issueID, owner}, subscriberIDs)
	if err != nil {
		return 0, fmt.Errorf("store: renew sends of issue %s: %w", issueID, err)
	}
	return n, nil
}

// ReleaseSends gives back rows owner claimed but did not attempt, for
// another sender to take at once.
func (s *Store) ReleaseSends(ctx context.Context, issueID, owner string, subscriberIDs []string) error {
	if _, err := s.updateHeld(ctx, "release_sends", qReleaseSends, []any{timeArg(s.clock()), issueID, owner}, subscriberIDs); err != nil {
		return fmt.Errorf("store: release sends of issue %s: %w", issueID, err)
	}
	return nil
}

// updateHeld runs query, whose %s takes the placeholders of subscriberIDs,
// with args followed by the IDs, and returns the rows changed.
func (s *Store) updateHeld(ctx context.Context, name, query string, args []any, subscriberIDs []string) (int, error) {
	if len(subscriberIDs) == 0 {
		return 0, nil
	}
	for _, id := range subscriberIDs {
		args = append(args, id)
	}
	var n int64
	err := s.write(ctx, false, func(r *runner) error {
		res, err := r.exec(ctx, name, fmt.Sprintf(query, placeholders(len(subscriberIDs))), args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// RecordSends settles claimed rows in one transaction. A result whose row is
// no longer held by its owner (the lease ran out and another sender took
// it) changes nothing: that sender will record its own outcome. It returns
// how many rows changed.
func (s *Store) RecordSends(ctx context.Context, results []SendResult) (int, error) {
	now := s.clock()
	// Deliveries of one issue by one owner are recorded by one statement:
	// a group commit then costs little more than a single row. A row that
	// still needs its Message-ID stored takes a statement of its own.
	type group struct{ issueID, owner string }
	sent := map[group][]SendResult{}
	var others []SendResult
	for _, res := range results {
		switch res.Status {
		case SendSent:
			if res.MessageID != "" {
				others = append(others, res)
				continue
			}
			g := group{res.IssueID, res.Owner}
			sent[g] = append(sent[g], res)
		case SendPending, SendFailed, SendSkipped:
			others = append(others, res)
		default:
			return 0, fmt.Errorf("store: record sends: status %q cannot be recorded", res.Status)
		}
	}
	changed := 0
	err := s.write(ctx, false, func(r *runner) error {
		changed = 0
		count := func(out sql.Result, err error) error {
			if err != nil {
				return err
			}
			n, err := out.RowsAffected()
			changed += int(n)
			return err
		}
		for g, rows := range sent {
			args := make([]any, 0, len(rows)+3)
			args = append(args, timeArg(now))
			args = append(args, g.issueID)
			for _, res := range rows {
				args = append(args, res.SubscriberID)
			}
			args = append(args, g.owner)
			query := fmt.Sprintf(qRecordSent, placeholders(len(rows)))
			if err := count(r.exec(ctx, "record_sent", query, args...)); err != nil {
				return err
			}
		}
		for _, res := range others {
			var next, sentAt any
			switch res.Status {
			case SendPending:
				next = timeArg(res.RetryAt)
				if res.RetryAt.IsZero() {
					next = timeArg(now)
				}
			case SendSent:
				sentAt = timeArg(now)
			}
			if err := count(r.exec(ctx, "record_send", qRecordSend, res.Status, next, res.MessageID, sentAt, res.Error,
				res.IssueID, res.SubscriberID, res.Owner)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: record sends: %w", err)
	}
	return changed, nil
}

// SendTo is what sending an issue needs of one subscriber.
type SendTo struct {
	EmailSealed string
	// TokenVersion signs the manage link in the email.
	TokenVersion int
}

// SendRecipients returns, by subscriber ID, those among subscriberIDs who
// may still be mailed this newsletter: active, subscribed to it and not
// suppressed. It is asked just before sending, so that an unsubscription
// takes effect on a send already under way.
func (s *Store) SendRecipients(ctx context.Context, newsletterID string, subscriberIDs []string) (map[string]SendTo, error) {
	out := make(map[string]SendTo, len(subscriberIDs))
	if len(subscriberIDs) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(subscriberIDs)+1)
	args = append(args, newsletterID)
	for _, id := range subscriberIDs {
		args = append(args, id)
	}
	query := fmt.Sprintf(qSendRecipients, placeholders(len(subscriberIDs)))
	err := s.read().each(ctx, "send_recipients", query, args, func(scan func(...any) error) error {
		var id, status string
		var rcpt SendTo
		var subscribed, suppressed bool
		if err := scan(&id, &rcpt.EmailSealed, &status, &rcpt.TokenVersion, &subscribed, &suppressed); err != nil {
			return err
		}
		if status == SubscriberActive && subscribed && !suppressed {
			out[id] = rcpt
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: recipients of newsletter %s: %w", newsletterID, err)
	}
	return out, nil
}

// SendProgress counts an issue's outbox rows by status.
func (s *Store) SendProgress(ctx context.Context, issueID string) (SendCounts, error) {
	var c SendCounts
	err := s.read().each(ctx, "send_counts", qSendCounts, []any{issueID}, func(scan func(...any) error) error {
		var status string
		var n int
		if err := scan(&status, &n); err != nil {
			return err
		}
		switch status {
		case SendPending:
			c.Pending = n
		case SendSending:
			c.Sending = n
		case SendSent:
			c.Sent = n
		case SendFailed:
			c.Failed = n
		case SendSkipped:
			c.Skipped = n
		}
		return nil
	})
	if err != nil {
		return SendCounts{}, fmt.Errorf("store: progress of issue %s: %w", issueID, err)
	}
	return c, nil
}

// FinishIssues marks sent every issue being sent whose outbox is complete
// and settled, and returns their IDs.
func (s *Store) FinishIssues(ctx context.Context) ([]string, error) {
	var ids []string
	err := s.write(ctx, false, func(r *runner) error {
		ids = ids[:0]
		return r.each(ctx, "finish_issues", qFinishIssues, []any{timeArg(s.clock())}, func(scan func(...any) error) error {
			var id string
			err := scan(&id)
			ids = append(ids, id)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: finish issues: %w", err)
	}
	return ids, nil
}

// ListSends returns up to limit outbox rows of an issue in subscriber order,
// only those with status unless it is "".
func (s *Store) ListSends(ctx context.Context, issueID, status string, limit int) ([]Send, error) {
	var out []Send
	err := s.read().each(ctx, "list_sends", qListSends, []any{issueID, status, status, limit}, func(scan func(...any) error) error {
		var sd Send
		err := scan(&sd.IssueID, &sd.SubscriberID, &sd.Status, &sd.Attempts, scanTime(&sd.NextAttemptAt), &sd.LeaseOwner,
			scanTime(&sd.LeaseUntil), &sd.MessageID, scanTime(&sd.SentAt), &sd.LastError)
		out = append(out, sd)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: sends of issue %s: %w", issueID, err)
	}
	return out, nil
}
