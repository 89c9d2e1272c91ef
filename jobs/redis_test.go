package jobs

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// realConfig is a test configuration on its own database of the test Redis.
func realConfig(t *testing.T) Config {
	cfg := testConfig(t)
	cfg.QueueRedisURL = realRedisURL(t)
	t.Cleanup(func() { deleteKeys(t, cfg.QueueRedisURL, cfg.KeyPrefix+"*") })
	return cfg
}

// procConfig is realConfig for tests that run `zarrproc worker` processes,
// which use the default key prefix.
func procConfig(t *testing.T) Config {
	cfg := realConfig(t)
	cfg.KeyPrefix = "zarrproc:"
	t.Cleanup(func() { deleteKeys(t, cfg.QueueRedisURL, cfg.KeyPrefix+"*") })
	return cfg
}

// deleteKeys removes a test's own keys from the test Redis.
func deleteKeys(t *testing.T, u, pattern string) {
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Error(err)
		return
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		rdb.Unlink(ctx, iter.Val())
	}
}

func TestEchoSyncAndAsync(t *testing.T) {
	cfg := realConfig(t)
	q := openQueue(t, cfg)
	startWorker(t, cfg)
	ctx := context.Background()
	for _, async := range []bool{false, true} {
		j, err := q.Submit(ctx, "echo", map[string]any{"stringInput": "x", "pause": 0.1}, SubmitOptions{Async: async})
		if err != nil {
			t.Fatal(err)
		}
		j = waitDone(t, q, j.ID, 10*time.Second)
		if j.Status != StatusSuccessful || j.Started.IsZero() || j.Finished.Before(j.Started) {
			t.Fatalf("async=%v: %+v", async, j)
		}
		if d := j.Finished.Sub(j.Started); d < 100*time.Millisecond {
			t.Errorf("async=%v: ran %v, less than its pause", async, d)
		}
		res, err := q.Results(ctx, j.ID)
		if err != nil || res["stringInput"] != "x" || len(res) != 1 {
			t.Errorf("async=%v: results %v, %v", async, res, err)
		}
	}
	// Multi-tile in one process.
	j, err := q.Submit(ctx, "echo", map[string]any{"tiles": 20.0}, SubmitOptions{Async: true})
	if err != nil {
		t.Fatal(err)
	}
	j = waitDone(t, q, j.ID, 20*time.Second)
	if j.Status != StatusSuccessful || j.Done != 20 || j.Total != 20 {
		t.Fatalf("20 tiles: %+v", j)
	}
}

// TestTaskDeliveredTwice hands the worker's ServeMux every task of a job
// twice, as asynq may (at-least-once delivery): the tiles count once and the
// job is finalized once.
func TestTaskDeliveredTwice(t *testing.T) {
	cfg := realConfig(t)
	q := openQueue(t, cfg)
	w, err := NewWorker(context.Background(), cfg) // not run: tasks are delivered by hand
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.b.close() })
	ctx := context.Background()
	j, err := q.Submit(ctx, "echo", map[string]any{"tiles": 3.0}, SubmitOptions{Async: true})
	if err != nil {
		t.Fatal(err)
	}
	task := func(typ string, tile int) *asynq.Task {
		p, _ := json.Marshal(payload{Job: j.ID, Tile: tile})
		return asynq.NewTask(typ, p)
	}
	deliver := func(typ string, tile int) {
		t.Helper()
		if err := w.ProcessTask(ctx, task(typ, tile)); err != nil {
			t.Fatalf("%s %d: %v", typ, tile, err)
		}
	}
	deliver(taskPlan, 0)
	deliver(taskPlan, 0)
	info, err := w.b.insp.GetQueueInfo(QueueBatch)
	if err != nil {
		t.Fatal(err)
	}
	// The plan task itself is still pending (delivered by hand), plus 3 tiles.
	if info.Pending != 4 {
		t.Errorf("pending after the plan ran twice: %d, want 1 plan + 3 tiles", info.Pending)
	}
	deliver(taskTile, 0)
	deliver(taskTile, 0)
	if j, _ = q.Job(ctx, j.ID); j.Done != 1 || j.Status != StatusRunning {
		t.Fatalf("after tile 0 twice: %d/%d %s, want 1/3 running", j.Done, j.Total, j.Status)
	}
	deliver(taskTile, 1)
	deliver(taskTile, 2)
	deliver(taskTile, 2)
	if j, _ = q.Job(ctx, j.ID); j.Done != 3 || j.Status != StatusRunning {
		t.Fatalf("after every tile: %d/%d %s", j.Done, j.Total, j.Status)
	}
	if _, err := w.b.insp.GetTaskInfo(QueueBatch, taskID(taskFinalize, j.ID, -1)); err != nil {
		t.Fatalf("finalization not queued: %v", err)
	}
	deliver(taskFinalize, 0)
	first, _ := q.Job(ctx, j.ID)
	time.Sleep(5 * time.Millisecond)
	deliver(taskFinalize, 0)
	deliver(taskTile, 1)
	second, _ := q.Job(ctx, j.ID)
	if first.Status != StatusSuccessful || !second.Finished.Equal(first.Finished) || second.Done != 3 {
		t.Fatalf("finalized twice or changed: %+v then %+v", first, second)
	}
}

