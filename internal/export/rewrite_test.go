package export

import (
	"bytes"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
)

func TestFileFor(t *testing.T) {
	tests := []struct {
		key, file string
		page      bool
		err       string
	}{
		{"/", "index.html", true, ""},
		{"/?page=2", "index.page-2.html", true, ""},
		{"/articles/x", "articles/x.html", true, ""},
		{"/tags/x?page=13", "tags/x.page-13.html", true, ""},
		{"/archive/2025/03", "archive/2025/03.html", true, ""},
		{"/tags/", "tags/index.html", true, ""},
		{"/feed.xml", "feed.xml", false, ""},
		{"/tags/x/atom.xml", "tags/x/atom.xml", false, ""},
		{"/static/abc/site.css", "static/abc/site.css", false, ""},
		{"/media/a%20b.jpg", "media/a%20b.jpg", false, ""},
		{"/?page=1", "", false, "query"},
		{"/?page=02", "", false, "query"},
		{"/?page=x", "", false, "query"},
		{"/?q=news", "", false, "query"},
		{"/feed.xml?page=2", "", false, "query"},
		{"/a//b", "", false, "segment"},
		{"/a/%2e%2e/b", "", false, "segment"},
		{"/a%2fb", "", false, "segment"},
		{"/manifest.json", "", false, "overwrite"},
		{"relative", "", false, "not a site path"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			file, page, err := fileFor(tt.key)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("fileFor(%q) = %q, %v; want an error about %q", tt.key, file, err, tt.err)
				}
				return
			}
			if err != nil || file != tt.file || page != tt.page {
				t.Errorf("fileFor(%q) = %q, %v, %v; want %q, %v", tt.key, file, page, err, tt.file, tt.page)
			}
		})
	}
}

func TestRelPath(t *testing.T) {
	tests := []struct{ dir, file, want string }{
		{"", "index.html", "index.html"},
		{"", "articles/x.html", "articles/x.html"},
		{"articles", "index.html", "../index.html"},
		{"articles", "articles/y.html", "y.html"},
		{"archive/2025", "tags/x.html", "../../tags/x.html"},
		{"tags", "tags/x/feed.xml", "x/feed.xml"},
		{"", "a:b.html", "./a:b.html"},
	}
	for _, tt := range tests {
		// The result must also resolve back to the file, as a browser would.
		base, _ := url.Parse("http://h/" + path.Join(tt.dir, "page.html"))
		got := relPath(tt.dir, tt.file)
		ref, _ := url.Parse(got)
		if got != tt.want || base.ResolveReference(ref).Path != "/"+tt.file {
			t.Errorf("relPath(%q, %q) = %q (resolves to %s), want %q", tt.dir, tt.file, got, base.ResolveReference(ref).Path, tt.want)
		}
	}
}

