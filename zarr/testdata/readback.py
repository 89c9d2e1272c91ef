"""Read a store written by zarrproc with zarr-python 3 and xarray; print JSON.

Usage: readback.py STORE_DIR

Prints {"group_attrs", "zarr": {path: {shape, dtype, fill_value, attrs,
values}}, "xarray": {name: {dims, dtype, attrs, values}}}. Values are
flattened in C order; non-finite floats are printed as bare NaN/Infinity
(Python's json default), which the Go test accepts.
"""
import json
import sys

import numpy as np
import xarray as xr
import zarr


def plain(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


def main(path):
    out = {"zarr": {}, "xarray": {}}
    root = zarr.open_group(path, mode="r")
    out["group_attrs"] = plain(dict(root.attrs))
    for name, arr in root.arrays():
        out["zarr"][name] = array_info(arr)
    for gname, group in root.groups():
        for name, arr in group.arrays():
            out["zarr"][gname + "/" + name] = array_info(arr)
    ds = xr.open_zarr(path, consolidated=True, decode_times=False, mask_and_scale=False)
    for name, var in ds.variables.items():
        out["xarray"][name] = {
            "dims": list(var.dims),
            "dtype": str(var.dtype),
            "attrs": plain(dict(var.attrs)),
            "values": plain(np.asarray(var.values).ravel()),
        }
    json.dump(out, sys.stdout)


def array_info(arr):
    return {
        "shape": list(arr.shape),
        "dtype": str(arr.dtype),
        "fill_value": plain(arr.fill_value),
        "attrs": plain(dict(arr.attrs)),
        "values": plain(np.asarray(arr[...]).ravel()),
    }


if __name__ == "__main__":
    main(sys.argv[1])