func TestDismissRunningJob(t *testing.T) {
	cfg := realConfig(t)
	cfg.Concurrency = 2
	q := openQueue(t, cfg)
	startWorker(t, cfg)
	ctx := context.Background()
	j, err := q.Submit(ctx, "echo", map[string]any{"tiles": 6.0, "pause": 30.0}, SubmitOptions{Async: true})
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(redisOpt(t, cfg.QueueRedisURL))
	defer insp.Close()
	waitFor(t, 10*time.Second, "two tiles running", func() bool {
		info, err := insp.GetQueueInfo(QueueBatch)
		return err == nil && info.Active == 2 && info.Pending == 4
	})
	start := time.Now()
	d, err := q.Dismiss(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != StatusDismissed {
		t.Fatalf("dismissed job: %s", d.Status)
	}
	waitFor(t, 5*time.Second, "no task left", func() bool {
		info, err := insp.GetQueueInfo(QueueBatch)
		return err == nil && info.Active == 0 && info.Pending == 0 && info.Retry == 0
	})
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("running tiles took %v to stop", el)
	}
	j, _ = q.Job(ctx, j.ID)
	if j.Status != StatusDismissed || j.Done != 0 {
		t.Errorf("after dismissal: %s, %d tiles done", j.Status, j.Done)
	}
	if _, err := q.Results(ctx, j.ID); !errors.Is(err, ErrJobFailed) {
		t.Errorf("results of a dismissed job: %v", err)
	}
	// Dismissing a finished job deletes it.
	e, _ := q.Submit(ctx, "echo", nil, SubmitOptions{})
	waitDone(t, q, e.ID, 10*time.Second)
	if d, err := q.Dismiss(ctx, e.ID); err != nil || d.Status != StatusDismissed {
		t.Fatalf("dismiss finished: %v %v", d, err)
	}
	if _, err := q.Job(ctx, e.ID); !errors.Is(err, ErrNoSuchJob) {
		t.Errorf("finished job after dismissal: %v", err)
	}
}

