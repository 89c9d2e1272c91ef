package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestRedisLogsAtDebug: go-redis's failed-dial lines reach the logger at
// debug level only.
func TestRedisLogsAtDebug(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	t.Cleanup(func() { routeRedisLogs(slog.Default()) })
	dial := func(level slog.Level) string {
		var buf bytes.Buffer
		routeRedisLogs(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level})))
		rdb := redis.NewClient(&redis.Options{Addr: closed, DialTimeout: time.Second, MaxRetries: -1})
		defer rdb.Close()
		if err := rdb.Ping(context.Background()).Err(); err == nil {
			t.Fatalf("ping of closed port %s succeeded", closed)
		}
		return buf.String()
	}
	if out := dial(slog.LevelInfo); out != "" {
		t.Errorf("at info level go-redis logged %q", out)
	}
	if out := dial(slog.LevelDebug); !strings.Contains(out, "level=DEBUG") || !strings.Contains(out, "redis: ") || !strings.Contains(out, "dial") {
		t.Errorf("at debug level go-redis logged %q, want its failed dial", out)
	}
}
