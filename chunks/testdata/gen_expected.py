"""Expected temporal aggregates from xarray, for the Go cross-checks in
chunks/reduce/xarray_test.go.

Run from this directory:
    ~/.cache/zarrproc/venv-zarr3/bin/python gen_expected.py
(xarray 2026.9.0, numpy 2.2.6, pandas, cftime 1.6.5). It writes
cube_<name>.f32 (the data, float32 little-endian, shape time × y × x) and
expected.json.gz (bin labels, timestep counts and every reducer per bin).

Cubes are small and deterministic, with NaN holes, an all-NaN pixel, a
constant pixel, partial periods at both ends, a gap with empty bins, and
noleap / 360_day calendars. xarray makes every reducer of an empty bin NaN,
count included; our count there is 0 (DESIGN.md), which the Go test allows.
Bins come from xarray itself wherever it can make them:
resample("D" | "MS" | "QS-JAN" | "QS-DEC" | "YS"), resample("W-MON" etc.,
closed="left", label="left") for real-calendar weeks, groupby("time.month"),
groupby("time.dayofyear"). Weeks on cftime calendars (which xarray cannot
resample) and dekads (no pandas alias) group by a label array built from the
dates (week start by cftime's dayofwk, dekad start day 1/11/21).
"""
import gzip
import io
import json
import warnings

import cftime
import numpy as np
import xarray as xr

warnings.filterwarnings("ignore")

NY, NX = 3, 4
REDUCERS_ALL = ["count", "sum", "sum_min_count_0", "mean", "min", "max", "std", "var", "std_ddof1", "var_ddof1",
                "median", "quantile_0.25", "quantile_0.9", "first", "last"]
REDUCERS_SHORT = ["count", "sum", "sum_min_count_0", "mean", "max", "first"]


def make_cube(name, units, calendar, values, seed):
    times = cftime.num2date(values, units, calendar)
    rng = np.random.default_rng(seed)
    t = len(values)
    data = (rng.gamma(0.7, 6.0, size=(t, NY, NX)) * (rng.random((t, NY, NX)) < 0.6)).astype("f4")
    data[:, 0, 1] = 1e4 + rng.normal(0, 1, t).astype("f4")  # large mean, small spread: variance accuracy
    data[rng.random((t, NY, NX)) < 0.15] = np.nan           # holes
    data[:, 1, 1] = np.nan                                  # all-NaN pixel
    data[:, 2, 3] = 2.5                                     # constant pixel
    data[5:40, 2, 0] = np.nan                               # a long gap
    data.astype("<f4").tofile(f"cube_{name}.f32")
    if calendar in ("standard", "gregorian", "proleptic_gregorian"):
        tcoord = xr.coding.times.decode_cf_datetime(np.asarray(values), units, calendar)
    else:
        tcoord = xr.CFTimeIndex(times)
    # Reduce the float32 values in float64, as the Go reducers do, so the
    # comparison is not blurred by numpy's float32 accumulators.
    da = xr.DataArray(data.astype("f8"), dims=("time", "y", "x"), coords={"time": tcoord}, name="v")
    meta = {"name": name, "units": units, "calendar": calendar, "time": [int(v) for v in values],
            "shape": [t, NY, NX], "data_file": f"cube_{name}.f32"}
    return da, times, meta


def reduce_all(g, names):
    out = {}
    for r in names:
        if r == "count":
            x = g.count()
        elif r == "sum":
            x = g.sum(min_count=1)
        elif r == "sum_min_count_0":
            x = g.sum()
        elif r == "mean":
            x = g.mean()
        elif r == "min":
            x = g.min()
        elif r == "max":
            x = g.max()
        elif r == "std":
            x = g.std(ddof=0)
        elif r == "var":
            x = g.var(ddof=0)
        elif r == "std_ddof1":
            x = g.std(ddof=1)
        elif r == "var_ddof1":
            x = g.var(ddof=1)
        elif r == "median":
            x = g.median()
        elif r.startswith("quantile_"):
            x = g.quantile(float(r.split("_")[1]), method="linear").drop_vars("quantile")
        elif r == "first":
            x = g.first(skipna=True)
        elif r == "last":
            x = g.last(skipna=True)
        out[r] = x
    return out


def to_rows(x, dim):
    a = x.transpose(dim, "y", "x").values.reshape(x.sizes[dim], -1).astype("f8")
    return [[None if np.isnan(v) else float(v) for v in row] for row in a]


def label_of(v):
    if isinstance(v, (np.datetime64,)):
        return str(v.astype("datetime64[D]"))
    if hasattr(v, "strftime"):
        return "%04d-%02d-%02d" % (v.year, v.month, v.day)
    return str(v)


def week_key(d, start_dow):
    # start_dow in cftime's convention, 0 = Monday.
    back = (d.dayofwk - start_dow) % 7
    s = d - __import__("datetime").timedelta(days=back)
    return "%04d-%02d-%02d" % (s.year, s.month, s.day)


def dekad_key(d):
    return "%04d-%02d-%02d" % (d.year, d.month, 1 if d.day <= 10 else 11 if d.day <= 20 else 21)


