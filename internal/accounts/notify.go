package accounts

import (
	"context"
	"fmt"
	"time"

	"github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/store"
)

// mailTimeout bounds the delivery of one account email.
const mailTimeout = 2 * time.Minute

// CanMail reports whether account emails are sent, rather than written to
// the log.
func (s *Service) CanMail() bool { return s.mail != nil }

// notice is an email to one account holder.
type notice struct {
	to      string
	subject string
	text    string
	// logged is what the log shows when there is no mailer; a link in it
	// lets an administrator pass it on by hand (the demo, servers without
	// SMTP). Nil: the log says only that the email was not sent.
	logged []any
}

// notify emails n in the background. The request that caused it does not
// wait, so how long an answer takes does not reveal whether an account
// exists (S11). Failures are logged; without a mailer, n.logged is.
func (s *Service) notify(ctx context.Context, n notice) {
	if s.mail == nil {
		attrs := append([]any{"to", n.to, "subject", n.subject}, n.logged...)
		s.log.InfoContext(ctx, "account email not sent: no SMTP server is configured (smtp-url)", attrs...)
		return
	}
	msg := &mail.Message{From: s.mailFrom, To: n.to, Subject: n.subject, Text: n.text}
	s.mailing.Add(1)
	go func() {
		defer s.mailing.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mailTimeout)
		defer cancel()
		if err := s.mail.Send(ctx, msg); err != nil {
			s.log.ErrorContext(ctx, "account email not delivered", "subject", n.subject, "err", err)
		}
	}()
}

// WaitMail waits until the account emails under way are handed to the
// SMTP server (or failed), for a graceful shutdown: a password-reset link
// asked for just before must still arrive. It gives up when ctx is done,
// returning why.
func (s *Service) WaitMail(ctx context.Context) error {
	sent := make(chan struct{})
	go func() {
		s.mailing.Wait()
		close(sent)
	}()
	select {
	case <-sent:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("accounts: account emails still being sent: %w", context.Cause(ctx))
	}
}

// signature ends every account email: the one thing people must know to
// resist phishing.
func (s *Service) signature() string {
	return fmt.Sprintf("\n-- \n%s newsroom desk, %s/admin/\nNobody from %s will ever ask you for your password or your codes.\n",
		s.siteName, s.AdminURL(), s.siteName)
}

func (s *Service) sendResetLink(ctx context.Context, u store.User, token string) {
	link := s.ResetLink(token)
	s.notify(ctx, notice{to: u.Email, subject: "Reset your password on the " + s.siteName + " desk",
		text: fmt.Sprintf("Someone asked to reset the password of your account on the %s desk.\n\n"+
			"If it was you, open this link within %d minutes to choose a new password:\n\n%s\n\n"+
			"If it was not you, ignore this email: your password stays as it is.\n",
			s.siteName, int(ResetLinkValidity.Minutes()), link) + s.signature(),
		logged: []any{"link", link}})
}

func (s *Service) sendSetupLink(ctx context.Context, u store.User, token string) {
	link := s.SetupLink(token)
	s.notify(ctx, notice{to: u.Email, subject: "Your account on the " + s.siteName + " desk",
		text: fmt.Sprintf("An administrator created an account for you on the %s desk.\n\n"+
			"Open this link within %d hours to choose your password, then set up a passkey:\n\n%s\n\n"+
			"The link works once. If you did not expect this email, tell the newsroom.\n",
			s.siteName, int(SetupLinkValidity.Hours()), link) + s.signature(),
		logged: []any{"link", link}})
}

// sendSecurityNotice tells the account holder about a change to how they
// sign in, so that someone who stole a factor cannot use it unnoticed.
func (s *Service) sendSecurityNotice(ctx context.Context, u store.User, subject, what string) {
	s.notify(ctx, notice{to: u.Email, subject: subject,
		text: fmt.Sprintf("%s\n\nWhen: %s\n\nIf this was you, there is nothing to do. If it was not, "+
			"tell an administrator of the %s desk at once: your account may be in someone else's hands.\n",
			what, s.now().UTC().Format("2 January 2006, 15:04 UTC"), s.siteName) + s.signature()})
}
