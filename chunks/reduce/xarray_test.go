package reduce_test

import (
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/zarrproc/zarrproc/chunks/period"
	"github.com/zarrproc/zarrproc/chunks/reduce"
	"github.com/zarrproc/zarrproc/zarr/cftime"
)

// The expected values come from xarray (chunks/testdata/gen_expected.py).
type expectedFile struct {
	Versions map[string]string `json:"versions"`
	Cubes    []struct {
		Name     string  `json:"name"`
		Units    string  `json:"units"`
		Calendar string  `json:"calendar"`
		Time     []int64 `json:"time"`
		Shape    [3]int  `json:"shape"`
		DataFile string  `json:"data_file"`
	} `json:"cubes"`
	Cases []struct {
		Cube      string                  `json:"cube"`
		Period    string                  `json:"period"`
		UTCOffset int                     `json:"utc_offset_hours"`
		Labels    []string                `json:"labels"`
		Counts    []int                   `json:"counts"`
		Results   map[string][][]*float64 `json:"results"`
	} `json:"cases"`
}

type cube struct {
	times  []cftime.Date
	data   []float32
	pixels int
}

func loadExpected(t *testing.T) (expectedFile, map[string]cube) {
	t.Helper()
	dir := filepath.Join("..", "testdata")
	f, err := os.Open(filepath.Join(dir, "expected.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var ex expectedFile
	if err := json.NewDecoder(zr).Decode(&ex); err != nil {
		t.Fatal(err)
	}
	cubes := map[string]cube{}
	for _, c := range ex.Cubes {
		cal, err := cftime.ParseCalendar(c.Calendar)
		if err != nil {
			t.Fatal(err)
		}
		u, err := cftime.ParseUnits(c.Units, cal)
		if err != nil {
			t.Fatal(err)
		}
		times, err := u.DecodeInt64s(c.Time)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join(dir, c.DataFile))
		if err != nil {
			t.Fatal(err)
		}
		data := make([]float32, len(raw)/4)
		for i := range data {
			data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		pixels := c.Shape[1] * c.Shape[2]
		if len(data) != c.Shape[0]*pixels || len(times) != c.Shape[0] {
			t.Fatalf("cube %s: %d values, %d times for shape %v", c.Name, len(data), len(times), c.Shape)
		}
		cubes[c.Name] = cube{times, data, pixels}
	}
	return ex, cubes
}

// reducerFor maps an expected-result name to our reducer and min_count.
func reducerFor(t *testing.T, name string) (reduce.Reducer, int) {
	switch name {
	case "sum_min_count_0":
		return reduce.Reducer{Op: reduce.Sum}, 0
	case "std_ddof1":
		return reduce.Reducer{Op: reduce.Std, DDOF: 1}, 1
	case "var_ddof1":
		return reduce.Reducer{Op: reduce.Var, DDOF: 1}, 1
	}
	r, err := reduce.ParseReducer(name)
	if err != nil {
		t.Fatal(err)
	}
	return r, reduce.DefaultMinCount
}

// TestAgainstXarray bins each cube with chunks/period and reduces every bin
// with chunks/reduce, feeding the timesteps in random chunks whose partial
// states are marshalled and merged in random order, and compares bin labels,
// timestep counts and every reducer with xarray's resample/groupby.
func TestAgainstXarray(t *testing.T) {
	ex, cubes := loadExpected(t)
	rng := rand.New(rand.NewPCG(7, 8))
	worst := map[string]float64{}
	for _, c := range ex.Cases {
		name := c.Cube + "/" + c.Period + "/" + strconv.Itoa(c.UTCOffset)
		cb := cubes[c.Cube]
		spec, err := period.Parse(c.Period)
		if err != nil {
			t.Fatal(err)
		}
		bins, err := spec.Assign(cb.times, period.Options{UTCOffset: time.Duration(c.UTCOffset) * time.Hour})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(bins.Bins) != len(c.Labels) {
			t.Errorf("%s: %d bins, xarray %d", name, len(bins.Bins), len(c.Labels))
			continue
		}
		for i, b := range bins.Bins {
			label := b.Start.DateString()
			switch {
			case spec.IsClimatology():
				label = strconv.Itoa(b.Group)
			case c.Period == "all":
				label = "0"
			}
			if label != c.Labels[i] || b.Count != c.Counts[i] {
				t.Errorf("%s bin %d: %s with %d steps, xarray %s with %d", name, i, label, b.Count, c.Labels[i], c.Counts[i])
			}
		}

		// Reducers grouped by min_count, one Set per bin.
		byMin := map[int][]string{}
		for rname := range c.Results {
			_, mc := reducerFor(t, rname)
			byMin[mc] = append(byMin[mc], rname)
		}
		for mc, names := range byMin {
			rs := make([]reduce.Reducer, len(names))
			for k, n := range names {
				rs[k], _ = reducerFor(t, n)
			}
			finals := reduceInRandomChunks(t, rng, cb, bins, rs, mc)
			for k, rname := range names {
				exact := rname == "count" || rname == "min" || rname == "max" || rname == "first" || rname == "last"
				for bi := range bins.Bins {
					for p := 0; p < cb.pixels; p++ {
						got, wantp := finals[bi][k][p], c.Results[rname][bi][p]
						if rname == "count" && c.Counts[bi] == 0 {
							// xarray's count of an empty bin is NaN; ours is 0 (DESIGN.md).
							if got != 0 {
								t.Errorf("%s count of empty bin %s pixel %d: got %v, want 0", name, c.Labels[bi], p, got)
							}
							continue
						}
						if wantp == nil {
							if !math.IsNaN(got) {
								t.Errorf("%s %s bin %s pixel %d: got %v, xarray NaN", name, rname, c.Labels[bi], p, got)
							}
							continue
						}
						want := *wantp
						diff := math.Abs(got - want)
						rel := diff / math.Max(math.Abs(want), 1e-300)
						if want == 0 {
							rel = diff
						}
						if rel > worst[rname] {
							worst[rname] = rel
						}
						if (exact && got != want) || !(rel <= 1e-6) {
							t.Errorf("%s %s bin %s pixel %d: got %v, xarray %v", name, rname, c.Labels[bi], p, got, want)
						}
					}
				}
			}
		}
	}
	t.Logf("xarray %s: worst relative differences %v", ex.Versions["xarray"], worst)
}

// reduceInRandomChunks cuts the time axis into random chunks, reduces each
// chunk's share of every bin into its own partial state, round-trips it
// through MarshalBinary, and merges the partial states in random order.
func reduceInRandomChunks(t *testing.T, rng *rand.Rand, cb cube, bins period.Binning, rs []reduce.Reducer, minCount int) [][][]float64 {
	t.Helper()
	p := cb.pixels
	partials := make([][]*reduce.Set, len(bins.Bins))
	for lo := 0; lo < len(cb.times); {
		hi := min(len(cb.times), lo+1+rng.IntN(60))
		chunk := map[int32]*reduce.Set{}
		for j := lo; j < hi; {
			b := bins.Index[j]
			k := j + 1 // a run of consecutive steps in one bin goes in one call
			for k < hi && bins.Index[k] == b {
				k++
			}
			if b >= 0 {
				s := chunk[b]
				if s == nil {
					s, _ = reduce.NewSet(p, rs, minCount)
					chunk[b] = s
				}
				if err := s.Accumulate32(cb.data[j*p:k*p], j); err != nil {
					t.Fatal(err)
				}
			}
			j = k
		}
		for b, s := range chunk {
			enc, err := s.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			dec, _ := reduce.NewSet(p, rs, minCount)
			if err := dec.UnmarshalBinary(enc); err != nil {
				t.Fatal(err)
			}
			partials[b] = append(partials[b], dec)
		}
		lo = hi
	}
	out := make([][][]float64, len(bins.Bins))
	for b, ps := range partials {
		rng.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
		total, _ := reduce.NewSet(p, rs, minCount)
		for _, s := range ps {
			if err := total.Merge(s); err != nil {
				t.Fatal(err)
			}
		}
		out[b] = make([][]float64, len(rs))
		for k := range rs {
			out[b][k] = make([]float64, p)
		}
		if err := total.Finalize64(out[b]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
