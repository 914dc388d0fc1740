package mail_test

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	tmail "github.com/tamizdat/tamizdat/internal/mail"
)

var testDate = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

func issueMessage() *tmail.Message {
	return &tmail.Message{
		From:      "Новая газета <news@example.org>",
		To:        "reader@example.net",
		Subject:   "Неделя: главное — and a long English tail that needs folding over several lines",
		Text:      "Hello,\n\nthe week in review. A line with trailing space \nСпасибо.\n",
		HTML:      "<p>Hello, <b>the week</b> in review.</p><p>Спасибо.</p>",
		MessageID: "issue-1-sub-2@example.org",
		Headers: map[string]string{
			"List-Id":               "Weekly <weekly.example.org>",
			"List-Unsubscribe":      "<https://example.org/newsletter/unsubscribe?t=abc>",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		},
	}
}

func TestEncodeMultipartAlternative(t *testing.T) {
	t.Parallel()
	m := issueMessage()
	raw, err := m.Encode(testDate)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line %d is %d characters long", i, len(line))
		}
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare CR or LF: %q", i, line)
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("Subject decodes to %q, %v; want %q", subject, err, m.Subject)
	}
	from, err := msg.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Новая газета" || from[0].Address != "news@example.org" {
		t.Errorf("From = %v, %v", from, err)
	}
	for name, want := range map[string]string{
		"To":                    "<reader@example.net>",
		"Message-ID":            "<issue-1-sub-2@example.org>",
		"Date":                  "Fri, 14 Mar 2025 09:30:00 +0000",
		"MIME-Version":          "1.0",
		"List-Id":               "Weekly <weekly.example.org>",
		"List-Unsubscribe":      "<https://example.org/newsletter/unsubscribe?t=abc>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	} {
		if got := msg.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type = %q, %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for _, want := range []struct{ contentType, body string }{
		{"text/plain; charset=utf-8", m.Text},
		{"text/html; charset=utf-8", m.HTML},
	} {
		part, err := mr.NextRawPart()
		if err != nil {
			t.Fatal(err)
		}
		if ct := part.Header.Get("Content-Type"); ct != want.contentType {
			t.Errorf("part Content-Type = %q, want %q", ct, want.contentType)
		}
		if cte := part.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Errorf("part encoding = %q", cte)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(part))
		if err != nil {
			t.Fatal(err)
		}
		got := strings.TrimRight(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n")
		if got != strings.TrimRight(want.body, "\n") {
			t.Errorf("%s part = %q, want %q", want.contentType, got, want.body)
		}
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("a third part or a broken end: %v", err)
	}
	again, _ := m.Encode(testDate)
	if !bytes.Equal(raw, again) {
		t.Error("encoding the same message twice gave different bytes")
	}
}

func TestEncodeTextOnly(t *testing.T) {
	t.Parallel()
	m := &tmail.Message{From: "news@example.org", To: "reader@example.net", Subject: "Plain", Text: "Just text."}
	raw, err := m.Encode(testDate)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if ct := msg.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if id := msg.Header.Get("Message-ID"); !strings.HasSuffix(id, "@example.org>") {
		t.Errorf("generated Message-ID = %q, want one at the sender's domain", id)
	}
}

