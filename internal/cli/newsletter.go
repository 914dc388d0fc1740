package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/config"
	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
)

// dnsSettings are what the DNS pre-flight of the sending domain reads.
var dnsSettings = []string{"smtp-url", "mail-from", "dkim-key-file", "dkim-selector", "spf-relays", "skip-dns-check"}

// issueSettings are what the commands that pause and resume issues read
// besides the DNS settings: the database, and where audit entries go.
var issueSettings = []string{"db", "log-format", "log-level", "audit-sink"}

// newsletterPauseCommand pauses an issue being sent, as the desk's Pause
// button does: every server stops claiming its deliveries.
var newsletterPauseCommand = command{
	name:     "newsletter pause",
	summary:  "pause sending a newsletter issue, on every server, until it is resumed",
	settings: issueSettings,
	args:     "ISSUE_ID",
	run: func(ctx context.Context, cfg config.Config, e env) error {
		if len(e.args) != 1 {
			return errors.New("give the ID of the issue to pause, e.g. tamizdat newsletter pause 0193…; the desk and the log show it")
		}
		return withIssue(ctx, cfg, e, func(st *store.Store, is store.Issue) (audit.Entry, error) {
			switch {
			case is.Paused:
				return audit.Entry{}, fmt.Errorf("issue %s is paused already; nothing was changed", is.ID)
			case is.Status != store.IssueSending:
				return audit.Entry{}, fmt.Errorf("issue %s is %s: only an issue being sent can be paused", is.ID, is.Status)
			}
			if err := st.PauseIssue(ctx, is.ID, audit.System); err != nil {
				return audit.Entry{}, err
			}
			fmt.Fprintf(e.stdout, "issue %s paused; the servers stop within a second or so. Resume it with: tamizdat newsletter resume %s\n", is.ID, is.ID)
			return newsletter.IssueAudit(audit.System, newsletter.AuditIssuePaused, is, nil), nil
		})
	},
}

// newsletterResumeCommand resumes an issue paused by an editor, the
// complaint-rate breaker or the DNS pre-flight; the servers take it up at
// their next poll.
var newsletterResumeCommand = command{
	name:     "newsletter resume",
	summary:  "resume sending a paused newsletter issue (paused by hand, for spam complaints, or by the DNS pre-flight)",
	settings: append(slices.Clone(issueSettings), dnsSettings...),
	args:     "ISSUE_ID",
	run: func(ctx context.Context, cfg config.Config, e env) error {
		if len(e.args) != 1 {
			return errors.New("give the ID of the issue to resume, e.g. tamizdat newsletter resume 0193…; the desk and the log show it")
		}
		ready := func(ctx context.Context) error {
			check, err := newDomainCheck(cfg)
			if err != nil {
				return err
			}
			_, err = newsletter.DomainReady(ctx, check, cfg.SkipDNSCheck, e.log)
			return err
		}
		return withIssue(ctx, cfg, e, func(st *store.Store, is store.Issue) (audit.Entry, error) {
			if err := newsletter.ResumeIssue(ctx, st, is.ID, ready); err != nil {
				return audit.Entry{}, err
			}
			fmt.Fprintf(e.stdout, "issue %s resumed; the servers send the rest within a second or so\n", is.ID)
			return newsletter.IssueAudit(audit.System, newsletter.AuditIssueResumed, is, map[string]any{"reason": is.PauseReason}), nil
		})
	},
}

// withIssue opens the database, runs change on the issue named by the
// command's argument, and records the audit entry it returns, as
// audit.System like the other commands that change things.
func withIssue(ctx context.Context, cfg config.Config, e env, change func(*store.Store, store.Issue) (audit.Entry, error)) error {
	return withAudit(ctx, cfg, e, func(st *store.Store, auditLog *audit.Log) error {
		is, err := st.IssueByID(ctx, e.args[0])
		if err != nil {
			return err
		}
		entry, err := change(st, is)
		if err != nil {
			return err
		}
		return auditLog.Append(ctx, entry)
	})
}

// newsletterCheckDNSCommand prints the DNS pre-flight of the sending domain
// and fails when bulk mail would be held.
var newsletterCheckDNSCommand = command{
	name:     "newsletter check-dns",
	summary:  "check that the mail-from domain publishes the DKIM, SPF and DMARC records bulk mail needs",
	settings: append([]string{"log-format", "log-level"}, dnsSettings...),
	run: func(ctx context.Context, cfg config.Config, e env) error {
		check, err := newDomainCheck(cfg)
		if err != nil {
			return err
		}
		rep := check.Run(ctx)
		for _, c := range rep.Checks {
			mark := "OK  "
			if !c.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(e.stdout, "%s %-9s %s\n", mark, c.Name, c.Detail)
			if c.Fix != "" {
				fmt.Fprintf(e.stdout, "     %-9s fix: %s\n", "", c.Fix)
			}
		}
		if !rep.OK() {
			return fmt.Errorf("%s is not ready for bulk mail: newsletter issues are held until the checks above pass", rep.Domain)
		}
		return nil
	},
}

func newDomainCheck(cfg config.Config) (*tmail.DomainCheck, error) {
	if cfg.SMTPURL == "" || cfg.MailFrom == "" {
		return nil, errors.New("give --smtp-url and --mail-from as the server has them: the check reads the mail-from domain's records for those relays")
	}
	return newsletter.NewDomainCheck(cfg)
}
