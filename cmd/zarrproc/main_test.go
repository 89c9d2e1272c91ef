package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixtures = "../../testdata/fixtures"

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = dispatch(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// xarrayValues returns the decoded values xarray read from a CF fixture.
func xarrayValues(t *testing.T, name string) (store string, variable string, vals []float64) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtures, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Datasets []struct {
			Name, Store, Variable, Expected, SHA256 string
		} `json:"datasets"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Datasets {
		if d.Name != name {
			continue
		}
		b, err := os.ReadFile(filepath.Join(fixtures, d.Expected))
		if err != nil {
			t.Fatal(err)
		}
		if h := sha256.Sum256(b); hex.EncodeToString(h[:]) != d.SHA256 {
			t.Fatalf("%s: sha256 mismatch", d.Expected)
		}
		vals = make([]float64, len(b)/8)
		for i := range vals {
			vals[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		return filepath.Join(fixtures, d.Store), d.Variable, vals
	}
	t.Fatalf("no dataset %q in the manifest", name)
	return
}

// TestInspectStats compares inspect --stats with the statistics of the
// values xarray decoded from the same stores (masking and packing included).
func TestInspectStats(t *testing.T) {
	for _, name := range []string{"cf_chirps_v2", "cf_chirps_v3", "cf_packed_int16_v2", "cf_missing_value_packed_v3"} {
		t.Run(name, func(t *testing.T) {
			st, variable, vals := xarrayValues(t, name)
			var n int64
			var sum float64
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, v := range vals {
				if math.IsNaN(v) {
					continue
				}
				n++
				sum += v
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
			code, out, errs := runCmd(t, "inspect", st, "--stats", variable, "--json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var got struct {
				Count               int64
				Min, Max, Mean, Sum float64
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if got.Count != n || got.Min != lo || got.Max != hi {
				t.Errorf("count/min/max = %d/%v/%v, xarray's values give %d/%v/%v", got.Count, got.Min, got.Max, n, lo, hi)
			}
			if math.Abs(got.Sum-sum) > 1e-9*math.Abs(sum) || math.Abs(got.Mean-sum/float64(n)) > 1e-9*math.Abs(sum/float64(n)) {
				t.Errorf("sum/mean = %v/%v, want %v/%v", got.Sum, got.Mean, sum, sum/float64(n))
			}
		})
	}
}

func TestInspectListing(t *testing.T) {
	st := filepath.Join(fixtures, "cf/geozarr_v3.zarr")
	code, out, errs := runCmd(t, "inspect", "--json", st)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep inspectReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	var precip *inspectArray
	for _, g := range rep.Groups {
		for i := range g.Arrays {
			if g.Arrays[i].Name == "precip" {
				precip = &g.Arrays[i]
			}
		}
	}
	if precip == nil {
		t.Fatalf("no precip array in %s", out)
	}
	if precip.CRS != "EPSG:4326" || precip.TimeSteps == 0 || precip.BBox == nil || !precip.IsData ||
		strings.Join(precip.Dims, ",") != "time,lat,lon" || precip.Format != 3 {
		t.Errorf("precip = %+v", *precip)
	}
	code, text, _ := runCmd(t, "inspect", st)
	if code != 0 || !strings.Contains(text, "precip") || !strings.Contains(text, "EPSG:4326") {
		t.Errorf("text listing (exit %d):\n%s", code, text)
	}
}

// TestRunErrors: bad arguments give one clear line naming the problem and a
// non-zero exit.
func TestRunErrors(t *testing.T) {
	st := filepath.Join(fixtures, "cf/chirps_v2.zarr")
	out := filepath.Join(t.TempDir(), "o.zarr")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--input", st, "--variable", "precip", "--period", "fortnight", "--reducer", "mean", "--output", out}, "--period"},
		{[]string{"--input", st, "--variable", "rain", "--period", "month", "--reducer", "mean", "--output", out}, "--variable"},
		{[]string{"--input", st, "--variable", "precip", "--period", "month", "--reducer", "avg", "--output", out}, "--reducer"},
		{[]string{"--input", st, "--variable", "precip", "--period", "month", "--reducer", "quantile", "--output", out}, "--quantile"},
		{[]string{"--input", st, "--variable", "precip", "--period", "month", "--reducer", "mean", "--time", "2030-01-01/..", "--output", out}, "--time"},
		{[]string{"--input", st, "--variable", "precip", "--period", "month", "--reducer", "mean", "--bbox", "1,2,3", "--output", out}, "--bbox"},
		{[]string{"--input", "/nonexistent/store.zarr", "--variable", "precip", "--period", "month", "--reducer", "mean", "--output", out}, "--input"},
	} {
		code, _, errs := runCmd(t, append([]string{"run", "temporal-aggregate"}, tc.args...)...)
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		if code == 0 || len(lines) != 1 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want one line naming %s", tc.args, code, errs, tc.want)
		}
	}
}

// TestRunSummary runs a small aggregation and checks the JSON summary.
func TestRunSummary(t *testing.T) {
	st := filepath.Join(fixtures, "cf/chirps_v2.zarr")
	out := filepath.Join(t.TempDir(), "o.zarr")
	code, stdout, errs := runCmd(t, "run", "temporal-aggregate", "--input", st, "--variable", "precip",
		"--period", "week", "--reducer", "sum,max", "--output", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var s struct {
		Periods   int      `json:"periods"`
		Shape     []int    `json:"shape"`
		Variables []string `json:"variables"`
		Chunks    int      `json:"chunks_read"`
		BytesRead int64    `json:"bytes_read"`
	}
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if s.Periods == 0 || len(s.Shape) != 3 || s.Shape[0] != s.Periods || s.Chunks == 0 || s.BytesRead == 0 ||
		strings.Join(s.Variables, ",") != "precip_sum,precip_max" {
		t.Errorf("summary %+v", s)
	}
	if _, err := os.Stat(filepath.Join(out, "precip_sum")); err != nil {
		t.Errorf("output not written: %v", err)
	}
}
