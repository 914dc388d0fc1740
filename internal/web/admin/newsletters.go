package admin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/audit"
	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/publishing"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web"
)

// refreshWhileSending is how often, in seconds, a page showing an issue
// being sent reloads itself, so its figures follow the send without
// JavaScript.
const refreshWhileSending = 5

// issuesShown is how many issues of each newsletter the list shows.
const issuesShown = 20

// issueNotices are what the issue page says after a redirect, by ?done=.
var issueNotices = map[string]string{
	"saved":       "Saved.",
	"tested":      "A test email is on its way to your address.",
	"scheduled":   "Scheduled: the issue goes out at its time, from whichever server is running then.",
	"unscheduled": "No longer scheduled: the issue is a draft again, and any approvals of it are withdrawn.",
	"sending":     "Sending has started. The figures below follow it.",
	"cancelled":   "Sending is stopped: nobody else gets this issue.",
	"deleted":     "Deleted.",
	"settings":    "The newsletter's settings are saved.",
	// Its emails look otherwise now, which withdrew approvals.
	"settings_withdrawn": "The newsletter's settings are saved. Its emails look otherwise now, so the approvals of its issues waiting to go out are withdrawn: they are drafts again, to be approved anew.",
	"resumed":            "Sending is resumed: the servers send the rest within a second or so.",
	"paused":             "Sending is paused: every server stops within a second or so, once the messages in hand are sent. What was sent stays sent; resume to send the rest.",
	"approved":           "Your approval is recorded. The issue goes to so many subscribers that it goes out only once another editor or admin approves it too.",
	"withdrawn":          "Saved. The issue changed, so the approvals it had are withdrawn: it is a draft again, and what goes out must be approved anew.",
}

type newslettersView struct {
	Layout
	Newsletters []newsletterRow
	Notice      string
	Problem     string
	// For the settings forms.
	Weekdays []time.Weekday
	Hours    []int
	Zones    []string
	// The sending domain panel: HasDomainCheck when this server sends
	// over the internet, and Report once an editor asked for the check.
	HasDomainCheck bool
	DomainReport   *tmail.Report
}

type newsletterRow struct {
	store.Newsletter
	NextSend string // the scheduled time of the next issue; "" when none
	Issues   []issueRow
}

// issueRow is an issue with its delivery figures while it is being sent.
type issueRow struct {
	store.Issue
	Progress *store.SendCounts
	Awaiting bool // a draft approved once, awaiting its second approval
}

// newsletterList lists each newsletter's latest issues with their status
// and, while one is being sent, its figures.
func (a *Admin) newsletterList(w http.ResponseWriter, r *http.Request) error {
	return a.renderNewsletters(w, r, http.StatusOK, issueNotices[r.URL.Query().Get("done")], "", nil)
}

// checkSendingDomain shows the newsletters page with the DNS pre-flight of
// the sending domain, run now.
func (a *Admin) checkSendingDomain(w http.ResponseWriter, r *http.Request) error {
	if a.domainCheck == nil {
		return a.renderNewsletters(w, r, http.StatusOK, "", "", nil)
	}
	rep := a.domainCheck.Run(r.Context())
	return a.renderNewsletters(w, r, http.StatusOK, "", "", &rep)
}

func (a *Admin) renderNewsletters(w http.ResponseWriter, r *http.Request, status int, notice, problem string, domain *tmail.Report) error {
	ctx := r.Context()
	list, err := a.store.ListNewsletters(ctx)
	if err != nil {
		return err
	}
	view := newslettersView{Layout: a.layout(r, "Newsletters"), Notice: notice, Problem: problem, Zones: timeZones,
		Weekdays:       []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday},
		HasDomainCheck: a.domainCheck != nil, DomainReport: domain}
	for h := range 24 {
		view.Hours = append(view.Hours, h)
	}
	for _, n := range list {
		row := newsletterRow{Newsletter: n}
		if next := newsletter.NextSend(n, time.Now()); !next.IsZero() {
			row.NextSend = next.Format("Monday 2 January 2006, 15:04 MST")
		}
		issues, err := a.store.ListIssues(ctx, n.ID, issuesShown, 0)
		if err != nil {
			return err
		}
		for _, is := range issues {
			ir := issueRow{Issue: is}
			// Counting a big outbox takes a moment: the list counts only
			// the sends under way; an issue's page has its figures.
			if is.Status == store.IssueSending {
				if ir.Progress, err = a.progress(r, is); err != nil {
					return err
				}
				view.Refresh = refreshWhileSending
			}
			if is.Status == store.IssueDraft {
				approvals, err := a.store.IssueApprovals(ctx, is.ID)
				if err != nil {
					return err
				}
				ir.Awaiting = len(approvals) > 0
			}
			row.Issues = append(row.Issues, ir)
		}
		view.Newsletters = append(view.Newsletters, row)
	}
	return a.write(w, status, "newsletters", view)
}

