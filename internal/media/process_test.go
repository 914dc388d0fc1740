package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"runtime"
	"strings"
	"testing"
	"time"
)

var testLimits = limits{maxPixels: DefaultMaxPixels, maxDecoded: 4 * DefaultMaxPixels}

// allFiles returns every file process made.
func allFiles(p processed) [][]byte {
	files := [][]byte{p.original}
	for _, v := range p.sizes {
		files = append(files, v.data)
	}
	return files
}

func TestProcessAccepts(t *testing.T) {
	t.Parallel()
	jpg := encodeJPEG(t, pattern(64, 48))
	for _, tc := range []struct {
		name       string
		data       []byte
		wantFormat string
		// forbidden must appear in no stored file.
		forbidden []string
	}{
		{"JPEG with EXIF GPS, XMP and a script comment", photo(t, 64, 48, 0), "jpeg",
			[]string{"Exif", gpsCanary, artistCanary, xmpCanary, "http://ns.adobe.com", "<script", "\xff\xe1", "\xff\xfe"}},
		{"little-endian EXIF", insertAfterSOI(jpg, exifSegment(binary.LittleEndian, 1)), "jpeg",
			[]string{"Exif", gpsCanary, artistCanary}},
		{"PNG with a tEXt chunk", withTextChunk(encodePNG(t, pattern(64, 48)), "Comment", textCanary), "png",
			[]string{"tEXt", textCanary}},
		{"polyglot: a JPEG followed by HTML", append(append([]byte{}, jpg...), "<html><script>alert(document.cookie)</script></html>"...), "jpeg",
			[]string{"<script", "<html"}},
		{"opaque WebP", solidWebP(40, 30, color.NRGBA{10, 120, 200, 255}, nil), "jpeg", nil},
		{"WebP with transparency", solidWebP(40, 30, color.NRGBA{10, 120, 200, 128}, nil), "png", nil},
		{"WebP with an EXIF chunk", solidWebP(40, 30, color.NRGBA{10, 120, 200, 255}, exifSegment(binary.BigEndian, 0)[10:]), "jpeg",
			[]string{gpsCanary, artistCanary}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, s := range tc.forbidden {
				if !bytes.Contains(tc.data, []byte(s)) {
					t.Fatalf("the test input lacks %q", s)
				}
			}
			p, err := process(tc.data, testLimits)
			if err != nil {
				t.Fatal(err)
			}
			if p.format != tc.wantFormat {
				t.Errorf("format = %s, want %s", p.format, tc.wantFormat)
			}
			if kind := sniff(p.original); (p.format == "jpeg") != (kind == jpegSource) || (p.format == "png") != (kind == pngSource) {
				t.Errorf("the stored original is not a %s file", p.format)
			}
			for _, file := range allFiles(p) {
				for _, s := range tc.forbidden {
					if bytes.Contains(file, []byte(s)) {
						t.Errorf("a stored file still contains %q", s)
					}
				}
			}
			if tc.forbidden != nil && bytes.Equal(p.original, tc.data) {
				t.Error("the original was stored as uploaded, not re-encoded")
			}
		})
	}
}

