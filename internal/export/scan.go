package export

import (
	"bytes"
	"html"
	"strings"

	nethtml "golang.org/x/net/html"
)

// tokenKind is what the rewriter tells apart in a page.
type tokenKind int

const (
	textToken tokenKind = iota
	startTagToken
	endTagToken
	otherToken // a doctype, a comment or a stray "</>"
)

// tokens is a page cut into tokens whose bytes, put back together, are the
// page: the rewriter copies all but some start tags as they are.
type tokens interface {
	// next returns the next token and its bytes; ok is false at the end.
	next() (kind tokenKind, raw []byte, ok bool)
	// isTag reports whether the start or end tag just returned is named
	// name, in lower case.
	isTag(name string) bool
	// attrs appends the attributes of the start tag just returned to dst,
	// as the HTML tokenizer reads them: names in lower case, values
	// unescaped, the first of two attributes with one name.
	attrs(dst []attr) []attr
}

// pageTokens returns the tokens of body. Pages without comments, which is
// every page the site's templates make, take a scanner that jumps from one
// '<' to the next rather than reading the page byte by byte, which is most
// of an export's HTML work otherwise. Comments can hide markup inside
// scripts, so pages with one take golang.org/x/net/html's tokenizer, whose
// cuts the scanner repeats for pages without.
func pageTokens(body []byte) tokens {
	if bytes.Contains(body, []byte("<!--")) {
		return &tokenizer{z: nethtml.NewTokenizer(bytes.NewReader(body))}
	}
	return &scanner{src: body}
}

// tokenizer is tokens from golang.org/x/net/html.
type tokenizer struct {
	z    *nethtml.Tokenizer
	name []byte
	more bool // whether the start tag has attributes left to read
}

func (t *tokenizer) next() (tokenKind, []byte, bool) {
	switch tt := t.z.Next(); tt {
	case nethtml.ErrorToken:
		return 0, nil, false
	case nethtml.StartTagToken, nethtml.SelfClosingTagToken:
		raw := t.z.Raw()
		t.name, t.more = t.z.TagName()
		return startTagToken, raw, true
	case nethtml.EndTagToken:
		raw := t.z.Raw()
		t.name, _ = t.z.TagName()
		return endTagToken, raw, true
	case nethtml.TextToken:
		return textToken, t.z.Raw(), true
	default:
		return otherToken, t.z.Raw(), true
	}
}

func (t *tokenizer) isTag(name string) bool { return string(t.name) == name }

func (t *tokenizer) attrs(dst []attr) []attr {
	for t.more {
		var k, v []byte
		k, v, t.more = t.z.TagAttr()
		dst = append(dst, attr{key: attrKey(k), val: string(v)})
	}
	return dst
}

// scanner is tokens from a page without comments, cut where the tokenizer
// cuts it (see golang.org/x/net/html's readTag and readRawOrRCDATA).
type scanner struct {
	src    []byte
	pos    int
	rawTag string // the element whose raw text comes next: script, style, …
	// Of the tag just returned:
	tag   []byte
	name  []byte // in the page's case
	spans []attrSpan
}

// attrSpan locates an attribute in scanner.tag.
type attrSpan struct{ key0, key1, val0, val1 int }

// rawTags hold text up to their end tag, markup or not.
var rawTags = []string{"iframe", "noembed", "noframes", "noscript", "plaintext", "script", "style", "textarea", "title", "xmp"}

