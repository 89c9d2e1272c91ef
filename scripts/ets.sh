#!/usr/bin/env bash
# Runs the OGC Executable Test Suite for OGC API – Processes 1.0
# (ets-ogcapi-processes10, standalone with Java 17) against a server.
#
#   scripts/ets.sh URL       test the server whose landing page is URL
#   scripts/ets.sh           start redis-server, `zarrproc serve` and
#                            `zarrproc worker` on free ports, test them, stop
#   scripts/ets.sh --fake    the same with the front end over the in-memory
#                            job system of the ogcapi tests (TestServeForETS)
#
# The suite's all-in-one jar is looked for, in order: $ETS_JAR; the cache
# (~/.cache/zarrproc/ets); Maven Central (org.opengis.cite:
# ets-ogcapi-processes10:$ETS_VERSION:jar:aio, via $MAVEN_REPO); a build of
# the release tag from GitHub with mvn. Results: $ETS_OUT (default
# ~/.cache/zarrproc/ets/results/<time>), a summary on stdout, exit 1 on any
# failed check.
#
# Known failures without the internet: the suite validates some responses
# against schemas it fetches from schemas.opengis.net at run time, and its
# input-by-reference test makes the server fetch a file from
# raw.githubusercontent.com.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

ETS_VERSION=${ETS_VERSION:-1.3}
MAVEN_REPO=${MAVEN_REPO:-https://repo.maven.apache.org/maven2}
ETS_GIT=${ETS_GIT:-https://github.com/opengeospatial/ets-ogcapi-processes10.git}
ETS_DIR="$ZARRPROC_CACHE_DIR/ets"
ECHO_PROCESS=${ETS_ECHO_PROCESS:-echo}
mkdir -p "$ETS_DIR"

die() { echo "ets.sh: $*" >&2; exit 2; }

command -v java >/dev/null || die "java (17+) is not installed"
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
[ "${java_major:-0}" -ge 17 ] || die "Java 17 or later is needed, found ${java_major:-none}"

find_jar() {
  if [ -n "${ETS_JAR:-}" ]; then
    [ -f "$ETS_JAR" ] || die "ETS_JAR=$ETS_JAR does not exist"
    echo "$ETS_JAR"; return
  fi
  local jar="$ETS_DIR/ets-ogcapi-processes10-$ETS_VERSION-aio.jar"
  if [ -s "$jar" ]; then echo "$jar"; return; fi
  local url="$MAVEN_REPO/org/opengis/cite/ets-ogcapi-processes10/$ETS_VERSION/ets-ogcapi-processes10-$ETS_VERSION-aio.jar"
  echo "ets.sh: fetching $url" >&2
  if curl -fsSL -o "$jar.part" "$url" 2>/dev/null; then
    mv "$jar.part" "$jar"; echo "$jar"; return
  fi
  rm -f "$jar.part"
  echo "ets.sh: not on $MAVEN_REPO; building tag $ETS_VERSION from $ETS_GIT" >&2
  command -v mvn >/dev/null || die "mvn is needed to build the suite"
  local src="$ETS_DIR/src-$ETS_VERSION"
  if [ ! -d "$src/.git" ]; then
    rm -rf "$src"
    git clone -q --depth 1 --branch "$ETS_VERSION" "$ETS_GIT" "$src" ||
      die "cannot clone $ETS_GIT (set ETS_JAR to a downloaded ets-ogcapi-processes10-*-aio.jar)"
  fi
  (cd "$src" && mvn -q -B -DskipTests -Dmaven.javadoc.skip=true -Dmaven.site.skip=true package) >&2 ||
    die "building the suite in $src failed"
  cp "$src"/target/ets-ogcapi-processes10-*-aio.jar "$jar"
  echo "$jar"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_for() { # url
  for _ in $(seq 1 300); do
    curl -fs -o /dev/null "$1" && return 0
    sleep 0.2
  done
  die "$1 did not answer"
}

JAR=$(find_jar)
RUN_DIR=$(mktemp -d)
case "${1:-}" in
  "")
    command -v redis-server >/dev/null || die "redis-server is not installed (scripts/deps-apt.sh)"
    rport=$(free_port); port=$(free_port)
    redis-server --port "$rport" --save '' --appendonly no --maxmemory-policy noeviction >"$RUN_DIR/redis.log" 2>&1 &
    pids+=($!)
    go build -o "$RUN_DIR/zarrproc" ./cmd/zarrproc
    export ZARRPROC_QUEUE_REDIS_URL="redis://127.0.0.1:$rport/0" ZARRPROC_RESULTS_URL="file://$RUN_DIR/results"
    "$RUN_DIR/zarrproc" worker >"$RUN_DIR/worker.log" 2>&1 &
    pids+=($!)
    "$RUN_DIR/zarrproc" serve --addr "127.0.0.1:$port" >"$RUN_DIR/serve.log" 2>&1 &
    pids+=($!)
    IUT="http://127.0.0.1:$port/"
    wait_for "${IUT}readyz"
    ;;
  --fake)
    port=$(free_port)
    # The test binary itself, not `go test`, so that its PID is the server's.
    go test -c -o "$RUN_DIR/ogcapi.test" ./ogcapi
    ZARRPROC_SERVE_ADDR="127.0.0.1:$port" ZARRPROC_SERVE_SECONDS=3600 \
      "$RUN_DIR/ogcapi.test" -test.run '^TestServeForETS$' -test.timeout 0 >"$RUN_DIR/serve.log" 2>&1 &
    pids+=($!)
    IUT="http://127.0.0.1:$port/"
    wait_for "${IUT}healthz"
    ;;
  *) IUT=$1 ;;
