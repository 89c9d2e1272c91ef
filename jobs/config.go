package jobs

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Queue names. Sync requests go to QueueInteractive, async ones to
// QueueBatch; a worker weighs them with Config.Queues.
const (
	QueueInteractive = "interactive"
	QueueBatch       = "batch"
)

// Config is the job system's configuration, shared by the API server
// (Open) and the workers (NewWorker). Zero fields take the defaults
// documented on each.
type Config struct {
	// QueueRedisURL is the Redis asynq and the job records live in
	// (ZARRPROC_QUEUE_REDIS_URL, else REDIS_URL). It should run with
	// maxmemory-policy noeviction.
	QueueRedisURL string
	// CacheRedisURL is the engine's memo Redis (ZARRPROC_CACHE_REDIS_URL);
	// empty means no memo.
	CacheRedisURL string
	// ResultsURL is the store URL outputs are written under:
	// <ResultsURL>/<jobID>.zarr (ZARRPROC_RESULTS_URL).
	ResultsURL string
	// Concurrency is the number of tasks a worker runs at once
	// (ZARRPROC_CONCURRENCY; default GOMAXPROCS).
	Concurrency int
	// MemoryBudget bounds the bytes one task may hold (ZARRPROC_MEMORY_BUDGET,
	// e.g. "512MiB"; default the engine's).
	MemoryBudget int64
	// AllowedStores are the URL prefixes a dataset must start with
	// (ZARRPROC_ALLOWED_STORES, comma-separated). Empty allows any dataset,
	// which is logged as a warning.
	AllowedStores []string
	// MaxOutputCells bounds a temporal aggregation's output: periods × rows
	// × columns × reducers (ZARRPROC_MAX_OUTPUT_CELLS; 0 = no limit). Over
	// it, Submit returns an error wrapping ErrLimit.
	MaxOutputCells int64
	// MaxJobsPerClient bounds the jobs one client (SubmitOptions.Client)
	// may have accepted or running at once (ZARRPROC_MAX_JOBS_PER_CLIENT;
	// 0 = no limit). Over it, Submit returns an error wrapping ErrLimit.
	MaxJobsPerClient int
	// Retention is how long a job record is kept after its last update, and
	// listed after its creation (default 7 days).
	Retention time.Duration
	// Queues are the queues a worker takes tasks from, with their weights
	// (default interactive:6, batch:3).
	Queues map[string]int
	// TaskTimeout bounds one task (the plan, one tile, the finalization);
	// a task over it is cancelled and retried (default 1h).
	TaskTimeout time.Duration
	// MaxRetry is how many times a failing task is retried with backoff
	// before its job fails (default 5).
	MaxRetry int
	// PollInterval is how often an idle worker looks for tasks (default
	// 100ms: pickup latency against Redis load).
	PollInterval time.Duration
	// ShutdownTimeout is how long a stopping worker lets running tasks
	// finish before handing them back to the queue (default 30s).
	ShutdownTimeout time.Duration
	// KeyPrefix prefixes every job-record key (default "zarrproc:"); asynq's
	// own keys are always "asynq:…", so two systems sharing a Redis need
	// separate databases.
	KeyPrefix string
	// Redis, when set, is used instead of dialling QueueRedisURL (zarrproc
	// dev, tests). It is not closed by Close.
	Redis redis.UniversalClient
	// CacheRedis, when set, is used for the memo instead of dialling
	// CacheRedisURL. It is not closed by Close.
	CacheRedis redis.UniversalClient
	// Logger receives structured logs (default slog.Default()).
	Logger *slog.Logger
}

// Environment variables read by ConfigFromEnv.
const (
	EnvQueueRedisURL = "ZARRPROC_QUEUE_REDIS_URL"
	EnvRedisURL      = "REDIS_URL"
	EnvCacheRedisURL = "ZARRPROC_CACHE_REDIS_URL"
	EnvResultsURL    = "ZARRPROC_RESULTS_URL"
	EnvConcurrency   = "ZARRPROC_CONCURRENCY"
	EnvMemoryBudget  = "ZARRPROC_MEMORY_BUDGET"
	EnvAllowedStores = "ZARRPROC_ALLOWED_STORES"
	EnvRetention     = "ZARRPROC_JOB_RETENTION"
	EnvPollInterval  = "ZARRPROC_POLL_INTERVAL"
	EnvMaxCells      = "ZARRPROC_MAX_OUTPUT_CELLS"
	EnvMaxClientJobs = "ZARRPROC_MAX_JOBS_PER_CLIENT"
)

