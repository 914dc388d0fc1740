package mail

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"net/mail"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/idna"
)

// reserved are the header fields Encode writes itself; Message.Headers may
// not set them, so no caller can smuggle a second To or a new body type.
var reserved = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "subject": true, "date": true,
	"message-id": true, "mime-version": true, "content-type": true,
	"content-transfer-encoding": true, "dkim-signature": true, "sender": true, "reply-to": true,
}

// envelope is what SMTP needs besides the message bytes.
type envelope struct {
	from, to string // bare addresses, ASCII
}

// Encode validates m and returns it as an RFC 5322 message with CRLF line
// endings, ready for SMTP. date stands in for a zero m.Date.
func (m *Message) Encode(date time.Time) ([]byte, error) {
	raw, _, err := m.encode(date)
	return raw, err
}

func (m *Message) encode(date time.Time) ([]byte, envelope, error) {
	from, err := parseFrom(m.From)
	if err != nil {
		return nil, envelope{}, err
	}
	to, err := ParseRecipient(m.To)
	if err != nil {
		return nil, envelope{}, err
	}
	if m.Text == "" && m.TextFill == nil {
		return nil, envelope{}, fmt.Errorf("%w: no plain-text part", ErrInvalid)
	}
	if err := checkValue("Subject", m.Subject); err != nil {
		return nil, envelope{}, err
	}
	id := m.MessageID
	if id == "" {
		id = randomID(from.Address)
	} else if err := checkMessageID(id); err != nil {
		return nil, envelope{}, err
	}
	extra, err := extraHeaders(m.Headers)
	if err != nil {
		return nil, envelope{}, err
	}
	if !m.Date.IsZero() {
		date = m.Date
	}

	var b bytes.Buffer
	b.Grow(len(m.Text) + len(m.HTML) + len(m.HTML)/8 + m.TextFill.size() + m.HTMLFill.size() + 1024)
	writeHeader(&b, "Date", date.Format(time.RFC1123Z))
	writeHeader(&b, "From", from.String())
	writeHeader(&b, "To", "<"+to+">")
	writeHeader(&b, "Subject", encodeText(m.Subject))
	writeHeader(&b, "Message-ID", "<"+id+">")
	for _, h := range extra {
		writeHeader(&b, h[0], h[1])
	}
	writeHeader(&b, "MIME-Version", "1.0")
	if m.HTML == "" && m.HTMLFill == nil {
		writePart(&b, "text/plain", m.Text, m.TextFill)
		return b.Bytes(), envelope{from: from.Address, to: to}, nil
	}
	// "=_" cannot occur in quoted-printable text, so the boundary cannot
	// collide with the content; deriving it from the ID keeps output
	// reproducible.
	sum := sha256.Sum256([]byte(id))
	boundary := "=_" + hex.EncodeToString(sum[:12])
	writeHeader(&b, "Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	b.WriteString("\r\n--" + boundary + "\r\n")
	writePart(&b, "text/plain", m.Text, m.TextFill)
	b.WriteString("\r\n--" + boundary + "\r\n")
	writePart(&b, "text/html", m.HTML, m.HTMLFill)
	b.WriteString("\r\n--" + boundary + "--\r\n")
	return b.Bytes(), envelope{from: from.Address, to: to}, nil
}

// writePart writes the Content-Type and encoding headers, a blank line and
// the body, text or filled (when set), as quoted-printable UTF-8 with CRLF
// line breaks.
func writePart(b *bytes.Buffer, contentType, text string, filled *Filled) {
	b.WriteString("Content-Type: " + contentType + "; charset=utf-8\r\n")
	b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	if filled != nil {
		filled.encode(b)
	} else {
		writeQPLines(b, text)
	}
}

// writeQPLines writes body quoted-printable, each line ending in CRLF.
// Line breaks are \n or \r\n; a lone \r is data, encoded.
func writeQPLines(b *bytes.Buffer, body string) {
	for len(body) > 0 {
		line, rest, found := strings.Cut(body, "\n")
		if found {
			line = strings.TrimSuffix(line, "\r")
		}
		writeQPLine(b, line)
		b.WriteString("\r\n")
		body = rest
	}
}

// qpMax is the longest encoded line, soft break included (RFC 2045 §6.7).
const qpMax = 76

// writeQPLine writes one line of text quoted-printable, without its line
// break. It copies runs of plain ASCII at once: mime/quotedprintable goes
// byte by byte, which made encoding a tenth of the cost of sending an issue.
func writeQPLine(b *bytes.Buffer, line string) {
	col := 0
	for i := 0; i < len(line); {
		c := line[i]
		plain := qpPlain(c) && !(isSpace(c) && i == len(line)-1) // a final space must be encoded
		width := 1
		if !plain {
			width = 3
		}
		if col+width > qpMax-1 {
			b.WriteString("=\r\n")
			col = 0
		}
		if !plain {
			b.WriteByte('=')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&0x0f])
			col += 3
			i++
			continue
		}
		j := i + 1
		for j < len(line) && col+(j-i) < qpMax-1 && qpPlain(line[j]) && !(isSpace(line[j]) && j == len(line)-1) {
			j++
		}
		b.WriteString(line[i:j])
		col += j - i
		i = j
	}
}