func (s *scanner) next() (tokenKind, []byte, bool) {
	start := s.pos
	if start >= len(s.src) {
		return 0, nil, false
	}
	if s.rawTag != "" {
		end := s.rawTextEnd()
		s.rawTag, s.pos = "", end
		if end > start {
			return textToken, s.src[start:end], true
		}
	}
	// Text runs to the first '<' that opens a tag, a doctype or the like.
	i := start
	for {
		j := bytes.IndexByte(s.src[i:], '<')
		if j < 0 || i+j+1 >= len(s.src) {
			s.pos = len(s.src)
			return textToken, s.src[start:], true
		}
		i += j
		if c := s.src[i+1]; isLetter(c) || c == '/' || c == '!' || c == '?' {
			break
		}
		i++
	}
	if i > start {
		s.pos = i
		return textToken, s.src[start:i], true
	}
	switch c := s.src[i+1]; {
	case isLetter(c):
		end, ok := s.readTag(i, i+1, true)
		if !ok {
			return s.stop()
		}
		s.pos = end
		for _, t := range rawTags {
			if equalFold(s.name, t) {
				s.rawTag = t
			}
		}
		return startTagToken, s.tag, true
	case c == '/':
		if i+2 >= len(s.src) {
			s.pos = len(s.src)
			return textToken, s.src[i:], true
		}
		switch c := s.src[i+2]; {
		case c == '>':
			s.pos = i + 3
			return otherToken, s.src[i:s.pos], true
		case isLetter(c):
			end, ok := s.readTag(i, i+2, false)
			if !ok {
				return s.stop()
			}
			s.pos = end
			return endTagToken, s.tag, true
		}
	}
	// "<!DOCTYPE …>", "<?…>", "</3>" and the like run to the next '>'.
	end := len(s.src)
	if j := bytes.IndexByte(s.src[i+2:], '>'); j >= 0 {
		end = i + 2 + j + 1
	}
	s.pos = end
	return otherToken, s.src[i:end], true
}

// stop ends the page where a tag does not close, as the tokenizer does.
func (s *scanner) stop() (tokenKind, []byte, bool) {
	s.pos = len(s.src)
	return 0, nil, false
}

// rawTextEnd returns where the raw text from s.pos ends: at the end tag of
// s.rawTag, or at the end of the page.
func (s *scanner) rawTextEnd() int {
	if s.rawTag == "plaintext" {
		return len(s.src)
	}
	for i := s.pos; ; {
		j := bytes.Index(s.src[i:], []byte("</"))
		if j < 0 {
			return len(s.src)
		}
		i += j
		name := i + 2
		if end := name + len(s.rawTag); end < len(s.src) && equalFold(s.src[name:end], s.rawTag) && (isSpace(s.src[end]) || s.src[end] == '/' || s.src[end] == '>') {
			return i
		}
		i += 2
	}
}

// readTag reads the tag that opens at lt and whose name starts at name,
// and returns where it ends, after its '>'; ok is false when the page
// ends first. It records the tag, its name and, for a start tag, its
// attributes.
func (s *scanner) readTag(lt, name int, start bool) (end int, ok bool) {
	src := s.src
	p := name + 1
	for p < len(src) && !isSpace(src[p]) && src[p] != '/' && src[p] != '>' {
		p++
	}
	if p >= len(src) {
		return 0, false
	}
	s.name = src[name:p]
	s.spans = s.spans[:0]
	if isSpace(src[p]) {
		p++
	}
	for {
		if p = skipSpace(src, p); p >= len(src) {
			return 0, false
		}
		if src[p] == '>' {
			break
		}
		// The name: its first byte may be '=', and a solidus is none.
		key0 := p
		if src[p] != '/' {
			for p++; p < len(src) && !isSpace(src[p]) && src[p] != '/' && src[p] != '>' && src[p] != '='; p++ {
			}
		}
		key1 := p
		val0, val1 := p, p
		// The value, after '='.
		if p = skipSpace(src, p); p >= len(src) {
			return 0, false
		}
		switch src[p] {
		case '/':
			p++
		case '=':
			if p = skipSpace(src, p+1); p >= len(src) {
				return 0, false
			}
			switch q := src[p]; q {
			case '>':
			case '"', '\'':
				j := bytes.IndexByte(src[p+1:], q)
				if j < 0 {
					return 0, false
				}
				val0, val1 = p+1, p+1+j
				p = val1 + 1
			default:
				val0 = p
				for p < len(src) && !isSpace(src[p]) && src[p] != '>' {
					p++
				}
				if p >= len(src) {
					return 0, false
				}
				val1 = p
				if isSpace(src[p]) {
					p++
				}
			}
		}
		if start && key1 > key0 {
			s.spans = append(s.spans, attrSpan{key0 - lt, key1 - lt, val0 - lt, val1 - lt})
		}
	}
	s.tag = src[lt : p+1]
	return p + 1, true
}

