package site

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests have no network, and Go has no XSD validator, so the
// constraints of the sitemaps.org schemas (sitemap.xsd and siteindex.xsd,
// 0.9), of the protocol text, and of Google's sitemap-news.xsd (0.9) are
// written here as explicit checks:
//
//   - the root is urlset or sitemapindex in the sitemap namespace, and the
//     document starts with an XML declaration naming UTF-8;
//   - url is the sequence loc, lastmod?, changefreq?, priority?, then only
//     elements of other namespaces; sitemap is loc, lastmod?;
//   - loc is an absolute http(s) URL of 12 to 2,048 characters;
//   - lastmod and news:publication_date are W3C Datetimes: an xsd:date or
//     xsd:dateTime;
//   - changefreq is one of the enumerated words, priority a decimal in
//     [0, 1];
//   - at most 50,000 entries and 50 MB per file;
//   - news:news is the sequence publication (name, language), access?,
//     genres?, publication_date, title, keywords?, stock_tickers?; language
//     matches the schema's pattern; a news sitemap has at most 1,000 of them;
//   - no element has both text and child elements.

type sitemapKind int

const (
	sitemapIndexDoc sitemapKind = iota
	urlSetDoc
	newsDoc
)

// xnode is an element of a parsed document.
type xnode struct {
	name xml.Name
	text string
	kids []*xnode
}

func parseTree(body string) (*xnode, error) {
	dec := xml.NewDecoder(strings.NewReader(body))
	var stack []*xnode
	var root *xnode
	for {
		tok, err := dec.Token()
		if err != nil {
			if root == nil || len(stack) > 0 {
				return nil, fmt.Errorf("not well-formed: %w", err)
			}
			return root, nil
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &xnode{name: tok.Name}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.kids = append(parent.kids, n)
			} else if root != nil {
				return nil, fmt.Errorf("a second root element <%s>", tok.Name.Local)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if len(n.kids) > 0 && strings.TrimSpace(n.text) != "" {
				return nil, fmt.Errorf("<%s> mixes text and elements", n.name.Local)
			}
			n.text = strings.TrimSpace(n.text)
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tok)
			}
		}
	}
}

// field is one element of an xs:sequence.
type field struct {
	name     string
	min, max int
	check    func(string) error // of the text; nil for none
}

// checkSequence checks n's children against seq, in order, in namespace
// ns. Children after the sequence must belong to another namespace when
// others is true; otherwise there may be none.
func checkSequence(n *xnode, ns string, seq []field, others bool) []string {
	var errs []string
	kids := n.kids
	for _, f := range seq {
		count := 0
		for len(kids) > 0 && kids[0].name.Space == ns && kids[0].name.Local == f.name {
			if f.check != nil {
				if err := f.check(kids[0].text); err != nil {
					errs = append(errs, fmt.Sprintf("<%s> %q: %v", f.name, kids[0].text, err))
				}
			}
			kids, count = kids[1:], count+1
		}
		if count < f.min || count > f.max {
			errs = append(errs, fmt.Sprintf("<%s> has %d <%s>, want %d to %d", n.name.Local, count, f.name, f.min, f.max))
		}
	}
	for _, k := range kids {
		if !others || k.name.Space == ns {
			errs = append(errs, fmt.Sprintf("<%s> has an unexpected <%s> (namespace %q)", n.name.Local, k.name.Local, k.name.Space))
		}
	}
	return errs
}

func checkLoc(s string) error {
	if len(s) < 12 || len(s) > 2048 {
		return fmt.Errorf("length %d is outside 12 to 2048", len(s))
	}
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(s, " \t\n") {
		return fmt.Errorf("not an absolute http(s) URL")
	}
	return nil
}

