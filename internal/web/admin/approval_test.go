package admin_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// TestPauseIssue: an editor pauses an issue being sent with a plain form
// (its token checked, no step-up needed: pausing is the safe direction);
// no delivery is claimed from then on, the page says who paused it and
// when, the pause is audited, and resuming needs the step-up as before.
func TestPauseIssue(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		ctx := t.Context()
		b, key, u, id := d.composedIssue(t)
		b.get("/admin/issues/" + id)
		wantStatus(t, b.post("/admin/issues/"+id+"/pause", nil), http.StatusConflict) // a draft
		wantRedirect(t, b.post("/admin/issues/"+id+"/send", nil), "/admin/issues/"+id+"?done=sending")
		if _, err := d.store.EnqueueSends(ctx, id, 100, "example.org"); err != nil {
			t.Fatal(err)
		}
		if page := b.get("/admin/issues/" + id).Body.String(); !strings.Contains(page, `action="/admin/issues/`+id+`/pause"`) {
			t.Fatalf("an issue being sent offers no pause:\n%s", page)
		}

		d.clock.Advance(accounts.StepUpWindow + time.Minute)
		w := b.do(http.MethodPost, "/admin/issues/"+id+"/pause", url.Values{"csrf": {"forged"}})
		wantStatus(t, w, http.StatusForbidden)
		if d.issue(t, id).Paused {
			t.Fatal("paused without the form's token")
		}
		b.get("/admin/issues/" + id)
		wantRedirect(t, b.post("/admin/issues/"+id+"/pause", nil), "/admin/issues/"+id+"?done=paused")
		is := d.issue(t, id)
		if !is.Paused || is.PauseReason != store.PauseEditor || is.PausedBy != u.ID || !is.PausedAt.Equal(d.clock.Now()) {
			t.Fatalf("after the pause: %+v", is)
		}
		if claims, err := d.store.ClaimSends(ctx, id, "a sender", 5, time.Minute); err != nil || len(claims) != 0 {
			t.Errorf("a sender claimed %d deliveries of the paused issue (%v)", len(claims), err)
		}
		page := b.get("/admin/issues/" + id + "?done=paused").Body.String()
		for _, want := range []string{"Sending is paused: every server stops", "Paused by ed@example.org at " + d.clock.Now().Format("2 Jan 2006 15:04 UTC"),
			`action="/admin/issues/` + id + `/resume"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the page of an issue paused by hand lacks %q:\n%s", want, page)
			}
		}
		if strings.Contains(page, `action="/admin/issues/`+id+`/pause"`) || strings.Contains(page, "complaint") {
			t.Errorf("the page of a paused issue offers to pause it, or blames complaints:\n%s", page)
		}
		w = b.post("/admin/issues/"+id+"/pause", nil)
		wantStatus(t, w, http.StatusConflict)
		if !strings.Contains(w.Body.String(), "paused already") {
			t.Errorf("pausing twice: %s", w.Body)
		}
		if n := d.auditCount(t, u.ID, newsletter.AuditIssuePaused, id); n != 1 {
			t.Errorf("%d audit entries of the pause, want 1", n)
		}

		// Resuming is the risky direction: it needs the step-up.
		stepUp := "/admin/step-up?next=" + url.QueryEscape("/admin/issues/"+id)
		wantRedirect(t, b.post("/admin/issues/"+id+"/resume", nil), stepUp)
		b.stepUp(key, "/admin/issues/"+id)
		b.get("/admin/issues/" + id)
		wantRedirect(t, b.post("/admin/issues/"+id+"/resume", nil), "/admin/issues/"+id+"?done=resumed")
		if is := d.issue(t, id); is.Paused || is.PausedBy != "" {
			t.Fatalf("after resuming: %+v", is)
		}
		if claims, err := d.store.ClaimSends(ctx, id, "a sender", 5, time.Minute); err != nil || len(claims) != 5 {
			t.Errorf("after resuming a sender claimed %d deliveries (%v), want 5", len(claims), err)
		}

		// Paused by an operator on the command line.
		if err := d.store.PauseIssue(ctx, id, audit.System); err != nil {
			t.Fatal(err)
		}
		if page := b.get("/admin/issues/" + id).Body.String(); !strings.Contains(page, "Paused by an operator, on the command line at") {
			t.Errorf("the page of an issue paused on the command line:\n%s", page)
		}
	})
}

var (
	digestField    = regexp.MustCompile(`name="digest" value="([0-9a-f]+)"`)
	approveAtField = regexp.MustCompile(`<input type="hidden" name="at" value="([^"]*)">`)
)

