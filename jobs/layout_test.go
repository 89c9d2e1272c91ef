package jobs

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/zarrproc/zarrproc/chunks"
	"github.com/zarrproc/zarrproc/zarr"
	"github.com/zarrproc/zarrproc/zarr/cf"
	"github.com/zarrproc/zarrproc/zarr/store"
)

// TestWorkersWithOtherBudgetsAgreeOnTiles: the plan task runs on a worker
// whose memory budget cuts the output into small tiles; the tiles and the
// finalization run on a worker with the default budget, which alone would
// cut it into 4 tiles. The second worker uses the recorded layout, so every
// tile is the region the plan meant and the output is the engine's.
func TestWorkersWithOtherBudgetsAgreeOnTiles(t *testing.T) {
	cfg := realConfig(t)
	ds := "file://" + copyDataset(t, chirpsFixture)
	cfg.AllowedStores = []string{ds}
	q := openQueue(t, cfg)
	small := cfg
	small.MemoryBudget = 8 << 10
	ctx := context.Background()
	workers := map[string]*Worker{}
	for name, c := range map[string]Config{"planner": small, "runner": cfg} {
		w, err := NewWorker(ctx, c) // not run: tasks are delivered by hand
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.b.close() })
		workers[name] = w
	}
	j, err := q.Submit(ctx, "temporal-aggregate", chirpsInputs(ds), SubmitOptions{Async: true})
	if err != nil {
		t.Fatal(err)
	}
	deliver := func(w *Worker, typ string, tile int) {
		t.Helper()
		p, _ := json.Marshal(payload{Job: j.ID, Tile: tile})
		if err := w.ProcessTask(ctx, asynq.NewTask(typ, p)); err != nil {
			t.Fatalf("%s %d: %v", typ, tile, err)
		}
	}
	deliver(workers["planner"], taskPlan, 0)
	rec, err := q.b.rec.get(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Total <= 4 || !strings.Contains(rec.Layout, "tile_rows") {
		t.Fatalf("planned with an 8 KiB budget: %d tiles, layout %q; want more than 4", rec.Total, rec.Layout)
	}
	deliver(workers["runner"], taskPlan, 0) // redelivered to the other worker: same plan
	if again, _ := q.Job(ctx, j.ID); again.Total != rec.Total {
		t.Fatalf("the plan redelivered to the other worker has %d tiles, first %d", again.Total, rec.Total)
	}
	for i := range rec.Total {
		deliver(workers["runner"], taskTile, i)
	}
	deliver(workers["runner"], taskFinalize, -1)
	done, err := q.Job(ctx, j.ID)
	if err != nil || done.Status != StatusSuccessful {
		t.Fatalf("job %+v, %v", done, err)
	}

	want := chunks.Request{Dataset: ds, Variable: "precip", Period: "month", Reducers: []string{"mean", "max"},
		Output: filepath.Join(t.TempDir(), "want.zarr")}
	if _, err := chunks.Run(ctx, want, chunks.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"precip_mean", "precip_max"} {
		got, exp := readOutput(t, rec.OutputURL, v), readOutput(t, want.Output, v)
		if len(got) != len(exp) {
			t.Fatalf("%s: %d values, the engine wrote %d", v, len(got), len(exp))
		}
		for i := range exp {
			if got[i] != exp[i] && !(math.IsNaN(got[i]) && math.IsNaN(exp[i])) {
				t.Fatalf("%s[%d] = %v from the job, %v from the engine", v, i, got[i], exp[i])
			}
		}
	}
}

func readOutput(t *testing.T, url, name string) []float64 {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := cf.Open(ctx, s, "")
	if err != nil {
		t.Fatal(err)
	}
	v, err := ds.Variable(name)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := zarr.ReadAll[float64](ctx, v.Array)
	if err != nil {
		t.Fatal(err)
	}
	return vals
}
