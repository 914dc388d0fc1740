package content

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWordCount(t *testing.T) {
	tests := []struct {
		text string
		want int
	}{
		{"", 0},
		{"one two", 2},
		{"  a —  b • ", 2},
		{"U.S.-Russia talks", 2},
		{"Лавров и Рубио", 3},
		{"3 дня", 2},
		{"a\n\nb\tc", 3},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := WordCount(tt.text); got != tt.want {
				t.Errorf("WordCount(%q) = %d, want %d", tt.text, got, tt.want)
			}
		})
	}
}

func TestReadingMinutes(t *testing.T) {
	tests := []struct {
		words int
		want  int
	}{
		{0, 1}, // never less than a minute
		{1, 1},
		{299, 1},
		{300, 2}, // 1.5 minutes rounds up
		{499, 2},
		{500, 3},
		{700, 4},
		{2000, 10},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d words", tt.words), func(t *testing.T) {
			text := strings.Repeat("слово ", tt.words)
			if got := ReadingMinutes(text); got != tt.want {
				t.Errorf("ReadingMinutes(%d words) = %d, want %d", tt.words, got, tt.want)
			}
		})
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		maxRunes int
		want     string
	}{
		{"fits, whitespace collapsed", "  Hello\n\nworld  ", 50, "Hello world"},
		{"zero limit", "Hello", 0, ""},
		{"whole first sentence", "First sentence here. Second one is longer than the limit allows.", 30, "First sentence here."},
		{"sentence too short, cut at word", "Hi. Then a long stretch of words follows here", 30, "Hi. Then a long stretch of…"},
		{"initial is not a sentence end", "Talks resumed with Sergei V. Lavrov and others today.", 40, "Talks resumed with Sergei V. Lavrov and…"},
		{"initialism is not a sentence end", "U.S. officials said talks would continue next week.", 40, "U.S. officials said talks would…"},
		{"closing quote after period", `He said "no." Then left the building quickly`, 24, `He said "no."`},
		{"russian question", "Что дальше? Переговоры продолжатся на следующей неделе", 20, "Что дальше?"},
		{"counts runes, trims comma", "Привет мир, как дела сегодня", 12, "Привет мир…"},
		{"one long word", "Supercalifragilistic", 6, "Super…"},
		{"two sentences fit", "One two three. Four five six. Seven eight nine ten eleven", 30, "One two three. Four five six."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Excerpt(tt.text, tt.maxRunes)
			if got != tt.want {
				t.Errorf("Excerpt(%q, %d) = %q, want %q", tt.text, tt.maxRunes, got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > tt.maxRunes {
				t.Errorf("Excerpt is %d runes, limit %d", n, tt.maxRunes)
			}
		})
	}
}