// approveForm returns the approve form of the issue's page as the browser
// would submit it, or nil when the page has none.
func (b *browser) approveForm(id string) url.Values {
	b.t.Helper()
	page := b.get("/admin/issues/" + id).Body.String()
	at, digest := approveAtField.FindStringSubmatch(page), digestField.FindStringSubmatch(page)
	if !strings.Contains(page, `action="/admin/issues/`+id+`/approve"`) || at == nil || digest == nil {
		return nil
	}
	return url.Values{"at": {at[1]}, "digest": {digest[1]}}
}

// sendForm is the send or schedule form of the issue's page: its digest,
// and fields.
func (b *browser) sendForm(id string, fields ...string) url.Values {
	b.t.Helper()
	m := digestField.FindStringSubmatch(b.get("/admin/issues/" + id).Body.String())
	if m == nil {
		b.t.Fatalf("the page of issue %s has no send form", id)
	}
	form := url.Values{"digest": {m[1]}}
	for i := 0; i+1 < len(fields); i += 2 {
		form.Set(fields[i], fields[i+1])
	}
	return form
}

// TestTwoApprovers is requirement S5's two-person rule on the desk: above
// the threshold, sending or scheduling records the editor's approval and
// the issue waits; the same editor cannot approve twice; another approves
// (after a step-up) what they read, and only then does the issue go out.
// An edit withdraws the approvals, an approval of a page since edited is
// refused, and unscheduling withdraws them; each approval is audited.
func TestTwoApprovers(t *testing.T) {
	t.Parallel()
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		t.Parallel()
		clock := storetest.NewClock(t0)
		d := newDesk(t, storetest.NewEngine(t, engine, store.Options{Now: clock.Now, SecondApprovalOver: 3}), clock)
		weekly := d.weekly(t)
		story := d.published(t, "The story")
		d.subscribe(t, weekly, 4)
		ua, ub := d.user(t, "a@example.org", accounts.Editor), d.user(t, "b@example.org", accounts.Admin)
		a, b := d.browser(t), d.browser(t)
		keyA, keyB := a.enrolPasskey(ua.Email), b.enrolPasskey(ub.Email)
		id := a.newIssue(weekly)
		wantRedirect(t, a.compose(id, "This week", "", []string{story}, "save"), "/admin/issues/"+id+"?done=saved")
		if page := a.get("/admin/issues/" + id).Body.String(); !strings.Contains(page, "This issue goes to 4 subscribers, more than 3") {
			t.Errorf("the page does not say the issue needs two approvers:\n%s", page)
		}

		// A asks to send now: approved once, still a draft.
		wantRedirect(t, a.post("/admin/issues/"+id+"/send", a.sendForm(id)), "/admin/issues/"+id+"?done=approved")
		if is := d.issue(t, id); is.Status != store.IssueDraft {
			t.Fatalf("after one approval the issue is %s", is.Status)
		}
		page := a.get("/admin/issues/" + id).Body.String()
		for _, want := range []string{"(awaiting second approval)", "Approved by a@example.org on", "to go out at once", "You approved it"} {
			if !strings.Contains(page, want) {
				t.Errorf("the approver's page lacks %q:\n%s", want, page)
			}
		}
		if a.approveForm(id) != nil {
			t.Error("the first approver is offered to approve again")
		}
		if list := a.get("/admin/newsletters").Body.String(); !strings.Contains(list, "(awaiting second approval)") {
			t.Errorf("the list does not show the issue awaiting approval:\n%s", list)
		}
		// Approving twice, by whatever door, is refused.
		a.get("/admin/issues/" + id)
		w := a.post("/admin/issues/"+id+"/approve", a.sendForm(id, "at", ""))
		wantStatus(t, w, http.StatusConflict)
		if !strings.Contains(w.Body.String(), "You approved this send already") {
			t.Errorf("a second approval by the same editor: %s", w.Body)
		}

		// B, past the step-up window, is asked to step up first.
		d.clock.Advance(accounts.StepUpWindow + time.Minute)
		form := b.approveForm(id)
		if form == nil || form.Get("at") != "" {
			t.Fatalf("the second editor's page offers no approval of sending now: %v", form)
		}
		wantRedirect(t, b.post("/admin/issues/"+id+"/approve", form), "/admin/step-up?next=")
		if is := d.issue(t, id); is.Status != store.IssueDraft {
			t.Fatalf("approved without a step-up: %s", is.Status)
		}
		b.stepUp(keyB, "/admin/issues/"+id)
		b.get("/admin/issues/" + id)
		wantRedirect(t, b.post("/admin/issues/"+id+"/approve", form), "/admin/issues/"+id+"?done=sending")
		if is := d.issue(t, id); is.Status != store.IssueSending {
			t.Fatalf("after the second approval the issue is %s", is.Status)
		}
		if page := b.get("/admin/issues/" + id).Body.String(); !strings.Contains(page, "Approved by a@example.org") || !strings.Contains(page, "Approved by b@example.org") {
			t.Errorf("the page of the issue sent does not show its approvers:\n%s", page)
		}
		for who, want := range map[string]map[string]int{
			ua.ID: {newsletter.AuditIssueApproved: 1, newsletter.AuditIssueSent: 0},
			ub.ID: {newsletter.AuditIssueApproved: 1, newsletter.AuditIssueSent: 1},
		} {
			for action, n := range want {
				if got := d.auditCount(t, who, action, id); got != n {
					t.Errorf("%d audit entries %s by %s, want %d", got, action, who, n)
				}
			}
		}

		// A second issue, scheduled: an edit withdraws the approval, and
		// an approval of the page read before the edit is refused.
		a.stepUp(keyA, "/admin/newsletters")
		at := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Minute)
		typed := at.Format("2006-01-02T15:04") // the weekly is in UTC
		next := a.newIssue(weekly)
		wantRedirect(t, a.compose(next, "Next week", "", []string{story}, "save"), "/admin/issues/"+next+"?done=saved")
		wantRedirect(t, b.post("/admin/issues/"+next+"/schedule", b.sendForm(next, "at", typed)), "/admin/issues/"+next+"?done=approved")
		wantRedirect(t, a.compose(next, "Next week, corrected", "", []string{story}, "save"), "/admin/issues/"+next+"?done=withdrawn")
		if list := approvalsOf(t, d, next); len(list) != 0 {
			t.Fatalf("an edit left the approvals %+v", list)
		}
		if page := a.get("/admin/issues/" + next + "?done=withdrawn").Body.String(); !strings.Contains(page, "the approvals it had are withdrawn") {
			t.Errorf("the editor is not told the approvals were withdrawn:\n%s", page)
		}
		if n := d.auditCount(t, ua.ID, newsletter.AuditIssueApprovalsWithdrawn, next); n != 1 {
			t.Errorf("%d audit entries of withdrawn approvals, want 1", n)
		}
		wantRedirect(t, b.post("/admin/issues/"+next+"/schedule", b.sendForm(next, "at", typed)), "/admin/issues/"+next+"?done=approved")
		stale := a.approveForm(next)
		wantRedirect(t, b.compose(next, "Next week, corrected again", "", []string{story}, "save"), "/admin/issues/"+next+"?done=withdrawn")
		wantRedirect(t, b.post("/admin/issues/"+next+"/schedule", b.sendForm(next, "at", typed)), "/admin/issues/"+next+"?done=approved")
		a.get("/admin/issues/" + next)
		w = a.post("/admin/issues/"+next+"/approve", stale)
		wantStatus(t, w, http.StatusConflict)
		if !strings.Contains(w.Body.String(), "The issue changed since you opened it") {
			t.Errorf("approving a page since edited: %s", w.Body)
		}
		if is := d.issue(t, next); is.Status != store.IssueDraft || len(approvalsOf(t, d, next)) != 1 {
			t.Fatalf("after a stale approval: %+v, approvals %+v", is, approvalsOf(t, d, next))
		}

		// Approved from the page as it is: scheduled at B's time.
		form = a.approveForm(next)
		if form == nil || form.Get("at") != at.Format(time.RFC3339) {
			t.Fatalf("the approve form is %v, want the time %s", form, at.Format(time.RFC3339))
		}
		wantRedirect(t, a.post("/admin/issues/"+next+"/approve", form), "/admin/issues/"+next+"?done=scheduled")
		if is := d.issue(t, next); is.Status != store.IssueScheduled || !is.ScheduledAt.Equal(at) {
			t.Fatalf("after two approvals: %+v, want scheduled at %v", is, at)
		}
		if n := d.auditCount(t, ua.ID, newsletter.AuditIssueScheduled, next); n != 1 {
			t.Errorf("%d audit entries of the schedule by the second approver, want 1", n)
		}

		// Unscheduling withdraws both; so does withdrawing a request.
		a.get("/admin/issues/" + next)
		wantRedirect(t, a.post("/admin/issues/"+next+"/unschedule", nil), "/admin/issues/"+next+"?done=unscheduled")
		if is := d.issue(t, next); is.Status != store.IssueDraft || len(approvalsOf(t, d, next)) != 0 {
			t.Fatalf("after unscheduling: %+v, approvals %+v", is, approvalsOf(t, d, next))
		}
		wantRedirect(t, a.post("/admin/issues/"+next+"/schedule", a.sendForm(next, "at", typed)), "/admin/issues/"+next+"?done=approved")
		a.get("/admin/issues/" + next)
		wantRedirect(t, a.post("/admin/issues/"+next+"/unschedule", nil), "/admin/issues/"+next+"?done=unscheduled")
		if list := approvalsOf(t, d, next); len(list) != 0 {
			t.Fatalf("after withdrawing the request the approvals are %+v", list)
		}
		if n := d.auditCount(t, ub.ID, newsletter.AuditIssueApproved, next) + d.auditCount(t, ua.ID, newsletter.AuditIssueApproved, next); n != 5 {
			t.Errorf("%d audit entries of approvals of the second issue, want 5", n)
		}

		// Scheduled without approvals (by an older version, or before the
		// audience grew): the page says it will not go out.
		if err := d.store.ScheduleIssue(t.Context(), next, at); err != nil {
			t.Fatal(err)
		}
		if page := a.get("/admin/issues/" + next).Body.String(); !strings.Contains(page, "scheduled without the approvals it needs, so it does not go out") {
			t.Errorf("the page of a scheduled issue that lacks approvals:\n%s", page)
		}

		// Approved by both, the issue loses its approvals when one of them
		// rewrites the story it picks: they approved the story as it was.
		// The editor is told, and the withdrawal is audited.
		wantRedirect(t, b.post("/admin/issues/"+next+"/schedule", b.sendForm(next, "at", typed)), "/admin/issues/"+next+"?done=approved")
		wantRedirect(t, a.post("/admin/issues/"+next+"/approve", a.approveForm(next)), "/admin/issues/"+next+"?done=scheduled")
		w = a.edit(story, articleForm("The story, rewritten"), "save")
		wantRedirect(t, w, "/admin/articles/"+story+"?done=saved&withdrawn=1")
		if page := a.get(w.Header().Get("Location")).Body.String(); !strings.Contains(page, "its approvals are withdrawn") {
			t.Errorf("the editor is not told that saving the story withdrew the issue's approvals:\n%s", page)
		}
		if is := d.issue(t, next); is.Status != store.IssueDraft || len(approvalsOf(t, d, next)) != 0 {
			t.Fatalf("after the story changed: %+v, approvals %+v", is, approvalsOf(t, d, next))
		}
		if n := d.auditCount(t, ua.ID, newsletter.AuditIssueApprovalsWithdrawn, next); n != 2 {
			t.Errorf("%d audit entries of approvals withdrawn by A, want 2 (the issue's edit, the story's)", n)
		}
		// A reads the page, B rewrites the story: A's approval of the page
		// read before is refused.
		wantRedirect(t, b.post("/admin/issues/"+next+"/schedule", b.sendForm(next, "at", typed)), "/admin/issues/"+next+"?done=approved")
		stale = a.approveForm(next)
		if stale == nil {
			t.Fatal("no approve form for A")
		}
		wantRedirect(t, b.edit(story, articleForm("The story, rewritten by B"), "save"), "/admin/articles/"+story+"?done=saved&withdrawn=1")
		a.get("/admin/issues/" + next)
		w = a.post("/admin/issues/"+next+"/approve", stale)
		wantStatus(t, w, http.StatusConflict)
		if !strings.Contains(w.Body.String(), "The issue changed since you opened it") {
			t.Errorf("approving a page read before its story changed: %s", w.Body)
		}
		if list := approvalsOf(t, d, next); len(list) != 0 {
			t.Fatalf("after the stale approval the approvals are %+v", list)
		}
		// Saving the story again, with no issue approved, says nothing more.
		w = a.edit(story, articleForm("The story, rewritten twice"), "save")
		wantRedirect(t, w, "/admin/articles/"+story+"?done=saved")

		// Approved again, the issue loses its approvals when the weekly
		// stops carrying full text: its emails look otherwise.
		wantRedirect(t, b.post("/admin/issues/"+next+"/schedule", b.sendForm(next, "at", typed)), "/admin/issues/"+next+"?done=approved")
		wantRedirect(t, a.post("/admin/issues/"+next+"/approve", a.approveForm(next)), "/admin/issues/"+next+"?done=scheduled")
		a.get("/admin/newsletters")
		settings := url.Values{"name": {weekly.Name}, "description": {weekly.Description}, "time_zone": {"UTC"}}
		wantRedirect(t, a.post("/admin/newsletters/"+weekly.ID, settings), "/admin/newsletters?done=settings_withdrawn")
		if page := a.get("/admin/newsletters?done=settings_withdrawn").Body.String(); !strings.Contains(page, "the approvals of its issues waiting to go out are withdrawn") {
			t.Errorf("the editor is not told the settings withdrew approvals:\n%s", page)
		}
		if is := d.issue(t, next); is.Status != store.IssueDraft || len(approvalsOf(t, d, next)) != 0 {
			t.Fatalf("after the settings changed: %+v, approvals %+v", is, approvalsOf(t, d, next))
		}
		if n := d.auditCount(t, ua.ID, newsletter.AuditIssueApprovalsWithdrawn, next); n != 3 {
			t.Errorf("%d audit entries of approvals withdrawn by A, want 3", n)
		}
	})
}

func approvalsOf(t *testing.T, d *desk, id string) []store.Approval {
	t.Helper()
	list, err := d.store.IssueApprovals(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return list
}
