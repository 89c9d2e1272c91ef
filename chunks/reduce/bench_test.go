package reduce

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Measured 2026-11-23, go1.26.8, 2 shared cores of an AMD EPYC, quiet
// machine, 100×100 tile × 365 steps (3.65 M float32), one call per step:
//
//	count        7.1 ms  (1.9 ns/value, 2.1 GB/s)
//	mean         8.2 ms  (count + float64 sum)
//	min-max     13.2 ms
//	std         18.1 ms  (shifted sums, no division per value; about 4×
//	                      faster than a first per-call two-pass + Chan version)
//	first-last  18.3 ms
//	median      11.9 ms  (keeping the values)
//	all 16      38.8 ms  (376 MB/s)
//	FinalizeMedian (median + q0.9 over 10 k pixels × ~330 values) 79 ms by
//	quickselect; numpy 2.2.6 nanmedian + nanquantile on the same cube 1.5 s
//	(nanmean + nanstd 55 ms, against our mean + std 26 ms).
//	Merge + Marshal/Unmarshal of a mean/std/min/max state: 0.38 ms.
//
// Encoding version 2 (byte planes) against version 1 (interleaved entries,
// in parentheses), 2026-11-23, same machine but busy (medians of 6 to 12
// alternating runs), the 100×100 × 31-day rainfall states of marshalStates:
//
//	                  Marshal       Unmarshal     zstd bytes            zstd enc / dec per MB
//	mean              62 µs (48)    34 µs (32)    50,283 (58,638)       1.8 / 1.5 ms (8.3 / 1.5)
//	mean-std-min-max  253 µs (196)  131 µs (83)   220,881 (238,578)     2.2 / 1.2 ms (5.4 / 1.1)
//	median            577 µs (494)  327 µs (614)  1,056,207 (890,185)   3.1 / 0.8 ms (9.5 / 2.1)
//
// The planes cost Marshal/Unmarshal about 1 ns per float64 more (an in-
// register byte transpose, no SIMD); Unmarshal of values got faster by
// reusing the Set's memory.

// benchTile is a 100×100 tile × 365 daily steps, 10% missing.
func benchTile() []float32 {
	rng := rand.New(rand.NewPCG(3, 4))
	v := make([]float32, 100*100*365)
	for i := range v {
		if rng.Float64() < 0.1 {
			v[i] = nan
		} else {
			v[i] = float32(rng.ExpFloat64() * 5)
		}
	}
	return v
}

func BenchmarkAccumulate(b *testing.B) {
	vals := benchTile()
	for _, c := range []struct {
		name string
		rs   []Reducer
	}{
		{"count", []Reducer{{Op: Count}}},
		{"mean", []Reducer{{Op: Mean}}},
		{"min-max", []Reducer{{Op: Min}, {Op: Max}}},
		{"std", []Reducer{{Op: Std}}},
		{"first-last", []Reducer{{Op: First}, {Op: Last}}},
		{"median", []Reducer{{Op: Median}}},
		{"all", allReducers()},
	} {
		b.Run(c.name, func(b *testing.B) {
			s, _ := NewSet(100*100, c.rs, 1)
			b.SetBytes(int64(4 * len(vals)))
			b.ReportAllocs()
			for b.Loop() {
				s.Reset()
				// One call per timestep, as the pipeline feeds a chunk step by step.
				for j := 0; j < 365; j++ {
					s.Accumulate32(vals[j*10000:(j+1)*10000], j)
				}
			}
		})
	}
}

func BenchmarkAccumulateChunk(b *testing.B) {
	vals := benchTile()
	s, _ := NewSet(100*100, []Reducer{{Op: Mean}, {Op: Std}, {Op: Min}, {Op: Max}}, 1)
	b.SetBytes(int64(4 * len(vals)))
	b.ReportAllocs()
	for b.Loop() {
		s.Reset()
		s.Accumulate32(vals, 0) // the whole chunk in one call
	}
}

func BenchmarkFinalizeMedian(b *testing.B) {
	vals := benchTile()
	s, _ := NewSet(100*100, []Reducer{{Op: Median}, {Op: Quantile, Q: 0.9}}, 1)
	s.Accumulate32(vals, 0)
	out := [][]float32{make([]float32, 10000), make([]float32, 10000)}
	b.ReportAllocs()
	for b.Loop() {
		s.Finalize32(out)
	}
}

func BenchmarkMergeMarshal(b *testing.B) {
	vals := benchTile()
	rs := []Reducer{{Op: Mean}, {Op: Std}, {Op: Min}, {Op: Max}}
	s, _ := NewSet(100*100, rs, 1)
	s.Accumulate32(vals, 0)
	dst, _ := NewSet(100*100, rs, 1)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ := s.MarshalBinary()
		dst.UnmarshalBinary(buf)
		dst.Merge(s)
	}
}

// marshalStates are the partial states the memo stores most: a monthly mean
// (count + sum), mean/std/min/max, and a median (the values themselves),
// over a 100×100 tile of 31 days of rainfall.
func marshalStates() []struct {
	name string
	set  *Set
} {
	return []struct {
		name string
		set  *Set
	}{
		{"mean", monthState(Reducer{Op: Mean})},
		{"mean-std-min-max", monthState(Reducer{Op: Mean}, Reducer{Op: Std}, Reducer{Op: Min}, Reducer{Op: Max})},
		{"median", monthState(Reducer{Op: Median})},
	}
}

func BenchmarkMarshal(b *testing.B) {
	for _, c := range marshalStates() {
		b.Run(c.name, func(b *testing.B) {
			enc, _ := c.set.MarshalBinary()
			b.SetBytes(int64(len(enc)))
			b.ReportAllocs()
			for b.Loop() {
				c.set.MarshalBinary()
			}
		})
	}
}

func BenchmarkUnmarshal(b *testing.B) {
	for _, c := range marshalStates() {
		b.Run(c.name, func(b *testing.B) {
			enc, _ := c.set.MarshalBinary()
			dst, _ := NewSet(c.set.pixels, c.set.reducers, 1)
			b.SetBytes(int64(len(enc)))
			b.ReportAllocs()
			for b.Loop() {
				if err := dst.UnmarshalBinary(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStateZstd compresses and decompresses the states as the memo
// does (zstd SpeedFastest), laid out in planes (version 2) and interleaved
// (version 1), and reports the compressed size and the time per MB of state.
func BenchmarkStateZstd(b *testing.B) {
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	dec, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
	defer enc.Close()
	defer dec.Close()
	for _, c := range marshalStates() {
		planed, _ := c.set.MarshalBinary()
		for _, layout := range []struct {
			name  string
			state []byte
		}{{"interleaved", interleaved(c.set, planed)}, {"planes", planed}} {
			b.Run(c.name+"/"+layout.name, func(b *testing.B) {
				var z, out []byte
				var encoding, decoding time.Duration
				b.SetBytes(int64(len(layout.state)))
				for b.Loop() {
					t0 := time.Now()
					z = enc.EncodeAll(layout.state, z[:0])
					t1 := time.Now()
					out, _ = dec.DecodeAll(z, out[:0])
					encoding += t1.Sub(t0)
					decoding += time.Since(t1)
				}
				mb := float64(b.N) * float64(len(layout.state)) / 1e6
				b.ReportMetric(float64(len(z)), "zstd-B")
				b.ReportMetric(float64(encoding.Nanoseconds())/mb, "enc-ns/MB")
				b.ReportMetric(float64(decoding.Nanoseconds())/mb, "dec-ns/MB")
			})
		}
	}
}
