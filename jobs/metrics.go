package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/zarrproc/zarrproc/chunks"
)

// workerMetrics are a worker's Prometheus metrics: tasks by type and
// outcome, their durations, and what tiles read. asynq's queue-level gauges
// (sizes, latency) are not here: they are the same from every worker, and
// asynq's x/metrics exporter serves them.
type workerMetrics struct {
	tasks     *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	inFlight  prometheus.Gauge
	chunks    prometheus.Counter
	bytesRead prometheus.Counter
	cache     *prometheus.CounterVec
	outputs   prometheus.Counter
}

func newWorkerMetrics() *workerMetrics {
	return &workerMetrics{
		tasks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zarrproc_worker_tasks_total",
			Help: "Tasks handled, by type (job:plan, job:tile, job:finalize, job:callback) and outcome (ok, error: retried, failed: not retried).",
		}, []string{"type", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "zarrproc_worker_task_seconds",
			Help:    "Time to handle a task, by type.",
			Buckets: prometheus.ExponentialBuckets(0.005, 4, 10),
		}, []string{"type"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "zarrproc_worker_tasks_in_flight",
			Help: "Tasks running now.",
		}),
		chunks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "zarrproc_worker_chunks_read_total",
			Help: "Source chunks fetched by tiles (a memo hit fetches none).",
		}),
		bytesRead: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "zarrproc_worker_bytes_read_total",
			Help: "Source bytes fetched by tiles.",
		}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zarrproc_worker_memo_total",
			Help: "Memo outcomes of tiles' (tile, time chunk) units: hit, miss, bypass (cache Redis away), too_big.",
		}, []string{"outcome"}),
		outputs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "zarrproc_worker_memo_output_chunks_total",
			Help: "Output chunks tiles wrote as the memo kept them, without finalizing (one per output variable and chunk).",
		}),
	}
}

func (m *workerMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.tasks, m.duration, m.inFlight, m.chunks, m.bytesRead, m.cache, m.outputs}
}

// middleware measures every task the worker handles.
func (m *workerMetrics) middleware(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		m.inFlight.Inc()
		start := time.Now()
		err := next.ProcessTask(ctx, t)
		m.inFlight.Dec()
		m.duration.WithLabelValues(t.Type()).Observe(time.Since(start).Seconds())
		outcome := "ok"
		switch {
		case errors.Is(err, asynq.SkipRetry):
			outcome = "failed"
		case err != nil:
			outcome = "error"
		}
		m.tasks.WithLabelValues(t.Type(), outcome).Inc()
		return err
	})
}

// tile counts what a tile read, when the work reports engine stats.
func (m *workerMetrics) tile(stats any) {
	st, ok := stats.(chunks.TileStats)
	if !ok {
		return
	}
	m.chunks.Add(float64(st.Chunks))
	m.bytesRead.Add(float64(st.BytesRead))
	m.cache.WithLabelValues("hit").Add(float64(st.CacheHits))
	m.cache.WithLabelValues("miss").Add(float64(st.CacheMisses))
	m.cache.WithLabelValues("bypass").Add(float64(st.CacheBypasses))
	m.cache.WithLabelValues("too_big").Add(float64(st.CacheTooBig))
	m.outputs.Add(float64(st.OutputHits))
}

// RegisterMetrics registers the worker's metrics on reg (`zarrproc worker
// --metrics-addr` serves them).
func (w *Worker) RegisterMetrics(reg prometheus.Registerer) error {
	for _, c := range w.metrics.collectors() {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Ping checks the worker's queue Redis (for health endpoints).
func (w *Worker) Ping(ctx context.Context) error {
	if err := w.b.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("queue Redis: %w", err)
	}
	return nil
}
