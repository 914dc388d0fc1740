package admin_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/store"
)

// artistCanary is planted in a photo's EXIF: it must reach no stored file.
const artistCanary = "Secret Source Name"

// gpsJPEG is a w×h JPEG with an EXIF block holding an artist's name and a
// GPS position, as a phone writes it.
func gpsJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, img, nil); err != nil {
		t.Fatal(err)
	}
	be := binary.BigEndian
	entry := func(tag, typ uint16, count, value uint32) []byte {
		e := be.AppendUint16(nil, tag)
		e = be.AppendUint16(e, typ)
		e = be.AppendUint32(e, count)
		return be.AppendUint32(e, value)
	}
	// Header (8), IFD0 with two entries (2+24+4) at 8, GPS IFD with two
	// entries (2+24+4) at 38, then the artist (at 68) and the latitude's
	// three rationals (at 68+len).
	artist := artistCanary + "\x00"
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	tiff = append(be.AppendUint16(tiff, 2), entry(0x013b, 2, uint32(len(artist)), 68)...)
	tiff = append(append(tiff, entry(0x8825, 4, 1, 38)...), 0, 0, 0, 0)
	tiff = append(be.AppendUint16(tiff, 2), entry(0x0001, 2, 2, 'N'<<24)...)
	tiff = append(append(tiff, entry(0x0002, 5, 3, uint32(68+len(artist)))...), 0, 0, 0, 0)
	tiff = append(tiff, artist...)
	for _, v := range []uint32{55, 1, 45, 1, 21, 1} {
		tiff = be.AppendUint32(tiff, v)
	}
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	segment := append([]byte{0xff, 0xe1}, be.AppendUint16(nil, uint16(len(app1)+2))...)
	out := append([]byte{0xff, 0xd8}, segment...)
	out = append(out, app1...)
	return append(out, jpg.Bytes()[2:]...)
}

// multipartBody is an upload form: the token first, as browsers send the
// form's fields in order, then the alt text and the file.
func multipartBody(t *testing.T, token, fileName string, data []byte) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", token)
	mw.WriteField("alt", "Protesters on the square")
	if fileName != "" {
		fw, err := mw.CreateFormFile("file", fileName)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

// send posts body to the desk as b, with its cookies; length -1 sends it
// without a Content-Length, as a stream.
func (b *browser) send(path string, body io.Reader, contentType string, length int64) *httptest.ResponseRecorder {
	b.t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, body)
	r.Host = adminHost
	r.RemoteAddr = "192.0.2.10:5555"
	r.ContentLength = length
	r.Header.Set("Content-Type", contentType)
	for name, value := range b.cookies {
		r.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	w := httptest.NewRecorder()
	b.d.admin.ServeHTTP(w, r)
	b.last = w
	return w
}

// upload sends an image through the library's form.
func (b *browser) upload(fileName string, data []byte) *httptest.ResponseRecorder {
	b.t.Helper()
	b.get("/admin/media")
	body, contentType := multipartBody(b.t, b.csrf(), fileName, data)
	return b.send("/admin/media", body, contentType, int64(body.(*bytes.Buffer).Len()))
}

var mediaLocation = regexp.MustCompile(`^/admin/media/([0-9a-f-]{36})$`)

func TestUploadThroughTheDesk(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		editor, _ := d.readyBrowser(t, "editor@example.org", accounts.Editor)
		w := editor.upload("../../etc/passwd.jpg", gpsJPEG(t, 1000, 600))
		m := mediaLocation.FindStringSubmatch(w.Header().Get("Location"))
		if w.Code != http.StatusSeeOther || m == nil {
			t.Fatalf("upload: %d to %q\n%s", w.Code, w.Header().Get("Location"), w.Body)
		}
		rec, err := d.store.Media(t.Context(), m[1])
		if err != nil {
			t.Fatal(err)
		}
		if rec.Label != "passwd.jpg" || rec.Alt != "Protesters on the square" || rec.Width != 1000 || len(rec.Sizes) != 2 {
			t.Errorf("record = %+v", rec)
		}
		keys := d.blobs.Keys()
		if len(keys) != 3 {
			t.Errorf("stored %v, want the original and two copies", keys)
		}
		for _, key := range keys {
			if strings.Contains(key, "passwd") || strings.Contains(key, "..") || !strings.Contains(key, rec.Key) {
				t.Errorf("stored under %q, not a generated name", key)
			}
			rc, _, err := d.blobs.Get(t.Context(), key)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(rc)
			if bytes.Contains(data, []byte(artistCanary)) || bytes.Contains(data, []byte("Exif")) {
				t.Errorf("%s still carries the EXIF block", key)
			}
		}

		page := editor.get(w.Header().Get("Location"))
		wantStatus(t, page, http.StatusOK)
		for _, want := range []string{`srcset="/media/` + rec.Key[:2] + "/" + rec.Key + "-480.jpg 480w", "passwd.jpg", "1000 × 600"} {
			if !strings.Contains(page.Body.String(), want) {
				t.Errorf("the image's page lacks %q", want)
			}
		}
		// The desk's page shows the files the reader site serves.
		r := httptest.NewRequest(http.MethodGet, "/media/"+keys[0], nil)
		served := httptest.NewRecorder()
		d.media.ServeHTTP(served, r)
		if served.Code != http.StatusOK || served.Header().Get("Content-Type") != "image/jpeg" {
			t.Errorf("serving %s: %d %s", keys[0], served.Code, served.Header().Get("Content-Type"))
		}
	})
}

