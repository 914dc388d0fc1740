package content

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"
)

// xssSeeds are classic injection vectors, in raw HTML and Markdown forms.
var xssSeeds = []string{
	`<script>alert(1)</script>`,
	`<<script>script>alert(1)<</script>/script>`,
	`<scr<script>ipt>alert(1)</script>`,
	`<img src=x onerror=alert(1)>`,
	`<img src="/a.jpg" srcset="javascript:alert(1) 1x, data:image/png;base64,AA 2x">`,
	`<svg onload=alert(1)><script>alert(1)</script></svg>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
	`<a href="javascript:alert(1)">x</a>`,
	`<a href=" javascript:alert(1)">x</a>`,
	"<a href=\"\x01javascript:alert(1)\">x</a>",
	`<a href="&#x6A;avascript:alert(1)">x</a>`,
	`<a href="jav&#x09;ascript:alert(1)">x</a>`,
	`<a href="vbscript:msgbox(1)">x</a>`,
	`<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>`,
	`[x](javascript:alert(1))`,
	`[x](JAVASCRIPT:alert(1) "t")`,
	`![x](javascript:alert(1))`,
	`[x](data:text/html;base64,PHNjcmlwdD4=)`,
	`<javascript:alert(1)>`,
	"[x]: javascript:alert(1)\n\n[x]",
	`<iframe src="javascript:alert(1)"></iframe>`,
	`<iframe srcdoc="<script>alert(1)</script>"></iframe>`,
	`<IFRAME SRC="https://www.youtube.com/embed/x"></IFRAME>`,
	`<iframe src=https://a.example/c>`,
	`<iframe src="https://a.example/"onload="alert(1)"></iframe>`,
	`<object data="data:text/html,<script>alert(1)</script>"></object>`,
	`<embed src="https://evil.example/x.swf">`,
	`<base href="https://evil.example/">`,
	`<style>body{display:none}</style>`,
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`<form action="https://evil.example"><input name=p><button>go</button></form>`,
	`<!-- <script>alert(1)</script> -->`,
	`<![CDATA[<script>alert(1)</script>]]>`,
	"www.example.com/<script>alert(1)</script>",
	"```\n<script>alert(1)</script>\n```",
	"| <script>alert(1)</script> | x |\n|-|-|\n| <img src=x onerror=alert(1)> | y |",
}

func FuzzRender(f *testing.F) {
	for _, s := range xssSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, markdown string) {
		got, err := Render(markdown)
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		if problem := unsafeHTML(got.HTML); problem != "" {
			t.Fatalf("%s in output of %q:\n%s", problem, markdown, got.HTML)
		}
		if strings.HasPrefix(got.Text, "\n") || strings.HasSuffix(got.Text, "\n") || strings.Contains(got.Text, "\n\n\n") {
			t.Fatalf("stray line breaks in Text of %q: %q", markdown, got.Text)
		}
	})
}

func FuzzExcerpt(f *testing.F) {
	f.Add("Hello world. Second sentence here.", 12)
	f.Add("Привет, мир! Как дела?", 5)
	f.Add("U.S. and В. Путин…", 1)
	f.Fuzz(func(t *testing.T, text string, maxRunes int) {
		maxRunes %= 500
		got := Excerpt(text, maxRunes)
		if n := utf8.RuneCountInString(got); n > max(maxRunes, 0) {
			t.Fatalf("Excerpt(%q, %d) = %q, %d runes", text, maxRunes, got, n)
		}
		if utf8.ValidString(text) && !utf8.ValidString(got) {
			t.Fatalf("Excerpt(%q, %d) = %q, invalid UTF-8", text, maxRunes, got)
		}
	})
}

var slugShape = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

func FuzzSlug(f *testing.F) {
	for _, s := range []string{"Лавров и Рубио", "Київ і Зеленський", "U.S. “talks”", "🎉", strings.Repeat("word ", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, title string) {
		got := Slug(title)
		if len(got) > MaxSlugLength || !slugShape.MatchString(got) {
			t.Fatalf("Slug(%q) = %q", title, got)
		}
	})
}

