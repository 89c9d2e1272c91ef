package reduce

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// rainfallMonth is steps days of float32 daily rainfall over pixels pixels,
// step-major: 30% dry days (0), wet days Weibull-distributed with shape
// 0.75 and scale 6 mm (gamma-like, long-tailed), and one pixel in twelve
// masked (NaN every day), as over the sea.
func rainfallMonth(pixels, steps int) []float32 {
	rng := rand.New(rand.NewPCG(5, 6))
	v := make([]float32, pixels*steps)
	for j := 0; j < steps; j++ {
		for i := 0; i < pixels; i++ {
			switch {
			case i%12 == 7:
				v[j*pixels+i] = nan
			case rng.Float64() < 0.3:
				v[j*pixels+i] = 0
			default:
				v[j*pixels+i] = float32(6 * math.Pow(rng.ExpFloat64(), 1/0.75))
			}
		}
	}
	return v
}

// monthState is the partial state of reducers over 31 days of rainfallMonth
// on a 100×100 tile, accumulated a day at a time as the pipeline does.
func monthState(reducers ...Reducer) *Set {
	const pixels, days = 100 * 100, 31
	vals := rainfallMonth(pixels, days)
	s, _ := NewSet(pixels, reducers, 1)
	for j := range days {
		s.Accumulate32(vals[j*pixels:(j+1)*pixels], j)
	}
	return s
}

// interleaved is enc, s's encoding, laid out as version 1 had it: the bytes
// of each entry together rather than in planes.
func interleaved(s *Set, enc []byte) []byte {
	out := slices.Clone(enc[:headerSize])
	out[4] = 1
	r := enc[headerSize:]
	unplane := func(n, width int) {
		for i := range n {
			for k := range width {
				out = append(out, r[k*n+i])
			}
		}
		r = r[n*width:]
	}
	p, width := s.pixels, int(enc[7])
	values := s.steps * p * width
	unplane(p, 4) // count
	for len(r) > values {
		unplane(p, 8) // the other per-pixel arrays
	}
	unplane(s.steps*p, width)
	return out
}

// TestMarshalLayout pins the encoding down byte by byte.
func TestMarshalLayout(t *testing.T) {
	s, _ := NewSet(2, []Reducer{{Op: Sum}}, 1)
	s.Accumulate32([]float32{1, 0.5, 1, nan}, 0) // counts 2, 1; sums 2 (0x4000…), 0.5 (0x3fe0…)
	got, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		'Z', 'P', 'R', 'S', 2, byte(stCount | stSum), 0, 0, 2, 0, 0, 0, 2, 0, 0, 0,
		2, 1, 0, 0, 0, 0, 0, 0, // count: planes 0 to 3
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0xe0, 0x40, 0x3f, // sum: planes 0 to 7
	}
	if !slices.Equal(got, want) {
		t.Errorf("encoding\n got % x\nwant % x", got, want)
	}
}

// TestPlanes checks the transposing kernels against the definition of the
// planes, for lengths around their eight-word steps.
func TestPlanes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 100, 1029} {
		a64 := make([]float64, n)
		a32 := make([]float32, n)
		for i := range n {
			a64[i] = math.Float64frombits(rng.Uint64())
			a32[i] = math.Float32frombits(rng.Uint32())
		}
		want64 := make([]byte, 8*n)
		want32 := make([]byte, 4*n)
		for i := range n {
			for k := range 8 {
				want64[k*n+i] = byte(math.Float64bits(a64[i]) >> (8 * k))
			}
			for k := range 4 {
				want32[k*n+i] = byte(math.Float32bits(a32[i]) >> (8 * k))
			}
		}
		got64 := make([]byte, 8*n+1)
		got32 := make([]byte, 4*n+1)
		if rest := putPlanes(got64, a64); len(rest) != 1 || !slices.Equal(got64[:8*n], want64) {
			t.Errorf("n=%d: float64 planes % x, want % x", n, got64[:8*n], want64)
		}
		if rest := putPlanes(got32, a32); len(rest) != 1 || !slices.Equal(got32[:4*n], want32) {
			t.Errorf("n=%d: float32 planes % x, want % x", n, got32[:4*n], want32)
		}
		back64 := make([]float64, n)
		back32 := make([]float32, n)
		if rest := getPlanes(back64, got64); len(rest) != 1 || !slices.Equal(words[uint64](back64), words[uint64](a64)) {
			t.Errorf("n=%d: float64 round trip", n)
		}
		if rest := getPlanes(back32, got32); len(rest) != 1 || !slices.Equal(words[uint32](back32), words[uint32](a32)) {
			t.Errorf("n=%d: float32 round trip", n)
		}
	}
}

