// Package content turns what journalists write into what readers get:
// Markdown rendered to sanitized HTML, the visible plain text, excerpts,
// reading time and URL slugs. Everything here is a pure function, safe for
// concurrent use.
package content

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	goldhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Rendered is an article body ready for readers.
type Rendered struct {
	// HTML is sanitized and safe to embed in a page as is.
	HTML string
	// Text is the visible text, paragraphs separated by blank lines, for
	// reading time, related-article similarity and search.
	Text string
}

// Render converts Markdown to sanitized HTML and its visible text.
//
// Raw HTML in the Markdown passes through the Markdown renderer on purpose
// (editors paste embeds and figures); the sanitizer that runs afterwards is
// the safety boundary. Iframes become plain links to their source, because
// we never load third-party frames for readers. "# Heading" renders as
// <h2>: the page's only <h1> is the headline.
func Render(markdown string) (Rendered, error) {
	return RenderWith(markdown, nil)
}

// Image is what an image in the text gets besides its address, alternative
// text and title: the files of its other sizes as a srcset value with the
// sizes it is shown at, and its size in pixels.
type Image struct {
	Srcset, Sizes string
	Width, Height int
}

// ImageFunc returns the Image for an image address in the text; ok false
// leaves the image as written.
type ImageFunc func(src string) (img Image, ok bool)

// RenderWith is Render that asks images about every image written in
// Markdown ("![alt](src)"), so that uploads get their responsive sizes,
// dimensions (no layout shift) and lazy loading. images may be nil.
func RenderWith(markdown string, images ImageFunc) (Rendered, error) {
	var buf bytes.Buffer
	buf.Grow(len(markdown) + len(markdown)/4)
	pc := parser.NewContext()
	if images != nil {
		pc.Set(imagesKey, images)
	}
	if err := markdownRenderer.Convert([]byte(markdown), &buf, parser.WithContext(pc)); err != nil {
		return Rendered{}, fmt.Errorf("content: render: %w", err)
	}
	safe := sanitizer.SanitizeBytes(embedsToLinks(buf.Bytes()))
	return Rendered{HTML: string(safe), Text: visibleText(safe)}, nil
}

// Both are built once: constructing them costs far more than a render, and
// Render runs on every save and on bulk imports.
var (
	markdownRenderer = newMarkdown()
	sanitizer        = newPolicy()
)

func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		// No Typographer: quotes and dashes must stay exactly as typed.
		goldmark.WithExtensions(
			extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
			extension.Strikethrough,
			extension.Linkify,
		),
		goldmark.WithParserOptions(
			parser.WithASTTransformers(util.Prioritized(demoteH1{}, 100), util.Prioritized(sizeImages{}, 200)),
		),
		goldmark.WithRendererOptions(goldhtml.WithUnsafe()),
	)
}

// demoteH1 turns "# Heading" into <h2>; the sanitizer drops <h1> tags.
type demoteH1 struct{}

func (demoteH1) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering && h.Level == 1 {
			h.Level = 2
		}
		return ast.WalkContinue, nil
	})
}

// imagesKey holds a render's ImageFunc in goldmark's parser context.
var imagesKey = parser.NewContextKey()

// sizeImages gives Markdown images the attributes their ImageFunc returns.
type sizeImages struct{}

func (sizeImages) Transform(doc *ast.Document, _ text.Reader, pc parser.Context) {
	images, _ := pc.Get(imagesKey).(ImageFunc)
	if images == nil {
		return
	}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		img, ok := n.(*ast.Image)
		if !ok || !entering {
			return ast.WalkContinue, nil
		}
		found, ok := images(string(img.Destination))
		if !ok {
			return ast.WalkSkipChildren, nil
		}
		if found.Srcset != "" {
			img.SetAttributeString("srcset", []byte(found.Srcset))
			img.SetAttributeString("sizes", []byte(found.Sizes))
		}
		if found.Width > 0 && found.Height > 0 {
			img.SetAttributeString("width", []byte(strconv.Itoa(found.Width)))
			img.SetAttributeString("height", []byte(strconv.Itoa(found.Height)))
		}
		img.SetAttributeString("loading", []byte("lazy"))
		img.SetAttributeString("decoding", []byte("async"))
		return ast.WalkSkipChildren, nil
	})
}

var (
	// Same-site root-relative paths ("/media/…", not "//host") or https.
	imageSrc = regexp.MustCompile(`^(?:https://[^\s]+|/[^/\\\s][^\s]*)$`)
	// A srcset of such URLs, each with an optional width or density
	// descriptor. bluemonday does not check srcset URLs itself.
	imageSrcset = regexp.MustCompile(
		`^\s*(?:https://|/[^/\\\s,])[^\s,]*(?:\s+\d+(?:\.\d+)?[wx])?` +
			`(?:\s*,\s*(?:https://|/[^/\\\s,])[^\s,]*(?:\s+\d+(?:\.\d+)?[wx])?)*\s*$`)
	codeLanguage = regexp.MustCompile(`^language-[\w.+#-]{1,32}$`)
	cellAlign    = regexp.MustCompile(`^(?:left|right|center)$`)
	imgLoading   = regexp.MustCompile(`^(?:lazy|eager)$`)
	imgDecoding  = regexp.MustCompile(`^(?:async|sync|auto)$`)
	// Media conditions and lengths: "(min-width: 46rem) 42rem, 100vw".
	imgSizes = regexp.MustCompile(`^[A-Za-z0-9 (),.:%+-]{1,200}$`)
)

// newPolicy is an explicit allowlist. Everything not named here is removed:
// script, style, iframe, object, embed, base, form, event handlers, inline
// styles, and any URL scheme other than http, https and mailto.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements(
		"p", "br", "hr",
		"h2", "h3", "h4", "h5", "h6",
		"em", "strong", "b", "i", "s", "del", "sub", "sup", "mark", "cite", "q", "abbr",
		"code", "pre", "blockquote",
		"ul", "ol", "li",
		"table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
		"figure", "figcaption",
	)
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	p.AllowAttrs("align").Matching(cellAlign).OnElements("th", "td")
	p.AllowAttrs("colspan", "rowspan").Matching(bluemonday.Integer).OnElements("th", "td")
	p.AllowAttrs("class").Matching(codeLanguage).OnElements("code")
	p.AllowAttrs("title").OnElements("a", "img", "abbr")

	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(true)
	// Editorial links are endorsements, so no nofollow. noreferrer keeps the
	// sites we link to from learning where readers came from, also on static
	// mirrors whose hosts cannot send a Referrer-Policy header.
	p.RequireNoReferrerOnFullyQualifiedLinks(true)

	p.AllowAttrs("src").Matching(imageSrc).OnElements("img")
	p.AllowAttrs("srcset").Matching(imageSrcset).OnElements("img")
	p.AllowAttrs("alt").OnElements("img")
	p.AllowAttrs("width", "height").Matching(bluemonday.Integer).OnElements("img")
	p.AllowAttrs("loading").Matching(imgLoading).OnElements("img")
	p.AllowAttrs("decoding").Matching(imgDecoding).OnElements("img")
	p.AllowAttrs("sizes").Matching(imgSizes).OnElements("img")

	// "a<div>b</div>" must not read as "ab" once the div is gone.
	p.AddSpaceWhenStrippingTag(true)
	return p
}