func TestUploadRefusals(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		b, _ := d.readyBrowser(t, "author@example.org", accounts.Author)
		// A PNG header claiming 50,000 × 50,000 pixels (10 GB decoded).
		ihdr := []byte("IHDR\x00\x00\xc3\x50\x00\x00\xc3\x50\x08\x06\x00\x00\x00")
		bomb := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d"), ihdr...)
		bomb = binary.BigEndian.AppendUint32(bomb, crc32.ChecksumIEEE(ihdr))
		for _, tc := range []struct {
			name, file string
			data       []byte
			status     int
			message    string
		}{
			{"executable named .jpg", "photo.jpg", append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 1000)...),
				http.StatusUnsupportedMediaType, "not a JPEG, PNG or WebP image"},
			{"SVG", "chart.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
				http.StatusUnsupportedMediaType, "SVG and other formats are not accepted"},
			{"50,000 × 50,000 PNG", "bomb.png", bomb, http.StatusUnprocessableEntity, "50000 × 50000 pixels"},
			{"no file", "", nil, http.StatusBadRequest, "Choose a JPEG, PNG or WebP image"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				w := b.upload(tc.file, tc.data)
				wantStatus(t, w, tc.status)
				if !strings.Contains(w.Body.String(), tc.message) {
					t.Errorf("the answer does not say %q:\n%s", tc.message, w.Body)
				}
			})
		}

		// The form token is checked like any other form's.
		body, contentType := multipartBody(t, "forged", "photo.jpg", gpsJPEG(t, 10, 10))
		wantStatus(t, b.send("/admin/media", body, contentType, -1), http.StatusForbidden)

		if keys := d.blobs.Keys(); len(keys) != 0 {
			t.Errorf("refused uploads stored %v", keys)
		}
		if list, err := d.store.ListMedia(t.Context(), store.MediaQuery{}); err != nil || len(list) != 0 {
			t.Errorf("refused uploads recorded %v, %v", list, err)
		}
	})
}

// countingReader counts the bytes the desk read.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// hugeUpload streams a multipart form whose file is 200 MB of generated
// bytes, never held in memory.
func hugeUpload(t *testing.T, token string) (*countingReader, string, func()) {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField("csrf", token)
		fw, err := mw.CreateFormFile("file", "huge.jpg")
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		chunk := bytes.Repeat([]byte{0xff}, 64<<10)
		for range (200 << 20) / len(chunk) {
			if _, err := fw.Write(chunk); err != nil {
				return // the desk stopped reading
			}
		}
		pw.CloseWithError(mw.Close())
	}()
	return &countingReader{r: pr}, mw.FormDataContentType(), func() { pr.Close() }
}

