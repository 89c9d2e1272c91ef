package codec

import (
	stdbytes "bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/klauspost/compress/snappy"
	"github.com/pierrec/lz4/v4"
)

func FuzzBloscDecode(f *testing.F) { fuzzDecode(f, "blosc", `{}`) }

func mustBlosc(t testing.TB, config string) BytesCodec {
	t.Helper()
	c, err := NewBytes("blosc", []byte(config))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBloscSnappy covers the snappy inner codec, for which numcodecs' c-blosc
// has no support: every numcodecs blosc-lz4 frame is rewritten with each
// compressed split re-encoded by klauspost/compress/snappy (Google's raw
// snappy format) and the compressor bits set to 2, so the frame layout,
// splits and shuffles are still c-blosc's own.
func TestBloscSnappy(t *testing.T) {
	n := 0
	for _, v := range loadVectors(t) {
		if v.Codec != "blosc" || !strings.HasPrefix(v.Name, "blosc-lz4-") {
			continue
		}
		enc := readVector(t, "enc", v.Enc)
		if enc[2]&bloscFlagMemcpyed != 0 {
			continue
		}
		frame := transcodeBloscLZ4ToSnappy(t, enc)
		got, err := bloscDecode(nil, frame)
		if err != nil {
			t.Fatalf("%s as snappy: %v", v.Name, err)
		}
		if !stdbytes.Equal(got, readVector(t, "raw", v.Raw)) {
			t.Fatalf("%s as snappy: wrong bytes", v.Name)
		}
		n++
	}
	if n < 20 {
		t.Fatalf("only %d lz4 frames transcoded", n)
	}
}

func transcodeBloscLZ4ToSnappy(t *testing.T, enc []byte) []byte {
	t.Helper()
	f, err := parseBloscFrame(enc)
	if err != nil {
		t.Fatal(err)
	}
	out := append([]byte(nil), enc[:bloscHeaderSize+4*f.nblocks]...)
	out[2] = out[2]&0x1f | bloscFormatSnappy<<5
	for j := 0; j < f.nblocks; j++ {
		binary.LittleEndian.PutUint32(out[bloscHeaderSize+4*j:], uint32(len(out)))
		p := int(binary.LittleEndian.Uint32(enc[bloscHeaderSize+4*j:]))
		bsize, nsplits := f.block(j)
		neblock := bsize / nsplits
		for k := 0; k < nsplits; k++ {
			csize := int(binary.LittleEndian.Uint32(enc[p:]))
			in := enc[p+4 : p+4+csize]
			p += 4 + csize
			split := in
			if csize != neblock {
				plain := make([]byte, neblock)
				if n, err := lz4.UncompressBlock(in, plain); err != nil || n != neblock {
					t.Fatalf("lz4 split: %d, %v", n, err)
				}
				split = snappy.Encode(nil, plain)
				if len(split) >= neblock {
					split = plain
				}
			}
			out = binary.LittleEndian.AppendUint32(out, uint32(len(split)))
			out = append(out, split...)
		}
	}
	binary.LittleEndian.PutUint32(out[12:], uint32(len(out)))
	return out
}

// TestBloscCorrupt checks that malformed frames fail with ErrCorrupt.
func TestBloscCorrupt(t *testing.T) {
	good := readVector(t, "enc", "blosc-lz4-shuffle-ts4-bs1024")
	mut := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	put := func(off int, v uint32) []byte {
		return mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[off:], v); return b })
	}
	cases := map[string][]byte{
		"empty":              {},
		"short header":       good[:15],
		"version 0":          mut(func(b []byte) []byte { b[0] = 0; return b }),
		"version 3 (blosc2)": mut(func(b []byte) []byte { b[0] = 3; return b }),
		"versionlz 2":        mut(func(b []byte) []byte { b[1] = 2; return b }),
		"reserved flag":      mut(func(b []byte) []byte { b[2] |= 0x08; return b }),
		"compressor 5":       mut(func(b []byte) []byte { b[2] = b[2]&0x1f | 5<<5; return b }),
		"typesize 0":         mut(func(b []byte) []byte { b[3] = 0; return b }),
		"nbytes negative":    put(4, 0x80000000),
		"nbytes larger":      put(4, uint32(12005+1024)),
		"blocksize 0":        put(8, 0),
		"blocksize > nbytes": put(8, 20000),
		"blocksize tiny":     put(8, 16), // 751 blocks: table overflows cbytes
		"cbytes > len":       put(12, uint32(len(good)+1)),
		"cbytes < header":    put(12, 8),
		"bstart in table":    put(16, 20),
		"bstart past end":    put(16, uint32(len(good))),
		"csize negative":     put(int(binary.LittleEndian.Uint32(good[16:])), 0xfffffff0),
		"csize zero":         put(int(binary.LittleEndian.Uint32(good[16:])), 0),
		"csize past end":     put(int(binary.LittleEndian.Uint32(good[16:])), 1<<20),
		"truncated":          good[:len(good)-1],
		"memcpyed wrong size": func() []byte {
			b := make([]byte, 16+100)
			b[0], b[1], b[2], b[3] = 2, 1, bloscFlagMemcpyed, 1
			binary.LittleEndian.PutUint32(b[4:], 101)
			binary.LittleEndian.PutUint32(b[8:], 101)
			binary.LittleEndian.PutUint32(b[12:], 116)
			return b
		}(),
		"forged huge nbytes": func() []byte {
			// 2 GiB out of one 1-block frame of a few bytes.
			b := make([]byte, 16+4+4+8)
			b[0], b[1], b[2], b[3] = 2, 1, 0x10|bloscFormatLZ4<<5, 1
			binary.LittleEndian.PutUint32(b[4:], bloscMaxBuffer)
			binary.LittleEndian.PutUint32(b[8:], bloscMaxBuffer)
			binary.LittleEndian.PutUint32(b[12:], uint32(len(b)))
			binary.LittleEndian.PutUint32(b[16:], 20)
			binary.LittleEndian.PutUint32(b[20:], 8)
			return b
		}(),
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := bloscDecode(nil, src)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("got %v, want ErrCorrupt", err)
			}
		})
	}
	// Every truncation and every single-byte change must either decode or
	// fail with ErrCorrupt, never panic.
	for i := range good {
		if _, err := bloscDecode(nil, good[:i]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d: %v", i, err)
		}
		b := append([]byte(nil), good...)
		b[i] ^= 0x5a
		if _, err := bloscDecode(nil, b); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
	}
}