func TestRewritePage(t *testing.T) {
	rw := &rewriter{site: &url.URL{Scheme: "https", Host: "news.example"}, live: "https://live.example"}
	tests := []struct {
		name, key, in, want string
		links               []string
	}{
		{"page links gain .html", "/articles/x",
			`<a href="../">Home</a><a class=x href="../tags/y">Y</a><a href='../archive'>A</a>`,
			`<a href="../index.html">Home</a><a class=x href="../tags/y.html">Y</a><a href="../archive.html">A</a>`,
			[]string{"/", "/tags/y", "/archive"}},
		{"pagination", "/tags/y?page=2",
			`<a href="?page=3" rel="next">Older</a><a href="y" rel="prev">Newer</a>`,
			`<a href="y.page-3.html" rel="next">Older</a><a href="y.html" rel="prev">Newer</a>`,
			[]string{"/tags/y?page=3", "/tags/y"}},
		{"front page pagination", "/?page=2",
			`<a href="./">Newer</a><a href="?page=3">Older</a>`,
			`<a href="index.html">Newer</a><a href="index.page-3.html">Older</a>`,
			[]string{"/", "/?page=3"}},
		{"files keep relative links", "/articles/x",
			`<link rel="stylesheet" href="../static/h/site.css"><img src="../media/a.jpg" alt="">`,
			`<link rel="stylesheet" href="../static/h/site.css"><img src="../media/a.jpg" alt="">`,
			[]string{"/static/h/site.css", "/media/a.jpg"}},
		{"root-relative and main-site links become relative", "/articles/x",
			`<a href="/articles/y#top">Y</a><img src="/media/a.jpg" srcset="/media/a-2.jpg 2x, https://cdn.example/b.jpg 3x"><a href="https://news.example/about">About</a>`,
			`<a href="y.html#top">Y</a><img src="../media/a.jpg" srcset="../media/a-2.jpg 2x, https://cdn.example/b.jpg 3x"><a href="../about.html">About</a>`,
			[]string{"/articles/y", "/media/a.jpg", "/media/a-2.jpg", "/about"}},
		{"other sites, mail and fragments stay", "/articles/x",
			`<a href="https://example.org/a">o</a><a href="mailto:x@example.org">m</a><a href="#main">s</a><a href="//other.example/x">p</a>`,
			`<a href="https://example.org/a">o</a><a href="mailto:x@example.org">m</a><a href="#main">s</a><a href="//other.example/x">p</a>`,
			nil},
		{"canonical stays absolute", "/articles/x",
			`<link rel="canonical" href="https://news.example/articles/x">`,
			`<link rel="canonical" href="https://news.example/articles/x">`,
			nil},
		{"live-only pages go to the live site", "/articles/x",
			`<p class="banner">Support us <a href="../support">Give</a> <a href="../newsletter/preview">Preview</a></p>`,
			`<p class="banner">Support us <a href="https://live.example/support">Give</a> <a href="https://live.example/newsletter/preview">Preview</a></p>`,
			nil},
		{"forms become notes that link to the live page", "/articles/x",
			`<h2 id="signup-heading">Sign up</h2><form method="post" action="../newsletter/subscribe"><input name="email"><button>Subscribe</button></form>` +
				`<h2 id="appeal-heading">Give</h2><p>Please.</p><form method="post" action="../support/checkout"><button>Go</button></form><form method="post" action="../support/remind-later"><button>Later</button></form><form action="../search"></form>`,
			`<h2 id="signup-heading">Sign up</h2><p class="small">This copy of the site cannot take sign-ups. <a href="https://live.example/articles/x#signup-heading">Subscribe on our live site</a>.</p>` +
				`<h2 id="appeal-heading">Give</h2><p>Please.</p><p class="small">This copy of the site cannot take contributions. <a href="https://live.example/articles/x#appeal-heading">Contribute on our live site</a>.</p>` +
				`<p class="small">This copy of the site cannot send forms. <a href="https://live.example/articles/x#appeal-heading">Use this form on our live site</a>.</p>`,
			nil},
		{"untouched markup keeps its bytes", "/",
			"<!doctype html>\n<html lang=\"en\"><body class=a data-x='1 &amp; 2'><p>Caf\u00e9 &amp; <b>bar</b><br/><script type=\"application/ld+json\">{\"url\":\"https://news.example/\"}</script>",
			"<!doctype html>\n<html lang=\"en\"><body class=a data-x='1 &amp; 2'><p>Caf\u00e9 &amp; <b>bar</b><br/><script type=\"application/ld+json\">{\"url\":\"https://news.example/\"}</script>",
			nil},
		{"spaces around the equals sign", "/articles/x",
			"<a  href = \"../tags/y\"\n class=z>t</a>",
			"<a  href = \"../tags/y.html\"\n class=z>t</a>",
			[]string{"/tags/y"}},
		{"escaped values", "/articles/x",
			`<a title="a &amp; b" href="../tags/y?page=2" data-q='x'>t</a>`,
			`<a title="a &amp; b" href="../tags/y.page-2.html" data-q='x'>t</a>`,
			[]string{"/tags/y?page=2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, links := rewritePage(rw, tt.key, tt.in)
			if diff := cmp.Diff(tt.want, out); diff != "" {
				t.Errorf("rewritten page (-want +got):\n%s", diff)
			}
			var to []string
			for _, l := range links {
				if l.from != tt.key {
					t.Errorf("link from %q, want %q", l.from, tt.key)
				}
				to = append(to, l.to)
			}
			if diff := cmp.Diff(tt.links, to); diff != "" {
				t.Errorf("links (-want +got):\n%s", diff)
			}
		})
	}
}

