package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/zarrproc/zarrproc/zarr/store/storetest"
)

// Tests against a real redis-server use ZARRPROC_TEST_REDIS_URL (set by
// `make test`); for a local run:
//
//	redis-server --port 6399 --save '' --daemonize yes
//	ZARRPROC_TEST_REDIS_URL=redis://127.0.0.1:6399/0 go test ./jobs
//
// asynq's keys are always "asynq:…", so each test takes its own Redis
// database (testDBFirst and up) and deletes the asynq keys in it first; job
// records get a per-test key prefix.
const testDBFirst = 9

var nextTestDB atomic.Int32

// realRedisURL returns the URL of a database of the test Redis for this
// test alone, emptied of asynq keys.
func realRedisURL(t *testing.T) string {
	t.Helper()
	base := storetest.RequireEnv(t, "ZARRPROC_TEST_REDIS_URL")
	opts, err := redis.ParseURL(base)
	if err != nil {
		t.Fatalf("ZARRPROC_TEST_REDIS_URL: %v", err)
	}
	opts.DB = testDBFirst + int(nextTestDB.Add(1)-1)%(16-testDBFirst)
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, "asynq:*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("test Redis %s: %v", base, err)
	}
	if len(keys) > 0 {
		rdb.Unlink(ctx, keys...)
	}
	return fmt.Sprintf("redis://%s/%d", opts.Addr, opts.DB)
}

func testLogger(testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func testConfig(t *testing.T) Config {
	return Config{
		KeyPrefix:    "test:" + t.Name() + ":" + newJobID()[:8] + ":",
		ResultsURL:   "file://" + t.TempDir(),
		Logger:       testLogger(t),
		PollInterval: 20 * time.Millisecond,
		Concurrency:  4,
	}
}

// startWorker runs an in-process worker until the test ends.
func startWorker(t *testing.T, cfg Config) *Worker {
	t.Helper()
	w, err := NewWorker(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	})
	return w
}

func openQueue(t *testing.T, cfg Config) *Queue {
	t.Helper()
	q, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

func miniConfig(t *testing.T) Config {
	mr := miniredis.RunT(t)
	cfg := testConfig(t)
	cfg.Redis = redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { cfg.Redis.Close() })
	return cfg
}

func waitDone(t *testing.T, q *Queue, id string, timeout time.Duration) *Job {
	t.Helper()
	j, err := q.Wait(context.Background(), id, timeout)
	if err != nil {
		t.Fatal(err)
	}
	if !j.Status.Done() {
		t.Fatalf("job %s still %s (%d/%d tiles) after %v", id, j.Status, j.Done, j.Total, timeout)
	}
	return j
}