func TestEncodeRefusesInjection(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(m *tmail.Message)
		want   error
	}{
		{"line break in subject", func(m *tmail.Message) { m.Subject = "Hi\r\nBcc: victim@example.com" }, tmail.ErrInvalid},
		{"bare LF in subject", func(m *tmail.Message) { m.Subject = "Hi\nBcc: victim@example.com" }, tmail.ErrInvalid},
		{"line break in sender name", func(m *tmail.Message) { m.From = "\"Evil\r\nBcc: x@y.z\" <news@example.org>" }, tmail.ErrInvalid},
		{"malformed sender", func(m *tmail.Message) { m.From = "news at example" }, tmail.ErrInvalid},
		{"line break in recipient", func(m *tmail.Message) { m.To = "a@b.c\r\nBcc: x@y.z" }, tmail.ErrBadRecipient},
		{"display name in recipient", func(m *tmail.Message) { m.To = "Reader <reader@example.net>" }, tmail.ErrBadRecipient},
		{"two recipients", func(m *tmail.Message) { m.To = "a@b.c,x@y.z" }, tmail.ErrBadRecipient},
		{"no domain", func(m *tmail.Message) { m.To = "reader@" }, tmail.ErrBadRecipient},
		{"non-ASCII local part", func(m *tmail.Message) { m.To = "читатель@example.net" }, tmail.ErrBadRecipient},
		{"line break in extra header", func(m *tmail.Message) { m.Headers["List-Id"] = "x\r\nBcc: y@z.w" }, tmail.ErrInvalid},
		{"extra header naming Bcc", func(m *tmail.Message) { m.Headers["Bcc"] = "victim@example.com" }, tmail.ErrInvalid},
		{"extra header replacing Content-Type", func(m *tmail.Message) { m.Headers["content-type"] = "text/html" }, tmail.ErrInvalid},
		{"header name with colon", func(m *tmail.Message) { m.Headers["X-A: b"] = "c" }, tmail.ErrInvalid},
		{"non-ASCII extra header", func(m *tmail.Message) { m.Headers["List-Id"] = "Неделя <weekly.example.org>" }, tmail.ErrInvalid},
		{"no text part", func(m *tmail.Message) { m.Text = "" }, tmail.ErrInvalid},
		{"Message-ID with brackets", func(m *tmail.Message) { m.MessageID = "<a@b>" }, tmail.ErrInvalid},
		{"Message-ID with a line break", func(m *tmail.Message) { m.MessageID = "a\r\n@b" }, tmail.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := issueMessage()
			tc.change(m)
			raw, err := m.Encode(testDate)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Encode() error = %v, want %v", err, tc.want)
			}
			if raw != nil {
				t.Error("Encode() returned bytes along with the error")
			}
			if tmail.Permanent(err) != (tc.want == tmail.ErrBadRecipient) {
				t.Errorf("Permanent(%v) = %v", err, tmail.Permanent(err))
			}
		})
	}
}

func TestParseRecipient(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"reader@example.net":           "reader@example.net",
		"reader+news@example.net":      "reader+news@example.net",
		"reader@bücher.example":        "reader@xn--bcher-kva.example",
		"reader@почта.рф":              "reader@xn--80a1acny.xn--p1ai",
		"reader@xn--80a1acny.xn--p1ai": "reader@xn--80a1acny.xn--p1ai",
	} {
		got, err := tmail.ParseRecipient(in)
		if err != nil || got != want {
			t.Errorf("ParseRecipient(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "reader", "reader@localhost", "a@@b.c", "a b@c.d", "<a@b.c>", "a@-bad-.example"} {
		if got, err := tmail.ParseRecipient(in); !errors.Is(err, tmail.ErrBadRecipient) {
			t.Errorf("ParseRecipient(%q) = %q, %v; want ErrBadRecipient", in, got, err)
		}
	}
}

// FuzzQuotedPrintable checks the part encoder against the standard
// library's decoder, and the line rules of RFC 2045 §6.7.
func FuzzQuotedPrintable(f *testing.F) {
	for _, seed := range []string{
		"Hello.", "trailing space \nand tab\t\n", "= signs = everywhere ==", "Привет, мир",
		strings.Repeat("x", 75) + "=" + strings.Repeat("y", 200), strings.Repeat("word ", 40),
		"lone\rreturn", "crlf\r\nline\r\n", "\n\n\n", ".leading dot\n.", strings.Repeat("é", 100) + " \n",
		strings.Repeat("a", 74) + " ", strings.Repeat("a", 73) + "\x00\x01",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" {
			return
		}
		m := &tmail.Message{From: "news@example.org", To: "reader@example.net", Text: s, MessageID: "a@b"}
		raw, err := m.Encode(testDate)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(msg.Body)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(body), "\r\n"), "\r\n")
		for _, line := range lines {
			if len(line) > 76 {
				t.Fatalf("encoded line of %d characters: %q", len(line), line)
			}
			if strings.HasSuffix(line, " ") || strings.HasSuffix(line, "\t") {
				t.Fatalf("encoded line ends in white space: %q", line)
			}
			for _, c := range []byte(line) {
				if (c < ' ' || c > '~') && c != '\t' {
					t.Fatalf("encoded line carries byte %#x: %q", c, line)
				}
			}
		}
		decoded, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		want := strings.ReplaceAll(s, "\r\n", "\n")
		if !strings.HasSuffix(want, "\n") {
			want += "\n"
		}
		if got := strings.ReplaceAll(string(decoded), "\r\n", "\n"); got != want {
			t.Fatalf("round trip of %q gave %q", want, got)
		}
	})
}
