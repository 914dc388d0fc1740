// Package media takes image uploads for the desk and serves them to
// readers. An upload is accepted only if its content is a JPEG, PNG or
// WebP image (its name and declared type are ignored), within a byte and a
// pixel limit checked before decoding. Every accepted image is decoded and
// re-encoded, which drops EXIF, XMP, GPS positions, ICC profiles and
// comments (requirement W7; a photo's GPS position can expose a source),
// and is stored with smaller copies for srcset under a random key in a
// blob.Store, never under the uploaded file's name.
package media

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"unicode"

	"github.com/tamizdat/tamizdat/internal/blob"
	"github.com/tamizdat/tamizdat/internal/store"
)

// Defaults of Options.
const (
	DefaultMaxBytes  = 20 << 20
	DefaultMaxPixels = 40_000_000
	DefaultWorkers   = 2
)

// Reasons an upload is refused, for errors.Is. The error returned is a
// *Rejection with a message for the uploader.
var (
	ErrTooLarge      = errors.New("media: file too large")
	ErrUnsupported   = errors.New("media: not a JPEG, PNG or WebP image")
	ErrDamaged       = errors.New("media: damaged image")
	ErrTooManyPixels = errors.New("media: too many pixels")
	ErrInUse         = errors.New("media: image in use")
)

// Rejection is an upload (or deletion) refused for what it is, not
// because something failed. Message tells the person what to do.
type Rejection struct {
	Reason  error // one of the Err… values above
	Message string
}

func (r *Rejection) Error() string { return r.Reason.Error() + ": " + r.Message }
func (r *Rejection) Unwrap() error { return r.Reason }

func reject(reason error, message string) *Rejection {
	return &Rejection{Reason: reason, Message: message}
}

// Options configure the Service. Zero values take the defaults.
type Options struct {
	// MaxBytes is the largest upload accepted.
	MaxBytes int64
	// MaxPixels is the most pixels (width × height) an upload may have.
	// Decoding takes about 4 bytes per pixel, 160 MB at the default.
	MaxPixels int64
	// Workers is how many uploads are decoded at once; the others wait,
	// which bounds the memory decoding takes.
	Workers int
	Log     *slog.Logger
}

// Service stores uploads in a blob.Store and records them in the store.
type Service struct {
	store   *store.Store
	blobs   blob.Store
	lim     limits
	max     int64
	workers chan struct{}
	log     *slog.Logger
}

// New returns the media service over st and blobs.
func New(st *store.Store, blobs blob.Store, opts Options) *Service {
	s := &Service{store: st, blobs: blobs, max: opts.MaxBytes, log: opts.Log}
	if s.max <= 0 {
		s.max = DefaultMaxBytes
	}
	s.lim.maxPixels = opts.MaxPixels
	if s.lim.maxPixels <= 0 {
		s.lim.maxPixels = DefaultMaxPixels
	}
	s.lim.maxDecoded = 4 * s.lim.maxPixels
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	s.workers = make(chan struct{}, opts.Workers)
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// MaxBytes is the largest upload the service accepts.
func (s *Service) MaxBytes() int64 { return s.max }

// MaxSize is MaxBytes for people, such as "20 MB".
func (s *Service) MaxSize() string { return megabytes(s.max) }

// Upload is one file to store.
type Upload struct {
	Body io.Reader
	// Name is the file name the client sent. It is kept, sanitised, as a
	// label on the desk and never used to name anything stored.
	Name string
	Alt  string
	By   string // the uploader's user ID
}

// Upload checks, re-encodes and stores an image with its smaller copies,
// and records it. A refused upload stores nothing and returns a
// *Rejection.
func (s *Service) Upload(ctx context.Context, up Upload) (store.Media, error) {
	data, err := io.ReadAll(io.LimitReader(up.Body, s.max+1))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) || int64(len(data)) > s.max {
		return store.Media{}, s.TooLarge()
	}
	if err != nil {
		return store.Media{}, fmt.Errorf("media: upload: read: %w", err)
	}

	select {
	case s.workers <- struct{}{}:
	case <-ctx.Done():
		return store.Media{}, fmt.Errorf("media: upload: %w", ctx.Err())
	}
	p, err := process(data, s.lim)
	<-s.workers
	if err != nil {
		return store.Media{}, err
	}

	m := store.Media{Key: newKey(), Format: p.format, Width: p.width, Height: p.height, Bytes: int64(len(p.original)),
		Alt: strings.TrimSpace(up.Alt), Label: Label(up.Name), CreatedBy: up.By}
	files := []variant{{width: 0, data: p.original}}
	for _, v := range p.sizes {
		m.Sizes = append(m.Sizes, v.width)
		files = append(files, v)
	}
	var stored []string
	for _, f := range files {
		name := fileName(m.Key, f.width, m.Format)
		if err := s.blobs.Put(ctx, name, bytes.NewReader(f.data)); err != nil {
			s.removeFiles(stored)
			return store.Media{}, fmt.Errorf("media: upload: %w", err)
		}
		stored = append(stored, name)
	}
	if err := s.store.CreateMedia(ctx, &m); err != nil {
		s.removeFiles(stored)
		return store.Media{}, fmt.Errorf("media: upload: %w", err)
	}
	return m, nil
}

