package jobs

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/zarrproc/zarrproc/chunks"
	"github.com/zarrproc/zarrproc/zarr/store"
	"github.com/zarrproc/zarrproc/zarr/store/storetest"
)

// The CHIRPS-like fixture written by xarray: precip (40 days from
// 2024-01-15, 6×8) in 4×5 chunks, so a temporal aggregation has 4 tiles.
const chirpsFixture = "../testdata/fixtures/cf/chirps_v2.zarr"

// copyDataset copies a fixture store into the test's temp dir (so a test
// may corrupt it) and returns its directory.
func copyDataset(t *testing.T, src string) string { return storetest.CopyDir(t, src) }

func chirpsInputs(dataset string) map[string]any {
	return map[string]any{"dataset": dataset, "variable": "precip", "period": "month", "reducers": []any{"mean", "max"}}
}

func TestTemporalAggregateJob(t *testing.T) {
	cfg := realConfig(t)
	ds := "file://" + copyDataset(t, chirpsFixture)
	cfg.AllowedStores = []string{ds}
	q := openQueue(t, cfg)
	w := startWorker(t, cfg)
	reg := prometheus.NewRegistry()
	if err := w.RegisterMetrics(reg); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	j, err := q.Submit(ctx, "temporal-aggregate", chirpsInputs(ds), SubmitOptions{Async: true})
	if err != nil {
		t.Fatal(err)
	}
	j = waitDone(t, q, j.ID, 30*time.Second)
	if j.Status != StatusSuccessful || j.Total != 4 || j.Done != 4 {
		t.Fatalf("job %+v", j)
	}
	if n := gathered(t, reg, "zarrproc_worker_tasks_total", "type", taskTile); n != 4 {
		t.Errorf("tile tasks counted: %v, want 4", n)
	}
	if n := gathered(t, reg, "zarrproc_worker_bytes_read_total", "", ""); n <= 0 {
		t.Errorf("bytes read counted: %v", n)
	}
	res, err := q.Results(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := cfg.ResultsURL + "/" + j.ID + ".zarr"
	sum, _ := res["summary"].(map[string]any)
	if res["result"] != out || sum["periods"] != 2.0 || sum["tiles"] != 4.0 || sum["chunks_read"].(float64) < 4 {
		t.Errorf("results %v", res)
	}
	// The same bytes as the engine run in one process.
	assertSameOutput(t, strings.TrimPrefix(out, "file://"), referenceRun(t, chirpsInputs(ds)))

	// Identical request: answered by the same job.
	again, err := q.Submit(ctx, "temporal-aggregate", chirpsInputs(ds), SubmitOptions{})
	if err != nil || again.ID != j.ID || again.Status != StatusSuccessful {
		t.Errorf("identical request: %+v %v", again, err)
	}
	// A chunk rewritten in place under unchanged metadata (the first time
	// chunk of tile 0.0 now holds the second's values): a new job, whose
	// results are those of the new data.
	dir := strings.TrimPrefix(ds, "file://")
	rewriteFile(t, filepath.Join(dir, "precip", "0.0.0"), filepath.Join(dir, "precip", "1.0.0"), time.Now().Add(time.Minute))
	rewritten, err := q.Submit(ctx, "temporal-aggregate", chirpsInputs(ds), SubmitOptions{})
	if err != nil || rewritten.ID == j.ID {
		t.Fatalf("request after a chunk was rewritten: %+v %v, want a new job", rewritten, err)
	}
	if rewritten = waitDone(t, q, rewritten.ID, 30*time.Second); rewritten.Status != StatusSuccessful {
		t.Fatalf("job after a chunk was rewritten: %+v", rewritten)
	}
	newOut := strings.TrimPrefix(cfg.ResultsURL, "file://") + "/" + rewritten.ID + ".zarr"
	if differ := differingChunks(t, strings.TrimPrefix(out, "file://"), newOut); len(differ) == 0 {
		t.Error("the job after a chunk was rewritten wrote the same chunks as the first")
	}
	assertSameOutput(t, newOut, referenceRun(t, chirpsInputs(ds)))
	// No change since: answered by that job.
	if again, err := q.Submit(ctx, "temporal-aggregate", chirpsInputs(ds), SubmitOptions{}); err != nil || again.ID != rewritten.ID {
		t.Errorf("identical request after the rewrite's job: %+v %v, want job %s", again, err, rewritten.ID)
	}
	// New data (the array's metadata changed): a new job.
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "precip", ".zarray"), future, future); err != nil {
		t.Fatal(err)
	}
	if fresh, err := q.Submit(ctx, "temporal-aggregate", chirpsInputs(ds), SubmitOptions{}); err != nil || fresh.ID == rewritten.ID {
		t.Errorf("request after the data changed: %v %v, want a new job", fresh, err)
	}
	// Memo: with a cache Redis, a rerun of the same request (its first job
	// dismissed, so dedupe does not answer it) reads no chunk.
	cacheCfg := realConfig(t)
	cacheCfg.CacheRedisURL = cacheCfg.QueueRedisURL
	cacheCfg.AllowedStores = cfg.AllowedStores
	cq := openQueue(t, cacheCfg)
	startWorker(t, cacheCfg)
	var hits, outputs []float64
	for run := range 3 {
		if run == 2 {
			if _, err := cq.InvalidateCache(ctx, ds); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1100 * time.Millisecond) // workers remember a generation for 1s

		}
		cj, err := cq.Submit(ctx, "temporal-aggregate", chirpsInputs(ds), SubmitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if cj = waitDone(t, cq, cj.ID, 30*time.Second); cj.Status != StatusSuccessful {
			t.Fatalf("cached run: %+v", cj)
		}
		sum := cj.Outputs["summary"].(map[string]any)
		fromCache, _ := sum["from_cache"].(map[string]any)
		h, _ := fromCache["hits"].(float64)
		o, _ := fromCache["output_chunks"].(float64)
		hits, outputs = append(hits, h), append(outputs, o)
		cq.Dismiss(ctx, cj.ID)
	}
	if hits[0] != 0 || hits[1] == 0 || hits[2] != 0 {
		t.Errorf("cache hits of the first, second and after-invalidation runs: %v, want 0, some, 0", hits)
	}
	if outputs[0] != 0 || outputs[1] == 0 || outputs[2] != 0 {
		t.Errorf("output chunks from cache of the first, second and after-invalidation runs: %v, want 0, some, 0", outputs)
	}
	if st, err := cq.CacheStats(ctx); err != nil || st == nil {
		t.Errorf("cache stats: %v %v", st, err)
	}
	if _, err := q.CacheStats(ctx); !errors.Is(err, ErrNoCache) {
		t.Errorf("cache stats without a cache: %v", err)
	}
	// Input errors from the engine name the input.
	bad := chirpsInputs(ds)
	bad["variable"] = "rain"
	if _, err := q.Submit(ctx, "temporal-aggregate", bad, SubmitOptions{}); !isInputError(err, "variable") {
		t.Errorf("unknown variable: %v", err)
	}
	if _, err := q.Submit(ctx, "temporal-aggregate", chirpsInputs("file:///etc"), SubmitOptions{}); err == nil || !strings.Contains(err.Error(), ErrForbidden.Error()) {
		t.Errorf("dataset outside the allowlist: %v", err)
	}
}

