package jobs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDataVersion: the version of a file dataset is stable while nothing
// changes and changes with a chunk rewritten in place or with the group's
// metadata; over HTTP, which cannot list, every request gets a version of
// its own, so no earlier job answers it.
func TestDataVersion(t *testing.T) {
	ctx := context.Background()
	e := &env{log: testLogger(t)}
	dir := copyDataset(t, chirpsFixture)
	ds := "file://" + dir

	first := e.dataVersion(ctx, ds, "precip")
	if strings.HasPrefix(first, "unversioned:") || first != e.dataVersion(ctx, ds, "precip") {
		t.Fatalf("versions of an unchanged dataset: %q, then %q", first, e.dataVersion(ctx, ds, "precip"))
	}
	later := time.Now().Add(time.Minute)
	rewriteFile(t, filepath.Join(dir, "precip", "1.1.1"), filepath.Join(dir, "precip", "0.0.0"), later)
	rewritten := e.dataVersion(ctx, ds, "precip")
	if rewritten == first {
		t.Errorf("a chunk rewritten in place left the version %q", first)
	}
	if err := os.Chtimes(filepath.Join(dir, ".zmetadata"), later, later); err != nil {
		t.Fatal(err)
	}
	if v := e.dataVersion(ctx, ds, "precip"); v == rewritten {
		t.Errorf("new consolidated metadata left the version %q", v)
	}

	// The coordinate arrays are part of the version when the request's
	// plan names them.
	withCoords := e.dataVersion(ctx, ds, "precip", "time", "lat", "lon")
	rewriteFile(t, filepath.Join(dir, "time", "0"), filepath.Join(dir, "time", "0"), later.Add(time.Minute))
	if v := e.dataVersion(ctx, ds, "precip", "time", "lat", "lon"); v == withCoords {
		t.Errorf("a rewritten time coordinate left the version %q", v)
	}

	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	a, b := e.dataVersion(ctx, srv.URL, "precip"), e.dataVersion(ctx, srv.URL, "precip")
	if !strings.HasPrefix(a, "unversioned:") || a == b {
		t.Errorf("versions over HTTP: %q and %q, want two different unversioned ones", a, b)
	}
}

// BenchmarkDataVersion: what versioning the data adds to a submit (the
// variable and its three coordinate arrays), on the benchmark dataset of
// 176 chunks in local files, which
// benchmarks/chirps/bench.sh writes on first use.
func BenchmarkDataVersion(b *testing.B) {
	dir, err := filepath.Abs("../benchmarks/data/chirps-like-v2.zarr")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("benchmark dataset missing: %v", err)
	}
	e := &env{log: testLogger(b)}
	ctx := context.Background()
	for b.Loop() {
		if v := e.dataVersion(ctx, "file://"+dir, "precip", "time", "latitude", "longitude"); strings.HasPrefix(v, "unversioned:") {
			b.Fatalf("version %q", v)
		}
	}
}
