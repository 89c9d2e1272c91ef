package codec

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// shuffleCodec is numcodecs' "shuffle": a byte transpose of fixed-size
// elements without compression, so that the k-th byte of every element is
// stored contiguously. numcodecs refuses buffers that are not a whole number
// of elements, and so do we (as ErrCorrupt on decode).
type shuffleCodec struct {
	elementSize int
}

func init() {
	RegisterBytes("shuffle", newShuffle)
}

func newShuffle(config json.RawMessage) (BytesCodec, error) {
	cfg := struct {
		ElementSize *int `json:"elementsize"`
	}{}
	if err := decodeBytesConfig(config, &cfg); err != nil {
		return nil, err
	}
	c := &shuffleCodec{elementSize: 4}
	if cfg.ElementSize != nil {
		c.elementSize = *cfg.ElementSize
	}
	if c.elementSize < 1 {
		// numcodecs treats <= 1 as "no shuffle"; 0 and negatives are
		// nonsense written by no known writer.
		if c.elementSize < 0 {
			return nil, fmt.Errorf("elementsize %d: must be >= 0", c.elementSize)
		}
		c.elementSize = 1
	}
	return c, nil
}

func (c *shuffleCodec) Decode(dst, src []byte) ([]byte, error) {
	if len(src)%c.elementSize != 0 {
		return nil, fmt.Errorf("shuffle: %d bytes is not a multiple of elementsize %d: %w", len(src), c.elementSize, ErrCorrupt)
	}
	out := growBytes(dst, len(src))
	unshuffleBytes(out, src, c.elementSize)
	return out, nil
}

func (c *shuffleCodec) Encode(src []byte) ([]byte, error) {
	if len(src)%c.elementSize != 0 {
		return nil, fmt.Errorf("shuffle: %d bytes is not a multiple of elementsize %d", len(src), c.elementSize)
	}
	out := make([]byte, len(src))
	shuffleBytes(out, src, c.elementSize)
	return out, nil
}

// growBytes returns dst resized to n bytes, reusing its storage when the
// capacity allows. The contents are unspecified.
func growBytes(dst []byte, n int) []byte {
	if cap(dst) >= n {
		return dst[:n]
	}
	return make([]byte, n)
}

// decodeBytesConfig unmarshals a codec configuration, treating nil and JSON
// null as "all defaults".
func decodeBytesConfig(config json.RawMessage, v any) error {
	if len(config) == 0 || string(config) == "null" {
		return nil
	}
	if err := json.Unmarshal(config, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Errorf("key %q: %w", te.Field, err)
		}
		return err
	}
	return nil
}

// shuffleBytes writes the byte transpose of src into dst (len(dst) ==
// len(src)): for n = len/ts whole elements, dst[j*n+i] = src[i*ts+j]; the
// len%ts trailing bytes are copied unchanged (c-blosc's shuffle_generic).
func shuffleBytes(dst, src []byte, ts int) {
	n := len(src) / ts
	if ts <= 1 || n == 0 {
		copy(dst, src)
		return
	}
	for j := 0; j < ts; j++ {
		row := dst[j*n : j*n+n]
		for i := range row {
			row[i] = src[i*ts+j]
		}
	}
	copy(dst[n*ts:], src[n*ts:])
}

// unshuffleBytes inverts shuffleBytes: dst[i*ts+j] = src[j*n+i], trailing
// len%ts bytes copied (c-blosc's unshuffle_generic_inline). The common
// element sizes have unrolled loops; this is the hot path of blosc decoding.
func unshuffleBytes(dst, src []byte, ts int) {
	n := len(src) / ts
	if ts <= 1 || n == 0 {
		copy(dst, src)
		return
	}
	switch ts {
	case 2:
		unshuffle2(dst[:2*n], src[:n], src[n:2*n])
	case 4:
		unshuffle4(dst[:4*n], src[:n], src[n:2*n], src[2*n:3*n], src[3*n:4*n])
	case 8:
		unshuffle8(dst[:8*n], src[:8*n], n)
	default:
		for j := 0; j < ts; j++ {
			row := src[j*n : j*n+n]
			for i, b := range row {
				dst[i*ts+j] = b
			}
		}
	}
	copy(dst[n*ts:len(src)], src[n*ts:])
}

func unshuffle2(dst, s0, s1 []byte) {
	n := len(s0)
	s1 = s1[:n]
	dst = dst[:2*n]
	i := unshuffle2Vector(dst, s0, s1)
	for ; i+8 <= n; i += 8 {
		// A 2x8 byte transpose: swaps of bytes, then 16-bit and 32-bit
		// lanes between the two rows leave elements i..i+3 in a and
		// i+4..i+7 in b.
		a := binary.LittleEndian.Uint64(s0[i:])
		b := binary.LittleEndian.Uint64(s1[i:])
		t := (a>>8 ^ b) & 0x00ff00ff00ff00ff
		a, b = a^t<<8, b^t
		t = (a>>16 ^ b) & 0x0000ffff0000ffff
		a, b = a^t<<16, b^t
		t = (a>>32 ^ b) & 0x00000000ffffffff
		a, b = a^t<<32, b^t
		binary.LittleEndian.PutUint64(dst[2*i:], a)
		binary.LittleEndian.PutUint64(dst[2*i+8:], b)
	}
	for ; i < n; i++ {
		dst[2*i] = s0[i]
		dst[2*i+1] = s1[i]
	}
}

