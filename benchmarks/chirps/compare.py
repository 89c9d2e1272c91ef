"""Check zarrproc's benchmark outputs against xarray on the same store.

usage: python compare.py STORE MONTHLY_OUT ALLTIME_OUT
"""
import sys

import numpy as np
import xarray as xr

src, monthly, alltime = sys.argv[1:4]
ds = xr.open_zarr(src)
for path, expected in [(monthly, lambda: ds.precip.resample(time="1MS").mean()),
                       (alltime, lambda: ds.precip.mean("time"))]:
    e = expected().compute().values.astype(np.float64)
    g = xr.open_zarr(path)["precip_mean"].values.astype(np.float64)
    g = g.reshape(e.shape)
    same_nan = bool((np.isnan(g) == np.isnan(e)).all())
    m = ~np.isnan(e)
    rel = float(np.max(np.abs(g[m] - e[m]) / np.maximum(np.abs(e[m]), 1e-12)))
    print(f"{path}: NaN pattern equal: {same_nan}, max relative difference from xarray: {rel:.2e}")
    if not same_nan or rel > 1e-5:
        sys.exit(f"{path} does not match xarray")
