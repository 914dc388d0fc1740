// Package export writes the public site as static files that work from any
// host, any sub-folder, an object store or a plain folder, with a signed
// manifest that lets anyone check a copy. Every page is rendered by the
// site's own handler, in process, so the copy and the live site cannot
// drift apart; a small transformer chain then makes links point at files
// and turns forms into links to the live site (see rewriter). The handler
// takes lists and articles from the export's own snapshot of the store
// (see site.Snapshot) rather than querying it for every page.
//
// An export is deterministic: the same content gives the same bytes, and
// the manifest's time is the content's newest date, not the clock. Only
// its sequence number rises with each export.
//
// An export into DIR keeps three things beside DIR, in its parent folder,
// so that DIR holds nothing but what is published and signed:
// .DIR.export-tmp-* while it writes (swapped into place when complete, so
// a crash or a full disk leaves the previous export as it was),
// .DIR.export.lock against two exports at once, and .DIR.export-state,
// which lets the next export reuse the pages it can prove unchanged
// without rendering them again.
package export

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/web/site"
)

// Options say what to export and where.
type Options struct {
	Source *Source // see NewSource
	// Dir receives the export. It must be missing, empty or a previous
	// export, unless Force.
	Dir   string
	Force bool
	// Key signs the manifest. It is read from a file, never from the
	// database the site serves.
	Key ed25519.PrivateKey
	// LiveURL is where forms and live-only pages send readers of the copy:
	// the main site or a mirror with a running server. Empty means the
	// source's BaseURL.
	LiveURL string
	// Full renders every page, even those the previous export shows
	// unchanged.
	Full bool
	// Workers render pages in parallel; 0 means one per CPU.
	Workers int

	// writeFile writes a new file; tests replace it to fill the disk.
	writeFile func(name string, data []byte, perm os.FileMode) error
}

// Stats describe a finished export.
type Stats struct {
	Files    int    // files listed in the manifest
	Pages    int    // HTML pages among them
	Rendered int    // files rendered through the site's handler; the rest were reused
	Written  int    // files whose bytes are new or changed
	Kept     int    // files unchanged since the previous export, linked rather than written
	Removed  int    // files of the previous export that are gone
	Bytes    int64  // total size of the listed files
	Sequence uint64 // the manifest's sequence number
	Duration time.Duration
}

// PagesPerSecond is the export's throughput in HTML pages.
func (s Stats) PagesPerSecond() float64 {
	if s.Duration <= 0 {
		return 0
	}
	return float64(s.Pages) / s.Duration.Seconds()
}