// TooLarge is the refusal of a file over MaxBytes, for callers that
// refuse one before it reaches Upload.
func (s *Service) TooLarge() *Rejection {
	return reject(ErrTooLarge, fmt.Sprintf("This file is larger than %s, the most the site accepts. Make the image smaller and upload it again.",
		s.MaxSize()))
}

// removeFiles deletes files of an upload that failed or was deleted,
// logging what could not be removed: an orphan file is harmless, only
// wasted space.
func (s *Service) removeFiles(names []string) {
	for _, name := range names {
		// Not the request's context: the clean-up must run even when the
		// request was cancelled.
		if err := s.blobs.Delete(context.Background(), name); err != nil {
			s.log.Warn("media: remove file", "file", name, "err", err)
		}
	}
}

// Get returns the upload with that ID.
func (s *Service) Get(ctx context.Context, id string) (store.Media, error) {
	return s.store.Media(ctx, id)
}

// List returns uploads, newest first.
func (s *Service) List(ctx context.Context, q store.MediaQuery) ([]store.Media, error) {
	return s.store.ListMedia(ctx, q)
}

// Delete removes an upload and its files, unless an article or page uses
// it (a *Rejection with ErrInUse). Copies already in browsers' and CDNs'
// caches live on until they expire.
func (s *Service) Delete(ctx context.Context, id string) (store.Media, error) {
	m, err := s.store.Media(ctx, id)
	if err != nil {
		return store.Media{}, err
	}
	uses, err := s.store.MediaUses(ctx, m.Key)
	if err != nil {
		return store.Media{}, err
	}
	if uses > 0 {
		return store.Media{}, reject(ErrInUse, fmt.Sprintf(
			"This image is used by %d article(s) or page(s). Remove it from them first.", uses))
	}
	if err := s.store.DeleteMedia(ctx, id); err != nil {
		return store.Media{}, err
	}
	s.removeFiles(fileNames(m))
	return m, nil
}

// newKey returns a random key: uploads never share or reuse one, so their
// files can be cached for ever.
func newKey() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// maxLabel bounds a label, in characters.
const maxLabel = 100

// Label makes an uploaded file's name safe to show: its last path element
// only, without control or formatting characters (such as right-to-left
// overrides that disguise an extension), at most 100 characters.
func Label(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" || name == ".." {
		return ""
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, name)
	if r := []rune(name); len(r) > maxLabel {
		name = string(r[:maxLabel])
	}
	return strings.TrimSpace(name)
}

func megabytes(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}
