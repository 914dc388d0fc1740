package model

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Appeal is a donation message editors run on the site: what it says,
// where on the page it sits, which articles it runs on, and what the
// donation form offers.
type Appeal struct {
	ID string
	// Active appeals run; inactive ones are kept with their figures.
	Active    bool
	Heading   string
	Message   string // Markdown
	Placement Placement
	Target    Target
	// Currencies are those the form offers (ISO 4217); Currency, one of
	// them, is the one it starts on.
	Currencies []string
	Currency   string
	// Minimums is the smallest donation per currency, in whole units.
	Minimums         map[string]int
	DefaultFrequency Frequency
	// Amounts are the preset choices per frequency, in whole units of
	// whichever currency the reader picks.
	Amounts         map[Frequency][]int
	ButtonText      string
	PaymentMethods  string // e.g. "Pay by card, Apple Pay or Google Pay."
	DismissQuestion string // "Not ready to support today?"
	DismissText     string // "Remind me later."
	RemindAfterDays int
	// RiskNotice is Markdown shown on the donation page, for readers in
	// countries where giving to the newsroom is dangerous; "" for none.
	RiskNotice string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Placement is where on the site an appeal sits.
type Placement string

// The placements an appeal can have.
const (
	// PlacementBanner: the site-wide banner strip at the top of every
	// reader page, with the appeal's headline and button text, linking to
	// its donation page.
	PlacementBanner Placement = "banner"
	// PlacementInline: the full appeal inside the article's text.
	PlacementInline Placement = "inline"
	// PlacementAfter: the full appeal after the article.
	PlacementAfter Placement = "after"
)

// Placements lists the placements in the order the desk offers them.
func Placements() []Placement { return []Placement{PlacementAfter, PlacementInline, PlacementBanner} }

// TargetKind says which articles an appeal runs on.
type TargetKind string

// The kinds of target, from the most general to the most specific.
const (
	TargetAll      TargetKind = "all"
	TargetLanguage TargetKind = "language"
	TargetTag      TargetKind = "tag"
)

// Target is which articles an appeal runs on: all, those with a tag (by
// ID, so renaming the tag keeps the appeal on it), or those in a language
// (by code).
type Target struct {
	Kind  TargetKind
	Value string // the tag's ID or the language code; "" for all
}

// specificity ranks targets: a tag beats a language beats all articles.
func (t Target) specificity() int {
	switch t.Kind {
	case TargetTag:
		return 3
	case TargetLanguage:
		return 2
	case TargetAll:
		return 1
	}
	return 0
}

// matches reports whether the target covers an article with those tags
// and language; a nil article is the donation page itself, which
// only appeals for all articles cover.
func (t Target) matches(a *Article) bool {
	switch t.Kind {
	case TargetAll:
		return true
	case TargetLanguage:
		return a != nil && strings.EqualFold(a.Language, t.Value)
	case TargetTag:
		return a != nil && slices.ContainsFunc(a.Tags, func(tag Tag) bool { return tag.ID == t.Value })
	}
	return false
}

// PickAppeal returns the appeal that runs in article a's text or after
// it: of the active appeals placed there whose target covers it, the most
// specific (tag, then language, then all articles), and among equals the
// one edited last. A nil a picks the appeal for all articles, which the
// donation page shows by default. It returns nil when none runs.
func PickAppeal(appeals []Appeal, a *Article) *Appeal {
	return pick(appeals, a, func(p Placement) bool { return p != PlacementBanner })
}

// PickBanner returns the appeal the site-wide banner shows on the page of
// article a, chosen as PickAppeal chooses among the site banner appeals;
// a nil a (any other page) picks the one for all articles. It returns nil
// when none runs, and the site's banner settings apply.
func PickBanner(appeals []Appeal, a *Article) *Appeal {
	return pick(appeals, a, func(p Placement) bool { return p == PlacementBanner })
}

func pick(appeals []Appeal, a *Article, placed func(Placement) bool) *Appeal {
	var best *Appeal
	for i := range appeals {
		ap := &appeals[i]
		if !ap.Active || !placed(ap.Placement) || !ap.Target.matches(a) {
			continue
		}
		if best == nil || ap.Target.specificity() > best.Target.specificity() ||
			(ap.Target.specificity() == best.Target.specificity() && ap.UpdatedAt.After(best.UpdatedAt)) {
			best = ap
		}
	}
	return best
}

// Currencies are the currencies donations may be made in: all have two
// decimals, which the amount parsing assumes.
var Currencies = []string{"USD", "EUR", "GBP", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN", "CZK"}

// Minimum is the smallest donation in currency, in whole units; 0 when
// the appeal does not offer the currency.
func (ap *Appeal) Minimum(currency string) int { return ap.Minimums[currency] }

// Offers reports whether the appeal takes donations in currency.
func (ap *Appeal) Offers(currency string) bool { return slices.Contains(ap.Currencies, currency) }

// Validate checks an appeal an editor wrote. Field names are those of the
// desk's form.
func (ap *Appeal) Validate() error {
	f := map[string]string{}
	if strings.TrimSpace(ap.Heading) == "" {
		f["heading"] = "Give the appeal a headline; readers see it first."
	}
	if strings.TrimSpace(ap.Message) == "" {
		f["message"] = "Write the appeal's message."
	}
	if !slices.Contains(Placements(), ap.Placement) {
		f["placement"] = fmt.Sprintf("Placement %q is unknown; choose after the article, inline or site banner.", ap.Placement)
	}
	switch ap.Target.Kind {
	case TargetAll:
		if ap.Target.Value != "" {
			f["target"] = "An appeal for all articles names no tag or language."
		}
	case TargetTag, TargetLanguage:
		if strings.TrimSpace(ap.Target.Value) == "" {
			f["target"] = fmt.Sprintf("Name the %s the appeal runs on.", ap.Target.Kind)
		}
	default:
		f["target"] = fmt.Sprintf("Target %q is unknown; choose all articles, a tag or a language.", ap.Target.Kind)
	}
	if len(ap.Currencies) == 0 {
		f["currencies"] = "Offer at least one currency."
	}
	for _, c := range ap.Currencies {
		if !slices.Contains(Currencies, c) {
			f["currencies"] = fmt.Sprintf("%q is not a currency we take; choose from %s.", c, strings.Join(Currencies, ", "))
		} else if ap.Minimums[c] < 1 {
			f["minimum_"+c] = fmt.Sprintf("Set the smallest donation in %s, at least 1.", c)
		}
	}
	if !ap.Offers(ap.Currency) {
		f["currency"] = "The currency the form starts on must be one the appeal offers."
	}
	if !slices.Contains(Frequencies(), ap.DefaultFrequency) {
		f["default_frequency"] = "Choose which frequency the form starts on: once, monthly or annual."
	}
	for _, fr := range Frequencies() {
		amounts := ap.Amounts[fr]
		if len(amounts) == 0 {
			f["amounts_"+string(fr)] = fmt.Sprintf("Give at least one preset amount for %s donations.", fr)
		}
		for _, a := range amounts {
			for _, c := range ap.Currencies {
				if m := ap.Minimums[c]; m > 0 && a < m {
					f["amounts_"+string(fr)] = fmt.Sprintf("The preset %d is below the %s minimum of %d.", a, c, m)
				}
			}
		}
	}
	if strings.TrimSpace(ap.ButtonText) == "" {
		f["button_text"] = "The form's button needs a label, such as Continue."
	}
	if ap.RemindAfterDays < 1 || ap.RemindAfterDays > 365 {
		f["remind_after_days"] = "\"Remind me later\" hides the appeal for 1 to 365 days."
	}
	if len(f) > 0 {
		return &ValidationError{Fields: f}
	}
	return nil
}

// DefaultAppeal is the appeal of a new site: for all articles, after the
// article, in US dollars.
func DefaultAppeal(siteName string) Appeal {
	return Appeal{
		Active:           true,
		Heading:          "A Message from " + siteName + ":",
		Message:          "Dear readers,\n\nIndependent journalism depends on you. If you can, please support us monthly. It's quick to set up, and every contribution makes a difference.\n\nThank you for standing with us.",
		Placement:        PlacementAfter,
		Target:           Target{Kind: TargetAll},
		Currencies:       []string{"USD"},
		Currency:         "USD",
		Minimums:         map[string]int{"USD": 2},
		DefaultFrequency: Monthly,
		Amounts: map[Frequency][]int{
			Once:    {10, 25, 50, 100},
			Monthly: {2, 5, 10, 25},
			Annual:  {25, 50, 100, 250},
		},
		ButtonText:      "Continue",
		PaymentMethods:  "Pay securely by card, Apple Pay or Google Pay.",
		DismissQuestion: "Not ready to support today?",
		DismissText:     "Remind me later.",
		RemindAfterDays: 14,
	}
}

// LeastMinimum is the smallest of the appeal's minimums, the least a form
// may let through before the server checks the currency's own.
func (ap *Appeal) LeastMinimum() int {
	least := 0
	for _, c := range ap.Currencies {
		if m := ap.Minimums[c]; m > 0 && (least == 0 || m < least) {
			least = m
		}
	}
	return least
}