// TestBloscEncodeRoundTrip encodes with every supported inner codec and
// shuffle, over sizes around block and element boundaries.
func TestBloscEncodeRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, cname := range []string{"lz4", "lz4hc", "zstd", "zlib", "snappy"} {
		for _, shuffle := range []string{"noshuffle", "shuffle", "bitshuffle"} {
			for _, ts := range []int{1, 2, 4, 8, 3} {
				for _, n := range []int{0, 1, 127, 128, 1000, 4096, 70001} {
					name := fmt.Sprintf("%s/%s/ts%d/n%d", cname, shuffle, ts, n)
					c := mustBlosc(t, fmt.Sprintf(`{"cname":%q,"clevel":5,"shuffle":%q,"typesize":%d,"blocksize":%d}`,
						cname, shuffle, ts, []int{0, 1024}[n%2]))
					raw := make([]byte, n)
					for i := range raw {
						raw[i] = byte(i / 7 % 5 * int(rng.IntN(2)))
					}
					enc, err := c.Encode(raw)
					if err != nil {
						t.Fatalf("%s: Encode: %v", name, err)
					}
					got, err := c.Decode(nil, enc)
					if err != nil {
						t.Fatalf("%s: Decode: %v", name, err)
					}
					if !stdbytes.Equal(got, raw) {
						t.Fatalf("%s: differs at %d", name, firstDiff(got, raw))
					}
				}
			}
		}
	}
	if _, err := mustBlosc(t, `{"cname":"blosclz"}`).Encode(make([]byte, 1000)); err == nil {
		t.Error("blosclz encoding succeeded; it is documented as unsupported")
	}
}

func TestBloscConfig(t *testing.T) {
	for _, cfg := range []string{
		`{"cname":"lz4","clevel":5,"shuffle":1,"blocksize":0}`,                          // v2
		`{"cname":"zstd","clevel":3,"shuffle":"bitshuffle","typesize":4,"blocksize":0}`, // v3
		`{"cname":"lz4","clevel":5,"shuffle":-1}`,
		`{}`, ``, `null`,
	} {
		if _, err := NewBytes("blosc", []byte(cfg)); err != nil {
			t.Errorf("%s: %v", cfg, err)
		}
	}
	for _, cfg := range []string{
		`{"cname":"brotli"}`, `{"clevel":10}`, `{"shuffle":3}`, `{"shuffle":"bytes"}`, `{"typesize":0}`, `{"cname":5}`,
	} {
		if _, err := NewBytes("blosc", []byte(cfg)); err == nil {
			t.Errorf("%s: accepted", cfg)
		}
	}
}

func TestBitShuffleInverse(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, ts := range []int{1, 2, 3, 4, 8, 16} {
		for _, n := range []int{0, 7, 8, 64, 65, 1000, 1024 + 5} {
			src := make([]byte, n)
			for i := range src {
				src[i] = byte(rng.Uint32())
			}
			sh := make([]byte, n)
			bitShuffle(sh, src, ts)
			back := make([]byte, n)
			bitUnshuffle(back, sh, make([]byte, n), ts)
			if !stdbytes.Equal(back, src) {
				t.Fatalf("ts %d n %d: not inverse", ts, n)
			}
		}
	}
}

func TestBlosclzRejects(t *testing.T) {
	for name, src := range map[string][]byte{
		"literal past input": {5, 'a', 'b'},
		"match before start": {0, 'a', 0x20 | 1, 0},
		"far truncated":      {0, 'a', 0x3f, 0xff, 0x00},
		"ext truncated":      {0, 'a', 0xe0, 0xff},
	} {
		if _, err := blosclzDecode(make([]byte, 64), src); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A run: literal 'a', then match len 3 at distance 1.
	dst := make([]byte, 4)
	if n, err := blosclzDecode(dst, []byte{0, 'a', 0x20, 0}); err != nil || n != 4 || string(dst) != "aaaa" {
		t.Errorf("run: %d %v %q", n, err, dst)
	}
}
