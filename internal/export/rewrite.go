package export

import (
	"bytes"
	"fmt"
	"html"
	"net/url"
	"strings"
)

// liveOnly lists the site paths only a running server can answer: pages
// that exist for a form, or that change with every request. Links to them,
// and to anything below them, point at the live site instead of a file.
var liveOnly = []string{"/support", "/newsletter"}

// formNote is what replaces a form in the export, keyed by the form's
// action relative to the site root: every form goes, whatever its method,
// since a static host answers neither a post nor a query. A zero note
// removes the form without a word.
type formNote struct{ text, link string }

var formNotes = map[string]formNote{
	"/newsletter/subscribe": {"This copy of the site cannot take sign-ups.", "Subscribe on our live site"},
	"/support/checkout":     {"This copy of the site cannot take contributions.", "Contribute on our live site"},
	// "Remind me later" only hides the appeal on the live site, for the
	// reader who asked; a copy has nothing to remember it with.
	"/support/remind-later": {},
}

// otherForm replaces a form the table does not know.
var otherForm = formNote{"This copy of the site cannot send forms.", "Use this form on our live site"}

// urlAttrs are the attributes whose values are URLs the export follows and
// rewrites. Form actions are not among them: forms are replaced whole.
var urlAttrs = map[string]bool{"href": true, "src": true, "srcset": true, "poster": true}

// rewriter is the export's transformer chain for HTML pages, after Hugo's
// publisher: it turns links to pages into links to their files, makes
// root-relative and main-site links relative, sends live-only links to the
// live site and replaces forms, which a static host cannot answer.
type rewriter struct {
	site *url.URL // the main site: scheme, host and path prefix
	live string   // the live site without a trailing slash; "" for none
}

// link is a reference from a page to something the export must contain.
type link struct {
	from, to string // keys: site path plus an optional "?page=N"
}

// page writes to out the HTML page served at key, rewritten, and reports
// the keys it links to, in document order.
func (rw *rewriter) page(out *bytes.Buffer, key string, body []byte) []link {
	self := pageRef{key: key, url: keyURL(key)}
	if file, _, err := fileFor(key); err == nil {
		self.dir = dirOf(file)
	}
	var (
		links  []link
		attrs  []attr // the current tag's, reused from tag to tag
		lastID string // the nearest id before a form, so its note can point there
	)
	out.Grow(len(body) + 256)
	toks := pageTokens(body)
	for {
		kind, raw, ok := toks.next()
		if !ok {
			break
		}
		if kind != startTagToken {
			out.Write(raw)
			continue
		}
		attrs = toks.attrs(attrs[:0])
		if toks.isTag("form") {
			skipForm(toks)
			out.WriteString(rw.formNote(self.url, attrs, lastID))
			continue
		}
		if id := attrValue(attrs, "id"); id != "" {
			lastID = id
		}
		if toks.isTag("link") && hasToken(attrValue(attrs, "rel"), "canonical") {
			out.Write(raw) // points at the main site on purpose
			continue
		}
		changed := false
		for i, a := range attrs {
			if !urlAttrs[a.key] {
				continue
			}
			var v string
			var drop bool
			if a.key == "srcset" {
				v = rw.srcset(self, a.val, &links)
			} else {
				v, drop = rw.ref(self, a.val, &links)
			}
			if v != a.val || drop {
				attrs[i].val, attrs[i].drop, changed = v, drop, true
			}
		}
		if !changed {
			out.Write(raw)
			continue
		}
		out.Write(rebuildTag(raw, attrs))
	}
	return links
}

// pageRef is the page being rewritten: its key, its URL and the folder of
// its file, which is the folder its relative links start from.
type pageRef struct {
	key string
	url *url.URL
	dir string
}

// attrKey returns the attribute name k as a string, without allocating for
// the names most tags carry.
func attrKey(k []byte) string {
	for _, known := range commonAttrs {
		if string(k) == known {
			return known
		}
	}
	return string(k)
}

var commonAttrs = []string{"href", "src", "srcset", "poster", "id", "rel", "action", "class", "type", "name", "value", "content"}

type attr struct {
	key, val string
	drop     bool // remove the attribute
}

func attrValue(attrs []attr, key string) string {
	for _, a := range attrs {
		if a.key == key {
			return a.val
		}
	}
	return ""
}

func hasToken(list, token string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, token) {
			return true
		}
	}
	return false
}

// ref rewrites one URL found on the page self and records the key it
// points to when the export must contain it. It reports drop for a link
// to a live-only page when there is no live site to send it to.
func (rw *rewriter) ref(self pageRef, v string, links *[]link) (_ string, drop bool) {
	trimmed := strings.TrimSpace(v)
	if trimmed == "" || strings.HasPrefix(trimmed, "#") {
		return v, false
	}
	ref, err := url.Parse(trimmed)
	if err != nil {
		return v, false // not a URL a browser would follow either
	}
	relative := ref.Scheme == "" && ref.Host == "" && !strings.HasPrefix(ref.Path, "/")
	if ref.Scheme != "" || ref.Host != "" {
		sitePath, ok := rw.onSite(ref)
		if !ok {
			return v, false // another site, or mail
		}
		ref = &url.URL{Path: sitePath, RawQuery: ref.RawQuery, Fragment: ref.Fragment}
	}
	target := self.url.ResolveReference(ref)
	fragment := ""
	if target.Fragment != "" {
		fragment = "#" + target.EscapedFragment()
	}
	if isLiveOnly(target.Path) {
		if rw.live == "" {
			return "", true
		}
		target.Fragment = ""
		return rw.live + target.RequestURI() + fragment, false
	}
	key := target.EscapedPath()
	if target.RawQuery != "" {
		key += "?" + target.RawQuery
	}
	*links = append(*links, link{from: self.key, to: key})
	file, page, err := fileFor(key)
	if err != nil || (!page && relative) {
		return v, false // unchanged; the link check reports a key without a file
	}
	return relPath(self.dir, file) + fragment, false
}

