package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

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
	verbose := fs.Bool("v", false, "log at debug level")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: zarrproc worker [flags]")
		fmt.Fprintln(stderr, "\nTakes job tasks from the queue Redis until SIGTERM or SIGINT, then stops gracefully.")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fs.Usage()
		return errUsage
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
	w, err := jobs.NewWorker(ctx, cfg)
	if err != nil {
		return err
	}
	return w.Run(ctx)
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
