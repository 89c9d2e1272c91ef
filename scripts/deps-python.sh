#!/usr/bin/env bash
# Python test tooling, pinned, in two cached venvs (zarr-python 2 and 3 cannot
# share one). Python only writes fixtures and cross-checks results; zarrproc
# itself is Go.
set -euo pipefail
source "$(dirname "$0")/env.sh"

make_venv() { # dir stamp packages...
  local dir=$1 stamp=$2; shift 2
  if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then return 0; fi
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check "$@"
  echo "$stamp" > "$dir/.stamp"
}

V2_PKGS=(zarr==2.18.7 numcodecs==0.15.1 "numpy==2.2.6")
V3_PKGS=(zarr==3.1.6 numcodecs==0.16.6 xarray==2026.9.0 dask==2026.8.0 "numpy==2.2.6"
         pandas==2.3.3 cftime==1.6.5 psutil==7.1.3)
make_venv "$ZARRPROC_VENV2" "${V2_PKGS[*]}" "${V2_PKGS[@]}"
make_venv "$ZARRPROC_VENV3" "${V3_PKGS[*]}" "${V3_PKGS[@]}"
