// Package assets serves tamizdat's embedded static files (the stylesheet)
// under content-hashed paths, so browsers and CDNs may cache them forever.
package assets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var files embed.FS

// Asset is one static file with its fingerprint and a compressed copy.
type Asset struct {
	Name        string
	Hash        string // first hex digits of its SHA-256
	ContentType string
	Body        []byte
	Gzip        []byte
}

// Set is the collection of embedded assets, built once at start-up.
type Set struct {
	byName map[string]*Asset
}

// Load reads and fingerprints every embedded asset.
func Load() (*Set, error) {
	s := &Set{byName: map[string]*Asset{}}
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		var gz bytes.Buffer
		w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		w.Write(body)
		w.Close()
		name := strings.TrimPrefix(p, "static/")
		s.byName[name] = &Asset{
			Name:        name,
			Hash:        hex.EncodeToString(sum[:])[:12],
			ContentType: mime.TypeByExtension(path.Ext(name)),
			Body:        body,
			Gzip:        gz.Bytes(),
		}
		return nil
	})
	return s, err
}

// Path returns the site-relative path of the named asset, without a leading
// slash, e.g. "static/3f2a…/site.css". It panics on an unknown name: a
// template naming a missing asset is a programming error caught at start-up.
func (s *Set) Path(name string) string {
	a, ok := s.byName[name]
	if !ok {
		panic("assets: no asset named " + name)
	}
	return "static/" + a.Hash + "/" + name
}

// Get returns the named asset.
func (s *Set) Get(name string) (*Asset, bool) {
	a, ok := s.byName[name]
	return a, ok
}

// ServeHTTP serves GET /static/{hash}/{name...}. A current hash is cached
// for a year as immutable; a stale hash (a page rendered before a deploy)
// still gets the current file, but only briefly cached.
func (s *Set) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a, ok := s.byName[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("Vary", "Accept-Encoding")
	h.Set("ETag", `"`+a.Hash+`"`)
	if r.PathValue("hash") == a.Hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=60")
	}
	if r.Header.Get("If-None-Match") == `"`+a.Hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.Body
	if AcceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = a.Gzip
	}
	w.Write(body)
}

// AcceptsGzip reports whether the request's Accept-Encoding allows gzip.
func AcceptsGzip(r *http.Request) bool {
	return acceptsEncoding(r.Header.Get("Accept-Encoding"), "gzip")
}

// AcceptsBrotli reports whether the request's Accept-Encoding allows br.
func AcceptsBrotli(r *http.Request) bool {
	return acceptsEncoding(r.Header.Get("Accept-Encoding"), "br")
}

// acceptsEncoding parses an Accept-Encoding header just enough to honour
// q=0, which explicitly refuses a coding.
func acceptsEncoding(header, coding string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), coding) {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