// srcset rewrites each candidate URL of a srcset attribute.
func (rw *rewriter) srcset(self pageRef, v string, links *[]link) string {
	var candidates []string
	for c := range strings.SplitSeq(v, ",") {
		fields := strings.Fields(c)
		if len(fields) == 0 {
			continue
		}
		var drop bool
		if fields[0], drop = rw.ref(self, fields[0], links); !drop {
			candidates = append(candidates, strings.Join(fields, " "))
		}
	}
	out := strings.Join(candidates, ", ")
	if strings.Join(strings.Fields(out), " ") == strings.Join(strings.Fields(v), " ") {
		return v // nothing changed but spacing: keep the original
	}
	return out
}

// onSite reports whether an absolute URL points into the main site, and
// its path there.
func (rw *rewriter) onSite(u *url.URL) (string, bool) {
	if rw.site == nil || !strings.EqualFold(u.Host, rw.site.Host) || (u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	prefix := strings.TrimSuffix(rw.site.Path, "/")
	p := u.Path
	if prefix != "" {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
			return "", false
		}
		p = rest
	}
	if p == "" {
		p = "/"
	}
	return p, true
}

func isLiveOnly(p string) bool {
	for _, prefix := range liveOnly {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			return true
		}
	}
	return false
}

// skipForm consumes the tokens of a form up to and including its end tag.
func skipForm(toks tokens) {
	depth := 1
	for depth > 0 {
		kind, _, ok := toks.next()
		switch {
		case !ok:
			return
		case kind == startTagToken && toks.isTag("form"):
			depth++
		case kind == endTagToken && toks.isTag("form"):
			depth--
		}
	}
}

// formNote is the HTML that stands in for a form on the page self: a line
// saying the copy cannot send it and a link to the same place on the live
// site, where it works.
func (rw *rewriter) formNote(self *url.URL, attrs []attr, lastID string) string {
	action := self.Path
	if a := strings.TrimSpace(attrValue(attrs, "action")); a != "" {
		if ref, err := url.Parse(a); err == nil {
			if ref.Scheme != "" || ref.Host != "" {
				if p, ok := rw.onSite(ref); ok {
					ref = &url.URL{Path: p}
				}
			}
			action = self.ResolveReference(ref).Path
		}
	}
	note, known := formNotes[action]
	if !known {
		note = otherForm
	}
	if note.text == "" {
		return ""
	}
	if rw.live == "" {
		return `<p class="small">` + html.EscapeString(note.text) + `</p>`
	}
	href := rw.live + self.RequestURI()
	if lastID != "" {
		href += "#" + url.PathEscape(lastID)
	}
	return fmt.Sprintf(`<p class="small">%s <a href="%s">%s</a>.</p>`,
		html.EscapeString(note.text), html.EscapeString(href), html.EscapeString(note.link))
}

// rebuildTag writes the start tag raw with the attribute values of attrs,
// in order, keeping everything else as it was: names, spacing and the
// quoting of values that did not change.
func rebuildTag(raw []byte, attrs []attr) []byte {
	var out bytes.Buffer
	i := 1 // after '<'
	for i < len(raw) && !isSpace(raw[i]) && raw[i] != '>' && raw[i] != '/' {
		i++
	}
	out.Write(raw[:i])
	name := raw[1:i]
	n := 0
	for i < len(raw) {
		start := i
		for i < len(raw) && (isSpace(raw[i]) || raw[i] == '/') {
			i++
		}
		if i >= len(raw) || raw[i] == '>' {
			out.Write(raw[start:])
			break
		}
		// A name, then optionally = and a value.
		for i < len(raw) && !isSpace(raw[i]) && raw[i] != '=' && raw[i] != '>' && raw[i] != '/' {
			i++
		}
		j := i
		for j < len(raw) && isSpace(raw[j]) {
			j++
		}
		valueStart, valueEnd := -1, -1
		if j < len(raw) && raw[j] == '=' {
			j++
			for j < len(raw) && isSpace(raw[j]) {
				j++
			}
			valueStart = j
			if j < len(raw) && (raw[j] == '"' || raw[j] == '\'') {
				q := raw[j]
				j++
				for j < len(raw) && raw[j] != q {
					j++
				}
				j++
			} else {
				for j < len(raw) && !isSpace(raw[j]) && raw[j] != '>' {
					j++
				}
			}
			valueEnd = min(j, len(raw))
			i = valueEnd
		}
		switch {
		case n < len(attrs) && attrs[n].drop:
			// Left out, with the space before it.
		case n < len(attrs) && valueStart >= 0 && unquote(raw[valueStart:valueEnd]) != attrs[n].val:
			out.Write(raw[start:valueStart])
			out.WriteString(`"` + html.EscapeString(attrs[n].val) + `"`)
		default:
			out.Write(raw[start:i])
		}
		n++
	}
	if n != len(attrs) {
		return writeTag(name, attrs) // lexed differently from the tokenizer: write it anew
	}
	return out.Bytes()
}

// writeTag writes a start tag from its name and attributes.
func writeTag(name []byte, attrs []attr) []byte {
	var out bytes.Buffer
	out.WriteByte('<')
	out.Write(name)
	for _, a := range attrs {
		if !a.drop {
			out.WriteString(" " + a.key + `="` + html.EscapeString(a.val) + `"`)
		}
	}
	out.WriteByte('>')
	return out.Bytes()
}

func unquote(v []byte) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
	}
	return html.UnescapeString(string(v))
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
