package demo

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"maps"
	"math"
	"sync"
)

// Demo images are drawn in code rather than shipped as photos: no rights to
// clear, and a few kilobytes of code instead of binary files in the tree.
const (
	imageWidth  = 1200
	imageHeight = 800
	jpegQuality = 70
	seedImage   = "demo/diplomats.jpg"
)

// palette is a placeholder image: a diagonal gradient between two colours
// with a soft glow, different enough per image to tell articles apart.
type palette struct {
	from, to, glow color.RGBA
	glowX, glowY   float64 // glow centre as a fraction of width and height
}

// imagePalettes maps a path under /media/ to its placeholder.
var imagePalettes = map[string]palette{
	seedImage:           {rgb(0x1d, 0x2b, 0x44), rgb(0x8a, 0x9b, 0xb0), rgb(0xe8, 0xd8, 0xb0), 0.62, 0.38},
	"demo/river.jpg":    {rgb(0x0f, 0x3d, 0x4c), rgb(0x6f, 0xb3, 0xb8), rgb(0xf2, 0xf0, 0xe6), 0.25, 0.30},
	"demo/birch.jpg":    {rgb(0x2e, 0x3b, 0x2a), rgb(0xc9, 0xc5, 0xa6), rgb(0xff, 0xf6, 0xd5), 0.70, 0.20},
	"demo/dusk.jpg":     {rgb(0x3a, 0x1f, 0x3d), rgb(0xd9, 0x7b, 0x5a), rgb(0xff, 0xd2, 0x8f), 0.50, 0.75},
	"demo/snowfall.jpg": {rgb(0x5b, 0x67, 0x78), rgb(0xe6, 0xea, 0xef), rgb(0xff, 0xff, 0xff), 0.35, 0.55},
}

// generatedImages are the placeholders given to some generated articles.
var generatedImages = []string{"demo/river.jpg", "demo/birch.jpg", "demo/dusk.jpg", "demo/snowfall.jpg"}

func rgb(r, g, b uint8) color.RGBA { return color.RGBA{r, g, b, 0xff} }

var encodedMedia = sync.OnceValue(func() map[string][]byte {
	out := make(map[string][]byte, len(imagePalettes))
	for name, p := range imagePalettes {
		var buf bytes.Buffer
		// Encoding an in-memory image into a buffer fails only on a
		// programming error, such as an empty image.
		if err := jpeg.Encode(&buf, p.draw(imageWidth, imageHeight), &jpeg.Options{Quality: jpegQuality}); err != nil {
			panic("demo: encode " + name + ": " + err.Error())
		}
		out[name] = buf.Bytes()
	}
	return out
})

// Media returns the demo images as JPEG files, keyed by their path under
// /media/ (for example "demo/diplomats.jpg"), so the server can serve them
// without any file on disk. The images are drawn once, on first use; callers
// must not modify the byte slices.
func Media() map[string][]byte {
	return maps.Clone(encodedMedia())
}

func (p palette) draw(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	gx, gy := p.glowX*float64(w), p.glowY*float64(h)
	radius := 0.45 * float64(w)
	for y := range h {
		for x := range w {
			t := (float64(x)/float64(w) + float64(y)/float64(h)) / 2
			c := mix(p.from, p.to, t)
			d := math.Hypot(float64(x)-gx, float64(y)-gy) / radius
			if d < 1 {
				c = mix(c, p.glow, 0.55*(1-d)*(1-d))
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// mix blends a towards b by t in [0, 1].
func mix(a, b color.RGBA, t float64) color.RGBA {
	lerp := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + (float64(y)-float64(x))*t)) }
	return color.RGBA{lerp(a.R, b.R), lerp(a.G, b.G), lerp(a.B, b.B), 0xff}
}
