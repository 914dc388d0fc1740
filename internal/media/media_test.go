package media

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tamizdat/tamizdat/internal/blob"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// fixture is a media service over a fresh store (on each engine) and an
// in-memory blob store the test can inspect.
type fixture struct {
	svc   *Service
	st    *store.Store
	blobs *blob.Memory
	user  string
}

func eachFixture(t *testing.T, opts Options, fn func(t *testing.T, f fixture)) {
	t.Helper()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		u := store.User{Email: "anna@example.org", Role: "editor"}
		if err := st.CreateUser(t.Context(), &u); err != nil {
			t.Fatal(err)
		}
		blobs := blob.NewMemory()
		fn(t, fixture{svc: New(st, blobs, opts), st: st, blobs: blobs, user: u.ID})
	})
}

var storedName = regexp.MustCompile(`^([0-9a-f]{2})/([0-9a-f]{32})(-[0-9]+)?\.(jpg|png)$`)

func TestUpload(t *testing.T) {
	t.Parallel()
	eachFixture(t, Options{}, func(t *testing.T, f fixture) {
		ctx := t.Context()
		m, err := f.svc.Upload(ctx, Upload{Body: bytes.NewReader(photo(t, 1700, 120, 1)), Name: "../../etc/passwd.jpg",
			Alt: " Protesters on the square ", By: f.user})
		if err != nil {
			t.Fatal(err)
		}
		want := store.Media{ID: m.ID, Key: m.Key, Format: "jpeg", Width: 1700, Height: 120, Sizes: []int{480, 800, 1200, 1600},
			Bytes: m.Bytes, Alt: "Protesters on the square", Label: "passwd.jpg", CreatedBy: f.user, CreatedAt: m.CreatedAt}
		if diff := cmp.Diff(want, m); diff != "" {
			t.Errorf("record (-want +got):\n%s", diff)
		}
		if got, err := f.svc.Get(ctx, m.ID); err != nil || !cmp.Equal(got, m) {
			t.Errorf("Get = %+v, %v; want the upload's record", got, err)
		}

		keys := f.blobs.Keys()
		if diff := cmp.Diff(fileNames(m), keys, cmpSorted); diff != "" {
			t.Errorf("stored files (-want +got):\n%s", diff)
		}
		for _, key := range keys {
			if !storedName.MatchString(key) || !strings.Contains(key, m.Key) {
				t.Errorf("stored under %q, not a generated name", key)
			}
			data := read(t, f.blobs, key)
			for _, canary := range []string{"Exif", gpsCanary, artistCanary, xmpCanary, "<script"} {
				if bytes.Contains(data, []byte(canary)) {
					t.Errorf("%s contains %q", key, canary)
				}
			}
		}
		if int64(len(read(t, f.blobs, fileName(m.Key, 0, "jpeg")))) != m.Bytes {
			t.Error("Bytes is not the stored original's size")
		}

		list, err := f.svc.List(ctx, store.MediaQuery{})
		if err != nil || len(list) != 1 || list[0].ID != m.ID {
			t.Errorf("List = %v, %v", list, err)
		}
	})
}

var cmpSorted = cmpopts.SortSlices(func(a, b string) bool { return a < b })