// ConfigFromEnv reads the ZARRPROC_* environment variables. Malformed
// numbers are errors naming the variable.
func ConfigFromEnv() (Config, error) {
	var c Config
	c.QueueRedisURL = os.Getenv(EnvQueueRedisURL)
	if c.QueueRedisURL == "" {
		c.QueueRedisURL = os.Getenv(EnvRedisURL)
	}
	c.CacheRedisURL = os.Getenv(EnvCacheRedisURL)
	c.ResultsURL = os.Getenv(EnvResultsURL)
	c.AllowedStores = splitList(os.Getenv(EnvAllowedStores))
	var errs []error
	if v := os.Getenv(EnvConcurrency); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("%s=%q: not a count", EnvConcurrency, v))
		}
		c.Concurrency = n
	}
	if v := os.Getenv(EnvMemoryBudget); v != "" {
		n, err := ParseBytes(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvMemoryBudget, err))
		}
		c.MemoryBudget = n
	}
	if v := os.Getenv(EnvRetention); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: not a positive duration", EnvRetention, v))
		}
		c.Retention = d
	}
	if v := os.Getenv(EnvMaxCells); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("%s=%q: not a count", EnvMaxCells, v))
		}
		c.MaxOutputCells = n
	}
	if v := os.Getenv(EnvMaxClientJobs); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("%s=%q: not a count", EnvMaxClientJobs, v))
		}
		c.MaxJobsPerClient = n
	}
	if v := os.Getenv(EnvPollInterval); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: not a positive duration", EnvPollInterval, v))
		}
		c.PollInterval = d
	}
	return c, errors.Join(errs...)
}

// RegisterFlags adds the configuration's flags to fs, their defaults taken
// from c (typically ConfigFromEnv's result), so flags override the
// environment.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.QueueRedisURL, "queue-redis", c.QueueRedisURL, "queue Redis `URL` ("+EnvQueueRedisURL+", "+EnvRedisURL+")")
	fs.StringVar(&c.CacheRedisURL, "cache-redis", c.CacheRedisURL, "memo cache Redis `URL` ("+EnvCacheRedisURL+")")
	fs.StringVar(&c.ResultsURL, "results", c.ResultsURL, "store `URL` outputs are written under ("+EnvResultsURL+")")
	fs.IntVar(&c.Concurrency, "concurrency", c.Concurrency, "tasks run at once, 0 = GOMAXPROCS ("+EnvConcurrency+")")
	fs.Func("memory-budget", "bytes one task may hold, e.g. 512MiB ("+EnvMemoryBudget+")", func(s string) error {
		n, err := ParseBytes(s)
		c.MemoryBudget = n
		return err
	})
	fs.Func("allowed-stores", "comma-separated dataset URL `prefixes` ("+EnvAllowedStores+")", func(s string) error {
		c.AllowedStores = splitList(s)
		return nil
	})
	fs.DurationVar(&c.Retention, "retention", c.Retention, "how long job records are kept, 0 = 7 days ("+EnvRetention+")")
	fs.Int64Var(&c.MaxOutputCells, "max-output-cells", c.MaxOutputCells, "largest output (periods × rows × columns × reducers) a request may ask for, 0 = no limit ("+EnvMaxCells+")")
	fs.IntVar(&c.MaxJobsPerClient, "max-jobs-per-client", c.MaxJobsPerClient, "jobs one client may have accepted or running, 0 = no limit ("+EnvMaxClientJobs+")")
	fs.DurationVar(&c.PollInterval, "poll-interval", c.PollInterval, "how often an idle worker looks for tasks, 0 = 100ms ("+EnvPollInterval+")")
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Retention <= 0 {
		c.Retention = 7 * 24 * time.Hour
	}
	if len(c.Queues) == 0 {
		c.Queues = map[string]int{QueueInteractive: 6, QueueBatch: 3}
	}
	if c.TaskTimeout <= 0 {
		c.TaskTimeout = time.Hour
	}
	if c.MaxRetry <= 0 {
		c.MaxRetry = 5
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 100 * time.Millisecond
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = "zarrproc:"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.ResultsURL = strings.TrimRight(c.ResultsURL, "/")
	return c
}

// connect returns the queue Redis client, checked with a PING so that a
// wrong URL or a server that is down is a clear startup error.
func (c Config) connect(ctx context.Context) (client redis.UniversalClient, owned bool, err error) {
	if c.Redis != nil {
		client = c.Redis
	} else {
		if c.QueueRedisURL == "" {
			return nil, false, fmt.Errorf("no queue Redis: set %s (or %s) or --queue-redis", EnvQueueRedisURL, EnvRedisURL)
		}
		opts, err := redis.ParseURL(c.QueueRedisURL)
		if err != nil {
			return nil, false, fmt.Errorf("queue Redis URL %q: %w", redactURL(c.QueueRedisURL), err)
		}
		opts.DialTimeout = 2 * time.Second
		client, owned = redis.NewClient(opts), true
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pingCtx).Err(); err != nil {
		if owned {
			client.Close()
		}
		return nil, false, fmt.Errorf("queue Redis %s cannot be reached: %w", redactURL(c.QueueRedisURL), err)
	}
	return client, owned, nil
}

// redactURL hides the password of a Redis URL in messages.
func redactURL(u string) string {
	at := strings.LastIndex(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return u
	}
	return u[:scheme+3] + "***" + u[at:]
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParseBytes reads a byte size: a plain number of bytes or one with a unit
// (KB, MB, GB, TB powers of 1000; KiB, MiB, GiB, TiB powers of 1024;
// case-insensitive).
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{
		{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
		{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
		{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"b", 1},
	}
	mult := int64(1)
	lower := strings.ToLower(t)
	for _, u := range units {
		if strings.HasSuffix(lower, u.suffix) {
			mult = u.mult
			t = strings.TrimSpace(t[:len(t)-len(u.suffix)])
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || f*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("byte size %q: want a number with an optional unit (512MiB, 2GB)", s)
	}
	return int64(f * float64(mult)), nil
}