// saveNewsletter saves a newsletter's settings: its name, whether issues
// carry full text, and when its issues go out by default.
func (a *Admin) saveNewsletter(w http.ResponseWriter, r *http.Request) error {
	n, err := a.store.NewsletterByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return userError(err)
	}
	before := n
	f := r.PostFormValue
	n.Name, n.Description = strings.TrimSpace(f("name")), strings.TrimSpace(f("description"))
	n.FullText, n.TimeZone, n.Schedule = f("full_text") == "yes", strings.TrimSpace(f("time_zone")), nil
	if day := f("weekday"); day != "" {
		weekday, err1 := strconv.Atoi(day)
		hour, err2 := strconv.Atoi(f("hour"))
		if err1 != nil || err2 != nil {
			return a.renderNewsletters(w, r, http.StatusUnprocessableEntity, "", "Choose the day and the hour from the lists. Nothing was saved.", nil)
		}
		n.Schedule = &store.Schedule{Weekday: time.Weekday(weekday), Hour: hour}
	}
	withdrawn, err := a.store.UpdateNewsletter(r.Context(), &n)
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		return a.renderNewsletters(w, r, http.StatusUnprocessableEntity, "",
			before.Name+": "+strings.Join(fieldMessages(ve), " ")+". Nothing was saved.", nil)
	}
	if err != nil {
		return userError(err)
	}
	detail := map[string]any{"newsletter": n.Slug, "full_text": n.FullText, "time_zone": n.TimeZone}
	if n.Schedule != nil {
		detail["weekday"], detail["hour"] = n.Schedule.Weekday.String(), n.Schedule.Hour
	}
	a.appendAudit(r, audit.Entry{Action: audit.SettingsChanged, Target: n.ID, Detail: detail})
	for _, id := range withdrawn {
		a.appendAudit(r, audit.Entry{Action: newsletter.AuditIssueApprovalsWithdrawn, Target: id,
			Detail: map[string]any{"newsletter": n.ID, "reason": "the newsletter's settings changed"}})
	}
	if len(withdrawn) > 0 {
		return redirect(w, r, "/admin/newsletters?done=settings_withdrawn")
	}
	return redirect(w, r, "/admin/newsletters?done=settings")
}

// progress counts an issue's deliveries once sending has begun.
func (a *Admin) progress(r *http.Request, is store.Issue) (*store.SendCounts, error) {
	if is.Status == store.IssueDraft || is.Status == store.IssueScheduled {
		return nil, nil
	}
	c, err := a.store.SendProgress(r.Context(), is.ID)
	return &c, err
}

// createIssue starts a new draft of a newsletter and opens it.
func (a *Admin) createIssue(w http.ResponseWriter, r *http.Request) error {
	n, err := a.store.NewsletterByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return userError(err)
	}
	is := store.Issue{NewsletterID: n.ID, Subject: n.Name + " — " + time.Now().In(newsletter.Location(n)).Format("2 January 2006")}
	if err := a.store.CreateIssue(r.Context(), &is); err != nil {
		return err
	}
	return redirect(w, r, issuePath(is.ID))
}

type issueView struct {
	Layout
	Issue      store.Issue
	Newsletter store.Newsletter
	Editable   bool // a draft or scheduled issue
	Progress   *store.SendCounts
	Picked     []pickedArticle
	// Query and Found are the article search.
	Query string
	Found []*model.Article
	// ScheduleAt is the time field's value, in Zone.
	ScheduleAt, Zone string
	Scheduled        string // when a scheduled issue goes out, in Zone
	Preview          *issuePreview
	Notice, Problem  string
	Errors           map[string]string
	SteppedUp        bool
	CanSend          bool   // this server can send email
	WebVersion       string // a sent issue's public page
	Pause            *pauseView
	Approval         *approvalView
	// Digest names the issue's text on the forms that send it, so that
	// one sent from a page since edited is refused.
	Digest string
}

