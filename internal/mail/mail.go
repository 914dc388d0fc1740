// Package mail builds and sends email. A Message becomes a MIME message with
// a real plain-text part (multipart/alternative when there is HTML too),
// encoded headers that cannot be used for header injection, and a DKIM
// signature when a key is configured. SMTP sends it through one or several
// servers, with TLS, authentication, timeouts, connection reuse and a rate
// limit per server.
//
// Callers depend on the Sender interface; mailtest provides a real SMTP
// server for tests.
package mail

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Message is one email to one recipient.
type Message struct {
	// From is the author's address, optionally with a display name
	// ("Tamizdat <news@example.org>"); To is a bare address.
	From, To string
	Subject  string
	// Text is required; HTML is optional and, when set, is sent as the
	// alternative to Text.
	Text, HTML string
	// TextFill and HTMLFill, when set, stand in for Text and HTML: one
	// template filled with this recipient's values, for sending the same
	// text to many (see Template).
	TextFill, HTMLFill *Filled
	// MessageID is written without angle brackets, e.g.
	// "issue-1-sub-2@news.example". Senders that may repeat a message
	// after a crash derive it from what the message is, so that every
	// copy carries the same one. Empty: a random one.
	MessageID string
	// Headers are extra header fields such as List-Id, List-Unsubscribe and
	// List-Unsubscribe-Post. Values must be ASCII; they may not replace the
	// fields the package writes itself.
	Headers map[string]string
	// Date is the Date header; zero means the time of sending.
	Date time.Time
}

// PlainText returns the plain-text part: Text, or TextFill's text.
func (m *Message) PlainText() string {
	if m.TextFill != nil {
		return m.TextFill.String()
	}
	return m.Text
}

// HTMLText returns the HTML part, if any: HTML, or HTMLFill's text.
func (m *Message) HTMLText() string {
	if m.HTMLFill != nil {
		return m.HTMLFill.String()
	}
	return m.HTML
}

// Sender sends messages.
type Sender interface {
	Send(ctx context.Context, m *Message) error
}

// ErrInvalid reports a message that cannot be sent as it was built: a
// missing part, a header value with a line break, a malformed sender. Sending
// it again will not help, but the recipient is not to blame either.
var ErrInvalid = errors.New("mail: invalid message")

// ErrBadRecipient reports a recipient address that cannot be mailed.
var ErrBadRecipient = errors.New("mail: invalid recipient address")

// SMTP stages at which a server may refuse a message.
const (
	StageConnect = "connect" // dial, TLS, greeting, EHLO, AUTH
	StageMail    = "MAIL"
	StageRcpt    = "RCPT"
	StageData    = "DATA"
)

// Error is a delivery an SMTP server refused or that failed on the way.
type Error struct {
	Server string // host:port
	Stage  string // one of the Stage constants
	// Code is the SMTP reply code; 0 when the failure was not a reply (a
	// network error, a timeout).
	Code int
	Err  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("mail: %s at %s: %v", e.Server, e.Stage, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Permanent reports whether err is a permanent delivery failure for the
// recipient (a 5xx reply to RCPT or DATA, or an address that cannot be
// mailed) rather than a transient one worth retrying. A 5xx reply at
// connection or MAIL time blames the server or our configuration, not the
// recipient, so it is not permanent in this sense: bouncing every subscriber
// because a relay refused our password would be a disaster.
func Permanent(err error) bool {
	if errors.Is(err, ErrBadRecipient) {
		return true
	}
	var e *Error
	return errors.As(err, &e) && e.Code >= 500 && e.Code < 600 &&
		(e.Stage == StageRcpt || e.Stage == StageData)
}
