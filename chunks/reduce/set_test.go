package reduce

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

var nan = float32(math.NaN())

func allReducers() []Reducer {
	return []Reducer{
		{Op: Count}, {Op: Sum}, {Op: Mean}, {Op: Min}, {Op: Max},
		{Op: Std}, {Op: Var}, {Op: Std, DDOF: 1}, {Op: Var, DDOF: 1},
		{Op: Median}, {Op: Quantile, Q: 0.25}, {Op: Quantile, Q: 0.9}, {Op: Quantile, Q: 0}, {Op: Quantile, Q: 1},
		{Op: First}, {Op: Last},
	}
}

func finalize64(t testing.TB, s *Set) [][]float64 {
	t.Helper()
	out := make([][]float64, len(s.reducers))
	for k := range out {
		out[k] = make([]float64, s.pixels)
	}
	if err := s.Finalize64(out); err != nil {
		t.Fatal(err)
	}
	return out
}

// stepMajor lays per-pixel series out as Accumulate wants them.
func stepMajor(series [][]float32) []float32 {
	p, n := len(series), len(series[0])
	out := make([]float32, p*n)
	for i, s := range series {
		for j, v := range s {
			out[j*p+i] = v
		}
	}
	return out
}

func same(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

func TestReducersOnKnownSeries(t *testing.T) {
	N := math.NaN()
	series := [][]float32{
		{1, nan, 3, 2},       // ordinary, one hole
		{nan, nan, nan, nan}, // all missing
		{nan, 5, nan, nan},   // one value
		{4, 4, 4, 4},         // constant
		{nan, -1, 7, nan},    // two values
	}
	// Expected by numpy: nansum, nanmean, nanmin, nanmax, nanstd(ddof), nanvar(ddof),
	// nanmedian, nanquantile(method="linear"), first/last valid.
	want := map[string][]float64{
		"count":         {3, 0, 1, 4, 2},
		"sum":           {6, N, 5, 16, 6},
		"mean":          {2, N, 5, 4, 3},
		"min":           {1, N, 5, 4, -1},
		"max":           {3, N, 5, 4, 7},
		"std":           {math.Sqrt(2.0 / 3), N, 0, 0, 4},
		"var":           {2.0 / 3, N, 0, 0, 16},
		"std1":          {1, N, N, 0, math.Sqrt(32)},
		"var1":          {1, N, N, 0, 32},
		"median":        {2, N, 5, 4, 3},
		"quantile_0.25": {1.5, N, 5, 4, 1},
		"quantile_0.9":  {2.8, N, 5, 4, 6.2},
		"quantile_0":    {1, N, 5, 4, -1},
		"quantile_1":    {3, N, 5, 4, 7},
		"first":         {1, N, 5, 4, -1},
		"last":          {2, N, 5, 4, 7},
	}
	s, err := NewSet(len(series), allReducers(), DefaultMinCount)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Accumulate32(stepMajor(series), 0); err != nil {
		t.Fatal(err)
	}
	out := finalize64(t, s)
	for k, r := range s.reducers {
		name := r.String()
		if r.DDOF == 1 {
			name += "1"
		}
		for i, w := range want[name] {
			if g := out[k][i]; !same(g, w) && math.Abs(g-w) > 1e-12*math.Abs(w) {
				t.Errorf("%s pixel %d: got %v want %v", name, i, g, w)
			}
		}
	}

	// min_count=0: an all-missing sum is 0 (xarray's default); others stay NaN.
	s0, _ := NewSet(len(series), []Reducer{{Op: Sum}, {Op: Mean}, {Op: Count}}, 0)
	s0.Accumulate32(stepMajor(series), 0)
	out = finalize64(t, s0)
	if out[0][1] != 0 || !math.IsNaN(out[1][1]) || out[2][1] != 0 {
		t.Errorf("min_count=0: sum %v mean %v count %v", out[0][1], out[1][1], out[2][1])
	}
	// An empty bin (no timestep at all) sums to NaN even with min_count=0.
	empty, _ := NewSet(2, []Reducer{{Op: Sum}, {Op: Count}}, 0)
	out = finalize64(t, empty)
	if !math.IsNaN(out[0][0]) || out[1][0] != 0 {
		t.Errorf("empty bin, min_count=0: %v", out)
	}
	// min_count=3: pixels with fewer than 3 values are NaN, sum and first included.
	s3, _ := NewSet(len(series), []Reducer{{Op: Sum}, {Op: First}, {Op: Count}, {Op: Median}}, 3)
	s3.Accumulate32(stepMajor(series), 0)
	out = finalize64(t, s3)
	if out[0][0] != 6 || !math.IsNaN(out[0][4]) || !math.IsNaN(out[1][4]) || out[2][4] != 2 || !math.IsNaN(out[3][2]) || out[3][3] != 4 {
		t.Errorf("min_count=3: %v", out)
	}
}

func TestParseReducer(t *testing.T) {
	for name, want := range map[string]Reducer{
		"count": {Op: Count}, "Mean": {Op: Mean}, "std": {Op: Std}, "median": {Op: Median},
		"quantile(0.9)": {Op: Quantile, Q: 0.9}, "quantile_0.05": {Op: Quantile, Q: 0.05}, "last": {Op: Last},
	} {
		got, err := ParseReducer(name)
		if err != nil || got != want {
			t.Errorf("ParseReducer(%q) = %v, %v", name, got, err)
		}
		if again, err := ParseReducer(got.String()); err != nil || again != got {
			t.Errorf("ParseReducer(%q) round trip: %v %v", got.String(), again, err)
		}
	}
	for _, bad := range []string{"quantile", "quantile(1.5)", "quantile_x", "avg", "quantile(-0)x"} {
		if _, err := ParseReducer(bad); err == nil {
			t.Errorf("ParseReducer(%q) accepted", bad)
		}
	}
	if _, err := NewSet(1, []Reducer{{Op: Std, DDOF: -1}}, 1); !errors.Is(err, ErrBadParameter) {
		t.Errorf("negative ddof: %v", err)
	}
}

// TestMergeProperty splits random series (with holes and all-NaN pixels)
// into random chunks, accumulates each into its own Set, merges them in
// random order (also through MarshalBinary), and compares with one pass.
func TestMergeProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const pixels = 37
	for trial := 0; trial < 200; trial++ {
		steps := 1 + rng.IntN(120)
		vals := make([]float32, steps*pixels)
		base := float32(rng.NormFloat64() * 1e4)
		for i := range vals {
			switch {
			case i%pixels == 5 || rng.Float64() < 0.2:
				vals[i] = nan
			case rng.Float64() < 0.1:
				vals[i] = float32(rng.IntN(3)) // ties
			default:
				vals[i] = base + float32(rng.NormFloat64()*10)
			}
		}
		minCount := rng.IntN(3)
		single, _ := NewSet(pixels, allReducers(), minCount)
		single.Accumulate32(vals, 0)
		want := finalize64(t, single)

		// Random cut points, chunks merged in random order.
		var cuts []int
		for j := 1; j < steps; j++ {
			if rng.Float64() < 0.15 {
				cuts = append(cuts, j)
			}
		}
		cuts = append([]int{0}, append(cuts, steps)...)
		parts := make([]*Set, len(cuts)-1)
		for c := range parts {
			parts[c], _ = NewSet(pixels, allReducers(), minCount)
			lo, hi := cuts[c], cuts[c+1]
			// Feed a chunk one step at a time or all at once.
			if rng.IntN(2) == 0 {
				parts[c].Accumulate32(vals[lo*pixels:hi*pixels], lo)
			} else {
				for j := lo; j < hi; j++ {
					parts[c].Accumulate32(vals[j*pixels:(j+1)*pixels], j)
				}
			}
			if rng.IntN(2) == 0 { // through the memo encoding
				b, _ := parts[c].MarshalBinary()
				fresh, _ := NewSet(pixels, allReducers(), minCount)
				if err := fresh.UnmarshalBinary(b); err != nil {
					t.Fatal(err)
				}
				parts[c] = fresh
			}
		}
		rng.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		// Merge as a random tree: repeatedly merge two random survivors.
		for len(parts) > 1 {
			i := rng.IntN(len(parts) - 1)
			if err := parts[i].Merge(parts[i+1]); err != nil {
				t.Fatal(err)
			}
			parts = slices.Delete(parts, i+1, i+2)
		}
		got := finalize64(t, parts[0])
		for k, r := range single.reducers {
			exact := r.Op != Mean && r.Op != Std && r.Op != Var && r.Op != Sum
			for i := range got[k] {
				g, w := got[k][i], want[k][i]
				if same(g, w) {
					continue
				}
				if exact || math.Abs(g-w) > 1e-12*math.Abs(w) {
					// Sums of float32 values in float64 are exact while they stay below 2^53 ulps.
					t.Fatalf("trial %d %s pixel %d: merged %v single %v (cuts %v)", trial, r, i, g, w, cuts)
				}
			}
		}
	}
}

