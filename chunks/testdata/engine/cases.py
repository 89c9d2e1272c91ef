"""Engine cross-check cases, computed by xarray.

usage: python cases.py OUTDIR

Writes small source datasets with xarray (v2 and v3, NaN holes, an all-NaN
pixel, a month with one pixel missing, int16 packing with _FillValue, noleap
and 360_day calendars, latitude both ways) and, for every case, the result
xarray computes: one float64 file per output variable (C order, NaN for
missing) plus the bin labels and timestep counts, listed in OUTDIR/cases.json.

Binning: each timestep's bin start is computed here from the period rules in
DESIGN.md (ISO/Sunday/Wednesday/... weeks, dekads, DJF seasons counting
December toward the next year, ...), then the values are grouped with
xarray's groupby on that label; for the standard calendar the labels are
also checked against pandas resample aliases (MS, W-MON left/left, QS-DEC,
YS) so the rules are xarray's own where xarray has them.
"""
import json
import os
import sys

import cftime
import numpy as np
import pandas as pd
import xarray as xr

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)

FIRST_WEEKDAY = {"week": 0, "epi-week": 6, "week-sunday": 6, "week-wednesday": 2,
                 "week-thursday": 3, "week-saturday": 5}
PERIODS = ["day", "week", "epi-week", "week-wednesday", "week-thursday", "week-saturday",
           "dekad", "month", "quarter", "season", "year", "all", "month-of-year", "day-of-year"]
REDUCERS = ["count", "sum", "mean", "min", "max", "std", "var", "median", "quantile", "first", "last"]


def make_date(d, y, m, day):
    if isinstance(d, pd.Timestamp):
        return pd.Timestamp(year=y, month=m, day=day)
    return type(d)(y, m, day)


def weekday(d):
    return d.dayofweek if isinstance(d, pd.Timestamp) else d.dayofwk


