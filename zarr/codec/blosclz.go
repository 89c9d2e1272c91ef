package codec

import (
	"encoding/binary"
	"errors"
)

// BloscLZ is Blosc's own LZ77 codec, derived from FastLZ level 1 and only
// ever met inside Blosc frames. The stream is a sequence of instructions,
// each introduced by a control byte:
//
//   - ctrl < 32: a literal run of ctrl+1 bytes follows;
//   - otherwise a match of (ctrl>>5)+2 bytes (plus extension bytes when
//     ctrl>>5 == 7, each added while it is 255) at distance
//     ((ctrl&31)<<8) + next byte + 1, or, when that pair is (31, 255), at a
//     "far" 16-bit big-endian distance + 8191 + 1.
//
// The first control byte's top three bits carry a level marker and are
// ignored. The stream ends when the input is exhausted.

const blosclzMaxDistance = 8191

var errBlosclz = errors.New("blosclz: invalid stream")

// blosclzDecode decompresses src into dst and returns the number of bytes
// written; it never writes past len(dst) nor reads past len(src).
func blosclzDecode(dst, src []byte) (int, error) {
	if len(src) == 0 {
		return 0, nil
	}
	ip, op := 1, 0
	ctrl := int(src[0] & 31)
	for {
		if ctrl < 32 {
			n := ctrl + 1
			if op+n > len(dst) || ip+n > len(src) {
				return op, errBlosclz
			}
			if op+32 <= len(dst) && ip+32 <= len(src) {
				// Copy a fixed 32 bytes (n <= 32): four word moves beat a
				// memmove call; the excess is overwritten later.
				d, s := dst[op:op+32], src[ip:ip+32]
				binary.LittleEndian.PutUint64(d[0:], binary.LittleEndian.Uint64(s[0:]))
				binary.LittleEndian.PutUint64(d[8:], binary.LittleEndian.Uint64(s[8:]))
				binary.LittleEndian.PutUint64(d[16:], binary.LittleEndian.Uint64(s[16:]))
				binary.LittleEndian.PutUint64(d[24:], binary.LittleEndian.Uint64(s[24:]))
			} else {
				copy(dst[op:op+n], src[ip:ip+n])
			}
			op += n
			ip += n
			if ip >= len(src) {
				return op, nil
			}
			ctrl = int(src[ip])
			ip++
			continue
		}
		length := (ctrl >> 5) - 1
		ofs := (ctrl & 31) << 8
		if length == 6 {
			for {
				if ip >= len(src) {
					return op, errBlosclz
				}
				code := src[ip]
				ip++
				length += int(code)
				if code != 255 {
					break
				}
			}
		}
		if ip >= len(src) {
			return op, errBlosclz
		}
		code := int(src[ip])
		ip++
		dist := ofs + code // ref = op - dist, before the final -1
		if code == 255 && ofs == 31<<8 {
			if ip+2 > len(src) {
				return op, errBlosclz
			}
			dist = (int(src[ip])<<8 | int(src[ip+1])) + blosclzMaxDistance
			ip += 2
		}
		length += 3
		if op+length > len(dst) || dist+1 > op {
			return op, errBlosclz
		}
		ref := op - dist - 1
		if dist == 0 {
			// A run of the previous byte.
			b := dst[op-1]
			run := dst[op : op+length]
			for i := range run {
				run[i] = b
			}
		} else if op-ref >= 8 && op+length+8 <= len(dst) {
			// Word-at-a-time forward copy: with a distance of at least 8
			// every word read was fully written before, so overlapping
			// matches come out right; the overshoot is overwritten later.
			for k := 0; k < length; k += 8 {
				binary.LittleEndian.PutUint64(dst[op+k:], binary.LittleEndian.Uint64(dst[ref+k:]))
			}
		} else if op-ref >= length {
			copy(dst[op:op+length], dst[ref:ref+length])
		} else {
			// Overlapping match: grow the copy by doubling the period.
			end := op + length
			for w := op; w < end; {
				w += copy(dst[w:end], dst[ref:w])
			}
		}
		op += length
		if ip >= len(src) {
			return op, nil
		}
		ctrl = int(src[ip])
		ip++
	}
}