def case(da, times, cube, period, reducers, utc_offset_hours=0):
    real = cube["calendar"] in ("standard", "gregorian", "proleptic_gregorian")
    if utc_offset_hours:
        da = da.assign_coords(time=da.time + np.timedelta64(utc_offset_hours, "h"))
    freq = {"day": "D", "month": "MS", "quarter": "QS-JAN", "season": "QS-DEC", "year": "YS"}
    weeks = {"week": (0, "W-MON"), "epi-week": (6, "W-SUN"), "week-wednesday": (2, "W-WED"),
             "week-thursday": (3, "W-THU"), "week-saturday": (5, "W-SAT")}
    ones = xr.ones_like(da.isel(y=0, x=0, drop=True))
    if period in freq:
        g, gc, dim = da.resample(time=freq[period]), ones.resample(time=freq[period]), "time"
    elif period in weeks and real:
        kw = dict(time=weeks[period][1], closed="left", label="left")
        g, gc, dim = da.resample(**kw), ones.resample(**kw), "time"
    elif period in weeks or period == "dekad":
        keys = [week_key(d, weeks[period][0]) if period in weeks else dekad_key(d) for d in times]
        key = xr.DataArray(keys, dims="time", name="bin")
        g, gc, dim = da.groupby(key), ones.groupby(key), "bin"
    elif period == "month-of-year":
        g, gc, dim = da.groupby("time.month"), ones.groupby("time.month"), "month"
    elif period == "day-of-year":
        g, gc, dim = da.groupby("time.dayofyear"), ones.groupby("time.dayofyear"), "dayofyear"
    elif period == "all":
        key = xr.DataArray(np.zeros(da.sizes["time"], int), dims="time", name="all")
        g, gc, dim = da.groupby(key), ones.groupby(key), "all"
    counts = gc.count()
    labels = [label_of(v) for v in counts[dim].values]
    res = reduce_all(g, reducers)
    return {"cube": cube["name"], "period": period, "utc_offset_hours": utc_offset_hours,
            "labels": labels, "counts": [0 if np.isnan(c) else int(c) for c in counts.values],
            "results": {r: to_rows(x.rename({"time": dim}) if dim != "time" and "time" in x.dims else x, dim)
                        for r, x in res.items()}}


def main():
    cubes, cases = [], []
    # Standard calendar, daily, 2019-12-20 … 2021-01-10: partial edge periods everywhere.
    da, times, meta = make_cube("std_daily", "days since 2000-01-01", "standard", np.arange(7293, 7293 + 388), 1)
    cubes.append(meta)
    for p in ["month", "quarter", "season", "year", "week", "epi-week", "week-wednesday", "week-thursday",
              "week-saturday", "dekad", "month-of-year", "all"]:
        cases.append(case(da, times, meta, p, REDUCERS_ALL))
    cases.append(case(da, times, meta, "day", REDUCERS_SHORT))
    cases.append(case(da, times, meta, "day-of-year", REDUCERS_SHORT))
    # A gap: no timestep at all in 2020-02-01 … 2020-03-01 (empty bins).
    vals = np.arange(7325, 7325 + 130)
    vals = vals[(vals < 7336) | (vals > 7365)]
    da, times, meta = make_cube("std_gap", "days since 2000-01-01", "standard", vals, 5)
    cubes.append(meta)
    for p in ["month", "week", "day"]:  # resample makes empty bins; groupby (dekad) would not
        cases.append(case(da, times, meta, p, REDUCERS_ALL if p != "day" else REDUCERS_SHORT))
    # noleap, daily int32-style values, 2000-11-15 … 2002-02-10.
    da, times, meta = make_cube("noleap_daily", "days since 2000-01-01 00:00:00", "noleap", np.arange(318, 318 + 452), 2)
    cubes.append(meta)
    for p in ["month", "season", "year", "dekad", "week", "month-of-year"]:
        cases.append(case(da, times, meta, p, REDUCERS_ALL))
    # 360_day, 6-hourly in hours, 1999-12-21 … 2000-04-04.
    da, times, meta = make_cube("d360_6h", "hours since 1999-12-01", "360_day", np.arange(480, 480 + 4 * 104 * 6, 6), 3)
    cubes.append(meta)
    for p in ["day", "month", "season", "dekad", "epi-week"]:
        cases.append(case(da, times, meta, p, REDUCERS_ALL if p != "day" else REDUCERS_SHORT))
    # Hourly standard calendar with local days at UTC+03:00 and UTC-05:00.
    da, times, meta = make_cube("std_hourly", "hours since 2024-02-27 00:00:00", "standard", np.arange(0, 24 * 5 + 7), 4)
    cubes.append(meta)
    cases.append(case(da, times, meta, "day", REDUCERS_ALL, utc_offset_hours=3))
    cases.append(case(da, times, meta, "day", REDUCERS_ALL, utc_offset_hours=-5))
    with gzip.GzipFile("expected.json.gz", "wb", compresslevel=9, mtime=0) as gz, io.TextIOWrapper(gz) as f:
        json.dump({"generator": "gen_expected.py", "versions": {"xarray": xr.__version__, "numpy": np.__version__,
                   "cftime": cftime.__version__}, "cubes": cubes, "cases": cases}, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
