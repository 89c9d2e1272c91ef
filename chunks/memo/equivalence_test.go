package memo_test

import (
	"context"
	"math"
	"path/filepath"
	"sync"
	"testing"

	"github.com/zarrproc/zarrproc/chunks"
	"github.com/zarrproc/zarrproc/chunks/memo"
)

// mapMemo is a chunks.Memo in a map: the engine's memo path without Redis.
type mapMemo struct {
	mu sync.Mutex
	m  map[string]chunks.MemoValue
}

func (mm *mapMemo) Do(ctx context.Context, k *chunks.MemoKey, compute func(context.Context) (chunks.MemoValue, error)) (chunks.MemoValue, chunks.MemoOutcome, error) {
	key := memo.Key(k, 0)
	mm.mu.Lock()
	v, ok := mm.m[key]
	mm.mu.Unlock()
	if ok {
		return v, chunks.MemoHit, nil
	}
	v, err := compute(ctx)
	if err != nil {
		return v, chunks.MemoMiss, err
	}
	mm.mu.Lock()
	mm.m[key] = v
	mm.mu.Unlock()
	return v, chunks.MemoMiss, nil
}

// TestMemoPathMatchesEngine runs requests across reducers and periods
// (climatologies, partial bins dropped, sub-ranges) through the memo path,
// cold then warm, and compares them with the engine without a memo (which
// TestAgainstXarray checks against xarray).
func TestMemoPathMatchesEngine(t *testing.T) {
	ds := copyDataset(t)
	q := 0.9
	cases := []chunks.Request{
		{Period: "month", Reducers: []string{"count", "sum", "mean", "min", "max", "std", "var", "first", "last"}},
		{Period: "week", Reducers: []string{"median", "quantile"}, Quantile: &q},
		{Period: "dekad", Reducers: []string{"mean", "first", "last"}, Time: "2024-01-20/2024-02-20"},
		{Period: "week", Reducers: []string{"mean", "std"}, DropPartial: true},
		{Period: "day-of-year", Reducers: []string{"mean", "max"}},
		{Period: "month-of-year", Reducers: []string{"median", "sum"}},
		{Period: "all", Reducers: []string{"var", "last"}, Ddof: 1},
	}
	// A bbox across chunk boundaries: tiles gather from 2×2 source chunks.
	lat, lon := coord(t, ds, "lat"), coord(t, ds, "lon")
	bb := [4]float64{min(lon[2], lon[6]), min(lat[1], lat[4]), max(lon[2], lon[6]), max(lat[1], lat[4])}
	cases = append(cases, chunks.Request{Period: "week", Reducers: []string{"mean", "median", "last"}, BBox: &bb})
	mm := &mapMemo{m: map[string]chunks.MemoValue{}}
	for _, c := range cases {
		c.Dataset, c.Variable = ds, "precip"
		name := c.Period + "_" + c.Reducers[0]
		if c.BBox != nil {
			name += "_bbox"
		}
		t.Run(name, func(t *testing.T) {
			plain := c
			plain.Output = filepath.Join(t.TempDir(), "plain.zarr")
			runWith(t, plain, nil, nil, nil)
			for _, pass := range []string{"cold", "warm"} {
				r := c
				r.Output = filepath.Join(t.TempDir(), pass+".zarr")
				s := runWith(t, r, mm, nil, nil)
				if pass == "warm" && s.FromCache.Misses != 0 {
					t.Fatalf("warm pass: %+v", s.FromCache)
				}
				for _, v := range s.Variables {
					a, b := readVar(t, plain.Output, v), readVar(t, r.Output, v)
					for i := range a {
						if !near(a[i], b[i]) {
							t.Fatalf("%s %s[%d] = %v, without a memo %v", pass, v, i, b[i], a[i])
						}
					}
				}
			}
		})
	}
}

func near(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-6*math.Max(math.Abs(a), 1e-6)
}
