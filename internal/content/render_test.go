package content

import (
	"os"
	"strings"
	"testing"
)

func TestRenderRemovesDangerousMarkup(t *testing.T) {
	tests := []struct {
		name     string
		markdown string
		absent   []string // case-insensitive
		present  []string
	}{
		{"script element", "Hi <script>alert(1)</script> there", []string{"<script", "alert(1)"}, []string{"Hi", "there"}},
		{"script block", "<script>\nalert(1)\n</script>\n\nAfter", []string{"<script", "alert"}, []string{"<p>After</p>"}},
		{"onerror on img", `<img src="/a.jpg" onerror="alert(1)">`, []string{"onerror", "alert"}, []string{`<img src="/a.jpg">`}},
		{"onclick on link", `<a href="/x" onclick="steal()">x</a>`, []string{"onclick", "steal"}, []string{`<a href="/x">x</a>`}},
		{"onmouseover on p", `<p onmouseover="x()">t</p>`, []string{"onmouseover"}, []string{"<p>t</p>"}},
		{"svg onload", `<svg onload="alert(1)"><circle/></svg>`, []string{"<svg", "onload"}, nil},
		{"markdown javascript link", "[x](javascript:alert(1))", []string{"javascript:", "href"}, []string{"x"}},
		{"html javascript link", `<a href="javascript:alert(1)">x</a>`, []string{"javascript:", "href"}, []string{"x"}},
		{"mixed case scheme", `<a href="JaVaScRiPt:alert(1)">x</a>`, []string{"javascript:", "href"}, nil},
		{"entity encoded scheme", `<a href="&#106;avascript:alert(1)">x</a>`, []string{"javascript:", "href", "&#106;"}, nil},
		{"tab inside scheme", `<a href="java&#x09;script:alert(1)">x</a>`, []string{"script:", "href"}, nil},
		{"vbscript link", `<a href="vbscript:msgbox(1)">x</a>`, []string{"vbscript", "href"}, nil},
		{"data link", "[x](data:text/html;base64,PHNjcmlwdD4=)", []string{"data:", "href"}, nil},
		{"data image", `<img src="data:image/png;base64,AAAA" alt="a">`, []string{"data:", "src="}, nil},
		{"markdown image with javascript", "![a](javascript:alert(1))", []string{"javascript:", "src="}, nil},
		{"plain http image", `<img src="http://tracker.example/p.gif" alt="a">`, []string{"tracker", "src="}, nil},
		{"protocol-relative image", `<img src="//tracker.example/p.gif" alt="a">`, []string{"tracker", "src="}, nil},
		{"srcset with javascript", `<img src="/a.jpg" srcset="javascript:alert(1) 1x">`, []string{"srcset", "javascript"}, []string{`<img src="/a.jpg">`}},
		{"style element", "<style>body{display:none}</style>\n\nText", []string{"<style", "display"}, []string{"Text"}},
		{"inline style", `<p style="position:fixed">x</p>`, []string{"style", "fixed"}, []string{"<p>x</p>"}},
		{"object", `<object data="https://evil.example/x.swf"></object>`, []string{"<object", "evil"}, nil},
		{"embed", `<embed src="https://evil.example/x.swf">`, []string{"<embed", "evil"}, nil},
		{"base", `<base href="https://evil.example/">`, []string{"<base", "evil"}, nil},
		{"form", `<form action="https://evil.example/"><input name="p"></form>`, []string{"<form", "<input", "evil"}, nil},
		{"raw h1", "<h1>Big</h1>", []string{"<h1"}, []string{"Big"}},
		{"iframe with javascript src", `<iframe src="javascript:alert(1)"></iframe>`, []string{"<iframe", "javascript", "href"}, nil},
		{"iframe srcdoc", `<iframe srcdoc="<script>alert(1)</script>"></iframe>`, []string{"<iframe", "<script", "alert", "href"}, nil},
		{"comment", "<!-- secret note -->\n\nText", []string{"secret", "<!--"}, []string{"Text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render(tt.markdown)
			if err != nil {
				t.Fatal(err)
			}
			lower := strings.ToLower(got.HTML)
			for _, s := range tt.absent {
				if strings.Contains(lower, strings.ToLower(s)) {
					t.Errorf("HTML contains %q:\n%s", s, got.HTML)
				}
			}
			for _, s := range tt.present {
				if !strings.Contains(got.HTML, s) {
					t.Errorf("HTML lacks %q:\n%s", s, got.HTML)
				}
			}
		})
	}
}