func TestHugeUploadIsRefusedQuickly(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		b, _ := d.readyBrowser(t, "contributor@example.org", accounts.Contributor)
		b.get("/admin/media")
		token := b.csrf()
		const declared = 200 << 20
		for _, tc := range []struct {
			name     string
			length   int64
			maxRead  int64
			withAuth bool
		}{
			{"declared in Content-Length", declared, 0, true},
			{"streamed without a length", -1, d.media.MaxBytes() + 128<<10, true},
			{"signed out", declared, 0, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body, contentType, stop := hugeUpload(t, token)
				defer stop()
				client := b
				if !tc.withAuth {
					client = d.browser(t)
				}
				start := time.Now()
				w := client.send("/admin/media", body, contentType, tc.length)
				if took := time.Since(start); took > 10*time.Second {
					t.Errorf("refusing took %v", took)
				}
				if !tc.withAuth {
					wantStatus(t, w, http.StatusUnauthorized)
				} else {
					wantStatus(t, w, http.StatusRequestEntityTooLarge)
					if !strings.Contains(w.Body.String(), "larger than 20 MB") {
						t.Errorf("the answer does not give the limit:\n%s", w.Body)
					}
				}
				if read := body.n.Load(); read > tc.maxRead {
					t.Errorf("the desk read %d bytes of the upload, want at most %d", read, tc.maxRead)
				}
			})
		}
		if keys := d.blobs.Keys(); len(keys) != 0 {
			t.Errorf("refused uploads stored %v", keys)
		}
	})
}

func TestMediaLibraryAccess(t *testing.T) {
	t.Parallel()
	eachDesk(t, func(t *testing.T, d *desk) {
		contributor, _ := d.readyBrowser(t, "contributor@example.org", accounts.Contributor)
		author, _ := d.readyBrowser(t, "author@example.org", accounts.Author)
		editor, _ := d.readyBrowser(t, "editor@example.org", accounts.Editor)
		mine := contributor.upload("mine.png", gpsJPEG(t, 300, 200)).Header().Get("Location")
		theirs := author.upload("theirs.jpg", gpsJPEG(t, 300, 200)).Header().Get("Location")
		if !mediaLocation.MatchString(mine) || !mediaLocation.MatchString(theirs) {
			t.Fatalf("uploads went to %q and %q", mine, theirs)
		}

		lib := contributor.get("/admin/media")
		wantStatus(t, lib, http.StatusOK)
		if body := lib.Body.String(); !strings.Contains(body, "mine.png") || strings.Contains(body, "theirs.jpg") || !strings.Contains(body, "Your images") {
			t.Errorf("a contributor's library should list only their own images:\n%s", body)
		}
		wantStatus(t, contributor.get(mine), http.StatusOK)
		wantStatus(t, contributor.get(theirs), http.StatusNotFound)
		contributor.get(mine)
		wantStatus(t, contributor.post(theirs+"/alt", url.Values{"alt": {"defaced"}}), http.StatusNotFound)
		wantRedirect(t, contributor.post(mine+"/alt", url.Values{"alt": {" A better description "}}), mine)
		id := strings.TrimPrefix(mine, "/admin/media/")
		if m, _ := d.store.Media(t.Context(), id); m.Alt != "A better description" {
			t.Errorf("alt = %q after the change", m.Alt)
		}
		contributor.get(mine)
		if w := contributor.post(mine+"/delete", nil); w.Code != http.StatusForbidden {
			t.Errorf("a contributor deleting: %d, want 403", w.Code)
		}

		lib = editor.get("/admin/media")
		if body := lib.Body.String(); !strings.Contains(body, "mine.png") || !strings.Contains(body, "theirs.jpg") ||
			!strings.Contains(body, "contributor@example.org") {
			t.Errorf("an editor's library should list every image with its uploader:\n%s", body)
		}
		editor.get(mine)
		wantRedirect(t, editor.post(mine+"/delete", nil), "/admin/media")
		if _, err := d.store.Media(t.Context(), id); err == nil {
			t.Error("the image survived its deletion")
		}
		wantStatus(t, editor.get(mine), http.StatusNotFound)
		if len(d.blobs.Keys()) != 1 {
			t.Errorf("files left after deleting one of two images: %v", d.blobs.Keys())
		}
		entries, err := audit.New(d.store).Recent(t.Context(), 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) == 0 || entries[0].Action != "media_deleted" || entries[0].Target != id {
			t.Errorf("the deletion is not the latest audit entry: %+v", entries[:min(1, len(entries))])
		}
	})
}
