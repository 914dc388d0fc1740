package newsletter

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/mail"
	"strings"
	"sync"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/config"
	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/vault"
)

// NewMailer builds the SMTP sender the configuration describes (smtp-url,
// send-rate and send-workers, and DKIM signing for the domain of mail-from
// when dkim-key-file is set). It returns nil and no error when smtp-url is
// empty: this server sends no mail.
func NewMailer(cfg config.Config) (*tmail.SMTP, error) {
	if cfg.SMTPURL == "" {
		return nil, nil
	}
	servers, err := tmail.ParseServers(cfg.SMTPURL)
	if err != nil {
		return nil, err
	}
	smtpCfg := tmail.SMTPConfig{Servers: servers, Rate: cfg.SendRate, Conns: max(cfg.SendWorkers, 1)}
	if smtpCfg.DKIM, err = loadDKIM(cfg); err != nil {
		return nil, err
	}
	return tmail.NewSMTP(smtpCfg)
}

// Audit actions of sending issues, recorded by the desk and the command
// line: everything that makes an issue go out, or stops it.
const (
	AuditIssueSent        = "newsletter_issue_sent"
	AuditIssueScheduled   = "newsletter_issue_scheduled"
	AuditIssueUnscheduled = "newsletter_issue_unscheduled"
	AuditIssueCancelled   = "newsletter_issue_cancelled"
	AuditIssuePaused      = "newsletter_issue_paused"
	AuditIssueResumed     = "newsletter_issue_resumed"
	// AuditIssueApproved is one person's approval of a send that needs
	// two (requirement S5); AuditIssueApprovalsWithdrawn, an edit that
	// withdrew the approvals given.
	AuditIssueApproved           = "newsletter_issue_approved"
	AuditIssueApprovalsWithdrawn = "newsletter_issue_approvals_withdrawn"
)

// IssueAudit is the audit entry of action on is by actor (a user ID, or
// audit.System on the command line), with detail and the issue's subject
// and newsletter.
func IssueAudit(actor, action string, is store.Issue, detail map[string]any) audit.Entry {
	if detail == nil {
		detail = map[string]any{}
	}
	detail["subject"], detail["newsletter"] = is.Subject, is.NewsletterID
	return audit.Entry{Actor: actor, Action: action, Target: is.ID, Detail: detail}
}

// Sending is how StartSending's outbox sends: through Mail (nil: this
// server sends no issues), as From, with links to SiteURL ("": unknown,
// and then no issues are sent).
type Sending struct {
	Mail          tmail.Sender
	From, SiteURL string
}

// loadDKIM loads the DKIM key of the configuration, for the domain of
// mail-from; nil without dkim-key-file.
func loadDKIM(cfg config.Config) (*tmail.DKIM, error) {
	if cfg.DKIMKeyFile == "" {
		return nil, nil
	}
	from, err := mail.ParseAddress(cfg.MailFrom)
	if err != nil {
		return nil, errors.New("newsletter: DKIM signs for the domain of mail-from, which is not a valid address")
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	return tmail.LoadDKIM(cfg.DKIMKeyFile, cfg.DKIMSelector, domain)
}

// NewDomainCheck builds the DNS pre-flight of the configuration's sending
// domain: the domain of mail-from, signed with dkim-key-file, relayed by
// spf-relays or else the smtp-url servers.
func NewDomainCheck(cfg config.Config) (*tmail.DomainCheck, error) {
	servers, err := tmail.ParseServers(cfg.SMTPURL)
	if err != nil {
		return nil, err
	}
	key, err := loadDKIM(cfg)
	if err != nil {
		return nil, err
	}
	var relays []string
	for _, r := range strings.Split(cfg.SPFRelays, ",") {
		if r = strings.TrimSpace(r); r != "" {
			relays = append(relays, r)
		}
	}
	if len(relays) == 0 {
		for _, sv := range servers {
			host, _, _ := net.SplitHostPort(sv.Addr)
			relays = append(relays, host)
		}
	}
	return &tmail.DomainCheck{From: cfg.MailFrom, DKIM: key, Relays: relays}, nil
}

// DomainReady runs check and returns nil when bulk mail may go out: the
// domain passed, or skip is set (then the failure is logged as a warning).
// Otherwise it returns the report's error, which lists what to fix.
func DomainReady(ctx context.Context, check *tmail.DomainCheck, skip bool, log *slog.Logger) (tmail.Report, error) {
	rep := check.Run(ctx)
	if rep.OK() {
		return rep, nil
	}
	if skip {
		log.Warn("newsletter: sending although the sending domain fails the DNS pre-flight (skip-dns-check is set)", "err", rep.Err())
		return rep, nil
	}
	return rep, rep.Err()
}

// StartSending starts an Outbox that sends issues as configured, and
// returns the function that stops it: it stops claiming, lets the messages
// under way finish and records them. The caller closes the mail sender
// afterwards. Without a sender or the site's address nothing is sent, and
// the reason is logged.
func StartSending(ctx context.Context, st *store.Store, cfg config.Config, how Sending, log *slog.Logger) (stop func()) {
	noop := func() {}
	if how.Mail == nil {
		log.Info("newsletter: no smtp-url configured; this server sends no issues")
		return noop
	}
	if how.SiteURL == "" {
		log.Error("newsletter: issues are not sent: their links need the site's public address; set base-url")
		return noop
	}
	key, err := LoadKey(cfg.SecretKeyFile, log)
	if err != nil {
		log.Error("newsletter: issues are not sent", "err", err)
		return noop
	}
	v, err := vault.New(key)
	var tokens *Tokens
	if err == nil {
		tokens, err = NewTokens(key, nil)
	}
	// The demo's log mailer (no smtp-url) sends nothing over the internet,
	// so there is no sending domain to check.
	var check *tmail.DomainCheck
	if err == nil && cfg.SMTPURL != "" {
		check, err = NewDomainCheck(cfg)
	}
	var o *Outbox
	if err == nil {
		o, err = NewOutbox(SendOptions{
			Store: st, Vault: v, Tokens: tokens, Mail: how.Mail, From: how.From,
			SiteURL: strings.TrimSuffix(how.SiteURL, "/"), Workers: cfg.SendWorkers, Log: log,
			DomainCheck: check, SkipDomainCheck: cfg.SkipDNSCheck,
			ComplaintRate: cfg.ComplaintRate / 100, ComplaintSample: cfg.ComplaintSample, SoftBounceLimit: cfg.SoftBounceLimit,
		})
	}
	if err != nil {
		log.Error("newsletter: issues are not sent", "err", err)
		return noop
	}
	ctx, cancel := context.WithCancel(ctx)
	var done sync.WaitGroup
	done.Go(func() { o.Run(ctx) })
	return func() {
		cancel()
		done.Wait()
	}
}
