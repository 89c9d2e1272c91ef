#!/usr/bin/env bash
# services.sh start|stop WORKDIR
#
# start: runs the real services the tests use, on 127.0.0.1 only and on free
#   ports: redis-server (no persistence), MinIO (data in WORKDIR) and
#   fake-gcs-server (in memory). Waits until each answers, then writes
#   WORKDIR/services.env (KEY=VALUE lines for `set -a; source`).
#   A service that does not come up fails the start, naming it and printing
#   its log; whatever did start is stopped again.
# stop: stops what start started, by the pid files it left in WORKDIR.
#
# The binaries come from deps-apt.sh (redis-server) and deps-go-tools.sh
# (minio, fake-gcs-server in $ZARRPROC_TOOLS_BIN).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

usage() { echo "usage: $0 start|stop WORKDIR" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
cmd=$1
workdir=$2

# Seconds each service gets to answer; MinIO initialises its data dir first.
READY_TIMEOUT=${ZARRPROC_SERVICES_TIMEOUT:-60}
SERVICES=(redis minio fake-gcs)

# free_port prints a TCP port nothing listens on now. Another process could
# take it before the service binds; the readiness check then fails clearly.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# launch NAME CMD...: start CMD in the background, in its own session so a
# signal to the caller's process group does not reach it, log and pid in
# WORKDIR.
launch() {
	local name=$1
	shift
	setsid "$@" >"$workdir/$name.log" 2>&1 </dev/null &
	echo $! >"$workdir/$name.pid"
}

# wait_ready NAME CHECK...: run CHECK until it succeeds, the service dies, or
# READY_TIMEOUT passes.
wait_ready() {
	local name=$1
	shift
	local pid deadline=$((SECONDS + READY_TIMEOUT))
	pid=$(cat "$workdir/$name.pid")
	until "$@" >/dev/null 2>&1; do
		if ! kill -0 "$pid" 2>/dev/null; then
			fail "$name exited before it was ready"
		fi
		if ((SECONDS >= deadline)); then
			fail "$name was not ready after ${READY_TIMEOUT}s"
		fi
		sleep 0.2
	done
	echo "services: $name ready (pid $pid)"
}

fail() {
	echo "services: $1; its log:" >&2
	local name=${1%% *}
	sed 's/^/    /' "$workdir/$name.log" >&2 || true
	stop_all
	exit 1
}

redis_ready() { [[ "$(redis-cli -h 127.0.0.1 -p "$1" ping)" == PONG ]]; }
http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

# stop_one NAME: TERM the process named in NAME.pid, KILL it after 10s.
# Checks the pid still belongs to a process we started (its command line
# names the binary) so that a stale pid file never kills a stranger.
stop_one() {
	local name=$1 pidfile="$workdir/$1.pid" pid bin
	[[ -f "$pidfile" ]] || return 0
	pid=$(cat "$pidfile")
	case $name in
	redis) bin=redis-server ;;
	minio) bin=minio ;;
	fake-gcs) bin=fake-gcs-server ;;
	esac
	if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' </proc/"$pid"/cmdline | grep -q -- "$bin"; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$pid" 2>/dev/null || true
		echo "services: stopped $name (pid $pid)"
	fi
	rm -f "$pidfile"
}

stop_all() {
	local name
	for name in "${SERVICES[@]}"; do
		stop_one "$name"
	done
}

start() {
	mkdir -p "$workdir"
	local bin name
	for name in "${SERVICES[@]}"; do
		if [[ -f "$workdir/$name.pid" ]] && kill -0 "$(cat "$workdir/$name.pid")" 2>/dev/null; then
			echo "services: $name already running in $workdir; run: $0 stop $workdir" >&2
			exit 1
		fi
	done
	for bin in redis-server redis-cli curl minio fake-gcs-server; do
		command -v "$bin" >/dev/null ||
			{ echo "services: $bin not found; run scripts/deps-apt.sh and scripts/deps-go-tools.sh" >&2; exit 1; }
	done

	local redis_port minio_port minio_console_port gcs_port
	redis_port=$(free_port)
	minio_port=$(free_port)
	minio_console_port=$(free_port)
	gcs_port=$(free_port)

	mkdir -p "$workdir/redis"
	launch redis redis-server --bind 127.0.0.1 --port "$redis_port" \
		--save '' --appendonly no --dir "$workdir/redis" --daemonize no

	# Test-only credentials for a server bound to loopback.
	local s3_user=zarrproc-test s3_password
	s3_password="zarrproc-test-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
	mkdir -p "$workdir/minio-data"
	MINIO_ROOT_USER=$s3_user MINIO_ROOT_PASSWORD=$s3_password \
		MINIO_BROWSER=off MINIO_UPDATE=off \
		launch minio minio server --quiet \
		--address "127.0.0.1:$minio_port" \
		--console-address "127.0.0.1:$minio_console_port" \
		"$workdir/minio-data"

	# -public-host: fake-gcs-server serves path-style downloads (the XML API
	# the Go library reads objects with) only for requests to that host.
	launch fake-gcs fake-gcs-server -scheme http -host 127.0.0.1 -port "$gcs_port" \
		-backend memory -log-level warn \
		-external-url "http://127.0.0.1:$gcs_port" -public-host "127.0.0.1:$gcs_port"

	wait_ready redis redis_ready "$redis_port"
	wait_ready minio http_ok "http://127.0.0.1:$minio_port/minio/health/ready"
	wait_ready fake-gcs http_ok "http://127.0.0.1:$gcs_port/storage/v1/b"

	cat >"$workdir/services.env" <<EOF
ZARRPROC_TEST_REDIS_URL=redis://127.0.0.1:$redis_port/0
ZARRPROC_TEST_S3_ENDPOINT=http://127.0.0.1:$minio_port
ZARRPROC_TEST_S3_ACCESS_KEY=$s3_user
ZARRPROC_TEST_S3_SECRET_KEY=$s3_password
ZARRPROC_TEST_GCS_HOST=127.0.0.1:$gcs_port
EOF
	echo "services: endpoints in $workdir/services.env"
}

case $cmd in
start) start ;;
stop) stop_all ;;
*) usage ;;
esac
