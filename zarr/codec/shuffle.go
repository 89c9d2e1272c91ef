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
	i := 0
	for ; i+8 <= n; i += 8 {
		a := binary.LittleEndian.Uint64(s0[i:])
		b := binary.LittleEndian.Uint64(s1[i:])
		binary.LittleEndian.PutUint64(dst[2*i:], spread8(uint32(a))|spread8(uint32(b))<<8)
		binary.LittleEndian.PutUint64(dst[2*i+8:], spread8(uint32(a>>32))|spread8(uint32(b>>32))<<8)
	}
	for ; i < n; i++ {
		dst[2*i] = s0[i]
		dst[2*i+1] = s1[i]
	}
}

// spread8 moves byte k of x to byte 2k of the result (zeros between).
func spread8(x uint32) uint64 {
	v := uint64(x)
	v = (v | v<<16) & 0x0000ffff0000ffff
	v = (v | v<<8) & 0x00ff00ff00ff00ff
	return v
}

func unshuffle4(dst, s0, s1, s2, s3 []byte) {
	n := len(s0)
	s1, s2, s3 = s1[:n], s2[:n], s3[:n]
	dst = dst[:4*n]
	i := 0
	for ; i+8 <= n; i += 8 {
		a := binary.LittleEndian.Uint64(s0[i:])
		b := binary.LittleEndian.Uint64(s1[i:])
		c := binary.LittleEndian.Uint64(s2[i:])
		d := binary.LittleEndian.Uint64(s3[i:])
		// Interleave pairs (a,b) and (c,d) into 16-bit lanes, then the
		// lane pairs into 32-bit elements.
		ab0 := spread8(uint32(a)) | spread8(uint32(b))<<8
		ab1 := spread8(uint32(a>>32)) | spread8(uint32(b>>32))<<8
		cd0 := spread8(uint32(c)) | spread8(uint32(d))<<8
		cd1 := spread8(uint32(c>>32)) | spread8(uint32(d>>32))<<8
		o := dst[4*i : 4*i+32]
		binary.LittleEndian.PutUint64(o[0:], spread16(uint32(ab0))|spread16(uint32(cd0))<<16)
		binary.LittleEndian.PutUint64(o[8:], spread16(uint32(ab0>>32))|spread16(uint32(cd0>>32))<<16)
		binary.LittleEndian.PutUint64(o[16:], spread16(uint32(ab1))|spread16(uint32(cd1))<<16)
		binary.LittleEndian.PutUint64(o[24:], spread16(uint32(ab1>>32))|spread16(uint32(cd1>>32))<<16)
	}
	for ; i < n; i++ {
		o := dst[4*i : 4*i+4]
		o[0], o[1], o[2], o[3] = s0[i], s1[i], s2[i], s3[i]
	}
}

// spread16 moves 16-bit lane k of x to lane 2k of the result.
func spread16(x uint32) uint64 {
	v := uint64(x)
	return (v | v<<16) & 0x0000ffff0000ffff
}

func unshuffle8(dst, src []byte, n int) {
	s0, s1, s2, s3 := src[0:n], src[n:2*n], src[2*n:3*n], src[3*n:4*n]
	s4, s5, s6, s7 := src[4*n:5*n], src[5*n:6*n], src[6*n:7*n], src[7*n:8*n]
	for i := range s0 {
		o := dst[8*i : 8*i+8]
		o[0], o[1], o[2], o[3] = s0[i], s1[i], s2[i], s3[i]
		o[4], o[5], o[6], o[7] = s4[i], s5[i], s6[i], s7[i]
	}
}
