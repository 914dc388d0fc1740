package donate

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/tamizdat/tamizdat/internal/model"
)

// StartCheckout opens a provider checkout for a choice that ParseChoice
// accepted, on behalf of the client at address client (the request's
// remote address), and returns where to send the reader. It fails with
// ErrNotConfigured when no provider is set up and with a *RateLimitError
// when the client's address range, or everyone, has opened too many.
// Nothing is recorded: a donation exists only once the provider says it
// was paid.
func (s *Service) StartCheckout(ctx context.Context, c Choice, client, siteName, successURL, cancelURL string) (Checkout, error) {
	if s.payments == nil {
		return Checkout{}, ErrNotConfigured
	}
	if err := s.limiter.allow(client, s.now()); err != nil {
		return Checkout{}, err
	}
	co, err := s.payments.CreateCheckout(ctx, CheckoutRequest{
		Choice:      c,
		Description: describe(c.Frequency, siteName),
		SuccessURL:  successURL,
		CancelURL:   cancelURL,
		// A fresh intent per form submission: the provider's client
		// retries a request that timed out under the same key, so a
		// checkout the provider made but did not confirm is not made twice.
		IdempotencyKey: "checkout-" + uuid.NewString(),
	})
	if err != nil {
		return Checkout{}, fmt.Errorf("donate: start checkout: %w", err)
	}
	if !strings.HasPrefix(co.URL, "https://") {
		return Checkout{}, fmt.Errorf("donate: start checkout: the provider returned %q, not an https address", co.URL)
	}
	return co, nil
}

// describe names a donation the way the checkout page shows it.
func describe(f model.Frequency, siteName string) string {
	switch f {
	case model.Monthly:
		return "Monthly donation to " + siteName
	case model.Annual:
		return "Annual donation to " + siteName
	default:
		return "Donation to " + siteName
	}
}
