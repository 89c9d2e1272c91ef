#!/usr/bin/env bash
# The memo cache on the CHIRPS-like store: cold vs warm, overlapping
# requests, and what a bypass costs (cache Redis refused or hung).
#
# usage: benchmarks/memo/bench.sh [ROUNDS]     (default 3)
#
# Starts a private redis-server (allkeys-lru, no persistence) on a free port
# and empties its database 0 before each cold run: never point this at a
# shared Redis. Each round runs back to back: no cache, cold, warm, warm,
# warm with the output chunks deleted (from partial states only), overlap
# (another time range, then other reducers with the same state kinds),
# bypass with the port closed, bypass with the server paused (CLIENT PAUSE).
# Prints wall time (GNU time), the run's own time from its summary (without
# process start-up: Go package init is ~30 ms here), CPU (user+sys) and the
# from_cache line of every run.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
data=benchmarks/data/chirps-like-v2.zarr
out=$(mktemp -d)
[ -d "$data" ] || { echo "no $data: run benchmarks/chirps/bench.sh once to write it" >&2; exit 1; }
go build -o bin/zarrproc ./cmd/zarrproc
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --save '' --appendonly no --maxmemory 1gb --maxmemory-policy allkeys-lru \
  --daemonize yes --pidfile "$out/redis.pid" --logfile "$out/redis.log"
trap 'kill "$(cat "$out/redis.pid")" 2>/dev/null; rm -rf "$out"' EXIT
sleep 0.3
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

run() { # label cache-url extra-args…
  local label=$1 url=$2; shift 2
  rm -rf "$out/o.zarr"
  ZARRPROC_CACHE_REDIS_URL=$url /usr/bin/time -f '%e %U %S' -o "$out/t" bin/zarrproc run temporal-aggregate \
    --input "$data" --variable precip --period month --output "$out/o.zarr" "$@" > "$out/s"
  read -r wall user sys < "$out/t"
  # run: the request from plan to consolidated metadata, from the summary
  # (what a worker pays; without process start-up and cache connection).
  printf '%-24s wall %6.2fs  run %6.2fs  cpu %6.2fs  %s\n' "$label" "$wall" \
    "$(sed -n 's/.* in \([0-9.]*\)s .*/\1/p' "$out/s")" "$(echo "$user + $sys" | bc)" \
    "$(grep -h 'from cache' "$out/s" || echo 'no cache')"
}
url=redis://127.0.0.1:$port/0
for r in $(seq "$rounds"); do
  echo "round $r ($(uptime | sed 's/.*load/load/'))"
  run "no cache" "" --reducer mean
  redis-cli -p "$port" flushdb >/dev/null
  run "cold" "$url" --reducer mean
  run "warm" "$url" --reducer mean
  run "warm" "$url" --reducer mean
  # The output chunks are the largest entries, the first an LRU cache
  # evicts: warm from the partial states alone.
  redis-cli -p "$port" --scan --pattern 'zarrproc:m:o:*' | xargs -r redis-cli -p "$port" unlink >/dev/null
  run "warm, states only" "$url" --reducer mean
  run "overlap: 2003-06/2008" "$url" --reducer mean --time 2003-06-15/2008-12-31
  run "overlap: sum,count" "$url" --reducer sum,count
  run "bypass: refused" "redis://127.0.0.1:$closed/0" --reducer mean
  redis-cli -p "$port" client pause 60000 all >/dev/null
  run "bypass: paused" "$url" --reducer mean
  redis-cli -p "$port" client unpause >/dev/null
done
echo "cache: $(redis-cli -p "$port" info memory | grep -E '^used_memory_human' | tr -d '\r'), $(redis-cli -p "$port" dbsize) keys"