// pauseView says why an issue's sending is paused, in plain words.
type pauseView struct {
	Reason string // one of the store.Pause* reasons
	At     string // when it was paused
	By     string // who paused it by hand
	// DNS is the pre-flight of a sending domain that held the issue; nil
	// when this server does not check it.
	DNS *tmail.Report
	// Complaints is what tripped the complaint-rate breaker.
	Complaints newsletter.Complaints
}

// pickedArticle is one of the issue's articles in the editor's order;
// Article is nil for one since unpublished or deleted, which the email
// leaves out.
type pickedArticle struct {
	ID      string
	Article *model.Article
	First   bool
	Last    bool
}

type issuePreview struct {
	Subject, Text string
}

func (a *Admin) issuePage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	return a.issueForm(w, r, http.StatusOK, r.PathValue("id"), issueState{notice: issueNotices[q.Get("done")], query: q.Get("q")})
}

// issueState is what the issue page shows beyond the stored issue.
type issueState struct {
	edited          *store.Issue // the submitted form, kept on an error
	notice, problem string
	errors          map[string]string
	query           string
	scheduleAt      string
}

// issueForm renders the compose page of an issue: its articles, the
// article search, the email's preview and what can be done next.
func (a *Admin) issueForm(w http.ResponseWriter, r *http.Request, status int, id string, st issueState) error {
	ctx := r.Context()
	is, err := a.store.IssueByID(ctx, id)
	if err != nil {
		return userError(err)
	}
	n, err := a.store.NewsletterByID(ctx, is.NewsletterID)
	if err != nil {
		return err
	}
	view := issueView{Layout: a.layout(r, is.Subject), Issue: is, Newsletter: n, Query: st.query,
		Editable: is.Status == store.IssueDraft || is.Status == store.IssueScheduled,
		Notice:   st.notice, Problem: st.problem, Errors: st.errors, SteppedUp: principal(r).SteppedUp(),
		CanSend: a.canSend()}
	if view.Progress, err = a.progress(r, is); err != nil {
		return err
	}
	if is.Status == store.IssueSent {
		view.WebVersion = a.publicURL("/newsletter/issues/" + is.ID)
	}
	if is.Status == store.IssueSending && !is.Paused {
		view.Refresh = refreshWhileSending
	}
	if is.Status == store.IssueSending && is.Paused {
		if view.Pause, err = a.pauseOf(r, is, *view.Progress); err != nil {
			return err
		}
	}
	loc := newsletter.Location(n)
	if view.Digest, err = a.store.IssueDigest(r.Context(), is); err != nil {
		return err
	}
	if view.Approval, err = a.approvalOf(r, is, loc); err != nil {
		return err
	}
	view.Zone = loc.String()
	if !is.ScheduledAt.IsZero() {
		view.Scheduled = is.ScheduledAt.In(loc).Format("Monday 2 January 2006, 15:04 MST")
	}
	view.ScheduleAt = st.scheduleAt
	if view.ScheduleAt == "" {
		at := is.ScheduledAt
		if view.Approval != nil && !view.Approval.SendAt.IsZero() {
			at = view.Approval.SendAt // the time awaiting approval
		}
		if at.IsZero() {
			at = newsletter.NextSend(n, time.Now())
		}
		if !at.IsZero() {
			view.ScheduleAt = at.In(loc).Format(publishing.PublishAtLayout)
		}
	}
	if a.editions != nil {
		m, err := a.editions.Preview(ctx, is)
		if err != nil {
			return err
		}
		view.Preview = &issuePreview{Subject: m.Subject, Text: m.PlainText()}
	}
	if st.edited != nil {
		view.Issue.Subject, view.Issue.Note, view.Issue.ArticleIDs = st.edited.Subject, st.edited.Note, st.edited.ArticleIDs
	}
	articles, err := a.store.IssueArticles(ctx, view.Issue)
	if err != nil {
		return err
	}
	for i, aid := range view.Issue.ArticleIDs {
		p := pickedArticle{ID: aid, First: i == 0, Last: i == len(view.Issue.ArticleIDs)-1}
		if k := slices.IndexFunc(articles, func(a *model.Article) bool { return a.ID == aid }); k >= 0 {
			p.Article = articles[k]
		}
		view.Picked = append(view.Picked, p)
	}
	if view.Editable {
		found, err := a.editor.List(ctx, actor(r), publishing.ListQuery{Status: model.StatusPublished, Title: st.query})
		if err != nil {
			return a.editorError(w, r, err, issuePath(id))
		}
		for _, row := range found.Rows {
			if !slices.Contains(view.Issue.ArticleIDs, row.Article.ID) {
				view.Found = append(view.Found, row.Article)
			}
		}
	}
	return a.write(w, status, "issue", view)
}

