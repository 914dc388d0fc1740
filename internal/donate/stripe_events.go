package donate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// Stripe event decoding. Only the fields the service needs are read, into
// small structs of our own, so an event decodes the same whatever API
// version the webhook endpoint is pinned to: the subscription of an invoice
// moved to parent.subscription_details in 2025-03-31.basil, for instance,
// and both places are read.

// stripeRef is an expandable field: an ID, or the object with its ID.
type stripeRef string

func (r *stripeRef) UnmarshalJSON(b []byte) error {
	switch {
	case bytes.Equal(b, []byte("null")):
		*r = ""
		return nil
	case len(b) > 0 && b[0] == '{':
		var obj struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(b, &obj); err != nil {
			return err
		}
		*r = stripeRef(obj.ID)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*r = stripeRef(s)
	return nil
}

type stripeEnvelope struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Data    struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

type stripeSession struct {
	ID              string            `json:"id"`
	Mode            string            `json:"mode"`
	PaymentStatus   string            `json:"payment_status"`
	AmountTotal     int64             `json:"amount_total"`
	Currency        string            `json:"currency"`
	Customer        stripeRef         `json:"customer"`
	CustomerEmail   string            `json:"customer_email"`
	PaymentIntent   stripeRef         `json:"payment_intent"`
	Subscription    stripeRef         `json:"subscription"`
	Metadata        map[string]string `json:"metadata"`
	CustomerDetails *struct {
		Email string `json:"email"`
	} `json:"customer_details"`
}

type stripeSubscriptionDetails struct {
	Subscription stripeRef         `json:"subscription"`
	Metadata     map[string]string `json:"metadata"`
}

type stripeInvoice struct {
	ID            string    `json:"id"`
	Customer      stripeRef `json:"customer"`
	CustomerEmail string    `json:"customer_email"`
	AmountPaid    int64     `json:"amount_paid"`
	AmountDue     int64     `json:"amount_due"`
	Currency      string    `json:"currency"`
	// Subscription and SubscriptionDetails are where API versions before
	// 2025-03-31 put them; Parent is where later ones do.
	Subscription        stripeRef                  `json:"subscription"`
	SubscriptionDetails *stripeSubscriptionDetails `json:"subscription_details"`
	Parent              *struct {
		SubscriptionDetails *stripeSubscriptionDetails `json:"subscription_details"`
	} `json:"parent"`
	Lines *struct {
		Data []struct {
			Period struct {
				Start int64 `json:"start"`
				End   int64 `json:"end"`
			} `json:"period"`
		} `json:"data"`
	} `json:"lines"`
	StatusTransitions *struct {
		PaidAt int64 `json:"paid_at"`
	} `json:"status_transitions"`
}

type stripeSubscription struct {
	ID         string            `json:"id"`
	Customer   stripeRef         `json:"customer"`
	Status     string            `json:"status"`
	Currency   string            `json:"currency"`
	CanceledAt int64             `json:"canceled_at"`
	EndedAt    int64             `json:"ended_at"`
	Metadata   map[string]string `json:"metadata"`
	Items      struct {
		Data []struct {
			Quantity int64 `json:"quantity"`
			Price    struct {
				UnitAmount int64  `json:"unit_amount"`
				Currency   string `json:"currency"`
				Recurring  *struct {
					Interval string `json:"interval"`
				} `json:"recurring"`
			} `json:"price"`
		} `json:"data"`
	} `json:"items"`
}

type stripeCharge struct {
	ID             string    `json:"id"`
	PaymentIntent  stripeRef `json:"payment_intent"`
	AmountRefunded int64     `json:"amount_refunded"`
}

// subscriptionStatuses are the statuses Stripe gives subscriptions.
var subscriptionStatuses = map[string]bool{
	"incomplete": true, "incomplete_expired": true, "trialing": true, "active": true,
	"past_due": true, "unpaid": true, "canceled": true, "paused": true,
}

// stripeKinds are the Stripe event types the service acts on.
var stripeKinds = map[string]EventKind{
	"checkout.session.completed":               CheckoutCompleted,
	"checkout.session.async_payment_succeeded": CheckoutCompleted,
	"invoice.paid":                             InvoicePaid,
	"invoice.payment_succeeded":                InvoicePaid,
	"invoice.payment_failed":                   InvoiceFailed,
	"customer.subscription.created":            SubscriptionChanged,
	"customer.subscription.updated":            SubscriptionChanged,
	"customer.subscription.deleted":            SubscriptionChanged,
	"customer.subscription.paused":             SubscriptionChanged,
	"customer.subscription.resumed":            SubscriptionChanged,
	"charge.refunded":                          ChargeRefunded,
}

// decodeEnvelope reads what identifies a Stripe event: its ID, type, time
// and the kind its type has; not the object it carries.
func decodeEnvelope(payload []byte) (Event, error) {
	var env stripeEnvelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return Event{}, fmt.Errorf("stripe: decode event: %w", err)
	}
	if env.ID == "" || env.Type == "" || env.Created == 0 {
		return Event{}, fmt.Errorf("stripe: decode event: id, type or created is missing")
	}
	return Event{ID: env.ID, Type: env.Type, Kind: stripeKinds[env.Type], Created: unix(env.Created), Raw: payload}, nil
}

