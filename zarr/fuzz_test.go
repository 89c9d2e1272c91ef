package zarr

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"

	"github.com/zarrproc/zarrproc/zarr/codec"
	"github.com/zarrproc/zarrproc/zarr/dtype"
	"github.com/zarrproc/zarrproc/zarr/store"
)

// fuzzRead opens metadata that parsed, stores chunk as the first chunk and
// reads it: nothing may panic, and decoder panics caught by the pipeline
// are bugs too.
func fuzzRead(t *testing.T, m *arrayMeta, chunk []byte) {
	a, err := newArray(store.NewMem(t.Name()), "a", m)
	if err != nil {
		return
	}
	// Keep each input cheap: small chunks, few of them, no overflow.
	elems, chunks := 1, 1
	for i, d := range a.Shape {
		if d > 1<<16 || elems*d > 1<<16 {
			return
		}
		elems *= d
		chunks *= a.NumChunks()[i]
	}
	if a.pipeline.Spec().ByteSize() > 1<<20 || chunks > 1<<10 {
		return
	}
	ctx := context.Background()
	idx := make([]int, a.NDim())
	if a.Size() > 0 {
		if err := a.Store.Put(ctx, a.ChunkStoreKey(idx), chunk); err != nil {
			t.Fatal(err)
		}
	}
	_, err = ReadAll[float64](ctx, a, WithConcurrency(1))
	if err != nil && strings.Contains(err.Error(), "decoder panic") {
		t.Fatal(err)
	}
}

func FuzzParseArrayMetadataV2(f *testing.F) {
	f.Add([]byte(`{"zarr_format":2,"shape":[10,10],"chunks":[5,5],"dtype":"<f4","compressor":null,"fill_value":"NaN","order":"C","filters":null}`),
		[]byte(`{"_ARRAY_DIMENSIONS":["y","x"]}`), []byte{})
	f.Add([]byte(`{"zarr_format":2,"shape":[4,3],"chunks":[2,3],"dtype":">i2","compressor":{"id":"zlib","level":1},"fill_value":-9999,"order":"F","filters":[{"id":"delta","dtype":">i2"}],"dimension_separator":"/"}`),
		[]byte(`{"a":NaN}`), []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	f.Add([]byte(`{"zarr_format":2,"shape":[6],"chunks":[6],"dtype":"<f8","compressor":{"id":"blosc","cname":"lz4","clevel":5,"shuffle":1},"fill_value":null,"order":"C","filters":[{"id":"fixedscaleoffset","offset":1,"scale":10,"dtype":"<f8","astype":"|u1"}]}`),
		[]byte(nil), make([]byte, 22))
	f.Add([]byte(`{"zarr_format":2,"shape":[9],"chunks":[9],"dtype":"|b1","compressor":null,"fill_value":false,"order":"C","filters":[{"id":"packbits"}]}`),
		[]byte(`{}`), []byte{7, 0xff, 0x80})
	f.Fuzz(func(t *testing.T, zarray, zattrs, chunk []byte) {
		m, err := parseArrayV2(zarray, zattrs)
		if err != nil {
			return
		}
		fuzzRead(t, m, chunk)
	})
}

func FuzzParseArrayMetadataV3(f *testing.F) {
	f.Add([]byte(strings.Replace(v3Array, "%s", "", 1)), []byte{})
	f.Add([]byte(`{"zarr_format":3,"node_type":"array","shape":[4,4],"data_type":"int32","chunk_grid":{"name":"regular","configuration":{"chunk_shape":[4,4]}},"chunk_key_encoding":{"name":"v2"},"fill_value":-1,"codecs":[{"name":"sharding_indexed","configuration":{"chunk_shape":[2,2],"codecs":[{"name":"bytes","configuration":{"endian":"big"}}],"index_codecs":[{"name":"bytes","configuration":{"endian":"little"}},{"name":"crc32c"}],"index_location":"start"}}]}`),
		make([]byte, 68))
	f.Add([]byte(`{"zarr_format":3,"node_type":"array","shape":[3,5],"data_type":{"name":"numpy.datetime64","configuration":{"unit":"ns","scale_factor":1}},"chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2,2]}},"chunk_key_encoding":{"name":"default"},"fill_value":0,"codecs":[{"name":"transpose","configuration":{"order":[1,0]}},"bytes",{"name":"zstd","configuration":{"level":0}}],"dimension_names":["t",null]}`),
		[]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0})
	f.Add([]byte(`{"zarr_format":3,"node_type":"group","attributes":{},"consolidated_metadata":{"kind":"inline","must_understand":false,"metadata":{"a":{"zarr_format":3,"node_type":"group"}}}}`), []byte{})
	f.Fuzz(func(t *testing.T, doc, chunk []byte) {
		n, err := parseNodeV3(doc)
		if err != nil || n.array == nil {
			return
		}
		fuzzRead(t, n.array, chunk)
	})
}

