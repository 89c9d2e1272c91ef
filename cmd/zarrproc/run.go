package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/zarrproc/zarrproc/chunks"
	"github.com/zarrproc/zarrproc/chunks/memo"
	"github.com/zarrproc/zarrproc/jobs"
)

func init() {
	register("run", "run one process in this process (no Redis needed): run temporal-aggregate --help", runProcess)
}

func runProcess(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "temporal-aggregate" {
		fmt.Fprintln(stderr, "usage: zarrproc run temporal-aggregate --input URL --variable NAME --period PERIOD --reducer R[,R…] [options]")
		return errUsage
	}
	fs := flag.NewFlagSet("run temporal-aggregate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		req      chunks.Request
		reducers string
		quantile string
		bbox     string
		minCount = -1
		budget   string
		asJSON   bool
		conc     int
		cpuprof  string
		cacheURL string
	)
	fs.StringVar(&req.Dataset, "input", "", "source dataset `URL` (file path, file://, s3://, gs://, https://)")
	fs.StringVar(&req.Variable, "variable", "", "variable `NAME`")
	fs.StringVar(&req.Period, "period", "", "day, week, epi-week, week-wednesday, week-thursday, week-saturday, week-sunday, dekad, month, quarter, season, year, all, month-of-year, day-of-year")
	fs.StringVar(&reducers, "reducer", "", "comma-separated reducers: count, sum, mean, min, max, std, var, median, quantile, first, last")
	fs.StringVar(&quantile, "quantile", "", "q in [0, 1] for the quantile reducer")
	fs.StringVar(&req.Time, "time", "", "time interval `START/END`, both inclusive, .. for open")
	fs.StringVar(&bbox, "bbox", "", "`W,S,E,N` in the dataset's coordinates; pixels whose centres are inside are kept")
	fs.IntVar(&minCount, "min-count", -1, "valid values a group needs (default 1; 0 = xarray's all-NaN sum of 0)")
	fs.IntVar(&req.Ddof, "ddof", 0, "delta degrees of freedom of std and var")
	fs.BoolVar(&req.DropPartial, "drop-partial", false, "drop periods the data does not cover completely")
	fs.StringVar(&req.UTCOffset, "utc-offset", "", "`±HH:MM` local day boundaries for sub-daily data")
	fs.StringVar(&req.Output, "output", "", "output store `URL` (default: <variable>_<period>.zarr in the current folder)")
	fs.StringVar(&req.Format, "format", "zarr3", "output format: zarr3 or zarr2")
	fs.BoolVar(&asJSON, "json", false, "print the summary as JSON")
	fs.IntVar(&conc, "concurrency", envInt("ZARRPROC_CONCURRENCY", 0), "tiles in flight (default: number of CPUs; env ZARRPROC_CONCURRENCY)")
	fs.StringVar(&budget, "memory-budget", envOr("ZARRPROC_MEMORY_BUDGET", "192MiB"), "memory budget, e.g. 512MiB, 2GiB (env ZARRPROC_MEMORY_BUDGET)")
	fs.StringVar(&cpuprof, "cpuprofile", "", "write a CPU profile (pprof) to `FILE`")
	fs.StringVar(&cacheURL, "cache-redis-url", os.Getenv("ZARRPROC_CACHE_REDIS_URL"), "memoize per-chunk partial states in this Redis (`URL`, allkeys-lru; env ZARRPROC_CACHE_REDIS_URL; empty: no cache)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("unexpected argument %q", pos[0])
	}
	req.Reducers = splitComma(reducers)
	if quantile != "" {
		q, err := strconv.ParseFloat(quantile, 64)
		if err != nil {
			return fmt.Errorf("--quantile: %q is not a number", quantile)
		}
		req.Quantile = &q
	}
	if bbox != "" {
		b, err := parseBBox(bbox)
		if err != nil {
			return fmt.Errorf("--bbox: %w", err)
		}
		req.BBox = &b
	}
	if minCount >= 0 {
		req.MinCount = &minCount
	}
	if req.Output == "" && req.Variable != "" && req.Period != "" {
		req.Output = fmt.Sprintf("%s_%s.zarr", req.Variable, req.Period)
	}
	mem, err := jobs.ParseBytes(budget)
	if err == nil && mem <= 0 {
		err = fmt.Errorf("%q: must be more than 0", budget)
	}
	if err != nil {
		return fmt.Errorf("--memory-budget: %w", err)
	}
	// The budget is also the Go heap's soft limit, so garbage is collected
	// before the process grows past it.
	debug.SetMemoryLimit(mem)
	opts := chunks.Options{Concurrency: conc, MemoryBudget: mem}
	var bar *progressBar
	if !asJSON && isTerminal(stderr) {
		opts.Progress = func(done, total int) {
			if bar == nil {
				bar = newProgressBar(stderr, "aggregating", total)
			}
			bar.set(done)
		}
	}
	if cacheURL != "" {
		routeRedisLogs(slog.Default())
		m, err := memo.Open(cacheURL, memo.Options{})
		if err != nil {
			return fmt.Errorf("--cache-redis-url: %w", err)
		}
		defer m.Close()
		opts.Memo = m
	}
	if cpuprof != "" {
		f, err := os.Create(cpuprof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	sum, err := chunks.Run(ctx, req, opts)
	if bar != nil {
		bar.finish()
	}
	if err != nil {
		var ie *chunks.InputError
		if errors.As(err, &ie) {
			return fmt.Errorf("--%s: %s", flagOf(ie.Input), ie.Reason)
		}
		return err
	}
	if asJSON {
		return json.NewEncoder(stdout).Encode(sum)
	}
	fmt.Fprintf(stdout, "wrote %s: %s (%d periods, shape %s)\n", sum.Output, strings.Join(sum.Variables, ", "), sum.Periods, joinInts(sum.Shape, "×"))
	fmt.Fprintf(stdout, "read %d chunks, %.1f MB in %.2fs (%.0f MB/s), %d tiles\n", sum.Chunks, float64(sum.BytesRead)/1e6,
		sum.Seconds, float64(sum.BytesRead)/1e6/max(sum.Seconds, 1e-9), sum.Tiles)
	if opts.Memo != nil {
		fc := sum.FromCache
		fmt.Fprintf(stdout, "from cache: %d hits, %d misses, %d bypasses, %d too big; %.1f MB not read; %d output chunks as kept\n",
			fc.Hits, fc.Misses, fc.Bypasses, fc.TooBig, float64(fc.BytesSaved)/1e6, fc.OutputChunks)
	}
	return nil
}

// flagOf maps a process input name to this command's flag.
func flagOf(input string) string {
	switch input {
	case "dataset":
		return "input"
	case "reducers":
		return "reducer"
	case "output_format":
		return "format"
	}
	return strings.ReplaceAll(input, "_", "-")
}

func parseBBox(s string) ([4]float64, error) {
	var b [4]float64
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return b, fmt.Errorf("want W,S,E,N, got %q", s)
	}
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return b, fmt.Errorf("%q is not a number", p)
		}
		b[i] = v
	}
	return b, nil
}
