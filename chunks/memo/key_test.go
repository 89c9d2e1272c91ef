package memo

import (
	"testing"
	"time"

	"github.com/zarrproc/zarrproc/chunks"
)

func baseKey() *chunks.MemoKey {
	return &chunks.MemoKey{
		Dataset: "s3://chirps/v2.zarr", Array: "precip", Layout: "float32 [365 100 100] [blosc]",
		Coding: "{Missing:[-9999] Scale:1}", TileRows: 100, TileCols: 100,
		Chunks:  []chunks.MemoChunk{{Key: "precip/3.1.2", ETag: `"abc"`, Rows: 100, Cols: 100}},
		Window:  [2]int{0, 365},
		Runs:    []int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31},
		Kinds:   "count+sum",
		Engine:  "engine-1",
		Float64: false,
	}
}

// TestKeyChangesWithEveryComponent: anything the states depend on is in the
// key, and equal inputs give equal keys.
func TestKeyChangesWithEveryComponent(t *testing.T) {
	base := Key(baseKey(), 0)
	if again := Key(baseKey(), 0); again != base || len(base) != 40 {
		t.Fatalf("key %q then %q", base, again)
	}
	changes := map[string]func(k *chunks.MemoKey){
		"dataset":       func(k *chunks.MemoKey) { k.Dataset = "s3://chirps/v3.zarr" },
		"array":         func(k *chunks.MemoKey) { k.Array = "precip2" },
		"layout":        func(k *chunks.MemoKey) { k.Layout = "float32 [365 100 100] [zstd]" },
		"coding":        func(k *chunks.MemoKey) { k.Coding = "{Missing:[-9999] Scale:0.1}" },
		"chunk key":     func(k *chunks.MemoKey) { k.Chunks[0].Key = "precip/3.1.3" },
		"etag":          func(k *chunks.MemoKey) { k.Chunks[0].ETag = `"abd"` },
		"missing chunk": func(k *chunks.MemoKey) { k.Chunks[0].ETag = "" },
		"window row":    func(k *chunks.MemoKey) { k.Chunks[0].Row = 1 },
		"window col":    func(k *chunks.MemoKey) { k.Chunks[0].Col = 1 },
		"window rows":   func(k *chunks.MemoKey) { k.Chunks[0].Rows = 99 },
		"window cols":   func(k *chunks.MemoKey) { k.Chunks[0].Cols = 99 },
		"dst row":       func(k *chunks.MemoKey) { k.Chunks[0].DstRow = 1 },
		"dst col":       func(k *chunks.MemoKey) { k.Chunks[0].DstCol = 1 },
		"second chunk":  func(k *chunks.MemoKey) { k.Chunks = append(k.Chunks, chunks.MemoChunk{Key: "precip/3.1.3"}) },
		"tile rows":     func(k *chunks.MemoKey) { k.TileRows = 50 },
		"tile cols":     func(k *chunks.MemoKey) { k.TileCols = 50 },
		"window start":  func(k *chunks.MemoKey) { k.Window[0] = 1 },
		"window end":    func(k *chunks.MemoKey) { k.Window[1] = 364 },
		"runs":          func(k *chunks.MemoKey) { k.Runs[0], k.Runs[1] = 30, 29 },
		"one more run":  func(k *chunks.MemoKey) { k.Runs = append(k.Runs, 0) },
		"kinds":         func(k *chunks.MemoKey) { k.Kinds = "count+sum+values" },
		"float64":       func(k *chunks.MemoKey) { k.Float64 = true },
		"engine":        func(k *chunks.MemoKey) { k.Engine = "engine-2" },
		// Field boundaries: moving a byte from one field to the next.
		"boundary": func(k *chunks.MemoKey) { k.Array, k.Layout = "precipf", "loat32 [365 100 100] [blosc]" },
	}
	seen := map[string]string{base: "base"}
	for name, change := range changes {
		k := baseKey()
		change(k)
		got := Key(k, 0)
		if other, dup := seen[got]; dup {
			t.Errorf("changing %s gives the key of %s", name, other)
		}
		seen[got] = name
	}
	if Key(baseKey(), 1) == base {
		t.Error("the dataset generation does not change the key")
	}
}

func baseOutputKey() *chunks.OutputKey {
	second := baseKey()
	second.Window = [2]int{0, 10}
	second.Runs = []int{10}
	return &chunks.OutputKey{
		Dataset: "s3://chirps/v2.zarr", Units: []*chunks.MemoKey{baseKey(), second},
		Bins:    [][]int32{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {12}},
		Periods: 13, Reducer: "mean q=0 ddof=0 min_count=1",
		Encoding: "float32 fill=0000c07f chunks=[104 100 100] [zstd]", Engine: "output-1",
	}
}

