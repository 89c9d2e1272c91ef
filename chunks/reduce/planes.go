package reduce

import (
	"encoding/binary"
	"unsafe"
)

// Byte planes (Blosc's "shuffle"): an array of n entries of w bytes is
// stored as w planes of n bytes, plane k holding byte k (little-endian) of
// every entry. Interleaved, the bytes a compressor could squeeze sit w bytes
// apart; in planes they are runs: the zero low bytes of float64 sums of
// float32 data, the zero high bytes of small counts, the few distinct
// exponent bytes.

// putPlanes writes a byte-plane-wise to the front of dst and returns the
// rest of dst.
func putPlanes[T uint32 | float32 | int64 | float64](dst []byte, a []T) []byte {
	n := len(a)
	if unsafe.Sizeof(T(0)) == 4 {
		spread4(dst, n, 0, words[uint32](a), 0)
		return dst[4*n:]
	}
	spread64(dst, n, 0, words[uint64](a))
	return dst[8*n:]
}

// getPlanes fills a from the planes at the front of src, which must hold
// them, and returns the rest of src.
func getPlanes[T uint32 | float32 | int64 | float64](a []T, src []byte) []byte {
	n := len(a)
	if unsafe.Sizeof(T(0)) == 4 {
		gather32(words[uint32](a), src, n, 0)
		return src[4*n:]
	}
	gather64(words[uint64](a), src, n, 0)
	return src[8*n:]
}

// words views a as the bits of its entries (what math.Float32bits and
// math.Float64bits return) without a copy: the entries are plain numbers of
// the words' size and alignment, holding no pointers. Copying them instead,
// a block at a time through a buffer, made decoding a mean/std/min/max state
// about 1.6 times slower.
func words[W uint32 | uint64, T uint32 | float32 | int64 | float64](a []T) []W {
	if unsafe.Sizeof(T(0)) != unsafe.Sizeof(W(0)) {
		panic("reduce: words of another size than the entries")
	}
	return unsafe.Slice((*W)(unsafe.Pointer(unsafe.SliceData(a))), len(a))
}

// The kernels move the words lo … lo+len(w)-1 of an array of n words
// between w and the array's planes, eight words at a time through in-register
// byte transposes, then one byte at a time for the array's last few words.

// spread64 writes the low halves of the words to planes 0 to 3, then the
// high halves to planes 4 to 7, as fast as one pass through an 8×8 byte
// transpose was.
func spread64(planes []byte, n, lo int, w []uint64) {
	spread4(planes, n, lo, w, 0)
	spread4(planes[4*n:], n, lo, w, 32)
}

