package export

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	nethtml "golang.org/x/net/html"

	"github.com/tamizdat/tamizdat/internal/export/exporttest"
)

// scanned is one token as a test compares it.
type scanned struct {
	Kind  tokenKind
	Raw   string
	Name  string
	Attrs []attr
}

// scanAll reads every token of toks.
func scanAll(toks tokens) []scanned {
	var out []scanned
	for {
		kind, raw, ok := toks.next()
		if !ok {
			return out
		}
		tok := scanned{Kind: kind, Raw: string(raw)}
		if kind == startTagToken || kind == endTagToken {
			switch t := toks.(type) {
			case *scanner:
				tok.Name = strings.ToLower(string(t.name))
			case *tokenizer:
				tok.Name = string(t.name)
			}
		}
		if kind == startTagToken {
			tok.Attrs = toks.attrs(nil)
		}
		out = append(out, tok)
	}
}

// checkScanner fails unless the scanner cuts page exactly as the tokenizer
// does.
func checkScanner(t *testing.T, name string, page []byte) {
	t.Helper()
	want := scanAll(&tokenizer{z: nethtml.NewTokenizer(bytes.NewReader(page))})
	got := scanAll(&scanner{src: page})
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(attr{})); diff != "" {
		t.Errorf("%s: the scanner's tokens differ from the tokenizer's (-tokenizer +scanner):\n%s", name, diff)
	}
}

func TestScannerMatchesTokenizer(t *testing.T) {
	tests := map[string]string{
		"text only":                       "Hello, world.",
		"stray angles":                    "a < b and c <3 d <",
		"an end at the end":               "x </",
		"a doctype":                       "<!doctype html><html lang=en><p>x</p></html>",
		"odd declarations":                "<!><![CDATA[x]]><?xml version=\"1.0\"?></3 x></>",
		"unquoted and bare":               `<a href=../x class=a b c=d>t</a><input disabled checked=checked>`,
		"spaces around equals":            "<a  href = \"../tags/y\"\n class=z>t</a>",
		"quotes hold angles":              `<a title="1 > 0" data-x='<b>' href=x>t</a></a title=">">`,
		"upper case":                      `<A HREF="X" Class=Y><IMG SRC=z.jpg></A>`,
		"repeated attributes":             `<a href=one HREF=two href=three id=i ID=j>t</a>`,
		"solidus and equals":              `<br/><img src=x / alt=y/><a =x href=y =z/>t</a><p a=/>`,
		"entities in attributes":          `<a href="?a=1&amp;b=2&copy=3" title="&lt;&#43;&nbsp">t</a>`,
		"references html/template writes": `<link type="application/rss&#43;xml" title="It&#39;s &amp; &lt;x&gt; &#34;q&#34; &quot;&apos;&#x41;&#X42;&#0;&#128;&#xD800;&#99999999;">`,
		"references it does not write":    `<a title="&amp &lt1 &notin; &notx; &#43 &#; &#x; &amp" href="&">t</a><a title=&#43;>x</a><a x="&" y="&&amp;">`,
		"returns and NULs":                "<a href=\"x\r\ny\" ti\x00tle=\"a\x00b\">t</a>",
		"raw text":                        `<script type="application/ld+json">{"a":"<a href=x>"}</script ><style>a>b{}</STYLE><title>a<b>c</title><textarea>x</textarea>`,
		"raw text without an end":         `<p>a</p><script>if (a < b) { c() }`,
		"not quite an end tag":            `<script>x</scripty>y</script>z`,
		"a self-closed script":            `<script src=a.js />x</script>`,
		"plaintext":                       `<p>a<plaintext><a href=x></plaintext>`,
		"a tag cut short":                 `<p>a</p><a href="x`,
		"an end tag cut short":            `<p>a</p></a`,
		"forms":                           `<form action=x><form><input name=a></form></form><p>after</p>`,
	}
	for name, page := range tests {
		t.Run(name, func(t *testing.T) { checkScanner(t, name, []byte(page)) })
	}
}

// TestScannerMatchesTokenizerOnThePages compares the two on every page the
// test site renders.
func TestScannerMatchesTokenizerOnThePages(t *testing.T) {
	f := newFixture(t)
	src, err := NewSource(context.Background(), f.st, exporttest.BaseURL, nil, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(exporttest.BaseURL)
	c := newCrawl(src.Handler, base, &rewriter{site: base}, nil)
	inv, err := enumerate(context.Background(), src, time.Now(), "", exporttest.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	pages := 0
	for _, key := range inv.keys {
		res := c.fetch(context.Background(), key)
		if bytes.Contains(res.body.Bytes(), []byte("<!--")) {
			t.Errorf("%s has a comment: pages with one take the tokenizer", key)
		}
		checkScanner(t, key, res.body.Bytes())
		pages++
	}
	if pages < 60 {
		t.Errorf("compared %d pages, want all of them", pages)
	}
}

func TestPagesWithCommentsTakeTheTokenizer(t *testing.T) {
	// In a script, a comment changes where the script ends.
	page := []byte(`<script><!--<script>x</script>--></script><a href="../tags/y">t</a>`)
	if _, ok := pageTokens(page).(*tokenizer); !ok {
		t.Fatal("a page with a comment does not take the tokenizer")
	}
	rw := &rewriter{site: &url.URL{Scheme: "https", Host: "news.example"}}
	out, links := rewritePage(rw, "/articles/x", string(page))
	if want := `<script><!--<script>x</script>--></script><a href="../tags/y.html">t</a>`; out != want {
		t.Errorf("got %s, want %s", out, want)
	}
	if len(links) != 1 || links[0].to != "/tags/y" {
		t.Errorf("links %v, want one to /tags/y", links)
	}
}

// TestPlainReferences checks which tags the scanner decodes itself; the
// cases above check that it decodes them as the tokenizer does.
func TestPlainReferences(t *testing.T) {
	for tag, want := range map[string]bool{
		`<a href="x">`:                                     true,
		`<link type="application/rss&#43;xml">`:            true,
		`<a title="&amp;&lt;&gt;&quot;&apos;&#x4f;&#39;">`: true,
		`<a title="&amp">`:                                 false,
		`<a title="&copy;">`:                               false,
		`<a title="&#;">`:                                  false,
		`<a title="&#x;">`:                                 false,
		`<a title="&#43">`:                                 false,
		`<a title="x &">`:                                  false,
		`<a title="&amp;&">`:                               false,
	} {
		if got := plainReferences([]byte(tag)); got != want {
			t.Errorf("plainReferences(%s) = %v, want %v", tag, got, want)
		}
	}
}
