package reduce

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// Encoding of a Set, little-endian:
//
//	"ZPRS"  magic
//	u8      version (2)
//	u16     state kinds (bitmask)
//	u8      value width: 0 none, 4 float32, 8 float64
//	u32     pixels
//	u32     timesteps accumulated (the values hold this many when present)
//	then, for the kinds present and in this order, arrays of pixels entries:
//	count u32; sum f64; mean f64, M2 f64; min f64; max f64;
//	first time i64, first value f64; last time i64, last value f64;
//	values (timesteps × pixels, step-major, NaN kept) f32 or f64.
//
// Each array of n entries of w bytes is stored in byte planes (planes.go):
// byte 0 (the least significant) of all n entries, then byte 1, … then
// byte w−1. Version 1 stored the entries one after another. In planes the
// memo's zstd (SpeedFastest) finds the runs of alike bytes at once and
// gives up quickly on the planes of noise: it encodes a month's states 2.4
// to 4.5 times faster, and mean and std states come out 7–14% smaller, but
// the values of median and quantile 19% larger (BenchmarkStateZstd).
//
// The reducers and min_count are not part of the state: they only matter
// when finalizing.
const (
	magic      = "ZPRS"
	headerSize = 4 + 1 + 2 + 1 + 4 + 4
)

// EncodingVersion is the version MarshalBinary writes; UnmarshalBinary
// rejects others. Memo keys should include it.
const EncodingVersion = 2

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
	b := make([]byte, headerSize+int(s.payloadSize(s.steps, width)))
	copy(b, magic)
	b[4] = EncodingVersion
	binary.LittleEndian.PutUint16(b[5:], uint16(s.has))
	b[7] = byte(width)
	binary.LittleEndian.PutUint32(b[8:], uint32(p))
	binary.LittleEndian.PutUint32(b[12:], uint32(s.steps))
	r := putPlanes(b[headerSize:], s.count)
	r = putPlanes(r, s.sum)
	if s.has&stMoments != 0 {
		// Derived from the shifted sums a block of pixels at a time, the
		// mean and M2 go to their planes without a pixels-long scratch.
		const block = 512
		var mean, m2 [block]uint64
		for lo := 0; lo < p; lo += block {
			n := min(block, p-lo)
			for i := range n {
				mu, v := s.moments(lo + i)
				mean[i], m2[i] = math.Float64bits(mu), math.Float64bits(v)
			}
			spread64(r, p, lo, mean[:n])
			spread64(r[8*p:], p, lo, m2[:n])
		}
		r = r[16*p:]
	}
	r = putPlanes(r, s.min)
	r = putPlanes(r, s.max)
	r = putPlanes(r, s.firstT)
	r = putPlanes(r, s.firstV)
	r = putPlanes(r, s.lastT)
	r = putPlanes(r, s.lastV)
	r = putPlanes(r, s.vals32)
	putPlanes(r, s.vals64)
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
	// Accumulating into no pixels counts no steps; finalizing values sizes
	// its scratch by the steps, which no payload would bound here.
	if p == 0 && steps != 0 {
		return fmt.Errorf("reduce: partial state of no pixels over %d steps: %w", steps, ErrCorrupt)
	}
	if want := s.payloadSize(steps, width); uint64(len(data)-headerSize) != want {
		return fmt.Errorf("reduce: partial state holds %d bytes, want %d: %w", len(data)-headerSize, want, ErrCorrupt)
	}
	r := getPlanes(s.count, data[headerSize:])
	r = getPlanes(s.sum, r)
	if s.has&stMoments != 0 {
		r = getPlanes(s.shift, r) // the mean: shift = mean, S1 = 0, S2 = M2
		clear(s.s1)
		r = getPlanes(s.s2, r)
	}
	r = getPlanes(s.min, r)
	r = getPlanes(s.max, r)
	r = getPlanes(s.firstT, r)
	r = getPlanes(s.firstV, r)
	r = getPlanes(s.lastT, r)
	r = getPlanes(s.lastV, r)
	// The values reuse the Set's memory, as Reset keeps it.
	s.vals32, s.vals64 = s.vals32[:0], s.vals64[:0]
	switch width {
	case 4:
		s.vals32 = slices.Grow(s.vals32, steps*p)[:steps*p]
		getPlanes(s.vals32, r)
	case 8:
		s.vals64 = slices.Grow(s.vals64, steps*p)[:steps*p]
		getPlanes(s.vals64, r)
	}
	s.steps = steps
	return nil
}