func TestListFiltersAndRetention(t *testing.T) {
	cfg := realConfig(t)
	q := openQueue(t, cfg)
	ctx := context.Background()
	// No worker yet: these stay accepted.
	var accepted []string
	for range 3 {
		j, err := q.Submit(ctx, "echo", map[string]any{"pause": 0.0}, SubmitOptions{Async: true})
		if err != nil {
			t.Fatal(err)
		}
		accepted = append(accepted, j.ID)
		time.Sleep(2 * time.Millisecond)
	}
	mid := time.Now()
	time.Sleep(2 * time.Millisecond)
	ta, err := q.Submit(ctx, "temporal-aggregate", chirpsInputs(copyDataset(t, chirpsFixture)), SubmitOptions{Async: true})
	if err != nil {
		t.Fatal(err)
	}
	// Dismissed before it runs.
	if _, err := q.Dismiss(ctx, ta.ID); err != nil {
		t.Fatal(err)
	}
	startWorker(t, cfg)
	slow, _ := q.Submit(ctx, "echo", map[string]any{"pause": 0.6}, SubmitOptions{})
	fast, _ := q.Submit(ctx, "echo", map[string]any{"stringInput": "f"}, SubmitOptions{})
	waitDone(t, q, slow.ID, 10*time.Second)
	waitDone(t, q, fast.ID, 10*time.Second)
	for _, id := range accepted {
		waitDone(t, q, id, 10*time.Second)
	}

	ids := func(f ListFilter) ([]string, int) {
		t.Helper()
		js, total, err := q.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, j := range js {
			out = append(out, j.ID)
		}
		return out, total
	}
	all, total := ids(ListFilter{Limit: 100})
	if total != 6 || len(all) != 6 || all[len(all)-1] != accepted[0] || all[0] != fast.ID {
		t.Fatalf("all: %v (total %d), want 6 newest first", all, total)
	}
	if got, total := ids(ListFilter{Limit: 2, Offset: 1}); total != 6 || len(got) != 2 || got[0] != all[1] || got[1] != all[2] {
		t.Errorf("page 2 of 2: %v (total %d)", got, total)
	}
	if got, total := ids(ListFilter{ProcessIDs: []string{"temporal-aggregate"}}); total != 1 || got[0] != ta.ID {
		t.Errorf("by process: %v", got)
	}
	if got, total := ids(ListFilter{Statuses: []Status{StatusDismissed}}); total != 1 || got[0] != ta.ID {
		t.Errorf("by status: %v", got)
	}
	if _, total := ids(ListFilter{Statuses: []Status{StatusSuccessful, StatusFailed}}); total != 5 {
		t.Errorf("successful or failed: %d, want 5", total)
	}
	if got, total := ids(ListFilter{To: mid}); total != 3 || got[0] != accepted[2] {
		t.Errorf("created before mid: %v", got)
	}
	if _, total := ids(ListFilter{From: mid}); total != 3 {
		t.Errorf("created after mid: %d, want 3", total)
	}
	if got, total := ids(ListFilter{MinDuration: 500 * time.Millisecond}); total != 1 || got[0] != slow.ID {
		t.Errorf("min duration: %v", got)
	}
	if _, total := ids(ListFilter{MaxDuration: 500 * time.Millisecond}); total != 4 {
		t.Errorf("max duration: %d, want the 4 fast runs", total)
	}

	// Retention: records and index entries go once it has passed.
	cfg2 := realConfig(t)
	cfg2.Retention = time.Second
	q2 := openQueue(t, cfg2)
	startWorker(t, cfg2)
	old, _ := q2.Submit(ctx, "echo", nil, SubmitOptions{})
	waitDone(t, q2, old.ID, 10*time.Second)
	time.Sleep(1500 * time.Millisecond)
	newer, _ := q2.Submit(ctx, "echo", nil, SubmitOptions{})
	if _, err := q2.Job(ctx, old.ID); !errors.Is(err, ErrNoSuchJob) {
		t.Errorf("job past retention: %v", err)
	}
	if got, total := func() ([]*Job, int) { js, n, _ := q2.List(ctx, ListFilter{}); return js, n }(); total != 1 || got[0].ID != newer.ID {
		t.Errorf("list past retention: %d jobs", total)
	}
	if n := q2.b.rdb.ZCard(ctx, q2.b.rec.indexKey()).Val(); n != 1 {
		t.Errorf("index holds %d entries, want 1", n)
	}
}

