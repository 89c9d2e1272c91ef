"""Generate decode test vectors for zarr/codec with numcodecs (the C libraries).

Run from the repository root:

    ~/.cache/zarrproc/venv-zarr3/bin/python zarr/codec/testdata/gen_vectors.py

(numcodecs 0.16.6, bundling c-blosc 1.21.x). Writes
zarr/codec/testdata/vectors/{raw,enc}/*.bin and vectors.json, a list of
{"name", "codec", "config", "raw", "enc"}: decoding enc with the codec built
from (codec, config) must give raw byte for byte. The data come from a fixed
seed, so rerunning gives the same raw files; encodings may differ slightly
between library versions (gzip also stores no mtime here: mtime=0 via
GZip's own writer is not guaranteed), which is why they are committed.

Snappy: numcodecs' c-blosc is built without snappy, so there are no blosc
snappy vectors here; blosc_test.go builds them by transcoding the lz4 frames'
splits with klauspost/compress/snappy (see TestBloscSnappy).
"""

import json
import os
import subprocess
import sys

import numpy as np
import numcodecs
from numcodecs import blosc

SEED = 20261123
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "vectors")


def rain_field(n, rng):
    """A smooth, rainfall-like float32 series: mostly dry (zeros), wet spells
    as smooth bumps, quantised to 0.1 mm like CHIRPS."""
    t = np.arange(n, dtype=np.float64)
    base = 6 * np.sin(t / 37.0) + 3 * np.sin(t / 11.3 + 1.0) + rng.normal(0, 0.8, n)
    rain = np.where(base > 2.5, base - 2.5, 0.0)
    return (np.round(rain * 10) / 10).astype("<f4")