func TestXSSSeedsAreSafe(t *testing.T) {
	for _, s := range xssSeeds {
		t.Run(s, func(t *testing.T) {
			got, err := Render(s)
			if err != nil {
				t.Fatal(err)
			}
			if problem := unsafeHTML(got.HTML); problem != "" {
				t.Errorf("%s:\n%s", problem, got.HTML)
			}
		})
	}
}

func TestUnsafeHTMLDetects(t *testing.T) {
	// The fuzz oracle must itself catch what it looks for.
	for _, s := range []string{
		`<script>x</script>`, `<IFRAME src="https://a"></IFRAME>`, `<object>`, `<base href="/">`, `<style>`,
		`<p onclick="x">`, `<img src="/a" ONERROR="x">`, `<p style="x">`,
		`<a href="javascript:x">`, `<a href=" JavaScript:x">`, `<img src="data:image/png,AA">`,
		`<img srcset="/a 1x, vbscript:x 2x">`, `<video>`,
	} {
		if unsafeHTML(s) == "" {
			t.Errorf("unsafeHTML(%q) found nothing", s)
		}
	}
	if p := unsafeHTML(`<p>Text about javascript: and onclick="x" and data: URLs</p><a href="https://e.org/?q=javascript:">x</a>`); p != "" {
		t.Errorf("false positive: %s", p)
	}
}

// allowedOutputTags are all elements the policy may emit.
var allowedOutputTags = map[string]bool{
	"p": true, "br": true, "hr": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"em": true, "strong": true, "b": true, "i": true, "s": true, "del": true, "sub": true, "sup": true,
	"mark": true, "cite": true, "q": true, "abbr": true, "code": true, "pre": true, "blockquote": true,
	"ul": true, "ol": true, "li": true, "table": true, "caption": true, "thead": true, "tbody": true,
	"tfoot": true, "tr": true, "th": true, "td": true, "figure": true, "figcaption": true, "a": true, "img": true,
}

// unsafeHTML describes the first dangerous construct in sanitized output, or
// returns "". Text may mention "javascript:" or "onclick=" harmlessly (it is
// escaped), so tags, attributes and URL schemes are checked on the parsed
// tokens; raw "<script"-like strings can only be tags because sanitized
// text always escapes "<".
func unsafeHTML(out string) string {
	lower := strings.ToLower(out)
	for _, tag := range []string{"<script", "<iframe", "<object", "<embed", "<base", "<style", "<form"} {
		if strings.Contains(lower, tag) {
			return tag
		}
	}
	z := xhtml.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			return ""
		}
		if tt != xhtml.StartTagToken && tt != xhtml.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if !allowedOutputTags[tok.Data] {
			return "element <" + tok.Data + ">"
		}
		for _, a := range tok.Attr {
			switch {
			case strings.HasPrefix(a.Key, "on"):
				return "event handler " + a.Key
			case a.Key == "style":
				return "inline style"
			case a.Key == "href" || a.Key == "src":
				if !safeScheme(a.Val) {
					return a.Key + "=" + a.Val
				}
			case a.Key == "srcset":
				for _, candidate := range strings.Split(a.Val, ",") {
					if !safeScheme(candidate) {
						return "srcset " + a.Val
					}
				}
			}
		}
	}
}

// safeScheme reports whether a URL is relative or uses http, https or mailto,
// reading it as leniently as a browser would.
func safeScheme(u string) bool {
	u = strings.Map(func(r rune) rune {
		if r <= ' ' {
			return -1 // browsers ignore whitespace and controls in schemes
		}
		return r
	}, strings.ToLower(u))
	colon := strings.IndexByte(u, ':')
	if colon < 0 || strings.ContainsAny(u[:colon], "/?#") {
		return true
	}
	switch u[:colon] {
	case "http", "https", "mailto":
		return true
	}
	return false
}
