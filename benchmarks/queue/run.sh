#!/usr/bin/env bash
# Queue overhead of the job system: tiny echo jobs through jobs.Queue +
# jobs.Worker (asynq) on a fresh redis-server (no persistence, loopback).
# Usage: bash benchmarks/queue/run.sh [ROUNDS] [JOBS]   (from the repository root)
#   ROUNDS  benchmark rounds (default 3); JOBS  jobs per round (default 500).
#   ZARRPROC_BENCH_CONCURRENCY  worker concurrency (default 8);
#   ZARRPROC_POLL_INTERVAL      idle poll interval (default 100ms).
# Reports, per round: submitted/s and finished/s for a burst of JOBS async
# jobs, the pickup latency (job created -> its first task started) under
# that burst, and for one job at a time on an idle worker the pickup and
# submit -> done latency (p50/p95).
set -euo pipefail
ROUNDS=${1:-3}
JOBS=${2:-500}
command -v redis-server >/dev/null || { echo "redis-server not found (scripts/deps-apt.sh)" >&2; exit 1; }
dir=$(mktemp -d /tmp/zarrproc-queue-bench.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$dir" --daemonize no >"$dir/redis.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 50); do
	[[ "$(redis-cli -p "$port" ping 2>/dev/null)" == PONG ]] && break
	sleep 0.1
done
export ZARRPROC_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
for r in $(seq "$ROUNDS"); do
	echo "== round $r"
	go test ./jobs -run '^$' -bench '^BenchmarkQueue' -benchtime "${JOBS}x" 2>/dev/null | grep '^Benchmark'
done
