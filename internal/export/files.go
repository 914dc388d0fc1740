package export

import (
	"fmt"
	"net/url"
	"path"
	"strings"
)

// Where each URL goes in the export. Object stores and file:// URLs do
// not turn a folder into its index.html, so every page link must name a
// real file. A page keeps the folder of its URL, which keeps all its
// relative links valid, and gains ".html":
//
//	/                   index.html
//	/?page=2            index.page-2.html
//	/articles/x         articles/x.html
//	/tags/x?page=3      tags/x.page-3.html
//	/archive/2025/03    archive/2025/03.html
//
// A URL whose last segment has a dot (feed.xml, site.css, a.jpg) is a
// resource and is stored at its own path. Slugs never contain dots, which
// keeps the two apart, and keeps "x.page-2.html" from naming another page.

// Names the export keeps for itself at its root.
const (
	ManifestName  = "manifest.json"
	SignatureName = "manifest.json.sig"
)

// fileFor returns the path of the file that holds the URL key (a site
// path, escaped as in a URL, with an optional "?page=N"), escaped as in a
// URL, and whether the URL is a page.
func fileFor(key string) (file string, page bool, err error) {
	p, query, _ := strings.Cut(key, "?")
	if !strings.HasPrefix(p, "/") {
		return "", false, fmt.Errorf("%q is not a site path", key)
	}
	segments := strings.Split(p[1:], "/")
	for i, s := range segments {
		u, err := url.PathUnescape(s)
		if err != nil || u == "." || u == ".." || strings.ContainsAny(u, "/\\\x00") || (u == "" && i < len(segments)-1) {
			return "", false, fmt.Errorf("%q has a path segment no file can have", key)
		}
	}
	last := segments[len(segments)-1]
	page = last == "" || !strings.Contains(last, ".")
	if query != "" {
		n, ok := strings.CutPrefix(query, "page=")
		if !page || !ok || !isPageNumber(n) {
			return "", false, fmt.Errorf("%q has a query other than ?page=N (N from 2), which a static copy cannot answer", key)
		}
	}
	if !page {
		file = p[1:]
		if file == ManifestName || file == SignatureName {
			return "", false, fmt.Errorf("%q would overwrite the export's %s", key, file)
		}
		return file, false, nil
	}
	name := p[1:]
	if last == "" {
		name += "index"
	}
	if query != "" {
		name += "." + strings.Replace(query, "=", "-", 1)
	}
	return name + ".html", true, nil
}

// isPageNumber reports whether n is a whole number from 2 without leading
// zeros: page 1 is the address without a query.
func isPageNumber(n string) bool {
	if n == "" || n[0] == '0' || len(n) > 6 || strings.Trim(n, "0123456789") != "" {
		return false
	}
	return n != "1"
}

// keyURL parses a key into a URL holding its path and query.
func keyURL(key string) *url.URL {
	p, q, _ := strings.Cut(key, "?")
	u := &url.URL{RawQuery: q}
	if unescaped, err := url.PathUnescape(p); err == nil {
		u.Path = unescaped
		if u.EscapedPath() != p {
			u.RawPath = p
		}
	} else {
		u.Path = p
	}
	return u
}

// diskPath turns an escaped file path into the name on disk.
func diskPath(file string) string {
	if u, err := url.PathUnescape(file); err == nil {
		return u
	}
	return file
}

// dirOf returns the folder of a file path, "" at the root.
func dirOf(file string) string {
	d := path.Dir(file)
	if d == "." {
		return ""
	}
	return d
}

// relPath returns the relative URL from a page in folder dir to file.
func relPath(dir, file string) string {
	var from []string
	if dir != "" {
		from = strings.Split(dir, "/")
	}
	to := strings.Split(file, "/")
	common := 0
	for common < len(from) && common < len(to)-1 && from[common] == to[common] {
		common++
	}
	rel := strings.Repeat("../", len(from)-common) + strings.Join(to[common:], "/")
	// A first segment with a colon would read as a URL scheme.
	if first, _, _ := strings.Cut(rel, "/"); strings.Contains(first, ":") {
		rel = "./" + rel
	}
	return rel
}
