package newsletter

import (
	"context"
	"errors"
	"fmt"

	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/store"
)

// previewSubscriber stands in for the subscriber in previews and test
// sends: their manage and unsubscribe links have the real shape but belong
// to nobody, so following one changes nothing.
const previewSubscriber = "preview"

// EditionOptions configure Editions. Store, Tokens, From and SiteURL are
// required.
type EditionOptions struct {
	Store  *store.Store
	Tokens *Tokens
	// Mail sends test emails; nil when no mail server is configured, and
	// then SendTest answers ErrMailUnavailable.
	Mail    tmail.Sender
	From    string
	SiteURL string
}

// Editions is the desk's side of the newsletters: it shows an issue's
// email exactly as subscribers will get it and sends it to an editor as a
// test, through the renderer and mail server the outbox uses.
type Editions struct {
	letters letters
	mail    tmail.Sender
}

// NewEditions checks opts and returns the service.
func NewEditions(opts EditionOptions) (*Editions, error) {
	if opts.Store == nil || opts.Tokens == nil {
		return nil, errors.New("newsletter: editions need a store and link tokens")
	}
	if opts.SiteURL == "" {
		return nil, errors.New("newsletter: issue previews need the site's public address (base-url) for their links")
	}
	l, err := newLetters(opts.Store, opts.Tokens, opts.From, opts.SiteURL)
	if err != nil {
		return nil, err
	}
	return &Editions{letters: l, mail: opts.Mail}, nil
}

// CanSend reports whether test sends, and issues, can go out from here.
func (e *Editions) CanSend() bool { return e.mail != nil }

// Preview returns the issue's email as a subscriber would receive it, with
// links that belong to no subscriber. Articles unpublished since they were
// picked are left out, as they would be when sending.
func (e *Editions) Preview(ctx context.Context, is store.Issue) (*tmail.Message, error) {
	s, err := e.letters.load(ctx, is)
	if err != nil {
		return nil, fmt.Errorf("newsletter: preview issue %s: %w", is.ID, err)
	}
	return e.letters.letter(s, previewSubscriber, 0, "", ""), nil
}

// SendTest sends the issue's email to one address, its subject marked as
// a test. Nothing is recorded in the outbox.
func (e *Editions) SendTest(ctx context.Context, is store.Issue, to string) error {
	if e.mail == nil {
		return ErrMailUnavailable
	}
	m, err := e.Preview(ctx, is)
	if err != nil {
		return err
	}
	m.To, m.Subject = to, "[Test] "+m.Subject
	if err := e.mail.Send(ctx, m); err != nil {
		return fmt.Errorf("newsletter: send a test of issue %s: %w", is.ID, err)
	}
	return nil
}