func TestRenderKeepsFormatting(t *testing.T) {
	tests := []struct {
		name     string
		markdown string
		want     string
	}{
		{"paragraphs", "One.\n\nTwo.", "<p>One.</p>\n<p>Two.</p>\n"},
		{"emphasis", "*a* **b** ~~c~~ `d`", "<p><em>a</em> <strong>b</strong> <del>c</del> <code>d</code></p>\n"},
		{"external link gets noreferrer", `[a](https://e.org/x "T")`, `<p><a href="https://e.org/x" title="T" rel="noreferrer">a</a></p>` + "\n"},
		{"relative link untouched", "[a](/news/x)", `<p><a href="/news/x">a</a></p>` + "\n"},
		{"mailto link", "<mailto:tips@example.org>", `<p><a href="mailto:tips@example.org">mailto:tips@example.org</a></p>` + "\n"},
		{"bare www link", "see www.example.org", `<p>see <a href="http://www.example.org" rel="noreferrer">www.example.org</a></p>` + "\n"},
		// No typographer: straight quotes stay straight, others stay as typed.
		{"quotes as typed", `"a" 'b' «в» “d” -- ...`, "<p>&#34;a&#34; &#39;b&#39; «в» “d” -- ...</p>\n"},
		{"unordered list", "- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"},
		{"ordered list keeps start", "3. a\n4. b", "<ol start=\"3\">\n<li>a</li>\n<li>b</li>\n</ol>\n"},
		{"blockquote", "> said", "<blockquote>\n<p>said</p>\n</blockquote>\n"},
		{"h1 demoted, others kept", "# A\n\n## B\n\n###### C", "<h2>A</h2>\n<h2>B</h2>\n<h6>C</h6>\n"},
		{"table alignment", "| a | b |\n|:-|-:|\n| 1 | 2 |",
			"<table>\n<thead>\n<tr>\n<th align=\"left\">a</th>\n<th align=\"right\">b</th>\n</tr>\n</thead>\n" +
				"<tbody>\n<tr>\n<td align=\"left\">1</td>\n<td align=\"right\">2</td>\n</tr>\n</tbody>\n</table>\n"},
		{"fenced code", "```go\nx := 1\n```", "<pre><code class=\"language-go\">x := 1\n</code></pre>\n"},
		{"rule and break", "a  \nb\n\n---", "<p>a<br>\nb</p>\n<hr>\n"},
		{"figure with image", `<figure><img src="/m/a.jpg" srcset="/m/a-800.jpg 800w, https://cdn.example/a.jpg 2x" alt="A" width="800" height="450" loading="lazy"><figcaption>Cap</figcaption></figure>`,
			`<figure><img src="/m/a.jpg" srcset="/m/a-800.jpg 800w, https://cdn.example/a.jpg 2x" alt="A" width="800" height="450" loading="lazy"><figcaption>Cap</figcaption></figure>`},
		{"https image", "![Alt](https://cdn.example/a.jpg)", `<p><img src="https://cdn.example/a.jpg" alt="Alt"></p>` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render(tt.markdown)
			if err != nil {
				t.Fatal(err)
			}
			if got.HTML != tt.want {
				t.Errorf("Render(%q).HTML\n got: %q\nwant: %q", tt.markdown, got.HTML, tt.want)
			}
		})
	}
}

func TestRenderTurnsIframesIntoLinks(t *testing.T) {
	const yt = "https://www.youtube.com/embed/abc"
	link := `<a href="` + yt + `" rel="noreferrer">` + yt + `</a>`
	tests := []struct {
		name     string
		markdown string
		want     string
	}{
		{"block embed", "Watch:\n\n<iframe width=\"560\" src=\"" + yt + "\" allowfullscreen></iframe>\n\nAfter.",
			"<p>Watch:</p>\n" + link + "\n<p>After.</p>\n"},
		{"inline embed", `Watch <iframe src="` + yt + `"></iframe> now.`, "<p>Watch " + link + " now.</p>\n"},
		{"upper case tag", `<IFRAME SRC="` + yt + `"></IFRAME>`, link},
		{"fallback content dropped", `<iframe src="` + yt + `">Your browser cannot show frames</iframe>`, link},
		{"protocol-relative src", `<iframe src="//www.youtube.com/embed/abc"></iframe>`, link},
		{"query string escaped", `<iframe src="https://e.org/v?a=1&amp;b=2"></iframe>`,
			`<a href="https://e.org/v?a=1&amp;b=2" rel="noreferrer">https://e.org/v?a=1&amp;b=2</a>`},
		{"no src", "<iframe></iframe>\n\nText", "\n<p>Text</p>\n"},
		{"relative src", "<iframe src=\"/local\"></iframe>\n\nText", "\n<p>Text</p>\n"},
		{"unclosed keeps the rest", "<iframe src=\"" + yt + "\">\n\nRest of *story*", link + "\n<p>Rest of <em>story</em></p>\n"},
		{"escaped in code stays text", "`<iframe src=\"x\">`", "<p><code>&lt;iframe src=&#34;x&#34;&gt;</code></p>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render(tt.markdown)
			if err != nil {
				t.Fatal(err)
			}
			if got.HTML != tt.want {
				t.Errorf("Render(%q).HTML\n got: %q\nwant: %q", tt.markdown, got.HTML, tt.want)
			}
		})
	}
}

