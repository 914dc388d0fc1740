package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/tamizdat/tamizdat/internal/app"
	"github.com/tamizdat/tamizdat/internal/config"
	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/newsletter"
)

// dnsSettings are what the DNS pre-flight of the sending domain reads.
var dnsSettings = []string{"smtp-url", "mail-from", "dkim-key-file", "dkim-selector", "spf-relays", "skip-dns-check"}

// newsletterResumeCommand resumes an issue paused by an editor, the
// complaint-rate breaker or the DNS pre-flight; the servers take it up at
// their next poll.
var newsletterResumeCommand = command{
	name:     "newsletter resume",
	summary:  "resume sending a paused newsletter issue (paused by hand, for spam complaints, or by the DNS pre-flight)",
	settings: append([]string{"db", "log-format", "log-level"}, dnsSettings...),
	args:     "ISSUE_ID",
	run: func(ctx context.Context, cfg config.Config, e env) error {
		if len(e.args) != 1 {
			return errors.New("give the ID of the issue to resume, e.g. tamizdat newsletter resume 0193…; the desk and the log show it")
		}
		st, err := app.Open(ctx, cfg, e.log)
		if err != nil {
			return err
		}
		defer st.Close()
		ready := func(ctx context.Context) error {
			check, err := newDomainCheck(cfg)
			if err != nil {
				return err
			}
			_, err = newsletter.DomainReady(ctx, check, cfg.SkipDNSCheck, e.log)
			return err
		}
		if err := newsletter.ResumeIssue(ctx, st, e.args[0], ready); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "issue %s resumed; the servers send the rest within a second or so\n", e.args[0])
		return nil
	},
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
