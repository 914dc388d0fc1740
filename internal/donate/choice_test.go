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
	appeal := model.DefaultSettings("Test").Appeal // USD, minimum 2
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
		{"currency the appeal does not offer", "currency", "USD only", form("frequency", "once", "custom_amount", "5", "currency", "EUR")},
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
