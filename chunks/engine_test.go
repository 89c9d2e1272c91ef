package chunks_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/zarrproc/zarrproc/chunks"
	"github.com/zarrproc/zarrproc/zarr"
	"github.com/zarrproc/zarrproc/zarr/cf"
	"github.com/zarrproc/zarrproc/zarr/store"
)

type engineCase struct {
	Name        string         `json:"name"`
	Request     chunks.Request `json:"request"`
	Labels      []any          `json:"labels"`
	Counts      []int          `json:"counts"`
	Climatology bool           `json:"climatology"`
	PeriodIDs   []string       `json:"period_ids"`
	Outputs     map[string]struct {
		File  string `json:"file"`
		Shape []int  `json:"shape"`
	} `json:"outputs"`
}

var (
	casesOnce sync.Once
	casesDir  string
	casesErr  error
	cases     []engineCase
)

// loadCases has xarray write the source datasets and compute the expected
// results (testdata/engine/cases.py), once per test binary.
func loadCases(t *testing.T) (string, []engineCase) {
	t.Helper()
	py := os.Getenv("ZARRPROC_TEST_PYTHON3")
	if py == "" {
		home, _ := os.UserHomeDir()
		py = filepath.Join(home, ".cache/zarrproc/venv-zarr3/bin/python")
	}
	if _, err := os.Stat(py); err != nil {
		if os.Getenv("ZARRPROC_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("python with xarray not found at %s (set ZARRPROC_TEST_PYTHON3)", py)
		}
		t.Skipf("python with xarray not found at %s; run make test", py)
	}
	casesOnce.Do(func() {
		if pre := os.Getenv("ZARRPROC_TEST_ENGINE_CASES"); pre != "" {
			// A directory cases.py already filled (for iterating locally).
			casesDir = pre
			raw, err := os.ReadFile(filepath.Join(pre, "cases.json"))
			if casesErr = err; err == nil {
				var doc struct {
					Cases []engineCase `json:"cases"`
				}
				casesErr = json.Unmarshal(raw, &doc)
				cases = doc.Cases
			}
			return
		}
		casesDir, casesErr = os.MkdirTemp("", "zarrproc-engine-cases")
		if casesErr != nil {
			return
		}
		cmd := exec.Command(py, "testdata/engine/cases.py", casesDir)
		cmd.Env = append(os.Environ(), "PYTHONWARNINGS=ignore")
		out, err := cmd.CombinedOutput()
		if err != nil {
			casesErr = err
			casesDir = string(out)
			return
		}
		raw, err := os.ReadFile(filepath.Join(casesDir, "cases.json"))
		if err != nil {
			casesErr = err
			return
		}
		var doc struct {
			Cases []engineCase `json:"cases"`
		}
		casesErr = json.Unmarshal(raw, &doc)
		cases = doc.Cases
	})
	if casesErr != nil {
		t.Fatalf("generating cases with xarray: %v\n%s", casesErr, casesDir)
	}
	return casesDir, cases
}

