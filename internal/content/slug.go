package content

import (
	"strings"
	"unicode"

	"github.com/gosimple/slug"
)

// MaxSlugLength is the longest slug Slug returns, in bytes (slugs are ASCII).
const MaxSlugLength = 80

// FallbackSlug is what Slug returns for a title with nothing to
// transliterate, such as emoji only. Callers that need unique slugs must
// disambiguate it like any other collision.
const FallbackSlug = "article"

// Slug makes a URL slug from a title: lowercase ASCII letters, digits and
// single hyphens, at most MaxSlugLength bytes cut at a word boundary, never
// empty (see FallbackSlug).
//
// Cyrillic is transliterated the way readers spell names in Latin letters:
// Russian with a BGN/PCGN-like scheme ("Лавров и Рубио" → "lavrov-i-rubio"),
// and Ukrainian with the official 2010 national scheme ("Київ" → "kyiv")
// when the title contains a letter only Ukrainian uses (і, ї, є, ґ).
// Apostrophes vanish ("Russia's" → "russias") and so do the dots of
// initialisms ("U.S." → "us").
func Slug(title string) string {
	s := slug.MakeLang(transliterate(title), "en")
	if strings.Contains(s, "_") { // the library keeps underscores; we do not
		s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '_' || r == '-' }), "-")
	}
	if len(s) > MaxSlugLength {
		s = s[:MaxSlugLength+1]
		if i := strings.LastIndexByte(s, '-'); i > 0 {
			s = s[:i]
		} else {
			s = s[:MaxSlugLength]
		}
		s = strings.Trim(s, "-")
	}
	if s == "" {
		return FallbackSlug
	}
	return s
}

// transliterate lowercases title and spells its Cyrillic in Latin letters;
// everything else is left to the slug library.
func transliterate(title string) string {
	lower := strings.ToLower(title)
	table, initial := russianLatin, map[rune]string(nil)
	if strings.ContainsAny(lower, "ієїґ") {
		table, initial = ukrainianLatin, ukrainianInitialLatin
	}
	var b strings.Builder
	b.Grow(len(lower) * 2)
	var prev rune
	initialismLen := 0 // letters since the last space or initialism dot
	for _, r := range lower {
		switch {
		case strings.ContainsRune(`'’ʼ`+"`", r):
			continue
		case r == '.' && initialismLen == 1:
			// "U.S." and "В. Путин": drop the dot, keep counting initials.
			initialismLen = 0
			continue
		case unicode.IsLetter(r):
			initialismLen++
		default:
			initialismLen = 0
		}
		if latin, ok := initial[r]; ok && !unicode.IsLetter(prev) {
			b.WriteString(latin)
		} else if latin, ok := table[r]; ok {
			b.WriteString(latin)
		} else {
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

var russianLatin = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e",
	'ж': "zh", 'з': "z", 'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m",
	'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u",
	'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch",
	'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu", 'я': "ya",
}

// ukrainianLatin follows the Cabinet of Ministers' 2010 table, including its
// word-initial forms in ukrainianInitialLatin.
var ukrainianLatin = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "h", 'ґ': "g", 'д': "d", 'е': "e",
	'є': "ie", 'ж': "zh", 'з': "z", 'и': "y", 'і': "i", 'ї': "i", 'й': "i",
	'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r",
	'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch",
	'ш': "sh", 'щ': "shch", 'ь': "", 'ю': "iu", 'я': "ia",
}

var ukrainianInitialLatin = map[rune]string{
	'є': "ye", 'ї': "yi", 'й': "y", 'ю': "yu", 'я': "ya",
}