func (s *scanner) isTag(name string) bool { return equalFold(s.name, name) }

func (s *scanner) attrs(dst []attr) []attr {
	if bytes.IndexByte(s.tag, '\r') >= 0 || bytes.IndexByte(s.tag, 0) >= 0 || !plainReferences(s.tag) {
		// Carriage returns, NULs and the subtler character references
		// are the tokenizer's to decode.
		t := &tokenizer{z: nethtml.NewTokenizer(bytes.NewReader(s.tag))}
		t.next()
		return t.attrs(dst)
	}
	first := len(dst)
next:
	for _, sp := range s.spans {
		key := s.tag[sp.key0:sp.key1]
		for i := range key {
			if 'A' <= key[i] && key[i] <= 'Z' {
				key = bytes.ToLower(key)
				break
			}
		}
		for _, a := range dst[first:] {
			if a.key == string(key) {
				continue next // the tokenizer keeps the first
			}
		}
		val := string(s.tag[sp.val0:sp.val1])
		if strings.IndexByte(val, '&') >= 0 {
			val = html.UnescapeString(val)
		}
		dst = append(dst, attr{key: attrKey(key), val: val})
	}
	return dst
}

// plainReferences reports whether every '&' in tag starts a numeric
// character reference or one of &amp; &lt; &gt; &quot; and &apos;, each
// ending in ';': html.UnescapeString decodes those as the tokenizer does
// in an attribute. html/template writes no others ("application/rss&#43;xml"
// is on every page), and reading a tag with them here spares the
// tokenizer, which allocates 4 KB to read one tag.
func plainReferences(tag []byte) bool {
	for i := bytes.IndexByte(tag, '&'); i >= 0; {
		ref := tag[i+1:]
		n := 0
		switch {
		case bytes.HasPrefix(ref, []byte("#x")) || bytes.HasPrefix(ref, []byte("#X")):
			n = 2 + hexDigits(ref[2:])
			if n == 2 {
				return false
			}
		case bytes.HasPrefix(ref, []byte("#")):
			n = 1 + decimalDigits(ref[1:])
			if n == 1 {
				return false
			}
		default:
			for _, name := range []string{"amp", "lt", "gt", "quot", "apos"} {
				if bytes.HasPrefix(ref, []byte(name+";")) {
					n = len(name)
				}
			}
		}
		if n == 0 || n >= len(ref) || ref[n] != ';' {
			return false
		}
		next := bytes.IndexByte(ref[n:], '&')
		if next < 0 {
			return true
		}
		i += 1 + n + next
	}
	return true
}

func decimalDigits(b []byte) int {
	n := 0
	for n < len(b) && '0' <= b[n] && b[n] <= '9' {
		n++
	}
	return n
}

func hexDigits(b []byte) int {
	n := 0
	for n < len(b) && ('0' <= b[n] && b[n] <= '9' || 'a' <= b[n] && b[n] <= 'f' || 'A' <= b[n] && b[n] <= 'F') {
		n++
	}
	return n
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func skipSpace(b []byte, p int) int {
	for p < len(b) && isSpace(b[p]) {
		p++
	}
	return p
}

// equalFold reports whether b is s, a lower-case ASCII word, in any case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if c := b[i]; c != s[i] && c+'a'-'A' != s[i] {
			return false
		}
	}
	return true
}