// saveIssue saves the compose form, then does what its button asked:
// add, remove or move an article, or search for articles to add. Each is a
// plain form submission, so composing works without JavaScript.
func (a *Admin) saveIssue(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	is, err := a.store.IssueByID(r.Context(), id)
	if err != nil {
		return userError(err)
	}
	is.Subject, is.Note = strings.TrimSpace(r.PostFormValue("subject")), r.PostFormValue("note")
	is.ArticleIDs = arrange(r.PostForm["article"], r.PostFormValue("op"))
	withdrawn, err := a.store.UpdateIssue(r.Context(), &is)
	var ve *model.ValidationError
	switch {
	case errors.As(err, &ve):
		return a.issueForm(w, r, http.StatusUnprocessableEntity, id, issueState{edited: &is, errors: ve.Fields})
	case errors.Is(err, model.ErrConflict):
		return a.issueForm(w, r, http.StatusConflict, id, issueState{
			problem: "This issue is no longer a draft: it is being sent or was sent, and cannot change. Nothing was saved."})
	case err != nil:
		return userError(err)
	}
	next := issuePath(id)
	if withdrawn > 0 {
		a.recordIssue(r, newsletter.AuditIssueApprovalsWithdrawn, is, map[string]any{"approvals": withdrawn})
		return redirect(w, r, next+"?done=withdrawn")
	}
	if op, q := r.PostFormValue("op"), r.PostFormValue("q"); op != "save" && (q != "" || op == "search") {
		// Keep the search the editor is working through.
		if q != "" {
			next += "?q=" + url.QueryEscape(q)
		}
		return redirect(w, r, next+"#articles")
	}
	return redirect(w, r, next+"?done=saved")
}

// arrange applies a compose-form button to the list of article IDs:
// "add:ID", "remove:ID", "up:ID", "down:ID"; anything else leaves it as it
// is. An ID is listed once.
func arrange(ids []string, op string) []string {
	var out []string
	for _, id := range ids {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	verb, id, _ := strings.Cut(op, ":")
	i := slices.Index(out, id)
	switch {
	case verb == "add" && id != "" && i < 0:
		out = append(out, id)
	case verb == "remove" && i >= 0:
		out = slices.Delete(out, i, i+1)
	case verb == "up" && i > 0:
		out[i-1], out[i] = out[i], out[i-1]
	case verb == "down" && i >= 0 && i < len(out)-1:
		out[i], out[i+1] = out[i+1], out[i]
	}
	return out
}

// issueEmail answers the issue's HTML email exactly as it is sent, to be
// opened on its own. Its inline styles need a policy of their own; it
// still loads nothing and runs nothing.
func (a *Admin) issueEmail(w http.ResponseWriter, r *http.Request) error {
	if a.editions == nil {
		return errNoEditions
	}
	is, err := a.store.IssueByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return userError(err)
	}
	m, err := a.editions.Preview(r.Context(), is)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'; sandbox allow-popups allow-popups-to-escape-sandbox")
	h.Set("Content-Type", "text/html; charset=utf-8")
	_, err = w.Write([]byte(m.HTMLText()))
	return err
}

const errNoMail = "This server cannot send email: start it with --smtp-url to send tests and issues. Nothing was sent."

var errNoEditions = &web.Error{Status: http.StatusServiceUnavailable,
	Message: "Issue previews need the site's public address: start the server with --base-url."}

// testIssue sends the issue to the signed-in editor's own address.
func (a *Admin) testIssue(w http.ResponseWriter, r *http.Request) error {
	if a.editions == nil {
		return errNoEditions
	}
	id := r.PathValue("id")
	is, err := a.store.IssueByID(r.Context(), id)
	if err != nil {
		return userError(err)
	}
	err = a.editions.SendTest(r.Context(), is, principal(r).User.Email)
	switch {
	case errors.Is(err, newsletter.ErrMailUnavailable):
		return a.issueForm(w, r, http.StatusServiceUnavailable, id, issueState{problem: errNoMail})
	case err != nil:
		a.log.WarnContext(r.Context(), "newsletter: test send failed", "issue", id, "err", err)
		return a.issueForm(w, r, http.StatusBadGateway, id, issueState{
			problem: "The mail server did not take the test email. Nothing was sent; try again, or ask whoever runs the server to check its mail settings and log."})
	}
	return redirect(w, r, issuePath(id)+"?done=tested")
}

