package media

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// The test corpus is generated here rather than committed as binary files,
// so each test shows exactly what its input holds.

// Canary strings planted in metadata: none may survive into a stored file.
const (
	gpsCanary    = "GPSCANARY"
	artistCanary = "Secret Source Name"
	xmpCanary    = "XMPCANARY"
	textCanary   = "PNGTEXTCANARY"
)

// pattern is a w×h image with four coloured quadrants (red, green / blue,
// white) and some texture, so that orientation and resizing can be
// checked.
func pattern(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var c color.RGBA
			switch {
			case x < w/2 && y < h/2:
				c = color.RGBA{220, 20, 20, 255}
			case y < h/2:
				c = color.RGBA{20, 200, 20, 255}
			case x < w/2:
				c = color.RGBA{20, 20, 220, 255}
			default:
				c = color.RGBA{240, 240, 240, 255}
			}
			// A gentle texture, as in a photo, without moving the colours far.
			d := uint8((x*7 + y*13) % 16)
			c.R, c.G, c.B = c.R-min(c.R, d), c.G-min(c.G, d), c.B-min(c.B, d)
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// insertAfterSOI puts JPEG segments right after the start-of-image marker,
// where cameras put EXIF.
func insertAfterSOI(jpg []byte, segments ...[]byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	for _, s := range segments {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

// segment builds a JPEG marker segment.
func segment(marker byte, body []byte) []byte {
	s := []byte{0xff, marker, 0, 0}
	binary.BigEndian.PutUint16(s[2:], uint16(len(body)+2))
	return append(s, body...)
}

// ifdEntry is one TIFF directory entry; value holds the 4 value bytes, or
// the data that goes at offset (set when written).
type ifdEntry struct {
	tag, typ uint16
	count    uint32
	value    []byte
}

// exifSegment builds an APP1 EXIF segment in byte order order: IFD0 with
// Orientation (if non-zero), Make, Artist and a pointer to a GPS IFD with a
// latitude and longitude, the data a phone writes.
func exifSegment(order binary.ByteOrder, orientation uint16) []byte {
	short := func(v uint16) []byte { b := make([]byte, 4); order.PutUint16(b, v); return b }
	ascii := func(s string) []byte { return append([]byte(s), 0) }
	rationals := func(vs ...uint32) []byte {
		b := make([]byte, 8*len(vs))
		for i, v := range vs {
			order.PutUint32(b[8*i:], v)
			order.PutUint32(b[8*i+4:], 1)
		}
		return b
	}
	ifd0 := []ifdEntry{{0x010f, 2, 10, ascii(gpsCanary)}, {0x013b, 2, uint32(len(artistCanary) + 1), ascii(artistCanary)}}
	if orientation != 0 {
		ifd0 = append([]ifdEntry{{0x0112, 3, 1, short(orientation)}}, ifd0...)
	}
	gps := []ifdEntry{
		{0x0001, 2, 2, []byte("N\x00\x00\x00")}, {0x0002, 5, 3, rationals(55, 45, 21)},
		{0x0003, 2, 2, []byte("E\x00\x00\x00")}, {0x0004, 5, 3, rationals(37, 37, 4)},
	}
	var tiff bytes.Buffer
	if order == binary.LittleEndian {
		tiff.WriteString("II")
	} else {
		tiff.WriteString("MM")
	}
	head := make([]byte, 6)
	order.PutUint16(head, 42)
	order.PutUint32(head[2:], 8)
	tiff.Write(head)
	// IFD0 plus a GPS pointer entry, then the GPS IFD, then the data of
	// values longer than four bytes.
	ifd0Size := 2 + 12*(len(ifd0)+1) + 4
	gpsOffset := 8 + ifd0Size
	gpsSize := 2 + 12*len(gps) + 4
	dataOffset := gpsOffset + gpsSize
	var data bytes.Buffer
	writeIFD := func(entries []ifdEntry) {
		b := make([]byte, 2)
		order.PutUint16(b, uint16(len(entries)))
		tiff.Write(b)
		for _, e := range entries {
			b := make([]byte, 12)
			order.PutUint16(b, e.tag)
			order.PutUint16(b[2:], e.typ)
			order.PutUint32(b[4:], e.count)
			if len(e.value) <= 4 {
				copy(b[8:], e.value)
			} else {
				order.PutUint32(b[8:], uint32(dataOffset+data.Len()))
				data.Write(e.value)
			}
			tiff.Write(b)
		}
		tiff.Write(make([]byte, 4)) // no next IFD
	}
	pointer := make([]byte, 4)
	order.PutUint32(pointer, uint32(gpsOffset))
	writeIFD(append(ifd0, ifdEntry{0x8825, 4, 1, pointer}))
	writeIFD(gps)
	tiff.Write(data.Bytes())
	return segment(0xe1, append([]byte("Exif\x00\x00"), tiff.Bytes()...))
}

// xmpSegment is an APP1 XMP packet, as photo editors write.
func xmpSegment() []byte {
	return segment(0xe1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:Description exif:GPSLatitude=\""+
		xmpCanary+"\"/></x:xmpmeta>"))
}

// photo is a camera-like JPEG: EXIF with GPS, XMP and a comment.
func photo(t testing.TB, w, h int, orientation uint16) []byte {
	return insertAfterSOI(encodeJPEG(t, pattern(w, h)), exifSegment(binary.BigEndian, orientation), xmpSegment(),
		segment(0xfe, []byte("<script>alert(1)</script>")))
}

// pngChunk builds a PNG chunk with its CRC.
func pngChunk(kind string, data []byte) []byte {
	c := make([]byte, 4, 12+len(data))
	binary.BigEndian.PutUint32(c, uint32(len(data)))
	c = append(append(c, kind...), data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// withTextChunk puts a tEXt chunk right after IHDR.
func withTextChunk(p []byte, key, text string) []byte {
	const ihdrEnd = 8 + 25
	out := append([]byte{}, p[:ihdrEnd]...)
	out = append(out, pngChunk("tEXt", []byte(key+"\x00"+text))...)
	return append(out, p[ihdrEnd:]...)
}

// pngHeader is the start of a PNG claiming w×h pixels in colour type
// colorType at depth bits: enough for DecodeConfig, nothing to decode.
func pngHeader(w, h uint32, depth, colorType byte) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, depth, colorType, 0, 0, 0)
	out := append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
	return append(out, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
}

// bitWriter writes the least significant bit first, as VP8L reads.
type bitWriter struct {
	out   []byte
	acc   uint64
	nbits uint
}

func (b *bitWriter) write(v uint64, n uint) {
	b.acc |= v << b.nbits
	b.nbits += n
	for b.nbits >= 8 {
		b.out = append(b.out, byte(b.acc))
		b.acc >>= 8
		b.nbits -= 8
	}
}

func (b *bitWriter) bytes() []byte {
	if b.nbits > 0 {
		return append(b.out, byte(b.acc))
	}
	return b.out
}

// solidWebP is a lossless WebP of one colour: each of the five prefix
// codes has a single symbol, so the pixels take no bits at all. With
// exif set, the file also carries an EXIF chunk (in an extended VP8X
// container).
func solidWebP(w, h int, c color.NRGBA, exif []byte) []byte {
	var bw bitWriter
	bw.write(0x2f, 8)
	bw.write(uint64(w-1), 14)
	bw.write(uint64(h-1), 14)
	if c.A != 255 {
		bw.write(1, 1)
	} else {
		bw.write(0, 1)
	}
	bw.write(0, 3) // version
	bw.write(0, 1) // no transform
	bw.write(0, 1) // no colour cache
	bw.write(0, 1) // no meta prefix codes
	for _, symbol := range []uint8{c.G, c.R, c.B, c.A} {
		bw.write(1, 1) // simple code
		bw.write(0, 1) // one symbol
		bw.write(1, 1) // of eight bits
		bw.write(uint64(symbol), 8)
	}
	bw.write(1, 1) // distance code: simple, one one-bit symbol, 0
	bw.write(0, 1)
	bw.write(0, 1)
	bw.write(0, 1)
	chunk := func(kind string, data []byte) []byte {
		out := binary.LittleEndian.AppendUint32([]byte(kind), uint32(len(data)))
		out = append(out, data...)
		if len(data)%2 == 1 {
			out = append(out, 0)
		}
		return out
	}
	body := []byte("WEBP")
	if exif != nil {
		flags := byte(0x08)
		if c.A != 255 {
			flags |= 0x10
		}
		vp8x := []byte{flags, 0, 0, 0}
		vp8x = append(vp8x, byte(w-1), byte((w-1)>>8), byte((w-1)>>16), byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
		body = append(body, chunk("VP8X", vp8x)...)
	}
	body = append(body, chunk("VP8L", bw.bytes())...)
	if exif != nil {
		body = append(body, chunk("EXIF", exif)...)
	}
	return append(binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(len(body))), body...)
}

// elf is the start of a Linux executable.
func elf() []byte {
	b := []byte("\x7fELF\x02\x01\x01\x00")
	return append(b, make([]byte, 4096)...)
}

// zipBomb is a small zip archive of a long run of zeros.
func zipBomb(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.Create("bomb.jpg")
	if err != nil {
		t.Fatal(err)
	}
	f.Write(make([]byte, 4<<20))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