// decodeStripeEvent decodes a Stripe event with the object it carries. An
// event of a kind the service acts on may still come out with an empty
// Kind when its object is not a donation's (a setup-mode session, an
// invoice without a subscription).
func decodeStripeEvent(payload []byte) (Event, error) {
	ev, err := decodeEnvelope(payload)
	if err != nil {
		return Event{}, err
	}
	var env stripeEnvelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return Event{}, fmt.Errorf("stripe: decode event: %w", err)
	}
	obj := env.Data.Object
	switch ev.Kind {
	case CheckoutCompleted:
		err = decodeSession(&ev, obj)
	case InvoicePaid, InvoiceFailed:
		err = decodeInvoice(&ev, obj)
	case SubscriptionChanged:
		err = decodeSubscription(&ev, obj)
	case ChargeRefunded:
		err = decodeCharge(&ev, obj)
	}
	if err != nil {
		return Event{}, fmt.Errorf("stripe: decode %s event %s: %w", ev.Type, ev.ID, err)
	}
	return ev, nil
}

func decodeSession(ev *Event, obj []byte) error {
	var s stripeSession
	if err := json.Unmarshal(obj, &s); err != nil {
		return err
	}
	ev.Kind = CheckoutCompleted
	ev.AppealID = s.Metadata[appealMeta]
	ev.Customer = string(s.Customer)
	ev.Email = s.CustomerEmail
	if s.CustomerDetails != nil && s.CustomerDetails.Email != "" {
		ev.Email = s.CustomerDetails.Email
	}
	money := Money{Amount: s.AmountTotal, Currency: strings.ToUpper(s.Currency)}
	paid := s.PaymentStatus == "paid"
	switch s.Mode {
	case "payment":
		if paid && s.AmountTotal > 0 {
			ref := string(s.PaymentIntent)
			if ref == "" {
				ref = s.ID
			}
			ev.Paid = &Payment{Ref: ref, Frequency: model.Once, Money: money, At: ev.Created}
		}
	case "subscription":
		if s.Subscription == "" {
			return fmt.Errorf("a subscription-mode session without a subscription")
		}
		status := "incomplete"
		if paid {
			status = "active"
		}
		// The first invoice's invoice.paid counts the money.
		ev.Subscription = &Subscription{ID: string(s.Subscription), Frequency: frequencyOf(s.Metadata, ""), Money: money, Status: status}
	default:
		ev.Kind = "" // a setup-mode session: not a donation
	}
	return nil
}

