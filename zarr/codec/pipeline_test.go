package codec

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/zarrproc/zarrproc/zarr/dtype"
)

func spec(shape []int, d dtype.DType) ChunkSpec {
	f, _ := dtype.NewFill(d, 0)
	return ChunkSpec{Shape: shape, DType: d, Fill: f}
}

func i32s(b []byte) []int32 {
	out := make([]int32, len(b)/4)
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func i32bytes(v ...int32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
	}
	return b
}

func TestParseV2Order(t *testing.T) {
	got, err := ParseV2(json.RawMessage(`[{"id":"delta","dtype":"<i4"},{"id":"shuffle","elementsize":4}]`),
		json.RawMessage(`{"id":"zlib","level":1}`), "F", 3)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range got {
		names = append(names, c.Name)
	}
	if want := []string{"transpose", "delta", "bytes", "shuffle", "zlib"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("codecs %v, want %v", names, want)
	}
	if string(got[0].Configuration) != `{"order":[2,1,0]}` {
		t.Errorf("transpose config %s", got[0].Configuration)
	}
	if _, err := ParseV2(nil, nil, "K", 2); err == nil {
		t.Error("order K: no error")
	}
}

// A v2 order-F big-endian int32 chunk: memory is column-major and
// byte-swapped; decoding must give row-major little-endian values.
func TestFOrderBigEndian(t *testing.T) {
	codecs, _ := ParseV2(nil, nil, "F", 2)
	be := dtype.DType{Kind: dtype.Int32, BigEndian: true}
	p, err := NewPipeline(codecs, spec([]int{2, 3}, be))
	if err != nil {
		t.Fatal(err)
	}
	// Values a[i][j] = 10*i + j stored column-major, big-endian.
	var stored []byte
	for j := 0; j < 3; j++ {
		for i := 0; i < 2; i++ {
			stored = binary.BigEndian.AppendUint32(stored, uint32(10*i+j))
		}
	}
	dec, err := p.Decode(nil, stored)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := i32s(dec), []int32{0, 1, 2, 10, 11, 12}; !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %v, want %v", got, want)
	}
	enc, err := p.Encode(dec)
	if err != nil || string(enc) != string(stored) {
		t.Fatalf("encode: %x, %v; want %x", enc, err, stored)
	}
}

func TestTransposeNontrivial(t *testing.T) {
	// Decoded shape (2,3,4); order [1,2,0] stores shape (3,4,2) with
	// enc[j][k][i] = dec[i][j][k].
	p, err := NewPipeline([]Config{{Name: "transpose", Configuration: json.RawMessage(`{"order":[1,2,0]}`)}, {Name: "bytes", Configuration: json.RawMessage(`{"endian":"little"}`)}},
		spec([]int{2, 3, 4}, dtype.Int32Type))
	if err != nil {
		t.Fatal(err)
	}
	dec := make([]int32, 24)
	for i := range dec {
		dec[i] = int32(i)
	}
	enc, err := p.Encode(i32bytes(dec...))
	if err != nil {
		t.Fatal(err)
	}
	e := i32s(enc)
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 4; k++ {
				if e[(j*4+k)*2+i] != dec[(i*3+j)*4+k] {
					t.Fatalf("enc[%d][%d][%d] = %d, want %d", j, k, i, e[(j*4+k)*2+i], dec[(i*3+j)*4+k])
				}
			}
		}
	}
	back, err := p.Decode(nil, enc)
	if err != nil || !reflect.DeepEqual(i32s(back), dec) {
		t.Fatalf("decode: %v %v", i32s(back), err)
	}
}

