"""Decode files written by zarr/codec's encoders with numcodecs (the C
libraries): for each DIR/<name>.bin with its DIR/<name>.json codec config
(numcodecs form, with "id"), write DIR/<name>.out. Used by
TestEncodersReadByNumcodecs."""

import glob
import json
import os
import sys

import numcodecs

for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.bin"))):
    stem = path[:-4]
    with open(stem + ".json") as f:
        codec = numcodecs.get_codec(json.load(f))
    with open(path, "rb") as f:
        out = bytes(codec.decode(f.read()))
    with open(stem + ".out", "wb") as f:
        f.write(out)
