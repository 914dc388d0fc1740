// Package donate takes readers' donations: it validates what a reader
// chose, opens a checkout with the payment provider, records what the
// provider's verified events say was paid, and keeps the donor records
// minimal (an email sealed with the vault, amounts, dates, frequency,
// status) and erasable.
//
// A donation counts as paid only when a verified provider event says so,
// never because a reader reached the thank-you page. Events go into a
// durable inbox before the webhook is acknowledged and are processed from
// there exactly once.
//
// The provider sits behind the Payments interface; Stripe implements it.
package donate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/vault"
)

// Vault purposes of the donor data sealed in the database.
const (
	purposeEmail    = "donor email"
	purposeCustomer = "payment customer id"
	purposeEvent    = "payment event"
)

// Payments is what the service needs of a payment provider.
type Payments interface {
	// CreateCheckout opens a hosted checkout for one donation and returns
	// where to send the reader. Retries with the same request's
	// IdempotencyKey must not open a second one.
	CreateCheckout(ctx context.Context, req CheckoutRequest) (Checkout, error)
	// VerifyEvent checks a webhook's signature and decodes what
	// identifies the event (ID, Type, Kind, Created, Raw), not yet what it
	// says: an event is stored before anything in it can fail to decode.
	// It fails with an error wrapping ErrBadSignature when the signature
	// is missing, wrong or too old.
	VerifyEvent(payload []byte, signature string) (Event, error)
	// DecodeEvent decodes all of an event that was verified when it
	// arrived.
	DecodeEvent(payload []byte) (Event, error)
	// Events lists the provider's events of the kinds the service handles
	// that happened at or after since, oldest first, decoded as
	// VerifyEvent does.
	Events(ctx context.Context, since time.Time) ([]Event, error)
	// InvoiceOfPayment returns the invoice a payment paid, or "" when it
	// paid none (a one-time gift).
	InvoiceOfPayment(ctx context.Context, paymentRef string) (string, error)
	// CancelSubscription ends a recurring donation at once.
	CancelSubscription(ctx context.Context, id string) error
	// ChangeSubscriptionAmount sets what a recurring donation takes per
	// period, in the minor unit, from its next payment on. intent
	// identifies the change, so that a retry does not make two.
	ChangeSubscriptionAmount(ctx context.Context, id string, amount int64, intent string) error
	// PortalURL opens the provider's customer portal for a customer and
	// returns its address. The address is a credential: never log it.
	PortalURL(ctx context.Context, customer, returnURL string) (string, error)
}

// CheckoutRequest is one donation to open a checkout for.
type CheckoutRequest struct {
	Choice
	// Description names what the donor pays for, e.g. "Monthly donation
	// to Tamizdat"; the provider shows it on the checkout page.
	Description string
	// SuccessURL and CancelURL are absolute. SuccessURL may contain the
	// provider's placeholder for its checkout ID.
	SuccessURL, CancelURL string
	// IdempotencyKey identifies this attempt, so that a retried request
	// opens one checkout, not two.
	IdempotencyKey string
}

// Checkout is an open hosted checkout.
type Checkout struct {
	ID  string
	URL string // where to send the reader, on the provider's host
}

// EventKind is what a provider event means for the donation records.
type EventKind string

// The kinds of event the service acts on. Other events are acknowledged
// and dropped.
const (
	// CheckoutCompleted: a donor finished a checkout. A one-time gift
	// is paid when Paid is set; a recurring one has started.
	CheckoutCompleted EventKind = "checkout_completed"
	// InvoicePaid: a recurring donation's payment (first or renewal).
	InvoicePaid EventKind = "invoice_paid"
	// InvoiceFailed: a recurring donation's payment failed.
	InvoiceFailed EventKind = "invoice_failed"
	// SubscriptionChanged: a recurring donation was created, changed
	// (status, amount) or ended.
	SubscriptionChanged EventKind = "subscription_changed"
	// ChargeRefunded: money was given back.
	ChargeRefunded EventKind = "charge_refunded"
)