esac
if [ $# -eq 0 ] || [ "$1" = --fake ]; then
  # One finished job, so the job-list checks find a list that is not empty
  # whatever order the suite runs its classes in.
  curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d '{"inputs":{"stringInput":"teststring"}}' "${IUT}processes/$ECHO_PROCESS/execution" ||
    die "seeding a job at ${IUT}processes/$ECHO_PROCESS/execution failed"
fi

OUT=${ETS_OUT:-$ETS_DIR/results/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
cat >"$RUN_DIR/test-run-props.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE properties SYSTEM "http://java.sun.com/dtd/properties.dtd">
<properties version="1.0">
  <comment>ets-ogcapi-processes10 against zarrproc</comment>
  <entry key="iut">$IUT</entry>
  <entry key="echoprocessid">$ECHO_PROCESS</entry>
  <entry key="processtestlimit">3</entry>
  <entry key="testallprocesses">true</entry>
</properties>
XML
echo "ets.sh: running $(basename "$JAR") against $IUT; results in $OUT"
java -jar "$JAR" -o "$OUT" "$RUN_DIR/test-run-props.xml" >"$OUT/ets.log" 2>&1 || true
results=$(find "$OUT" -name testng-results.xml | head -1)
[ -n "$results" ] || { tail -30 "$OUT/ets.log" >&2; die "the suite wrote no testng-results.xml (log: $OUT/ets.log)"; }
python3 - "$results" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
counts, failed = {}, []
for m in root.iter("test-method"):
    if m.get("is-config") == "true":
        continue
    st = m.get("status"); counts[st] = counts.get(st, 0) + 1
    if st == "FAIL":
        msg = m.find("exception/message")
        text = (msg.text or "").strip().splitlines()[0][:300] if msg is not None and msg.text else ""
        failed.append(f"  {m.get('signature','').split('(')[0]}: {text}")
print("ets.sh: " + ", ".join(f"{k.lower()} {v}" for k, v in sorted(counts.items())))
if failed:
    print("failed checks:"); print("\n".join(failed))
sys.exit(1 if failed else 0)
PY
