#!/usr/bin/env bash
# Chunk decoding, Go (zarr/codec) vs numcodecs (C), on the same bytes.
# Usage: bash benchmarks/codec/run.sh [ROUNDS]   (from the repository root)
# Each round runs numcodecs then Go; compare the best of the rounds, since
# the machine may be shared.
set -euo pipefail
ROUNDS=${1:-3}
PY=${PYTHON:-$HOME/.cache/zarrproc/venv-zarr3/bin/python}
export ZARRPROC_CODEC_BENCH_DIR=${ZARRPROC_CODEC_BENCH_DIR:-/tmp/zarrproc-codec-bench}
for r in $(seq "$ROUNDS"); do
  echo "== round $r: numcodecs"
  "$PY" benchmarks/codec/bench_numcodecs.py "$ZARRPROC_CODEC_BENCH_DIR"
  echo "== round $r: Go"
  go test ./zarr/codec/ -run '^$' -bench '^BenchmarkDecode$' -benchtime 1s | grep '^Benchmark'
done