def bin_start(d, period, first):
    if period == "day":
        return make_date(d, d.year, d.month, d.day)
    if period in FIRST_WEEKDAY:
        back = (weekday(d) - FIRST_WEEKDAY[period]) % 7
        day0 = make_date(d, d.year, d.month, d.day)
        return day0 - pd.Timedelta(days=back) if isinstance(d, pd.Timestamp) else day0 - __import__("datetime").timedelta(days=back)
    if period == "dekad":
        return make_date(d, d.year, d.month, 1 if d.day <= 10 else 11 if d.day <= 20 else 21)
    if period == "month":
        return make_date(d, d.year, d.month, 1)
    if period == "quarter":
        return make_date(d, d.year, (d.month - 1) // 3 * 3 + 1, 1)
    if period == "season":
        if d.month == 12:
            return make_date(d, d.year, 12, 1)
        if d.month <= 2:
            return make_date(d, d.year - 1, 12, 1)
        return make_date(d, d.year, (d.month - 3) // 3 * 3 + 3, 1)
    if period == "year":
        return make_date(d, d.year, 1, 1)
    if period == "all":
        return first
    raise ValueError(period)


def iso(d):
    return "%04d-%02d-%02dT%02d:%02d:%02d" % (d.year, d.month, d.day, d.hour, d.minute, d.second)


def reduce_all(da, bin_of_step, nbins, reducers, q, ddof, min_count):
    """Every reducer over the steps grouped by bin index, with xarray."""
    keep = np.asarray(bin_of_step) >= 0
    # Reduce in float64: xarray's own float32 sums round at ~1e-6, and the
    # reference should be the exact statistic of the stored values.
    sub = da.isel(time=np.nonzero(keep)[0]).astype(np.float64)
    lab = xr.DataArray(np.asarray(bin_of_step)[keep], dims="time", name="bin")
    g = sub.groupby(lab)
    cnt = g.count()
    out = {}
    for name in reducers:
        if name == "count":
            r = cnt
        elif name == "sum":
            r = g.sum(min_count=0)
            if min_count > 0:
                r = r.where(cnt >= min_count)
        else:
            r = {"mean": g.mean, "min": g.min, "max": g.max, "median": g.median,
                 "std": lambda: g.std(ddof=ddof), "var": lambda: g.var(ddof=ddof),
                 "quantile": lambda: g.quantile(q, method="linear").drop_vars("quantile"),
                 "first": lambda: g.first(skipna=True), "last": lambda: g.last(skipna=True)}[name]()
            r = r.where(cnt >= max(min_count, 1))
        r = r.transpose("bin", ...)
        assert r.sizes["bin"] == nbins, (name, r.sizes)
        out[name] = r.values.astype(np.float64)
    return out


def expected(da, period, reducers, q, ddof, min_count, drop_partial, step_days=1):
    times = da.indexes["time"]
    dates = [pd.Timestamp(t) if isinstance(times, pd.DatetimeIndex) else t for t in times]
    clim = period in ("month-of-year", "day-of-year")
    if clim:
        keys = [d.month if period == "month-of-year" else (d.dayofyear if isinstance(d, pd.Timestamp) else d.dayofyr) for d in dates]
    else:
        keys = [bin_start(d, period, dates[0]) for d in dates]
    order = []
    members = {}
    for i, k in enumerate(keys):
        if k not in members:
            members[k] = []
            order.append(k)
        members[k].append(i)
    if clim:
        order.sort()
    bins = []
    for k in order:
        idx = members[k]
        if drop_partial and not clim and period != "all":
            if len(idx) != _span_days(k, period) // step_days:
                continue
        bins.append((k, idx))
    bin_of_step = [-1] * len(dates)
    for b, (_, idx) in enumerate(bins):
        for i in idx:
            bin_of_step[i] = b
    outs = reduce_all(da, bin_of_step, len(bins), reducers, q, ddof, min_count)
    labels = [k if clim else iso(k) for k, _ in bins]
    counts = [len(idx) for _, idx in bins]
    return labels, counts, outs, [dhis2_id(k, period) for k, _ in bins] if not clim else None


def dhis2_id(k, period):
    """DHIS2 period IDs for the types DHIS2 defines the same way everywhere."""
    if period == "day":
        return "%04d%02d%02d" % (k.year, k.month, k.day)
    if period == "month":
        return "%04d%02d" % (k.year, k.month)
    if period == "quarter":
        return "%04dQ%d" % (k.year, (k.month - 1) // 3 + 1)
    if period == "year":
        return "%04d" % k.year
    if period == "week" and isinstance(k, pd.Timestamp):
        y, w, _ = k.isocalendar()
        return "%dW%d" % (y, w)
    return None


def _span_days(start, period):
    if period == "day":
        return 1
    if period in FIRST_WEEKDAY:
        return 7
    if isinstance(start, pd.Timestamp):
        def dim(y, m):
            return pd.Timestamp(year=y, month=m, day=1).days_in_month
    else:
        def dim(y, m):
            return type(start)(y, m, 1).daysinmonth
    y, m = start.year, start.month
    if period == "dekad":
        return 10 if start.day < 21 else dim(y, m) - 20
    nmonths = {"month": 1, "quarter": 3, "season": 3, "year": 12}[period]
    total = 0
    for i in range(nmonths):
        mm = (m - 1 + i) % 12 + 1
        yy = y + (m - 1 + i) // 12
        total += dim(yy, mm)
    return total


def cube(times, ny, nx, lat_desc, seed, packed=False):
    rng = np.random.default_rng(seed)
    nt = len(times)
    data = rng.gamma(0.9, 6.0, size=(nt, ny, nx)).astype(np.float32)
    data[rng.random(data.shape) < 0.1] = np.nan           # holes
    data[:, 1, 2] = np.nan                                 # an all-missing pixel
    data[40:70, 3, 4] = np.nan                             # a missing month-ish at one pixel
    lat = np.linspace(-3.0, 3.0, ny)
    if lat_desc:
        lat = lat[::-1]
    lon = np.linspace(10.0, 18.0, nx)
    da = xr.DataArray(data, dims=("time", "lat", "lon"),
                      coords={"time": times, "lat": ("lat", lat, {"units": "degrees_north"}),
                              "lon": ("lon", lon, {"units": "degrees_east"})},
                      name="pr", attrs={"units": "mm/day", "long_name": "precipitation"})
    return da


def write(da, path, fmt, packed=False, chunks=(100, 4, 5)):
    enc = {"pr": {"chunks": chunks}}
    if packed:
        enc["pr"].update({"dtype": "int16", "scale_factor": 0.1, "add_offset": 5.0, "_FillValue": -9999})
    da.to_dataset().to_zarr(path, mode="w", zarr_format=fmt, encoding=enc, consolidated=True)
    return xr.open_zarr(path)["pr"].load()   # what a reader decodes (packing rounds values)


def main():
    cases = []

    def add(name, da, dsname, period, reducers, q=0.25, ddof=0, min_count=1, drop_partial=False,
            time=None, bbox=None, sel=None, utc_offset=None):
        sub = da
        if sel is not None:
            sub = da.sel(**sel)
        if utc_offset is not None:
            # Periods of local days: bin the timestamps moved to local time.
            sign = -1 if utc_offset.startswith("-") else 1
            hh, mm = utc_offset.lstrip("+-").split(":")
            shift = sign * (np.timedelta64(int(hh), "h") + np.timedelta64(int(mm), "m"))
            sub = sub.assign_coords(time=sub.indexes["time"] + shift)
        labels, counts, outs, ids = expected(sub, period, reducers, q, ddof, min_count, drop_partial)
        if ids is not None and any(i is None for i in ids):
            ids = None
        files = {}
        for r, arr in outs.items():
            fn = f"{name}__{r}.bin"
            arr.astype("<f8").tofile(os.path.join(OUT, fn))
            files[r] = {"file": fn, "shape": list(arr.shape)}
        req = {"dataset": os.path.join(OUT, dsname), "variable": "pr", "period": period,
               "reducers": reducers, "quantile": q, "ddof": ddof, "min_count": min_count,
               "drop_partial": drop_partial}
        if time:
            req["time"] = time
        if utc_offset is not None:
            req["utc_offset"] = utc_offset
        if bbox:
            req["bbox"] = bbox
        cases.append({"name": name, "request": req, "labels": labels, "counts": counts, "outputs": files, "period_ids": ids,
                      "climatology": period in ("month-of-year", "day-of-year")})

    # 1. standard calendar, v2, latitude descending, partial edge periods.
    t = pd.date_range("2019-12-20", periods=800, freq="D")
    base = cube(t, 7, 9, lat_desc=True, seed=1)
    std2 = write(base, os.path.join(OUT, "std_v2.zarr"), 2)
    for p in PERIODS:
        add(f"std_v2_{p}", std2, "std_v2.zarr", p, REDUCERS)
    # resample cross-checks of the label rules against pandas aliases
    for p, alias, kw in [("month", "MS", {}), ("week", "W-MON", {"closed": "left", "label": "left"}),
                         ("season", "QS-DEC", {}), ("year", "YS", {}), ("quarter", "QS-JAN", {}),
                         ("epi-week", "W-SUN", {"closed": "left", "label": "left"})]:
        want = [iso(pd.Timestamp(x)) for x in std2.resample(time=alias, **kw).mean().time.values]
        got = next(c for c in cases if c["name"] == f"std_v2_{p}")["labels"]
        assert want == got, (p, want[:3], got[:3])
    # 2. time and bbox subsets (latitude descending), ddof=1, min_count=0 / 3, drop_partial.
    add("std_v2_month_subset", std2, "std_v2.zarr", "month", REDUCERS, time="2020-02-10/2020-11-20",
        bbox=[11.0, -1.5, 16.0, 2.5], sel={"time": slice("2020-02-10", "2020-11-20"), "lat": slice(2.5, -1.5), "lon": slice(11.0, 16.0)})
    add("std_v2_week_ddof1", std2, "std_v2.zarr", "week", ["std", "var", "mean"], ddof=1)
    add("std_v2_month_mincount0", std2, "std_v2.zarr", "month", ["sum", "count"], min_count=0)
    add("std_v2_month_mincount3", std2, "std_v2.zarr", "dekad", ["sum", "mean", "max", "count"], min_count=3)
    add("std_v2_month_droppartial", std2, "std_v2.zarr", "month", ["sum", "mean"], drop_partial=True)
    add("std_v2_season_droppartial", std2, "std_v2.zarr", "season", ["sum"], drop_partial=True)
    add("std_v2_quantile90", std2, "std_v2.zarr", "quarter", ["quantile", "median"], q=0.9)
    # 3. v3, latitude ascending, bbox subset, unaligned with chunks.
    asc = cube(t, 7, 9, lat_desc=False, seed=2)
    std3 = write(asc, os.path.join(OUT, "std_v3.zarr"), 3, chunks=(64, 3, 4))
    for p in ["day", "week", "month", "year", "all", "month-of-year"]:
        add(f"std_v3_{p}", std3, "std_v3.zarr", p, REDUCERS)
    add("std_v3_bbox", std3, "std_v3.zarr", "month", REDUCERS, bbox=[11.0, -1.5, 16.0, 2.5], time="2020-01-01/..",
        sel={"time": slice("2020-01-01", None), "lat": slice(-1.5, 2.5), "lon": slice(11.0, 16.0)})
    # 4. int16 packing with _FillValue.
    packed = write(base, os.path.join(OUT, "packed_v2.zarr"), 2, packed=True)
    for p in ["month", "week", "season"]:
        add(f"packed_v2_{p}", packed, "packed_v2.zarr", p, REDUCERS)
    # 5. 6-hourly data aggregated to local days and months (utc_offset).
    th = pd.date_range("2020-01-30 00:00", periods=4 * 70, freq="6h")
    sixh = write(cube(th, 5, 6, lat_desc=True, seed=4), os.path.join(OUT, "sixhourly_v3.zarr"), 3, chunks=(40, 5, 6))
    add("sixhourly_day_utc", sixh, "sixhourly_v3.zarr", "day", ["sum", "mean", "count", "max"])
    add("sixhourly_day_plus0700", sixh, "sixhourly_v3.zarr", "day", ["sum", "mean", "count", "max"], utc_offset="+07:00")
    add("sixhourly_day_minus0530", sixh, "sixhourly_v3.zarr", "day", ["sum", "count", "first", "last"], utc_offset="-05:30")
    add("sixhourly_month_minus0500", sixh, "sixhourly_v3.zarr", "month", ["sum", "count"], utc_offset="-05:00")
    # 6. noleap and 360_day calendars.
    for cal in ["noleap", "360_day"]:
        tc = xr.date_range("2019-12-20", periods=800, freq="D", calendar=cal, use_cftime=True)
        c = cube(tc, 5, 6, lat_desc=True, seed=3)
        cd = write(c, os.path.join(OUT, f"{cal}_v3.zarr"), 3, chunks=(90, 5, 6))
        for p in ["day", "week", "dekad", "month", "quarter", "season", "year", "all", "month-of-year", "day-of-year"]:
            add(f"{cal}_{p}", cd, f"{cal}_v3.zarr", p, REDUCERS)

    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"xarray": xr.__version__, "numpy": np.__version__, "cases": cases}, f)
    print(f"{len(cases)} cases")


if __name__ == "__main__":
    main()
