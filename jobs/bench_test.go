package jobs

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zarrproc/zarrproc/zarr/store/storetest"
)

// Queue overhead benchmarks (benchmarks/queue/run.sh runs them against a
// fresh redis-server): tiny echo jobs through the whole system, one
// in-process worker. ZARRPROC_BENCH_CONCURRENCY sets the worker's
// concurrency (default 8), ZARRPROC_POLL_INTERVAL its idle poll interval
// (default 100ms).

func benchSystem(b *testing.B) *Queue {
	u := storetest.RequireEnv(b, "ZARRPROC_TEST_REDIS_URL")
	opts, err := redis.ParseURL(u)
	if err != nil {
		b.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	b.Cleanup(func() { rdb.Close() })
	cfg := Config{
		Redis:       rdb,
		KeyPrefix:   "bench:" + newJobID()[:8] + ":",
		Logger:      testLogger(b),
		Concurrency: 8,
	}
	if n, err := strconv.Atoi(os.Getenv("ZARRPROC_BENCH_CONCURRENCY")); err == nil {
		cfg.Concurrency = n
	}
	if d, err := time.ParseDuration(os.Getenv(EnvPollInterval)); err == nil {
		cfg.PollInterval = d
	}
	q, err := Open(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { q.Close() })
	w, err := NewWorker(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	return q
}

// BenchmarkQueueBurst submits b.N echo jobs back to back, then waits for
// all: submitted/s, finished/s (from the first submit to the last job
// done), and the pickup latency (job created → its first task started)
// under that load.
func BenchmarkQueueBurst(b *testing.B) {
	q := benchSystem(b)
	ctx := context.Background()
	ids := make([]string, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := range ids {
		j, err := q.Submit(ctx, "echo", map[string]any{"integerInput": float64(i)}, SubmitOptions{Async: true})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = j.ID
	}
	submitted := time.Since(start)
	var pickups []time.Duration
	for _, id := range ids {
		j, err := q.Wait(ctx, id, time.Minute)
		if err != nil || j.Status != StatusSuccessful {
			b.Fatalf("job %s: %v %v", id, j, err)
		}
		pickups = append(pickups, j.Started.Sub(j.Created))
	}
	finished := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/submitted.Seconds(), "submitted/s")
	b.ReportMetric(float64(b.N)/finished.Seconds(), "finished/s")
	reportPercentiles(b, pickups, "pickup")
}

// BenchmarkQueuePickup submits one echo job at a time to an idle worker
// and waits for it: the latency from submit to the first (here the only)
// task started, and from submit to done, with the default poll interval.
func BenchmarkQueuePickup(b *testing.B) {
	q := benchSystem(b)
	ctx := context.Background()
	var pickups, totals []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		j, err := q.Submit(ctx, "echo", map[string]any{"integerInput": float64(i)}, SubmitOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if j, err = q.Wait(ctx, j.ID, time.Minute); err != nil || j.Status != StatusSuccessful {
			b.Fatalf("job %v: %v", j, err)
		}
		totals = append(totals, time.Since(start))
		pickups = append(pickups, j.Started.Sub(j.Created))
	}
	b.StopTimer()
	reportPercentiles(b, pickups, "pickup")
	reportPercentiles(b, totals, "done")
}

func reportPercentiles(b *testing.B, ds []time.Duration, name string) {
	slices.Sort(ds)
	at := func(p float64) float64 {
		return float64(ds[min(len(ds)-1, int(p*float64(len(ds))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.5), name+"_p50_ms")
	b.ReportMetric(at(0.95), name+"_p95_ms")
}