func unshuffle4(dst, s0, s1, s2, s3 []byte) {
	n := len(s0)
	s1, s2, s3 = s1[:n], s2[:n], s3[:n]
	dst = dst[:4*n]
	i := unshuffle4Vector(dst, s0, s1, s2, s3)
	for ; i+8 <= n; i += 8 {
		// Rows a..d hold byte 0..3 of elements i..i+7. Two rounds of 2x2
		// block swaps (bytes, then 16-bit lanes) leave element i+k in a
		// 32-bit half of one row.
		a := binary.LittleEndian.Uint64(s0[i:])
		b := binary.LittleEndian.Uint64(s1[i:])
		c := binary.LittleEndian.Uint64(s2[i:])
		d := binary.LittleEndian.Uint64(s3[i:])
		t := (a>>8 ^ b) & 0x00ff00ff00ff00ff
		a, b = a^t<<8, b^t
		t = (c>>8 ^ d) & 0x00ff00ff00ff00ff
		c, d = c^t<<8, d^t
		t = (a>>16 ^ c) & 0x0000ffff0000ffff
		a, c = a^t<<16, c^t
		t = (b>>16 ^ d) & 0x0000ffff0000ffff
		b, d = b^t<<16, d^t
		// Now a = (e0, e4), b = (e1, e5), c = (e2, e6), d = (e3, e7).
		o := dst[4*i : 4*i+32]
		binary.LittleEndian.PutUint64(o[0:], a&0xffffffff|b<<32)
		binary.LittleEndian.PutUint64(o[8:], c&0xffffffff|d<<32)
		binary.LittleEndian.PutUint64(o[16:], a>>32|b&^0xffffffff)
		binary.LittleEndian.PutUint64(o[24:], c>>32|d&^0xffffffff)
	}
	for ; i < n; i++ {
		o := dst[4*i : 4*i+4]
		o[0], o[1], o[2], o[3] = s0[i], s1[i], s2[i], s3[i]
	}
}

func unshuffle8(dst, src []byte, n int) {
	s0, s1, s2, s3 := src[0:n], src[n:2*n], src[2*n:3*n], src[3*n:4*n]
	s4, s5, s6, s7 := src[4*n:5*n], src[5*n:6*n], src[6*n:7*n], src[7*n:8*n]
	dst = dst[:8*n]
	i := unshuffle8Vector(dst, src, n)
	for ; i+8 <= n; i += 8 {
		r0, r1, r2, r3, r4, r5, r6, r7 := transposeBytes8x8(
			binary.LittleEndian.Uint64(s0[i:]), binary.LittleEndian.Uint64(s1[i:]),
			binary.LittleEndian.Uint64(s2[i:]), binary.LittleEndian.Uint64(s3[i:]),
			binary.LittleEndian.Uint64(s4[i:]), binary.LittleEndian.Uint64(s5[i:]),
			binary.LittleEndian.Uint64(s6[i:]), binary.LittleEndian.Uint64(s7[i:]))
		o := dst[8*i : 8*i+64]
		binary.LittleEndian.PutUint64(o[0:], r0)
		binary.LittleEndian.PutUint64(o[8:], r1)
		binary.LittleEndian.PutUint64(o[16:], r2)
		binary.LittleEndian.PutUint64(o[24:], r3)
		binary.LittleEndian.PutUint64(o[32:], r4)
		binary.LittleEndian.PutUint64(o[40:], r5)
		binary.LittleEndian.PutUint64(o[48:], r6)
		binary.LittleEndian.PutUint64(o[56:], r7)
	}
	for ; i < n; i++ {
		o := dst[8*i : 8*i+8]
		o[0], o[1], o[2], o[3] = s0[i], s1[i], s2[i], s3[i]
		o[4], o[5], o[6], o[7] = s4[i], s5[i], s6[i], s7[i]
	}
}

// transposeBytes8x8 transposes the 8x8 byte matrix whose row k is rk (byte
// m of rk = column m), in three rounds of 2x2 block swaps. Arguments and
// results travel in registers.
func transposeBytes8x8(r0, r1, r2, r3, r4, r5, r6, r7 uint64) (uint64, uint64, uint64, uint64, uint64, uint64, uint64, uint64) {
	const m8, m16, m32 = 0x00ff00ff00ff00ff, 0x0000ffff0000ffff, 0x00000000ffffffff
	t := (r0>>8 ^ r1) & m8
	r0, r1 = r0^t<<8, r1^t
	t = (r2>>8 ^ r3) & m8
	r2, r3 = r2^t<<8, r3^t
	t = (r4>>8 ^ r5) & m8
	r4, r5 = r4^t<<8, r5^t
	t = (r6>>8 ^ r7) & m8
	r6, r7 = r6^t<<8, r7^t
	t = (r0>>16 ^ r2) & m16
	r0, r2 = r0^t<<16, r2^t
	t = (r1>>16 ^ r3) & m16
	r1, r3 = r1^t<<16, r3^t
	t = (r4>>16 ^ r6) & m16
	r4, r6 = r4^t<<16, r6^t
	t = (r5>>16 ^ r7) & m16
	r5, r7 = r5^t<<16, r7^t
	t = (r0>>32 ^ r4) & m32
	r0, r4 = r0^t<<32, r4^t
	t = (r1>>32 ^ r5) & m32
	r1, r5 = r1^t<<32, r5^t
	t = (r2>>32 ^ r6) & m32
	r2, r6 = r2^t<<32, r6^t
	t = (r3>>32 ^ r7) & m32
	r3, r7 = r3^t<<32, r7^t
	return r0, r1, r2, r3, r4, r5, r6, r7
}
