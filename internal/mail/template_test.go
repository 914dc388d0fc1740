package mail_test

import (
	"bytes"
	"strings"
	"testing"

	tmail "github.com/tamizdat/tamizdat/internal/mail"
)

// encodedBoth encodes m twice: with TextFill and HTMLFill from texts and
// values, and with the same text filled in by hand as Text and HTML.
func encodedBoth(t *testing.T, texts, values []string) (filled, plain []byte) {
	t.Helper()
	tmpl := tmail.NewTemplate(texts...)
	m := issueMessage()
	m.Text, m.HTML = "", ""
	m.TextFill, m.HTMLFill = tmpl.Fill(values...), tmpl.Fill(values...)
	filled, err := m.Encode(testDate)
	if err != nil {
		t.Fatal(err)
	}
	whole := m.TextFill.String()
	if got := m.PlainText(); got != whole {
		t.Errorf("PlainText() = %q; want %q", got, whole)
	}
	m.TextFill, m.HTMLFill = nil, nil
	m.Text, m.HTML = whole, whole
	plain, err = m.Encode(testDate)
	if err != nil {
		t.Fatal(err)
	}
	return filled, plain
}

func TestTemplateEncodesAsTheWholeText(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("A long line that quoted-printable must break softly = ", 4)
	for _, tc := range []struct {
		name   string
		texts  []string
		values []string
	}{
		{"links in the footer", []string{"News\n\nStory one.\nStory two.\nManage: ", "\nUnsubscribe: ", "\n"},
			[]string{"https://example.org/m?t=1", "https://example.org/u?t=2"}},
		{"slots mid-line, no final break", []string{"Hi ", ", your link is ", " today"}, []string{"Ана", "https://x/y"}},
		{"a slot in a long line", []string{long, long + "\n" + long}, []string{"=é="}},
		{"line breaks at every edge", []string{"\n", "\n\n", "\r\n"}, []string{"\n", ""}},
		{"CRLF split by a slot", []string{"one\r", "\ntwo\r\n"}, []string{""}},
		{"trailing space before a slot", []string{"space \n", " \nend "}, []string{" "}},
		{"no slots", []string{"just text\nand more\n"}, nil},
		{"missing values", []string{"a\n", "b\n", "c"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			filled, plain := encodedBoth(t, tc.texts, tc.values)
			if !bytes.Equal(filled, plain) {
				t.Errorf("encoded from the template:\n%q\nencoded from the whole text:\n%q", filled, plain)
			}
		})
	}
}

// FuzzTemplate checks that a filled template always encodes exactly as its
// whole text does.
func FuzzTemplate(f *testing.F) {
	f.Add("Story.\nManage: ", "\nUnsubscribe: ", "\n", "https://a/b", "https://c/d")
	f.Add("x", "\r", "\n\n", "=", " ")
	f.Fuzz(func(t *testing.T, a, b, c, v1, v2 string) {
		if a+v1+b+v2+c == "" {
			return // a message needs a text part
		}
		filled, plain := encodedBoth(t, []string{a, b, c}, []string{v1, v2})
		if !bytes.Equal(filled, plain) {
			t.Errorf("encoded from the template:\n%q\nencoded from the whole text:\n%q", filled, plain)
		}
	})
}
