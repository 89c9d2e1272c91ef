package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/zarrproc/zarrproc/jobs"
	"github.com/zarrproc/zarrproc/ogcapi"
	"github.com/zarrproc/zarrproc/zarr"
	"github.com/zarrproc/zarrproc/zarr/dtype"
	"github.com/zarrproc/zarrproc/zarr/store"
)

func init() {
	register("dev", "the whole system in one process: embedded Redis, a sample dataset, the HTTP API and a worker", runDev)
}

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "`address` the HTTP API listens on")
	dataDir := fs.String("data", ".zarrproc-dev", "`folder` for the sample dataset and the results")
	redisURL := fs.String("redis", "", "use this queue Redis `URL` instead of an embedded one (miniredis)")
	cacheURL := fs.String("cache-redis", "", "use this memo cache Redis `URL` instead of an embedded one (miniredis)")
	concurrency := fs.Int("concurrency", 0, "tasks the worker runs at once, 0 = GOMAXPROCS")
	budget := fs.String("memory-budget", "", "bytes one task may hold, e.g. 512MiB (default the engine's)")
	verbose := fs.Bool("v", false, "log at debug level")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: zarrproc dev [flags]")
		fmt.Fprintln(stderr, "\nRuns the OGC API, a worker and an embedded Redis in one process, with a")
		fmt.Fprintln(stderr, "sample CHIRPS-like dataset written on first start and results in a local folder.")
		fs.PrintDefaults()
	}
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	routeRedisLogs(logger)

	dir, err := filepath.Abs(*dataDir)
	if err != nil {
		return err
	}
	results := filepath.Join(dir, "results")
	if err := os.MkdirAll(results, 0o755); err != nil {
		return err
	}
	sample := filepath.Join(dir, "sample", "chirps.zarr")
	if _, err := os.Stat(sample); errors.Is(err, os.ErrNotExist) {
		logger.Info("writing the sample dataset", "path", sample)
		if err := writeDevSample(ctx, sample); err != nil {
			os.RemoveAll(sample)
			return fmt.Errorf("sample dataset %s: %w", sample, err)
		}
	}

	cfg := jobs.Config{
		ResultsURL:    "file://" + filepath.ToSlash(results),
		AllowedStores: []string{"file://" + filepath.ToSlash(dir) + "/"},
		Concurrency:   *concurrency,
		Logger:        logger,
		PollInterval:  50 * time.Millisecond,
	}
	if *budget != "" {
		if cfg.MemoryBudget, err = jobs.ParseBytes(*budget); err != nil {
			return fmt.Errorf("--memory-budget: %w", err)
		}
	}
	// Two embedded Redis servers, as in production: the queue and the memo
	// cache have different eviction needs.
	if *redisURL != "" {
		cfg.QueueRedisURL = *redisURL
	} else {
		rdb, stop, err := embeddedRedis()
		if err != nil {
			return err
		}
		defer stop()
		cfg.Redis = rdb
		logger.Info("embedded queue Redis (miniredis): jobs last as long as this process")
	}
	if *cacheURL != "" {
		cfg.CacheRedisURL = *cacheURL
	} else {
		rdb, stop, err := embeddedRedis()
		if err != nil {
			return err
		}
		defer stop()
		cfg.CacheRedis = rdb
	}

	q, err := jobs.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer q.Close()
	w, err := jobs.NewWorker(ctx, cfg)
	if err != nil {
		return err
	}
	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	workerDone := make(chan error, 1)
	go func() { workerDone <- w.Run(workerCtx) }()
	defer func() {
		stopWorker()
		<-workerDone
	}()

	handler := ogcapi.New(q, ogcapi.Config{
		Ready:       q.Ping,
		Logger:      logger,
		Registry:    prometheus.NewRegistry(),
		CORSOrigins: []string{"*"},
		Title:       "zarrproc (dev)",
		Description: "zarrproc dev: one process with an embedded Redis, a worker and a sample CHIRPS-like dataset.",
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	printDevExample(stdout, "http://"+ln.Addr().String(), "file://"+filepath.ToSlash(sample), results)
	return serveUntilDone(ctx, srv, ln, logger, 10*time.Second)
}

// embeddedRedis starts miniredis. asynq runs on it (its Lua scripts, pub/sub
// cancellation and the inspector all work), but miniredis does not expire
// keys by itself: a ticker moves its clock so that job retention and
// asynq's expiring keys behave as on a real Redis.
func embeddedRedis() (redis.UniversalClient, func(), error) {
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		return nil, nil, fmt.Errorf("embedded Redis: %w", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	tick := time.NewTicker(time.Second)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				mr.FastForward(time.Second)
			}
		}
	}()
	return rdb, func() {
		tick.Stop()
		close(done)
		rdb.Close()
		mr.Close()
	}, nil
}

