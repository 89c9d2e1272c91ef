package codec

import (
	stdbytes "bytes"
	"compress/gzip"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecode decodes one realistic chunk per codec. With
// ZARRPROC_CODEC_BENCH_DIR set to the directory written by
// benchmarks/codec/bench_numcodecs.py it decodes exactly the bytes that
// numcodecs decoded there (a 4 MB float32 rainfall chunk); otherwise it
// falls back to the committed 600 kB "large" vector. See
// benchmarks/README.md, "Chunk decoding".
func BenchmarkDecode(b *testing.B) {
	dir := os.Getenv("ZARRPROC_CODEC_BENCH_DIR")
	cases := []struct{ name, codec, config string }{
		{"blosc-lz4-shuffle", "blosc", `{"cname":"lz4","clevel":5,"shuffle":1,"typesize":4}`},
		{"blosc-zstd-bitshuffle", "blosc", `{"cname":"zstd","clevel":5,"shuffle":2,"typesize":4}`},
		{"blosc-blosclz-shuffle", "blosc", `{"cname":"blosclz","clevel":5,"shuffle":1,"typesize":4}`},
		{"zstd", "zstd", `{"level":0}`},
		{"gzip", "gzip", `{"level":1}`},
		{"zlib", "zlib", `{"level":1}`},
		{"lz4", "lz4", `{}`},
	}
	var raw []byte
	if dir != "" {
		raw = mustRead(b, filepath.Join(dir, "raw.bin"))
	} else {
		raw = readVector(b, "raw", "large")
	}
	for _, tc := range cases {
		c, err := NewBytes(tc.codec, []byte(tc.config))
		if err != nil {
			b.Fatal(err)
		}
		var enc []byte
		switch {
		case dir != "":
			enc = mustRead(b, filepath.Join(dir, tc.name+".bin"))
		case tc.name == "blosc-lz4-shuffle":
			enc = readVector(b, "enc", "blosc-lz4-shuffle-ts4-large")
		case tc.name == "blosc-zstd-bitshuffle":
			enc = readVector(b, "enc", "blosc-zstd-bitshuffle-ts4-large")
		case tc.name == "blosc-blosclz-shuffle":
			continue // no large blosclz vector and no blosclz encoder
		default:
			if enc, err = c.Encode(raw); err != nil {
				b.Fatal(err)
			}
		}
		run := func(b *testing.B, decode func(dst []byte) ([]byte, error)) {
			out, err := decode(nil)
			if err != nil || !stdbytes.Equal(out, raw) {
				b.Fatalf("decode: %v (equal %v)", err, stdbytes.Equal(out, raw))
			}
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			cpu0 := processCPUSeconds()
			for b.Loop() {
				if out, err = decode(out); err != nil {
					b.Fatal(err)
				}
			}
			// Decoded megabytes per CPU second (all threads, GC included).
			if cpu := processCPUSeconds() - cpu0; cpu > 0 {
				b.ReportMetric(float64(b.N)*float64(len(raw))/1e6/cpu, "cpu-MB/s")
			}
		}
		b.Run(tc.name, func(b *testing.B) {
			run(b, func(dst []byte) ([]byte, error) { return c.Decode(dst, enc) })
		})
		if tc.codec == "blosc" {
			b.Run(tc.name+"/serial", func(b *testing.B) {
				defer func(v int) { bloscParallelMin = v }(bloscParallelMin)
				bloscParallelMin = math.MaxInt
				run(b, func(dst []byte) ([]byte, error) { return c.Decode(dst, enc) })
			})
		}
		if tc.codec == "gzip" {
			// The standard library, for the choice made in gzip.go.
			b.Run(tc.name+"/stdlib", func(b *testing.B) {
				run(b, func(dst []byte) ([]byte, error) {
					zr, err := gzip.NewReader(stdbytes.NewReader(enc))
					if err != nil {
						return nil, err
					}
					return readAllInto(dst, zr, len(raw))
				})
			})
		}
	}
}

func mustRead(b *testing.B, path string) []byte {
	b.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatalf("%v (run benchmarks/codec/bench_numcodecs.py first)", err)
	}
	return data
}
