package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/demo"
	"github.com/tamizdat/tamizdat/internal/export/exporttest"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// tree maps every file under dir to the SHA-256 of its bytes.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sum := sha256.Sum256(data)
		files[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestExportAndVerify(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), "mirror")
	s := f.export(t, dir)

	m, err := Verify(context.Background(), dir, f.pub, 0)
	if err != nil {
		t.Fatalf("a fresh export does not verify: %v", err)
	}
	files := tree(t, dir)
	if len(files) != len(m.Files)+2 || s.Files != len(m.Files) {
		t.Errorf("the folder holds %d files, the manifest lists %d (+ itself and its signature), stats say %d", len(files), len(m.Files), s.Files)
	}
	if s.Written != s.Files || s.Kept != 0 || s.Sequence != 1 {
		t.Errorf("first export: %+v, want every file written and sequence 1", s)
	}
	// The front page, every article and list page, and what they load.
	want := []string{
		"index.html", "index.page-2.html", "index.page-3.html", "archive.html", "about.html", "privacy-policy.html",
		"articles/story-0.html", "articles/story-44.html", "tags/politics.html", "authors/afp.html",
		"archive/2025/01.html", "archive/2025/04.html", "media/demo/river.jpg", "reach.html", "mirrors.json",
	}
	for _, name := range want {
		if _, ok := files[name]; !ok {
			t.Errorf("the export lacks %s", name)
		}
	}
	if s.Pages != 63 {
		t.Errorf("%d pages, want 63: 45 articles, 3 front pages, 4 tags, 3 bylines, 4 months, the archive, 2 static pages and the page on how to reach us", s.Pages)
	}
	var css bool
	for name := range files {
		css = css || strings.HasPrefix(name, "static/") && strings.HasSuffix(name, "/site.css")
		if strings.Contains(name, "secret") || strings.Contains(name, "unfinished") {
			t.Errorf("the export reveals %s, which only a draft uses", name)
		}
	}
	if !css {
		t.Error("the export lacks the stylesheet")
	}
	// The newest date in the content: the static pages were written last.
	pages, err := f.st.ListPages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	newest := f.Articles[len(f.Articles)-1].PublishedAt
	for _, p := range pages {
		if p.UpdatedAt.After(newest) {
			newest = p.UpdatedAt
		}
	}
	if !m.Published.Equal(newest) {
		t.Errorf("manifest published %v, want the content's newest date %v", m.Published, newest)
	}
	if m.KeyID != KeyID(f.pub) || m.Site != exporttest.BaseURL {
		t.Errorf("manifest key %q site %q", m.KeyID, m.Site)
	}
}

