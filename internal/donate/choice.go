package donate

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tamizdat/tamizdat/internal/model"
)

// MaxAmount is the largest donation, in whole currency units, the form
// takes: it keeps typos and card testers' probes from reaching the
// provider, and larger gifts deserve a conversation.
const MaxAmount = 10000

var currencySymbols = map[string]string{"USD": "$", "EUR": "€", "GBP": "£"}

// Money is an amount in the minor unit (cents) of an ISO 4217 currency.
type Money struct {
	Amount   int64
	Currency string
}

// String formats m for readers: "$25", "€10.50", "1,000 CHF".
func (m Money) String() string {
	units := groupThousands(m.Amount / 100)
	if cents := m.Amount % 100; cents != 0 {
		units += fmt.Sprintf(".%02d", cents)
	}
	if sym, ok := currencySymbols[m.Currency]; ok {
		return sym + units
	}
	return units + " " + m.Currency
}

// Decimal formats m's amount for machines: "1000.50", without the
// currency.
func (m Money) Decimal() string { return decimal(m.Amount) }

func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Whole returns whole units of currency as Money.
func Whole(units int, currency string) Money {
	return Money{Amount: int64(units) * 100, Currency: currency}
}

// Choice is what a reader chose on the donation form.
type Choice struct {
	Frequency model.Frequency
	Money
	// AppealID is the appeal the reader answered, recorded with the
	// donation for the appeal's conversion figures.
	AppealID string
}

// Form fields of the donation form. The preset amounts of each frequency
// are radio buttons named AmountField(frequency).
const (
	FieldFrequency = "frequency"
	FieldCustom    = "custom_amount"
	FieldCurrency  = "currency"
)

// AmountField names the preset-amount radio buttons of a frequency.
func AmountField(f model.Frequency) string { return "amount_" + string(f) }

// ParseChoice reads and checks a donation form against the appeal. A typed
// amount wins over a preset one. A bad choice is a *model.ValidationError
// whose fields are FieldFrequency, "amount" and FieldCurrency, each with a
// message a reader can act on.
func ParseChoice(appeal model.Appeal, form url.Values) (Choice, error) {
	fields := map[string]string{}
	c := Choice{AppealID: appeal.ID}
	c.Frequency = model.Frequency(form.Get(FieldFrequency))
	if !slices.Contains(model.Frequencies(), c.Frequency) {
		fields[FieldFrequency] = "Choose how often to give: once, monthly or annually."
	}
	c.Currency = strings.ToUpper(strings.TrimSpace(form.Get(FieldCurrency)))
	if c.Currency == "" {
		c.Currency = appeal.Currency
	}
	if !appeal.Offers(c.Currency) {
		fields[FieldCurrency] = fmt.Sprintf("We cannot take donations in %q here. Choose %s.", c.Currency, strings.Join(appeal.Currencies, " or "))
	}
	raw := strings.TrimSpace(form.Get(FieldCustom))
	if raw == "" && fields[FieldFrequency] == "" {
		raw = strings.TrimSpace(form.Get(AmountField(c.Frequency)))
	}
	// The amount is checked only in a currency the appeal offers, against
	// that currency's minimum.
	if fields[FieldCurrency] == "" {
		if amount, msg := parseAmount(raw, appeal.Minimum(c.Currency), c.Currency); msg != "" {
			fields["amount"] = msg
		} else {
			c.Amount = amount
		}
	}
	if len(fields) > 0 {
		return Choice{}, &model.ValidationError{Fields: fields}
	}
	return c, nil
}

// parseAmount reads an amount in whole units with up to two decimals and
// returns it in the minor unit, or a message saying what is wrong.
func parseAmount(raw string, minimum int, currency string) (int64, string) {
	least, most := Whole(minimum, currency), Whole(MaxAmount, currency)
	if raw == "" {
		return 0, "Choose an amount, or type one."
	}
	digits, ok := strings.CutPrefix(raw, "-")
	if ok {
		return 0, fmt.Sprintf("%q is negative. Give an amount of %s or more.", raw, least)
	}
	units, cents, hasPoint := strings.Cut(digits, ".")
	if units == "" || !allDigits(units) || (hasPoint && (cents == "" || !allDigits(cents))) {
		return 0, fmt.Sprintf("%q is not an amount. Type a number such as 25 or 25.50.", raw)
	}
	if len(cents) > 2 {
		return 0, fmt.Sprintf("%q has more than two decimals. Round it to the cent, for example %s.%s.", raw, units, cents[:2])
	}
	units = strings.TrimLeft(units, "0")
	if len(units) > len(strconv.Itoa(MaxAmount)) {
		return 0, fmt.Sprintf("The most we take here is %s. For a larger gift, please write to us.", most)
	}
	n, _ := strconv.ParseInt(units+"0", 10, 64) // "0" keeps an all-zero amount parseable
	c, _ := strconv.ParseInt((cents + "00")[:2], 10, 64)
	amount := n*10 + c
	switch {
	case amount < least.Amount:
		return 0, fmt.Sprintf("The smallest donation is %s.", least)
	case amount > most.Amount:
		return 0, fmt.Sprintf("The most we take here is %s. For a larger gift, please write to us.", most)
	}
	return amount, ""
}

func allDigits(s string) bool {
	return strings.Trim(s, "0123456789") == ""
}

// Minimums says an appeal's smallest donation in each currency it offers,
// for a form's label: "$2", or "$2 or €5".
func Minimums(ap *model.Appeal) string {
	parts := make([]string, 0, len(ap.Currencies))
	for _, c := range ap.Currencies {
		parts = append(parts, Whole(ap.Minimum(c), c).String())
	}
	return strings.Join(parts, " or ")
}
