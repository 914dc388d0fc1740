package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// The two-person rule of large sends (requirement S5): an issue whose
// audience is more than Options.SecondApprovalOver recipients is scheduled
// or started only once two different people approved the same send of the
// same text.

// Errors of the two-person rule.
var (
	// ErrNeedsApproval: the issue goes to more recipients than one person
	// may send to alone, and lacks a second approval.
	ErrNeedsApproval = errors.New("store: the issue goes to more recipients than one person may send to alone; it needs a second approval")
	// ErrSameApprover: the person approved this send already; the second
	// approval must come from someone else.
	ErrSameApprover = errors.New("store: this person approved the issue's send already; the second approval must come from someone else")
	// ErrIssueChanged: the issue was edited since the approver read it.
	ErrIssueChanged = errors.New("store: the issue changed since it was read; read it again before approving")
)

// requiredApprovers is how many different people approve a large send.
const requiredApprovers = 2

// activeRecipient is the condition on a subscriber s of a newsletter's
// subscriptions that makes it a recipient of its issues.
const activeRecipient = `s.status = 'active' AND NOT EXISTS (SELECT 1 FROM suppressions x WHERE x.email_index = s.email_index)`

const (
	// audienceOf counts the recipients of the newsletter whose ID ends it.
	audienceOf = `SELECT COUNT(*) FROM subscriptions n JOIN subscribers s ON s.id = n.subscriber_id WHERE ` + activeRecipient + ` AND n.newsletter_id = `
	qAudience  = audienceOf + `?`
	// approvedToGo holds of an issue (the row "issues") that may go out:
	// the rule is off (its threshold, the first parameter, is 0), two
	// (requiredApprovers) people approved it, or its audience is at most
	// the threshold (the second parameter, the same).
	approvedToGo = `(? = 0 OR (SELECT COUNT(*) FROM issue_approvals a WHERE a.issue_id = issues.id) >= 2
OR (` + audienceOf + `issues.newsletter_id) <= ?)`
	qApprovals       = `SELECT user_id, send_at, approved_at FROM issue_approvals WHERE issue_id = ? ORDER BY approved_at, user_id`
	qInsertApproval  = `INSERT INTO issue_approvals (issue_id, user_id, send_at, approved_at) VALUES (?, ?, ?, ?)`
	qDeleteApprovals = `DELETE FROM issue_approvals WHERE issue_id = ?`
	// qLockIssue changes nothing but takes the issue's row lock on
	// PostgreSQL, so that two approvals of an issue, or an approval and
	// an edit, are decided one after the other; SQLite has one writer.
	qLockIssue = `UPDATE issues SET status = status WHERE id = ?`
	// qLockUnsentIssues takes the row locks of the unsent issues that meet
	// a condition on the table issues, filled in, as qLockIssue does, and
	// qApprovedUnsentIssues lists those with approvals.
	qLockUnsentIssues     = `UPDATE issues SET status = status WHERE status IN ('draft', 'scheduled') AND %s`
	qApprovedUnsentIssues = `SELECT id FROM issues WHERE status IN ('draft', 'scheduled') AND %s
AND EXISTS (SELECT 1 FROM issue_approvals a WHERE a.issue_id = issues.id) ORDER BY id`
	// pickingArticle is the condition of an issue that picks an article:
	// its article_ids, a JSON array of quoted IDs, holds it. The parameter
	// is a LIKE pattern of the quoted ID.
	pickingArticle = `article_ids LIKE ? ESCAPE '\'`
	// qPickedRevisions gives the latest revision of each of the articles
	// whose IDs fill its IN list.
	qPickedRevisions = `SELECT article_id, MAX(number) FROM revisions WHERE article_id IN (%s) GROUP BY article_id`
	// qNewsletterLooks is what a newsletter's settings show in its emails.
	qNewsletterLooks = `SELECT name, full_text FROM newsletters WHERE id = ?`
)

// Approval is one person's approval of sending an issue.
type Approval struct {
	UserID     string
	SendAt     time.Time // the time approved; zero: at once
	ApprovedAt time.Time
}

// ApprovalRule is what sending to a newsletter's audience takes now.
type ApprovalRule struct {
	Over     int // Options.SecondApprovalOver; 0: the rule is off
	Audience int // the newsletter's recipients now; counted only when Over > 0
	Needed   int // how many different people must approve a send: 1 or 2
}