func TestVerifyRejects(t *testing.T) {
	f := newFixture(t)
	src := filepath.Join(t.TempDir(), "mirror")
	f.export(t, src) // sequence 1
	f.export(t, src) // sequence 2
	otherPub, otherKey := newKeyPair(t)
	tests := []struct {
		name   string
		spoil  func(t *testing.T, dir string)
		pub    []byte
		minSeq uint64
		path   string // the file the problem must name
		reason string
	}{
		{"a changed byte", func(t *testing.T, dir string) { flipByte(t, filepath.Join(dir, "articles/story-7.html")) }, nil, 0, "articles/story-7.html", "differs"},
		{"a missing file", func(t *testing.T, dir string) { remove(t, filepath.Join(dir, "tags/sport.html")) }, nil, 0, "tags/sport.html", "missing"},
		{"an added file", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "articles/forged.html"), "<p>fake news</p>")
		}, nil, 0, "articles/forged.html", "not listed"},
		{"a longer file", func(t *testing.T, dir string) { appendTo(t, filepath.Join(dir, "index.html"), "<!-- -->") }, nil, 0, "index.html", "bytes"},
		{"a symbolic link", func(t *testing.T, dir string) {
			if err := os.Symlink("/etc/passwd", filepath.Join(dir, "passwd.html")); err != nil {
				t.Fatal(err)
			}
		}, nil, 0, "passwd.html", "not a regular file"},
		{"a bad signature", func(t *testing.T, dir string) { flipByte(t, filepath.Join(dir, SignatureName)) }, nil, 0, SignatureName, "does not match"},
		{"another key", func(t *testing.T, dir string) {}, otherPub, 0, SignatureName, "the manifest names key"},
		{"a manifest changed after signing", func(t *testing.T, dir string) {
			name := filepath.Join(dir, ManifestName)
			write(t, name, strings.Replace(readFile(t, name), `"sequence": 2`, `"sequence": 9`, 1))
		}, nil, 0, SignatureName, "does not match"},
		{"a manifest re-signed by a forger", func(t *testing.T, dir string) {
			name := filepath.Join(dir, ManifestName)
			data := []byte(readFile(t, name))
			write(t, filepath.Join(dir, SignatureName), string(signWith(otherKey, data)))
		}, nil, 0, SignatureName, "does not match"},
		{"an older sequence", func(t *testing.T, dir string) {}, nil, 3, ManifestName, "rollback"},
		{"no manifest", func(t *testing.T, dir string) { remove(t, filepath.Join(dir, ManifestName)) }, nil, 0, ManifestName, "cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyTree(t, src)
			tt.spoil(t, dir)
			pub := f.pub
			if tt.pub != nil {
				pub = tt.pub
			}
			_, err := Verify(context.Background(), dir, pub, tt.minSeq)
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("Verify = %v, want a *VerifyError", err)
			}
			for _, p := range ve.Problems {
				if p.Path == tt.path && strings.Contains(p.Reason, tt.reason) {
					return
				}
			}
			t.Errorf("no problem names %s with %q; got:\n%v", tt.path, tt.reason, err)
		})
	}
	t.Run("the same sequence passes", func(t *testing.T) {
		if _, err := Verify(context.Background(), src, f.pub, 2); err != nil {
			t.Errorf("Verify with the current sequence: %v", err)
		}
	})
	t.Run("a link to the copy passes", func(t *testing.T) {
		link := filepath.Join(t.TempDir(), "www")
		if err := os.Symlink(src, link); err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(context.Background(), link, f.pub, 0); err != nil {
			t.Errorf("Verify through a link: %v", err)
		}
	})
}

func TestExportIsDeterministic(t *testing.T) {
	f := newFixture(t)
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	f.export(t, a)
	f.export(t, b)
	if diff := cmp.Diff(tree(t, a), tree(t, b)); diff != "" {
		t.Fatalf("two exports of the same content differ (-a +b):\n%s", diff)
	}
	// Again into the same folder: only the sequence number may move.
	before := tree(t, a)
	manifest := readFile(t, filepath.Join(a, ManifestName))
	f.export(t, a)
	after := tree(t, a)
	for _, name := range []string{ManifestName, SignatureName} {
		delete(before, name)
		delete(after, name)
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("a second export into the same folder changed files (-first +second):\n%s", diff)
	}
	want := strings.Replace(manifest, `"sequence": 1,`, `"sequence": 2,`, 1)
	if diff := cmp.Diff(want, readFile(t, filepath.Join(a, ManifestName))); diff != "" {
		t.Errorf("the manifest changed beyond its sequence number:\n%s", diff)
	}
}

