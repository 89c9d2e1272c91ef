"""Expected CF time decodings from cftime, for cftime_test.go.

Run: ~/.cache/zarrproc/venv-zarr3/bin/python gen_cftime.py > cftime_expected.json
"""
import json
import cftime
import numpy as np

CASES = [
    ("days since 1970-01-01", ["standard", "proleptic_gregorian", "julian", "noleap", "all_leap", "360_day"],
     [0, 1, 59, 365, 366, 10957, 19000, 20000, -1, -365, -719162, -141427, 2**20]),
    ("hours since 1900-01-01T00:00:00Z", ["standard", "proleptic_gregorian", "noleap", "360_day", "julian"],
     [0, 1, 23, 24, 8760, 1000000, 1051896, -1]),
    ("d since 1970-1-1 0:00:00 UTC", ["standard", "360_day", "all_leap"], [0.5, 1.25, 365.75, -0.5, 12345.0625]),
    ("seconds since 2000-01-01 12:00:00 +05:30", ["standard", "noleap"], [0, 3600, 86399, -86400, 1e9]),
    ("minutes since 1582-10-15", ["standard", "julian", "proleptic_gregorian"], [0, -1, -1440, -14400, 1440 * 365]),
    ("days since 1582-10-04", ["standard"], [0, 1, 2, -300000]),
    ("milliseconds since 1850-01-01 00:00:00.0", ["noleap", "360_day", "standard"], [0, 1500, 86400000 * 400]),
    ("days since 0001-01-01", ["standard", "proleptic_gregorian", "julian", "noleap", "360_day"], [0, 1, 577460, 730000, 738000]),
]

out = []
for units, cals, vals in CASES:
    for cal in cals:
        dates = cftime.num2date(np.array(vals), units, cal, only_use_cftime_datetimes=True, only_use_python_datetimes=False)
        rows = []
        for v, d in zip(vals, dates):
            rows.append({
                "value": v,
                "date": [d.year, d.month, d.day, d.hour, d.minute, d.second, d.microsecond * 1000],
                "dayofwk": d.dayofwk,
                "dayofyr": d.dayofyr,
                "daysinmonth": d.daysinmonth,
            })
        out.append({"units": units, "calendar": cal, "rows": rows})
print(json.dumps(out, separators=(",", ":")))
