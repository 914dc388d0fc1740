package media

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/tamizdat/tamizdat/internal/blob"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// Prefix starts the address of every media file.
const Prefix = "/media/"

// fileName is the blob key of an upload's original (width 0) or of its
// copy that wide: "ab/abcdef…[-480].jpg". The two-character directory
// spreads files over 256 directories.
func fileName(key string, width int, format string) string {
	ext := ".jpg"
	if format == "png" {
		ext = ".png"
	}
	suffix := ""
	if width > 0 {
		suffix = "-" + strconv.Itoa(width)
	}
	return key[:2] + "/" + key + suffix + ext
}

// fileNames lists every stored file of m.
func fileNames(m store.Media) []string {
	names := []string{fileName(m.Key, 0, m.Format)}
	for _, w := range m.Sizes {
		names = append(names, fileName(m.Key, w, m.Format))
	}
	return names
}

// parseFileName checks that name (the path after /media/) has the form
// fileName gives and returns its content type. Anything else is not an
// upload.
func parseFileName(name string) (contentType string, ok bool) {
	dir, file, found := strings.Cut(name, "/")
	if !found || len(dir) != 2 || !isHex(dir) {
		return "", false
	}
	base, ext, found := strings.Cut(file, ".")
	switch {
	case !found:
		return "", false
	case ext == "jpg":
		contentType = "image/jpeg"
	case ext == "png":
		contentType = "image/png"
	default:
		return "", false
	}
	key, width, sized := strings.Cut(base, "-")
	if len(key) != 32 || !isHex(key) || key[:2] != dir {
		return "", false
	}
	if sized {
		if w, err := strconv.Atoi(width); err != nil || w <= 0 || strconv.Itoa(w) != width {
			return "", false
		}
	}
	return contentType, true
}

func isHex(s string) bool {
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// ServeHTTP serves an upload's files at /media/{dir}/{file}. A file's
// address never changes content (keys are never reused), so it may be
// cached for a year; anything that is not an upload's file is a 404.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, Prefix)
	contentType, ok := parseFileName(name)
	if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.NotFound(w, r)
		return
	}
	body, info, err := s.blobs.Get(r.Context(), name)
	if errors.Is(err, blob.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "media: serve", "file", name, "err", err)
		http.Error(w, "This image cannot be served right now.", http.StatusInternalServerError)
		return
	}
	defer body.Close()
	etag := `"` + strings.TrimSuffix(path.Base(name), path.Ext(name)) + `"`
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", etag)
	h.Set("X-Content-Type-Options", "nosniff")
	// Should the file ever be opened as a document, it can do nothing.
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	if matchesETag(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	if r.Method == http.MethodHead {
		return
	}
	io.Copy(w, body)
}

// matchesETag reports whether an If-None-Match header names etag.
func matchesETag(header, etag string) bool {
	for candidate := range strings.SplitSeq(header, ",") {
		candidate = strings.TrimPrefix(strings.TrimSpace(candidate), "W/")
		if candidate == etag || candidate == "*" {
			return true
		}
	}
	return false
}

// Variant is one file of an image: its address and width in pixels.
type Variant struct {
	URL   string
	Width int
}

// URL returns the address of m's original file.
func URL(m store.Media) string { return Prefix + fileName(m.Key, 0, m.Format) }

// Variants lists m's files, narrowest first, the original last.
func Variants(m store.Media) []Variant {
	var vs []Variant
	for _, w := range m.Sizes {
		vs = append(vs, Variant{URL: Prefix + fileName(m.Key, w, m.Format), Width: w})
	}
	return append(vs, Variant{URL: URL(m), Width: m.Width})
}

// Srcset returns m's files as the value of an img element's srcset
// attribute: "/media/ab/ab…-480.jpg 480w, …, /media/ab/ab….jpg 4000w".
func Srcset(m store.Media) string {
	return srcset("/", Variants(m))
}

// srcset joins variants into a srcset value, their addresses under root
// ("/", or a relative root such as "../" for pages that must work from a
// static copy of the site).
func srcset(root string, vs []Variant) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = root + strings.TrimPrefix(v.URL, "/") + " " + strconv.Itoa(v.Width) + "w"
	}
	return strings.Join(parts, ", ")
}

// Image returns m as an article's lead image, with m's alternative text;
// the editor adds the caption and credit.
func Image(m store.Media) model.Image {
	return model.Image{URL: URL(m), Alt: m.Alt, Width: m.Width, Height: m.Height}
}

// ImageVariants returns the files of an uploaded lead image from its URL
// and width alone, without the store: the copies are those of Widths
// narrower than the original. It returns nil for an image that is not an
// upload (the demo images, an outside address), which then has no srcset.
func ImageVariants(img model.Image) []Variant {
	if _, ok := KeyOf(img.URL); !ok || img.Width <= 0 {
		return nil
	}
	dot := strings.LastIndexByte(img.URL, '.')
	var vs []Variant
	for _, w := range Widths {
		if w >= img.Width {
			break
		}
		vs = append(vs, Variant{URL: img.URL[:dot] + "-" + strconv.Itoa(w) + img.URL[dot:], Width: w})
	}
	return append(vs, Variant{URL: img.URL, Width: img.Width})
}

// ColumnSizes is the sizes attribute of an image as wide as the article's
// text column: the column's width on wide screens, else the screen's less
// the margins.
const ColumnSizes = "(min-width: 46rem) 42rem, calc(100vw - 2rem)"

// KeyOf returns the key of the upload whose original is at url, such as
// "/media/ab/ab….jpg"; ok is false for any other address, the smaller
// copies included.
func KeyOf(url string) (key string, ok bool) {
	name, found := strings.CutPrefix(url, Prefix)
	if !found {
		return "", false
	}
	if _, valid := parseFileName(name); !valid || strings.Contains(name, "-") {
		return "", false
	}
	_, file, _ := strings.Cut(name, "/")
	key, _, _ = strings.Cut(file, ".")
	return key, true
}

// ImageSrcset is ImageVariants as a srcset attribute value, addresses
// under root as in the site's templates ("/" or relative, such as "../");
// "" for an image that is not an upload.
func ImageSrcset(root string, img model.Image) string {
	return srcset(root, ImageVariants(img))
}

// WithFiles serves /media/{name} from the map files returns when it holds
// name, with a day's caching, and everything else from uploads: the demo's
// images, which ship inside the binary, beside the newsroom's own. files is
// called once, on the first request: drawing the demo's images takes a
// third of a second, which a server or an export whose pages show none of
// them need not spend.
func WithFiles(files func() map[string][]byte, uploads http.Handler) http.Handler {
	files = sync.OnceValue(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, Prefix)
		body, ok := files()[name]
		if !ok {
			uploads.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Write(body)
	})
}
