package donate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/tamizdat/tamizdat/internal/model"
)

// StripeOptions configure the Stripe implementation of Payments.
type StripeOptions struct {
	Key           string // secret API key, sk_…
	WebhookSecret string // the webhook endpoint's signing secret, whsec_…
	// APIURL replaces Stripe's API address, e.g. with stripe-mock's for
	// tests; empty for Stripe's.
	APIURL     string
	HTTPClient *http.Client // nil: one with a 30-second timeout
}

// Stripe takes donations through Stripe Checkout: one-time gifts in payment
// mode, recurring ones in subscription mode, with prices made on the fly.
type Stripe struct {
	client *stripe.Client
	secret string
}

// webhookTolerance is how old a webhook signature may be; older ones are
// refused as replays.
const webhookTolerance = 5 * time.Minute

// NewStripe returns the Stripe implementation of Payments.
func NewStripe(opts StripeOptions) *Stripe {
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	cfg := &stripe.BackendConfig{
		HTTPClient: hc,
		// Its messages could carry donors' data; our errors say enough.
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	}
	if opts.APIURL != "" {
		cfg.URL = stripe.String(strings.TrimSuffix(opts.APIURL, "/"))
	}
	return &Stripe{
		client: stripe.NewClient(opts.Key, stripe.WithBackends(stripe.NewBackendsWithConfig(cfg))),
		secret: opts.WebhookSecret,
	}
}

// The metadata keys that carry the frequency and the appeal on sessions
// and subscriptions, and from these onto invoices.
const (
	frequencyMeta = "frequency"
	appealMeta    = "appeal"
)

// CreateCheckout opens a Checkout Session with the price made on the fly.
func (s *Stripe) CreateCheckout(ctx context.Context, req CheckoutRequest) (Checkout, error) {
	price := &stripe.CheckoutSessionCreateLineItemPriceDataParams{
		Currency:    stripe.String(strings.ToLower(req.Currency)),
		UnitAmount:  stripe.Int64(req.Amount),
		ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripe.String(req.Description)},
	}
	meta := map[string]string{frequencyMeta: string(req.Frequency)}
	if req.AppealID != "" {
		meta[appealMeta] = req.AppealID
	}
	params := &stripe.CheckoutSessionCreateParams{
		SuccessURL: stripe.String(req.SuccessURL),
		CancelURL:  stripe.String(req.CancelURL),
		LineItems:  []*stripe.CheckoutSessionCreateLineItemParams{{PriceData: price, Quantity: stripe.Int64(1)}},
		Metadata:   meta,
	}
	switch req.Frequency {
	case model.Once:
		params.Mode = stripe.String(string(stripe.CheckoutSessionModePayment))
		params.SubmitType = stripe.String(string(stripe.CheckoutSessionSubmitTypeDonate))
	case model.Monthly, model.Annual:
		interval := "month"
		if req.Frequency == model.Annual {
			interval = "year"
		}
		params.Mode = stripe.String(string(stripe.CheckoutSessionModeSubscription))
		price.Recurring = &stripe.CheckoutSessionCreateLineItemPriceDataRecurringParams{Interval: stripe.String(interval)}
		params.SubscriptionData = &stripe.CheckoutSessionCreateSubscriptionDataParams{Metadata: meta}
	default:
		return Checkout{}, fmt.Errorf("stripe: unknown frequency %q", req.Frequency)
	}
	params.SetIdempotencyKey(req.IdempotencyKey)
	sess, err := s.client.V1CheckoutSessions.Create(ctx, params)
	if err != nil {
		return Checkout{}, fmt.Errorf("stripe: create checkout session: %w", err)
	}
	return Checkout{ID: sess.ID, URL: sess.URL}, nil
}

// VerifyEvent checks the Stripe-Signature header (HMAC-SHA256 over the
// timestamp and the raw body, compared in constant time, at most five
// minutes old) and decodes the event's envelope.
func (s *Stripe) VerifyEvent(payload []byte, signature string) (Event, error) {
	if err := webhook.ValidatePayloadWithTolerance(payload, signature, s.secret, webhookTolerance); err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return decodeEnvelope(payload)
}

// DecodeEvent decodes a Stripe event with its object. It reads the fields
// it needs in the shapes of both the current API version and those before
// 2025-03-31, whatever version the webhook endpoint is pinned to.
func (s *Stripe) DecodeEvent(payload []byte) (Event, error) {
	return decodeStripeEvent(payload)
}

