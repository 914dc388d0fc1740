package export

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// output is where an export is written: a temporary folder next to the
// destination, swapped into its place only once complete and flushed. A
// full disk or a crash part-way leaves the previous export as it was.
type output struct {
	dir      string    // the destination
	tmp      string    // the folder being written
	existed  bool      // whether dir held a previous export (or forced content)
	previous *Manifest // the previous export's manifest, nil if none
	byPath   map[string]File
	// stateFile, beside dir, holds what the previous export left for this
	// one; state is its content when it matches the previous manifest.
	stateFile string
	state     *state
	unlock    func()

	writeFile func(name string, data []byte, perm os.FileMode) error
	written   atomic.Int64 // files whose bytes are new
	kept      atomic.Int64 // files linked unchanged from the previous export
	madeDirs  sync.Map     // folders below tmp known to exist, so each is made once

	// created names the files written with new bytes, up to
	// syncEachLimit and one more; see flushToDisk.
	createdMu sync.Mutex
	created   []string

	// Files wait in queue for a writer (see startWriters), so that
	// rendering goes on while the file system creates files, which on
	// some machines blocks for longer than a page takes to render.
	queue    chan pendingWrite
	writers  sync.WaitGroup
	flushed  func() error // closes the queue and waits for the writers, once
	writeErr atomic.Pointer[error]
}

// pendingWrite is a file waiting for a writer, with the buffer holding
// its bytes, which the writer releases.
type pendingWrite struct {
	file File
	data *bytes.Buffer
}

// openOutput prepares an export into dir. It refuses a folder that holds
// something other than a previous export, unless force.
func openOutput(dir string, force bool) (*output, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real // swap the folder itself, not a link to it
	}
	parent, base := filepath.Split(dir)
	if base == "" {
		return nil, fmt.Errorf("cannot export into %s: choose a folder below it", dir)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	unlock, err := lockFolder(filepath.Join(parent, "."+base+".export.lock"))
	if err != nil {
		return nil, err
	}
	o := &output{dir: dir, unlock: unlock, writeFile: os.WriteFile, stateFile: filepath.Join(parent, "."+base+".export-state")}
	if err := o.inspect(force); err != nil {
		unlock()
		return nil, err
	}
	// Holding the lock, any temporary folder left is from a crashed export.
	tmpPrefix := "." + base + ".export-tmp-"
	if entries, err := os.ReadDir(parent); err == nil {
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), tmpPrefix) {
				os.RemoveAll(filepath.Join(parent, e.Name()))
			}
		}
	}
	if o.tmp, err = os.MkdirTemp(parent, tmpPrefix); err != nil {
		unlock()
		return nil, err
	}
	return o, nil
}

// inspect reads what dir holds now.
func (o *output) inspect(force bool) error {
	info, err := os.Stat(o.dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a folder", o.dir)
	}
	o.existed = true
	m, _, err := readManifest(o.dir)
	if err != nil {
		if force {
			return nil
		}
		return fmt.Errorf("%s does not hold a readable export (%w); use --force to replace it", o.dir, err)
	}
	if m == nil {
		entries, err := os.ReadDir(o.dir)
		if err != nil {
			return err
		}
		if len(entries) > 0 && !force {
			return fmt.Errorf("%s is not empty and holds no %s, so it is not a previous export; use --force to replace its contents", o.dir, ManifestName)
		}
		return nil
	}
	o.previous = m
	o.byPath = make(map[string]File, len(m.Files))
	for _, f := range m.Files {
		o.byPath[f.Path] = f
	}
	o.state = readState(o.stateFile, m.Sequence)
	return nil
}

// reuse links the previous export's file for key into the new export,
// without rendering it, and returns its manifest entry. It reports false
// if that file is not there as the previous manifest describes it.
func (o *output) reuse(key string) (File, bool) {
	file, _, err := fileFor(key)
	if err != nil {
		return File{}, false
	}
	f, ok := o.byPath[diskPath(file)]
	if !ok {
		return File{}, false
	}
	oldName := filepath.Join(o.dir, filepath.FromSlash(f.Path))
	info, err := os.Lstat(oldName)
	if err != nil || !info.Mode().IsRegular() || info.Size() != f.Size {
		return File{}, false
	}
	name := filepath.Join(o.tmp, filepath.FromSlash(f.Path))
	if o.makeDir(filepath.Dir(name)) != nil || os.Link(oldName, name) != nil {
		return File{}, false
	}
	o.kept.Add(1)
	return f, true
}

