package mail

import (
	"context"
	"log/slog"
)

// Log is a Sender that writes each message's envelope and plain text to a
// log instead of sending it. It is for the demo site, which has no mail
// server, so that its sign-up confirmation links can still be followed;
// never for a real site, whose log would then hold readers' addresses.
type Log struct {
	log *slog.Logger
}

var _ Sender = (*Log)(nil)

// NewLog returns a Sender that writes to log.
func NewLog(log *slog.Logger) *Log { return &Log{log: log} }

// Send checks m as SMTP would, refusing what SMTP would refuse, and logs
// it.
func (l *Log) Send(ctx context.Context, m *Message) error {
	if _, err := m.Encode(m.Date); err != nil {
		return err
	}
	l.log.InfoContext(ctx, "email written to the log instead of being sent (demo site without smtp-url)",
		"from", m.From, "to", m.To, "subject", m.Subject, "text", m.PlainText())
	return nil
}