var w3cDatetime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$`)

func checkW3CTime(s string) error {
	if !w3cDatetime.MatchString(s) {
		return fmt.Errorf("not a W3C Datetime")
	}
	layout := "2006-01-02"
	if len(s) > len(layout) {
		layout = time.RFC3339
		if strings.Count(s, ":") == 2 && !strings.HasSuffix(s, "Z") || strings.Count(s, ":") == 1 {
			layout = "2006-01-02T15:04Z07:00" // seconds are optional
		}
	}
	_, err := time.Parse(layout, s)
	return err
}

func checkChangefreq(s string) error {
	switch s {
	case "always", "hourly", "daily", "weekly", "monthly", "yearly", "never":
		return nil
	}
	return fmt.Errorf("not a change frequency")
}

func checkPriority(s string) error {
	p, err := strconv.ParseFloat(s, 64)
	if err != nil || p < 0 || p > 1 {
		return fmt.Errorf("not a decimal from 0.0 to 1.0")
	}
	return nil
}

var newsLanguage = regexp.MustCompile(`^(zh-cn|zh-tw|[a-z]{2,3})$`)

func checkNewsLanguage(s string) error {
	if !newsLanguage.MatchString(s) {
		return fmt.Errorf("not an ISO 639 language code")
	}
	return nil
}

func checkNonEmpty(s string) error {
	if s == "" {
		return fmt.Errorf("empty")
	}
	return nil
}

// validateSitemap fails the test unless body is a valid document of kind.
func validateSitemap(t *testing.T, body string, kind sitemapKind) {
	t.Helper()
	for _, p := range sitemapProblems(body, kind) {
		t.Error("sitemap: " + p)
	}
}

// sitemapProblems lists every way body breaks the rules for kind.
func sitemapProblems(body string, kind sitemapKind) []string {
	var errs []string
	if !strings.HasPrefix(body, `<?xml version="1.0" encoding="UTF-8"?>`) {
		errs = append(errs, "no XML declaration naming UTF-8")
	}
	if len(body) > 50<<20 {
		errs = append(errs, fmt.Sprintf("%d bytes, over the 50 MB limit", len(body)))
	}
	root, err := parseTree(body)
	if err != nil {
		return append(errs, err.Error())
	}
	rootName, entry := "urlset", "url"
	entrySeq := []field{
		{"loc", 1, 1, checkLoc}, {"lastmod", 0, 1, checkW3CTime},
		{"changefreq", 0, 1, checkChangefreq}, {"priority", 0, 1, checkPriority},
	}
	if kind == sitemapIndexDoc {
		rootName, entry = "sitemapindex", "sitemap"
		entrySeq = []field{{"loc", 1, 1, checkLoc}, {"lastmod", 0, 1, checkW3CTime}}
	}
	if root.name.Space != sitemapNS || root.name.Local != rootName {
		return append(errs, fmt.Sprintf("root element is {%s}%s, want {%s}%s", root.name.Space, root.name.Local, sitemapNS, rootName))
	}
	errs = append(errs, checkSequence(root, sitemapNS, []field{{entry, 0, 50000, nil}}, false)...)
	news := 0
	for _, e := range root.kids {
		errs = append(errs, checkSequence(e, sitemapNS, entrySeq, kind != sitemapIndexDoc)...)
		if kind != newsDoc {
			continue
		}
		found := 0
		for _, k := range e.kids {
			if k.name.Space != newsNS {
				continue
			}
			found++
			errs = append(errs, checkSequence(k, newsNS, []field{
				{"publication", 1, 1, nil}, {"access", 0, 1, nil}, {"genres", 0, 1, nil},
				{"publication_date", 1, 1, checkW3CTime}, {"title", 1, 1, checkNonEmpty},
				{"keywords", 0, 1, nil}, {"stock_tickers", 0, 1, nil},
			}, false)...)
			for _, p := range k.kids {
				if p.name.Space == newsNS && p.name.Local == "publication" {
					errs = append(errs, checkSequence(p, newsNS, []field{
						{"name", 1, 1, checkNonEmpty}, {"language", 1, 1, checkNewsLanguage},
					}, false)...)
				}
			}
		}
		if found != 1 {
			errs = append(errs, fmt.Sprintf("a news sitemap <url> has %d <news:news>, want 1", found))
		}
		news += found
	}
	if news > 1000 {
		errs = append(errs, fmt.Sprintf("%d news entries, over Google's limit of 1,000", news))
	}
	return errs
}

// TestValidateSitemap shows the checks above reject what the schemas
// reject, so a passing sitemap test means something.
func TestValidateSitemap(t *testing.T) {
	const head = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
	open := `<urlset xmlns="` + sitemapNS + `" xmlns:news="` + newsNS + `">`
	newsEntry := `<news:news><news:publication><news:name>N</news:name><news:language>en</news:language></news:publication>` +
		`<news:publication_date>2026-03-20T11:00:00+02:00</news:publication_date><news:title>T</news:title></news:news>`
	tests := []struct {
		name string
		kind sitemapKind
		body string
		ok   bool
	}{
		{"valid urlset", urlSetDoc, head + open + `<url><loc>https://a.example/x</loc><lastmod>2026-03-20</lastmod><changefreq>daily</changefreq><priority>0.5</priority></url></urlset>`, true},
		{"valid index", sitemapIndexDoc, head + `<sitemapindex xmlns="` + sitemapNS + `"><sitemap><loc>https://a.example/s.xml</loc></sitemap></sitemapindex>`, true},
		{"valid news", newsDoc, head + open + `<url><loc>https://a.example/x</loc>` + newsEntry + `</url></urlset>`, true},
		{"no declaration", urlSetDoc, open + `<url><loc>https://a.example/x</loc></url></urlset>`, false},
		{"wrong namespace", urlSetDoc, head + `<urlset xmlns="http://example.com/"><url><loc>https://a.example/x</loc></url></urlset>`, false},
		{"relative loc", urlSetDoc, head + open + `<url><loc>/articles/x-long-enough</loc></url></urlset>`, false},
		{"loc too long", urlSetDoc, head + open + `<url><loc>https://a.example/` + strings.Repeat("x", 2048) + `</loc></url></urlset>`, false},
		{"missing loc", urlSetDoc, head + open + `<url><lastmod>2026-03-20</lastmod></url></urlset>`, false},
		{"lastmod before loc", urlSetDoc, head + open + `<url><lastmod>2026-03-20</lastmod><loc>https://a.example/x</loc></url></urlset>`, false},
		{"lastmod not W3C", urlSetDoc, head + open + `<url><loc>https://a.example/x</loc><lastmod>Fri, 20 Mar 2026 12:00:00 GMT</lastmod></url></urlset>`, false},
		{"lastmod impossible date", urlSetDoc, head + open + `<url><loc>https://a.example/x</loc><lastmod>2026-02-30</lastmod></url></urlset>`, false},
		{"bad priority", urlSetDoc, head + open + `<url><loc>https://a.example/x</loc><priority>1.5</priority></url></urlset>`, false},
		{"unknown element", urlSetDoc, head + open + `<url><loc>https://a.example/x</loc><title>x</title></url></urlset>`, false},
		{"news entry missing", newsDoc, head + open + `<url><loc>https://a.example/x</loc></url></urlset>`, false},
		{"news bad language", newsDoc, head + open + `<url><loc>https://a.example/x</loc>` + strings.Replace(newsEntry, ">en<", ">English<", 1) + `</url></urlset>`, false},
		{"too many URLs", urlSetDoc, head + open + strings.Repeat(`<url><loc>https://a.example/x</loc></url>`, 50001) + `</urlset>`, false},
		{"not well-formed", urlSetDoc, head + open + `<url><loc>https://a.example/x</loc></urlset>`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := sitemapProblems(tt.body, tt.kind)
			if ok := len(problems) == 0; ok != tt.ok {
				t.Errorf("accepted = %v, want %v; problems: %q", ok, tt.ok, problems)
			}
		})
	}
}
