package reduce

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Encoding of a Set, little-endian:
//
//	"ZPRS"  magic
//	u8      version (1)
//	u16     state kinds (bitmask)
//	u8      value width: 0 none, 4 float32, 8 float64
//	u32     pixels
//	u32     timesteps accumulated (the values hold this many when present)
//	then, for the kinds present and in this order, arrays of pixels entries:
//	count u32; sum f64; mean f64, M2 f64; min f64; max f64;
//	first time i64, first value f64; last time i64, last value f64;
//	values (timesteps × pixels, step-major, NaN kept) f32 or f64.
//
// The reducers and min_count are not part of the state: they only matter
// when finalizing.
const (
	magic      = "ZPRS"
	headerSize = 4 + 1 + 2 + 1 + 4 + 4
)

// EncodingVersion is the version MarshalBinary writes; UnmarshalBinary
// rejects others. Memo keys should include it.
const EncodingVersion = 1

// MarshalBinary encodes the partial states.
func (s *Set) MarshalBinary() ([]byte, error) {
	p := s.pixels
	width := 0
	switch {
	case len(s.vals64) > 0:
		width = 8
	case len(s.vals32) > 0:
		width = 4
	}
	b := make([]byte, headerSize, headerSize+int(s.payloadSize(s.steps, width)))
	copy(b, magic)
	b[4] = EncodingVersion
	binary.LittleEndian.PutUint16(b[5:], uint16(s.has))
	b[7] = byte(width)
	binary.LittleEndian.PutUint32(b[8:], uint32(p))
	binary.LittleEndian.PutUint32(b[12:], uint32(s.steps))
	for _, c := range s.count {
		b = binary.LittleEndian.AppendUint32(b, c)
	}
	b = appendF64s(b, s.sum)
	if s.has&stMoments != 0 {
		for i := range s.count {
			mean, _ := s.moments(i)
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(mean))
		}
		for i := range s.count {
			_, m2 := s.moments(i)
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(m2))
		}
	}
	b = appendF64s(b, s.min)
	b = appendF64s(b, s.max)
	b = appendI64s(b, s.firstT)
	b = appendF64s(b, s.firstV)
	b = appendI64s(b, s.lastT)
	b = appendF64s(b, s.lastV)
	for _, v := range s.vals32 {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	b = appendF64s(b, s.vals64)
	return b, nil
}

// payloadSize is the encoded size after the header.
func (s *Set) payloadSize(steps, width int) uint64 {
	if s.has&stValues == 0 {
		steps = 0
	}
	n := uint64(4 * s.pixels)
	for _, a := range [][]float64{s.sum, s.shift, s.s2, s.min, s.max, s.firstV, s.lastV} {
		n += uint64(8 * len(a))
	}
	n += uint64(8 * (len(s.firstT) + len(s.lastT)))
	return n + uint64(steps)*uint64(s.pixels)*uint64(width)
}

func appendF64s(b []byte, a []float64) []byte {
	for _, v := range a {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

func appendI64s(b []byte, a []int64) []byte {
	for _, v := range a {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	return b
}

// UnmarshalBinary replaces the states of s, which must have been made by
// NewSet with the same pixels and reducers needing the same state kinds,
// with the encoded ones. Errors wrap ErrCorrupt or ErrMismatch.
func (s *Set) UnmarshalBinary(data []byte) error {
	if len(data) < headerSize || string(data[:4]) != magic {
		return fmt.Errorf("reduce: partial state of %d bytes has no header: %w", len(data), ErrCorrupt)
	}
	if data[4] != EncodingVersion {
		return fmt.Errorf("reduce: partial state version %d, want %d: %w", data[4], EncodingVersion, ErrCorrupt)
	}
	has := state(binary.LittleEndian.Uint16(data[5:]))
	width := int(data[7])
	p := int(binary.LittleEndian.Uint32(data[8:]))
	steps := int(binary.LittleEndian.Uint32(data[12:]))
	if has != s.has || p != s.pixels {
		return fmt.Errorf("reduce: partial state of %d pixels/states %#x into %d pixels/states %#x: %w", p, has, s.pixels, s.has, ErrMismatch)
	}
	if (width != 0 && width != 4 && width != 8) || (width == 0) != (steps == 0 || p == 0 || has&stValues == 0) {
		return fmt.Errorf("reduce: partial state value width %d for %d steps: %w", width, steps, ErrCorrupt)
	}
	if want := s.payloadSize(steps, width); uint64(len(data)-headerSize) != want {
		return fmt.Errorf("reduce: partial state holds %d bytes, want %d: %w", len(data)-headerSize, want, ErrCorrupt)
	}
	r := data[headerSize:]
	for i := range s.count {
		s.count[i] = binary.LittleEndian.Uint32(r[4*i:])
	}
	r = r[4*p:]
	r = readF64s(s.sum, r)
	if s.has&stMoments != 0 {
		r = readF64s(s.shift, r) // the mean: shift = mean, S1 = 0, S2 = M2
		clear(s.s1)
		r = readF64s(s.s2, r)
	}
	r = readF64s(s.min, r)
	r = readF64s(s.max, r)
	r = readI64s(s.firstT, r)
	r = readF64s(s.firstV, r)
	r = readI64s(s.lastT, r)
	r = readF64s(s.lastV, r)
	s.vals32, s.vals64 = s.vals32[:0], s.vals64[:0]
	switch width {
	case 4:
		s.vals32 = make([]float32, steps*p)
		for i := range s.vals32 {
			s.vals32[i] = math.Float32frombits(binary.LittleEndian.Uint32(r[4*i:]))
		}
	case 8:
		s.vals64 = make([]float64, steps*p)
		readF64s(s.vals64, r)
	}
	s.steps = steps
	return nil
}

func readF64s(dst []float64, r []byte) []byte {
	for i := range dst {
		dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(r[8*i:]))
	}
	return r[8*len(dst):]
}

func readI64s(dst []int64, r []byte) []byte {
	for i := range dst {
		dst[i] = int64(binary.LittleEndian.Uint64(r[8*i:]))
	}
	return r[8*len(dst):]
}