func TestIncrementalExport(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), "mirror")
	f.export(t, dir)
	before := tree(t, dir)
	infos := map[string]os.FileInfo{}
	for name := range before {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		infos[name] = info
	}

	a := f.Articles[20]
	a.Title = "Story 20, corrected"
	if err := f.st.UpdateArticle(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	s := f.export(t, dir)
	after := tree(t, dir)

	var changed []string
	for name, sum := range after {
		if before[name] != sum && name != ManifestName && name != SignatureName {
			changed = append(changed, name)
		}
	}
	slices.Sort(changed)
	if s.Written != len(changed) || s.Kept != s.Files-len(changed) || s.Removed != 0 || s.Sequence != 2 {
		t.Errorf("stats %+v; %d files changed: %v", s, len(changed), changed)
	}
	if !slices.Contains(changed, "articles/story-20.html") || len(changed) > 20 {
		t.Errorf("changed files: %v; want the article and the few pages and feeds listing it", changed)
	}
	for name, info := range infos {
		now, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		if same := os.SameFile(info, now); same == slices.Contains(changed, name) && name != ManifestName && name != SignatureName {
			t.Errorf("%s: rewritten = %v, but its bytes changed = %v", name, !same, slices.Contains(changed, name))
		}
	}
	if !strings.Contains(readFile(t, filepath.Join(dir, "articles/story-20.html")), "Story 20, corrected") {
		t.Error("the changed article does not show its new title")
	}
}

func TestExportRefusesAForeignFolder(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "thesis.txt"), "years of work")
	_, err := Run(context.Background(), f.options(t, dir))
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("export into a folder of other files = %v, want a refusal that mentions --force", err)
	}
	if readFile(t, filepath.Join(dir, "thesis.txt")) != "years of work" {
		t.Fatal("the refused export touched the folder")
	}
	opts := f.options(t, dir)
	opts.Force = true
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatalf("forced export: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "thesis.txt")); !os.IsNotExist(err) {
		t.Error("a forced export kept a file that is not part of it")
	}
	if _, err := Verify(context.Background(), dir, f.pub, 0); err != nil {
		t.Errorf("forced export does not verify: %v", err)
	}
}

func TestFailedExportKeepsThePreviousOne(t *testing.T) {
	f := newFixture(t)
	parent := t.TempDir()
	dir := filepath.Join(parent, "mirror")
	f.export(t, dir)
	before := tree(t, dir)

	a := f.Articles[3]
	a.Title = "Story 3, rewritten"
	if err := f.st.UpdateArticle(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	opts := f.options(t, dir)
	var writes atomic.Int32
	opts.writeFile = func(name string, data []byte, perm os.FileMode) error {
		if writes.Add(1) > 2 {
			return &fs.PathError{Op: "write", Path: name, Err: syscall.ENOSPC}
		}
		return os.WriteFile(name, data, perm)
	}
	_, err := Run(context.Background(), opts)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("export onto a full disk = %v, want ENOSPC", err)
	}
	if diff := cmp.Diff(before, tree(t, dir)); diff != "" {
		t.Errorf("the failed export changed the previous one:\n%s", diff)
	}
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		if e.Name() != "mirror" && e.Name() != ".mirror.export.lock" && e.Name() != ".mirror.export-state" {
			t.Errorf("the failed export left %s behind", e.Name())
		}
	}
	if _, err := Verify(context.Background(), dir, f.pub, 1); err != nil {
		t.Errorf("the previous export no longer verifies: %v", err)
	}
}

func TestExportFailsOnDanglingLinks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	broken := exporttest.Article(t, "Broken", "See [this](/articles/no-such-story) and [that](../nowhere?x=1).")
	broken.PublishedAt = time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	if err := f.st.CreateArticle(ctx, broken); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "mirror")
	_, err := Run(ctx, f.options(t, dir))
	var le *LinkError
	if !errors.As(err, &le) {
		t.Fatalf("export with broken links = %v, want a *LinkError", err)
	}
	got := map[string]bool{}
	for _, p := range le.Problems {
		got[p.Path+" → "+strings.Fields(p.Reason)[2]] = true
	}
	want := map[string]bool{"/articles/broken → /articles/no-such-story,": true, "/articles/broken → /nowhere?x=1,": true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dangling links (-want +got):\n%s\n%v", diff, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Error("a failed first export left a folder behind")
	}
}

