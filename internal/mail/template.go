package mail

import (
	"bytes"
	"strings"
)

// A Template is the text of a message part with slots for what differs
// between recipients, such as their unsubscribe links. Quoted-printable
// encodes line by line, so the lines that hold no slot are encoded once
// when the template is made: sending one issue to many recipients then
// encodes only the few lines around their values, instead of the whole
// text for each.
type Template struct {
	pieces []piece
}

// piece is the text between two slots (or before the first, or after the
// last), split at its first and last line break.
type piece struct {
	text string
	// head is the text up to the first line break, which continues the
	// line a slot before it started; tail the text after the last line
	// break, which a slot after it continues. Without a line break the
	// whole piece is both, and broken is false.
	head, tail string
	broken     bool
	// lines are the complete lines in between, encoded, each with CRLF.
	lines string
}

// NewTemplate makes a template from the texts around its slots: n texts
// make n-1 slots. Line breaks are \n or \r\n, as in Message.Text.
func NewTemplate(texts ...string) *Template {
	t := &Template{pieces: make([]piece, len(texts))}
	for i, text := range texts {
		p := piece{text: text, head: text, tail: text}
		first, last := strings.IndexByte(text, '\n'), strings.LastIndexByte(text, '\n')
		if first >= 0 {
			p.broken = true
			p.head, p.tail = text[:first], text[last+1:]
			var b bytes.Buffer
			if i == 0 {
				// Nothing comes before the first piece: its first line is
				// complete too.
				writeQPLines(&b, text[:last+1])
				p.head = ""
			} else if first < last {
				writeQPLines(&b, text[first+1:last+1])
			}
			p.lines = b.String()
		}
		t.pieces[i] = p
	}
	return t
}

// Fill returns the template with values in its slots, in order. Missing
// values are empty; extra ones are ignored.
func (t *Template) Fill(values ...string) *Filled {
	return &Filled{t: t, values: values}
}

// Filled is a template with one recipient's values, for Message.TextFill
// and Message.HTMLFill.
type Filled struct {
	t      *Template
	values []string
}

// value is the value of slot i.
func (f *Filled) value(i int) string {
	if i < len(f.values) {
		return f.values[i]
	}
	return ""
}

// size is about the length of the encoded text, to size buffers; 0 for nil.
func (f *Filled) size() int {
	if f == nil {
		return 0
	}
	n := 0
	for _, p := range f.t.pieces {
		n += len(p.lines) + len(p.head) + len(p.tail)
	}
	for _, v := range f.values {
		n += len(v)
	}
	return n
}

// String returns the text, as Message.Text would hold it.
func (f *Filled) String() string {
	var b strings.Builder
	for i, p := range f.t.pieces {
		if i > 0 {
			b.WriteString(f.value(i - 1))
		}
		b.WriteString(p.text)
	}
	return b.String()
}

// encode writes the text quoted-printable with CRLF line breaks, as
// writeQPLines would write String(), reusing the template's encoded lines.
func (f *Filled) encode(b *bytes.Buffer) {
	// open gathers the line that slots and the pieces' edges share.
	var open strings.Builder
	for i, p := range f.t.pieces {
		if i > 0 {
			open.WriteString(f.value(i - 1))
		}
		if !p.broken {
			open.WriteString(p.text)
			continue
		}
		if i > 0 {
			open.WriteString(p.head)
			writeQPLines(b, open.String()+"\n")
		}
		b.WriteString(p.lines)
		open.Reset()
		open.WriteString(p.tail)
	}
	writeQPLines(b, open.String())
}
