package donate_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/tamizdat/tamizdat/internal/donate"
	"github.com/tamizdat/tamizdat/internal/model"
)

func TestParseChoice(t *testing.T) {
	t.Parallel()
	appeal := model.DefaultAppeal("Test") // USD, minimum 2
	form := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	ok := []struct {
		name string
		form url.Values
		want donate.Choice
	}{
		{"preset monthly", form("frequency", "monthly", "amount_monthly", "5"), donate.Choice{Frequency: model.Monthly, Money: donate.Money{Amount: 500, Currency: "USD"}}},
		{"preset of another frequency is ignored", form("frequency", "once", "amount_monthly", "5", "amount_once", "25"), donate.Choice{Frequency: model.Once, Money: donate.Money{Amount: 2500, Currency: "USD"}}},
		{"typed amount wins over preset", form("frequency", "annual", "amount_annual", "25", "custom_amount", " 42 "), donate.Choice{Frequency: model.Annual, Money: donate.Money{Amount: 4200, Currency: "USD"}}},
		{"two decimals", form("frequency", "once", "custom_amount", "12.34"), donate.Choice{Frequency: model.Once, Money: donate.Money{Amount: 1234, Currency: "USD"}}},
		{"one decimal", form("frequency", "once", "custom_amount", "12.5"), donate.Choice{Frequency: model.Once, Money: donate.Money{Amount: 1250, Currency: "USD"}}},
		{"exactly the minimum", form("frequency", "monthly", "custom_amount", "2"), donate.Choice{Frequency: model.Monthly, Money: donate.Money{Amount: 200, Currency: "USD"}}},
		{"exactly the maximum", form("frequency", "once", "custom_amount", "10000.00"), donate.Choice{Frequency: model.Once, Money: donate.Money{Amount: 1000000, Currency: "USD"}}},
		{"leading zeros", form("frequency", "once", "custom_amount", "0005"), donate.Choice{Frequency: model.Once, Money: donate.Money{Amount: 500, Currency: "USD"}}},
		{"currency named", form("frequency", "once", "custom_amount", "5", "currency", "usd"), donate.Choice{Frequency: model.Once, Money: donate.Money{Amount: 500, Currency: "USD"}}},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			got, err := donate.ParseChoice(appeal, tc.form)
			if err != nil || got != tc.want {
				t.Errorf("ParseChoice = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	bad := []struct {
		name, field, says string
		form              url.Values
	}{
		{"below the minimum", "amount", "The smallest donation is $2.", form("frequency", "once", "custom_amount", "1.99")},
		{"zero", "amount", "The smallest donation is $2.", form("frequency", "once", "custom_amount", "0")},
		{"negative", "amount", "negative", form("frequency", "once", "custom_amount", "-25")},
		{"non-numeric", "amount", "is not an amount", form("frequency", "once", "custom_amount", "ten")},
		{"exponent", "amount", "is not an amount", form("frequency", "once", "custom_amount", "1e3")},
		{"comma", "amount", "is not an amount", form("frequency", "once", "custom_amount", "10,50")},
		{"trailing point", "amount", "is not an amount", form("frequency", "once", "custom_amount", "10.")},
		{"just above the maximum", "amount", "The most we take here is $10,000.", form("frequency", "once", "custom_amount", "10000.01")},
		{"absurdly large", "amount", "The most we take here is $10,000.", form("frequency", "once", "custom_amount", strings.Repeat("9", 40))},
		{"too many decimals", "amount", "more than two decimals", form("frequency", "once", "custom_amount", "10.505")},
		{"no amount", "amount", "Choose an amount", form("frequency", "monthly")},
		{"bad preset", "amount", "is not an amount", form("frequency", "monthly", "amount_monthly", "<script>")},
		{"unsupported currency", "currency", `cannot take donations in "JPY"`, form("frequency", "once", "custom_amount", "5", "currency", "JPY")},
		{"unknown currency", "currency", `cannot take donations in "XYZ"`, form("frequency", "once", "custom_amount", "5", "currency", "xyz")},
		{"currency the appeal does not offer", "currency", `cannot take donations in "EUR" here. Choose USD.`, form("frequency", "once", "custom_amount", "5", "currency", "EUR")},
		{"no frequency", "frequency", "Choose how often", form("custom_amount", "5")},
		{"unknown frequency", "frequency", "Choose how often", form("frequency", "weekly", "custom_amount", "5")},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			got, err := donate.ParseChoice(appeal, tc.form)
			var ve *model.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("ParseChoice = %+v, %v; want a validation error", got, err)
			}
			if msg := ve.Fields[tc.field]; !strings.Contains(msg, tc.says) {
				t.Errorf("field %s says %q; want it to say %q (all: %v)", tc.field, msg, tc.says, ve.Fields)
			}
			if got != (donate.Choice{}) {
				t.Errorf("a rejected choice came back as %+v", got)
			}
		})
	}
}

// TestParseChoiceCurrencies checks an appeal that offers two currencies,
// each with its own minimum, and that the choice names the appeal.
func TestParseChoiceCurrencies(t *testing.T) {
	t.Parallel()
	appeal := model.DefaultAppeal("Test")
	appeal.ID = "appeal-1"
	appeal.Currencies = []string{"USD", "EUR"}
	appeal.Minimums = map[string]int{"USD": 2, "EUR": 5}
	form := url.Values{"frequency": {"once"}, "custom_amount": {"3"}, "currency": {"EUR"}}
	_, err := donate.ParseChoice(appeal, form)
	var ve *model.ValidationError
	if !errors.As(err, &ve) || ve.Fields["amount"] != "The smallest donation is €5." {
		t.Errorf("3 EUR against a 5 EUR minimum: %v; want the EUR minimum next to the amount", err)
	}
	form.Set("currency", "USD")
	got, err := donate.ParseChoice(appeal, form)
	want := donate.Choice{Frequency: model.Once, Money: donate.Money{Amount: 300, Currency: "USD"}, AppealID: "appeal-1"}
	if err != nil || got != want {
		t.Errorf("3 USD = %+v, %v; want %+v", got, err, want)
	}
	form.Set("currency", "GBP")
	_, err = donate.ParseChoice(appeal, form)
	if !errors.As(err, &ve) || ve.Fields["currency"] != `We cannot take donations in "GBP" here. Choose USD or EUR.` || ve.Fields["amount"] != "" {
		t.Errorf("GBP: %v; want only a currency error naming USD or EUR", err)
	}
}

func TestMoneyString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		m    donate.Money
		want string
	}{
		{donate.Money{Amount: 200, Currency: "USD"}, "$2"},
		{donate.Money{Amount: 1050, Currency: "EUR"}, "€10.50"},
		{donate.Money{Amount: 1000000, Currency: "USD"}, "$10,000"},
		{donate.Money{Amount: 123456789, Currency: "CHF"}, "1,234,567.89 CHF"},
		{donate.Money{Amount: 5, Currency: "GBP"}, "£0.05"},
	} {
		if got := tc.m.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.m, got, tc.want)
		}
	}
}
