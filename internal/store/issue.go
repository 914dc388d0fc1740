package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// Issue statuses. An issue is a draft until scheduled or started; sending
// while its outbox has rows to deliver (or is still being filled); sent when
// none is left. A cancelled issue is never claimed again.
const (
	IssueDraft     = "draft"
	IssueScheduled = "scheduled"
	IssueSending   = "sending"
	IssueSent      = "sent"
	IssueCancelled = "cancelled"
)

// Issue is one edition of a newsletter.
type Issue struct {
	ID           string
	NewsletterID string
	Subject      string
	Note         string   // the editor's note, plain text
	ArticleIDs   []string // in the editor's order
	Status       string   // one of the Issue* statuses
	// Paused stops the senders from claiming the issue's deliveries;
	// PauseReason says why (one of the Pause* reasons) and PausedAt when.
	// PausedBy is who paused it by hand: a user ID, or audit.System from
	// the command line; "" when the senders held it.
	Paused      bool
	PauseReason string
	PausedBy    string
	PausedAt    time.Time
	ScheduledAt time.Time // zero unless scheduled
	StartedAt   time.Time // when sending began
	// EnqueuedAt is when the outbox got a row for every recipient; an
	// issue cannot be finished before.
	EnqueuedAt time.Time
	FinishedAt time.Time // when the last delivery was settled
	CreatedAt  time.Time
	// Complaints counts the recipients who reported the issue as spam.
	// BreakerComplaints and BreakerDelivered are the complaints and
	// deliveries when the issue was last resumed: the complaint-rate
	// breaker judges only what came after.
	Complaints        int
	BreakerComplaints int
	BreakerDelivered  int
}

// Why an issue is paused.
const (
	PauseEditor     = "editor"     // someone paused it by hand
	PauseComplaints = "complaints" // the complaint-rate breaker tripped
	PauseDNS        = "dns"        // the sending domain failed the DNS pre-flight
)

const (
	issueColumns = `id, newsletter_id, subject, note, article_ids, status, paused, scheduled_at, started_at, enqueued_at, finished_at, created_at, ` +
		`pause_reason, complaints, breaker_complaints, breaker_delivered, paused_by, paused_at`
	qInsertIssue = `INSERT INTO issues (` + issueColumns + `) VALUES (?, ?, ?, ?, ?, 'draft', FALSE, NULL, NULL, NULL, NULL, ?, '', 0, 0, 0, '', NULL)`
	qIssueByID   = `SELECT ` + issueColumns + ` FROM issues WHERE id = ?`
	qIssueStatus = `SELECT status FROM issues WHERE id = ?`
	// An update that changes nothing changes no row, so that it keeps the
	// issue's approvals.
	qUpdateIssue = `UPDATE issues SET subject = ?, note = ?, article_ids = ? WHERE id = ? AND status IN ('draft', 'scheduled')
AND (subject <> ? OR note <> ? OR article_ids <> ?)`
	qListIssues    = `SELECT ` + issueColumns + ` FROM issues WHERE newsletter_id = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`
	qSentIssues    = `SELECT ` + issueColumns + ` FROM issues WHERE newsletter_id = ? AND status = 'sent' ORDER BY finished_at DESC, id DESC LIMIT ? OFFSET ?`
	qIssuesSending = `SELECT ` + issueColumns + ` FROM issues WHERE status = 'sending' ORDER BY started_at, id`
	qScheduleIssue = `UPDATE issues SET status = ?, scheduled_at = ? WHERE id = ? AND status IN ('draft', 'scheduled')`
	// Starting is guarded by the two-person rule (approvedToGo, whose
	// parameters come last), so no path starts an issue that lacks the
	// approvals its audience needs, whatever its status and time say.
	qStartIssue      = `UPDATE issues SET status = 'sending', started_at = ?, scheduled_at = NULL WHERE id = ? AND status IN ('draft', 'scheduled') AND ` + approvedToGo
	qStartDue        = `UPDATE issues SET status = 'sending', started_at = ? WHERE status = 'scheduled' AND scheduled_at <= ? AND ` + approvedToGo + ` RETURNING id`
	qUnscheduleIssue = `UPDATE issues SET status = 'draft', scheduled_at = NULL WHERE id = ? AND status = 'scheduled'`
	qPauseIssue      = `UPDATE issues SET paused = TRUE, pause_reason = ?, paused_by = ?, paused_at = ? WHERE id = ? AND status = 'sending' AND NOT paused`
	// Resuming restarts the complaint-rate breaker's count: deliveries are
	// the sent rows plus the complainers, whose rows left with them.
	qResumeIssue = `UPDATE issues SET paused = FALSE, pause_reason = '', paused_by = '', paused_at = NULL, breaker_complaints = complaints,
breaker_delivered = complaints + (SELECT COUNT(*) FROM sends WHERE sends.issue_id = issues.id AND sends.status = 'sent')
WHERE id = ? AND status = 'sending' AND paused`
	qHoldIssue     = `UPDATE issues SET paused = TRUE, pause_reason = ?, paused_at = ? WHERE id = ? AND status = 'sending' AND NOT paused RETURNING id`
	qCancelIssue   = `UPDATE issues SET status = 'cancelled', finished_at = ? WHERE id = ? AND status IN ('draft', 'scheduled', 'sending')`
	qSkipCancelled = `UPDATE sends SET status = 'skipped', next_attempt_at = NULL, last_error = 'issue cancelled'
WHERE issue_id = ? AND status = 'pending'`
	qDeleteIssue = `DELETE FROM issues WHERE id = ? AND status IN ('draft', 'scheduled', 'cancelled')`
	qClaimWeek   = `INSERT INTO auto_drafts (newsletter_id, week, issue_id, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT (newsletter_id, week) DO NOTHING`
)

