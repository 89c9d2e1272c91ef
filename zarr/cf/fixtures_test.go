package cf_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/zarrproc/zarrproc/zarr"
	"github.com/zarrproc/zarrproc/zarr/cf"
	"github.com/zarrproc/zarrproc/zarr/store"
)

const fixtures = "../../testdata/fixtures"

type datasetFixture struct {
	Name     string   `json:"name"`
	Store    string   `json:"store"`
	Variable string   `json:"variable"`
	Dims     []string `json:"dims"`
	Time     struct {
		Units    string   `json:"units"`
		Calendar string   `json:"calendar"`
		ISO      []string `json:"iso"`
	} `json:"time"`
	BBox     []float64 `json:"bbox"`
	CRS      *string   `json:"crs"`
	Expected string    `json:"expected"`
	SHA256   string    `json:"sha256"`
}

// TestDatasetFixtures decodes every xarray-written CF dataset and compares
// the values, time axis, bbox and CRS with what xarray decoded.
func TestDatasetFixtures(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(fixtures, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Datasets []datasetFixture `json:"datasets"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Datasets) == 0 {
		t.Fatal("manifest lists no datasets")
	}
	ctx := context.Background()
	for _, f := range m.Datasets {
		t.Run(f.Name, func(t *testing.T) {
			s, err := store.Open(ctx, filepath.Join(fixtures, f.Store), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			ds, err := cf.Open(ctx, s, "")
			if err != nil {
				t.Fatal(err)
			}
			v, err := ds.Variable(f.Variable)
			if err != nil {
				t.Fatal(err)
			}
			if got := ds.DataVariables(); !contains(got, f.Variable) {
				t.Errorf("DataVariables() = %v, want it to include %q", got, f.Variable)
			}
			if !equalStrings(v.Dims, f.Dims) {
				t.Errorf("dims = %v, want %v", v.Dims, f.Dims)
			}
			want := readExpected(t, filepath.Join(fixtures, f.Expected), f.SHA256)
			got, err := zarr.ReadAll[float64](ctx, v.Array)
			if err != nil {
				t.Fatal(err)
			}
			v.Coding.DecodeFloat64(got)
			if len(got) != len(want) {
				t.Fatalf("%d values, want %d", len(got), len(want))
			}
			for i := range want {
				if !close(got[i], want[i]) {
					t.Fatalf("value %d = %v, want %v (xarray)", i, got[i], want[i])
				}
			}
			ext, err := ds.Extent(ctx, v)
			if err != nil {
				t.Fatal(err)
			}
			if ext.Time == nil {
				t.Fatal("no time axis found")
			}
			if ext.Time.Units.Calendar().String() == "" || len(ext.Time.Dates) != len(f.Time.ISO) {
				t.Fatalf("%d dates, want %d", len(ext.Time.Dates), len(f.Time.ISO))
			}
			for i, iso := range f.Time.ISO {
				if got := ext.Time.Dates[i].String(); got != iso {
					t.Fatalf("date %d = %s, want %s (units %q, calendar %s)", i, got, iso, f.Time.Units, f.Time.Calendar)
				}
			}
			for i := range f.BBox {
				if math.Abs(ext.CentreBBox[i]-f.BBox[i]) > 1e-9 {
					t.Errorf("centre bbox = %v, want %v", ext.CentreBBox, f.BBox)
					break
				}
			}
			if f.CRS != nil {
				if c := ds.CRS(v); c.Code != *f.CRS {
					t.Errorf("CRS = %q (from %s), want %q", c.Code, c.Source, *f.CRS)
				}
			}
		})
	}
}

func readExpected(t *testing.T, path, sum string) []float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	if hex.EncodeToString(h[:]) != sum {
		t.Fatalf("%s: sha256 mismatch", path)
	}
	out := make([]float64, len(b)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out
}

func close(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return a == b || math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b))
}

func contains(s []string, x string) bool {
	for _, e := range s {
		if e == x {
			return true
		}
	}
	return false
}

func equalStrings(a, b []string) bool {
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