func TestDedupe(t *testing.T) {
	cfg := realConfig(t)
	q := openQueue(t, cfg)
	ctx := context.Background()
	ds := copyDataset(t, chirpsFixture)
	in := map[string]any{"dataset": ds, "variable": "precip", "period": "month", "reducers": []any{"mean"}}
	a, err := q.Submit(ctx, "temporal-aggregate", in, SubmitOptions{Async: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := q.Submit(ctx, "temporal-aggregate", map[string]any{"period": "month", "reducers": []any{"mean"}, "variable": "precip", "dataset": ds}, SubmitOptions{})
	if err != nil || b.ID != a.ID {
		t.Fatalf("identical request: %v %v, want job %s", b, err, a.ID)
	}
	c, _ := q.Submit(ctx, "temporal-aggregate", map[string]any{"dataset": ds, "variable": "precip", "period": "year"}, SubmitOptions{})
	if c.ID == a.ID {
		t.Error("a different request got the same job")
	}
	q.Dismiss(ctx, a.ID)
	d, _ := q.Submit(ctx, "temporal-aggregate", in, SubmitOptions{})
	if d.ID == a.ID {
		t.Error("a dismissed job answered a new request")
	}
	// echo never dedupes (conformance tests count on distinct jobs).
	e1, _ := q.Submit(ctx, "echo", nil, SubmitOptions{})
	e2, _ := q.Submit(ctx, "echo", nil, SubmitOptions{})
	if e1.ID == e2.ID {
		t.Error("echo deduped")
	}
}

func TestCallbacks(t *testing.T) {
	cfg := realConfig(t)
	q := openQueue(t, cfg)
	startWorker(t, cfg)
	var mu sync.Mutex
	got := map[string][]map[string]any{}
	fails := 1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/success" && fails > 0 {
			fails--
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		got[r.URL.Path] = append(got[r.URL.Path], body)
	}))
	defer srv.Close()
	ctx := context.Background()
	sub := &Subscriber{SuccessURI: srv.URL + "/success", InProgressURI: srv.URL + "/progress", FailedURI: srv.URL + "/failed"}
	j, err := q.Submit(ctx, "echo", map[string]any{"stringInput": "cb"}, SubmitOptions{Subscriber: sub})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, q, j.ID, 10*time.Second)
	waitFor(t, 15*time.Second, "success callback after one refusal", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got["/success"]) == 1
	})
	mu.Lock()
	defer mu.Unlock()
	if got["/success"][0]["stringInput"] != "cb" {
		t.Errorf("success body %v", got["/success"][0])
	}
	if len(got["/progress"]) != 1 || got["/progress"][0]["jobID"] != j.ID {
		t.Errorf("in-progress bodies %v", got["/progress"])
	}
	if len(got["/failed"]) != 0 {
		t.Errorf("failed callback for a successful job")
	}
}

// --- worker processes ---

// buildZarrproc builds the zarrproc binary into the test's temp dir.
func buildZarrproc(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "zarrproc")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/zarrproc/zarrproc/cmd/zarrproc")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type workerProc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs []string
	done chan struct{}
}

func (p *workerProc) sawLog(sub string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.logs {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}

// startWorkerProc runs `zarrproc worker` against cfg's Redis (default key
// prefix) and stops it (SIGTERM) when the test ends.
func startWorkerProc(t *testing.T, bin string, cfg Config, extra ...string) *workerProc {
	t.Helper()
	args := append([]string{"worker", "-v", "--queue-redis", cfg.QueueRedisURL, "--results", cfg.ResultsURL}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "ZARRPROC_ALLOWED_STORES=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &workerProc{cmd: cmd, done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.logs = append(p.logs, sc.Text())
			p.mu.Unlock()
			if testing.Verbose() {
				t.Logf("worker %d: %s", cmd.Process.Pid, sc.Text())
			}
		}
		io.Copy(io.Discard, stderr)
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(40 * time.Second):
			cmd.Process.Kill()
			<-p.done
		}
	})
	waitFor(t, 10*time.Second, "worker start", func() bool { return p.sawLog("worker started") > 0 })
	return p
}

func TestTwoWorkerProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds zarrproc and runs worker processes")
	}
	cfg := procConfig(t)
	bin := buildZarrproc(t)
	q := openQueue(t, cfg)
	a := startWorkerProc(t, bin, cfg, "--concurrency", "2")
	b := startWorkerProc(t, bin, cfg, "--concurrency", "2")
	ctx := context.Background()
	j, err := q.Submit(ctx, "echo", map[string]any{"tiles": 12.0, "pause": 0.2, "stringInput": "two"}, SubmitOptions{Async: true})
	if err != nil {
		t.Fatal(err)
	}
	j = waitDone(t, q, j.ID, 30*time.Second)
	if j.Status != StatusSuccessful || j.Done != 12 {
		t.Fatalf("job %+v", j)
	}
	na, nb := a.sawLog(`"msg":"tile done"`), b.sawLog(`"msg":"tile done"`)
	if na == 0 || nb == 0 || na+nb != 12 {
		t.Errorf("tiles run by worker A: %d, B: %d; want both busy, 12 in all", na, nb)
	}
}

// TestWorkerKilled SIGKILLs a worker process holding running tiles: asynq's
// recoverer on the surviving worker re-runs them once their lease expires
// (30 s, then up to a minute until its next pass), and the job succeeds.
func TestWorkerKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for asynq's lease recovery (1–2 minutes)")
	}
	cfg := procConfig(t)
	bin := buildZarrproc(t)
	q := openQueue(t, cfg)
	victim := startWorkerProc(t, bin, cfg, "--concurrency", "2")
	ctx := context.Background()
	j, err := q.Submit(ctx, "echo", map[string]any{"tiles": 6.0, "pause": 1.5}, SubmitOptions{Async: true})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "victim running tiles", func() bool { return victim.sawLog(`"msg":"job fanned out"`) > 0 })
	time.Sleep(300 * time.Millisecond)
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	before, _ := q.Job(ctx, j.ID)
	t.Logf("worker killed with %d/%d tiles done", before.Done, before.Total)
	if before.Done == before.Total {
		t.Fatal("the victim finished before it was killed")
	}
	survivor := startWorkerProc(t, bin, cfg, "--concurrency", "2")
	j = waitDone(t, q, j.ID, 4*time.Minute)
	if j.Status != StatusSuccessful || j.Done != 6 {
		t.Fatalf("after the crash: %+v", j)
	}
	if survivor.sawLog(`"msg":"tile done"`) < 6-before.Done {
		t.Errorf("survivor ran %d tiles, want at least %d", survivor.sawLog(`"msg":"tile done"`), 6-before.Done)
	}
}

// TestWorkerSIGTERM: a worker asked to stop lets its running tile finish.
func TestWorkerSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("runs worker processes")
	}
	cfg := procConfig(t)
	bin := buildZarrproc(t)
	q := openQueue(t, cfg)
	w := startWorkerProc(t, bin, cfg, "--concurrency", "1")
	ctx := context.Background()
	j, _ := q.Submit(ctx, "echo", map[string]any{"pause": 1.0}, SubmitOptions{})
	waitFor(t, 10*time.Second, "job running", func() bool { j, _ := q.Job(ctx, j.ID); return j.Status == StatusRunning })
	w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(20 * time.Second):
		t.Fatal("worker did not stop after SIGTERM")
	}
	if j, _ = q.Job(ctx, j.ID); j.Status != StatusSuccessful {
		t.Errorf("job after graceful stop: %s", j.Status)
	}
	if w.sawLog("worker stopped") == 0 {
		t.Error("no graceful stop logged")
	}
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func redisOpt(t *testing.T, u string) asynq.RedisConnOpt {
	opt, err := asynq.ParseRedisURI(u)
	if err != nil {
		t.Fatal(err)
	}
	return opt
}

