// Package render loads html/template pages from a file system, all at
// start-up, and renders them into a buffer so a template error becomes a
// clean error instead of half a page.
package render

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
)

// Renderer holds one parsed template set per page.
type Renderer struct {
	pages map[string]*template.Template
}

// New parses every "*.html" file in dir of fsys. Files whose name starts
// with an underscore are shared layouts and partials, included in every
// page; each other file is a page named after the file without extension.
// The "*.html" files at the top of each base come first, so a layout that
// several packages share can be one of them, and each page may fill the
// blocks it defines.
// It fails if any template does not parse, so a broken theme stops the
// start-up rather than a reader's request.
func New(fsys fs.FS, dir string, funcs template.FuncMap, base ...fs.FS) (*Renderer, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.html"))
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	var shared, pages []string
	for _, n := range names {
		if strings.HasPrefix(path.Base(n), "_") {
			shared = append(shared, n)
		} else {
			pages = append(pages, n)
		}
	}
	sort.Strings(pages)
	r := &Renderer{pages: map[string]*template.Template{}}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		t := template.New(name).Funcs(funcs)
		for _, b := range base {
			if t, err = t.ParseFS(b, "*.html"); err != nil {
				return nil, fmt.Errorf("render: parse the base of %s: %w", p, err)
			}
		}
		t, err = t.ParseFS(fsys, append(append([]string{}, shared...), p)...)
		if err != nil {
			return nil, fmt.Errorf("render: parse %s: %w", p, err)
		}
		if t.Lookup("page") == nil {
			return nil, fmt.Errorf("render: %s defines no \"page\" template", p)
		}
		r.pages[name] = t
	}
	if len(r.pages) == 0 {
		return nil, fmt.Errorf("render: no pages in %s", dir)
	}
	return r, nil
}

// Render executes the page's "page" template with data and returns the
// complete output.
func (r *Renderer) Render(page string, data any) ([]byte, error) {
	var out []byte
	err := r.Send(page, data, func(body []byte) error {
		out = bytes.Clone(body)
		return nil
	})
	return out, err
}

// Send executes the page's "page" template with data and, once all of it
// has rendered, calls send with the output, which send must not keep: it
// is in a buffer that the next page reuses.
func (r *Renderer) Send(page string, data any, send func(body []byte) error) error {
	return r.execute(page, "page", data, send)
}

// RenderTemplate executes name, one of the templates the page's files
// define, with data: a fragment that a caller renders once and shows, as
// HTML, on many pages.
func (r *Renderer) RenderTemplate(page, name string, data any) (string, error) {
	var out string
	err := r.execute(page, name, data, func(b []byte) error {
		out = string(b)
		return nil
	})
	return out, err
}

// buffers hold output while it renders. Pages are tens of kilobytes, and
// a static export renders thousands: growing a new buffer for each was a
// good part of what the garbage collector had to clear.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (r *Renderer) execute(page, name string, data any, send func([]byte) error) error {
	t, ok := r.pages[page]
	if !ok {
		return fmt.Errorf("render: no page %q", page)
	}
	buf := buffers.Get().(*bytes.Buffer)
	defer func() {
		buf.Reset()
		buffers.Put(buf)
	}()
	if err := t.ExecuteTemplate(buf, name, data); err != nil {
		return fmt.Errorf("render: %s: %w", page, err)
	}
	return send(buf.Bytes())
}

// Has reports whether a page of that name was loaded.
func (r *Renderer) Has(page string) bool {
	_, ok := r.pages[page]
	return ok
}
