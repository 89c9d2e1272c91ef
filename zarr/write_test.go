package zarr

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/zarrproc/zarrproc/zarr/dtype"
	"github.com/zarrproc/zarrproc/zarr/store"
)

// roundTripStore writes a small hierarchy the way zarrproc writes results:
// a root group, a float32 (time, lat, lon) variable with NaN fill and
// missing chunks, an int16 variable in a subgroup (gzip), and for v3 a
// sharded float64 variable; then consolidates.
type roundTrip struct {
	precip  []float32
	temp    []int16
	sharded []float64
}

func writeRoundTrip(t *testing.T, s store.Store, format int) roundTrip {
	t.Helper()
	ctx := context.Background()
	if _, err := CreateGroup(ctx, s, "", format, map[string]any{"title": "round trip", "version": 3.5}); err != nil {
		t.Fatal(err)
	}
	var rt roundTrip
	// Coordinates, so xarray sees dimension coordinates as on real outputs.
	for _, c := range []struct {
		name string
		n    int
	}{{"time", 5}, {"lat", 7}, {"lon", 9}} {
		a, err := CreateArray(ctx, s, c.name, ArraySpec{Format: format, Shape: []int{c.n}, ChunkShape: []int{c.n},
			DType: dtype.Float64Type, DimensionNames: []string{c.name}, Attributes: map[string]any{"axis": c.name}})
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float64, c.n)
		for i := range v {
			v[i] = float64(i) * 0.5
		}
		if err := Write(ctx, a, []int{0}, []int{c.n}, v); err != nil {
			t.Fatal(err)
		}
	}

	precip, err := CreateArray(ctx, s, "precip", ArraySpec{
		Format: format, Shape: []int{5, 7, 9}, ChunkShape: []int{2, 3, 4}, DType: dtype.Float32Type,
		FillValue: math.NaN(), DimensionNames: []string{"time", "lat", "lon"},
		Attributes: map[string]any{"units": "mm/day", "long_name": "precipitation"},
	})
	if err != nil {
		t.Fatal(err)
	}
	rt.precip = make([]float32, 5*7*9)
	for i := range rt.precip {
		rt.precip[i] = float32(i) / 4
		if i%11 == 0 {
			rt.precip[i] = float32(math.NaN())
		}
	}
	// Leave the last time step unwritten (fill), write the rest in two
	// overlapping-chunk regions to exercise read-modify-write.
	if err := Write(ctx, precip, []int{0, 0, 0}, []int{3, 7, 9}, rt.precip[:3*63]); err != nil {
		t.Fatal(err)
	}
	if err := Write(ctx, precip, []int{3, 0, 0}, []int{1, 7, 9}, rt.precip[3*63:4*63]); err != nil {
		t.Fatal(err)
	}
	for i := 4 * 63; i < len(rt.precip); i++ {
		rt.precip[i] = float32(math.NaN())
	}

	temp, err := CreateArray(ctx, s, "sub/temp", ArraySpec{
		Format: format, Shape: []int{7, 9}, ChunkShape: []int{4, 4}, DType: dtype.Int16Type,
		FillValue: -9999, Compressor: "gzip", DimensionNames: []string{"lat", "lon"},
		Attributes: map[string]any{"scale_factor": 0.1},
	})
	if err != nil {
		t.Fatal(err)
	}
	rt.temp = make([]int16, 63)
	for i := range rt.temp {
		rt.temp[i] = int16(i*37 - 1000)
	}
	if err := Write(ctx, temp, []int{0, 0}, []int{7, 9}, rt.temp); err != nil {
		t.Fatal(err)
	}

	if format == 3 {
		sh, err := CreateArray(ctx, s, "sharded", ArraySpec{
			Shape: []int{10, 12}, ChunkShape: []int{2, 3}, ShardShape: []int{4, 6}, DType: dtype.Float64Type,
			FillValue: -1.0, DimensionNames: []string{"y", "x"},
		})
		if err != nil {
			t.Fatal(err)
		}
		rt.sharded = make([]float64, 120)
		for i := range rt.sharded {
			rt.sharded[i] = float64(i) * 1.25
		}
		// Leave rows 8-9 unwritten: empty inner chunks in the last shards.
		if err := Write(ctx, sh, []int{0, 0}, []int{8, 12}, rt.sharded[:96]); err != nil {
			t.Fatal(err)
		}
		for i := 96; i < 120; i++ {
			rt.sharded[i] = -1
		}
	}
	if err := Consolidate(ctx, s, ""); err != nil {
		t.Fatal(err)
	}
	return rt
}

func TestWriteRoundTrip(t *testing.T) {
	for _, format := range []int{2, 3} {
		t.Run(map[int]string{2: "v2", 3: "v3"}[format], func(t *testing.T) {
			dir := t.TempDir()
			s, err := store.NewFile(dir)
			if err != nil {
				t.Fatal(err)
			}
			rt := writeRoundTrip(t, s, format)
			checkGoReadback(t, s, format, rt)
			checkPythonReadback(t, dir, format, rt)
		})
	}
}