func TestEmbedsToLinksCopiesEverythingElse(t *testing.T) {
	const before = "<p class=x>A &amp; B</p>\n<!-- c --><div data-x='1'>é</div>"
	const after = "<p>end</p>"
	got := string(embedsToLinks([]byte(before + `<iframe src="https://e.org/v"></iframe>` + after)))
	want := before + `<a href="https://e.org/v">https://e.org/v</a>` + after
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestRenderText(t *testing.T) {
	tests := []struct {
		name     string
		markdown string
		want     string
	}{
		{"paragraphs", "One *two*\nthree.\n\nFour.", "One two three.\n\nFour."},
		{"heading list quote", "## Head\n\n- a\n- b\n\n> q", "Head\n\na\n\nb\n\nq"},
		{"line break", "a  \nb", "a\nb"},
		{"code block keeps lines", "```\nif x {\n  y()\n}\n```", "if x {\n  y()\n}"},
		{"entities decoded", "Tom &amp; Jerry \"quoted\" «ёлка»", "Tom & Jerry \"quoted\" «ёлка»"},
		{"table cells", "| a | b |\n|-|-|\n| 1 | 2 |", "a b\n\n1 2"},
		{"removed script leaves no text", "x <script>alert(1)</script> y", "x y"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render(tt.markdown)
			if err != nil {
				t.Fatal(err)
			}
			if got.Text != tt.want {
				t.Errorf("Render(%q).Text = %q, want %q", tt.markdown, got.Text, tt.want)
			}
		})
	}
}

func TestRenderArticle(t *testing.T) {
	md, err := os.ReadFile("testdata/article.md")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Render(string(md))
	if err != nil {
		t.Fatal(err)
	}
	if n := WordCount(got.Text); n < 600 || n > 800 {
		t.Errorf("WordCount(Text) = %d, want about 700", n)
	}
	for _, s := range []string{
		`<h2>What was discussed</h2>`,
		`<a href="https://www.youtube.com/embed/dQw4w9WgXcQ" rel="noreferrer">`,
		`<figcaption>Top U.S. and Russian diplomats`,
		`&#34;agreed to continue working`,
	} {
		if !strings.Contains(got.HTML, s) {
			t.Errorf("HTML lacks %q", s)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	md, err := os.ReadFile("testdata/article.md")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(md)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(string(md)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRenderWithSizesImages: an image the ImageFunc knows gets its srcset,
// sizes, dimensions and lazy loading; others stay as written; the
// sanitizer keeps the attributes.
func TestRenderWithSizesImages(t *testing.T) {
	known := "/media/ab/ab00000000000000000000000000000000.jpg"
	images := func(src string) (Image, bool) {
		if src != known {
			return Image{}, false
		}
		return Image{Srcset: "/media/ab/x-480.jpg 480w, " + known + " 1200w", Sizes: "(min-width: 46rem) 42rem, 100vw", Width: 1200, Height: 800}, true
	}
	r, err := RenderWith("![Rescuers at work]("+known+")\n\n![Other](/media/demo/river.jpg)", images)
	if err != nil {
		t.Fatal(err)
	}
	want := `<img src="` + known + `" alt="Rescuers at work" srcset="/media/ab/x-480.jpg 480w, ` + known + ` 1200w" sizes="(min-width: 46rem) 42rem, 100vw" width="1200" height="800" loading="lazy" decoding="async">`
	if !strings.Contains(r.HTML, want) {
		t.Errorf("the known image is rendered as\n%s\nwant\n%s", r.HTML, want)
	}
	if !strings.Contains(r.HTML, `<img src="/media/demo/river.jpg" alt="Other">`) {
		t.Errorf("the other image changed:\n%s", r.HTML)
	}
	plain, err := Render("![Rescuers at work](" + known + ")")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.HTML, "srcset") {
		t.Errorf("Render without an ImageFunc added a srcset: %s", plain.HTML)
	}
	// Written by hand, a sizes attribute with anything but a media
	// condition and lengths is dropped.
	hand, err := Render(`<img src="/a.jpg" alt="a" sizes="x&quot;onerror=alert(1)">`)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(hand.HTML, "sizes") || strings.Contains(hand.HTML, "onerror") {
		t.Errorf("a bad sizes attribute passed: %s", hand.HTML)
	}
}
