package donate

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// receiptWindow is how recent a donation must be to get a receipt: when
// mail is set up late, old donors are not sent a pile of receipts.
const receiptWindow = 7 * 24 * time.Hour

// SendReceipts emails a receipt for each recent donation whose donor has
// none yet, and reports how many it sent. A receipt goes out once: a crash
// between sending and recording it can repeat one, with the same
// Message-ID, so mail clients show it once.
func (s *Service) SendReceipts(ctx context.Context) (int, error) {
	if s.mail == nil {
		return 0, nil
	}
	pending, err := s.store.PendingReceipts(ctx, s.now().Add(-receiptWindow), 50)
	if err != nil || len(pending) == 0 {
		return 0, err
	}
	siteName, err := s.siteName(ctx)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, r := range pending {
		to, err := s.vault.Open(r.EmailSealed, purposeEmail)
		if err != nil {
			return sent, fmt.Errorf("donate: receipt: %w", err)
		}
		err = s.mail.Send(ctx, &mail.Message{
			From: s.from, To: to, Subject: "Your donation to " + siteName,
			Text: s.receiptText(siteName, r), MessageID: "receipt-" + r.DonationID + "@" + s.mailDomain(),
		})
		switch {
		case err == nil:
			sent++
		case mail.Permanent(err) || errors.Is(err, mail.ErrInvalid):
			// Sending again will not help; the donor has Stripe's own
			// receipt if they asked for one.
			s.log.Warn("donate: a receipt could not be delivered; not retrying", "donation", r.DonationID, "err", err)
		default:
			return sent, fmt.Errorf("donate: send receipt: %w", err)
		}
		if err := s.store.MarkReceiptSent(ctx, r.DonationID); err != nil {
			return sent, err
		}
	}
	return sent, nil
}

func (s *Service) receiptText(siteName string, r store.Receipt) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Thank you for supporting %s.\n\nThis is the receipt for your donation:\n\n", siteName)
	fmt.Fprintf(&b, "  Amount:  %s\n  Type:    %s\n  Date:    %s\n\n", Money{Amount: r.Amount, Currency: r.Currency}, frequencyName(r.Frequency), r.PaidAt.UTC().Format("2 January 2006"))
	if r.Frequency != model.Once {
		every := "month"
		if r.Frequency == model.Annual {
			every = "year"
		}
		fmt.Fprintf(&b, "Your donation renews every %s until you end it.", every)
		if s.baseURL != "" {
			fmt.Fprintf(&b, " To change the amount or cancel, ask for a link at\n%s/support/manage", s.baseURL)
		}
		b.WriteString("\n\n")
	}
	fmt.Fprintf(&b, "%s keeps your email address (encrypted), and the amounts and dates of your donations; nothing else. Your card is held by Stripe, our payment provider; we never see it.\n", siteName)
	return b.String()
}

func frequencyName(f model.Frequency) string {
	switch f {
	case model.Monthly:
		return "monthly donation"
	case model.Annual:
		return "annual donation"
	}
	return "one-time donation"
}

// mailDomain is the domain of the sender's address, for Message-IDs.
func (s *Service) mailDomain() string {
	if a, err := netmail.ParseAddress(s.from); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 {
			return a.Address[i+1:]
		}
	}
	return "localhost"
}

func (s *Service) siteName(ctx context.Context) (string, error) {
	st, err := s.store.Settings(ctx)
	if errors.Is(err, model.ErrNotFound) {
		return "tamizdat", nil
	}
	if err != nil {
		return "", err
	}
	return st.SiteName, nil
}
