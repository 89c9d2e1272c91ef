package reduce

import (
	"math/rand/v2"
	"testing"
)

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