// TestAgainstXarray runs every case through the engine and compares each
// output variable, the period labels and the timestep counts with xarray's.
func TestAgainstXarray(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Python and xarray")
	}
	dir, cs := loadCases(t)
	if len(cs) < 40 {
		t.Fatalf("only %d cases generated", len(cs))
	}
	if os.Getenv("ZARRPROC_TEST_ENGINE_CASES") == "" {
		t.Cleanup(func() { os.RemoveAll(dir) })
	}
	ctx := context.Background()
	for i, c := range cs {
		t.Run(c.Name, func(t *testing.T) {
			req := c.Request
			req.Output = filepath.Join(t.TempDir(), "out.zarr")
			if i%2 == 1 {
				req.Format = "zarr2"
			}
			opts := chunks.Options{Concurrency: 2}
			if i%3 == 2 {
				// A budget far below one chunk: tiles must split in space
				// (quantiles over long periods hold every value) and the
				// result must not change.
				opts.MemoryBudget = 64 << 10
			}
			plan, err := chunks.NewPlan(ctx, req, opts)
			if err != nil {
				t.Fatal(err)
			}
			if opts.MemoryBudget > 0 && plan.NumTiles() <= 1 {
				t.Fatalf("a %d-byte budget left %d tile(s)", opts.MemoryBudget, plan.NumTiles())
			}
			sum, err := chunks.Run(ctx, req, opts)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Periods != len(c.Counts) {
				t.Fatalf("%d periods, xarray has %d", sum.Periods, len(c.Counts))
			}
			s, err := store.Open(ctx, req.Output, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			ds, err := cf.Open(ctx, s, "")
			if err != nil {
				t.Fatal(err)
			}
			checkLabels(t, ctx, ds, c)
			for name, o := range c.Outputs {
				want := readFloat64s(t, filepath.Join(dir, o.File))
				vname := "pr_" + name
				v, err := ds.Variable(vname)
				if err != nil {
					t.Fatal(err)
				}
				if got := v.Array.Shape; !equalInts(got, o.Shape) {
					t.Fatalf("%s shape %v, xarray %v", vname, got, o.Shape)
				}
				got, err := zarr.ReadAll[float64](ctx, v.Array)
				if err != nil {
					t.Fatal(err)
				}
				exact := name == "count" || name == "min" || name == "max" || name == "first" || name == "last"
				for k := range want {
					if !agree(got[k], want[k], exact) {
						t.Fatalf("%s[%s] = %v, xarray %v", vname, index(o.Shape, k), got[k], want[k])
					}
				}
			}
		})
	}
}

func checkLabels(t *testing.T, ctx context.Context, ds *cf.Dataset, c engineCase) {
	t.Helper()
	counts, err := ds.Variable("timestep_count")
	if err != nil {
		t.Fatal(err)
	}
	got, err := zarr.ReadAll[int64](ctx, counts.Array)
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.Counts {
		if int(got[i]) != c.Counts[i] {
			t.Fatalf("timestep_count[%d] = %d, xarray %d", i, got[i], c.Counts[i])
		}
	}
	ids, err := zarr.ReadStrings(ctx, mustVar(t, ds, "period_id").Array)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != len(c.Counts) {
		t.Fatalf("%d period IDs for %d periods", len(ids), len(c.Counts))
	}
	for i, want := range c.PeriodIDs {
		if ids[i] != want {
			t.Fatalf("period_id[%d] = %q, want %q", i, ids[i], want)
		}
	}
	v, err := ds.Variable("pr_" + firstKey(c))
	if err != nil {
		t.Fatal(err)
	}
	if c.Climatology {
		g, err := zarr.ReadAll[int64](ctx, mustVar(t, ds, v.Dims[0]).Array)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range c.Labels {
			if float64(g[i]) != l.(float64) {
				t.Fatalf("%s[%d] = %d, xarray %v", v.Dims[0], i, g[i], l)
			}
		}
		return
	}
	tm, err := ds.Time(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range c.Labels {
		if got := tm.Dates[i].String(); got != l.(string) {
			t.Fatalf("period %d starts %s, xarray %s", i, got, l)
		}
	}
}

func mustVar(t *testing.T, ds *cf.Dataset, name string) *cf.Variable {
	v, err := ds.Variable(name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func firstKey(c engineCase) string {
	for k := range c.Outputs {
		return k
	}
	return ""
}

func agree(got, want float64, exact bool) bool {
	if math.IsNaN(want) || math.IsNaN(got) {
		return math.IsNaN(want) && math.IsNaN(got)
	}
	if exact {
		// float32 outputs hold float32 inputs exactly.
		return float32(got) == float32(want)
	}
	return math.Abs(got-want) <= 1e-6*math.Max(math.Abs(want), 1e-6)
}

func readFloat64s(t *testing.T, path string) []float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(b)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out
}

func index(shape []int, k int) string {
	idx := make([]string, len(shape))
	for i := len(shape) - 1; i >= 0; i-- {
		idx[i] = strconv.Itoa(k % shape[i])
		k /= shape[i]
	}
	return strings.Join(idx, ",")
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
