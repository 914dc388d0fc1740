package media

import (
	"testing"

	"golang.org/x/image/draw"
)

// BenchmarkProcess measures a 12-megapixel camera photo (4000 × 3000 JPEG
// with EXIF) through the whole pipeline with each candidate scaler.
func BenchmarkProcess(b *testing.B) {
	data := photo(b, 4000, 3000, 1)
	for _, sc := range []struct {
		name string
		s    draw.Interpolator
	}{{"CatmullRom", draw.CatmullRom}, {"ApproxBiLinear", draw.ApproxBiLinear}} {
		b.Run(sc.name, func(b *testing.B) {
			saved := scaler
			scaler = sc.s
			defer func() { scaler = saved }()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := process(data, testLimits); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
