"""Time xarray + dask on the CHIRPS-like store: one operation per process so
peak RSS is that operation's own.

usage: python xarray_bench.py STORE {monthly-mean|alltime-mean} [--out OUT.zarr]
Prints one JSON line: op, seconds, peak_rss_mb, threads, output shape.
"""
import argparse
import json
import os
import resource
import time

import dask
import xarray as xr


def main():
    p = argparse.ArgumentParser()
    p.add_argument("store")
    p.add_argument("op", choices=["monthly-mean", "alltime-mean"])
    p.add_argument("--out", help="write the result here as Zarr (for comparing outputs)")
    a = p.parse_args()

    t0 = time.perf_counter()
    ds = xr.open_zarr(a.store)  # dask chunks = the store's chunks
    da = ds["precip"]
    if a.op == "monthly-mean":
        res = da.resample(time="1MS").mean()
    else:
        res = da.mean("time")
    res = res.compute()
    secs = time.perf_counter() - t0
    if a.out:
        res.to_dataset(name="precip_mean").to_zarr(a.out, mode="w", zarr_format=3)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"tool": "xarray+dask", "op": a.op, "seconds": round(secs, 3),
                      "peak_rss_mb": round(rss_mb, 1), "threads": dask.system.CPU_COUNT,
                      "shape": list(res.shape), "xarray": xr.__version__, "dask": dask.__version__,
                      "pid": os.getpid()}))


if __name__ == "__main__":
    main()