func checkGoReadback(t *testing.T, s store.Store, format int, rt roundTrip) {
	ctx := context.Background()
	g, err := OpenGroup(ctx, s, "")
	if err != nil {
		t.Fatal(err)
	}
	if !g.Consolidated() || g.Format != format {
		t.Fatalf("group: consolidated %v, format %d", g.Consolidated(), g.Format)
	}
	if g.Attributes["title"] != "round trip" {
		t.Errorf("group attributes %v", g.Attributes)
	}
	arrays, _ := g.ArrayNames(ctx)
	groups, _ := g.GroupNames(ctx)
	wantArrays := []string{"lat", "lon", "precip", "time"}
	if format == 3 {
		wantArrays = []string{"lat", "lon", "precip", "sharded", "time"}
	}
	if !reflect.DeepEqual(arrays, wantArrays) || !reflect.DeepEqual(groups, []string{"sub"}) {
		t.Errorf("members: arrays %v, groups %v", arrays, groups)
	}
	precip, err := g.OpenArray(ctx, "precip")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(precip.DimensionNames, []string{"time", "lat", "lon"}) || precip.Attributes["units"] != "mm/day" {
		t.Errorf("precip: dims %v attrs %v", precip.DimensionNames, precip.Attributes)
	}
	got, err := ReadAll[float32](ctx, precip)
	if err != nil {
		t.Fatal(err)
	}
	if err := compareFloats(got, rt.precip); err != nil {
		t.Errorf("precip: %v", err)
	}
	sub, err := g.OpenGroup(ctx, "sub")
	if err != nil {
		t.Fatal(err)
	}
	temp, err := sub.OpenArray(ctx, "temp")
	if err != nil {
		t.Fatal(err)
	}
	gotT, err := ReadAll[int16](ctx, temp)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotT, rt.temp) {
		t.Errorf("temp: %v, want %v", gotT, rt.temp)
	}
	if format == 3 {
		sh, err := OpenArray(ctx, s, "sharded")
		if err != nil {
			t.Fatal(err)
		}
		gotS, err := ReadAll[float64](ctx, sh)
		if err != nil {
			t.Fatal(err)
		}
		if err := compareFloats(gotS, rt.sharded); err != nil {
			t.Errorf("sharded: %v", err)
		}
	}
}

// checkPythonReadback opens the store with zarr-python 3 and xarray.
func checkPythonReadback(t *testing.T, dir string, format int, rt roundTrip) {
	py := os.Getenv("ZARRPROC_TEST_PYTHON3")
	if py == "" {
		home, _ := os.UserHomeDir()
		py = filepath.Join(home, ".cache/zarrproc/venv-zarr3/bin/python")
	}
	if _, err := os.Stat(py); err != nil {
		if os.Getenv("ZARRPROC_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("zarr-python 3 interpreter %s: %v", py, err)
		}
		t.Skipf("zarr-python 3 interpreter %s not found; set ZARRPROC_TEST_PYTHON3", py)
	}
	out, err := exec.Command(py, "testdata/readback.py", dir).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("readback.py: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	type variable struct {
		Dims      []string       `json:"dims"`
		DType     string         `json:"dtype"`
		Shape     []int          `json:"shape"`
		FillValue any            `json:"fill_value"`
		Attrs     map[string]any `json:"attrs"`
		Values    []any          `json:"values"`
	}
	var res struct {
		GroupAttrs map[string]any      `json:"group_attrs"`
		Zarr       map[string]variable `json:"zarr"`
		Xarray     map[string]variable `json:"xarray"`
	}
	if err := json.Unmarshal(pythonJSON(out), &res); err != nil {
		t.Fatalf("readback output: %v\n%s", err, out)
	}
	if res.GroupAttrs["title"] != "round trip" || res.GroupAttrs["version"] != 3.5 {
		t.Errorf("python group attrs %v", res.GroupAttrs)
	}
	checkValues := func(what string, got []any, want []float64) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: %d values, want %d", what, len(got), len(want))
			return
		}
		for i, w := range want {
			g, ok := got[i].(float64)
			if !ok && got[i] == "NaN" {
				g, ok = math.NaN(), true
			}
			if !ok || !(g == w || math.IsNaN(g) && math.IsNaN(w)) {
				t.Errorf("%s: element %d = %v, want %v", what, i, got[i], w)
				return
			}
		}
	}
	asF64 := func(v any) []float64 {
		switch x := v.(type) {
		case []float32:
			out := make([]float64, len(x))
			for i, e := range x {
				out[i] = float64(e)
			}
			return out
		case []int16:
			out := make([]float64, len(x))
			for i, e := range x {
				out[i] = float64(e)
			}
			return out
		case []float64:
			return x
		}
		panic("unreachable")
	}
	p, ok := res.Xarray["precip"]
	if !ok {
		t.Fatalf("xarray did not find precip: %v", res.Xarray)
	}
	if !reflect.DeepEqual(p.Dims, []string{"time", "lat", "lon"}) || p.DType != "float32" || p.Attrs["units"] != "mm/day" {
		t.Errorf("xarray precip: dims %v dtype %s attrs %v", p.Dims, p.DType, p.Attrs)
	}
	checkValues("xarray precip", p.Values, asF64(rt.precip))
	checkValues("zarr precip", res.Zarr["precip"].Values, asF64(rt.precip))
	checkValues("zarr sub/temp", res.Zarr["sub/temp"].Values, asF64(rt.temp))
	if fv := res.Zarr["sub/temp"].FillValue; fv != -9999.0 {
		t.Errorf("zarr sub/temp fill_value %v, want -9999", fv)
	}
	if lat := res.Xarray["lat"]; !reflect.DeepEqual(lat.Dims, []string{"lat"}) || lat.Attrs["axis"] != "lat" {
		t.Errorf("xarray lat: %+v", lat)
	}
	if format == 3 {
		sh := res.Xarray["sharded"]
		if !reflect.DeepEqual(sh.Dims, []string{"y", "x"}) {
			t.Errorf("xarray sharded dims %v", sh.Dims)
		}
		checkValues("xarray sharded", sh.Values, rt.sharded)
	}
}