func TestReserveAndMemory(t *testing.T) {
	s, _ := NewSet(100, []Reducer{{Op: Median}, {Op: Mean}}, 1)
	before := s.MemoryBytes()
	s.Reserve(31)
	if got := s.MemoryBytes() - before; got < 31*100*4 {
		t.Errorf("Reserve(31) grew %d bytes", got)
	}
	vals := make([]float32, 31*100)
	addr := func() *float32 { return &s.vals32[:1][0] }
	s.Accumulate32(vals[:100], 0)
	p := addr()
	s.Accumulate32(vals[100:], 1)
	if addr() != p {
		t.Error("values moved although reserved")
	}
}

func TestFloat64AndMixedValues(t *testing.T) {
	rs := []Reducer{{Op: Median}, {Op: Quantile, Q: 0.5}, {Op: Sum}, {Op: First}}
	a, _ := NewSet(2, rs, 1)
	a.Accumulate64([]float64{1e-300, math.NaN(), 3, 4}, 10)
	b, _ := NewSet(2, rs, 1)
	b.Accumulate32([]float32{2, 6}, 5)
	if err := a.Merge(b); err != nil {
		t.Fatal(err)
	}
	b.Merge(a) // float32 receiver promoted by a float64 other
	out := finalize64(t, a)
	if out[0][0] != 2 || out[0][1] != 5 || out[3][0] != 2 || out[3][1] != 6 || out[2][0] != 5 || out[2][1] != 10 {
		t.Errorf("mixed: %v", out)
	}
	out32 := make([][]float32, len(rs))
	for k := range out32 {
		out32[k] = make([]float32, 2)
	}
	if err := a.Finalize32(out32); err != nil || out32[1][1] != 5 {
		t.Errorf("Finalize32: %v %v", out32, err)
	}
}

