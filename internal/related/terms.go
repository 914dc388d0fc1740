package related

import (
	"unicode"
	"unicode/utf8"
)

// appendWords calls fn for each word of text worth indexing: lowercased,
// split on anything that is not a letter or digit (Unicode-aware, so
// Russian and English alike), at least two runes long and containing a
// letter. Stop words are left to the caller. buf is scratch space, returned
// for reuse; fn must not keep word.
func appendWords(text string, buf []byte, fn func(word []byte)) []byte {
	word, runes, hasLetter := buf[:0], 0, false
	for i := 0; i < len(text); {
		// ASCII, most of the bytes of most texts, goes by a table.
		if c := text[i]; c < utf8.RuneSelf {
			i++
			switch k := asciiKind[c]; {
			case k == asciiDigit:
				word = append(word, c)
			case k != asciiOther:
				word, hasLetter = append(word, byte(k)), true
			default:
				if runes >= 2 && hasLetter {
					fn(word)
				}
				word, runes, hasLetter = word[:0], 0, false
				continue
			}
			runes++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if lower, ok := lowerLetter(r); ok {
			r, hasLetter = lower, true
		} else if !isDigit(r) {
			if runes >= 2 && hasLetter {
				fn(word)
			}
			word, runes, hasLetter = word[:0], 0, false
			continue
		}
		word = utf8.AppendRune(word, r)
		runes++
	}
	if runes >= 2 && hasLetter {
		fn(word)
	}
	return word
}

// asciiKind says what each ASCII byte is to appendWords: a letter, as its
// lowercase form; asciiDigit; or asciiOther, which separates words.
var asciiKind = func() (kinds [utf8.RuneSelf]byte) {
	for c := range kinds {
		switch {
		case 'a' <= c && c <= 'z':
			kinds[c] = byte(c)
		case 'A' <= c && c <= 'Z':
			kinds[c] = byte(c) + 'a' - 'A'
		case '0' <= c && c <= '9':
			kinds[c] = asciiDigit
		default:
			kinds[c] = asciiOther
		}
	}
	return kinds
}()

// The kinds of ASCII bytes that are not letters; no letter is either.
const (
	asciiOther = 0
	asciiDigit = 1
)

// lowerLetter returns the lowercase form of r if r is a letter, with ё
// folded into е (often typed so; the same word either way). Latin and
// Russian Cyrillic, the bulk of our text, skip the Unicode tables.
func lowerLetter(r rune) (rune, bool) {
	switch {
	case 'a' <= r && r <= 'z', 'а' <= r && r <= 'я':
		return r, true
	case 'A' <= r && r <= 'Z', 'А' <= r && r <= 'Я':
		return r + 'a' - 'A', true
	case r == 'ё' || r == 'Ё':
		return 'е', true
	case r < utf8.RuneSelf || !unicode.IsLetter(r):
		return 0, false
	}
	return unicode.ToLower(r), true
}

func isDigit(r rune) bool {
	return '0' <= r && r <= '9' || r >= utf8.RuneSelf && unicode.IsDigit(r)
}

// stopWords are frequent English and Russian words that say nothing about
// a story. The list is short on purpose: inverse document frequency and
// the posting-list cap silence the remaining common words.
var stopWords = []string{
	// English
	"a", "about", "after", "against", "all", "also", "an", "and", "any", "are", "as", "at",
	"be", "because", "been", "before", "being", "between", "both", "but", "by", "can",
	"could", "did", "do", "does", "during", "each", "for", "from", "had", "has", "have",
	"he", "her", "here", "him", "his", "how", "if", "in", "into", "is", "it", "its",
	"just", "more", "most", "new", "no", "not", "now", "of", "on", "one", "only", "or",
	"other", "our", "out", "over", "said", "says", "she", "should", "since", "so", "some",
	"such", "than", "that", "the", "their", "them", "then", "there", "these", "they",
	"this", "those", "through", "to", "two", "under", "up", "was", "we", "were", "what",
	"when", "where", "which", "while", "who", "will", "with", "would", "year", "years",
	"you", "your",
	// Russian
	"а", "без", "более", "бы", "был", "была", "были", "было", "быть", "в", "вам", "вас",
	"весь", "во", "вот", "все", "всего", "всех", "вы", "где", "да", "даже", "для", "до",
	"его", "ее", "если", "есть", "еще", "же", "за", "здесь", "и", "из", "или", "им", "их",
	"к", "как", "когда", "кто", "ли", "либо", "мне", "может", "мы", "на", "над", "надо",
	"наш", "не", "него", "нее", "нет", "ни", "них", "но", "ну", "о", "об", "однако", "он",
	"она", "они", "оно", "от", "очень", "по", "под", "после", "при", "про", "с", "свою",
	"себя", "со", "так", "также", "такой", "там", "те", "тем", "то", "того", "тоже",
	"только", "том", "ту", "тут", "ты", "у", "уже", "чем", "что", "чтобы", "эта", "эти",
	"это", "этого", "этой", "этом", "этот", "я", "года", "году", "заявил", "сообщил",
}
