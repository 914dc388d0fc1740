package content

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"
)

// WordsPerMinute is the reading rate behind ReadingMinutes: a common
// estimate for adults reading news on screen, in English and Russian alike.
const WordsPerMinute = 200

// ReadingMinutes estimates how long text takes to read at WordsPerMinute,
// rounded to the nearest minute and never less than one.
func ReadingMinutes(text string) int {
	return max(1, (WordCount(text)+WordsPerMinute/2)/WordsPerMinute)
}

// WordCount counts whitespace-separated words that contain at least one
// letter or digit, so dashes and bullets standing alone are not words.
func WordCount(text string) int {
	n := 0
	inWord, counted := false, false
	for _, r := range text {
		if unicode.IsSpace(r) {
			inWord = false
			continue
		}
		if !inWord {
			inWord, counted = true, false
		}
		if !counted && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			n++
			counted = true
		}
	}
	return n
}

// Excerpt shortens text to at most maxRunes runes for use where an article
// has no summary. It prefers whole sentences; when the sentences that fit
// would make an excerpt shorter than half of maxRunes, it cuts at a word
// boundary instead and appends "…". Whitespace, including paragraph breaks,
// collapses to single spaces.
func Excerpt(text string, maxRunes int) string {
	if maxRunes <= 0 {
		return ""
	}
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) <= maxRunes {
		return text
	}
	// Byte offsets of the cut candidates: after the last sentence that
	// fits, after the last word that fits with the ellipsis, and after
	// maxRunes-1 runes when even the first word is too long.
	lastSentence, sentenceRunes, lastSpace, hardCut := -1, 0, -1, 0
	n := 0 // runes before i
	for i, r := range text {
		if r == ' ' {
			if endsSentence(text[:i]) {
				lastSentence, sentenceRunes = i, n
			}
			if n < maxRunes {
				lastSpace = i
			}
		}
		if n == maxRunes-1 {
			hardCut = i
		}
		if n == maxRunes {
			break
		}
		n++
	}
	if lastSentence >= 0 && sentenceRunes >= maxRunes/2 {
		return text[:lastSentence]
	}
	cut := hardCut
	if lastSpace > 0 {
		cut = lastSpace
	}
	head := strings.TrimRightFunc(text[:cut], func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;:-–—", r)
	})
	return head + "…"
}

// endsSentence reports whether s ends a sentence: terminal punctuation,
// possibly followed by closing quotes or brackets, and not an initial or an
// abbreviation with inner dots such as "U.S." or "В.".
func endsSentence(s string) bool {
	s = strings.TrimRight(s, `"'»”’)]`)
	last, _ := utf8.DecodeLastRuneInString(s)
	switch last {
	case '!', '?', '…':
		return true
	case '.':
	default:
		return false
	}
	word := s[strings.LastIndexByte(s, ' ')+1 : len(s)-1]
	return utf8.RuneCountInString(word) > 1 && !strings.Contains(word, ".")
}

// blockElements end a paragraph of visible text.
var blockElements = map[string]bool{
	"p": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"blockquote": true, "pre": true, "ul": true, "ol": true, "li": true,
	"table": true, "caption": true, "tr": true, "figure": true, "figcaption": true,
	"hr": true,
}

// visibleText extracts what a reader sees from sanitized HTML: whitespace
// collapsed outside <pre>, <br> and lines in <pre> as single newlines,
// blocks separated by blank lines.
func visibleText(safeHTML []byte) string {
	var t textBuilder
	t.b.Grow(len(safeHTML) / 2)
	z := xhtml.NewTokenizer(bytes.NewReader(safeHTML))
	inPre := 0
	for {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			return t.b.String()
		case xhtml.TextToken:
			t.write(z.Text(), inPre > 0)
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken, xhtml.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			switch {
			case blockElements[tag]:
				t.brk = 2
				if tag == "pre" && tt == xhtml.StartTagToken {
					inPre++
				} else if tag == "pre" && tt == xhtml.EndTagToken && inPre > 0 {
					inPre--
				}
			case tag == "br":
				t.brk = max(t.brk, 1)
			case tag == "td" || tag == "th":
				t.space = true
			}
		}
	}
}

// textBuilder writes text with pending separators, so that separators only
// ever appear between two pieces of text, never at the ends.
type textBuilder struct {
	b     strings.Builder
	space bool
	brk   int // 1 for a line break, 2 for a paragraph break
}

func (t *textBuilder) write(text []byte, pre bool) {
	for len(text) > 0 {
		r, size := utf8.DecodeRune(text)
		switch {
		case pre && r == '\n':
			t.brk = max(t.brk, 1)
		case !pre && unicode.IsSpace(r):
			t.space = true
		default:
			// Copy the whole run up to the next separator at once.
			for size < len(text) {
				r, n := utf8.DecodeRune(text[size:])
				if r == '\n' || !pre && unicode.IsSpace(r) {
					break
				}
				size += n
			}
			if t.b.Len() > 0 {
				switch {
				case t.brk == 2:
					t.b.WriteString("\n\n")
				case t.brk == 1:
					t.b.WriteByte('\n')
				case t.space:
					t.b.WriteByte(' ')
				}
			}
			t.space, t.brk = false, 0
			t.b.Write(text[:size])
		}
		text = text[size:]
	}
}
