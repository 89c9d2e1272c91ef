package zarr

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/zarrproc/zarrproc/zarr/dtype"
	"github.com/zarrproc/zarrproc/zarr/store"
)

// fixturesDir holds stores written by zarr-python 2 and 3 with the values
// they read back (testdata/fixtures/manifest.json). ZARRPROC_FIXTURES_DIR
// points elsewhere, e.g. at a copy while fixtures are being regenerated.
var fixturesDir = func() string {
	if d := os.Getenv("ZARRPROC_FIXTURES_DIR"); d != "" {
		return d
	}
	return "../testdata/fixtures"
}()

type fixtureManifest struct {
	Arrays []struct {
		Name          string   `json:"name"`
		Store         string   `json:"store"`
		Path          string   `json:"path"`
		ZarrFormat    int      `json:"zarr_format"`
		Shape         []int    `json:"shape"`
		Expected      string   `json:"expected"`
		ExpectedDType string   `json:"expected_dtype"`
		SHA256        string   `json:"sha256"`
		Features      []string `json:"features"`
	} `json:"arrays"`
	Bad []struct {
		Name     string `json:"name"`
		Store    string `json:"store"`
		Path     string `json:"path"`
		Contains string `json:"expect_error_contains"`
	} `json:"bad"`
}

func loadManifest(t *testing.T) fixtureManifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixturesDir, "manifest.json"))
	if err != nil {
		t.Fatalf("fixture manifest: %v", err)
	}
	var m fixtureManifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("fixture manifest: %v", err)
	}
	if len(m.Arrays) == 0 {
		t.Fatal("fixture manifest lists no arrays")
	}
	return m
}

func openFixtureStore(t *testing.T, dir string) store.Store {
	t.Helper()
	s, err := store.NewFile(filepath.Join(fixturesDir, dir))
	if err != nil {
		t.Fatalf("store %s: %v", dir, err)
	}
	return s
}

// TestFixtures reads every manifest array whole and compares it bit for bit
// with the values the writer read back.
func TestFixtures(t *testing.T) {
	m := loadManifest(t)
	ctx := context.Background()
	for _, fx := range m.Arrays {
		t.Run(fx.Name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(fixturesDir, fx.Expected))
			if err != nil {
				t.Fatal(err)
			}
			if sum := sha256.Sum256(want); hex.EncodeToString(sum[:]) != fx.SHA256 {
				t.Fatalf("expected file %s: sha256 mismatch", fx.Expected)
			}
			a, err := OpenArray(ctx, openFixtureStore(t, fx.Store), fx.Path)
			if err != nil {
				t.Fatalf("open (features %v): %v", fx.Features, err)
			}
			if a.Format != fx.ZarrFormat {
				t.Errorf("format %d, want %d", a.Format, fx.ZarrFormat)
			}
			if !equalInts(a.Shape, fx.Shape) {
				t.Fatalf("shape %v, want %v", a.Shape, fx.Shape)
			}
			et, err := dtype.ParseTypestring(fx.ExpectedDType)
			if err != nil {
				t.Fatal(err)
			}
			if err := compareFixture(ctx, a, et, want); err != nil {
				t.Fatalf("features %v: %v", fx.Features, err)
			}
		})
	}
}

// compareFixture reads a whole into the Go type of the expected dtype and
// compares bytes; floats compare by bits, any NaN equal to any NaN.
func compareFixture(ctx context.Context, a *Array, et dtype.DType, want []byte) error {
	switch et.Kind {
	case dtype.Float16:
		got, err := ReadAll[float32](ctx, a)
		if err != nil {
			return err
		}
		w := viewAs[uint16](want)
		wf := make([]float32, len(w))
		for i, h := range w {
			wf[i] = dtype.Float16ToFloat32(h)
		}
		return compareFloats(got, wf)
	case dtype.Float32:
		got, err := ReadAll[float32](ctx, a)
		if err != nil {
			return err
		}
		return compareFloats(got, viewAs[float32](want))
	case dtype.Float64:
		got, err := ReadAll[float64](ctx, a)
		if err != nil {
			return err
		}
		return compareFloats(got, viewAs[float64](want))
	case dtype.Bool, dtype.Uint8:
		return compareInts[uint8](ctx, a, want)
	case dtype.Int8:
		return compareInts[int8](ctx, a, want)
	case dtype.Int16:
		return compareInts[int16](ctx, a, want)
	case dtype.Uint16:
		return compareInts[uint16](ctx, a, want)
	case dtype.Int32:
		return compareInts[int32](ctx, a, want)
	case dtype.Uint32:
		return compareInts[uint32](ctx, a, want)
	case dtype.Int64, dtype.Datetime64:
		return compareInts[int64](ctx, a, want)
	case dtype.Uint64:
		return compareInts[uint64](ctx, a, want)
	}
	return errorf("expected dtype %s not handled by the test", et)
}

