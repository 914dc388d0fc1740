package newsletter

import (
	"context"
	"fmt"
	"math"
	"time"

	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/store"
)

// domainReportTTL is how long a passing DNS pre-flight is trusted before
// it is asked again.
const domainReportTTL = time.Minute

// CheckDomain runs the DNS pre-flight of the sending domain and returns its
// report, for the desk to show. ok is false when no check is configured.
func (o *Outbox) CheckDomain(ctx context.Context) (rep tmail.Report, ok bool) {
	if o.opts.DomainCheck == nil {
		return tmail.Report{}, false
	}
	return o.opts.DomainCheck.Run(ctx), true
}

// domainReady returns nil when bulk mail may go out from the sending
// domain: the DNS pre-flight passed (within domainReportTTL), is not
// configured, or is overridden. Otherwise it returns the report's error.
func (o *Outbox) domainReady(ctx context.Context) error {
	o.mu.Lock()
	recent := time.Since(o.domainPassed) < domainReportTTL
	o.mu.Unlock()
	if recent {
		return nil
	}
	if o.opts.DomainCheck == nil {
		return nil
	}
	rep, err := DomainReady(ctx, o.opts.DomainCheck, o.opts.SkipDomainCheck, o.opts.Log)
	if rep.OK() {
		o.mu.Lock()
		o.domainPassed = rep.CheckedAt
		o.mu.Unlock()
	}
	return err
}

// gate decides, when this Outbox first sees an issue that is to be sent
// (or sees it resumed from a DNS hold), whether it may go out. An issue
// whose sending has begun is never held again: a DNS failure then would
// only leave it half-sent. It reports whether the issue may be claimed.
func (o *Outbox) gate(ctx context.Context, is store.Issue) bool {
	if is.Paused || o.opts.DomainCheck == nil {
		return true
	}
	c, err := o.opts.Store.SendProgress(ctx, is.ID)
	if err != nil {
		o.warn(ctx, "count deliveries", err)
		return false
	}
	if c.Sent+c.Failed > 0 {
		return true
	}
	err = o.domainReady(ctx)
	if err == nil {
		return true
	}
	held, herr := o.opts.Store.HoldIssue(ctx, is.ID, store.PauseDNS)
	if herr != nil {
		o.warn(ctx, "hold an issue", herr)
		return false
	}
	if held {
		o.opts.Log.Error("newsletter: issue held: the sending domain is not ready for bulk mail; fix its DNS, then resume the issue",
			"issue", is.ID, "subject", is.Subject, "err", err)
	}
	return false
}

// Complaints are what the complaint-rate breaker counts of an issue: the
// spam complaints and the deliveries since it was last resumed.
type Complaints struct {
	Count, Delivered int
}

// BreakerCount is what the breaker counts of is, whose deliveries are c.
func BreakerCount(is store.Issue, c store.SendCounts) Complaints {
	// The complainers' rows were deleted with them.
	return Complaints{Count: is.Complaints - is.BreakerComplaints, Delivered: c.Sent + is.Complaints - is.BreakerDelivered}
}

// Rate is the complaints' share of the deliveries, e.g. "0.2 %" or
// "67 %".
func (c Complaints) Rate() string {
	percent := 100 * float64(c.Count) / math.Max(float64(c.Delivered), 1)
	if percent >= 10 { // %g would write 100 as 1e+02
		return fmt.Sprintf("%.0f %%", percent)
	}
	return fmt.Sprintf("%.2g %%", percent)
}

// complaintsTrip is the complaint-rate breaker's rule: complaints (since
// the last resume) trip it when they exceed rate times the deliveries
// (since then), where deliveries count as at least sample. With the
// defaults (0.1 %, 1,000) a single complaint never trips it, two do before
// the thousandth delivery, and later it trips above 0.1 % of deliveries.
func complaintsTrip(complaints, delivered int, rate float64, sample int) bool {
	return float64(complaints) > rate*float64(max(delivered, sample))
}

// checkComplaints pauses an issue whose complaints trip the breaker, logs
// an error and alerts the admins by email. The pause is in the database,
// so every server stops claiming; only the server whose pause took effect
// sends the alert.
func (o *Outbox) checkComplaints(ctx context.Context, is store.Issue) {
	complaints := is.Complaints - is.BreakerComplaints
	if is.Paused || !complaintsTrip(complaints, 0, o.opts.ComplaintRate, o.opts.ComplaintSample) {
		return // the cheap test first: not even the floor is reached
	}
	c, err := o.opts.Store.SendProgress(ctx, is.ID)
	if err != nil {
		o.warn(ctx, "count deliveries", err)
		return
	}
	counted := BreakerCount(is, c)
	delivered := counted.Delivered
	if !complaintsTrip(complaints, delivered, o.opts.ComplaintRate, o.opts.ComplaintSample) {
		return
	}
	held, err := o.opts.Store.HoldIssue(ctx, is.ID, store.PauseComplaints)
	if err != nil || !held {
		if err != nil {
			o.warn(ctx, "pause an issue for complaints", err)
		}
		return
	}
	o.mu.Lock()
	if state, ok := o.issues[is.ID]; ok { // stop this server's workers now, not at the next poll
		state.issue.Paused, state.issue.PauseReason = true, store.PauseComplaints
	}
	o.mu.Unlock()
	rate := counted.Rate()
	o.opts.Log.Error("newsletter: issue paused: too many spam complaints", "issue", is.ID, "subject", is.Subject,
		"complaints", complaints, "delivered", delivered, "rate", rate, "left", c.Left())
	o.alertAdmins(ctx, "Newsletter paused: too many spam complaints",
		fmt.Sprintf("Sending the issue %q (%s) was paused because %d readers reported it as spam out of %d who received it (%s; the limit is %.2g %% of at least %d messages).\n\n"+
			"%d messages are not sent yet. Mailbox providers block senders whose complaints stay high, so look at what the issue says and who it went to before sending the rest.\n\n"+
			"To send the rest anyway, resume the issue on the desk, or run:\n\n    tamizdat newsletter resume %s\n",
			is.Subject, is.ID, complaints, delivered, rate, 100*o.opts.ComplaintRate, o.opts.ComplaintSample, c.Left(), is.ID))
}

// adminRole is accounts.Admin. That package is not imported here: it
// derives an argon2 hash (46 MiB) when it loads, which every sender process
// would pay for.
const adminRole = "admin"

// alertAdmins emails every active admin. Failures are logged: the alert is
// in the log already.
func (o *Outbox) alertAdmins(ctx context.Context, subject, text string) {
	users, err := o.opts.Store.ListUsers(ctx)
	if err != nil {
		o.warn(ctx, "list admins to alert", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	sent := 0
	for _, u := range users {
		if u.Role != adminRole || u.Disabled {
			continue
		}
		err := o.opts.Mail.Send(ctx, &tmail.Message{From: o.opts.From, To: u.Email, Subject: subject, Text: text})
		if err != nil {
			o.opts.Log.Error("newsletter: could not email an admin", "user", u.ID, "err", err)
			continue
		}
		sent++
	}
	if sent == 0 {
		o.opts.Log.Error("newsletter: no admin could be emailed about it", "subject", subject)
	}
}