// errWeekTaken aborts an automatic draft's transaction when its week was
// drafted already.
var errWeekTaken = errors.New("store: week already drafted")

// CreateIssue stores a new draft and sets its ID, Status and CreatedAt. An
// unknown newsletter gives model.ErrConflict.
func (s *Store) CreateIssue(ctx context.Context, is *Issue) error {
	ids, err := validateIssue(is)
	if err != nil {
		return fmt.Errorf("store: create issue: %w", err)
	}
	now, id := s.clock(), newID()
	err = s.write(ctx, false, func(r *runner) error {
		_, err := r.exec(ctx, "insert_issue", qInsertIssue, id, is.NewsletterID, is.Subject, is.Note, ids, timeArg(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create issue: %w", err)
	}
	is.created(id, now)
	return nil
}

// created sets what storing a new draft decided.
func (is *Issue) created(id string, now time.Time) {
	is.ID, is.Status, is.Paused, is.CreatedAt = id, IssueDraft, false, now
	is.ScheduledAt, is.StartedAt, is.EnqueuedAt, is.FinishedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
}

// CreateAutoDraft stores is as a new draft, like CreateIssue, unless an
// automatic draft of its newsletter was already made for week (on this
// server or any other): then it stores nothing and reports false. The
// week stays taken even if its draft is deleted.
func (s *Store) CreateAutoDraft(ctx context.Context, is *Issue, week string) (bool, error) {
	ids, err := validateIssue(is)
	if err != nil {
		return false, fmt.Errorf("store: create automatic draft: %w", err)
	}
	now, id := s.clock(), newID()
	err = s.write(ctx, false, func(r *runner) error {
		if _, err := r.exec(ctx, "insert_issue", qInsertIssue, id, is.NewsletterID, is.Subject, is.Note, ids, timeArg(now)); err != nil {
			return err
		}
		res, err := r.exec(ctx, "claim_week", qClaimWeek, is.NewsletterID, week, id, timeArg(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, errWeekTaken)
		}
		return nil
	})
	if errors.Is(err, errWeekTaken) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: create automatic draft for %s: %w", week, err)
	}
	is.created(id, now)
	return true, nil
}

// validateIssue checks what an editor typed and returns the article IDs as
// stored.
func validateIssue(is *Issue) (string, error) {
	f := map[string]string{}
	switch {
	case strings.TrimSpace(is.Subject) == "":
		f["subject"] = "the issue needs a subject line"
	case strings.ContainsAny(is.Subject, "\r\n"):
		f["subject"] = "the subject must be a single line"
	case len(is.Subject) > 250:
		f["subject"] = "the subject is too long for an email subject line"
	}
	if is.NewsletterID == "" {
		f["newsletter"] = "choose the newsletter this issue belongs to"
	}
	if len(f) > 0 {
		return "", &model.ValidationError{Fields: f}
	}
	ids := is.ArticleIDs
	if ids == nil {
		ids = []string{}
	}
	b, err := json.Marshal(ids)
	return string(b), err
}

// UpdateIssue saves the subject, note and articles of a draft or scheduled
// issue. Once sending has started the issue cannot change:
// model.ErrConflict. A change withdraws the issue's approvals, since what
// was approved is what goes out: withdrawn counts them, and a scheduled
// issue that had them is a draft again.
func (s *Store) UpdateIssue(ctx context.Context, is *Issue) (withdrawn int, err error) {
	ids, err := validateIssue(is)
	if err != nil {
		return 0, fmt.Errorf("store: update issue: %w", err)
	}
	err = s.write(ctx, false, func(r *runner) error {
		res, err := r.exec(ctx, "update_issue", qUpdateIssue, is.Subject, is.Note, ids, is.ID, is.Subject, is.Note, ids)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return err
			}
			// Nothing changed, or the issue may not change.
			status, err := issueStatus(ctx, r, is.ID)
			if err == nil && status != IssueDraft && status != IssueScheduled {
				err = fmt.Errorf("%w: the issue is %s", model.ErrConflict, status)
			}
			return err
		}
		withdrawn, err = withdrawApprovals(ctx, r, is.ID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: update issue %s: %w", is.ID, err)
	}
	return withdrawn, nil
}

// issueTransition runs an UPDATE of one issue guarded by its status, in a
// transaction of its own.
func (s *Store) issueTransition(ctx context.Context, name, id, query string, args ...any) error {
	return s.write(ctx, false, func(r *runner) error {
		return transition(ctx, r, name, id, query, args...)
	})
}

// transition runs an UPDATE of one issue guarded by its status. When no row
// changes it tells model.ErrNotFound (no such issue) from
// model.ErrConflict (the issue is in a status that forbids it).
func transition(ctx context.Context, r *runner, name, id, query string, args ...any) error {
	res, err := r.exec(ctx, name, query, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	status, err := issueStatus(ctx, r, id)
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: the issue is %s", model.ErrConflict, status)
}

// issueStatus returns the status of the issue id, or model.ErrNotFound.
func issueStatus(ctx context.Context, r *runner, id string) (string, error) {
	var status string
	if err := r.scanRow(ctx, "issue_status", qIssueStatus, []any{id}, &status); err != nil {
		return "", notFound(err)
	}
	return status, nil
}

// IssueByID returns the issue with that ID.
func (s *Store) IssueByID(ctx context.Context, id string) (Issue, error) {
	var is Issue
	if err := s.read().scanRow(ctx, "issue_by_id", qIssueByID, []any{id}, issueDest(&is)...); err != nil {
		return Issue{}, fmt.Errorf("store: issue %s: %w", id, notFound(err))
	}
	return is, nil
}

// ListIssues returns a newsletter's issues of every status, newest first.
func (s *Store) ListIssues(ctx context.Context, newsletterID string, limit, offset int) ([]Issue, error) {
	out, err := s.issues(ctx, "list_issues", qListIssues, newsletterID, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("store: list issues of %s: %w", newsletterID, err)
	}
	return out, nil
}

// SentIssues returns a newsletter's sent issues, latest first: its public
// archive.
func (s *Store) SentIssues(ctx context.Context, newsletterID string, limit, offset int) ([]Issue, error) {
	out, err := s.issues(ctx, "sent_issues", qSentIssues, newsletterID, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("store: sent issues of %s: %w", newsletterID, err)
	}
	return out, nil
}

// LatestSentIssue returns the newsletter's most recently finished issue, or
// model.ErrNotFound when none was sent yet.
func (s *Store) LatestSentIssue(ctx context.Context, newsletterID string) (Issue, error) {
	out, err := s.issues(ctx, "latest_sent_issue", qSentIssues, newsletterID, 1, 0)
	if err == nil && len(out) == 0 {
		err = model.ErrNotFound
	}
	if err != nil {
		return Issue{}, fmt.Errorf("store: latest sent issue of %s: %w", newsletterID, err)
	}
	return out[0], nil
}

// SendingIssues returns the issues being sent, paused or not, oldest first.
func (s *Store) SendingIssues(ctx context.Context) ([]Issue, error) {
	out, err := s.issues(ctx, "issues_sending", qIssuesSending)
	if err != nil {
		return nil, fmt.Errorf("store: issues being sent: %w", err)
	}
	return out, nil
}

func (s *Store) issues(ctx context.Context, name, query string, args ...any) ([]Issue, error) {
	var out []Issue
	err := s.read().each(ctx, name, query, args, func(scan func(...any) error) error {
		var is Issue
		err := scan(issueDest(&is)...)
		out = append(out, is)
		return err
	})
	return out, err
}

// ScheduleIssue sets a draft or scheduled issue to be sent at at; the zero
// time makes it a draft again. Either way it withdraws the issue's
// approvals, which were given for another time: an issue that needs two
// approvers is scheduled by ApproveIssue.
func (s *Store) ScheduleIssue(ctx context.Context, id string, at time.Time) error {
	status := IssueScheduled
	if at.IsZero() {
		status = IssueDraft
	}
	err := s.write(ctx, false, func(r *runner) error {
		if _, err := withdrawApprovals(ctx, r, id); err != nil {
			return err
		}
		return transition(ctx, r, "schedule_issue", id, qScheduleIssue, status, timeArg(at), id)
	})
	if err != nil {
		return fmt.Errorf("store: schedule issue %s: %w", id, err)
	}
	return nil
}

// StartIssue begins sending a draft or scheduled issue now. The outbox is
// filled by EnqueueSends. An issue that lacks the approvals its audience
// needs gives ErrNeedsApproval.
func (s *Store) StartIssue(ctx context.Context, id string) error {
	err := s.write(ctx, false, func(r *runner) error {
		return s.startIssue(ctx, r, id)
	})
	if err != nil {
		return fmt.Errorf("store: start issue %s: %w", id, err)
	}
	return nil
}

// startIssue is StartIssue in the transaction of r.
func (s *Store) startIssue(ctx context.Context, r *runner, id string) error {
	err := transition(ctx, r, "start_issue", id, qStartIssue, timeArg(s.clock()), id, s.secondApprovalOver, s.secondApprovalOver)
	if errors.Is(err, model.ErrConflict) {
		if status, serr := issueStatus(ctx, r, id); serr == nil && (status == IssueDraft || status == IssueScheduled) {
			return ErrNeedsApproval
		}
	}
	return err
}

// StartDueIssues begins sending the scheduled issues whose time has come by
// now and returns their IDs. An issue that lacks the approvals its
// audience needs stays scheduled.
func (s *Store) StartDueIssues(ctx context.Context, now time.Time) ([]string, error) {
	var ids []string
	err := s.write(ctx, false, func(r *runner) error {
		args := []any{timeArg(s.clock()), timeArg(now), s.secondApprovalOver, s.secondApprovalOver}
		return r.each(ctx, "start_due_issues", qStartDue, args, func(scan func(...any) error) error {
			var id string
			err := scan(&id)
			ids = append(ids, id)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: start due issues: %w", err)
	}
	return ids, nil
}

// PauseIssue stops the claiming of an issue's deliveries, on every server,
// by hand: by is who paused it (see Issue.PausedBy). Only an issue being
// sent and not paused already can be paused: model.ErrConflict otherwise.
func (s *Store) PauseIssue(ctx context.Context, id, by string) error {
	if err := s.issueTransition(ctx, "pause_issue", id, qPauseIssue, PauseEditor, by, timeArg(s.clock()), id); err != nil {
		return fmt.Errorf("store: pause issue %s: %w", id, err)
	}
	return nil
}

// ResumeIssue lets the deliveries of a paused issue be claimed again,
// whoever paused it. An issue that is not paused, or not being sent,
// gives model.ErrConflict.
func (s *Store) ResumeIssue(ctx context.Context, id string) error {
	if err := s.issueTransition(ctx, "resume_issue", id, qResumeIssue, id); err != nil {
		return fmt.Errorf("store: resume issue %s: %w", id, err)
	}
	return nil
}

// HoldIssue pauses an issue being sent for reason, one of the Pause*
// reasons, unless it is already paused. It reports whether it paused it, so
// that of several servers deciding the same at once only one acts on it.
func (s *Store) HoldIssue(ctx context.Context, id, reason string) (bool, error) {
	held := false
	err := s.write(ctx, false, func(r *runner) error {
		var got string
		err := r.scanRow(ctx, "hold_issue", qHoldIssue, []any{reason, timeArg(s.clock()), id}, &got)
		held = err == nil
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: hold issue %s: %w", id, err)
	}
	return held, nil
}

// CancelIssue stops an issue for good: deliveries not yet made are marked
// skipped and never made. A sent or cancelled issue gives
// model.ErrConflict.
func (s *Store) CancelIssue(ctx context.Context, id string) error {
	err := s.write(ctx, false, func(r *runner) error {
		if err := transition(ctx, r, "cancel_issue", id, qCancelIssue, timeArg(s.clock()), id); err != nil {
			return err
		}
		_, err := r.exec(ctx, "skip_cancelled_sends", qSkipCancelled, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: cancel issue %s: %w", id, err)
	}
	return nil
}

// DeleteIssue deletes an issue that was never sent (draft, scheduled or
// cancelled) with its outbox rows.
func (s *Store) DeleteIssue(ctx context.Context, id string) error {
	if err := s.issueTransition(ctx, "delete_issue", id, qDeleteIssue, id); err != nil {
		return fmt.Errorf("store: delete issue %s: %w", id, err)
	}
	return nil
}

// IssueArticles returns the published articles of an issue with their
// bodies, bylines and tags, in the issue's order. Articles since deleted
// or unpublished are left out.
func (s *Store) IssueArticles(ctx context.Context, is Issue) ([]*model.Article, error) {
	if len(is.ArticleIDs) == 0 {
		return nil, nil
	}
	r := s.read()
	byID := make(map[string]*model.Article, len(is.ArticleIDs))
	query := `SELECT ` + articleHeadColumns + `, ` + articleBodyColumns + `, ` + articleTailColumns +
		` FROM articles a WHERE a.status = 'published' AND a.id IN (` + placeholders(len(is.ArticleIDs)) + `)`
	args := make([]any, len(is.ArticleIDs))
	for i, id := range is.ArticleIDs {
		args[i] = id
	}
	err := r.each(ctx, "issue_articles", query, args, func(scan func(...any) error) error {
		a := &model.Article{}
		var img model.Image
		if err := scan(articleDest(a, &img, true)...); err != nil {
			return err
		}
		setLeadImage(a, img)
		byID[a.ID] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: articles of issue %s: %w", is.ID, err)
	}
	out := make([]*model.Article, 0, len(byID))
	for _, id := range is.ArticleIDs {
		if a, ok := byID[id]; ok {
			out = append(out, a)
			delete(byID, id) // an ID listed twice appears once
		}
	}
	if err := loadRelations(ctx, r, out); err != nil {
		return nil, fmt.Errorf("store: articles of issue %s: %w", is.ID, err)
	}
	return out, nil
}

func issueDest(is *Issue) []any {
	return []any{&is.ID, &is.NewsletterID, &is.Subject, &is.Note, jsonIDs{&is.ArticleIDs}, &is.Status, &is.Paused,
		scanTime(&is.ScheduledAt), scanTime(&is.StartedAt), scanTime(&is.EnqueuedAt), scanTime(&is.FinishedAt), scanTime(&is.CreatedAt),
		&is.PauseReason, &is.Complaints, &is.BreakerComplaints, &is.BreakerDelivered, &is.PausedBy, scanTime(&is.PausedAt)}
}

// jsonIDs scans a JSON array of strings.
type jsonIDs struct{ ids *[]string }

func (j jsonIDs) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return errors.New("store: article_ids is not text")
	}
	*j.ids = nil
	return json.Unmarshal(b, j.ids)
}
