"""Chunk-decoding throughput of numcodecs (C libraries), and the chunks that
zarr/codec's BenchmarkDecode decodes, so both sides decode the same bytes.

    ~/.cache/zarrproc/venv-zarr3/bin/python benchmarks/codec/bench_numcodecs.py [DIR]

DIR (default $ZARRPROC_CODEC_BENCH_DIR or /tmp/zarrproc-codec-bench) receives
raw.bin (one 100x100x100 float32 chunk, 4,000,000 bytes: a smooth,
rainfall-like field, 60 % zeros, quantised to 0.1 mm) and <case>.bin, its
encodings. Then:

    ZARRPROC_CODEC_BENCH_DIR=DIR go test ./zarr/codec/ -run '^$' -bench BenchmarkDecode

MB/s is decoded (uncompressed) megabytes (1e6 bytes) per wall-clock second,
best of several rounds of repeated decodes, per thread count; cpu-MB/s is
the same per CPU second of the process (all threads), the steadier number
when the machine is shared.
"""

import json
import os
import sys
import time

import numpy as np
import numcodecs
from numcodecs import blosc

SEED = 7


def rainfall_chunk(rng):
    """100 days x 100 x 100 cells: smooth in space and time, mostly dry."""
    t = np.arange(100)[:, None, None]
    y = np.arange(100)[None, :, None]
    x = np.arange(100)[None, None, :]
    field = (3 * np.sin(x / 13.0 + t / 5.0) * np.cos(y / 17.0 - t / 9.0)
             + 2 * np.sin((x + y) / 23.0 + t / 3.0) + rng.normal(0, 0.3, (100, 100, 100)))
    rain = np.where(field > 1.0, (field - 1.0) * 4.0, 0.0)
    return (np.round(rain * 10) / 10).astype("<f4")


CASES = {
    # zarr-python 2's default compressor.
    "blosc-lz4-shuffle": numcodecs.Blosc(cname="lz4", clevel=5, shuffle=1),
    "blosc-zstd-bitshuffle": numcodecs.Blosc(cname="zstd", clevel=5, shuffle=2),
    "blosc-blosclz-shuffle": numcodecs.Blosc(cname="blosclz", clevel=5, shuffle=1),
    # zarr-python 3's default (zstd level 0 = 3), and numcodecs' defaults.
    "zstd": numcodecs.Zstd(level=0),
    "gzip": numcodecs.GZip(level=1),
    "zlib": numcodecs.Zlib(level=1),
    "lz4": numcodecs.LZ4(),
}


def best_mbps(codec, enc, nbytes, min_time=0.5, rounds=5):
    """Best wall-clock MB/s and best MB per CPU second (all threads) over
    rounds; the second is the steadier one on a shared machine."""
    codec.decode(enc)
    best_wall = best_cpu = 0.0
    for _ in range(rounds):
        n, t0, c0 = 0, time.perf_counter(), time.process_time()
        while True:
            codec.decode(enc)
            n += 1
            dt = time.perf_counter() - t0
            if dt >= min_time / rounds:
                break
        dc = time.process_time() - c0
        best_wall = max(best_wall, n * nbytes / dt / 1e6)
        if dc > 0:
            best_cpu = max(best_cpu, n * nbytes / dc / 1e6)
    return best_wall, best_cpu


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ZARRPROC_CODEC_BENCH_DIR", "/tmp/zarrproc-codec-bench")
    os.makedirs(out, exist_ok=True)
    arr = rainfall_chunk(np.random.default_rng(SEED))
    raw = arr.tobytes()
    with open(os.path.join(out, "raw.bin"), "wb") as f:
        f.write(raw)
    print(f"numcodecs {numcodecs.__version__}, c-blosc {blosc.VERSION_STRING}, chunk {len(raw)} bytes, "
          f"{np.mean(np.frombuffer(raw, '<f4') == 0) * 100:.0f}% zeros")
    results = {}
    print(f"{'case':24} {'ratio':>6} {'1 thread MB/s':>14} {'cpu-MB/s':>9} {'2 threads MB/s':>15} {'cpu-MB/s':>9}")
    for name, codec in CASES.items():
        # Encode the float32 array, not its bytes, so that blosc's typesize
        # is 4 (from the buffer's itemsize), as zarr writes it.
        enc = bytes(codec.encode(arr))
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(enc)
        assert bytes(codec.decode(enc)) == raw
        row = {"ratio": len(raw) / len(enc)}
        cols = []
        for threads in [1, 2]:
            if name.startswith("blosc"):
                blosc.use_threads = threads > 1
                blosc.set_nthreads(threads)
            elif threads > 1:
                cols.append(f"{'-':>15} {'-':>9}")
                continue  # single-threaded codecs
            wall, cpu = best_mbps(codec, enc, len(raw))
            row[f"mbps_{threads}"], row[f"cpu_mbps_{threads}"] = wall, cpu
            cols.append(f"{wall:{14 + (threads == 2)}.0f} {cpu:9.0f}")
        results[name] = row
        print(f"{name:24} {row['ratio']:6.2f} " + " ".join(cols))
    with open(os.path.join(out, "numcodecs_results.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
