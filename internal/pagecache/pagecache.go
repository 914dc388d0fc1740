// Package pagecache keeps rendered public pages in memory, compressed
// ahead of time with gzip and brotli, and answers conditional requests with
// 304. Entries are dropped when the content version moves (see SetVersion).
package pagecache

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
	"golang.org/x/sync/singleflight"

	"github.com/tamizdat/tamizdat/internal/assets"
)

// Options configure a Cache.
type Options struct {
	// Budget is the most memory, in bytes, the entries may take; 0 turns
	// caching off (pages are still compressed and validated).
	Budget int64
	// MaxAge is how long browsers and shared caches may reuse a page.
	MaxAge time.Duration
	Now    func() time.Time
}

// Cache is a memory-bounded, least-recently-used cache of whole responses.
type Cache struct {
	opts   Options
	flight singleflight.Group

	mu       sync.Mutex
	entries  map[string]*list.Element
	lru      list.List
	bytes    int64
	version  int64
	modified time.Time // when the content last changed, as far as we know
}

type entry struct {
	key         string
	contentType string
	modified    time.Time
	etag        string // of the identity body; encodings add a suffix
	raw, gz, br []byte
}

func (e *entry) size() int64 { return int64(len(e.key) + len(e.raw) + len(e.gz) + len(e.br) + 256) }

// New returns an empty cache.
func New(opts Options) *Cache {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &Cache{opts: opts, entries: map[string]*list.Element{}}
	c.modified = opts.Now().UTC().Truncate(time.Second)
	return c
}

// SetVersion tells the cache the content version the database now has; a
// new version empties the cache.
func (c *Cache) SetVersion(v int64) {
	c.mu.Lock()
	changed := v != c.version
	c.mu.Unlock()
	if changed {
		c.invalidate(v)
	}
}

func (c *Cache) invalidate(version int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = map[string]*list.Element{}
	c.lru.Init()
	c.bytes = 0
	c.version = version
	c.modified = c.opts.Now().UTC().Truncate(time.Second)
}

// Len reports how many pages are cached.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Key returns the cache key of a request, or "" if the request should not
// be cached: only an empty query or a lone page number is cached, so junk
// query strings cannot fill memory.
func Key(r *http.Request) string {
	q := r.URL.RawQuery
	if q == "" {
		return r.URL.Path
	}
	if n, ok := strings.CutPrefix(q, "page="); ok && len(n) > 0 && len(n) <= 6 && strings.Trim(n, "0123456789") == "" {
		return r.URL.Path + "?" + q
	}
	return ""
}

// Wrap serves GET and HEAD requests for next from the cache. Only complete
// 200 responses without cookies are stored; everything else passes through
// as next wrote it.
func (c *Cache) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		key := Key(r)
		if key != "" {
			if e := c.get(key); e != nil {
				c.serve(w, r, e)
				return
			}
		}
		type result struct {
			e   *entry
			rec *recorder
		}
		fill := func() (any, error) {
			// The version is read before rendering, so a render that
			// straddles a content change is recognised as stale by put.
			c.mu.Lock()
			version, modified := c.version, c.modified
			c.mu.Unlock()
			rec := newRecorder()
			next.ServeHTTP(rec, r)
			if rec.status != http.StatusOK || rec.header.Get("Set-Cookie") != "" || rec.header.Get("Cache-Control") == "no-store" {
				return result{rec: rec}, nil
			}
			e := c.build(key, rec, modified)
			if key != "" {
				c.put(e, version)
			}
			return result{e: e}, nil
		}
		var v any
		if key == "" {
			v, _ = fill()
		} else {
			v, _, _ = c.flight.Do(key, fill)
		}
		res := v.(result)
		if res.e != nil {
			c.serve(w, r, res.e)
			return
		}
		res.rec.copyTo(w)
	})
}

func (c *Cache) get(key string) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil
	}
	c.lru.MoveToFront(el)
	return el.Value.(*entry)
}

func (c *Cache) put(e *entry, version int64) {
	size := e.size()
	c.mu.Lock()
	defer c.mu.Unlock()
	// A page rendered from content older than the cache's current version
	// must not be stored, or an edit could be hidden until the next one.
	if version != c.version || size > c.opts.Budget/4 {
		return
	}
	if old, ok := c.entries[e.key]; ok {
		c.bytes -= old.Value.(*entry).size()
		c.lru.Remove(old)
	}
	c.entries[e.key] = c.lru.PushFront(e)
	c.bytes += size
	for c.bytes > c.opts.Budget {
		last := c.lru.Back()
		old := last.Value.(*entry)
		c.lru.Remove(last)
		delete(c.entries, old.key)
		c.bytes -= old.size()
	}
}

func (c *Cache) build(key string, rec *recorder, modified time.Time) *entry {
	raw := rec.body.Bytes()
	sum := sha256.Sum256(raw)
	e := &entry{
		key:         key,
		contentType: rec.header.Get("Content-Type"),
		modified:    modified,
		etag:        base64.RawURLEncoding.EncodeToString(sum[:12]),
		raw:         raw,
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(raw)
	zw.Close()
	e.gz = gz.Bytes()
	var br bytes.Buffer
	bw := brotli.NewWriterLevel(&br, 9)
	bw.Write(raw)
	bw.Close()
	e.br = br.Bytes()
	return e
}

func (c *Cache) serve(w http.ResponseWriter, r *http.Request, e *entry) {
	body, etag, encoding := e.raw, `"`+e.etag+`"`, ""
	switch {
	case assets.AcceptsBrotli(r):
		body, etag, encoding = e.br, `"`+e.etag+`-br"`, "br"
	case assets.AcceptsGzip(r):
		body, etag, encoding = e.gz, `"`+e.etag+`-gz"`, "gzip"
	}
	h := w.Header()
	h.Set("Content-Type", e.contentType)
	h.Set("ETag", etag)
	h.Set("Last-Modified", e.modified.Format(http.TimeFormat))
	h.Set("Vary", "Accept-Encoding")
	h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d, stale-while-revalidate=%d", int(c.opts.MaxAge.Seconds()), int(c.opts.MaxAge.Seconds())))
	if notModified(r, e) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if encoding != "" {
		h.Set("Content-Encoding", encoding)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

// notModified applies RFC 9110's rules: If-None-Match wins over
// If-Modified-Since. Any representation's tag validates, since each names
// the same content.
func notModified(r *http.Request, e *entry) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for tag := range strings.SplitSeq(inm, ",") {
			tag = strings.Trim(strings.TrimPrefix(strings.TrimSpace(tag), "W/"), `"`)
			if tag == "*" || strings.TrimSuffix(strings.TrimSuffix(tag, "-gz"), "-br") == e.etag {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		t, err := http.ParseTime(ims)
		return err == nil && !e.modified.After(t)
	}
	return false
}

// recorder captures a response in memory.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *recorder) copyTo(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	if r.status == 0 {
		r.status = http.StatusOK
	}
	w.WriteHeader(r.status)
	w.Write(r.body.Bytes())
}