// scheduleIssue sets the time an issue goes out. Like publishing, it needs
// a fresh second factor.
func (a *Admin) scheduleIssue(w http.ResponseWriter, r *http.Request) error {
	is, n, ok, err := a.issueToSend(w, r)
	if !ok {
		return err
	}
	id := is.ID
	typed := r.PostFormValue("at")
	at, err := time.ParseInLocation(publishing.PublishAtLayout, typed, newsletter.Location(n))
	problem := ""
	switch {
	case err != nil:
		problem = "Give the date and time to send at."
	case !at.After(time.Now()):
		problem = "This time has passed. Choose a later one, or send now."
	}
	if problem != "" {
		return a.issueForm(w, r, http.StatusUnprocessableEntity, id, issueState{scheduleAt: typed, errors: map[string]string{"at": problem}})
	}
	return a.release(w, r, is, at)
}

// sendIssue starts sending an issue now. The outbox of whichever server
// sends fills and delivers it; this needs a fresh second factor.
func (a *Admin) sendIssue(w http.ResponseWriter, r *http.Request) error {
	is, _, ok, err := a.issueToSend(w, r)
	if !ok {
		return err
	}
	return a.release(w, r, is, time.Time{})
}

// pauseOf explains why is, being sent with the deliveries c, is paused:
// who paused it by hand, or, for a DNS hold, the pre-flight run again to
// list what still fails.
func (a *Admin) pauseOf(r *http.Request, is store.Issue, c store.SendCounts) (*pauseView, error) {
	p := &pauseView{Reason: is.PauseReason, At: when(is.PausedAt)}
	switch is.PauseReason {
	case store.PauseEditor:
		by, err := a.pausedBy(r, is.PausedBy)
		if err != nil {
			return nil, err
		}
		p.By = by
	case store.PauseDNS:
		if a.domainCheck != nil {
			rep := a.domainCheck.Run(r.Context())
			p.DNS = &rep
		}
	case store.PauseComplaints:
		p.Complaints = newsletter.BreakerCount(is, c)
	}
	return p, nil
}

// resumeIssue resumes a paused issue, as "tamizdat newsletter resume"
// does: one held by the DNS pre-flight only once the domain passes it.
// Like sending, it needs a fresh second factor.
func (a *Admin) resumeIssue(w http.ResponseWriter, r *http.Request) error {
	is, _, ok, err := a.steppedUpIssue(w, r)
	if !ok {
		return err
	}
	id := is.ID
	err = newsletter.ResumeIssue(r.Context(), a.store, id, a.domainReady)
	if errors.Is(err, newsletter.ErrNotPaused) {
		return a.issueForm(w, r, http.StatusConflict, id, issueState{problem: "This issue is not paused. Nothing was changed."})
	}
	if errors.Is(err, tmail.ErrDomainNotReady) {
		return a.issueForm(w, r, http.StatusConflict, id, issueState{
			problem: "The sending domain still fails the DNS pre-flight, so the issue stays paused. Publish the records listed below, then resume."})
	}
	if err != nil {
		return a.issueConflict(w, r, id, err)
	}
	a.recordIssue(r, newsletter.AuditIssueResumed, is, map[string]any{"reason": is.PauseReason})
	return redirect(w, r, issuePath(id)+"?done=resumed")
}

// domainReady is the DNS pre-flight a held issue must pass to resume; it
// passes when this server does not check the domain.
func (a *Admin) domainReady(ctx context.Context) error {
	if a.domainCheck == nil {
		return nil
	}
	_, err := newsletter.DomainReady(ctx, a.domainCheck, a.skipDomainCheck, a.log)
	return err
}

// unscheduleIssue makes a scheduled issue, or one awaiting its second
// approval, a draft again, withdrawing its approvals.
func (a *Admin) unscheduleIssue(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	is, _, err := a.issueAndNewsletter(r, id)
	if err != nil {
		return err
	}
	approvals, err := a.store.IssueApprovals(r.Context(), id)
	if err != nil {
		return err
	}
	if is.Status != store.IssueScheduled && (is.Status != store.IssueDraft || len(approvals) == 0) {
		return a.issueForm(w, r, http.StatusConflict, id, issueState{problem: "This issue is neither scheduled nor awaiting approval."})
	}
	if err := a.store.ScheduleIssue(r.Context(), id, time.Time{}); err != nil {
		return a.issueConflict(w, r, id, err)
	}
	a.recordIssue(r, newsletter.AuditIssueUnscheduled, is, map[string]any{"approvals": len(approvals)})
	return redirect(w, r, issuePath(id)+"?done=unscheduled")
}

