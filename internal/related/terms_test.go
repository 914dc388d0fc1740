package related

import (
	"slices"
	"testing"
	"unicode/utf8"
)

// wordsRuneByRune is appendWords without its ASCII table: every rune
// decoded and judged alike, as the rules in appendWords' comment say.
func wordsRuneByRune(text string) []string {
	var words []string
	var word []byte
	runes, hasLetter := 0, false
	for _, r := range text {
		if lower, ok := lowerLetter(r); ok {
			r, hasLetter = lower, true
		} else if !isDigit(r) {
			if runes >= 2 && hasLetter {
				words = append(words, string(word))
			}
			word, runes, hasLetter = word[:0], 0, false
			continue
		}
		word = utf8.AppendRune(word, r)
		runes++
	}
	if runes >= 2 && hasLetter {
		words = append(words, string(word))
	}
	return words
}

// FuzzAppendWords: the ASCII table changes nothing appendWords finds, in
// any text, valid UTF-8 or not.
func FuzzAppendWords(f *testing.F) {
	for _, seed := range []string{"", "The U.S.-Russia talks: Лавров, ЁЛКА и ёж; COVID-19 in 2025 — G7's x",
		"a1 1a 12 ab\xffcd \xe2\x80 Straße ĲSSELMEER ǅ Ωmega ٣٤ x²", "ZZ@[`{aZ09"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var got []string
		appendWords(text, nil, func(word []byte) { got = append(got, string(word)) })
		if want := wordsRuneByRune(text); !slices.Equal(got, want) {
			t.Errorf("appendWords(%q) = %q, want %q", text, got, want)
		}
	})
}