func read(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	rc, _, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestRefusedUploadsStoreNothing checks each refusal leaves neither files
// nor records behind.
func TestRefusedUploadsStoreNothing(t *testing.T) {
	t.Parallel()
	eachFixture(t, Options{MaxBytes: 1 << 20}, func(t *testing.T, f fixture) {
		for _, tc := range []struct {
			name string
			body io.Reader
			want error
		}{
			{"ELF named .jpg", bytes.NewReader(elf()), ErrUnsupported},
			{"SVG", strings.NewReader(`<svg xmlns="http://www.w3.org/2000/svg"/>`), ErrUnsupported},
			{"decompression bomb", bytes.NewReader(pngHeader(50_000, 50_000, 8, 6)), ErrTooManyPixels},
			{"over MaxBytes", io.MultiReader(bytes.NewReader(encodeJPEG(t, pattern(16, 16))), bytes.NewReader(make([]byte, 1<<20))), ErrTooLarge},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.svc.Upload(t.Context(), Upload{Body: tc.body, Name: "x.jpg", By: f.user})
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
			})
		}
		if keys := f.blobs.Keys(); len(keys) != 0 {
			t.Errorf("refused uploads stored %v", keys)
		}
		if list, err := f.svc.List(t.Context(), store.MediaQuery{}); err != nil || len(list) != 0 {
			t.Errorf("refused uploads recorded %v, %v", list, err)
		}
	})
}

// filler is what generated yields, in chunks.
var filler [64 << 10]byte

// generated yields n bytes without holding them, and counts what was
// read.
type generated struct {
	left, read int64
}

func (g *generated) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	n := int64(copy(p[:min(int64(len(p)), g.left)], filler[:]))
	g.left -= n
	g.read += n
	return int(n), nil
}

// TestHugeUploadIsCutShort streams 200 MB: the service stops reading just
// past its limit.
func TestHugeUploadIsCutShort(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	svc := New(st, blob.NewMemory(), Options{})
	body := &generated{left: 200 << 20}
	start := time.Now()
	_, err := svc.Upload(t.Context(), Upload{Body: body, By: "nobody"})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if body.read > DefaultMaxBytes+1 {
		t.Errorf("read %d bytes of the body, want at most the limit plus one", body.read)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusing took %v", d)
	}
	var rej *Rejection
	if !errors.As(err, &rej) || !strings.Contains(rej.Message, "20 MB") {
		t.Errorf("message %v does not name the limit", err)
	}
}