// TestProgressWithinTile: a running tile reports how far it is, so even a
// one-tile job shows progress between 0 and 100.
func TestProgressWithinTile(t *testing.T) {
	cfg := realConfig(t)
	q := openQueue(t, cfg)
	startWorker(t, cfg)
	ctx := context.Background()
	j, err := q.Submit(ctx, "echo", map[string]any{"pause": 2.0}, SubmitOptions{Async: true})
	if err != nil {
		t.Fatal(err)
	}
	var seen []int
	waitFor(t, 10*time.Second, "progress within the tile", func() bool {
		j, _ := q.Job(ctx, j.ID)
		if len(seen) == 0 || seen[len(seen)-1] != j.Progress {
			seen = append(seen, j.Progress)
		}
		return j.Progress >= 40 && j.Progress < 100
	})
	j = waitDone(t, q, j.ID, 10*time.Second)
	if j.Progress != 100 {
		t.Errorf("final progress %d", j.Progress)
	}
	t.Logf("progress seen: %v", seen)
}

func TestLimits(t *testing.T) {
	cfg := realConfig(t)
	cfg.MaxJobsPerClient = 2
	cfg.MaxOutputCells = 100
	q := openQueue(t, cfg) // no worker: jobs stay accepted
	ctx := context.Background()
	a1, err := q.Submit(ctx, "echo", nil, SubmitOptions{Client: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Submit(ctx, "echo", nil, SubmitOptions{Client: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Submit(ctx, "echo", nil, SubmitOptions{Client: "a"}); !errors.Is(err, ErrLimit) {
		t.Errorf("third job of client a: %v, want ErrLimit", err)
	}
	if _, err := q.Submit(ctx, "echo", nil, SubmitOptions{Client: "b"}); err != nil {
		t.Errorf("client b: %v", err)
	}
	q.Dismiss(ctx, a1.ID)
	if _, err := q.Submit(ctx, "echo", nil, SubmitOptions{Client: "a"}); err != nil {
		t.Errorf("client a after a dismissal: %v", err)
	}
	// 2 months × 6 × 8 pixels × 2 reducers = 192 cells.
	if _, err := q.Submit(ctx, "temporal-aggregate", chirpsInputs(copyDataset(t, chirpsFixture)), SubmitOptions{}); !errors.Is(err, ErrLimit) {
		t.Errorf("output over the cell limit: %v, want ErrLimit", err)
	}
}

// TestClientLimitConcurrent submits many jobs of one client at once: the
// limit admits exactly MaxJobsPerClient of them, and every admitted job is
// recorded, listed and counted in the client's set.
func TestClientLimitConcurrent(t *testing.T) {
	const limit, submissions = 3, 20
	cfg := realConfig(t)
	cfg.MaxJobsPerClient = limit
	q := openQueue(t, cfg) // no worker: jobs stay accepted
	ctx := context.Background()
	var (
		wg       sync.WaitGroup
		start    = make(chan struct{})
		mu       sync.Mutex
		accepted = map[string]bool{}
		refused  int
	)
	for range submissions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			j, err := q.Submit(ctx, "echo", nil, SubmitOptions{Client: "c"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				accepted[j.ID] = true
			case errors.Is(err, ErrLimit):
				refused++
			default:
				t.Errorf("submit: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(accepted) != limit || refused != submissions-limit {
		t.Fatalf("%d accepted, %d refused; want %d and %d", len(accepted), refused, limit, submissions-limit)
	}
	members, err := q.b.rdb.SMembers(ctx, q.b.rec.clientKey("c")).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != limit {
		t.Errorf("client set %v, want the %d accepted jobs", members, limit)
	}
	for _, id := range members {
		if !accepted[id] {
			t.Errorf("client set holds %s, not an accepted job", id)
		}
	}
	jobs, _, err := q.List(ctx, ListFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	listed := 0
	for _, j := range jobs {
		if j.Client == "c" {
			listed++
			if !accepted[j.ID] || j.Status != StatusAccepted {
				t.Errorf("listed job %s (%s) was not accepted", j.ID, j.Status)
			}
		}
	}
	if listed != limit {
		t.Errorf("%d jobs of the client listed, want %d", listed, limit)
	}
}
