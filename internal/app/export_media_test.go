package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/config"
	"github.com/tamizdat/tamizdat/internal/export"
	"github.com/tamizdat/tamizdat/internal/export/exporttest"
	"github.com/tamizdat/tamizdat/internal/media"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// uploadedSlug is the article publishWithUploads publishes.
const uploadedSlug = "pictures-from-the-march"

// publishWithUploads uploads two images as an editor would and publishes
// an article with one as its lead image and the other in its text.
func publishWithUploads(t *testing.T, st *store.Store, uploads *media.Service) (lead, inBody store.Media) {
	t.Helper()
	ctx := context.Background()
	u := store.User{Email: "photo-desk@example.org", Role: "editor"}
	if err := st.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	upload := func(name string, width, height int) store.Media {
		img := image.NewRGBA(image.Rect(0, 0, width, height))
		for y := range height {
			for x := range width {
				img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x + y), 255})
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		m, err := uploads.Upload(ctx, media.Upload{Body: &buf, Name: name, Alt: "Marchers on " + name, By: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	lead, inBody = upload("square.png", 1700, 900), upload("bridge.png", 900, 500)
	a := exporttest.Article(t, "Pictures from the march", "The march crossed the bridge.\n\n![The bridge]("+media.URL(inBody)+")\n\nIt ended at noon.")
	img := media.Image(lead)
	a.LeadImage = &img
	a.PublishedAt = time.Date(2025, 3, 15, 9, 0, 0, 0, time.UTC)
	if err := st.CreateArticle(ctx, a); err != nil {
		t.Fatal(err)
	}
	return lead, inBody
}

// TestExportCarriesUploads exports a site whose article shows an uploaded
// lead image, with its smaller copies in a srcset, and another upload in
// its text: every one of those files is in the export, listed in its
// signed manifest with the bytes the server serves, and linked from the
// page. Without the uploads the export is refused, naming the file.
func TestExportCarriesUploads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		exporttest.Fill(t, st)
		uploads, err := NewMedia(st, config.Config{MediaDir: t.TempDir()}, quietLog)
		if err != nil {
			t.Fatal(err)
		}
		lead, inBody := publishWithUploads(t, st, uploads)
		pub, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}

		withoutUploads, err := export.NewSource(ctx, st, exporttest.BaseURL, nil, quietLog)
		if err != nil {
			t.Fatal(err)
		}
		_, err = export.Run(ctx, export.Options{Source: withoutUploads, Dir: filepath.Join(t.TempDir(), "broken"), Key: key})
		var links *export.LinkError
		if !errors.As(err, &links) || !strings.Contains(err.Error(), media.URL(lead)) {
			t.Errorf("an export that cannot read the uploads: %v; want a dangling-link error naming %s", err, media.URL(lead))
		}

		src, err := export.NewSource(ctx, st, exporttest.BaseURL, uploads, quietLog)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "mirror")
		if _, err := export.Run(ctx, export.Options{Source: src, Dir: dir, Key: key}); err != nil {
			t.Fatal(err)
		}
		m, err := export.Verify(ctx, dir, pub, 0)
		if err != nil {
			t.Fatal(err)
		}
		listed := map[string]bool{}
		for _, f := range m.Files {
			listed[f.Path] = true
		}
		files := append(media.Variants(lead), media.Variant{URL: media.URL(inBody)})
		if len(files) != 6 {
			t.Fatalf("the lead image has %d files, want the original and 4 smaller copies", len(files)-1)
		}
		for _, v := range files {
			name := strings.TrimPrefix(v.URL, "/")
			if !listed[name] {
				t.Errorf("the manifest does not list %s", name)
				continue
			}
			exported, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			uploads.ServeHTTP(w, httptest.NewRequest(http.MethodGet, v.URL, nil))
			if w.Code != http.StatusOK || !bytes.Equal(exported, w.Body.Bytes()) {
				t.Errorf("%s: the export's %d bytes differ from the %d the server serves (status %d)", name, len(exported), w.Body.Len(), w.Code)
			}
		}
		page, err := os.ReadFile(filepath.Join(dir, "articles", uploadedSlug+".html"))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range files {
			if !bytes.Contains(page, []byte(`"..`+v.URL)) && !bytes.Contains(page, []byte(".."+v.URL+" ")) {
				t.Errorf("the exported page does not link to ..%s", v.URL)
			}
		}
		if n := bytes.Count(page, []byte(`w, ../media/`)); n != 4 {
			t.Errorf("the lead image's srcset names %d files after its first, want 4:\n%s", n, page)
		}
	})
}
