package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/zarrproc/zarrproc/jobs"
)

func init() {
	register("worker", "run job tasks from the queue Redis (any number of workers, any machines)", runWorker)
}

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := jobs.ConfigFromEnv()
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterFlags(fs)
	queues := fs.String("queues", "interactive:6,batch:3", "queues to serve with their weights, `name:weight,…`")
	shutdown := fs.Duration("shutdown-timeout", 0, "how long running tasks may finish after SIGTERM before they are handed back, 0 = 30s")
	metricsAddr := fs.String("metrics-addr", os.Getenv("ZARRPROC_METRICS_ADDR"), "serve /metrics (Prometheus) and /healthz on this `address`, empty = off (ZARRPROC_METRICS_ADDR)")
	verbose := fs.Bool("v", false, "log at debug level")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: zarrproc worker [flags]")
		fmt.Fprintln(stderr, "\nTakes job tasks from the queue Redis until SIGTERM or SIGINT, then stops gracefully.")
		fs.PrintDefaults()
	}
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	if cfg.Queues, err = parseQueues(*queues); err != nil {
		return err
	}
	cfg.ShutdownTimeout = *shutdown
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})).With("component", "worker")
	routeRedisLogs(cfg.Logger)
	w, err := jobs.NewWorker(ctx, cfg)
	if err != nil {
		return err
	}
	if *metricsAddr != "" {
		if err := serveWorkerMetrics(ctx, *metricsAddr, w, cfg.Logger); err != nil {
			return err
		}
	}
	return w.Run(ctx)
}

// serveWorkerMetrics serves the worker's Prometheus metrics and a health
// check (the queue Redis answers) until ctx ends.
func serveWorkerMetrics(ctx context.Context, addr string, w *jobs.Worker, logger *slog.Logger) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := w.RegisterMetrics(reg); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, r *http.Request) {
		pctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := w.Ping(pctx); err != nil {
			http.Error(rw, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(rw, "ok")
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--metrics-addr: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	logger.Info("serving worker metrics", "addr", ln.Addr().String())
	return nil
}

// parseQueues reads "interactive:6,batch:3"; a queue without a weight gets 1.
func parseQueues(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, weight, found := strings.Cut(part, ":")
		w := 1
		if found {
			if _, err := fmt.Sscanf(weight, "%d", &w); err != nil || w <= 0 {
				return nil, fmt.Errorf("--queues: %q: the weight must be a positive integer", part)
			}
		}
		out[name] = w
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--queues: no queue in %q", s)
	}
	return out, nil
}