// startWriters starts n goroutines that store the files put queues. The
// queue holds a few files per writer, which bounds the memory pages
// waiting to be written hold.
func (o *output) startWriters(n int) {
	o.queue = make(chan pendingWrite, 4*n)
	for range n {
		o.writers.Go(func() {
			for w := range o.queue {
				// After a failure, drain the queue without writing.
				if o.failure() == nil {
					if err := o.store(w.file, w.data.Bytes()); err != nil {
						err = fmt.Errorf("write %s: %w", w.file.Path, err)
						o.writeErr.CompareAndSwap(nil, &err)
					}
				}
				releaseBuffer(w.data)
			}
		})
	}
	o.flushed = sync.OnceValue(func() error {
		close(o.queue)
		o.writers.Wait()
		return o.failure()
	})
}

// failure returns the first error a writer met, if any.
func (o *output) failure() error {
	if err := o.writeErr.Load(); err != nil {
		return *err
	}
	return nil
}

// put queues one file of the export for a writer, which releases data
// once it is written. It returns the first error a writer met, if any;
// flush returns the rest.
func (o *output) put(f File, data *bytes.Buffer) error {
	if err := o.failure(); err != nil {
		releaseBuffer(data)
		return err
	}
	o.queue <- pendingWrite{f, data}
	return nil
}

// flush waits until every file put queued is stored, and returns the first
// error a writer met. Nothing may be put after it.
func (o *output) flush() error {
	if o.flushed == nil {
		return nil // no writers started
	}
	return o.flushed()
}

// store writes one file of the export. A file whose bytes equal the
// previous export's is hard-linked rather than written, so it keeps its
// time stamp and a sync to a static host skips it.
func (o *output) store(f File, data []byte) error {
	name := filepath.Join(o.tmp, filepath.FromSlash(f.Path))
	if err := o.makeDir(filepath.Dir(name)); err != nil {
		return err
	}
	if old, ok := o.byPath[f.Path]; ok && old.SHA256 == f.SHA256 && old.Size == f.Size {
		oldName := filepath.Join(o.dir, filepath.FromSlash(f.Path))
		// Compare the bytes too: the old file may have been changed since.
		if prev, err := os.ReadFile(oldName); err == nil && bytes.Equal(prev, data) && os.Link(oldName, name) == nil {
			o.kept.Add(1)
			return nil
		}
	}
	if err := o.create(name, data); err != nil {
		return err
	}
	o.written.Add(1)
	return nil
}

// create writes a file below tmp with new bytes.
func (o *output) create(name string, data []byte) error {
	if err := o.writeFile(name, data, 0o644); err != nil {
		return err
	}
	o.createdMu.Lock()
	if len(o.created) <= syncEachLimit {
		o.created = append(o.created, name)
	}
	o.createdMu.Unlock()
	return nil
}

// syncEachLimit is how many new files an export flushes to disk one by
// one, with the folders that hold them and the links to unchanged files;
// past it, one flush of the whole file system costs less. An export
// after a small edit writes a few dozen files, and flushing only those
// spares it the wait for whatever else the machine has written.
const syncEachLimit = 256

// flushToDisk makes everything below tmp durable.
func (o *output) flushToDisk() error {
	if len(o.created) > syncEachLimit {
		return syncFS(o.tmp)
	}
	names := append([]string{o.tmp}, o.created...)
	o.madeDirs.Range(func(dir, _ any) bool {
		names = append(names, dir.(string))
		return true
	})
	for _, name := range names {
		if err := syncPath(name); err != nil {
			return err
		}
	}
	return nil
}

// makeDir makes the folder dir below tmp, with its parents, unless this
// export made it before: thousands of files share a few folders.
func (o *output) makeDir(dir string) error {
	if _, ok := o.madeDirs.Load(dir); ok {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	o.madeDirs.Store(dir, true)
	return nil
}

// commit flushes the new export and swaps it into place.
func (o *output) commit() error {
	if err := os.Chmod(o.tmp, 0o755); err != nil {
		return err
	}
	if err := o.flushToDisk(); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	if !o.existed {
		if err := os.Rename(o.tmp, o.dir); err != nil {
			return err
		}
	} else {
		if err := exchange(o.tmp, o.dir); err != nil {
			return err
		}
		// o.tmp now holds the previous export. Should removing it fail,
		// the next export removes it, as it does after a crash.
		os.RemoveAll(o.tmp)
	}
	if d, err := os.Open(filepath.Dir(o.dir)); err == nil {
		d.Sync() // make the rename itself durable
		d.Close()
	}
	o.unlock()
	return nil
}

// discard removes the unfinished export and leaves dir as it was.
func (o *output) discard() {
	o.flush() // no writer may still be adding files to tmp
	os.RemoveAll(o.tmp)
	o.unlock()
}

// exchangeByRenames swaps a and b with two renames through a third name.
func exchangeByRenames(a, b string) error {
	aside := a + ".previous"
	if err := os.Rename(b, aside); err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		return errors.Join(err, os.Rename(aside, b))
	}
	return os.Rename(aside, a)
}
