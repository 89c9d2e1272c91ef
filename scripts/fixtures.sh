#!/usr/bin/env bash
# Regenerate the committed interoperability fixtures under testdata/fixtures with the
# real writer libraries (zarr-python 2 and 3, numcodecs, xarray) from the pinned venvs,
# then validate the manifest by reopening every store with the library that wrote it.
# Deterministic: fixed seeds, single-threaded Blosc, gzip MTIME pinned to 0.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/deps-python.sh
PY2="$ZARRPROC_VENV2/bin/python"
PY3="$ZARRPROC_VENV3/bin/python"
G=testdata/fixtures/gen
export PYTHONDONTWRITEBYTECODE=1 PYTHONHASHSEED=0 OMP_NUM_THREADS=1 NUMEXPR_MAX_THREADS=1

# start clean so renamed or dropped fixtures do not linger
rm -rf testdata/fixtures/{v2,v3,cf,bad,expected} "$G/parts"
"$PY2" "$G/gen_zarr2.py"
[ -f "$G/gen_zarr3.py" ] && "$PY3" "$G/gen_zarr3.py"
[ -f "$G/gen_cf.py" ] && "$PY3" "$G/gen_cf.py"
"$PY3" "$G/merge.py"
"$PY2" "$G/check.py" zarr2
"$PY3" "$G/check.py" zarr3
"$PY3" "$G/check.py" xarray
find testdata/fixtures -type f -not -path "*/gen/parts/*" -printf "%s\n" | awk "{s+=\$1} END {printf \"fixtures total: %.2f MB in %d files\\n\", s/1e6, NR}"
