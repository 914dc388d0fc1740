package export

import (
	"fmt"
	"html/template"
	"net/url"

	"github.com/tamizdat/tamizdat/internal/store"
)

// redirectPage is what the copy holds at a published article's former
// address: a static file cannot answer 301, so the page sends browsers on
// with a meta refresh and gives people a link, without JavaScript. It is
// kept out of search engines, which should index the current address.
var redirectPage = template.Must(template.New("redirect").Parse(`<!doctype html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta http-equiv="refresh" content="0; url={{.}}">
<title>This article has moved</title>
</head>
<body>
<p>This article has moved to <a href="{{.}}">a new address</a>.</p>
</body>
</html>
`))

// writeRedirects adds a redirect page for every former slug of a
// published article to the export, beside the article pages. It runs
// before the crawl, so that a link to a former address counts as a link to
// that page rather than being rendered.
func (c *crawl) writeRedirects(redirects []store.SlugRedirect) error {
	for _, rd := range redirects {
		key := "/articles/" + url.PathEscape(rd.From)
		file, _, err := fileFor(key)
		if err != nil {
			return fmt.Errorf("old address %s: %w", key, err)
		}
		target, _, err := fileFor("/articles/" + url.PathEscape(rd.To))
		if err != nil {
			return fmt.Errorf("old address %s: %w", key, err)
		}
		b := newBuffer()
		if err := redirectPage.Execute(b, relPath(dirOf(file), target)); err != nil {
			releaseBuffer(b)
			return fmt.Errorf("old address %s: %w", key, err)
		}
		c.mu.Lock()
		c.seen[key] = &outcome{}
		c.mu.Unlock()
		f := fileEntry(file, b.Bytes())
		if err := c.claim(key, f, true, true); err != nil {
			releaseBuffer(b)
			return err
		}
		if err := c.out.put(f, b); err != nil {
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
	}
	return nil
}