const upperHex = "0123456789ABCDEF"

// qpPlain reports whether c may appear as itself in quoted-printable.
func qpPlain(c byte) bool { return c >= ' ' && c <= '~' && c != '=' || c == '\t' }

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// writeHeader writes "name: value", folded at spaces so that lines stay
// under 78 characters where the value allows it.
func writeHeader(b *bytes.Buffer, name, value string) {
	b.WriteString(name)
	b.WriteString(":")
	line := len(name) + 1
	for i, word := range strings.Split(value, " ") {
		if i > 0 && line+1+len(word) > 76 {
			b.WriteString("\r\n")
			line = 0
		}
		b.WriteByte(' ')
		b.WriteString(word)
		line += 1 + len(word)
	}
	b.WriteString("\r\n")
}

// encodeText encodes an unstructured header value such as Subject: as is
// when it is plain ASCII, else as RFC 2047 encoded words.
func encodeText(s string) string {
	if isASCII(s) && !strings.Contains(s, "=?") {
		return s
	}
	return mime.QEncoding.Encode("utf-8", s)
}

// checkValue refuses a header value that could end the field early.
func checkValue(name, value string) error {
	if strings.ContainsAny(value, "\r\n\x00") {
		return fmt.Errorf("%w: %s contains a line break or NUL", ErrInvalid, name)
	}
	return nil
}

// parseFrom parses the sender, which may carry a display name.
func parseFrom(s string) (*mail.Address, error) {
	if strings.ContainsAny(s, "\r\n\x00") {
		return nil, fmt.Errorf("%w: From contains a line break or NUL", ErrInvalid)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%w: From %q: %v", ErrInvalid, s, err)
	}
	if !isASCII(a.Address) {
		return nil, fmt.Errorf("%w: From address %q is not ASCII", ErrInvalid, a.Address)
	}
	return a, nil
}

// ParseRecipient checks a bare recipient address and returns it with its
// domain in ASCII (IDNA) form. Display names, line breaks, and non-ASCII
// local parts are refused with ErrBadRecipient.
func ParseRecipient(s string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w: %q: %s", ErrBadRecipient, s, why)
	}
	if strings.ContainsAny(s, "\r\n\x00<>,;\" ") {
		return bad("a bare address may not contain spaces, line breaks, quotes or <>,;")
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return bad("expected local@domain")
	}
	if !isASCII(local) {
		return bad("the part before @ is not ASCII")
	}
	domain, err := idna.Lookup.ToASCII(domain)
	if err != nil || !strings.Contains(domain, ".") {
		return bad("the domain is not a valid host name")
	}
	addr := local + "@" + domain
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Address != addr || parsed.Name != "" {
		return bad("not an RFC 5322 address")
	}
	return addr, nil
}

// checkMessageID accepts id-left@id-right made of printable ASCII without
// brackets or spaces.
func checkMessageID(id string) error {
	left, right, ok := strings.Cut(id, "@")
	valid := ok && left != "" && right != "" && !strings.Contains(right, "@")
	for i := 0; valid && i < len(id); i++ {
		c := id[i]
		valid = c > ' ' && c < 0x7f && c != '<' && c != '>' && c != '"' && c != '\\'
	}
	if !valid {
		return fmt.Errorf("%w: Message-ID %q is not id-left@id-right in printable ASCII", ErrInvalid, id)
	}
	return nil
}

// extraHeaders validates m.Headers and returns them sorted by name, so that
// output is reproducible.
func extraHeaders(h map[string]string) ([][2]string, error) {
	out := make([][2]string, 0, len(h))
	for name, value := range h {
		if !validFieldName(name) {
			return nil, fmt.Errorf("%w: header name %q", ErrInvalid, name)
		}
		if reserved[strings.ToLower(name)] {
			return nil, fmt.Errorf("%w: header %s is written by the mail package and cannot be set", ErrInvalid, name)
		}
		if err := checkValue(name, value); err != nil {
			return nil, err
		}
		if !isASCII(value) {
			return nil, fmt.Errorf("%w: header %s is not ASCII; encode it first", ErrInvalid, name)
		}
		out = append(out, [2]string{name, value})
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out, nil
}

// validFieldName accepts letters, digits and hyphens: every header we send.
func validFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// randomID makes a Message-ID for a message that did not bring one.
func randomID(from string) string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b) + "@" + domainOf(from)
}

// domainOf returns what follows the last @ of an address.
func domainOf(addr string) string {
	return addr[strings.LastIndexByte(addr, '@')+1:]
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