func decodeInvoice(ev *Event, obj []byte) error {
	var in stripeInvoice
	if err := json.Unmarshal(obj, &in); err != nil {
		return err
	}
	sub, details := in.Subscription, in.SubscriptionDetails
	if in.Parent != nil && in.Parent.SubscriptionDetails != nil {
		details = in.Parent.SubscriptionDetails
		sub = details.Subscription
	}
	if sub == "" {
		return nil // an invoice that is not a recurring donation's
	}
	var meta map[string]string
	if details != nil {
		meta = details.Metadata
	}
	interval := ""
	if in.Lines != nil && len(in.Lines.Data) > 0 {
		p := in.Lines.Data[0].Period
		if p.End-p.Start > 300*24*3600 {
			interval = "year"
		}
	}
	freq := frequencyOf(meta, interval)
	ev.AppealID = meta[appealMeta]
	money := Money{Amount: in.AmountPaid, Currency: strings.ToUpper(in.Currency)}
	ev.Customer, ev.Email = string(in.Customer), in.CustomerEmail
	if ev.Type == "invoice.payment_failed" {
		ev.Kind = InvoiceFailed
		money.Amount = in.AmountDue
		ev.Subscription = &Subscription{ID: string(sub), Frequency: freq, Money: money, Status: "incomplete"}
		return nil
	}
	ev.Kind = InvoicePaid
	ev.Subscription = &Subscription{ID: string(sub), Frequency: freq, Money: money, Status: "active"}
	if in.AmountPaid > 0 {
		at := ev.Created
		if in.StatusTransitions != nil && in.StatusTransitions.PaidAt != 0 {
			at = unix(in.StatusTransitions.PaidAt)
		}
		ev.Paid = &Payment{Ref: in.ID, Frequency: freq, Money: money, At: at}
	}
	return nil
}

func decodeSubscription(ev *Event, obj []byte) error {
	var s stripeSubscription
	if err := json.Unmarshal(obj, &s); err != nil {
		return err
	}
	if !subscriptionStatuses[s.Status] {
		return fmt.Errorf("unknown subscription status %q", s.Status)
	}
	var amount int64
	interval, currency := "", s.Currency
	for _, it := range s.Items.Data {
		amount += it.Price.UnitAmount * max(it.Quantity, 1)
		if it.Price.Recurring != nil {
			interval = it.Price.Recurring.Interval
		}
		if currency == "" {
			currency = it.Price.Currency
		}
	}
	canceled := s.CanceledAt
	if canceled == 0 {
		canceled = s.EndedAt
	}
	ev.Kind, ev.Customer, ev.AppealID = SubscriptionChanged, string(s.Customer), s.Metadata[appealMeta]
	ev.Subscription = &Subscription{
		ID: s.ID, Frequency: frequencyOf(s.Metadata, interval), Status: s.Status, Authoritative: true,
		Money: Money{Amount: amount, Currency: strings.ToUpper(currency)},
	}
	if s.Status == "canceled" && canceled != 0 {
		ev.Subscription.CanceledAt = unix(canceled)
	}
	return nil
}

func decodeCharge(ev *Event, obj []byte) error {
	var c stripeCharge
	if err := json.Unmarshal(obj, &c); err != nil {
		return err
	}
	ref := string(c.PaymentIntent)
	if ref == "" {
		ref = c.ID
	}
	ev.Kind = ChargeRefunded
	ev.Refund = &Refund{PaymentRef: ref, Amount: c.AmountRefunded}
	return nil
}

// frequencyOf reads the frequency from metadata this package wrote, else
// from a billing interval ("month", "year"); monthly when neither says.
func frequencyOf(meta map[string]string, interval string) model.Frequency {
	switch f := model.Frequency(meta[frequencyMeta]); {
	case f == model.Monthly || f == model.Annual:
		return f
	case interval == "year":
		return model.Annual
	default:
		return model.Monthly
	}
}

func unix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }
