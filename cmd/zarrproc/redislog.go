package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"
)

// routeRedisLogs sends go-redis's own messages to logger at debug level.
// Left alone, go-redis prints one line per failed dial of its pool, which
// buries a run's output while the cache Redis is down; the memo and the job
// system already report a Redis that is away, once, as a warning. The
// setting is process-wide: the last logger routed wins.
func routeRedisLogs(logger *slog.Logger) { redis.SetLogger(redisLogger{logger}) }

type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.DebugContext(ctx, "redis: "+strings.TrimSpace(fmt.Sprintf(format, v...)))
}
