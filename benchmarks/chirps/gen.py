"""Write the CHIRPS-like benchmark store with xarray.

10 years of daily rainfall on a 400×400 grid (float32), chunks 365×100×100,
blosc-lz4 with byte shuffle (zarr-python 2's default compressor, and so what
most CHIRPS Zarr in the wild uses), NaN over an "ocean" mask, about 60 % dry
days, gamma-distributed wet-day amounts. Deterministic: the same seed gives
the same bytes.

usage: python gen.py OUT.zarr [--years 10] [--size 400] [--format 2|3]
"""
import argparse
import time

import dask.array as da
import numcodecs
import numpy as np
import pandas as pd
import xarray as xr


def block(seed_base, shape, block_id=None):
    t, y, x = block_id
    rng = np.random.default_rng([seed_base, t, y, x])
    wet = rng.random(shape, dtype=np.float32) < 0.4
    amount = rng.gamma(0.8, 9.0, size=shape).astype(np.float32)
    out = np.where(wet, amount, np.float32(0.0)).astype(np.float32)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--years", type=int, default=10)
    p.add_argument("--size", type=int, default=400)
    p.add_argument("--format", type=int, default=2, choices=(2, 3))
    a = p.parse_args()

    time_index = pd.date_range("2001-01-01", periods=int(round(365.25 * a.years)), freq="D")
    nt, n = len(time_index), a.size
    chunks = (365, 100, 100)
    data = da.map_blocks(
        lambda blk, block_id=None: block(42, blk.shape, block_id),
        da.zeros((nt, n, n), dtype=np.float32, chunks=chunks),
        dtype=np.float32,
    )
    # Ocean: a fixed corner of the grid is missing at every time step.
    yy, xx = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    ocean = (xx + yy) < n // 8
    data = da.where(da.from_array(ocean, chunks=chunks[1:])[None, :, :], np.float32(np.nan), data)

    lat = np.linspace(10.0, -10.0, n, dtype=np.float64)  # north to south, like CHIRPS tiles
    lon = np.linspace(30.0, 50.0, n, dtype=np.float64)
    ds = xr.Dataset(
        {"precip": (("time", "latitude", "longitude"), data,
                    {"units": "mm/day", "long_name": "Climate Hazards group InfraRed Precipitation with Stations (synthetic)",
                     "standard_name": "precipitation_amount"})},
        coords={"time": time_index,
                "latitude": ("latitude", lat, {"units": "degrees_north", "standard_name": "latitude", "axis": "Y"}),
                "longitude": ("longitude", lon, {"units": "degrees_east", "standard_name": "longitude", "axis": "X"})},
        attrs={"title": "synthetic CHIRPS-like daily rainfall for benchmarks", "Conventions": "CF-1.8"},
    )
    if a.format == 2:
        enc = {"precip": {"compressors": numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE),
                          "chunks": chunks, "_FillValue": np.float32(np.nan)}}
    else:
        import zarr
        enc = {"precip": {"compressors": [zarr.codecs.BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")],
                          "chunks": chunks, "_FillValue": np.float32(np.nan)}}
    t0 = time.time()
    ds.to_zarr(a.out, mode="w", zarr_format=a.format, encoding=enc, consolidated=True)
    print(f"wrote {a.out}: {nt}x{n}x{n} float32 in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
