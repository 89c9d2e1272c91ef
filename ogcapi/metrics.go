package ogcapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/zarrproc/zarrproc/jobs"
)

// metrics are the front end's own Prometheus metrics; the job system
// registers its task, bytes-read and cache counters on the same registry
// (Config.Registry) and /metrics serves them all.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry, svc jobs.Service) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zarrproc_http_requests_total",
			Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "zarrproc_http_request_duration_seconds",
			Help:    "HTTP request latency by route.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
		}, []string{"route"}),
	}
	// Registration errors mean a second New on the same registry: the
	// first set of collectors keeps serving, which is what a caller wants.
	_ = reg.Register(m.requests)
	_ = reg.Register(m.duration)
	_ = reg.Register(&jobsCollector{svc: svc})
	_ = reg.Register(collectors.NewGoCollector())
	_ = reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observe(route string, code int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

func (m *metrics) handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// jobsCollector reports jobs by status at scrape time, from the job
// system's own counts (one List per status, a page of one).
type jobsCollector struct {
	svc jobs.Service
}

var jobsDesc = prometheus.NewDesc("zarrproc_jobs", "Jobs by status.", []string{"status"}, nil)

func (c *jobsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- jobsDesc }

func (c *jobsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, st := range []jobs.Status{jobs.StatusAccepted, jobs.StatusRunning, jobs.StatusSuccessful, jobs.StatusFailed, jobs.StatusDismissed} {
		_, total, err := c.svc.List(ctx, jobs.ListFilter{Statuses: []jobs.Status{st}, Limit: 1})
		if err != nil {
			ch <- prometheus.NewInvalidMetric(jobsDesc, err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(total), string(st))
	}
}
