package export

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// origin says why a URL is in the export, which decides what a failure
// to fetch it means.
type origin int

const (
	required origin = iota // the store lists it: anything but 200 is an error
	optional               // the site may not have it: 404 leaves it out
	linked                 // something links to it: failure is a dangling link
)

// outcome is what became of one URL.
type outcome struct {
	exported bool
	reason   string // why not, when not
}

// crawl renders URLs through the handler, following the links it finds,
// and stores each result. Workers share it.
type crawl struct {
	handler http.Handler
	base    *url.URL
	rw      *rewriter
	out     *output
	inv     *inventory
	related func(id string, n int) []string
	// previous is what the last export left, when its pages may be
	// reused; next is what this one leaves.
	previous *state
	next     *stateBuilder

	mu       sync.Mutex
	wake     *sync.Cond
	queue    []task
	seen     map[string]*outcome
	linkedBy map[string]string // target key → first page linking to it
	active   int
	err      error
	files    []File
	owner    map[string]string // file → the key it holds, to catch two URLs in one file
	pages    int
	rendered int
}

type task struct {
	key    string
	origin origin
}

func newCrawl(h http.Handler, base *url.URL, rw *rewriter, out *output) *crawl {
	c := &crawl{
		handler: h, base: base, rw: rw, out: out,
		seen: map[string]*outcome{}, linkedBy: map[string]string{}, owner: map[string]string{},
		next: newStateBuilder(),
	}
	c.wake = sync.NewCond(&c.mu)
	return c
}

// add queues key unless it was queued before; from is the page linking to
// it, if any.
func (c *crawl) add(key, from string, o origin) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addLocked(key, from, o)
}

// follow queues the targets of links, as add does, under one lock: a page
// has dozens.
func (c *crawl) follow(links []link) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range links {
		c.addLocked(l.to, l.from, linked)
	}
}

func (c *crawl) addLocked(key, from string, o origin) {
	if from != "" {
		if _, ok := c.linkedBy[key]; !ok {
			c.linkedBy[key] = from
		}
	}
	if _, ok := c.seen[key]; ok {
		return
	}
	c.seen[key] = &outcome{}
	c.queue = append(c.queue, task{key, o})
	c.wake.Signal()
}

// run fetches until nothing is left to fetch or something fails.
func (c *crawl) run(ctx context.Context, workers int) error {
	stop := context.AfterFunc(ctx, func() { c.fail(ctx.Err()) })
	defer stop()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				t, ok := c.take()
				if !ok {
					return
				}
				err := c.process(ctx, t)
				c.done(err)
			}
		})
	}
	wg.Wait()
	return c.err
}

func (c *crawl) take() (task, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.queue) == 0 && c.active > 0 && c.err == nil {
		c.wake.Wait()
	}
	if c.err != nil || len(c.queue) == 0 {
		return task{}, false
	}
	t := c.queue[0]
	c.queue = c.queue[1:]
	c.active++
	return t, true
}

func (c *crawl) done(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.active--
	if err != nil && c.err == nil {
		c.err = err
	}
	if c.err != nil || (c.active == 0 && len(c.queue) == 0) {
		c.wake.Broadcast()
	}
}

func (c *crawl) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
	c.wake.Broadcast()
}

// process renders one URL and stores the result, or takes it from the
// previous export when nothing it depends on has changed.
func (c *crawl) process(ctx context.Context, t task) error {
	fp := c.inv.fingerprintOf(t.key, c.related)
	if links, ok := c.previous.reusable(t.key, fp); ok {
		if f, ok := c.out.reuse(t.key); ok {
			_, page, _ := fileFor(t.key)
			if err := c.claim(t.key, f, page, false); err != nil {
				return err
			}
			c.follow(links)
			c.next.record(t.key, fp, links)
			return nil
		}
	}
	res := c.fetch(ctx, t.key)
	// data holds what the file is to hold, until put takes it.
	data := res.body
	defer func() {
		if data != nil {
			releaseBuffer(data)
		}
	}()
	if res.status != http.StatusOK {
		switch {
		case t.origin == optional && res.status == http.StatusNotFound:
			c.settle(t.key, fmt.Sprintf("the site answers %d", res.status))
			return nil
		case t.origin == linked:
			c.settle(t.key, fmt.Sprintf("the site answers %d", res.status))
			return nil
		}
		return fmt.Errorf("%s: the site answers %d", t.key, res.status)
	}
	file, page, err := fileFor(t.key)
	if err != nil {
		if t.origin == linked {
			c.settle(t.key, err.Error())
			return nil
		}
		return err
	}
	ct, _, _ := mime.ParseMediaType(res.header.Get("Content-Type"))
	if page != (ct == "text/html") {
		return fmt.Errorf("%s: the site answers with %s, but the address says it is %s", t.key, cmp.Or(ct, "no content type"), kind(page))
	}
	if enc := res.header.Get("Content-Encoding"); enc != "" {
		return fmt.Errorf("%s: the site answers %s-encoded although the export asked for none", t.key, enc)
	}
	var links []link
	switch {
	case page:
		out := newBuffer()
		links = c.rw.page(out, t.key, res.body.Bytes())
		releaseBuffer(res.body)
		data = out
	default:
		links = discover(c.rw, t.key, ct, data.Bytes())
	}
	c.follow(links)
	if fp != "" {
		c.next.record(t.key, fp, links)
	}
	f := fileEntry(file, data.Bytes())
	if err := c.claim(t.key, f, page, true); err != nil {
		return err
	}
	err = c.out.put(f, data)
	data = nil // put released it or will
	return err
}

