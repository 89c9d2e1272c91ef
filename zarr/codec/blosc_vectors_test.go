package codec

import (
	stdbytes "bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The vectors under testdata/ were written by numcodecs (the C libraries)
// with testdata/gen_vectors.py; they cover every bytes→bytes codec in this
// package, not only blosc. Each one must decode to its raw file exactly.

type numcodecsVector struct {
	Name   string          `json:"name"`
	Codec  string          `json:"codec"`
	Config json.RawMessage `json:"config"`
	Raw    string          `json:"raw"`
	Enc    string          `json:"enc"`
}

func loadVectors(t testing.TB) []numcodecsVector {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Vectors []numcodecsVector `json:"vectors"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	return doc.Vectors
}

func readVector(t testing.TB, kind, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "vectors", kind, name+".bin"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeNumcodecsVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			c, err := NewBytes(v.Codec, v.Config)
			if err != nil {
				t.Fatalf("NewBytes(%s, %s): %v", v.Codec, v.Config, err)
			}
			raw, enc := readVector(t, "raw", v.Raw), readVector(t, "enc", v.Enc)
			got, err := c.Decode(nil, enc)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !stdbytes.Equal(got, raw) {
				t.Fatalf("Decode: %d bytes differ from the %d raw bytes (first difference at %d)", len(got), len(raw), firstDiff(got, raw))
			}
			// Again into a dirty buffer of exactly the decoded size, which
			// must be reused.
			buf := stdbytes.Repeat([]byte{0xA5}, len(raw))
			got, err = c.Decode(buf, enc)
			if err != nil {
				t.Fatalf("Decode into buffer: %v", err)
			}
			if !stdbytes.Equal(got, raw) {
				t.Fatalf("Decode into buffer: differs at %d", firstDiff(got, raw))
			}
			if len(raw) > 0 && &got[0] != &buf[0] && v.Codec != "bz2" && v.Codec != "lzma" {
				t.Errorf("Decode did not reuse a dst of capacity %d for %d bytes", cap(buf), len(raw))
			}
			// Our encoder's output must decode to the same bytes.
			if v.Codec == "bz2" || (v.Codec == "blosc" && stdbytes.Contains(v.Config, []byte(`"blosclz"`))) {
				return // no encoder
			}
			re, err := c.Encode(raw)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			back, err := c.Decode(nil, re)
			if err != nil {
				t.Fatalf("Decode(Encode(raw)): %v", err)
			}
			if !stdbytes.Equal(back, raw) {
				t.Fatalf("Decode(Encode(raw)) differs at %d", firstDiff(back, raw))
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// fuzzDecode is the body of every Fuzz*Decode target: decoding arbitrary
// bytes must not panic, and a failure must wrap ErrCorrupt. The seeds are
// the numcodecs vectors of that codec plus testdata/fuzz/<name>/.
func fuzzDecode(f *testing.F, codecName string, config string) {
	c, err := NewBytes(codecName, json.RawMessage(config))
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range loadVectors(f) {
		if v.Codec == codecName {
			if enc := readVector(f, "enc", v.Enc); len(enc) <= 16<<10 {
				f.Add(enc)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		out, err := c.Decode(nil, src)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		// A second decode into a reused buffer must agree.
		again, err := c.Decode(make([]byte, 0, len(out)), src)
		if err != nil || !stdbytes.Equal(out, again) {
			t.Fatalf("second decode differs (err %v)", err)
		}
	})
}

// TestEncodersReadByNumcodecs checks the other direction: what our
// encoders write, numcodecs (c-blosc, zstd, zlib, lz4, liblzma) decodes to
// the original bytes. It needs zarr-python 3's venv, as zarr's write tests.
func TestEncodersReadByNumcodecs(t *testing.T) {
	py := os.Getenv("ZARRPROC_TEST_PYTHON3")
	if py == "" {
		home, _ := os.UserHomeDir()
		py = filepath.Join(home, ".cache/zarrproc/venv-zarr3/bin/python")
	}
	if _, err := os.Stat(py); err != nil {
		if os.Getenv("ZARRPROC_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("python %s: %v", py, err)
		}
		t.Skipf("python %s not found; set ZARRPROC_TEST_PYTHON3", py)
	}
	raw := readVector(t, "raw", "field")
	cases := map[string]struct{ codec, config string }{
		"blosc-lz4-shuffle4":      {"blosc", `{"cname":"lz4","clevel":5,"shuffle":1,"typesize":4}`},
		"blosc-lz4hc-bit4-bs1024": {"blosc", `{"cname":"lz4hc","clevel":9,"shuffle":2,"typesize":4,"blocksize":1024}`},
		"blosc-zstd-bit8-bs4096":  {"blosc", `{"cname":"zstd","clevel":5,"shuffle":"bitshuffle","typesize":8,"blocksize":4096}`},
		"blosc-zlib-shuffle2":     {"blosc", `{"cname":"zlib","clevel":5,"shuffle":"shuffle","typesize":2,"blocksize":2000}`},
		"blosc-clevel0":           {"blosc", `{"cname":"lz4","clevel":0,"shuffle":1,"typesize":4}`},
		"zstd":                    {"zstd", `{"level":3}`},
		"zstd-checksum":           {"zstd", `{"level":19,"checksum":true}`},
		"gzip":                    {"gzip", `{"level":6}`},
		"zlib":                    {"zlib", `{"level":1}`},
		"lz4":                     {"lz4", `{"acceleration":1}`},
		"lzma":                    {"lzma", `{}`},
		"lzma-alone":              {"lzma", `{"format":2}`},
		"crc32c":                  {"crc32c", `{}`},
		"shuffle":                 {"shuffle", `{"elementsize":5}`},
	}
	dir := t.TempDir()
	for name, tc := range cases {
		c, err := NewBytes(tc.codec, []byte(tc.config))
		if err != nil {
			t.Fatal(err)
		}
		enc, err := c.Encode(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var cfg map[string]any
		if err := json.Unmarshal([]byte(tc.config), &cfg); err != nil {
			t.Fatal(err)
		}
		cfg["id"] = tc.codec
		if tc.codec == "blosc" {
			cfg = map[string]any{"id": "blosc"} // decoding needs no settings
		}
		js, _ := json.Marshal(cfg)
		if err := os.WriteFile(filepath.Join(dir, name+".bin"), enc, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".json"), js, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command(py, filepath.Join("testdata", "decode_with_numcodecs.py"), dir).CombinedOutput(); err != nil {
		t.Fatalf("decode_with_numcodecs.py: %v\n%s", err, out)
	}
	for name := range cases {
		got, err := os.ReadFile(filepath.Join(dir, name+".out"))
		if err != nil {
			t.Fatal(err)
		}
		if !stdbytes.Equal(got, raw) {
			t.Errorf("%s: numcodecs decoded %d bytes, differing at %d", name, len(got), firstDiff(got, raw))
		}
	}
}