// Events lists the events of the kinds the service acts on since then,
// oldest first, decoded as VerifyEvent does. Stripe keeps events for 30
// days.
func (s *Stripe) Events(ctx context.Context, since time.Time) ([]Event, error) {
	params := &stripe.EventListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: since.Unix()}}
	for t := range stripeKinds {
		params.Types = append(params.Types, stripe.String(t))
	}
	slices.SortFunc(params.Types, func(a, b *string) int { return strings.Compare(*a, *b) })
	var out []Event
	for e, err := range s.client.V1Events.List(ctx, params) {
		if err != nil {
			return nil, fmt.Errorf("stripe: list events: %w", err)
		}
		raw, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("stripe: list events: %w", err)
		}
		ev, err := decodeEnvelope(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	slices.SortStableFunc(out, func(a, b Event) int { return a.Created.Compare(b.Created) })
	return out, nil
}

// InvoiceOfPayment finds the invoice a payment intent paid.
func (s *Stripe) InvoiceOfPayment(ctx context.Context, paymentRef string) (string, error) {
	if !strings.HasPrefix(paymentRef, "pi_") {
		return "", nil
	}
	params := &stripe.InvoicePaymentListParams{Payment: &stripe.InvoicePaymentListPaymentParams{
		Type: stripe.String("payment_intent"), PaymentIntent: stripe.String(paymentRef),
	}}
	params.Limit = stripe.Int64(1)
	for p, err := range s.client.V1InvoicePayments.List(ctx, params) {
		if err != nil {
			return "", fmt.Errorf("stripe: invoice of payment: %w", err)
		}
		if p.Invoice != nil {
			return p.Invoice.ID, nil
		}
	}
	return "", nil
}

// CancelSubscription cancels a subscription at once. One that Stripe no
// longer knows counts as canceled.
func (s *Stripe) CancelSubscription(ctx context.Context, id string) error {
	params := &stripe.SubscriptionCancelParams{}
	params.SetIdempotencyKey("cancel-" + id)
	_, err := s.client.V1Subscriptions.Cancel(ctx, id, params)
	var se *stripe.Error
	if errors.As(err, &se) && se.HTTPStatusCode == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stripe: cancel subscription: %w", err)
	}
	return nil
}

// ChangeSubscriptionAmount replaces the subscription's price with one of
// the same product and interval at the new amount, without proration: the
// donor pays the new amount from the next period on.
func (s *Stripe) ChangeSubscriptionAmount(ctx context.Context, id string, amount int64, intent string) error {
	sub, err := s.client.V1Subscriptions.Retrieve(ctx, id, nil)
	if err != nil {
		return fmt.Errorf("stripe: change amount: %w", err)
	}
	if sub.Items == nil || len(sub.Items.Data) != 1 || sub.Items.Data[0].Price == nil ||
		sub.Items.Data[0].Price.Product == nil || sub.Items.Data[0].Price.Recurring == nil {
		return fmt.Errorf("stripe: change amount: subscription %s does not have the one recurring item a donation has", id)
	}
	item := sub.Items.Data[0]
	params := &stripe.SubscriptionUpdateParams{
		Items: []*stripe.SubscriptionUpdateItemParams{{
			ID: stripe.String(item.ID),
			PriceData: &stripe.SubscriptionUpdateItemPriceDataParams{
				Currency:   stripe.String(string(item.Price.Currency)),
				Product:    stripe.String(item.Price.Product.ID),
				UnitAmount: stripe.Int64(amount),
				Recurring: &stripe.SubscriptionUpdateItemPriceDataRecurringParams{
					Interval: stripe.String(string(item.Price.Recurring.Interval)),
				},
			},
		}},
		ProrationBehavior: stripe.String("none"),
	}
	params.SetIdempotencyKey("amount-" + intent)
	if _, err := s.client.V1Subscriptions.Update(ctx, id, params); err != nil {
		return fmt.Errorf("stripe: change amount: %w", err)
	}
	return nil
}

// PortalURL opens a Customer Portal session. Stripe's portal must be
// configured in its dashboard.
func (s *Stripe) PortalURL(ctx context.Context, customer, returnURL string) (string, error) {
	sess, err := s.client.V1BillingPortalSessions.Create(ctx, &stripe.BillingPortalSessionCreateParams{
		Customer: stripe.String(customer), ReturnURL: stripe.String(returnURL),
	})
	if err != nil {
		return "", fmt.Errorf("stripe: open customer portal: %w", err)
	}
	return sess.URL, nil
}
