package newsletter

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// letters renders issues and addresses them to one subscriber each. The
// outbox and the desk's preview and test send share it, so an editor sees
// exactly what subscribers get.
type letters struct {
	store   *store.Store
	tokens  *Tokens
	from    string
	siteURL string // without a trailing slash
	domain  string // of the From address: names Message-IDs and List-Ids
}

func newLetters(st *store.Store, tokens *Tokens, from, siteURL string) (letters, error) {
	addr, err := mail.ParseAddress(from)
	if err != nil || strings.ContainsAny(from, "\r\n") {
		return letters{}, fmt.Errorf("newsletter: the sender address (mail-from) %q is not valid: expected e.g. \"News <news@example.org>\"", from)
	}
	return letters{store: st, tokens: tokens, from: from, siteURL: strings.TrimSuffix(siteURL, "/"),
		domain: addr.Address[strings.LastIndexByte(addr.Address, '@')+1:]}, nil
}

// load renders an issue once for all its recipients.
func (l letters) load(ctx context.Context, is store.Issue) (*issueState, error) {
	n, err := l.store.NewsletterByID(ctx, is.NewsletterID)
	if err != nil {
		return nil, err
	}
	articles, err := l.store.IssueArticles(ctx, is)
	if err != nil {
		return nil, err
	}
	settings, err := l.store.Settings(ctx)
	if errors.Is(err, model.ErrNotFound) {
		settings = model.DefaultSettings("tamizdat")
	} else if err != nil {
		return nil, err
	}
	r, err := renderIssue(issueContent{
		SiteName: settings.SiteName, SiteURL: l.siteURL, Language: settings.Language,
		Newsletter: n, Issue: is, Articles: articles,
	})
	if err != nil {
		return nil, err
	}
	return &issueState{issue: is, newsletter: n, mail: r, listID: listID(n, l.domain), lastAt: time.Now()}, nil
}

// letter is the issue's email to one subscriber: their manage and
// one-click unsubscribe links (RFC 8058) in the body and headers.
func (l letters) letter(s *issueState, subscriberID string, tokenVersion int, to, messageID string) *tmail.Message {
	manage := l.siteURL + "/newsletter/manage?t=" + l.tokens.ManageToken(subscriberID, tokenVersion)
	unsubscribe := l.siteURL + "/newsletter/unsubscribe?t=" + l.tokens.UnsubscribeToken(subscriberID, s.newsletter.ID)
	m := s.mail.message(l.from, to, messageID, manage, unsubscribe)
	m.Headers = map[string]string{
		"List-Id":               s.listID,
		"List-Unsubscribe":      "<" + unsubscribe + ">",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	}
	return m
}