// claim records that f holds key, refusing a second URL for the same file.
func (c *crawl) claim(key string, f File, page, rendered bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if other, ok := c.owner[f.Path]; ok {
		return fmt.Errorf("%s and %s would both be stored as %s; rename one of them", other, key, f.Path)
	}
	c.owner[f.Path] = key
	c.files = append(c.files, f)
	c.seen[key].exported = true
	if page {
		c.pages++
	}
	if rendered {
		c.rendered++
	}
	return nil
}

func (c *crawl) settle(key, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[key].reason = reason
}

// checkLinks fails if any page links to something the export lacks.
func (c *crawl) checkLinks() error {
	var problems []Problem
	for to, from := range c.linkedBy {
		if o := c.seen[to]; !o.exported {
			problems = append(problems, Problem{from, fmt.Sprintf("links to %s, which cannot be exported: %s", to, o.reason)})
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sortProblems(problems)
	var b strings.Builder
	fmt.Fprintf(&b, "%d dangling link(s); fix them on the site, or they break in every copy:", len(problems))
	for i, p := range problems {
		if i == 20 {
			fmt.Fprintf(&b, "\n  … and %d more", len(problems)-20)
			break
		}
		b.WriteString("\n  " + p.String())
	}
	return &LinkError{Problems: problems, summary: b.String()}
}

// LinkError lists links in the site that lead nowhere in the export.
type LinkError struct {
	Problems []Problem // Path is the page holding the link
	summary  string
}

func (e *LinkError) Error() string { return e.summary }

// response is a rendered URL.
type response struct {
	status int
	header http.Header
	body   *bytes.Buffer // from newBuffer
}

// buffers hold pages while they are rendered, rewritten and written: each
// is tens of kilobytes, and reusing them spares the garbage collector
// most of what an export allocates.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func newBuffer() *bytes.Buffer { return buffers.Get().(*bytes.Buffer) }

// releaseBuffer returns b to the pool; its bytes must no longer be used.
func releaseBuffer(b *bytes.Buffer) {
	b.Reset()
	buffers.Put(b)
}

func (r *response) Header() http.Header { return r.header }

func (r *response) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *response) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// fetch renders key as the site would answer a reader who asked the main
// host for it without compression.
func (c *crawl) fetch(ctx context.Context, key string) *response {
	r := (&http.Request{
		Method:     http.MethodGet,
		URL:        keyURL(key),
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     http.Header{"Accept-Encoding": {"identity"}},
		Host:       c.base.Host,
		RequestURI: key,
		RemoteAddr: "127.0.0.1:0",
	}).WithContext(ctx)
	if c.base.Scheme == "https" {
		r.TLS = &tls.ConnectionState{HandshakeComplete: true}
	}
	res := &response{header: http.Header{}, body: newBuffer()}
	c.handler.ServeHTTP(res, r)
	if res.status == 0 {
		res.status = http.StatusOK
	}
	return res
}

var (
	locPattern     = regexp.MustCompile(`<loc>\s*([^<\s]+)\s*</loc>`)
	sitemapPattern = regexp.MustCompile(`(?mi)^sitemap:\s*(\S+)`)
	cssURLPattern  = regexp.MustCompile(`url\(\s*['"]?([^'")\s]+)`)
)

// discover finds what a resource other than a page refers to and the
// export must hold too: sitemaps named by robots.txt, the URLs a sitemap
// lists, the files a stylesheet loads.
func discover(rw *rewriter, key, contentType string, body []byte) []link {
	var found []string
	switch {
	case key == "/robots.txt":
		for _, m := range sitemapPattern.FindAllSubmatch(body, -1) {
			found = append(found, string(m[1]))
		}
	case strings.HasSuffix(contentType, "xml"):
		for _, m := range locPattern.FindAllSubmatch(body, -1) {
			found = append(found, htmlUnescape(string(m[1])))
		}
	case contentType == "text/css":
		for _, m := range cssURLPattern.FindAllSubmatch(body, -1) {
			found = append(found, string(m[1]))
		}
	}
	self := keyURL(key)
	var links []link
	for _, raw := range found {
		ref, err := url.Parse(raw)
		if err != nil || strings.HasPrefix(raw, "data:") {
			continue
		}
		if ref.Scheme != "" || ref.Host != "" {
			p, ok := rw.onSite(ref)
			if !ok {
				continue
			}
			ref = &url.URL{Path: p, RawQuery: ref.RawQuery}
		}
		t := self.ResolveReference(ref)
		k := t.EscapedPath()
		if t.RawQuery != "" {
			k += "?" + t.RawQuery
		}
		links = append(links, link{from: key, to: k})
	}
	return links
}

// htmlUnescape decodes the five entities XML escapes.
func htmlUnescape(s string) string { return xmlEntities.Replace(s) }

var xmlEntities = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&apos;", "'")

func kind(page bool) string {
	if page {
		return "a page"
	}
	return "a file"
}