func compareInts[T Number](ctx context.Context, a *Array, want []byte) error {
	got, err := ReadAll[T](ctx, a)
	if err != nil {
		return err
	}
	w := viewAs[T](want)
	if len(got) != len(w) {
		return errorf("%d values, want %d", len(got), len(w))
	}
	for i := range w {
		if got[i] != w[i] {
			return errorf("element %d: %v, want %v", i, got[i], w[i])
		}
	}
	return nil
}

func compareFloats[T float32 | float64](got, want []T) error {
	if len(got) != len(want) {
		return errorf("%d values, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) && math.IsNaN(w) {
			continue
		}
		if !sameBits(got[i], want[i]) {
			return errorf("element %d: %v, want %v", i, got[i], want[i])
		}
	}
	return nil
}

func sameBits[T float32 | float64](a, b T) bool {
	if unsafe.Sizeof(a) == 4 {
		return math.Float32bits(float32(a)) == math.Float32bits(float32(b))
	}
	return math.Float64bits(float64(a)) == math.Float64bits(float64(b))
}

// TestFixturesBad opens and reads the stores readers must reject, and
// checks the error names the culprit.
func TestFixturesBad(t *testing.T) {
	m := loadManifest(t)
	ctx := context.Background()
	for _, fx := range m.Bad {
		t.Run(fx.Name, func(t *testing.T) {
			a, err := OpenArray(ctx, openFixtureStore(t, fx.Store), fx.Path)
			if err == nil {
				_, err = ReadAll[float64](ctx, a)
			}
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), fx.Contains) {
				t.Fatalf("error %q does not mention %q", err, fx.Contains)
			}
			t.Log(err)
		})
	}
}

type testError string

func (e testError) Error() string { return string(e) }

func errorf(format string, args ...any) error {
	return testError(sprintf(format, args...))
}

// TestFixturesPartialReads reads sub-regions of every fixture through
// Read (partial shard reads included) and checks them against the writer's
// values: region bookkeeping bugs hide from whole-array reads.
func TestFixturesPartialReads(t *testing.T) {
	m := loadManifest(t)
	ctx := context.Background()
	for _, fx := range m.Arrays {
		if fx.ExpectedDType != "<f4" && fx.ExpectedDType != "<f8" && fx.ExpectedDType != "<i4" && fx.ExpectedDType != "<i2" {
			continue
		}
		t.Run(fx.Name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(fixturesDir, fx.Expected))
			if err != nil {
				t.Fatal(err)
			}
			a, err := OpenArray(ctx, openFixtureStore(t, fx.Store), fx.Path)
			if err != nil {
				t.Skipf("open: %v", err) // TestFixtures reports it
			}
			all := make([]float64, a.Size())
			et, _ := dtype.ParseTypestring(fx.ExpectedDType)
			if err := copyBox(all, want, et.Kind, box{srcShape: a.Shape, srcStart: make([]int, a.NDim()), dstShape: a.Shape, dstStart: make([]int, a.NDim()), count: a.Shape}); err != nil {
				t.Fatal(err)
			}
			// Regions: one element in the middle, an off-centre window, the
			// last row, all clipped to the shape.
			n := a.NDim()
			regions := [][2][]int{}
			mid, one := make([]int, n), make([]int, n)
			win0, win := make([]int, n), make([]int, n)
			last0, last := make([]int, n), make([]int, n)
			for i, d := range a.Shape {
				mid[i], one[i] = d/2, min(d, 1)
				win0[i] = min(1, d)
				win[i] = max(0, min(d-win0[i], 1+d/2))
				last0[i], last[i] = 0, d
			}
			if n > 0 {
				last0[0], last[0] = max(0, a.Shape[0]-1), min(1, a.Shape[0])
			}
			regions = append(regions, [2][]int{mid, one}, [2][]int{win0, win}, [2][]int{last0, last})
			for _, r := range regions {
				start, shape := r[0], r[1]
				got, err := Read[float64](ctx, a, start, shape, WithConcurrency(2))
				if err != nil {
					t.Fatalf("region %v+%v: %v", start, shape, err)
				}
				sub := make([]float64, len(got))
				_ = copyBox(sub, viewBytes(all), dtype.Float64, box{srcShape: a.Shape, srcStart: start, dstShape: shape, dstStart: make([]int, n), count: shape})
				if err := compareFloats(got, sub); err != nil {
					t.Fatalf("region %v+%v: %v", start, shape, err)
				}
			}
		})
	}
}

func viewBytes(f []float64) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(f))), 8*len(f))
}