// gathered sums the counter samples of a metric family, those with the
// label set to value when label is not "".
func gathered(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := label == ""
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					match = true
				}
			}
			if match {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func isInputError(err error, input string) bool {
	ie, ok := err.(*InputError)
	return ok && ie.Input == input
}

// referenceRun runs the request with the engine in this process (no queue)
// and returns its output directory.
func referenceRun(t *testing.T, inputs map[string]any) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "reference.zarr")
	req, err := temporalRequest(inputs, "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chunks.Run(context.Background(), req, chunks.Options{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// assertSameOutput compares two output stores file by file: the same chunk
// files with the same bytes. Metadata documents may differ only where they
// name the output itself.
func assertSameOutput(t *testing.T, got, want string) {
	t.Helper()
	g, w := storetest.ReadDir(t, got), storetest.ReadDir(t, want)
	if len(g) == 0 || len(g) != len(w) {
		t.Fatalf("output has %d files, the reference %d", len(g), len(w))
	}
	for name, wb := range w {
		gb, ok := g[name]
		switch {
		case !ok:
			t.Errorf("output lacks %s", name)
		case isMetadata(name):
			if strings.Count(string(gb), "\n") != strings.Count(string(wb), "\n") {
				t.Errorf("metadata %s differs in shape", name)
			}
		case !bytes.Equal(gb, wb):
			t.Errorf("chunk %s differs from the reference", name)
		}
	}
}

// differingChunks names the chunk files of output store a whose bytes in
// output store b differ or are missing.
func differingChunks(t *testing.T, a, b string) []string {
	t.Helper()
	fb := storetest.ReadDir(t, b)
	var names []string
	for name, ab := range storetest.ReadDir(t, a) {
		if !isMetadata(name) && !bytes.Equal(ab, fb[name]) {
			names = append(names, name)
		}
	}
	return names
}

// rewriteFile replaces the content of file name with that of file from, in
// place, and sets its modification time to mtime.
func rewriteFile(t *testing.T, name, from string, mtime time.Time) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(name, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func isMetadata(name string) bool {
	b := filepath.Base(name)
	return b == "zarr.json" || strings.HasPrefix(b, ".z")
}

func TestCorruptDatasetFailsJob(t *testing.T) {
	cfg := realConfig(t)
	dir := copyDataset(t, chirpsFixture)
	// Garbage where a Blosc chunk should be.
	if err := os.WriteFile(filepath.Join(dir, "precip", "1.1.1"), []byte("not a blosc frame at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	q := openQueue(t, cfg)
	startWorker(t, cfg)
	ctx := context.Background()
	j, err := q.Submit(ctx, "temporal-aggregate", chirpsInputs("file://"+dir), SubmitOptions{Async: true})
	if err != nil {
		t.Fatal(err)
	}
	j = waitDone(t, q, j.ID, 30*time.Second)
	if j.Status != StatusFailed || !strings.Contains(j.Message, "1.1.1") {
		t.Fatalf("job on a corrupt chunk: %s %q, want failed naming chunk 1.1.1", j.Status, j.Message)
	}
	t.Logf("message: %s", j.Message)
	// Tiles still running when the job failed stop at their next check and
	// remove what they wrote since.
	waitFor(t, 5*time.Second, "partial output removed", func() bool {
		_, err := os.Stat(strings.TrimPrefix(cfg.ResultsURL, "file://") + "/" + j.ID + ".zarr")
		return os.IsNotExist(err)
	})
	// The worker still serves other jobs.
	e, _ := q.Submit(ctx, "echo", map[string]any{"stringInput": "still here"}, SubmitOptions{})
	if e = waitDone(t, q, e.ID, 10*time.Second); e.Status != StatusSuccessful {
		t.Fatalf("echo after the failure: %s", e.Status)
	}
	// A failed job does not answer a later identical request.
	again, _ := q.Submit(ctx, "temporal-aggregate", chirpsInputs("file://"+dir), SubmitOptions{Async: true})
	if again.ID == j.ID {
		t.Error("a failed job answered a new request")
	}
}

// slowStore serves a directory over HTTP, delaying every chunk read so that
// tiles take long enough to be interrupted.
func slowStore(t *testing.T, dir string, delay time.Duration) string {
	fsrv := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(filepath.Base(r.URL.Path), ".z") {
			time.Sleep(delay)
		}
		fsrv.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestDismissRunningTemporalJob(t *testing.T) {
	cfg := realConfig(t)
	cfg.Concurrency = 1
	ds := slowStore(t, copyDataset(t, chirpsFixture), 300*time.Millisecond)
	q := openQueue(t, cfg)
	startWorker(t, cfg)
	ctx := context.Background()
	j, err := q.Submit(ctx, "temporal-aggregate", chirpsInputs(ds), SubmitOptions{Async: true})
	if err != nil {
		t.Fatal(err)
	}
	out := strings.TrimPrefix(cfg.ResultsURL, "file://") + "/" + j.ID + ".zarr"
	waitFor(t, 20*time.Second, "output created and a tile running", func() bool {
		j, _ := q.Job(ctx, j.ID)
		_, err := os.Stat(out)
		return j.Total == 4 && err == nil
	})
	if _, err := q.Dismiss(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // the running tile notices and stops
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("partial output %s still there after dismissal: %v", out, err)
	}
	if j, _ = q.Job(ctx, j.ID); j.Status != StatusDismissed {
		t.Errorf("status %s", j.Status)
	}
}

// TestWorkerKilledTemporal SIGKILLs a worker process in the middle of a
// temporal aggregation; the surviving worker re-runs its tile, and the
// output is byte-identical to an undisturbed run.
func TestWorkerKilledTemporal(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for asynq's lease recovery (1–2 minutes)")
	}
	cfg := procConfig(t)
	bin := buildZarrproc(t)
	dir := copyDataset(t, chirpsFixture)
	ds := slowStore(t, dir, 400*time.Millisecond)
	q := openQueue(t, cfg)
	victim := startWorkerProc(t, bin, cfg, "--concurrency", "1")
	ctx := context.Background()
	j, err := q.Submit(ctx, "temporal-aggregate", chirpsInputs(ds), SubmitOptions{Async: true})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "tiles fanned out", func() bool { return victim.sawLog(`"msg":"job fanned out"`) > 0 })
	time.Sleep(500 * time.Millisecond) // into the first tile
	victim.cmd.Process.Signal(syscall.SIGKILL)
	<-victim.done
	before, _ := q.Job(ctx, j.ID)
	t.Logf("worker killed with %d/%d tiles done", before.Done, before.Total)
	if before.Done == before.Total {
		t.Fatal("the victim finished before it was killed")
	}
	startWorkerProc(t, bin, cfg, "--concurrency", "2")
	j = waitDone(t, q, j.ID, 4*time.Minute)
	if j.Status != StatusSuccessful || j.Done != 4 {
		t.Fatalf("after the crash: %+v", j)
	}
	assertSameOutput(t, strings.TrimPrefix(cfg.ResultsURL, "file://")+"/"+j.ID+".zarr", referenceRun(t, chirpsInputs("file://"+dir)))
}

// TestTransientErrorRetried: a store that fails the same chunk more times
// than the store client retries fails the tile task, which asynq retries
// with backoff; the job says so in its message and then succeeds.
func TestTransientErrorRetried(t *testing.T) {
	cfg := realConfig(t)
	dir := copyDataset(t, chirpsFixture)
	var mu sync.Mutex
	failures := 5 // the store client's attempts per request
	fsrv := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fail := strings.HasSuffix(r.URL.Path, "/precip/0.0.0") && failures > 0
		if fail {
			failures--
		}
		mu.Unlock()
		if fail {
			http.Error(w, "overloaded", http.StatusInternalServerError)
			return
		}
		fsrv.ServeHTTP(w, r)
	}))
	defer srv.Close()
	q := openQueue(t, cfg)
	startWorker(t, cfg)
	ctx := context.Background()
	j, err := q.Submit(ctx, "temporal-aggregate", chirpsInputs(srv.URL), SubmitOptions{Async: true})
	if err != nil {
		t.Fatal(err)
	}
	var retrying string
	waitFor(t, 30*time.Second, "job done", func() bool {
		j, _ = q.Job(ctx, j.ID)
		if strings.HasPrefix(j.Message, "retrying") {
			retrying = j.Message
		}
		return j.Status.Done()
	})
	if j.Status != StatusSuccessful {
		t.Fatalf("job after a transient error: %s %q", j.Status, j.Message)
	}
	if retrying == "" {
		t.Error("no retry seen in the job's message")
	}
	t.Logf("message while retrying: %s", retrying)
}

// TestDismissRemovesObjectStoreOutput: with results in an object store (no
// directories; here the in-process mem:// store, which goes through the
// same Store.Delete path as S3 and GCS), dismissal deletes every object the
// job wrote.
func TestDismissRemovesObjectStoreOutput(t *testing.T) {
	cfg := realConfig(t)
	cfg.Concurrency = 1
	cfg.ResultsURL = "mem://" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + newJobID()[:8]
	ds := slowStore(t, copyDataset(t, chirpsFixture), 300*time.Millisecond)
	q := openQueue(t, cfg)
	startWorker(t, cfg)
	ctx := context.Background()
	j, err := q.Submit(ctx, "temporal-aggregate", chirpsInputs(ds), SubmitOptions{Async: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := store.Open(ctx, cfg.ResultsURL+"/"+j.ID+".zarr", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "output metadata written", func() bool {
		keys, _ := out.List(ctx, "")
		return len(keys) > 0
	})
	if _, err := q.Dismiss(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "every output object deleted", func() bool {
		keys, err := out.List(ctx, "")
		return err == nil && len(keys) == 0
	})
}