// rewritePage rewrites the page in at key.
func rewritePage(rw *rewriter, key, in string) (string, []link) {
	var out bytes.Buffer
	links := rw.page(&out, key, []byte(in))
	return out.String(), links
}

func TestRebuildTagFallsBack(t *testing.T) {
	// When its lexing disagrees with the tokenizer's attributes, the tag
	// is written anew from them.
	got := string(rebuildTag([]byte(`<a x y>`), []attr{{key: "href", val: "a&b.html"}, {key: "id", val: "i", drop: true}, {key: "z", val: "1"}}))
	if want := `<a href="a&amp;b.html" z="1">`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestRewriteWithoutLiveSite(t *testing.T) {
	rw := &rewriter{site: &url.URL{Scheme: "https", Host: "news.example"}}
	out, _ := rewritePage(rw, "/articles/x", `<a href="../support">Give</a><form method="post" action="../newsletter/subscribe"></form>`)
	want := `<a>Give</a><p class="small">This copy of the site cannot take sign-ups.</p>`
	if out != want {
		t.Errorf("got %s\nwant %s", out, want)
	}
}

// TestExportLinksResolve checks the export as a static host would serve
// it: every link and resource in every page, resolved against the page's
// file, names a file of the export, and none climbs above its root; no page
// has a form.
func TestExportLinksResolve(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), "mirror")
	f.export(t, dir)
	files := tree(t, dir)
	checked := 0
	for name := range files {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		page, _ := url.Parse("file:///mirror/" + name)
		z := html.NewTokenizer(strings.NewReader(readFile(t, filepath.Join(dir, name))))
		for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
			tok := z.Token()
			if tok.Type != html.StartTagToken && tok.Type != html.SelfClosingTagToken {
				continue
			}
			if tok.Data == "form" {
				t.Errorf("%s has a form, which a static host cannot answer", name)
			}
			for _, a := range tok.Attr {
				if a.Key != "href" && a.Key != "src" || tok.Data == "link" && a.Val == "" || strings.Contains(a.Val, "://") || strings.HasPrefix(a.Val, "#") || strings.HasPrefix(a.Val, "mailto:") {
					continue
				}
				if strings.HasPrefix(a.Val, "/") {
					t.Errorf("%s: %s=%q is root-relative, which breaks under a sub-folder", name, a.Key, a.Val)
					continue
				}
				ref, err := url.Parse(a.Val)
				if err != nil {
					t.Errorf("%s: %s=%q: %v", name, a.Key, a.Val, err)
					continue
				}
				target := page.ResolveReference(ref).Path
				rel, ok := strings.CutPrefix(target, "/mirror/")
				if _, exists := files[rel]; !ok || !exists {
					t.Errorf("%s: %s=%q leads to %s, which the export lacks", name, a.Key, a.Val, target)
				}
				checked++
			}
		}
	}
	if checked < 1000 {
		t.Errorf("checked only %d links", checked)
	}
}

func TestExportedFormsPointToTheLiveSite(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), "mirror")
	opts := f.options(t, dir)
	opts.LiveURL = "https://mirror.example/"
	if _, err := Run(t.Context(), opts); err != nil {
		t.Fatal(err)
	}
	page := readFile(t, filepath.Join(dir, "articles/story-3.html"))
	for _, want := range []string{
		`<a href="https://mirror.example/articles/story-3#signup-heading">Subscribe on our live site</a>`,
		`<a href="https://mirror.example/articles/story-3#appeal-heading">Contribute on our live site</a>`,
		`<a href="https://mirror.example/support">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the exported article lacks %s", want)
		}
	}
	if strings.Contains(page, "<form") || strings.Contains(page, "remind-later") {
		t.Error("the exported article still has a form")
	}
	if _, err := os.Stat(filepath.Join(dir, "articles/story-3.html")); err != nil {
		t.Fatal(err)
	}
}