func TestExportWaitsForNoOtherExport(t *testing.T) {
	f := newFixture(t)
	parent := t.TempDir()
	unlock, err := lockFolder(filepath.Join(parent, ".mirror.export.lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	_, err = Run(context.Background(), f.options(t, filepath.Join(parent, "mirror")))
	if err == nil || !strings.Contains(err.Error(), "another export") {
		t.Errorf("export while another runs = %v, want a refusal", err)
	}
}

// TestExportDemo exports the demo site, whose lists run to several pages.
func TestExportDemo(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	if err := demo.Load(ctx, st, time.Now()); err != nil {
		t.Fatal(err)
	}
	src, err := NewSource(ctx, st, "https://news.example", nil, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	pub, key := newKeyPair(t)
	dir := filepath.Join(t.TempDir(), "mirror")
	s, err := Run(ctx, Options{Source: src, Dir: dir, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(ctx, dir, pub, 1); err != nil {
		t.Fatal(err)
	}
	t.Logf("demo: %d files, %d pages in %v (%.0f pages/s)", s.Files, s.Pages, s.Duration, s.PagesPerSecond())
}

func flipByte(t *testing.T, name string) {
	t.Helper()
	data := []byte(readFile(t, name))
	data[len(data)/2] ^= 1
	write(t, name, string(data))
}

func remove(t *testing.T, name string) {
	t.Helper()
	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendTo(t *testing.T, name, data string) {
	t.Helper()
	write(t, name, readFile(t, name)+data)
}

// copyTree copies the export in src to a new folder.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	for _, name := range slices.Sorted(maps.Keys(tree(t, src))) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dst, name), readFile(t, filepath.Join(src, name)))
	}
	return dst
}

// TestExportWritesRedirectPages: a published article's former address
// becomes a small page that sends readers on to the current one without
// JavaScript; pages that still link to the old address keep working, and
// the copy verifies.
func TestExportWritesRedirectPages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.Articles[0] // the other stories link to /articles/story-0
	for _, slug := range []string{"story-zero", "the-first-story"} {
		a.Slug = slug
		if err := f.st.UpdateArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "mirror")
	s := f.export(t, dir)
	if _, err := Verify(ctx, dir, f.pub, 0); err != nil {
		t.Fatalf("the export does not verify: %v", err)
	}
	if s.Pages != 65 {
		t.Errorf("%d pages, want 65: the 63 of TestExportAndVerify and 2 redirect pages", s.Pages)
	}
	if !strings.Contains(readFile(t, filepath.Join(dir, "articles/the-first-story.html")), "Story 0") {
		t.Error("the article is not at its current address")
	}
	for _, old := range []string{"story-0", "story-zero"} {
		page := readFile(t, filepath.Join(dir, "articles", old+".html"))
		for _, want := range []string{`<meta http-equiv="refresh" content="0; url=the-first-story.html">`,
			`<a href="the-first-story.html">`, `<meta name="robots" content="noindex">`} {
			if !strings.Contains(page, want) {
				t.Errorf("articles/%s.html lacks %s:\n%s", old, want, page)
			}
		}
		if strings.Contains(page, "<script") {
			t.Errorf("articles/%s.html has a script", old)
		}
	}
}

// TestFlushToDisk checks how an export makes its files durable: a few new
// files one by one, with every folder (a file it cannot open fails the
// export), and many with one flush of the file system.
func TestFlushToDisk(t *testing.T) {
	out, err := openOutput(filepath.Join(t.TempDir(), "mirror"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer out.discard()
	name := filepath.Join(out.tmp, "articles", "a.html")
	if err := out.makeDir(filepath.Dir(name)); err != nil {
		t.Fatal(err)
	}
	if err := out.create(name, []byte("<p>a</p>")); err != nil {
		t.Fatal(err)
	}
	if err := out.flushToDisk(); err != nil {
		t.Fatalf("flushing one file: %v", err)
	}
	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
	if err := out.flushToDisk(); err == nil {
		t.Error("flushing a file that is gone gave no error: the files are not flushed one by one")
	}
	for len(out.created) <= syncEachLimit {
		out.created = append(out.created, name)
	}
	if err := out.flushToDisk(); err != nil {
		t.Errorf("flushing many files: %v; want one flush of the file system, which names none", err)
	}
}