// Event is a provider event, decoded into what the service needs.
type Event struct {
	ID      string
	Type    string    // the provider's name, e.g. "invoice.paid"
	Kind    EventKind // "" for events the service does not act on
	Created time.Time
	Raw     []byte // the event as the provider sent it

	Email    string // the donor's email, when the event names it
	Customer string // the provider's customer ID, when known
	// Paid is a payment that counts as paid.
	Paid *Payment
	// Subscription is the recurring donation the event is about.
	Subscription *Subscription
	// Refund is the refunded total of one payment.
	Refund *Refund
	// AppealID is the appeal the donation came from, as the checkout's
	// metadata names it; "" when it names none.
	AppealID string
}

// Payment is money received.
type Payment struct {
	// Ref is the provider's ID of what was paid: the payment of a one-time
	// gift, the invoice of a recurring one.
	Ref       string
	Frequency model.Frequency
	Money
	At time.Time
}

// Subscription is a recurring donation as an event describes it.
type Subscription struct {
	ID        string
	Frequency model.Frequency
	Money
	// Status is the provider's status (active, past_due, canceled, …).
	Status string
	// Authoritative is set when the event carries the subscription
	// itself, so its status and amount are the provider's state as of the
	// event; payment events only say the subscription exists.
	Authoritative bool
	CanceledAt    time.Time
}

// Refund is how much of one payment has been given back in all.
type Refund struct {
	PaymentRef string
	Amount     int64 // in the minor unit
}

// Errors the web layer turns into answers.
var (
	// ErrNotConfigured: no payment provider is set up.
	ErrNotConfigured = errors.New("donate: no payment provider is configured")
	// ErrBadSignature: a webhook that does not carry a valid, fresh
	// signature.
	ErrBadSignature = errors.New("donate: webhook signature missing, invalid or too old")
)

// RateLimitError says a request (a checkout, a manage link, a view count)
// is refused for now for the reader's address range, or for everyone.
type RateLimitError struct {
	RetryAfter time.Duration
	Global     bool
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("donate: too many requests; retry after %v", e.RetryAfter)
}

// Options configure a Service.
type Options struct {
	Store *store.Store
	Vault *vault.Vault
	// Payments is the provider; nil when donations are not set up, which
	// makes checkouts fail with ErrNotConfigured.
	Payments Payments
	Limits   Limits
	// ViewLimits bound how many appeal views are counted; zero means
	// DefaultViewLimits.
	ViewLimits Limits
	// Mail sends donors their receipts and the links that manage their
	// recurring donations, from From; nil sends nothing.
	Mail mail.Sender
	From string
	// BaseURL is the site's public address, named in receipts; may be
	// empty.
	BaseURL string
	// CustomerPortal offers donors the provider's customer portal, which
	// must then be set up with the provider.
	CustomerPortal bool
	Log            *slog.Logger
	Now            func() time.Time
}

// Service takes donations and keeps the donor records.
type Service struct {
	store    *store.Store
	vault    *vault.Vault
	payments Payments
	limiter  *limiter
	// links limits requests for manage links, which send email.
	links *limiter
	// views limits how often appeal views are counted.
	views   *limiter
	mail    mail.Sender
	from    string
	baseURL string
	portal  bool
	log     *slog.Logger
	now     func() time.Time
}

// New returns a service.
func New(opts Options) *Service {
	s := &Service{store: opts.Store, vault: opts.Vault, payments: opts.Payments, mail: opts.Mail, from: opts.From,
		baseURL: strings.TrimSuffix(opts.BaseURL, "/"), portal: opts.CustomerPortal, log: opts.Log, now: opts.Now}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.limiter = newLimiter(opts.Limits, DefaultLimits, "checkouts (a card-testing attack may be under way)", s.log)
	s.links = newLimiter(linkLimits, linkLimits, "manage links", s.log)
	s.views = newLimiter(opts.ViewLimits, DefaultViewLimits, "appeal views", s.log)
	return s
}

// Configured reports whether a payment provider is set up.
func (s *Service) Configured() bool { return s.payments != nil }
