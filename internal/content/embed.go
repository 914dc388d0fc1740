package content

import (
	"bytes"
	"html"
	"net/url"
	"strings"

	xhtml "golang.org/x/net/html"
)

var iframeTag = []byte("<iframe")

// embedsToLinks replaces each <iframe src=…>…</iframe> with a plain link to
// its src, so a pasted YouTube embed leaves the reader a link instead of
// silently vanishing. Everything else is copied byte for byte; the
// sanitizer still runs over the result. Iframes without an http(s) src are
// dropped.
func embedsToLinks(src []byte) []byte {
	if !containsFold(src, iframeTag) {
		return src
	}
	var out bytes.Buffer
	out.Grow(len(src))
	z := xhtml.NewTokenizer(bytes.NewReader(src))
	inIframe := false
	// An iframe's content is fallback text browsers never show; it is
	// dropped when the iframe is closed but kept if it runs to the end of
	// the input, so a missing </iframe> cannot swallow the rest of a story.
	var fallback []byte
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			out.Write(fallback)
			return out.Bytes()
		}
		switch tt {
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken, xhtml.EndTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "iframe" {
				break
			}
			if tt == xhtml.EndTagToken {
				inIframe, fallback = false, nil
				continue
			}
			if link, ok := iframeLink(z, hasAttr); ok {
				out.WriteString(`<a href="` + html.EscapeString(link) + `">` + html.EscapeString(link) + `</a>`)
			}
			inIframe = tt == xhtml.StartTagToken
			continue
		case xhtml.TextToken:
			if inIframe {
				fallback = append(fallback, z.Raw()...)
				continue
			}
		}
		out.Write(z.Raw())
	}
}

// iframeLink returns the iframe's src as an absolute http(s) URL.
func iframeLink(z *xhtml.Tokenizer, hasAttr bool) (string, bool) {
	for hasAttr {
		var key, val []byte
		key, val, hasAttr = z.TagAttr()
		if string(key) != "src" {
			continue
		}
		raw := strings.TrimSpace(string(val))
		if strings.HasPrefix(raw, "//") {
			raw = "https:" + raw
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", false
		}
		return u.String(), true
	}
	return "", false
}

// containsFold reports whether s contains the lowercase ASCII needle,
// ignoring ASCII case, without allocating.
func containsFold(s, needle []byte) bool {
	for i := 0; i+len(needle) <= len(s); i++ {
		j := 0
		for j < len(needle) && s[i+j]|0x20 == needle[j] {
			j++
		}
		if j == len(needle) {
			return true
		}
	}
	return false
}
