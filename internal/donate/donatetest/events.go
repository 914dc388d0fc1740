package donatetest

import (
	"encoding/json"
	"time"
)

// Builders of Stripe events in the shape of API version 2025-08-27.basil,
// with the fields Stripe sends (not only those the service reads), so
// tests see what a real delivery looks like.

// Obj is a Stripe object or event as JSON would hold it.
type Obj = map[string]any

// Event wraps object into a Stripe event and returns its JSON.
func Event(id, typ string, created time.Time, object Obj) []byte {
	b, err := json.Marshal(Obj{
		"id":               id,
		"object":           "event",
		"api_version":      "2025-08-27.basil",
		"created":          created.Unix(),
		"data":             Obj{"object": object},
		"livemode":         false,
		"pending_webhooks": 1,
		"request":          Obj{"id": nil, "idempotency_key": nil},
		"type":             typ,
	})
	if err != nil {
		panic(err)
	}
	return b
}

// EventList is the JSON of GET /v1/events listing these events (newest
// first, as Stripe lists them).
func EventList(events ...[]byte) string {
	data := make([]json.RawMessage, len(events))
	for i, e := range events {
		data[len(events)-1-i] = e
	}
	b, err := json.Marshal(Obj{"object": "list", "url": "/v1/events", "has_more": false, "data": data})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// PaidSession is a completed one-time Checkout Session.
func PaidSession(id, paymentIntent, email string, amount int64, currency string) Obj {
	return session(id, "payment", "paid", email, amount, currency, Obj{"payment_intent": paymentIntent, "subscription": nil, "submit_type": "donate"})
}

// UnpaidSession is a completed one-time Checkout Session whose payment
// method settles later (a bank debit).
func UnpaidSession(id, paymentIntent, email string, amount int64, currency string) Obj {
	return session(id, "payment", "unpaid", email, amount, currency, Obj{"payment_intent": paymentIntent, "subscription": nil, "submit_type": "donate"})
}

// SubscriptionSession is a completed subscription-mode Checkout Session.
func SubscriptionSession(id, subscription, customer, email string, amount int64, currency, frequency string) Obj {
	s := session(id, "subscription", "paid", email, amount, currency, Obj{"payment_intent": nil, "subscription": subscription, "customer": customer})
	s["metadata"] = Obj{"frequency": frequency}
	return s
}

func session(id, mode, paymentStatus, email string, amount int64, currency string, extra Obj) Obj {
	s := Obj{
		"id": id, "object": "checkout.session", "mode": mode, "status": "complete", "payment_status": paymentStatus,
		"amount_subtotal": amount, "amount_total": amount, "currency": currency,
		"customer": nil, "customer_creation": "if_required", "customer_email": nil,
		"customer_details": Obj{"email": email, "name": "Card Holder", "address": Obj{"country": "DE"}, "phone": nil, "tax_exempt": "none", "tax_ids": []any{}},
		"metadata":         Obj{"frequency": "once"},
		"success_url":      "https://news.example/support/thanks?session={CHECKOUT_SESSION_ID}", "cancel_url": "https://news.example/support",
		"livemode": false, "created": time.Now().Unix(), "expires_at": time.Now().Add(24 * time.Hour).Unix(),
		"url": nil, "payment_method_types": []any{"card"},
	}
	for k, v := range extra {
		s[k] = v
	}
	return s
}

// Invoice is a subscription's invoice; paid is false for a failed one.
// The subscription's metadata is snapshotted on it, as Stripe does.
func Invoice(id, subscription, customer, email string, amount int64, currency, frequency string, paid bool, at time.Time) Obj {
	status, paidAmount, paidAt := "paid", amount, any(at.Unix())
	if !paid {
		status, paidAmount, paidAt = "open", int64(0), nil
	}
	period := 30 * 24 * time.Hour
	if frequency == "annual" {
		period = 365 * 24 * time.Hour
	}
	return Obj{
		"id": id, "object": "invoice", "status": status, "billing_reason": "subscription_cycle",
		"customer": customer, "customer_email": email, "customer_name": nil,
		"amount_due": amount, "amount_paid": paidAmount, "amount_remaining": amount - paidAmount, "currency": currency,
		"parent": Obj{"type": "subscription_details", "quote_details": nil, "subscription_details": Obj{
			"subscription": subscription, "metadata": Obj{"frequency": frequency},
		}},
		"lines": Obj{"object": "list", "has_more": false, "data": []any{Obj{
			"id": "il_" + id, "object": "line_item", "amount": amount, "currency": currency,
			"period": Obj{"start": at.Unix(), "end": at.Add(period).Unix()},
		}}},
		"attempt_count": 1, "created": at.Unix(), "livemode": false,
		"status_transitions": Obj{"paid_at": paidAt, "finalized_at": at.Unix()},
	}
}

// Subscription is a subscription with one item of amount per interval
// ("month" or "year").
func Subscription(id, customer, status string, amount int64, currency, interval string, canceledAt time.Time) Obj {
	var canceled any
	if !canceledAt.IsZero() {
		canceled = canceledAt.Unix()
	}
	return Obj{
		"id": id, "object": "subscription", "customer": customer, "status": status, "currency": currency,
		"canceled_at": canceled, "ended_at": canceled, "cancel_at_period_end": false, "collection_method": "charge_automatically",
		"metadata": Obj{}, "livemode": false, "created": time.Now().Unix(),
		"items": Obj{"object": "list", "has_more": false, "data": []any{Obj{
			"id": "si_" + id, "object": "subscription_item", "quantity": 1,
			"price": Obj{"id": "price_" + id, "object": "price", "unit_amount": amount, "currency": currency, "type": "recurring",
				"recurring": Obj{"interval": interval, "interval_count": 1, "usage_type": "licensed"}},
		}}},
	}
}

// RefundedCharge is a charge of a payment intent with refunded of it
// given back so far.
func RefundedCharge(id, paymentIntent string, amount, refunded int64, currency string) Obj {
	return Obj{
		"id": id, "object": "charge", "payment_intent": paymentIntent, "amount": amount, "amount_captured": amount,
		"amount_refunded": refunded, "refunded": refunded == amount, "currency": currency, "paid": true,
		"status": "succeeded", "livemode": false, "created": time.Now().Unix(),
	}
}

// InvoicePayments is the JSON of GET /v1/invoice_payments naming the
// invoice a payment intent paid.
func InvoicePayments(invoice, paymentIntent string) string {
	b, err := json.Marshal(Obj{"object": "list", "url": "/v1/invoice_payments", "has_more": false, "data": []any{Obj{
		"id": "inpay_" + invoice, "object": "invoice_payment", "invoice": invoice, "is_default": true, "status": "paid",
		"payment": Obj{"type": "payment_intent", "payment_intent": paymentIntent},
	}}})
	if err != nil {
		panic(err)
	}
	return string(b)
}
