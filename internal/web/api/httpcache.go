package api

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
)

// contentMaxAge is how long browsers and shared caches may keep a Content
// API answer without asking again: short, so that a correction reaches
// readers within a minute, long enough to absorb a burst.
const contentMaxAge = "60"

// allowCrossOrigin lets scripts on any site read the Content API (only
// published content, and no credentials: the Content API takes none).
func allowCrossOrigin(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "ETag")
	// The global headers say same-origin, which would keep other sites'
	// pages from embedding what CORS allows them to read.
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
}

// preflight answers a browser's CORS preflight for the Content API.
func (a *API) preflight(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Accept, If-None-Match")
	h.Set("Access-Control-Max-Age", "86400")
	h.Set("Allow", "GET, HEAD, OPTIONS")
	h.Set("Cache-Control", "public, max-age=86400")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// writeCached sends v as a public, briefly cacheable answer with an ETag
// (a hash of the body), or 304 Not Modified when the client's copy has
// that ETag already.
func writeCached(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := encode(v)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "public, max-age="+contentMaxAge)
	if noneMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	_, err = w.Write(body)
	return err
}

// noneMatch reports whether an If-None-Match header names etag, comparing
// weakly as RFC 9110 asks for GET and HEAD.
func noneMatch(header, etag string) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
			return true
		}
	}
	return false
}