func TestEchoMiniredis(t *testing.T) {
	cfg := miniConfig(t)
	q := openQueue(t, cfg)
	startWorker(t, cfg)
	ctx := context.Background()
	in := map[string]any{"stringInput": "hello", "doubleInput": 2.5, "arrayInput": []any{1.0, "a"}}
	j, err := q.Submit(ctx, "echo", in, SubmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != StatusAccepted {
		t.Errorf("new job status %s", j.Status)
	}
	j = waitDone(t, q, j.ID, 10*time.Second)
	if j.Status != StatusSuccessful || j.Progress != 100 || j.Done != 1 || j.Total != 1 {
		t.Fatalf("job %+v", j)
	}
	res, err := q.Results(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res["stringInput"] != "hello" || res["doubleInput"] != 2.5 {
		t.Errorf("results %v", res)
	}
}

func TestSubmitValidation(t *testing.T) {
	cfg := miniConfig(t)
	cfg.AllowedStores = []string{"s3://chirps/"}
	q := openQueue(t, cfg)
	ctx := context.Background()
	cases := []struct {
		process string
		inputs  map[string]any
		input   string // the *InputError's Input, "" for another error
		is      error
	}{
		{"nope", nil, "", ErrNoSuchProcess},
		{"echo", map[string]any{"bogus": 1.0}, "bogus", nil},
		{"echo", map[string]any{"doubleInput": "x"}, "doubleInput", nil},
		{"echo", map[string]any{"pause": -1.0}, "pause", nil},
		{"echo", map[string]any{"tiles": 1.5}, "tiles", nil},
		{"temporal-aggregate", map[string]any{"variable": "precip", "period": "month"}, "dataset", nil},
		{"temporal-aggregate", map[string]any{"dataset": "s3://chirps/x.zarr", "variable": "precip", "period": "fortnight"}, "period", nil},
		{"temporal-aggregate", map[string]any{"dataset": "s3://chirps/x.zarr", "variable": "precip", "period": "month", "reducers": []any{"mean", "avg"}}, "reducers", nil},
		{"temporal-aggregate", map[string]any{"dataset": "s3://chirps/x.zarr", "variable": "precip", "period": "month", "reducers": []any{"quantile"}}, "quantile", nil},
		{"temporal-aggregate", map[string]any{"dataset": "s3://chirps/x.zarr", "variable": "precip", "period": "month", "time": "2020-01-01"}, "time", nil},
		{"temporal-aggregate", map[string]any{"dataset": "s3://chirps/x.zarr", "variable": "precip", "period": "month", "bbox": map[string]any{"bbox": []any{1.0, 2.0, 3.0}}}, "bbox", nil},
		{"temporal-aggregate", map[string]any{"dataset": "s3://chirps/x.zarr", "variable": "precip", "period": "month", "bbox": map[string]any{"bbox": []any{0.0, 5.0, 3.0, 2.0}}}, "bbox", nil},
		{"temporal-aggregate", map[string]any{"dataset": "s3://chirps/x.zarr", "variable": "precip", "period": "month", "utc_offset": "+25:00"}, "utc_offset", nil},
		{"temporal-aggregate", map[string]any{"dataset": "s3://chirps/x.zarr", "variable": "precip", "period": "month", "output_format": "netcdf"}, "output_format", nil},
		{"temporal-aggregate", map[string]any{"dataset": "s3://other/x.zarr", "variable": "precip", "period": "month"}, "", ErrForbidden},
		{"temporal-aggregate", map[string]any{"dataset": "s3://chirps/../other/x.zarr", "variable": "precip", "period": "month"}, "", ErrForbidden},
	}
	for _, c := range cases {
		_, err := q.Submit(ctx, c.process, c.inputs, SubmitOptions{})
		var ie *InputError
		switch {
		case c.input != "":
			if !errors.As(err, &ie) || ie.Input != c.input {
				t.Errorf("%s %v: got %v, want an InputError on %q", c.process, c.inputs, err, c.input)
			}
		case !errors.Is(err, c.is):
			t.Errorf("%s %v: got %v, want %v", c.process, c.inputs, err, c.is)
		}
	}
	_, err := q.Submit(ctx, "echo", nil, SubmitOptions{Subscriber: &Subscriber{SuccessURI: "file:///etc/passwd"}})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Input != "subscriber.successUri" {
		t.Errorf("bad subscriber: %v", err)
	}
}

func TestStartupErrorNamesRedis(t *testing.T) {
	_, err := Open(context.Background(), Config{QueueRedisURL: "redis://127.0.0.1:1/0", Logger: testLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "queue Redis") || !strings.Contains(err.Error(), "cannot be reached") {
		t.Fatalf("got %v", err)
	}
	_, err = Open(context.Background(), Config{Logger: testLogger(t)})
	if err == nil || !strings.Contains(err.Error(), EnvQueueRedisURL) {
		t.Fatalf("no URL: got %v", err)
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"512MiB": 512 << 20, "2GB": 2e9, "1024": 1024, "1.5k": 1536, "3 GiB": 3 << 30} {
		got, err := ParseBytes(in)
		if err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "-1MB", "1XB"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q): no error", in)
		}
	}
}