// Run exports the site into opts.Dir. On any error the folder is left as
// it was.
func Run(ctx context.Context, opts Options) (Stats, error) {
	began := time.Now()
	src := opts.Source
	if src == nil || src.Handler == nil || src.Store == nil || opts.Dir == "" {
		return Stats{}, errors.New("export: a source with a handler and a store, and a folder, are required")
	}
	if len(opts.Key) != ed25519.PrivateKeySize {
		return Stats{}, errors.New("export: a signing key is required; create one with: tamizdat keys --out DIR")
	}
	base, err := siteURL(src.BaseURL)
	if err != nil {
		return Stats{}, err
	}
	live := strings.TrimSuffix(cmp.Or(opts.LiveURL, src.BaseURL), "/")
	asOf := time.Now()
	inv, err := enumerate(ctx, src, asOf, codeIdentity(), ManifestFormat, base.String(), live)
	if err != nil {
		return Stats{}, fmt.Errorf("export: %w", err)
	}
	redirects, err := src.Store.ArticleRedirects(ctx, asOf)
	if err != nil {
		return Stats{}, fmt.Errorf("export: %w", err)
	}
	out, err := openOutput(opts.Dir, opts.Force)
	if err != nil {
		return Stats{}, fmt.Errorf("export: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			out.discard()
		}
	}()
	if opts.writeFile != nil {
		out.writeFile = opts.writeFile
	}

	c := newCrawl(src.Handler, base, &rewriter{site: base, live: live}, out)
	c.inv, c.related = inv, src.Related
	if !opts.Full && codeIdentity() != "" {
		c.previous = out.state
	}
	workers := cmp.Or(opts.Workers, runtime.GOMAXPROCS(0))
	out.startWriters(writersPerWorker * workers)
	if err := c.writeRedirects(redirects); err != nil {
		return Stats{}, fmt.Errorf("export: %w", err)
	}
	for _, k := range inv.keys {
		c.add(k, "", required)
	}
	for _, k := range optionalSeeds {
		c.add(k, "", optional)
	}
	crawled := c.run(site.WithSnapshot(ctx, inv.snap), workers)
	if err := cmp.Or(crawled, out.flush()); err != nil {
		return Stats{}, fmt.Errorf("export: %w", err)
	}
	if err := c.checkLinks(); err != nil {
		return Stats{}, fmt.Errorf("export: %w", err)
	}

	m := &Manifest{
		Format:    ManifestFormat,
		Site:      strings.TrimSuffix(src.BaseURL, "/"),
		Sequence:  1,
		Published: inv.published,
		KeyID:     KeyID(opts.Key.Public().(ed25519.PublicKey)),
		Files:     c.files,
	}
	if out.previous != nil {
		m.Sequence = out.previous.Sequence + 1
	}
	data, err := m.Encode()
	if err != nil {
		return Stats{}, err
	}
	if err := writeSigned(out, data, opts.Key); err != nil {
		return Stats{}, fmt.Errorf("export: write manifest: %w", err)
	}
	// Written before the swap: should the swap fail, the state names a
	// sequence the folder does not have, and the next export ignores it.
	if err := writeState(out.stateFile, c.next.finish(m.Sequence)); err != nil {
		return Stats{}, fmt.Errorf("export: write %s: %w", out.stateFile, err)
	}
	if err := out.commit(); err != nil {
		return Stats{}, fmt.Errorf("export: put the export in place: %w", err)
	}
	committed = true

	st := Stats{
		Files:    len(m.Files),
		Pages:    c.pages,
		Rendered: c.rendered,
		Written:  int(out.written.Load()),
		Kept:     int(out.kept.Load()),
		Sequence: m.Sequence,
		Duration: time.Since(began),
	}
	now := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		st.Bytes += f.Size
		now[f.Path] = true
	}
	if out.previous != nil {
		for _, f := range out.previous.Files {
			if !now[f.Path] {
				st.Removed++
			}
		}
	}
	return st, nil
}

// writersPerWorker is how many goroutines write files for each one that
// renders pages: creating a file mostly waits on the file system, which
// then need not hold up rendering.
const writersPerWorker = 2

// writeSigned writes manifest.json and its detached signature.
func writeSigned(out *output, manifest []byte, key ed25519.PrivateKey) error {
	if err := out.create(filepath.Join(out.tmp, ManifestName), manifest); err != nil {
		return err
	}
	return out.create(filepath.Join(out.tmp, SignatureName), ed25519.Sign(key, manifest))
}

// siteURL parses the main site's address, defaulting to http://localhost.
func siteURL(raw string) (*url.URL, error) {
	if raw == "" {
		return &url.URL{Scheme: "http", Host: "localhost"}, nil
	}
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("export: base URL %q must be an http or https address such as https://news.example", raw)
	}
	return u, nil
}

// fileEntry describes data as the manifest lists it.
func fileEntry(file string, data []byte) File {
	sum := sha256.Sum256(data)
	return File{Path: diskPath(file), SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
}

// sortProblems orders problems by path, then reason, for stable reports.
func sortProblems(ps []Problem) {
	slices.SortFunc(ps, func(a, b Problem) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), strings.Compare(a.Reason, b.Reason))
	})
}
