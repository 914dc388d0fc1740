package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/export"
	"github.com/tamizdat/tamizdat/internal/export/exporttest"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

const liveURL = "https://live.example"

// exportSite exports the export test site and returns its folder, its
// manifest and the server's full handler over the same store.
func exportSite(t *testing.T) (string, *export.Manifest, http.Handler) {
	t.Helper()
	return exportSiteAt(t, exporttest.BaseURL)
}

// exportSiteAt is exportSite for a site whose main address is base.
func exportSiteAt(t *testing.T, base string) (string, *export.Manifest, http.Handler) {
	t.Helper()
	ctx := context.Background()
	st := storetest.New(t)
	exporttest.Fill(t, st)
	cfg := config.Config{CacheBytes: 16 << 20, CacheMaxAge: time.Minute, BaseURL: base, MediaDir: t.TempDir()}
	uploads, err := NewMedia(st, cfg, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	publishWithUploads(t, st, uploads)
	served, _, err := Handler(ctx, st, cfg, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	src, err := export.NewSource(ctx, st, base, uploads, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "mirror")
	opts := export.Options{Source: src, Dir: dir, Key: key, LiveURL: liveURL}
	if _, err := export.Run(ctx, opts); err != nil {
		t.Fatal(err)
	}
	m, err := export.Verify(ctx, dir, pub, 0)
	if err != nil {
		t.Fatal(err)
	}
	return dir, m, served
}

// TestExportMatchesServer compares every exported file with what the
// server answers for its address: resources byte for byte, pages token
// for token, where the only differences allowed are the documented ones —
// links name the file of their target, live-only links and forms go to
// the live site.
func TestExportMatchesServer(t *testing.T) {
	dir, m, served := exportSite(t)
	pages := 0
	for _, f := range m.Files {
		target := addressOf(f.Path)
		w := get(served, exporttest.BaseURL+target)
		if w.Code != http.StatusOK {
			t.Errorf("%s (%s): the server answers %d", f.Path, target, w.Code)
			continue
		}
		exported, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(f.Path, ".html") {
			if !bytes.Equal(exported, w.Body.Bytes()) {
				t.Errorf("%s differs from the server's %s", f.Path, target)
			}
			continue
		}
		pages++
		samePage(t, f.Path, target, w.Body.String(), string(exported))
	}
	if pages < 60 {
		t.Errorf("compared %d pages, want all of them", pages)
	}
}

// addressOf is the documented mapping from a file of the export back to
// the address the server has it under.
func addressOf(file string) string {
	name, ok := strings.CutSuffix(file, ".html")
	if !ok {
		return "/" + file
	}
	query := ""
	if i := strings.LastIndex(name, ".page-"); i >= 0 {
		name, query = name[:i], "?page="+name[i+len(".page-"):]
	}
	if name == "index" {
		name = ""
	}
	return "/" + name + query
}

// fileOf is the documented mapping from an address to its file.
func fileOf(u *url.URL) string {
	p := strings.TrimPrefix(u.Path, "/")
	if strings.Contains(path.Base(u.Path), ".") && !strings.HasSuffix(u.Path, "/") {
		return p
	}
	if p == "" || strings.HasSuffix(p, "/") {
		p += "index"
	}
	if n := u.Query().Get("page"); n != "" {
		p += ".page-" + n
	}
	return p + ".html"
}

// samePage compares a served page with its exported file.
func samePage(t *testing.T, file, target, served, exported string) {
	t.Helper()
	servedURL, _ := url.Parse(exporttest.BaseURL + target)
	fileURL, _ := url.Parse("file:///mirror/" + file)
	sToks, forms, _ := pageTokens(served)
	eToks, _, notes := pageTokens(exported)
	// Sign-up and donation forms become a note each; "remind me later"
	// goes without one.
	if want := forms - strings.Count(served, "remind-later"); len(notes) != want {
		t.Errorf("%s: %d forms became %d notes, want %d", file, forms, len(notes), want)
	}
	for _, href := range notes {
		if !strings.HasPrefix(href, liveURL+target+"#") {
			t.Errorf("%s: a form's note links to %q, want the live page", file, href)
		}
	}
	if len(sToks) != len(eToks) {
		t.Errorf("%s: the server's page has %d tokens, the export's %d", file, len(sToks), len(eToks))
		return
	}
	for i, sTok := range sToks {
		eTok := eToks[i]
		if sTok.Type != eTok.Type || sTok.Data != eTok.Data || len(sTok.Attr) != len(eTok.Attr) {
			t.Errorf("%s: the server has %s where the export has %s", file, sTok, eTok)
			return
		}
		for j, a := range sTok.Attr {
			b := eTok.Attr[j]
			switch {
			case a.Key != b.Key:
				t.Errorf("%s: attribute %s became %s", file, a.Key, b.Key)
			case a.Key == "srcset":
				sc, ec := strings.Split(a.Val, ","), strings.Split(b.Val, ",")
				for k := range min(len(sc), len(ec)) {
					sameLink(t, file, servedURL, fileURL, strings.Fields(sc[k])[0], strings.Fields(ec[k])[0])
				}
			case (a.Key == "href" || a.Key == "src") && !(sTok.Data == "link" && attr(sTok, "rel") == "canonical"):
				sameLink(t, file, servedURL, fileURL, a.Val, b.Val)
			case a.Val != b.Val:
				t.Errorf("%s: <%s %s=%q> became %q", file, sTok.Data, a.Key, a.Val, b.Val)
			}
		}
	}
}

// pageTokens returns a page's tokens without its forms and without the
// notes that stand in for forms in an export, adjacent texts joined. It
// counts the forms and returns the link of each note.
func pageTokens(page string) (toks []html.Token, forms int, notes []string) {
	z := html.NewTokenizer(strings.NewReader(page))
	add := func(tok html.Token) {
		if tok.Type == html.TextToken && len(toks) > 0 && toks[len(toks)-1].Type == html.TextToken {
			toks[len(toks)-1].Data += tok.Data
			return
		}
		toks = append(toks, tok)
	}
	for z.Next() != html.ErrorToken {
		tok := z.Token()
		if tok.Type == html.StartTagToken && tok.Data == "form" {
			forms++
			skipTo(z, "form")
			continue
		}
		if tok.Type != html.StartTagToken || tok.Data != "p" || attr(tok, "class") != "small" {
			add(tok)
			continue
		}
		z.Next()
		first := z.Token()
		if !strings.HasPrefix(first.Data, "This copy of the site cannot") {
			add(tok)
			add(first)
			continue
		}
		for z.Next() != html.ErrorToken {
			t := z.Token()
			if t.Type == html.StartTagToken && t.Data == "a" {
				notes = append(notes, attr(t, "href"))
			}
			if t.Type == html.EndTagToken && t.Data == "p" {
				break
			}
		}
	}
	return toks, forms, notes
}

// sameLink checks that an exported link leads where the served one does.
func sameLink(t *testing.T, file string, servedURL, fileURL *url.URL, served, exported string) {
	t.Helper()
	sRef, err1 := url.Parse(served)
	eRef, err2 := url.Parse(exported)
	if err1 != nil || err2 != nil {
		t.Errorf("%s: unparsable link %q or %q", file, served, exported)
		return
	}
	want := servedURL.ResolveReference(sRef)
	switch {
	case strings.HasPrefix(served, "#") || want.Host != servedURL.Host:
		if exported != served {
			t.Errorf("%s: link %q became %q", file, served, exported)
		}
	case want.Path == "/support" || want.Path == "/newsletter" || strings.HasPrefix(want.Path, "/newsletter/"):
		if exported != liveURL+want.Path {
			t.Errorf("%s: live-only link %q became %q, want the live site", file, served, exported)
		}
	default:
		got := fileURL.ResolveReference(eRef)
		if got.Path != "/mirror/"+fileOf(want) || got.Fragment != want.Fragment {
			t.Errorf("%s: link %q (to %s) became %q, which leads to %s", file, served, want, exported, got)
		}
	}
}

func skipTo(z *html.Tokenizer, end string) {
	for depth := 1; depth > 0; {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.StartTagToken:
			if n, _ := z.TagName(); string(n) == end {
				depth++
			}
		case html.EndTagToken:
			if n, _ := z.TagName(); string(n) == end {
				depth--
			}
		}
	}
}

func attr(tok html.Token, key string) string {
	for _, a := range tok.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
