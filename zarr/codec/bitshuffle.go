package codec

import "encoding/binary"

// Bit shuffle as Blosc uses it (Kiyoshi Masui's bitshuffle, scalar
// variant). For n elements of ts bytes, with n a multiple of 8, the shuffled
// layout is 8*ts "bit rows" of n/8 bytes each: row r = 8*j + b holds bit b
// of byte j of every element, element 8q+m at bit m of the row's byte q.
// Blosc only bit-shuffles when n is a multiple of 8 (otherwise the block is
// stored as is) and copies the n*ts..len tail bytes unchanged.

// bitUnshuffle inverts the bit shuffle of src into dst (same length) for
// elements of ts bytes, with Blosc's rules for a count of elements that is
// not a multiple of 8 and for trailing bytes. tmp (at least len(src) bytes)
// holds the intermediate byte-shuffled form: transposing 8x8 bit tiles into
// it is one 8-byte store per tile, and the byte unshuffle that follows has
// fast paths, which together beat scattering single bytes into dst.
func bitUnshuffle(dst, src, tmp []byte, ts int) {
	n := len(src) / ts
	if n%8 != 0 || n == 0 {
		copy(dst, src)
		return
	}
	rowLen := n / 8
	shuffled := tmp[:n*ts]
	for j := 0; j < ts; j++ {
		rows := src[8*j*rowLen : 8*(j+1)*rowLen]
		r0, r1, r2, r3 := rows[0:rowLen], rows[rowLen:2*rowLen], rows[2*rowLen:3*rowLen], rows[3*rowLen:4*rowLen]
		r4, r5, r6, r7 := rows[4*rowLen:5*rowLen], rows[5*rowLen:6*rowLen], rows[6*rowLen:7*rowLen], rows[7*rowLen:8*rowLen]
		out := shuffled[j*n : (j+1)*n]
		q := 0
		for ; q+8 <= rowLen; q += 8 {
			// Eight tiles at once: a byte transpose of 8 bytes of each
			// row gives the tiles' rows, then one bit transpose each.
			x0, x1, x2, x3, x4, x5, x6, x7 := transposeBytes8x8(
				binary.LittleEndian.Uint64(r0[q:]), binary.LittleEndian.Uint64(r1[q:]),
				binary.LittleEndian.Uint64(r2[q:]), binary.LittleEndian.Uint64(r3[q:]),
				binary.LittleEndian.Uint64(r4[q:]), binary.LittleEndian.Uint64(r5[q:]),
				binary.LittleEndian.Uint64(r6[q:]), binary.LittleEndian.Uint64(r7[q:]))
			o := out[8*q : 8*q+64]
			binary.LittleEndian.PutUint64(o[0:], transposeBits8x8(x0))
			binary.LittleEndian.PutUint64(o[8:], transposeBits8x8(x1))
			binary.LittleEndian.PutUint64(o[16:], transposeBits8x8(x2))
			binary.LittleEndian.PutUint64(o[24:], transposeBits8x8(x3))
			binary.LittleEndian.PutUint64(o[32:], transposeBits8x8(x4))
			binary.LittleEndian.PutUint64(o[40:], transposeBits8x8(x5))
			binary.LittleEndian.PutUint64(o[48:], transposeBits8x8(x6))
			binary.LittleEndian.PutUint64(o[56:], transposeBits8x8(x7))
		}
		for ; q < rowLen; q++ {
			x := uint64(r0[q]) | uint64(r1[q])<<8 | uint64(r2[q])<<16 | uint64(r3[q])<<24 |
				uint64(r4[q])<<32 | uint64(r5[q])<<40 | uint64(r6[q])<<48 | uint64(r7[q])<<56
			// Byte m of the transpose is byte j of element 8q+m.
			binary.LittleEndian.PutUint64(out[8*q:], transposeBits8x8(x))
		}
	}
	unshuffleBytes(dst[:n*ts], shuffled, ts)
	copy(dst[n*ts:len(src)], src[n*ts:])
}

// bitShuffle is the inverse of bitUnshuffle (used by the Blosc encoder).
func bitShuffle(dst, src []byte, ts int) {
	n := len(src) / ts
	if n%8 != 0 || n == 0 {
		copy(dst, src)
		return
	}
	rowLen := n / 8
	var tmp [8]byte
	for j := 0; j < ts; j++ {
		for q := 0; q < rowLen; q++ {
			for m := 0; m < 8; m++ {
				tmp[m] = src[(8*q+m)*ts+j]
			}
			x := transposeBits8x8(binary.LittleEndian.Uint64(tmp[:]))
			for b := 0; b < 8; b++ {
				dst[(8*j+b)*rowLen+q] = byte(x >> (8 * b))
			}
		}
	}
	copy(dst[n*ts:], src[n*ts:])
}

// transposeBits8x8 transposes the 8x8 bit matrix whose row i is byte i of x
// (column k = bit k): bit k of byte i moves to bit i of byte k.
func transposeBits8x8(x uint64) uint64 {
	t := (x ^ (x >> 7)) & 0x00AA00AA00AA00AA
	x = x ^ t ^ (t << 7)
	t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCC
	x = x ^ t ^ (t << 14)
	t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0
	x = x ^ t ^ (t << 28)
	return x
}
