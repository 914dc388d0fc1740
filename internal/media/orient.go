package media

import (
	"bytes"
	"encoding/binary"
	"image"

	"golang.org/x/image/draw"
)

// jpegOrientation reads the EXIF Orientation tag (1–8) of a JPEG, or 1
// when there is none. Cameras store portrait photos sideways with this tag;
// since re-encoding drops EXIF, the rotation must be applied to the pixels
// or the photo would appear on its side.
func jpegOrientation(data []byte) int {
	if !bytes.HasPrefix(data, []byte{0xff, 0xd8}) {
		return 1
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xff {
			return 1
		}
		marker := data[i+1]
		switch {
		case marker == 0xff: // fill byte
			i++
			continue
		case marker == 0xda || marker == 0xd9: // start of scan, end of image: no EXIF before it
			return 1
		case marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7): // markers without a length
			i += 2
			continue
		}
		length := int(binary.BigEndian.Uint16(data[i+2:]))
		if length < 2 || i+2+length > len(data) {
			return 1
		}
		segment := data[i+4 : i+2+length]
		if marker == 0xe1 && bytes.HasPrefix(segment, []byte("Exif\x00\x00")) {
			return tiffOrientation(segment[6:])
		}
		i += 2 + length
	}
	return 1
}

// tiffOrientation finds the Orientation tag in the first IFD of a TIFF
// structure (the body of an EXIF segment).
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 1
	}
	if order.Uint16(t[2:]) != 42 {
		return 1
	}
	ifd := int64(order.Uint32(t[4:]))
	if ifd+2 > int64(len(t)) {
		return 1
	}
	n := int64(order.Uint16(t[ifd:]))
	for k := range n {
		e := ifd + 2 + 12*k
		if e+12 > int64(len(t)) {
			return 1
		}
		const orientationTag, typeShort = 0x0112, 3
		if order.Uint16(t[e:]) != orientationTag {
			continue
		}
		if order.Uint16(t[e+2:]) != typeShort {
			return 1
		}
		if v := int(order.Uint16(t[e+8:])); v >= 1 && v <= 8 {
			return v
		}
		return 1
	}
	return 1
}

// orient turns img upright for an EXIF orientation: 2 mirrors it, 3
// rotates it half a turn, 4 flips it, 5 transposes it, 6 rotates it a
// quarter turn clockwise, 7 transverses it, 8 rotates it a quarter turn
// anticlockwise.
func orient(img image.Image, orientation int) image.Image {
	if orientation < 2 || orientation > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	src := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)

	dw, dh := w, h
	if orientation >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for dy := range dh {
		row := dst.Pix[dy*dst.Stride:]
		for dx := range dw {
			var sx, sy int
			switch orientation {
			case 2:
				sx, sy = w-1-dx, dy
			case 3:
				sx, sy = w-1-dx, h-1-dy
			case 4:
				sx, sy = dx, h-1-dy
			case 5:
				sx, sy = dy, dx
			case 6:
				sx, sy = dy, h-1-dx
			case 7:
				sx, sy = w-1-dy, h-1-dx
			case 8:
				sx, sy = w-1-dy, dx
			}
			copy(row[dx*4:dx*4+4], src.Pix[sy*src.Stride+sx*4:])
		}
	}
	return dst
}
