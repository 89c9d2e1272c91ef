#!/usr/bin/env bash
# zarrproc run vs xarray + dask on the CHIRPS-like store, same machine, same run.
#
# usage: benchmarks/chirps/bench.sh [RUNS]     (default 3 runs of each, alternating)
#
# Writes the store on first use (benchmarks/data/chirps-like-v2.zarr, ~1.8 GB),
# builds zarrproc, then for each operation times every tool RUNS times,
# alternating so drift hits both alike. Reports the median wall time of the
# whole process (what a user waits for), the in-process compute time, the
# throughput over the decoded array (3652×400×400 float32 = 2.34 GB) and the
# peak RSS (GNU time), and checks zarrproc's output against xarray's.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
runs=${1:-3}
py="$ZARRPROC_VENV3/bin/python"
[ -x "$py" ] || bash scripts/deps-python.sh
data=benchmarks/data/chirps-like-v2.zarr
out=benchmarks/out
mkdir -p "$out" benchmarks/data
[ -d "$data" ] || "$py" benchmarks/chirps/gen.py "$data"
go build -o bin/zarrproc ./cmd/zarrproc
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }

decoded_mb=$("$py" -c "import zarr; a=zarr.open_array('$data/precip', mode='r'); print(a.nbytes/1e6)")
results="$out/chirps-results.jsonl"
: > "$results"

run_zarrproc() { # op period
  rm -rf "$out/zp-$1.zarr"
  /usr/bin/time -f '%e %M' -o "$out/time.txt" bin/zarrproc run temporal-aggregate --input "$data" \
    --variable precip --period "$2" --reducer mean --output "$out/zp-$1.zarr" --json > "$out/zp.json"
  read -r wall rss < "$out/time.txt"
  secs=$("$py" -c "import json; print(json.load(open('$out/zp.json'))['seconds'])")
  echo "{\"tool\":\"zarrproc\",\"op\":\"$1\",\"wall\":$wall,\"seconds\":$secs,\"peak_rss_mb\":$((rss/1024))}" >> "$results"
}
run_xarray() { # op
  /usr/bin/time -f '%e %M' -o "$out/time.txt" "$py" benchmarks/chirps/xarray_bench.py "$data" "$1" > "$out/xr.json"
  read -r wall rss < "$out/time.txt"
  secs=$("$py" -c "import json; print(json.load(open('$out/xr.json'))['seconds'])")
  echo "{\"tool\":\"xarray+dask\",\"op\":\"$1\",\"wall\":$wall,\"seconds\":$secs,\"peak_rss_mb\":$((rss/1024))}" >> "$results"
}

for i in $(seq "$runs"); do
  run_zarrproc monthly-mean month
  run_xarray monthly-mean
  run_zarrproc alltime-mean all
  run_xarray alltime-mean
done

"$py" benchmarks/chirps/compare.py "$data" "$out/zp-monthly-mean.zarr" "$out/zp-alltime-mean.zarr"
"$py" - "$results" "$decoded_mb" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
mb = float(sys.argv[2])
print(f"\n| operation | tool | wall s (median) | compute s | throughput MB/s | peak RSS MB |")
print("|---|---|---|---|---|---|")
summary = {}
for op in ["monthly-mean", "alltime-mean"]:
    for tool in ["zarrproc", "xarray+dask"]:
        rs = [r for r in rows if r["op"] == op and r["tool"] == tool]
        wall = statistics.median(r["wall"] for r in rs)
        comp = statistics.median(r["seconds"] for r in rs)
        rss = max(r["peak_rss_mb"] for r in rs)
        summary[(op, tool)] = (wall, rss)
        print(f"| {op} | {tool} | {wall:.2f} | {comp:.2f} | {mb/wall:.0f} | {rss} |")
for op in ["monthly-mean", "alltime-mean"]:
    zw, zr = summary[(op, "zarrproc")]
    xw, xr_ = summary[(op, "xarray+dask")]
    print(f"\n{op}: zarrproc is {xw/zw:.2f}x faster (wall) with {zr/xr_:.2f}x the peak memory of xarray+dask")
PY