def main():
    rng = np.random.default_rng(SEED)
    raws = {
        # 3001 float32 + 1 byte: 12005 bytes, so that 2-, 4- and 8-byte
        # typesizes all leave trailing bytes after the whole elements.
        "field": rain_field(3001, rng).tobytes() + b"\x07",
        # 150,000 float32 (600 kB): many auto-sized blocks, parallel path.
        "large": rain_field(150_000, rng).tobytes(),
        "noise": rng.integers(0, 256, 5000, dtype=np.uint8).tobytes(),
        "tiny": bytes(range(100)),
        "empty": b"",
    }
    os.makedirs(os.path.join(OUT, "raw"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "enc"), exist_ok=True)
    for name, data in raws.items():
        with open(os.path.join(OUT, "raw", name + ".bin"), "wb") as f:
            f.write(data)

    vectors = []

    def add(name, codec_id, config, raw, enc):
        enc = bytes(enc)
        with open(os.path.join(OUT, "enc", name + ".bin"), "wb") as f:
            f.write(enc)
        vectors.append({"name": name, "codec": codec_id, "config": config, "raw": raw, "enc": name})

    def add_codec(name, codec, raw):
        cfg = codec.get_config()
        cid = cfg.pop("id")
        add(name, cid, cfg, raw, codec.encode(raws[raw]))

    def add_blosc(name, raw, cname, clevel, shuffle, typesize, blocksize, splitmode="FORWARD_COMPAT"):
        os.environ["BLOSC_SPLITMODE"] = splitmode
        enc = blosc.compress(raws[raw], cname.encode(), clevel, shuffle, blocksize, typesize)
        cfg = {"cname": cname, "clevel": clevel, "shuffle": shuffle, "blocksize": blocksize, "typesize": typesize}
        add(name, "blosc", cfg, raw, enc)

    # numcodecs calls blosc_compress (which reads BLOSC_SPLITMODE) from the
    # main thread.
    blosc.use_threads = True
    shuffles = {0: "noshuffle", 1: "shuffle", 2: "bitshuffle"}
    for cname in ["blosclz", "lz4", "lz4hc", "zlib", "zstd"]:
        for sh, shname in shuffles.items():
            for ts in [1, 2, 4, 8]:
                for bs in [0, 1024]:
                    add_blosc(f"blosc-{cname}-{shname}-ts{ts}-bs{bs}", "field", cname, 5, sh, ts, bs)
    # Splits for the codecs c-blosc does not split by default, and no
    # splits for those it does.
    for cname in ["zlib", "zstd", "lz4hc"]:
        for sh, shname in shuffles.items():
            for ts in [2, 4, 8]:
                add_blosc(f"blosc-{cname}-{shname}-ts{ts}-bs1024-split", "field", cname, 5, sh, ts, 1024, "ALWAYS")
    for cname in ["blosclz", "lz4"]:
        add_blosc(f"blosc-{cname}-shuffle-ts4-bs1024-nosplit", "field", cname, 5, 1, 4, 1024, "NEVER")
    # Levels, memcpyed frames, sizes below MIN_BUFFERSIZE and 0.
    add_blosc("blosc-lz4-shuffle-ts4-clevel9", "field", "lz4", 9, 1, 4, 0)
    add_blosc("blosc-blosclz-shuffle-ts4-clevel1", "field", "blosclz", 1, 1, 4, 0)
    add_blosc("blosc-blosclz-noshuffle-ts1-clevel9", "field", "blosclz", 9, 0, 1, 256)
    add_blosc("blosc-lz4-shuffle-ts4-clevel0", "field", "lz4", 0, 1, 4, 0)
    add_blosc("blosc-lz4-shuffle-ts4-noise", "noise", "lz4", 5, 1, 4, 0)
    add_blosc("blosc-blosclz-noshuffle-ts1-noise", "noise", "blosclz", 5, 0, 1, 1024)
    add_blosc("blosc-zstd-bitshuffle-ts4-tiny", "tiny", "zstd", 5, 2, 4, 0)
    add_blosc("blosc-lz4-shuffle-ts4-empty", "empty", "lz4", 5, 1, 4, 0)
    # Large multi-block frames (auto blocksize), decoded in parallel.
    add_blosc("blosc-lz4-shuffle-ts4-large", "large", "lz4", 5, 1, 4, 0)
    add_blosc("blosc-zstd-bitshuffle-ts4-large", "large", "zstd", 5, 2, 4, 0)
    os.environ.pop("BLOSC_SPLITMODE")

    for level in [1, 3, 19]:
        add_codec(f"zstd-l{level}", numcodecs.Zstd(level=level), "field")
    add_codec("zstd-checksum", numcodecs.Zstd(level=1, checksum=True), "field")
    # A streaming frame without a content size, as the zstd CLI writes
    # when reading a pipe, and two concatenated frames.
    stream = subprocess.run(["zstd", "-q", "-c", "-3"], input=raws["field"], capture_output=True, check=True).stdout
    assert stream[4] & 0xC0 == 0 and not stream[4] & 0x20, "expected a frame without content size"
    add("zstd-streaming", "zstd", {"level": 3}, "field", stream)
    z = numcodecs.Zstd(level=1)
    add("zstd-two-frames", "zstd", {"level": 1}, "field", z.encode(raws["field"][:5000]) + z.encode(raws["field"][5000:]))
    for level in [1, 9]:
        add_codec(f"gzip-l{level}", numcodecs.GZip(level=level), "field")
        add_codec(f"zlib-l{level}", numcodecs.Zlib(level=level), "field")
        add_codec(f"bz2-l{level}", numcodecs.BZ2(level=level), "field")
    add_codec("gzip-empty", numcodecs.GZip(level=1), "empty")
    for acc in [1, 10]:
        add_codec(f"lz4-a{acc}", numcodecs.LZ4(acceleration=acc), "field")
    add_codec("lz4-noise", numcodecs.LZ4(), "noise")
    add_codec("lz4-empty", numcodecs.LZ4(), "empty")
    add_codec("lzma-xz", numcodecs.LZMA(), "field")
    add_codec("lzma-alone", numcodecs.LZMA(format=2), "field")
    add_codec("crc32c-field", numcodecs.CRC32C(), "field")
    add_codec("crc32c-empty", numcodecs.CRC32C(), "empty")
    add_codec("shuffle-e4", numcodecs.Shuffle(elementsize=4), "tiny")
    add_codec("shuffle-e8", numcodecs.Shuffle(elementsize=8), "noise")
    add_codec("shuffle-e1", numcodecs.Shuffle(elementsize=1), "tiny")
    add_codec("shuffle-e5", numcodecs.Shuffle(elementsize=5), "field")

    write_fuzz_seeds(rng)

    for v in vectors:
        codec = numcodecs.get_codec(dict(v["config"], id=v["codec"]))
        with open(os.path.join(OUT, "enc", v["enc"] + ".bin"), "rb") as f:
            enc = f.read()
        if v["name"] in ("blosc-lz4-shuffle-ts4-empty", "lz4-empty"):
            # numcodecs writes these but its decoders report an error for
            # an empty result; we accept them.
            continue
        assert bytes(codec.decode(enc)) == raws[v["raw"]], v["name"]
    with open(os.path.join(HERE, "vectors.json"), "w") as f:
        json.dump({"generator": f"numcodecs {numcodecs.__version__}, python {sys.version.split()[0]}",
                   "seed": SEED, "vectors": vectors}, f, indent=1)
    total = sum(os.path.getsize(os.path.join(OUT, d, x)) for d in ["raw", "enc"] for x in os.listdir(os.path.join(OUT, d)))
    print(f"{len(vectors)} vectors, {total} bytes")