func printDevExample(w io.Writer, base, dataset, results string) {
	body := fmt.Sprintf(`{"inputs":{"dataset":"%s","variable":"precip","period":"month","reducers":["mean","max"],"time":"2021-01-01/2021-12-31"}}`, dataset)
	fmt.Fprintf(w, `zarrproc dev: OGC API – Processes on %s
  sample dataset: %s (precip, daily 2020–2021, 40×50)
  results:        %s

Monthly mean and max rainfall of 2021, synchronously:

  curl -s -X POST %s/processes/temporal-aggregate/execution \
    -H 'Content-Type: application/json' \
    -d '%s'

Asynchronously (returns a job; poll %s/jobs/<jobID>):

  curl -si -X POST %s/processes/temporal-aggregate/execution \
    -H 'Content-Type: application/json' -H 'Prefer: respond-async' \
    -d '%s'

`, base, dataset, results, base, body, base, base, body)
}

// writeDevSample writes a small CHIRPS-like GeoZarr store (Zarr v3): daily
// precipitation for 2020–2021 on a 40×50 grid of 0.1° over East Africa, in
// (365, 20, 25) chunks, so a request over it has 4 tiles. Values are a
// deterministic seasonal pattern with dry days, not real data.
func writeDevSample(ctx context.Context, path string) error {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return err
	}
	s, err := store.NewFile(path)
	if err != nil {
		return err
	}
	const nt, ny, nx = 731, 40, 50
	if _, err := zarr.CreateGroup(ctx, s, "", 3, map[string]any{
		"Conventions": "CF-1.8",
		"title":       "CHIRPS-like sample (synthetic), written by zarrproc dev",
	}); err != nil {
		return err
	}
	coord := func(name string, n int, first, step float64, attrs map[string]any) error {
		a, err := zarr.CreateArray(ctx, s, name, zarr.ArraySpec{Shape: []int{n}, ChunkShape: []int{n},
			DType: dtype.Float64Type, DimensionNames: []string{name}, Attributes: attrs})
		if err != nil {
			return err
		}
		v := make([]float64, n)
		for i := range v {
			v[i] = math.Round((first+float64(i)*step)*1e6) / 1e6
		}
		return zarr.Write(ctx, a, []int{0}, []int{n}, v)
	}
	if err := coord("time", nt, 0, 1, map[string]any{"units": "days since 2020-01-01", "calendar": "standard",
		"standard_name": "time", "axis": "T"}); err != nil {
		return err
	}
	if err := coord("latitude", ny, -4.95, 0.1, map[string]any{"units": "degrees_north", "standard_name": "latitude", "axis": "Y"}); err != nil {
		return err
	}
	if err := coord("longitude", nx, 30.05, 0.1, map[string]any{"units": "degrees_east", "standard_name": "longitude", "axis": "X"}); err != nil {
		return err
	}
	precip, err := zarr.CreateArray(ctx, s, "precip", zarr.ArraySpec{
		Shape: []int{nt, ny, nx}, ChunkShape: []int{365, 20, 25}, DType: dtype.Float32Type,
		FillValue: float32(-9999), DimensionNames: []string{"time", "latitude", "longitude"},
		Attributes: map[string]any{"units": "mm/day", "long_name": "Climate Hazards group InfraRed Precipitation (synthetic)",
			"standard_name": "precipitation_amount", "_FillValue": -9999.0},
	})
	if err != nil {
		return err
	}
	data := make([]float32, nt*ny*nx)
	rng := uint64(0x9E3779B97F4A7C15)
	for t := range nt {
		// Two rainy seasons (March–May, October–December), as in East Africa.
		doy := float64(t % 365)
		season := math.Max(0, math.Sin(2*math.Pi*(doy-40)/182.5))
		for y := range ny {
			for x := range nx {
				rng ^= rng << 13
				rng ^= rng >> 7
				rng ^= rng << 17
				u := float64(rng>>11) / (1 << 53)
				v := 0.0
				if u < 0.25+0.5*season {
					v = -math.Log(1-u) * (4 + 10*season + 0.05*float64(x+y))
				}
				data[(t*ny+y)*nx+x] = float32(math.Round(v*100) / 100)
			}
		}
	}
	if err := zarr.Write(ctx, precip, []int{0, 0, 0}, []int{nt, ny, nx}, data); err != nil {
		return err
	}
	return zarr.Consolidate(ctx, s, "")
}