// shardCodec builds a 4x4 int32 shard of 2x2 inner chunks.
func shardCodec(t testing.TB, indexCodecs, location string) *codec.Sharding {
	conf := json.RawMessage(`{"chunk_shape":[2,2],"codecs":[{"name":"bytes","configuration":{"endian":"little"}}],
		"index_codecs":` + indexCodecs + `,"index_location":"` + location + `"}`)
	fill, _ := dtype.NewFill(dtype.Int32Type, 0)
	p, err := codec.NewPipeline([]codec.Config{{Name: "sharding_indexed", Configuration: conf}},
		codec.ChunkSpec{Shape: []int{4, 4}, DType: dtype.Int32Type, Fill: fill})
	if err != nil {
		t.Fatal(err)
	}
	return p.Sharding()
}

func FuzzShardIndex(f *testing.F) {
	index := make([]byte, 64)
	for i := 0; i < 4; i++ {
		binary.LittleEndian.PutUint64(index[16*i:], uint64(16*i))
		binary.LittleEndian.PutUint64(index[16*i+8:], 16)
	}
	f.Add(append(make([]byte, 64), index...), false)
	f.Add(append(index, make([]byte, 64)...), true)
	f.Add(append(make([]byte, 64), bytesOf(0xff, 64)...), false)
	f.Add([]byte{1, 2, 3}, true)
	plain := `[{"name":"bytes","configuration":{"endian":"little"}}]`
	crc := `[{"name":"bytes","configuration":{"endian":"little"}},{"name":"crc32c"}]`
	codecs := []*codec.Sharding{shardCodec(f, plain, "end"), shardCodec(f, plain, "start"), shardCodec(f, crc, "end")}
	f.Fuzz(func(t *testing.T, data []byte, start bool) {
		for _, s := range codecs {
			if s.IndexAtStart() != start {
				continue
			}
			if len(data) >= s.IndexSize() {
				if x, err := s.DecodeIndex(data[len(data)-s.IndexSize():], int64(len(data))); err == nil {
					for i := 0; i < x.Len(); i++ {
						off, n, ok := x.Entry(i)
						if ok && off+n > uint64(len(data)) {
							t.Fatalf("entry %d (%d+%d) passed the size check for %d bytes", i, off, n, len(data))
						}
					}
				}
			}
			out, err := s.Decode(data)
			if err == nil && len(out) != 64 {
				t.Fatalf("decoded %d bytes", len(out))
			}
		}
	})
}

func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

// FuzzPipelineDecode feeds random bytes to pipelines mixing every codec
// kind this package owns.
func FuzzPipelineDecode(f *testing.F) {
	pipelines := []string{
		`[{"name":"transpose","configuration":{"order":[1,0]}},{"name":"bytes","configuration":{"endian":"big"}},{"name":"crc32c"}]`,
		`[{"name":"numcodecs.delta","configuration":{"dtype":"<i4"}},{"name":"bytes","configuration":{"endian":"little"}},{"name":"numcodecs.zlib","configuration":{"level":1}}]`,
		`[{"name":"sharding_indexed","configuration":{"chunk_shape":[2,2],"codecs":[{"name":"sharding_indexed","configuration":{"chunk_shape":[1,2],"codecs":[{"name":"bytes","configuration":{"endian":"little"}}]}}],"index_location":"start"}}]`,
		`[{"name":"numcodecs.fixedscaleoffset","configuration":{"offset":2,"scale":3,"dtype":"<i4","astype":"|i1"}},{"name":"bytes"},{"name":"numcodecs.crc32"}]`,
		`[{"name":"scale_offset","configuration":{"offset":2,"scale":3}},{"name":"bytes","configuration":{"endian":"little"}},{"name":"gzip","configuration":{"level":1}}]`,
	}
	built := make([]*codec.Pipeline, len(pipelines))
	fill, _ := dtype.NewFill(dtype.Int32Type, 0)
	for i, p := range pipelines {
		cs, err := codec.ParseV3(json.RawMessage(p))
		if err != nil {
			f.Fatal(err)
		}
		if built[i], err = codec.NewPipeline(cs, codec.ChunkSpec{Shape: []int{4, 4}, DType: dtype.Int32Type, Fill: fill}); err != nil {
			f.Fatal(err)
		}
		vals := make([]byte, 64)
		for j := range vals {
			vals[j] = byte(j * 7)
		}
		if enc, err := built[i].Encode(vals); err == nil {
			f.Add(uint8(i), enc)
		}
	}
	f.Add(uint8(0), []byte{})
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		p := built[int(which)%len(built)]
		out, err := p.Decode(nil, data)
		if err != nil {
			if strings.Contains(err.Error(), "decoder panic") {
				t.Fatal(err)
			}
			return
		}
		if len(out) != 64 {
			t.Fatalf("decoded %d bytes", len(out))
		}
	})
}