// TestOutputKeyChangesWithEveryComponent: anything an output chunk depends
// on is in its key, the units' own keys among them.
func TestOutputKeyChangesWithEveryComponent(t *testing.T) {
	base := OutputKeyString(baseOutputKey(), 0)
	if again := OutputKeyString(baseOutputKey(), 0); again != base || len(base) != 40 {
		t.Fatalf("key %q then %q", base, again)
	}
	changes := map[string]func(k *chunks.OutputKey){
		"dataset":       func(k *chunks.OutputKey) { k.Dataset = "s3://chirps/v3.zarr" },
		"unit etag":     func(k *chunks.OutputKey) { k.Units[1].Chunks[0].ETag = `"new"` },
		"unit runs":     func(k *chunks.OutputKey) { k.Units[0].Runs[0], k.Units[0].Runs[1] = 30, 29 },
		"fewer units":   func(k *chunks.OutputKey) { k.Units, k.Bins = k.Units[:1], k.Bins[:1] },
		"unit order":    func(k *chunks.OutputKey) { k.Units[0], k.Units[1] = k.Units[1], k.Units[0] },
		"run's period":  func(k *chunks.OutputKey) { k.Bins[1][0] = 11 },
		"run outside":   func(k *chunks.OutputKey) { k.Bins[1][0] = -1 },
		"periods":       func(k *chunks.OutputKey) { k.Periods = 14 },
		"reducer":       func(k *chunks.OutputKey) { k.Reducer = "mean q=0 ddof=0 min_count=2" },
		"encoding":      func(k *chunks.OutputKey) { k.Encoding = "float32 fill=0000c07f chunks=[52 100 100] [zstd]" },
		"engine":        func(k *chunks.OutputKey) { k.Engine = "output-2" },
		"bins boundary": func(k *chunks.OutputKey) { k.Bins = [][]int32{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {11, 12}} },
	}
	seen := map[string]string{base: "base"}
	for name, change := range changes {
		k := baseOutputKey()
		change(k)
		got := OutputKeyString(k, 0)
		if other, dup := seen[got]; dup {
			t.Errorf("changing %s gives the key of %s", name, other)
		}
		seen[got] = name
	}
	if OutputKeyString(baseOutputKey(), 1) == base {
		t.Error("the dataset generation does not change the key")
	}
	if OutputKeyString(baseOutputKey(), 0) == Key(baseKey(), 0) {
		t.Error("an output key equals a unit key")
	}
}

func TestDatasetID(t *testing.T) {
	for in, want := range map[string]string{
		"s3://chirps/v2.zarr/": "s3://chirps/v2.zarr",
		"s3://chirps/v2.zarr":  "s3://chirps/v2.zarr",
		"/data/x.zarr/":        "file:///data/x.zarr",
		"file:///data/x.zarr":  "file:///data/x.zarr",
	} {
		if got := DatasetID(in); got != want {
			t.Errorf("DatasetID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBreakerBacksOffAndProbesOnce(t *testing.T) {
	var b breaker
	t0 := time.Unix(0, 0)
	if !b.allow(t0) {
		t.Fatal("a closed breaker refuses")
	}
	if b.refusing(t0) {
		t.Fatal("a closed breaker is refusing")
	}
	b.failure(t0)
	if !b.refusing(t0) || b.allow(t0.Add(breakerMin-time.Millisecond)) {
		t.Fatal("open breaker allows a call before its backoff")
	}
	t1 := t0.Add(breakerMin)
	if b.refusing(t1) || b.refusing(t1) {
		t.Fatal("refusing after the backoff, or asking took the probe")
	}
	if !b.allow(t1) {
		t.Fatal("no probe after the backoff")
	}
	if !b.refusing(t1) {
		t.Fatal("not refusing while the probe is out")
	}
	if b.allow(t1) {
		t.Fatal("a second call allowed while the probe is out")
	}
	b.failure(t1) // the probe failed: twice the backoff
	if b.allow(t1.Add(2*breakerMin - time.Millisecond)) {
		t.Fatal("backoff did not double")
	}
	t2 := t1.Add(2 * breakerMin)
	if !b.allow(t2) {
		t.Fatal("no probe after the doubled backoff")
	}
	b.success()
	for range 2 { // closed: every call allowed, not only a probe
		if !b.allow(t2) || b.open() {
			t.Fatal("a successful probe did not close the breaker")
		}
	}
	for range 30 {
		b.failure(t2)
	}
	if b.allow(t2.Add(breakerMax-time.Millisecond)) || !b.allow(t2.Add(breakerMax)) {
		t.Fatal("backoff not capped at breakerMax")
	}
}
