package chunks_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zarrproc/zarrproc/chunks"
	"github.com/zarrproc/zarrproc/zarr/store/storetest"
)

// chirpsFixture: 40 days × 6 × 8 float32 in 15×4×5 chunks (2×2 tiles of
// whole chunks).
const chirpsFixture = "../testdata/fixtures/cf/chirps_v2.zarr"

func layoutRequest(t *testing.T) chunks.Request {
	return chunks.Request{Dataset: chirpsFixture, Variable: "precip", Period: "day", Reducers: []string{"mean"},
		Output: filepath.Join(t.TempDir(), "out.zarr")}
}

// TestFewerTilesBeforeSmallerTiles: a budget that holds one whole tile but
// not one per CPU keeps tiles whole (fewer run at once) instead of cutting
// them below the source chunk, which would decode every chunk again per
// piece; and many tiles in flight never cut tiles to nothing.
func TestFewerTilesBeforeSmallerTiles(t *testing.T) {
	ctx := context.Background()
	whole := chunks.Layout{TileRows: 4, TileCols: 5, TimeChunk: 40}
	// One whole tile here: two decoded chunks (2×1,200 B), the open days'
	// states (~17×20×40 B) and one output chunk of OutputChunkBytes.
	for _, opts := range []chunks.Options{
		{Concurrency: 2, MemoryBudget: 20 << 10, OutputChunkBytes: 4 << 10},
		{Concurrency: 1000, MemoryBudget: 20 << 10, OutputChunkBytes: 4 << 10},
		{Concurrency: 1000},
	} {
		plan, err := chunks.NewPlan(ctx, layoutRequest(t), opts)
		if err != nil {
			t.Fatal(err)
		}
		want := whole
		want.TimeChunk = min(40, max(1, opts.OutputChunkBytes/(4*5*4)))
		if opts.OutputChunkBytes == 0 {
			want.TimeChunk = 40
		}
		if got := plan.Layout(); got != want || plan.NumTiles() != 4 {
			t.Errorf("concurrency %d, budget %d: layout %+v, %d tiles; want %+v, 4 tiles", opts.Concurrency, opts.MemoryBudget, got, plan.NumTiles(), want)
		}
	}
	// A budget below one whole tile cuts tiles.
	plan, err := chunks.NewPlan(ctx, layoutRequest(t), chunks.Options{Concurrency: 1, MemoryBudget: 8 << 10, OutputChunkBytes: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if l := plan.Layout(); l.TileRows*l.TileCols >= 4*5 {
		t.Errorf("an 8 KiB budget kept whole tiles: %+v", l)
	}
}

// TestLayoutPinned: a plan given another plan's Layout cuts its output the
// same way whatever its own budget and concurrency, and writes the same
// bytes; a layout that does not fit the output is refused.
func TestLayoutPinned(t *testing.T) {
	ctx := context.Background()
	first := layoutRequest(t)
	a, err := chunks.NewPlan(ctx, first, chunks.Options{Concurrency: 1, MemoryBudget: 8 << 10, OutputChunkBytes: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	l := a.Layout()
	if l.TileRows == 4 && l.TileCols == 5 {
		t.Fatalf("the small budget did not cut tiles: %+v", l)
	}
	if _, err := chunks.Run(ctx, first, chunks.Options{Concurrency: 1, MemoryBudget: 8 << 10, OutputChunkBytes: 1 << 10}); err != nil {
		t.Fatal(err)
	}
	second := layoutRequest(t)
	pinned := chunks.Options{Concurrency: 8, Layout: &l}
	b, err := chunks.NewPlan(ctx, second, pinned)
	if err != nil {
		t.Fatal(err)
	}
	if b.Layout() != l || b.NumTiles() != a.NumTiles() {
		t.Fatalf("pinned plan: layout %+v, %d tiles; want %+v, %d tiles", b.Layout(), b.NumTiles(), l, a.NumTiles())
	}
	if _, err := chunks.Run(ctx, second, pinned); err != nil {
		t.Fatal(err)
	}
	fa, fb := storetest.ReadDir(t, first.Output), storetest.ReadDir(t, second.Output)
	if len(fa) == 0 || len(fa) != len(fb) {
		t.Fatalf("outputs hold %d and %d files", len(fa), len(fb))
	}
	for k, v := range fa {
		if string(v) != string(fb[k]) {
			t.Fatalf("%s differs between the plan and the pinned plan", k)
		}
	}
	for _, bad := range []chunks.Layout{{0, 5, 1}, {4, 9, 1}, {4, 5, 0}, {7, 5, 1}, {4, 5, 41}} {
		if _, err := chunks.NewPlan(ctx, layoutRequest(t), chunks.Options{Layout: &bad}); err == nil {
			t.Errorf("layout %+v accepted for a 40×6×8 output", bad)
		}
	}
}

// TestSourceArrays: the arrays a result depends on are the variable and its
// stored coordinates.
func TestSourceArrays(t *testing.T) {
	plan, err := chunks.NewPlan(context.Background(), layoutRequest(t), chunks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, want := plan.SourceArrays(), []string{"precip", "time", "lat", "lon"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("SourceArrays = %v, want %v", got, want)
	}
}
