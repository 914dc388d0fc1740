package site

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	xhtml "golang.org/x/net/html"

	"github.com/tamizdat/tamizdat/internal/reach"
)

// Pages link relatively (see Layout.Root), but feeds, sitemaps, robots.txt
// and sharing metadata need absolute URLs. This file decides which host
// those name, and keeps responses that name a host apart in the page cache.

// requestBase is the absolute site root as the reader reached it, without
// a trailing slash: a feed fetched through a mirror links to that mirror
// (see reach.RequestBase).
func (s *Site) requestBase(r *http.Request) string {
	return reach.RequestBase(r, s.baseURL, *s.currentSettings())
}

// canonicalBase is the main site's address when one is configured, else
// the request's: what sitemaps and sharing metadata name.
func (s *Site) canonicalBase(r *http.Request) string {
	if s.baseURL != "" {
		return s.baseURL
	}
	return s.requestBase(r)
}

// hostKeyed returns cache wrapped so that each scheme and host gets
// entries of its own. The page cache keys by path alone, which is right
// for pages that link only relatively and wrong for a feed whose links name
// the host it was fetched through. The cache sees the path prefixed with
// the origin's length and the origin ("21:http://mirror.example/feed.xml"):
// no real path lacks the leading slash and no two origins give the same
// prefix, so these keys never collide with a page's or each other's. The
// handler behind the cache gets the original URL back.
func hostKeyed(cache func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		cached := cache(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r = r.WithContext(r.Context()) // a copy, to give back its URL
			r.URL = r.Context().Value(originalURLKey{}).(*url.URL)
			next.ServeHTTP(w, r)
		}))
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := "http://" + strings.ToLower(r.Host)
			if r.TLS != nil {
				origin = "https://" + strings.ToLower(r.Host)
			}
			keyed := r.WithContext(context.WithValue(r.Context(), originalURLKey{}, r.URL))
			u := *r.URL
			u.Path = strconv.Itoa(len(origin)) + ":" + origin + r.URL.Path
			u.RawPath = ""
			keyed.URL = &u
			cached.ServeHTTP(w, keyed)
		})
	}
}

type originalURLKey struct{}

// absoluteHTML rewrites every relative href, src and srcset URL in
// sanitized HTML to an absolute one resolved against base, so images and
// links in a feed reader, which has no page to resolve them against, work.
// Everything else is copied byte for byte.
func absoluteHTML(body string, base *url.URL) string {
	var out strings.Builder
	out.Grow(len(body) + len(body)/8)
	z := xhtml.NewTokenizer(strings.NewReader(body))
	for {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			return out.String()
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			raw := string(z.Raw()) // Token() below invalidates Raw's bytes
			tok := z.Token()
			changed := false
			for i, a := range tok.Attr {
				var v string
				switch a.Key {
				case "href", "src":
					v = resolve(base, a.Val)
				case "srcset":
					v = resolveSrcset(base, a.Val)
				default:
					continue
				}
				if v != a.Val {
					tok.Attr[i].Val, changed = v, true
				}
			}
			if changed {
				out.WriteString(tok.String())
			} else {
				out.WriteString(raw)
			}
		default:
			out.Write(z.Raw())
		}
	}
}

// resolve returns ref resolved against base, or ref unchanged when it is
// absolute already or does not parse.
func resolve(base *url.URL, ref string) string {
	u, err := url.Parse(strings.TrimSpace(ref))
	if err != nil || u.IsAbs() {
		return ref
	}
	return base.ResolveReference(u).String()
}

// siteURL makes a site path such as "/media/x.jpg" absolute under absRoot,
// which ends in a slash and may include a folder. A URL naming a host is
// returned as it is.
func siteURL(absRoot, ref string) string {
	if u, err := url.Parse(ref); err != nil || u.Host != "" || u.IsAbs() {
		return ref
	}
	return absRoot + strings.TrimPrefix(ref, "/")
}

// resolveSrcset resolves each URL of a srcset ("a.jpg 1x, b.jpg 2x").
func resolveSrcset(base *url.URL, srcset string) string {
	candidates := strings.Split(srcset, ",")
	for i, c := range candidates {
		fields := strings.Fields(c)
		if len(fields) == 0 {
			continue
		}
		fields[0] = resolve(base, fields[0])
		candidates[i] = strings.Join(fields, " ")
	}
	return strings.Join(candidates, ", ")
}
