package model

import (
	"testing"
	"time"
)

// TestPickAppeal checks which appeal runs where: a tag's beats a
// language's beats the one for all articles; inactive ones never run;
// among equals the last edited wins.
func TestPickAppeal(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	appeal := func(id string, kind TargetKind, value string, active bool, edited int) Appeal {
		return Appeal{ID: id, Active: active, Target: Target{Kind: kind, Value: value}, UpdatedAt: t0.Add(time.Duration(edited) * time.Hour)}
	}
	appeals := []Appeal{
		appeal("all", TargetAll, "", true, 5),
		appeal("all-older", TargetAll, "", true, 1),
		appeal("russian", TargetLanguage, "ru", true, 0),
		appeal("war", TargetTag, "war", true, 0),
		appeal("war-newer-off", TargetTag, "war", false, 9),
		appeal("economy-off", TargetTag, "economy", false, 0),
	}
	article := func(lang string, tags ...string) *Article {
		a := &Article{Language: lang}
		for _, s := range tags {
			a.Tags = append(a.Tags, Tag{ID: s, Slug: "renamed-" + s})
		}
		return a
	}
	for _, tc := range []struct {
		name string
		a    *Article
		want string
	}{
		{"tag beats language", article("ru", "culture", "war"), "war"},
		{"language beats all", article("RU", "culture"), "russian"},
		{"all, the last edited", article("en", "culture"), "all"},
		{"an inactive tag appeal does not run", article("en", "economy"), "all"},
		{"the donation page", nil, "all"},
	} {
		got := PickAppeal(appeals, tc.a)
		if got == nil || got.ID != tc.want {
			t.Errorf("%s: PickAppeal = %+v, want %s", tc.name, got, tc.want)
		}
	}
	if got := PickAppeal(appeals[2:], nil); got != nil {
		t.Errorf("the donation page without an appeal for all articles got %s", got.ID)
	}
	if got := PickAppeal(appeals[4:], article("en", "war", "economy")); got != nil {
		t.Errorf("with only inactive appeals, %s runs", got.ID)
	}
}

// TestPickBanner checks that site banner appeals and the appeals in or
// after an article are chosen apart: each kind only among its own.
func TestPickBanner(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	appeals := []Appeal{
		{ID: "after-all", Active: true, Placement: PlacementAfter, Target: Target{Kind: TargetAll}, UpdatedAt: t0.Add(time.Hour)},
		{ID: "banner-all", Active: true, Placement: PlacementBanner, Target: Target{Kind: TargetAll}, UpdatedAt: t0},
		{ID: "banner-war", Active: true, Placement: PlacementBanner, Target: Target{Kind: TargetTag, Value: "war-id"}, UpdatedAt: t0},
		{ID: "banner-off", Active: false, Placement: PlacementBanner, Target: Target{Kind: TargetAll}, UpdatedAt: t0.Add(2 * time.Hour)},
	}
	war := &Article{Language: "en", Tags: []Tag{{ID: "war-id", Slug: "war"}}}
	for _, tc := range []struct {
		name    string
		pick    func([]Appeal, *Article) *Appeal
		a       *Article
		appeals []Appeal
		want    string // "" for none
	}{
		{"banner on a list page", PickBanner, nil, appeals, "banner-all"},
		{"banner on a tagged article", PickBanner, war, appeals, "banner-war"},
		{"banner on another article", PickBanner, &Article{Language: "en"}, appeals, "banner-all"},
		{"article appeal ignores banners", PickAppeal, war, appeals, "after-all"},
		{"no banner appeal: the settings' banner", PickBanner, war, appeals[:1], ""},
		{"no article appeal beside banners", PickAppeal, war, appeals[1:], ""},
	} {
		got, gotID := tc.pick(tc.appeals, tc.a), ""
		if got != nil {
			gotID = got.ID
		}
		if gotID != tc.want {
			t.Errorf("%s: picked %q, want %q", tc.name, gotID, tc.want)
		}
	}
}

func TestAppealValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Appeal)
		field  string // "" when valid
	}{
		{"defaults", func(*Appeal) {}, ""},
		{"two currencies", func(a *Appeal) { a.Currencies, a.Minimums = []string{"USD", "EUR"}, map[string]int{"USD": 2, "EUR": 2} }, ""},
		{"no headline", func(a *Appeal) { a.Heading = " " }, "heading"},
		{"no message", func(a *Appeal) { a.Message = "" }, "message"},
		{"unknown placement", func(a *Appeal) { a.Placement = "popup" }, "placement"},
		{"tag without a tag", func(a *Appeal) { a.Target = Target{Kind: TargetTag} }, "target"},
		{"all with a value", func(a *Appeal) { a.Target = Target{Kind: TargetAll, Value: "ru"} }, "target"},
		{"unknown target", func(a *Appeal) { a.Target = Target{Kind: "author", Value: "x"} }, "target"},
		{"no currency", func(a *Appeal) { a.Currencies = nil }, "currencies"},
		{"unsupported currency", func(a *Appeal) { a.Currencies = append(a.Currencies, "JPY") }, "currencies"},
		{"currency without a minimum", func(a *Appeal) { a.Currencies = append(a.Currencies, "EUR") }, "minimum_EUR"},
		{"start currency not offered", func(a *Appeal) { a.Currency = "EUR" }, "currency"},
		{"preset below another currency's minimum", func(a *Appeal) {
			a.Currencies, a.Minimums = []string{"USD", "EUR"}, map[string]int{"USD": 2, "EUR": 3}
		}, "amounts_monthly"},
		{"no presets", func(a *Appeal) { delete(a.Amounts, Annual) }, "amounts_annual"},
		{"unknown default frequency", func(a *Appeal) { a.DefaultFrequency = "weekly" }, "default_frequency"},
		{"no button", func(a *Appeal) { a.ButtonText = "" }, "button_text"},
		{"remind after zero days", func(a *Appeal) { a.RemindAfterDays = 0 }, "remind_after_days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := DefaultAppeal("Test News")
			tt.change(&a)
			err := a.Validate()
			wantInvalid(t, err, tt.field)
		})
	}
}
