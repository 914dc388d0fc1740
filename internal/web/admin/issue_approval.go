package admin

import (
	"cmp"
	"errors"
	"net/http"
	"time"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
)

// approvalView is the two-person rule of large sends (requirement S5) on an
// issue's page: what its audience needs, and who approved.
type approvalView struct {
	store.ApprovalRule
	Approvals []approvalRow
	// Awaiting: the issue is a draft approved once; Mine: by the
	// signed-in editor, who cannot approve it again. Lacking: it is
	// scheduled without the approvals it needs (scheduled before its
	// audience grew, or before the rule was on), so it does not go out.
	Awaiting, Mine, Lacking bool
	// SendAt is the time approved (zero: at once), in words in the
	// newsletter's zone as When, and as the approve form sends it as
	// Value. Passed: that time is past, so approving sends at once.
	SendAt      time.Time
	When, Value string
	Passed      bool
}

// approvalRow is one approval, in words.
type approvalRow struct {
	By, At, For string
}

// approvalOf describes the approvals of is, whose newsletter is in zone
// loc: for an issue still to be sent, with what its audience needs; for
// one sent, who approved it. Nil when there is nothing to say.
func (a *Admin) approvalOf(r *http.Request, is store.Issue, loc *time.Location) (*approvalView, error) {
	ctx := r.Context()
	list, err := a.store.IssueApprovals(ctx, is.ID)
	if err != nil {
		return nil, err
	}
	v := &approvalView{ApprovalRule: store.ApprovalRule{Needed: 1}}
	if is.Status == store.IssueDraft || is.Status == store.IssueScheduled {
		if v.ApprovalRule, err = a.store.ApprovalRule(ctx, is.NewsletterID); err != nil {
			return nil, err
		}
	}
	if v.Needed < 2 && len(list) == 0 {
		return nil, nil
	}
	v.Lacking = is.Status == store.IssueScheduled && len(list) < v.Needed
	emails, err := a.userEmails(r)
	if err != nil {
		return nil, err
	}
	for _, ap := range list {
		v.Approvals = append(v.Approvals, approvalRow{By: cmp.Or(emails[ap.UserID], ap.UserID), At: when(ap.ApprovedAt), For: sendTime(ap.SendAt, loc)})
		v.Mine = v.Mine || ap.UserID == principal(r).User.ID
	}
	if len(list) > 0 {
		v.SendAt = list[0].SendAt
		v.When = sendTime(v.SendAt, loc)
		if !v.SendAt.IsZero() {
			v.Value = v.SendAt.Format(time.RFC3339)
			v.Passed = !v.SendAt.After(time.Now())
		}
		v.Awaiting = is.Status == store.IssueDraft && len(list) < v.Needed
	}
	return v, nil
}

// sendTime is when an issue goes out, in words in zone loc.
func sendTime(at time.Time, loc *time.Location) string {
	if at.IsZero() {
		return "at once"
	}
	return at.In(loc).Format("Monday 2 January 2006, 15:04 MST")
}

// release asks, for the signed-in editor, that is goes out at at (zero: at
// once), after the step-up its caller checked. When one person may send
// to its audience, it is scheduled or started. Otherwise this records the
// editor's approval, and the issue goes out once a second person
// approves the same time and text (the form's digest). Each approval is
// audited, and so is the schedule or start it leads to.
func (a *Admin) release(w http.ResponseWriter, r *http.Request, is store.Issue, at time.Time) error {
	res, err := a.store.ApproveIssue(r.Context(), is.ID, principal(r).User.ID, at, r.PostFormValue("digest"))
	switch {
	case errors.Is(err, store.ErrSameApprover):
		return a.issueForm(w, r, http.StatusConflict, is.ID, issueState{problem: "You approved this send already. " +
			"The second approval must come from another editor or admin: ask one to open this issue, read it and approve it."})
	case errors.Is(err, store.ErrIssueChanged):
		return a.issueForm(w, r, http.StatusConflict, is.ID, issueState{problem: "The issue changed since you opened it, " +
			"so nothing was approved: read it again below, then approve what you read."})
	case err != nil:
		return a.issueConflict(w, r, is.ID, err)
	}
	detail := func() map[string]any {
		if at.IsZero() {
			return map[string]any{"at": "now"}
		}
		return map[string]any{"at": at.UTC().Format(time.RFC3339)}
	}
	if res.Approvals > 0 {
		d := detail()
		d["approval"] = res.Approvals
		a.recordIssue(r, newsletter.AuditIssueApproved, is, d)
	}
	switch res.Status {
	case store.IssueScheduled:
		a.recordIssue(r, newsletter.AuditIssueScheduled, is, detail())
		return redirect(w, r, issuePath(is.ID)+"?done=scheduled")
	case store.IssueSending:
		a.recordIssue(r, newsletter.AuditIssueSent, is, nil)
		return redirect(w, r, issuePath(is.ID)+"?done=sending")
	}
	return redirect(w, r, issuePath(is.ID)+"?done=approved")
}

// approveIssue is an editor's approval of the send another asked for: the
// form carries the time approved ("" for at once) and the digest of the
// text the editor read. Like sending, it needs a fresh second factor.
func (a *Admin) approveIssue(w http.ResponseWriter, r *http.Request) error {
	is, _, ok, err := a.issueToSend(w, r)
	if !ok {
		return err
	}
	var at time.Time
	if v := r.PostFormValue("at"); v != "" {
		if at, err = time.Parse(time.RFC3339, v); err != nil {
			return a.issueForm(w, r, http.StatusUnprocessableEntity, is.ID, issueState{problem: "Approve with the button on the issue's page. Nothing was approved."})
		}
	}
	return a.release(w, r, is, at)
}

// pauseIssue stops an issue being sent, on every server, until it is
// resumed. It needs no fresh second factor: pausing is the safe
// direction.
func (a *Admin) pauseIssue(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	is, _, err := a.issueAndNewsletter(r, id)
	if err != nil {
		return err
	}
	switch {
	case is.Status != store.IssueSending:
		return a.issueForm(w, r, http.StatusConflict, id, issueState{problem: "Only an issue being sent can be paused. Nothing was changed."})
	case is.Paused:
		return a.issueForm(w, r, http.StatusConflict, id, issueState{problem: "This issue is paused already. Nothing was changed."})
	}
	if err := a.store.PauseIssue(r.Context(), id, principal(r).User.ID); err != nil {
		return a.issueConflict(w, r, id, err)
	}
	a.recordIssue(r, newsletter.AuditIssuePaused, is, nil)
	return redirect(w, r, issuePath(id)+"?done=paused")
}

// pausedBy names who paused an issue by hand: the email of the account
// id, or the command line's operator.
func (a *Admin) pausedBy(r *http.Request, id string) (string, error) {
	if id == audit.System {
		return "an operator, on the command line", nil
	}
	emails, err := a.userEmails(r)
	return cmp.Or(emails[id], id), err
}