func TestProcessRejects(t *testing.T) {
	t.Parallel()
	jpg := encodeJPEG(t, pattern(64, 48))
	sixteenBit := image.NewRGBA64(image.Rect(0, 0, 40, 30))
	for _, tc := range []struct {
		name string
		data []byte
		lim  limits
		want error
	}{
		{"an executable (ELF) named .jpg", elf(), testLimits, ErrUnsupported},
		{"PHP named .jpg", []byte("<?php system($_GET['c']); ?>"), testLimits, ErrUnsupported},
		{"SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), testLimits, ErrUnsupported},
		{"SVG with an XML declaration", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`), testLimits, ErrUnsupported},
		{"HTML", []byte("<!doctype html><script>alert(1)</script>"), testLimits, ErrUnsupported},
		{"polyglot: HTML followed by a JPEG", append([]byte("<html><script>x</script>"), jpg...), testLimits, ErrUnsupported},
		{"GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), testLimits, ErrUnsupported},
		{"zip bomb", zipBomb(t), testLimits, ErrUnsupported},
		{"empty", nil, testLimits, ErrUnsupported},
		{"truncated JPEG", jpg[:len(jpg)/2], testLimits, ErrDamaged},
		{"JPEG magic and nothing else", []byte("\xff\xd8\xff\xe0garbage"), testLimits, ErrDamaged},
		{"PNG header claiming 50,000 × 50,000", pngHeader(50_000, 50_000, 8, 6), testLimits, ErrTooManyPixels},
		{"PNG with no pixels", pngHeader(0, 10, 8, 6), testLimits, ErrDamaged},
		{"PNG whose pixels do not match its header", pngHeader(100, 100, 8, 2), testLimits, ErrDamaged},
		{"WebP claiming 16,000 × 16,000", solidWebP(16000, 16000, color.NRGBA{1, 2, 3, 255}, nil), testLimits, ErrTooManyPixels},
		{"16-bit PNG over the memory limit", encodePNG(t, sixteenBit), limits{maxPixels: 2000, maxDecoded: 4 * 2000}, ErrTooManyPixels},
		{"JPEG over a small pixel limit", jpg, limits{maxPixels: 1000, maxDecoded: 4000}, ErrTooManyPixels},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := process(tc.data, tc.lim)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var rej *Rejection
			if !errors.As(err, &rej) || rej.Message == "" {
				t.Errorf("err = %#v, want a *Rejection with a message", err)
			}
		})
	}
}

// TestDecompressionBombCostsNothing checks that a tiny PNG claiming
// 50,000 × 50,000 pixels (10 GB decoded) is refused from its header, with
// next to no memory and time.
func TestDecompressionBombCostsNothing(t *testing.T) {
	bomb := pngHeader(50_000, 50_000, 8, 6)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := process(bomb, testLimits)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooManyPixels) {
		t.Fatalf("err = %v, want ErrTooManyPixels", err)
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 1<<20 {
		t.Errorf("refusing the bomb allocated %d bytes, want under 1 MB", allocated)
	}
	if elapsed > time.Second {
		t.Errorf("refusing the bomb took %v", elapsed)
	}
	if allocs := testing.AllocsPerRun(10, func() { process(bomb, testLimits) }); allocs > 100 {
		t.Errorf("refusing the bomb made %.0f allocations", allocs)
	}
}

func TestSizes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		w, h      int
		wantSizes []image.Point
	}{
		{2000, 100, []image.Point{{480, 24}, {800, 40}, {1200, 60}, {1600, 80}}},
		{1000, 75, []image.Point{{480, 36}, {800, 60}}},
		{801, 3, []image.Point{{480, 2}, {800, 3}}},
		{480, 320, nil}, // exactly the smallest width: the original serves it
		{300, 200, nil},
	} {
		t.Run(image.Pt(tc.w, tc.h).String(), func(t *testing.T) {
			t.Parallel()
			p, err := process(encodePNG(t, pattern(tc.w, tc.h)), testLimits)
			if err != nil {
				t.Fatal(err)
			}
			if p.width != tc.w || p.height != tc.h {
				t.Errorf("original is %d×%d, want %d×%d", p.width, p.height, tc.w, tc.h)
			}
			var got []image.Point
			for _, v := range p.sizes {
				cfg, err := png.DecodeConfig(bytes.NewReader(v.data))
				if err != nil {
					t.Fatal(err)
				}
				if cfg.Width != v.width {
					t.Errorf("the %d copy is %d wide", v.width, cfg.Width)
				}
				got = append(got, image.Pt(cfg.Width, cfg.Height))
			}
			if len(got) != len(tc.wantSizes) {
				t.Fatalf("sizes = %v, want %v", got, tc.wantSizes)
			}
			for i := range got {
				if got[i] != tc.wantSizes[i] {
					t.Errorf("sizes = %v, want %v", got, tc.wantSizes)
				}
			}
		})
	}
}

// TestOrientation uploads the four-colour pattern with each EXIF
// orientation and checks that the stored original shows it upright.
func TestOrientation(t *testing.T) {
	t.Parallel()
	const (
		red   = "red"
		green = "green"
		blue  = "blue"
		white = "white"
	)
	for _, tc := range []struct {
		orientation uint16
		wantSwap    bool
		// corners: top left, top right, bottom left, bottom right
		want [4]string
	}{
		{0, false, [4]string{red, green, blue, white}},
		{1, false, [4]string{red, green, blue, white}},
		{2, false, [4]string{green, red, white, blue}},
		{3, false, [4]string{white, blue, green, red}},
		{4, false, [4]string{blue, white, red, green}},
		{5, true, [4]string{red, blue, green, white}},
		{6, true, [4]string{blue, red, white, green}},
		{7, true, [4]string{white, green, blue, red}},
		{8, true, [4]string{green, white, red, blue}},
	} {
		t.Run(string(rune('0'+tc.orientation)), func(t *testing.T) {
			t.Parallel()
			p, err := process(photo(t, 64, 32, tc.orientation), testLimits)
			if err != nil {
				t.Fatal(err)
			}
			img, err := jpeg.Decode(bytes.NewReader(p.original))
			if err != nil {
				t.Fatal(err)
			}
			w, h := 64, 32
			if tc.wantSwap {
				w, h = h, w
			}
			if b := img.Bounds(); b.Dx() != w || b.Dy() != h || p.width != w || p.height != h {
				t.Fatalf("stored %v (recorded %d×%d), want %d×%d", b, p.width, p.height, w, h)
			}
			corners := [4]image.Point{{w / 4, h / 4}, {3 * w / 4, h / 4}, {w / 4, 3 * h / 4}, {3 * w / 4, 3 * h / 4}}
			for i, pt := range corners {
				if got := colorName(img.At(pt.X, pt.Y)); got != tc.want[i] {
					t.Errorf("at %v: %s, want %s", pt, got, tc.want[i])
				}
			}
		})
	}
}

func colorName(c color.Color) string {
	r, g, b, _ := c.RGBA()
	r, g, b = r>>8, g>>8, b>>8
	switch {
	case r > 150 && g > 150 && b > 150:
		return "white"
	case r > 150:
		return "red"
	case g > 150:
		return "green"
	case b > 150:
		return "blue"
	}
	return "unclear"
}

func TestJPEGOrientation(t *testing.T) {
	t.Parallel()
	jpg := encodeJPEG(t, pattern(16, 16))
	for _, tc := range []struct {
		name string
		data []byte
		want int
	}{
		{"no EXIF", jpg, 1},
		{"big-endian 6", insertAfterSOI(jpg, exifSegment(binary.BigEndian, 6)), 6},
		{"little-endian 8", insertAfterSOI(jpg, exifSegment(binary.LittleEndian, 8)), 8},
		{"after an XMP segment", insertAfterSOI(jpg, xmpSegment(), exifSegment(binary.BigEndian, 3)), 3},
		{"EXIF without orientation", insertAfterSOI(jpg, exifSegment(binary.BigEndian, 0)), 1},
		{"out of range", insertAfterSOI(jpg, exifSegment(binary.BigEndian, 9)), 1},
		{"truncated segment", insertAfterSOI(jpg, exifSegment(binary.BigEndian, 6))[:40], 1},
		{"not a JPEG", []byte("GIF89a"), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := jpegOrientation(tc.data); got != tc.want {
				t.Errorf("orientation = %d, want %d", got, tc.want)
			}
		})
	}
}

// FuzzJPEGOrientation checks that no input makes the EXIF reader panic or
// answer outside 1–8.
func FuzzJPEGOrientation(f *testing.F) {
	jpg := encodeJPEG(f, pattern(8, 8))
	f.Add(jpg)
	f.Add(insertAfterSOI(jpg, exifSegment(binary.BigEndian, 6)))
	f.Add(insertAfterSOI(jpg, exifSegment(binary.LittleEndian, 3)))
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := jpegOrientation(data); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}

func TestLabel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"IMG_0001.jpg", "IMG_0001.jpg"},
		{"../../etc/passwd.jpg", "passwd.jpg"},
		{`C:\Users\anna\Desktop\protest.jpg`, "protest.jpg"},
		{"photo\u202egpj.exe", "photogpj.exe"},
		{"line\nbreak\x00.png", "linebreak.png"},
		{"..", ""},
		{"", ""},
		{strings.Repeat("я", 150) + ".jpg", strings.Repeat("я", 100)},
	} {
		if got := Label(tc.in); got != tc.want {
			t.Errorf("Label(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