func TestParseV3Codecs(t *testing.T) {
	got, err := ParseV3(json.RawMessage(`["bytes", {"name":"zarrproc.optional","must_understand":false}, {"name":"zstd","configuration":{"level":1}}]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "bytes" || got[1].Name != "zstd" {
		t.Fatalf("%+v", got)
	}
	_, err = NewPipeline([]Config{{Name: "bytes"}, {Name: "zarrproc.nosuch"}}, spec([]int{2}, dtype.Uint8Type))
	if !errors.Is(err, ErrUnknownCodec) {
		t.Fatalf("unknown codec: %v", err)
	}
	if _, err := NewPipeline([]Config{{Name: "zstd"}}, spec([]int{2}, dtype.Uint8Type)); err == nil {
		t.Fatal("no array→bytes codec: no error")
	}
	if _, err := NewPipeline([]Config{{Name: "bytes"}, {Name: "transpose", Configuration: json.RawMessage(`{"order":[0]}`)}}, spec([]int{2}, dtype.Uint8Type)); err == nil {
		t.Fatal("array codec after bytes: no error")
	}
}

func TestDecodeWrongSizeIsCorrupt(t *testing.T) {
	p, _ := NewPipeline([]Config{{Name: "bytes"}}, spec([]int{4}, dtype.Float32Type))
	if _, err := p.Decode(nil, make([]byte, 15)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v", err)
	}
}

// Filters are checked against numcodecs' formulas on values computed by
// hand (numcodecs 0.15: delta.py, fixedscaleoffset.py, quantize.py,
// astype.py, bitround.py).
func TestFilters(t *testing.T) {
	f64 := func(b []byte) []float64 {
		out := make([]float64, len(b)/8)
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		return out
	}
	f64bytes := func(v ...float64) []byte {
		var b []byte
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
		return b
	}
	t.Run("delta", func(t *testing.T) {
		p, err := NewPipeline([]Config{{Name: "delta", Configuration: json.RawMessage(`{"dtype":"<i4"}`)}, {Name: "bytes"}}, spec([]int{5}, dtype.Int32Type))
		if err != nil {
			t.Fatal(err)
		}
		enc := i32bytes(3, 1, -2, 10, 0) // np.cumsum → 3 4 2 12 12
		dec, err := p.Decode(nil, enc)
		if err != nil || !reflect.DeepEqual(i32s(dec), []int32{3, 4, 2, 12, 12}) {
			t.Fatalf("%v %v", i32s(dec), err)
		}
		back, _ := p.Encode(dec)
		if string(back) != string(enc) {
			t.Fatalf("encode %v", i32s(back))
		}
	})
	t.Run("fixedscaleoffset", func(t *testing.T) {
		// numcodecs docs example: offset=1000, scale=10, dtype f8, astype u1.
		conf := json.RawMessage(`{"offset":1000,"scale":10,"dtype":"<f8","astype":"|u1"}`)
		p, err := NewPipeline([]Config{{Name: "fixedscaleoffset", Configuration: conf}, {Name: "bytes"}}, spec([]int{4}, dtype.Float64Type))
		if err != nil {
			t.Fatal(err)
		}
		in := f64bytes(1000, 1000.11, 1000.26, 1001.04)
		enc, err := p.Encode(in)
		if err != nil || !reflect.DeepEqual(enc, []byte{0, 1, 3, 10}) {
			t.Fatalf("encode %v %v", enc, err)
		}
		dec, _ := p.Decode(nil, enc)
		if got, want := f64(dec), []float64{1000, 1000.1, 1000.3, 1001}; !reflect.DeepEqual(got, want) {
			t.Fatalf("decode %v, want %v", got, want)
		}
	})
	t.Run("astype", func(t *testing.T) {
		conf := json.RawMessage(`{"encode_dtype":"<i2","decode_dtype":"<f8"}`)
		p, err := NewPipeline([]Config{{Name: "astype", Configuration: conf}, {Name: "bytes"}}, spec([]int{3}, dtype.Float64Type))
		if err != nil {
			t.Fatal(err)
		}
		dec, err := p.Decode(nil, []byte{1, 0, 0xff, 0xff, 0x10, 0x27})
		if got := f64(dec); err != nil || !reflect.DeepEqual(got, []float64{1, -1, 10000}) {
			t.Fatalf("%v %v", got, err)
		}
	})
	t.Run("quantize", func(t *testing.T) {
		conf := json.RawMessage(`{"digits":1,"dtype":"<f8"}`)
		p, err := NewPipeline([]Config{{Name: "quantize", Configuration: conf}, {Name: "bytes"}}, spec([]int{2}, dtype.Float64Type))
		if err != nil {
			t.Fatal(err)
		}
		// digits=1: bits = ceil(log2(10)) = 4, scale 16: around(16x)/16.
		enc, _ := p.Encode(f64bytes(0.33, 1.97))
		if got := f64(enc); !reflect.DeepEqual(got, []float64{5.0 / 16, 32.0 / 16}) {
			t.Fatalf("encode %v", got)
		}
	})
	t.Run("bitround", func(t *testing.T) {
		p, err := NewPipeline([]Config{{Name: "bitround", Configuration: json.RawMessage(`{"keepbits":2}`)}, {Name: "bytes"}}, spec([]int{1}, dtype.Float32Type))
		if err != nil {
			t.Fatal(err)
		}
		in := binary.LittleEndian.AppendUint32(nil, math.Float32bits(1.3)) // 1.0100110011…b
		enc, _ := p.Encode(in)
		if got := math.Float32frombits(binary.LittleEndian.Uint32(enc)); got != 1.25 {
			t.Fatalf("bitround(1.3, 2) = %v, want 1.25", got)
		}
		dec, _ := p.Decode(nil, enc)
		if string(dec) != string(enc) {
			t.Fatal("decode is not the identity")
		}
	})
	t.Run("packbits", func(t *testing.T) {
		p, err := NewPipeline([]Config{{Name: "packbits"}, {Name: "bytes"}}, spec([]int{10}, dtype.BoolType))
		if err != nil {
			t.Fatal(err)
		}
		in := []byte{1, 0, 1, 1, 0, 0, 0, 1, 1, 1}
		enc, _ := p.Encode(in)
		if want := []byte{6, 0b10110001, 0b11000000}; !reflect.DeepEqual(enc, want) {
			t.Fatalf("encode %08b, want %08b", enc, want)
		}
		dec, err := p.Decode(nil, enc)
		if err != nil || !reflect.DeepEqual(dec, in) {
			t.Fatalf("decode %v %v", dec, err)
		}
	})
}

func TestShardingRoundTripAndIndex(t *testing.T) {
	conf := json.RawMessage(`{"chunk_shape":[2,2],"codecs":[{"name":"bytes","configuration":{"endian":"little"}}],
		"index_codecs":[{"name":"bytes","configuration":{"endian":"little"}},{"name":"crc32c"}],"index_location":"start"}`)
	s := spec([]int{4, 4}, dtype.Int32Type)
	s.Fill, _ = dtype.NewFill(dtype.Int32Type, -1)
	p, err := NewPipeline([]Config{{Name: "sharding_indexed", Configuration: conf}}, s)
	if err != nil {
		t.Fatal(err)
	}
	sh := p.Sharding()
	if sh == nil || sh.IndexSize() != 4*16+4 || !sh.IndexAtStart() {
		t.Fatalf("sharding %+v", sh)
	}
	vals := make([]int32, 16)
	for i := range vals {
		vals[i] = int32(i)
	}
	vals[10], vals[11], vals[14], vals[15] = -1, -1, -1, -1 // inner chunk (1,1) is all fill
	enc, err := p.Encode(i32bytes(vals...))
	if err != nil {
		t.Fatal(err)
	}
	x, err := sh.DecodeIndex(enc[:sh.IndexSize()], int64(len(enc)))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := x.Entry(3); ok {
		t.Error("fill-only inner chunk was stored")
	}
	if off, n, ok := x.Entry(0); !ok || off != uint64(sh.IndexSize()) || n != 16 {
		t.Errorf("entry 0: %d %d %v", off, n, ok)
	}
	dec, err := p.Decode(nil, enc)
	if err != nil || !reflect.DeepEqual(i32s(dec), vals) {
		t.Fatalf("decode %v %v", i32s(dec), err)
	}
	// A flipped index byte fails the checksum.
	enc[3] ^= 1
	if _, err := p.Decode(nil, enc); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupt index: %v", err)
	}
}