// cancelIssue stops an issue being sent: deliveries not yet made are never
// made.
func (a *Admin) cancelIssue(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	is, _, err := a.issueAndNewsletter(r, id)
	if err != nil {
		return err
	}
	if r.PostFormValue("confirm") != "yes" {
		return a.issueForm(w, r, http.StatusUnprocessableEntity, id, issueState{
			errors: map[string]string{"confirm": "Tick the box to confirm that sending should stop for good."}})
	}
	if err := a.store.CancelIssue(r.Context(), id); err != nil {
		return a.issueConflict(w, r, id, err)
	}
	a.recordIssue(r, newsletter.AuditIssueCancelled, is, nil)
	return redirect(w, r, issuePath(id)+"?done=cancelled")
}

// deleteIssue deletes an issue that was never sent.
func (a *Admin) deleteIssue(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if r.PostFormValue("confirm") != "yes" {
		return a.issueForm(w, r, http.StatusUnprocessableEntity, id, issueState{
			errors: map[string]string{"delete": "Tick the box to confirm that the issue should be deleted."}})
	}
	if err := a.store.DeleteIssue(r.Context(), id); err != nil {
		return a.issueConflict(w, r, id, err)
	}
	return redirect(w, r, "/admin/newsletters?done=deleted")
}

// issueToSend loads the issue of a request that makes it go out, which
// needs a fresh second factor and a server that sends email. Unless ok,
// the request is answered (a redirect to the step-up, or the page saying
// why) and err is the answer's.
func (a *Admin) issueToSend(w http.ResponseWriter, r *http.Request) (is store.Issue, n store.Newsletter, ok bool, err error) {
	if is, n, ok, err = a.steppedUpIssue(w, r); !ok {
		return is, n, false, err
	}
	if !a.canSend() {
		return is, n, false, a.issueForm(w, r, http.StatusServiceUnavailable, is.ID, issueState{problem: errNoMail})
	}
	return is, n, true, nil
}

// steppedUpIssue opens the handlers that need a fresh second factor: it
// loads the issue r names and its newsletter. Unless ok, the request is
// answered (a redirect to the step-up) or err says why not.
func (a *Admin) steppedUpIssue(w http.ResponseWriter, r *http.Request) (is store.Issue, n store.Newsletter, ok bool, err error) {
	id := r.PathValue("id")
	if ok, err := steppedUpFor(w, r, id); !ok {
		return is, n, false, err
	}
	is, n, err = a.issueAndNewsletter(r, id)
	return is, n, err == nil, err
}

// canSend reports whether this server sends email. An issue it could not
// send is not started or scheduled, rather than left "sending" with
// nobody sending it.
func (a *Admin) canSend() bool { return a.editions != nil && a.editions.CanSend() }

func (a *Admin) issueAndNewsletter(r *http.Request, id string) (store.Issue, store.Newsletter, error) {
	is, err := a.store.IssueByID(r.Context(), id)
	if err != nil {
		return store.Issue{}, store.Newsletter{}, userError(err)
	}
	n, err := a.store.NewsletterByID(r.Context(), is.NewsletterID)
	return is, n, err
}

// issueConflict shows the issue again when its status forbids what was
// asked: it changed since the page was loaded.
func (a *Admin) issueConflict(w http.ResponseWriter, r *http.Request, id string, err error) error {
	if errors.Is(err, model.ErrConflict) {
		return a.issueForm(w, r, http.StatusConflict, id, issueState{
			problem: "This cannot be done to the issue as it is now (it may have changed in the meantime). Nothing was changed."})
	}
	return userError(err)
}

// recordIssue adds an issue's action to the audit log.
func (a *Admin) recordIssue(r *http.Request, action string, is store.Issue, detail map[string]any) {
	a.appendAudit(r, newsletter.IssueAudit(principal(r).User.ID, action, is, detail))
}

func issuePath(id string) string { return "/admin/issues/" + id }

// steppedUpFor reports whether the session has a fresh second factor; when
// not, it sends the editor to confirm one and back to the issue id, and
// err is the redirect's.
func steppedUpFor(w http.ResponseWriter, r *http.Request, id string) (ok bool, err error) {
	if principal(r).SteppedUp() {
		return true, nil
	}
	return false, redirect(w, r, "/admin/step-up?next="+url.QueryEscape(issuePath(id)))
}