// TestMarshalRoundTrip decodes encodings of every state kind, with float32
// and float64 values, over tiles bigger than a block of the mean/M2
// encoder, and checks the decoded Set finalizes alike and encodes the same.
func TestMarshalRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, pixels := range []int{0, 1, 9, 511, 1029} {
		for _, wide := range []bool{false, true} {
			s, _ := NewSet(pixels, allReducers(), 1)
			for j := range 3 {
				vals := make([]float64, pixels)
				for i := range vals {
					if rng.Float64() < 0.2 {
						vals[i] = math.NaN()
					} else {
						vals[i] = rng.NormFloat64() * 100
					}
				}
				if wide {
					s.Accumulate64(vals, j)
				} else {
					s.Accumulate32(float32s(vals), j)
				}
			}
			enc, err := s.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			back, _ := NewSet(pixels, allReducers(), 1)
			if err := back.UnmarshalBinary(enc); err != nil {
				t.Fatalf("%d pixels, float64 %v: %v", pixels, wide, err)
			}
			if again, _ := back.MarshalBinary(); !slices.Equal(again, enc) {
				t.Errorf("%d pixels, float64 %v: encodes differently once decoded", pixels, wide)
			}
			want, got := finalize64(t, s), finalize64(t, back)
			for k, r := range s.reducers {
				for i := range want[k] {
					if w, g := want[k][i], got[k][i]; !same(g, w) && math.Abs(g-w) > 1e-12*math.Abs(w) {
						t.Fatalf("%d pixels, float64 %v: %s pixel %d: decoded %v, encoded %v", pixels, wide, r, i, g, w)
					}
				}
			}
		}
	}
}

func float32s(a []float64) []float32 {
	out := make([]float32, len(a))
	for i, v := range a {
		out[i] = float32(v)
	}
	return out
}

// TestPlanesCompressBetter: the reason for the planes. A monthly mean's state
// of float32 rainfall must compress smaller with zstd (as the memo does) in
// planes than interleaved.
func TestPlanesCompressBetter(t *testing.T) {
	s := monthState(Reducer{Op: Mean})
	planed, _ := s.MarshalBinary()
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	defer enc.Close()
	inPlanes := len(enc.EncodeAll(planed, nil))
	inEntries := len(enc.EncodeAll(interleaved(s, planed), nil))
	t.Logf("%d-byte state: zstd %d bytes in planes, %d interleaved", len(planed), inPlanes, inEntries)
	if inPlanes >= inEntries {
		t.Errorf("zstd makes %d bytes of the planes, %d of the interleaved entries", inPlanes, inEntries)
	}
}

// TestInterleavedIsVersion1 checks the test's version-1 layout on a count
// + sum state of two pixels.
func TestInterleavedIsVersion1(t *testing.T) {
	s, _ := NewSet(2, []Reducer{{Op: Sum}}, 1)
	s.Accumulate32([]float32{1, 0.5, 1, nan}, 0)
	enc, _ := s.MarshalBinary()
	want := slices.Clone(enc[:headerSize])
	want[4] = 1
	want = binary.LittleEndian.AppendUint32(want, 2)
	want = binary.LittleEndian.AppendUint32(want, 1)
	want = binary.LittleEndian.AppendUint64(want, math.Float64bits(2))
	want = binary.LittleEndian.AppendUint64(want, math.Float64bits(0.5))
	if got := interleaved(s, enc); !slices.Equal(got, want) {
		t.Errorf("interleaved % x, want % x", got, want)
	}
}
