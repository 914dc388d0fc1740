package render

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestBaseLayout renders pages framed by a layout from another file
// system: each page fills the layout's blocks or keeps their defaults, and
// a layout that does not parse stops New.
func TestBaseLayout(t *testing.T) {
	base := fstest.MapFS{"_layout.html": {Data: []byte(`{{define "page"}}<head>{{block "meta" .}}default{{end}}</head>{{template "content" .}}|{{block "note" .}}{{.}} note{{end}}{{end}}`)}}
	pages := fstest.MapFS{
		"t/_partials.html": {Data: []byte(`{{define "note"}}section note{{end}}`)},
		"t/plain.html":     {Data: []byte(`{{define "content"}}plain {{.}}{{end}}`)},
		"t/meta.html":      {Data: []byte(`{{define "meta"}}own{{end}}{{define "content"}}with meta{{end}}`)},
	}
	r, err := New(pages, "t", nil, base)
	if err != nil {
		t.Fatal(err)
	}
	for page, want := range map[string]string{
		"plain": "<head>default</head>plain x|section note",
		"meta":  "<head>own</head>with meta|section note",
	} {
		got, err := r.Render(page, "x")
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("page %s = %q, want %q", page, got, want)
		}
	}

	broken := fstest.MapFS{"_layout.html": {Data: []byte(`{{define "page"}}{{if}}{{end}}`)}}
	if _, err := New(pages, "t", nil, broken); err == nil || !strings.Contains(err.Error(), "base") {
		t.Errorf("a layout that does not parse gave %v, want an error naming the base", err)
	}
}

// TestRenderTemplate renders a fragment a page's files define, escaped as
// where the page would call it, in HTML text.
func TestRenderTemplate(t *testing.T) {
	pages := fstest.MapFS{
		"t/_partials.html": {Data: []byte(`{{define "item"}}<li title="{{.}}">{{.}}</li>{{end}}`)},
		"t/list.html":      {Data: []byte(`{{define "page"}}<ul>{{template "item" .}}</ul>{{end}}`)},
	}
	r, err := New(pages, "t", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.RenderTemplate("list", "item", `a "b" & <c>`)
	if err != nil {
		t.Fatal(err)
	}
	if want := `<li title="a &#34;b&#34; &amp; &lt;c&gt;">a &#34;b&#34; &amp; &lt;c&gt;</li>`; got != want {
		t.Errorf("RenderTemplate = %q, want %q", got, want)
	}
	if _, err := r.RenderTemplate("missing", "item", nil); err == nil {
		t.Error("RenderTemplate of a page that does not exist gave no error")
	}
}

// TestSendOnlyWholePages checks that a page that fails part-way sends
// nothing, and that buffers reused from page to page hold nothing of the
// page before.
func TestSendOnlyWholePages(t *testing.T) {
	pages := fstest.MapFS{"t/p.html": {Data: []byte(`{{define "page"}}{{.Text}}{{if .Fail}}{{index .Text 99}}{{end}}{{end}}`)}}
	r, err := New(pages, "t", nil)
	if err != nil {
		t.Fatal(err)
	}
	type data struct {
		Text string
		Fail bool
	}
	sent := 0
	if err := r.Send("p", data{"a long first page", true}, func([]byte) error { sent++; return nil }); err == nil || sent != 0 {
		t.Errorf("a failing page: error %v and %d sends, want an error and none", err, sent)
	}
	if err := r.Send("p", data{"short", false}, func(b []byte) error {
		if string(b) != "short" {
			t.Errorf("sent %q, want short", b)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
