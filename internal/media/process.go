package media

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// JPEGQuality is the quality every JPEG is re-encoded at: visually close
// to a camera's output at about half its size.
const JPEGQuality = 82

// Widths are the widths of the smaller copies made of every upload wider
// than them. The site derives an image's srcset from its URL and width
// (ImageVariants), so changing this list needs the copies of older uploads
// made again.
var Widths = []int{480, 800, 1200, 1600}

// scaler makes the smaller copies from the nearest halving of the image
// (see halvings), so it never shrinks by a factor of two or more and
// bilinear interpolation does not alias. On a 4000 × 3000 photo,
// CatmullRom would add about 0.6 s and 160 MB of scratch buffers per
// upload for a slightly sharper result (BenchmarkProcess).
var scaler draw.Interpolator = draw.ApproxBiLinear

// source is an accepted upload format, told by its first bytes.
type source int

const (
	unknown source = iota
	jpegSource
	pngSource
	webpSource
)

// sniff tells the format from the file's magic bytes, never its name.
func sniff(data []byte) source {
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return jpegSource
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return pngSource
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return webpSource
	}
	return unknown
}

// variant is one stored file: the original (width 0) or a smaller copy.
type variant struct {
	width int
	data  []byte
}

// processed is what an upload becomes: re-encoded files without any of the
// source's metadata.
type processed struct {
	format        string // "jpeg" or "png"
	width, height int    // of the original, upright
	original      []byte
	sizes         []variant // ascending widths
}

// limits bound what process will decode.
type limits struct {
	maxPixels int64
	// maxDecoded bounds the memory the decoded pixels take, so a 16-bit
	// PNG counts for more than an 8-bit one.
	maxDecoded int64
}

// process checks, decodes and re-encodes an upload. Dimensions are read
// from the header and checked before anything is decoded, so a small file
// claiming to be huge costs nothing. Re-encoding from pixels drops EXIF,
// XMP, ICC profiles, comments and anything appended to the image data.
func process(data []byte, lim limits) (processed, error) {
	kind := sniff(data)
	if kind == unknown {
		return processed{}, reject(ErrUnsupported, "This file is not a JPEG, PNG or WebP image. Upload a photo or graphic in one of those formats (SVG and other formats are not accepted).")
	}
	cfg, err := decodeConfig(kind, data)
	if err != nil {
		return processed{}, reject(ErrDamaged, "This image is damaged or incomplete and cannot be read. Export it again and upload the new file.")
	}
	pixels := int64(cfg.Width) * int64(cfg.Height)
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return processed{}, reject(ErrDamaged, "This image has no pixels.")
	}
	if pixels > lim.maxPixels || pixels*bytesPerPixel(cfg.ColorModel) > lim.maxDecoded {
		return processed{}, reject(ErrTooManyPixels, fmt.Sprintf(
			"This image is %d × %d pixels, more than the %d megapixels the site accepts. Make it smaller and upload it again.",
			cfg.Width, cfg.Height, lim.maxPixels/1_000_000))
	}
	img, err := decode(kind, data)
	if err != nil {
		return processed{}, reject(ErrDamaged, "This image is damaged or incomplete and cannot be read. Export it again and upload the new file.")
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return processed{}, reject(ErrDamaged, "This image's header does not match its pixels.")
	}
	if kind == jpegSource {
		img = orient(img, jpegOrientation(data))
	}

	p := processed{format: "jpeg", width: img.Bounds().Dx(), height: img.Bounds().Dy()}
	if kind == pngSource || (kind == webpSource && !opaque(img)) {
		// There is no pure-Go WebP encoder, and JPEG has no transparency.
		p.format = "png"
	}
	if p.original, err = encode(img, p.format); err != nil {
		return processed{}, err
	}
	halves := halvings(img, Widths[0])
	for _, w := range Widths {
		if w >= p.width {
			break // never upscale; the original serves this width
		}
		h := max(1, int(math.Round(float64(p.height)*float64(w)/float64(p.width))))
		// Start from the smallest halving at least as wide, so the
		// scaler never shrinks by more than half.
		from := img
		for _, half := range halves {
			if half.Bounds().Dx() >= w {
				from = half
			}
		}
		small := image.NewRGBA(image.Rect(0, 0, w, h))
		scaler.Scale(small, small.Bounds(), from, from.Bounds(), draw.Src, nil)
		data, err := encode(small, p.format)
		if err != nil {
			return processed{}, err
		}
		p.sizes = append(p.sizes, variant{width: w, data: data})
	}
	return p, nil
}

// halvings returns img halved, halved again and so on while the result is
// at least minWidth wide. Bilinear interpolation at exactly half size
// averages each 2 × 2 block, a box filter: cheap, and without the aliasing
// of sampling a few pixels of a much larger image. The scaler then only
// bridges the last factor of less than two, which keeps it fast and its
// buffers small.
func halvings(img image.Image, minWidth int) []image.Image {
	var halves []image.Image
	for b := img.Bounds(); b.Dx()/2 >= minWidth && b.Dy() >= 2; b = img.Bounds() {
		half := image.NewRGBA(image.Rect(0, 0, b.Dx()/2, b.Dy()/2))
		draw.ApproxBiLinear.Scale(half, half.Bounds(), img, b, draw.Src, nil)
		halves = append(halves, half)
		img = half
	}
	return halves
}

func decodeConfig(kind source, data []byte) (image.Config, error) {
	r := bytes.NewReader(data)
	switch kind {
	case jpegSource:
		return jpeg.DecodeConfig(r)
	case pngSource:
		return png.DecodeConfig(r)
	case webpSource:
		return webp.DecodeConfig(r)
	}
	return image.Config{}, errors.New("media: unknown format")
}

// decode decodes with the one decoder the magic bytes chose, never
// image.Decode, which would try every registered format.
func decode(kind source, data []byte) (image.Image, error) {
	r := bytes.NewReader(data)
	switch kind {
	case jpegSource:
		return jpeg.Decode(r)
	case pngSource:
		return png.Decode(r)
	case webpSource:
		return webp.Decode(r)
	}
	return nil, errors.New("media: unknown format")
}

// bytesPerPixel estimates the memory a decoded pixel of the color model
// takes (at most; JPEG's subsampled chroma takes less).
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4
}

// opaque reports whether every pixel of img is opaque; images that cannot
// tell are taken to have transparency, which PNG keeps.
func opaque(img image.Image) bool {
	o, ok := img.(interface{ Opaque() bool })
	return ok && o.Opaque()
}

func encode(img image.Image, format string) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	if format == "png" {
		err = (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: JPEGQuality})
	}
	if err != nil {
		return nil, fmt.Errorf("media: encode %s: %w", format, err)
	}
	return buf.Bytes(), nil
}
