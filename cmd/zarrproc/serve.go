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
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/zarrproc/zarrproc/jobs"
	"github.com/zarrproc/zarrproc/ogcapi"
)

func init() {
	register("serve", "serve OGC API – Processes over the queue Redis (workers run the jobs)", runServe)
}

// Environment fallbacks of serve's own flags (the job system's are in jobs).
const (
	envAddr        = "ZARRPROC_ADDR"
	envBaseURL     = "ZARRPROC_BASE_URL"
	envAPITokens   = "ZARRPROC_API_TOKENS"
	envAdminTokens = "ZARRPROC_ADMIN_TOKENS"
	envCORSOrigins = "ZARRPROC_CORS_ORIGINS"
	envMaxBody     = "ZARRPROC_MAX_BODY"
	envSyncWait    = "ZARRPROC_SYNC_WAIT"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := jobs.ConfigFromEnv()
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterFlags(fs)
	addr := fs.String("addr", envOr(envAddr, ":8080"), "`address` to listen on ("+envAddr+")")
	baseURL := fs.String("base-url", os.Getenv(envBaseURL), "public `URL` of the API root for links, empty = from each request ("+envBaseURL+")")
	tokens := fs.String("api-tokens", os.Getenv(envAPITokens), "comma-separated bearer `tokens` (TOKEN or NAME:TOKEN) guarding execution and dismissal ("+envAPITokens+")")
	admins := fs.String("admin-tokens", os.Getenv(envAdminTokens), "comma-separated bearer `tokens` guarding POST /cache/clear and /cache/invalidate; empty = the API tokens ("+envAdminTokens+")")
	cors := fs.String("cors-origins", envOr(envCORSOrigins, "*"), "comma-separated `origins` browsers may call from, * for any, empty for none ("+envCORSOrigins+")")
	maxBody := fs.String("max-body", envOr(envMaxBody, "1MiB"), "largest execute request `size` ("+envMaxBody+")")
	syncWait := fs.String("sync-wait", envOr(envSyncWait, "30s"), "how long a synchronous execution waits before answering with its job ("+envSyncWait+")")
	verbose := fs.Bool("v", false, "log at debug level")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: zarrproc serve [flags]")
		fmt.Fprintln(stderr, "\nServes OGC API – Processes until SIGTERM or SIGINT; run `zarrproc worker` for the jobs.")
		fs.PrintDefaults()
	}
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	body, err := jobs.ParseBytes(*maxBody)
	if err != nil || body <= 0 {
		return fmt.Errorf("--max-body %q: want a size such as 1MiB", *maxBody)
	}
	wait, err := time.ParseDuration(*syncWait)
	if err != nil || wait <= 0 {
		if n, nerr := strconv.Atoi(*syncWait); nerr == nil && n > 0 {
			wait, err = time.Duration(n)*time.Second, nil
		} else {
			return fmt.Errorf("--sync-wait %q: want a duration such as 30s", *syncWait)
		}
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})).With("component", "serve")
	cfg.Logger = logger
	routeRedisLogs(logger)
	if cfg.QueueRedisURL == "" && cfg.Redis == nil {
		return fmt.Errorf("no queue Redis: set --queue-redis, %s or %s", jobs.EnvQueueRedisURL, jobs.EnvRedisURL)
	}
	q, err := jobs.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer q.Close()

	handler := ogcapi.New(q, ogcapi.Config{
		BaseURL:      *baseURL,
		Tokens:       splitComma(*tokens),
		AdminTokens:  splitComma(*admins),
		MaxBodyBytes: body,
		SyncWait:     wait,
		CORSOrigins:  splitComma(*cors),
		Ready:        q.Ping,
		Logger:       logger,
		Registry:     prometheus.NewRegistry(),
	})
	if len(splitComma(*tokens)) == 0 {
		logger.Warn("no API tokens: anyone who reaches the server may execute and dismiss jobs", "env", envAPITokens)
	}
	srv := &http.Server{
		Addr:              *addr,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		// A synchronous execution holds its response for up to the wait.
		WriteTimeout: wait + time.Minute,
		IdleTimeout:  2 * time.Minute,
		BaseContext:  func(net.Listener) context.Context { return ctx },
		ErrorLog:     slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	logger.Info("serving OGC API – Processes", "addr", ln.Addr().String(), "base_url", *baseURL)
	return serveUntilDone(ctx, srv, ln, logger, 30*time.Second)
}

// splitComma splits a comma-separated list, dropping empty items.
func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
