# Sourced by the test scripts: where cached tools and venvs live.
# Cached between runs (outside the checkout) so a second run starts fast.
export ZARRPROC_CACHE_DIR="${ZARRPROC_CACHE_DIR:-$HOME/.cache/zarrproc}"
export ZARRPROC_TOOLS_BIN="$ZARRPROC_CACHE_DIR/bin"
export ZARRPROC_VENV2="$ZARRPROC_CACHE_DIR/venv-zarr2"   # zarr-python 2 + numcodecs
export ZARRPROC_VENV3="$ZARRPROC_CACHE_DIR/venv-zarr3"   # zarr-python 3, xarray, dask
mkdir -p "$ZARRPROC_TOOLS_BIN"
export PATH="$ZARRPROC_TOOLS_BIN:$PATH"