def go_bytes_literal(b):
    return '[]byte("' + "".join(f"\\x{c:02x}" for c in b) + '")'


def write_fuzz_seeds(rng):
    """Small seed corpora for the Fuzz* targets, in go test's corpus format
    (testdata/fuzz/<FuzzName>/<seed>)."""
    small = rain_field(300, rng).tobytes() + b"\x01\x02\x03"
    seeds = {}
    os.environ["BLOSC_SPLITMODE"] = "ALWAYS"
    for cname in ["blosclz", "lz4", "lz4hc", "zlib", "zstd"]:
        for sh in [0, 1, 2]:
            seeds.setdefault("FuzzBloscDecode", []).append(
                (f"{cname}-{sh}", blosc.compress(small, cname.encode(), 5, sh, 256, 4)))
    os.environ.pop("BLOSC_SPLITMODE")
    seeds["FuzzBloscDecode"].append(("memcpyed", blosc.compress(small[:100], b"lz4", 5, 1, 0, 4)))
    seeds["FuzzBloscDecode"].append(("nosplit-8", blosc.compress(small, b"lz4", 5, 1, 256, 8)))
    seeds["FuzzZstdDecode"] = [("l1", numcodecs.Zstd(level=1).encode(small)),
                               ("crc", numcodecs.Zstd(level=1, checksum=True).encode(small)),
                               ("stream", subprocess.run(["zstd", "-q", "-c"], input=small, capture_output=True, check=True).stdout)]
    seeds["FuzzGzipDecode"] = [("l1", numcodecs.GZip(level=1).encode(small))]
    seeds["FuzzZlibDecode"] = [("l1", numcodecs.Zlib(level=1).encode(small))]
    seeds["FuzzLZ4Decode"] = [("a1", numcodecs.LZ4().encode(small))]
    seeds["FuzzBz2Decode"] = [("l1", numcodecs.BZ2(level=1).encode(small))]
    seeds["FuzzLzmaDecode"] = [("xz", numcodecs.LZMA().encode(small)),
                               ("alone", numcodecs.LZMA(format=2).encode(small))]
    seeds["FuzzCrc32cDecode"] = [("field", numcodecs.CRC32C().encode(small))]
    seeds["FuzzShuffleDecode"] = [("e4", numcodecs.Shuffle(elementsize=4).encode(small[:1200]))]
    for fuzz, items in seeds.items():
        d = os.path.join(HERE, "fuzz", fuzz)
        os.makedirs(d, exist_ok=True)
        for name, data in items:
            with open(os.path.join(d, "numcodecs-" + name), "w") as f:
                f.write("go test fuzz v1\n" + go_bytes_literal(bytes(data)) + "\n")


if __name__ == "__main__":
    main()
