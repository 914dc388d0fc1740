package content

import (
	"strings"
	"testing"

	"github.com/gosimple/slug"
)

func TestSlug(t *testing.T) {
	tests := []struct {
		title string
		want  string
	}{
		{"Лавров и Рубио", "lavrov-i-rubio"},
		{"Зеленский предложил уйти в отставку", "zelenskiy-predlozhil-uyti-v-otstavku"},
		{"Объявление: «Хрущёв» и щука", "obyavlenie-khrushchev-i-shchuka"},
		{"ВЛАСТИ ЗАБЛОКИРОВАЛИ YouTube", "vlasti-zablokirovali-youtube"},
		{"Київ і Зеленський", "kyiv-i-zelenskyi"},
		{"Юрій Євген їде в під'їзд", "yurii-yevhen-yide-v-pidizd"},
		{"Top U.S., Russian Diplomats Discuss Next Steps on Ukraine", "top-us-russian-diplomats-discuss-next-steps-on-ukraine"},
		{"Russia Demands U.S. Withdraw ‘Soldiers and Equipment’ From Ukraine", "russia-demands-us-withdraw-soldiers-and-equipment-from-ukraine"},
		{`Russia's “Foreign Agent” Law: What's Next?`, "russias-foreign-agent-law-whats-next"},
		{"Rock & Roll, 3.5% Growth", "rock-and-roll-3-5-growth"},
		{"В. Путин и Д. Трамп", "v-putin-i-d-tramp"},
		{"🔥 Breaking news", "breaking-news"},
		{"snake_case__title_", "snake-case-title"},
		{"🎉🔥", FallbackSlug},
		{"  !!! ", FallbackSlug},
		{"", FallbackSlug},
	}
	for _, tt := range tests {
		t.Run(tt.title, func(t *testing.T) {
			if got := Slug(tt.title); got != tt.want {
				t.Errorf("Slug(%q) = %q, want %q", tt.title, got, tt.want)
			}
		})
	}
}

func TestSlugLongTitles(t *testing.T) {
	tests := []struct {
		name  string
		title string
	}{
		{"english words", strings.Repeat("Negotiations between delegations continue ", 6)},
		{"russian words", strings.Repeat("Переговоры между делегациями продолжаются ", 6)},
		{"one endless word", strings.Repeat("a", 200)},
		{"hyphen right at the limit", strings.Repeat("b", MaxSlugLength) + " tail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Slug(tt.title)
			if len(got) > MaxSlugLength || len(got) == 0 {
				t.Fatalf("Slug length %d, want 1..%d: %q", len(got), MaxSlugLength, got)
			}
			if strings.HasSuffix(got, "-") || strings.HasPrefix(got, "-") {
				t.Errorf("Slug %q has a dangling hyphen", got)
			}
			untruncated := slug.MakeLang(transliterate(tt.title), "en")
			if !strings.HasPrefix(untruncated, got) {
				t.Fatalf("Slug %q is not a prefix of %q", got, untruncated)
			}
			if strings.Contains(got, "-") && len(untruncated) > len(got) && untruncated[len(got)] != '-' {
				t.Errorf("Slug %q cuts a word of %q", got, untruncated)
			}
		})
	}
}