// spread4 writes the four bytes from bit shift on of each word to four
// planes.
func spread4[W uint32 | uint64](planes []byte, n, lo int, w []W, shift uint) {
	m, s := len(w), shift&63
	p0, p1, p2, p3 := planes4(planes, n, lo, m)
	i := 0
	for ; i+8 <= m; i += 8 {
		v := w[i : i+8 : i+8]
		y0, y1, y2, y3 := transpose4x4x2(
			pair(uint32(uint64(v[0])>>s), uint32(uint64(v[4])>>s)),
			pair(uint32(uint64(v[1])>>s), uint32(uint64(v[5])>>s)),
			pair(uint32(uint64(v[2])>>s), uint32(uint64(v[6])>>s)),
			pair(uint32(uint64(v[3])>>s), uint32(uint64(v[7])>>s)))
		binary.LittleEndian.PutUint64(p0[i:i+8], y0)
		binary.LittleEndian.PutUint64(p1[i:i+8], y1)
		binary.LittleEndian.PutUint64(p2[i:i+8], y2)
		binary.LittleEndian.PutUint64(p3[i:i+8], y3)
	}
	for ; i < m; i++ {
		v := uint64(w[i]) >> s
		p0[i], p1[i], p2[i], p3[i] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
}

func gather64(w []uint64, planes []byte, n, lo int) {
	m := len(w)
	p0, p1, p2, p3 := planes4(planes, n, lo, m)
	p4, p5, p6, p7 := planes4(planes[4*n:], n, lo, m)
	i := 0
	for ; i+8 <= m; i += 8 {
		v := w[i : i+8 : i+8]
		// The low halves of words 0 to 3 and 4 to 7, then their high halves.
		l0, l1, l2, l3 := transpose4x4x2(load4(p0, p1, p2, p3, i))
		h0, h1, h2, h3 := transpose4x4x2(load4(p4, p5, p6, p7, i))
		const m32 = 0x00000000FFFFFFFF
		v[0], v[4] = swapBytes(l0, h0, 32, m32)
		v[1], v[5] = swapBytes(l1, h1, 32, m32)
		v[2], v[6] = swapBytes(l2, h2, 32, m32)
		v[3], v[7] = swapBytes(l3, h3, 32, m32)
	}
	for ; i < m; i++ {
		w[i] = uint64(word4(p0, p1, p2, p3, i)) | uint64(word4(p4, p5, p6, p7, i))<<32
	}
}

func gather32(w []uint32, planes []byte, n, lo int) {
	m := len(w)
	p0, p1, p2, p3 := planes4(planes, n, lo, m)
	i := 0
	for ; i+8 <= m; i += 8 {
		v := w[i : i+8 : i+8]
		y0, y1, y2, y3 := transpose4x4x2(load4(p0, p1, p2, p3, i))
		v[0], v[4] = unpair(y0)
		v[1], v[5] = unpair(y1)
		v[2], v[6] = unpair(y2)
		v[3], v[7] = unpair(y3)
	}
	for ; i < m; i++ {
		w[i] = word4(p0, p1, p2, p3, i)
	}
}

// planes4 cuts four consecutive planes of an n-entry array, from the front
// of planes, to the m entries from lo on.
func planes4(planes []byte, n, lo, m int) (p0, p1, p2, p3 []byte) {
	return planes[lo:][:m], planes[n+lo:][:m], planes[2*n+lo:][:m], planes[3*n+lo:][:m]
}

// load4 reads bytes i to i+7 of four planes.
func load4(p0, p1, p2, p3 []byte, i int) (uint64, uint64, uint64, uint64) {
	return binary.LittleEndian.Uint64(p0[i : i+8]), binary.LittleEndian.Uint64(p1[i : i+8]),
		binary.LittleEndian.Uint64(p2[i : i+8]), binary.LittleEndian.Uint64(p3[i : i+8])
}

// word4 is the 4-byte word of entry i in four planes.
func word4(p0, p1, p2, p3 []byte, i int) uint32 {
	return uint32(p0[i]) | uint32(p1[i])<<8 | uint32(p2[i])<<16 | uint32(p3[i])<<24
}

// pair puts two 4-byte words in one, so that transpose4x4x2 handles eight.
func pair(lo, hi uint32) uint64 { return uint64(lo) | uint64(hi)<<32 }

func unpair(x uint64) (lo, hi uint32) { return uint32(x), uint32(x >> 32) }

// transpose4x4x2 transposes the two 4×4 byte matrices whose rows are the
// low and the high halves of the words (column k being byte k of a row):
// it swaps the off-diagonal 2×2 blocks, then single bytes (Hacker's
// Delight, 7–3). Being its own inverse, it serves both directions.
func transpose4x4x2(x0, x1, x2, x3 uint64) (uint64, uint64, uint64, uint64) {
	const m16, m8 = 0x0000FFFF0000FFFF, 0x00FF00FF00FF00FF
	x0, x2 = swapBytes(x0, x2, 16, m16)
	x1, x3 = swapBytes(x1, x3, 16, m16)
	x0, x1 = swapBytes(x0, x1, 8, m8)
	x2, x3 = swapBytes(x2, x3, 8, m8)
	return x0, x1, x2, x3
}

// swapBytes exchanges the bytes mask<<shift of a with the bytes mask of b.
func swapBytes(a, b, shift, mask uint64) (uint64, uint64) {
	t := (a>>shift ^ b) & mask
	return a ^ t<<shift, b ^ t
}