func TestMarshalErrors(t *testing.T) {
	s, _ := NewSet(3, []Reducer{{Op: Mean}, {Op: Median}}, 1)
	s.Accumulate32([]float32{1, 2, nan, 4, 5, 6}, 0)
	b, _ := s.MarshalBinary()
	other, _ := NewSet(3, []Reducer{{Op: Max}}, 1)
	if s.Kinds() != "count+sum+values" || other.Kinds() != "count+max" {
		t.Errorf("kinds %q %q", s.Kinds(), other.Kinds())
	}
	if err := other.UnmarshalBinary(b); !errors.Is(err, ErrMismatch) {
		t.Errorf("kinds mismatch: %v", err)
	}
	for _, bad := range [][]byte{nil, b[:10], b[:len(b)-1], append(slices.Clone(b), 0), append([]byte("ZPRX"), b[4:]...)} {
		fresh, _ := NewSet(3, []Reducer{{Op: Mean}, {Op: Median}}, 1)
		if err := fresh.UnmarshalBinary(bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%d bytes: %v", len(bad), err)
		}
	}
	for _, version := range []byte{1, EncodingVersion + 1} { // version 1 interleaved the bytes of the entries
		v := slices.Clone(b)
		v[4] = version
		fresh, _ := NewSet(3, []Reducer{{Op: Mean}, {Op: Median}}, 1)
		if err := fresh.UnmarshalBinary(v); !errors.Is(err, ErrCorrupt) {
			t.Errorf("version %d: %v", version, err)
		}
	}
	if err := s.Accumulate32([]float32{1, 2}, 0); !errors.Is(err, ErrBadParameter) {
		t.Errorf("ragged step: %v", err)
	}
	if err := s.Merge(other); !errors.Is(err, ErrMismatch) {
		t.Errorf("merge mismatch: %v", err)
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	rs := []Reducer{{Op: Std}, {Op: Median}, {Op: Last}}
	s, _ := NewSet(2, rs, 1)
	s.Accumulate32([]float32{1, nan, 3, 4}, 0)
	b, _ := s.MarshalBinary()
	f.Add(b)
	s.Accumulate64([]float64{-2.5, 1e300}, 2) // float64 values
	b, _ = s.MarshalBinary()
	f.Add(b)
	s, _ = NewSet(9, rs, 1) // past the planes' eight-word steps
	s.Accumulate32([]float32{1, nan, 3, 4, 5, 6, 7, 8, 9}, 0)
	b, _ = s.MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		// A Set of as many pixels as the header says, when few, so that
		// the fuzzer can reach every size of array.
		p := 2
		if len(data) >= headerSize {
			if n := binary.LittleEndian.Uint32(data[8:]); n <= 64 {
				p = int(n)
			}
		}
		x, _ := NewSet(p, rs, 1)
		if x.UnmarshalBinary(data) != nil {
			return
		}
		out := [][]float64{make([]float64, p), make([]float64, p), make([]float64, p)}
		if err := x.Finalize64(out); err != nil {
			t.Fatal(err)
		}
	})
}