func TestDelete(t *testing.T) {
	t.Parallel()
	eachFixture(t, Options{}, func(t *testing.T, f fixture) {
		ctx := t.Context()
		upload := func() store.Media {
			m, err := f.svc.Upload(ctx, Upload{Body: bytes.NewReader(encodeJPEG(t, pattern(1000, 50))), By: f.user})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		used, unused := upload(), upload()

		author := model.Author{Slug: "anna", Name: "Anna", Kind: model.AuthorStaff}
		if err := f.st.CreateAuthor(ctx, &author); err != nil {
			t.Fatal(err)
		}
		lead := Image(used)
		err := f.st.CreateArticle(ctx, &model.Article{Slug: "story", Title: "Story", Status: model.StatusDraft, Language: "en",
			Authors: []model.Author{author}, LeadImage: &lead})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Delete(ctx, used.ID); !errors.Is(err, ErrInUse) {
			t.Errorf("deleting an image an article uses: %v, want ErrInUse", err)
		}
		if _, err := f.svc.Delete(ctx, unused.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Get(ctx, unused.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("record after delete: %v", err)
		}
		if diff := cmp.Diff(fileNames(used), f.blobs.Keys(), cmpSorted); diff != "" {
			t.Errorf("files after deleting one of two uploads (-want +got):\n%s", diff)
		}
		if _, err := f.svc.Delete(ctx, unused.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("deleting twice: %v, want ErrNotFound", err)
		}
	})
}

func TestConcurrentUploads(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	u := store.User{Email: "anna@example.org", Role: "editor"}
	if err := st.CreateUser(t.Context(), &u); err != nil {
		t.Fatal(err)
	}
	blobs := blob.NewMemory()
	svc := New(st, blobs, Options{Workers: 1})
	data := encodeJPEG(t, pattern(600, 40))
	var wg sync.WaitGroup
	keys := make([]string, 4)
	for i := range keys {
		wg.Go(func() {
			m, err := svc.Upload(t.Context(), Upload{Body: bytes.NewReader(data), By: u.ID})
			if err != nil {
				t.Error(err)
				return
			}
			keys[i] = m.Key
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			t.Errorf("two uploads share key %s", k)
		}
		seen[k] = true
	}
	if n := len(blobs.Keys()); n != 4*2 {
		t.Errorf("%d files stored, want 8 (an original and a 480 copy each)", n)
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	eachFixture(t, Options{}, func(t *testing.T, f fixture) {
		m, err := f.svc.Upload(t.Context(), Upload{Body: bytes.NewReader(withTextChunk(encodePNG(t, pattern(900, 60)), "k", "v")), By: f.user})
		if err != nil {
			t.Fatal(err)
		}
		get := func(method, path string, header ...string) *httptest.ResponseRecorder {
			r := httptest.NewRequest(method, path, nil)
			for i := 0; i+1 < len(header); i += 2 {
				r.Header.Set(header[i], header[i+1])
			}
			w := httptest.NewRecorder()
			f.svc.ServeHTTP(w, r)
			return w
		}
		for _, v := range Variants(m) {
			w := get(http.MethodGet, v.URL)
			if w.Code != http.StatusOK {
				t.Fatalf("GET %s: %d", v.URL, w.Code)
			}
			h := w.Header()
			for name, want := range map[string]string{
				"Content-Type":           "image/png",
				"Cache-Control":          "public, max-age=31536000, immutable",
				"X-Content-Type-Options": "nosniff",
			} {
				if got := h.Get(name); got != want {
					t.Errorf("%s: %s = %q, want %q", v.URL, name, got, want)
				}
			}
			name := strings.TrimPrefix(v.URL, Prefix)
			if !bytes.Equal(w.Body.Bytes(), read(t, f.blobs, name)) || h.Get("Content-Length") != strconv.Itoa(w.Body.Len()) {
				t.Errorf("%s: body is not the stored file", v.URL)
			}
			etag := h.Get("ETag")
			if !strings.HasPrefix(etag, `"`+m.Key) {
				t.Errorf("%s: ETag %q", v.URL, etag)
			}
			if w := get(http.MethodGet, v.URL, "If-None-Match", etag); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
				t.Errorf("%s with its ETag: %d, want 304", v.URL, w.Code)
			}
			if w := get(http.MethodHead, v.URL); w.Code != http.StatusOK || w.Body.Len() != 0 || w.Header().Get("Content-Length") == "" {
				t.Errorf("HEAD %s: %d, %d bytes", v.URL, w.Code, w.Body.Len())
			}
		}
		etags := map[string]bool{}
		for _, v := range Variants(m) {
			etags[get(http.MethodGet, v.URL).Header().Get("ETag")] = true
		}
		if len(etags) != len(Variants(m)) {
			t.Errorf("files share ETags: %v", etags)
		}

		other := strings.Repeat("0", 32)
		for _, path := range []string{
			"/media/" + other[:2] + "/" + other + ".png",      // never uploaded
			"/media/ff/" + m.Key + ".png",                     // wrong directory
			"/media/" + m.Key[:2] + "/" + m.Key + ".jpg",      // wrong format
			"/media/" + m.Key[:2] + "/" + m.Key + "-999.png",  // no such size
			"/media/" + m.Key[:2] + "/" + m.Key + "-0480.png", // not the canonical width
			"/media/" + m.Key[:2] + "/" + strings.ToUpper(m.Key) + ".png",
			"/media/" + m.Key[:2] + "/../" + m.Key[:2] + "/" + m.Key + ".png",
			"/media/2025/03/lavrov.jpg", // a demo image: not the service's
			"/media/",
		} {
			if w := get(http.MethodGet, path); w.Code != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", path, w.Code)
			}
		}
		if _, err := f.svc.Delete(t.Context(), m.ID); err != nil {
			t.Fatal(err)
		}
		if w := get(http.MethodGet, URL(m)); w.Code != http.StatusNotFound {
			t.Errorf("GET after delete: %d, want 404", w.Code)
		}
	})
}