// Approved is the outcome of ApproveIssue.
type Approved struct {
	// Status is the issue's status now: IssueDraft while it awaits a
	// second approval, else IssueScheduled or IssueSending.
	Status string
	// Approvals counts the approvals of the send, this one included; 0
	// when one person may send it, and none is recorded.
	Approvals int
}

// IssueDigest identifies what the issue says: its subject, note and
// articles, each as its latest revision has it, and the name and full-text
// setting of its newsletter. An approval names the digest of the page the
// approver read, so that it is refused once any of these changed since.
func (s *Store) IssueDigest(ctx context.Context, is Issue) (string, error) {
	digest, err := issueDigest(ctx, s.read(), is)
	if err != nil {
		return "", fmt.Errorf("store: digest of issue %s: %w", is.ID, err)
	}
	return digest, nil
}

func issueDigest(ctx context.Context, r *runner, is Issue) (string, error) {
	revisions := make(map[string]int, len(is.ArticleIDs))
	if len(is.ArticleIDs) > 0 {
		ids := make([]any, len(is.ArticleIDs))
		for i, id := range is.ArticleIDs {
			ids[i] = id
		}
		query := fmt.Sprintf(qPickedRevisions, placeholders(len(ids)))
		err := r.each(ctx, "picked_revisions", query, ids, func(scan func(...any) error) error {
			var id string
			var number int
			err := scan(&id, &number)
			revisions[id] = number
			return err
		})
		if err != nil {
			return "", err
		}
	}
	var name string
	var fullText bool
	if err := r.scanRow(ctx, "newsletter_looks", qNewsletterLooks, []any{is.NewsletterID}, &name, &fullText); err != nil {
		return "", notFound(err)
	}
	h := sha256.New()
	parts := []string{is.Subject, is.Note, name, strconv.FormatBool(fullText)}
	for _, id := range is.ArticleIDs {
		parts = append(parts, id, strconv.Itoa(revisions[id]))
	}
	for _, part := range parts {
		h.Write([]byte(strconv.Itoa(len(part)) + ":" + part))
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

// ApprovalRule returns what sending an issue of the newsletter takes now.
func (s *Store) ApprovalRule(ctx context.Context, newsletterID string) (ApprovalRule, error) {
	rule, err := s.approvalRule(ctx, s.read(), newsletterID)
	if err != nil {
		return ApprovalRule{}, fmt.Errorf("store: approval rule of newsletter %s: %w", newsletterID, err)
	}
	return rule, nil
}

func (s *Store) approvalRule(ctx context.Context, r *runner, newsletterID string) (ApprovalRule, error) {
	rule := ApprovalRule{Over: s.secondApprovalOver, Needed: 1}
	if rule.Over == 0 {
		return rule, nil
	}
	if err := r.scanRow(ctx, "audience", qAudience, []any{newsletterID}, &rule.Audience); err != nil {
		return ApprovalRule{}, err
	}
	if rule.Audience > rule.Over {
		rule.Needed = requiredApprovers
	}
	return rule, nil
}

// IssueApprovals returns the approvals of an issue's send, oldest first.
func (s *Store) IssueApprovals(ctx context.Context, id string) ([]Approval, error) {
	list, err := approvals(ctx, s.read(), id)
	if err != nil {
		return nil, fmt.Errorf("store: approvals of issue %s: %w", id, err)
	}
	return list, nil
}

func approvals(ctx context.Context, r *runner, id string) ([]Approval, error) {
	var out []Approval
	err := r.each(ctx, "issue_approvals", qApprovals, []any{id}, func(scan func(...any) error) error {
		var a Approval
		err := scan(&a.UserID, scanTime(&a.SendAt), scanTime(&a.ApprovedAt))
		out = append(out, a)
		return err
	})
	return out, err
}

// ApproveIssue is userID asking for the draft or scheduled issue id to go
// out at sendAt (zero: at once), having read it when its Digest was
// digest. When one person may send to its audience, nothing is recorded
// and the issue is scheduled, or started when sendAt is zero or past.
// Otherwise the approval is recorded (replacing any given for another
// time) and the issue waits as a draft until a second person approves the
// same time; then it is scheduled or started.
//
// It fails with ErrIssueChanged when the issue no longer has that digest
// (digest may be "" only when one person may send the issue), with
// ErrSameApprover when userID approved this send already, and with
// model.ErrConflict when the issue is being sent or was sent.
func (s *Store) ApproveIssue(ctx context.Context, id, userID string, sendAt time.Time, digest string) (Approved, error) {
	now, sendAt := s.clock(), normTime(sendAt)
	var out Approved
	err := s.write(ctx, false, func(r *runner) error {
		if _, err := r.exec(ctx, "lock_issue", qLockIssue, id); err != nil {
			return err
		}
		var is Issue
		if err := r.scanRow(ctx, "issue_by_id", qIssueByID, []any{id}, issueDest(&is)...); err != nil {
			return notFound(err)
		}
		if is.Status != IssueDraft && is.Status != IssueScheduled {
			return fmt.Errorf("%w: the issue is %s", model.ErrConflict, is.Status)
		}
		rule, err := s.approvalRule(ctx, r, is.NewsletterID)
		if err != nil {
			return err
		}
		if digest != "" || rule.Needed > 1 {
			current, err := issueDigest(ctx, r, is)
			if err != nil {
				return err
			}
			if digest != current {
				return ErrIssueChanged
			}
		}
		if rule.Needed > 1 {
			if out.Approvals, err = recordApproval(ctx, r, id, userID, sendAt, now); err != nil {
				return err
			}
			if out.Approvals < rule.Needed {
				// Not approved yet, so not scheduled either.
				out.Status = IssueDraft
				_, err := r.exec(ctx, "unschedule_issue", qUnscheduleIssue, id)
				return err
			}
		}
		if sendAt.After(now) {
			out.Status = IssueScheduled
			return transition(ctx, r, "schedule_issue", id, qScheduleIssue, IssueScheduled, timeArg(sendAt), id)
		}
		out.Status = IssueSending
		return s.startIssue(ctx, r, id)
	})
	if err != nil {
		return Approved{}, fmt.Errorf("store: approve issue %s: %w", id, err)
	}
	return out, nil
}

// recordApproval adds userID's approval of sending issue id at sendAt and
// returns how many the send has. Approvals of another time are withdrawn
// first: they approved another send.
func recordApproval(ctx context.Context, r *runner, id, userID string, sendAt, now time.Time) (int, error) {
	list, err := approvals(ctx, r, id)
	if err != nil {
		return 0, err
	}
	if len(list) > 0 && !list[0].SendAt.Equal(sendAt) {
		if _, err := r.exec(ctx, "delete_approvals", qDeleteApprovals, id); err != nil {
			return 0, err
		}
		list = nil
	}
	if slices.ContainsFunc(list, func(a Approval) bool { return a.UserID == userID }) {
		return 0, ErrSameApprover
	}
	if _, err := r.exec(ctx, "insert_approval", qInsertApproval, id, userID, timeArg(sendAt), timeArg(now)); err != nil {
		return 0, err
	}
	return len(list) + 1, nil
}

// withdrawApprovals deletes the approvals of issue id and returns how many
// there were; a scheduled issue that had some becomes a draft again.
func withdrawApprovals(ctx context.Context, r *runner, id string) (int, error) {
	res, err := r.exec(ctx, "delete_approvals", qDeleteApprovals, id)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return 0, err
	}
	_, err = r.exec(ctx, "unschedule_issue", qUnscheduleIssue, id)
	return int(n), err
}

// withdrawApprovalsPicking withdraws the approvals of the unsent issues
// that pick the article articleID, whose text they approved as it was
// before the change the caller is making, and returns those issues' IDs.
func withdrawApprovalsPicking(ctx context.Context, r *runner, articleID string) ([]string, error) {
	return withdrawUnsentApprovals(ctx, r, pickingArticle, `%"`+escapeLike(articleID)+`"%`)
}

// withdrawUnsentApprovals withdraws the approvals of the unsent issues
// that meet the condition cond with the parameter arg, and returns those
// issues' IDs. It first takes the row locks of every unsent issue that
// meets it, which ApproveIssue takes too: an approval given meanwhile is
// either withdrawn here or, coming after, sees the change (in the issue's
// digest) and is refused as given to an older page.
func withdrawUnsentApprovals(ctx context.Context, r *runner, cond string, arg any) ([]string, error) {
	if _, err := r.exec(ctx, "lock_unsent_issues", fmt.Sprintf(qLockUnsentIssues, cond), arg); err != nil {
		return nil, err
	}
	var ids []string
	err := r.each(ctx, "approved_unsent_issues", fmt.Sprintf(qApprovedUnsentIssues, cond), []any{arg}, func(scan func(...any) error) error {
		var id string
		err := scan(&id)
		ids = append(ids, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, err := withdrawApprovals(ctx, r, id); err != nil {
			return nil, err
		}
	}
	return ids, nil
}
