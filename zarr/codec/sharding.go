package codec

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/zarrproc/zarrproc/zarr/dtype"
)

// The "sharding_indexed" codec packs a grid of inner chunks into one stored
// object with an index of (offset, nbytes) uint64 pairs, one per inner
// chunk in C order, at the start or end of the object. An entry of two
// 2^64−1 marks an inner chunk that was never written (it reads as the fill
// value). Sharding is exported so readers can fetch only the index and the
// inner chunks they need by byte range.
func init() { RegisterArrayBytes("sharding_indexed", newSharding) }

// maxInnerChunks bounds the index of one shard (16 bytes per inner chunk).
const maxInnerChunks = 1 << 24

// EmptyShardEntry marks an absent inner chunk in a shard index.
const EmptyShardEntry = ^uint64(0)

// Sharding is a sharding_indexed codec bound to one shard spec.
type Sharding struct {
	spec         ChunkSpec
	innerShape   []int
	perShard     []int // inner chunks along each axis
	indexAtStart bool
	inner        *Pipeline
	index        *Pipeline
	indexSize    int
}

func newSharding(config json.RawMessage, spec ChunkSpec) (ArrayBytesCodec, error) {
	var conf struct {
		ChunkShape    []int           `json:"chunk_shape"`
		Codecs        json.RawMessage `json:"codecs"`
		IndexCodecs   json.RawMessage `json:"index_codecs"`
		IndexLocation string          `json:"index_location"`
	}
	if err := unmarshalConfig(config, &conf); err != nil {
		return nil, err
	}
	n := len(spec.Shape)
	if len(conf.ChunkShape) != n {
		return nil, fmt.Errorf("chunk_shape %v: want %d axes for shard shape %v", conf.ChunkShape, n, spec.Shape)
	}
	s := &Sharding{spec: spec, innerShape: conf.ChunkShape, perShard: make([]int, n)}
	for i, c := range conf.ChunkShape {
		if c <= 0 || spec.Shape[i]%c != 0 {
			return nil, fmt.Errorf("chunk_shape %v does not evenly divide the shard shape %v", conf.ChunkShape, spec.Shape)
		}
		s.perShard[i] = spec.Shape[i] / c
	}
	if s.NumInner() > maxInnerChunks {
		return nil, fmt.Errorf("%d inner chunks per shard: more than %d", s.NumInner(), maxInnerChunks)
	}
	switch conf.IndexLocation {
	case "", "end":
	case "start":
		s.indexAtStart = true
	default:
		return nil, fmt.Errorf("index_location %q: want \"start\" or \"end\"", conf.IndexLocation)
	}
	innerSpec := ChunkSpec{Shape: conf.ChunkShape, DType: spec.DType, Fill: spec.Fill}
	if len(conf.Codecs) == 0 {
		return nil, fmt.Errorf("codecs: missing")
	}
	codecs, err := ParseV3(conf.Codecs)
	if err != nil {
		return nil, err
	}
	if s.inner, err = NewPipeline(codecs, innerSpec); err != nil {
		return nil, fmt.Errorf("inner codecs: %w", err)
	}
	indexCodecs := []Config{{Name: "bytes", Configuration: json.RawMessage(`{"endian":"little"}`)}}
	if len(conf.IndexCodecs) > 0 {
		if indexCodecs, err = ParseV3(conf.IndexCodecs); err != nil {
			return nil, fmt.Errorf("index_codecs: %w", err)
		}
	}
	indexSpec := ChunkSpec{Shape: append(append([]int{}, s.perShard...), 2), DType: dtype.Uint64Type}
	indexSpec.Fill, _ = dtype.NewFill(dtype.Uint64Type, uint64(0))
	if s.index, err = NewPipeline(indexCodecs, indexSpec); err != nil {
		return nil, fmt.Errorf("index_codecs: %w", err)
	}
	// The index codecs must produce a fixed size; learn it by encoding one.
	probe, err := s.index.Encode(make([]byte, indexSpec.ByteSize()))
	if err != nil {
		return nil, fmt.Errorf("index_codecs: %w", err)
	}
	s.indexSize = len(probe)
	return s, nil
}

// Spec describes the whole shard.
func (s *Sharding) Spec() ChunkSpec { return s.spec }

// InnerShape is the shape of one inner chunk.
func (s *Sharding) InnerShape() []int { return s.innerShape }

// PerShard is the number of inner chunks along each axis of a shard.
func (s *Sharding) PerShard() []int { return s.perShard }

// NumInner is the number of inner chunks in a shard.
func (s *Sharding) NumInner() int {
	n := 1
	for _, c := range s.perShard {
		n *= c
	}
	return n
}

// Inner is the pipeline of the inner chunks.
func (s *Sharding) Inner() *Pipeline { return s.inner }

// IndexSize is the encoded size of the shard index in bytes.
func (s *Sharding) IndexSize() int { return s.indexSize }

// IndexAtStart reports whether the index is the first IndexSize bytes of a
// shard (otherwise it is the last).
func (s *Sharding) IndexAtStart() bool { return s.indexAtStart }

// ShardIndex is a decoded shard index: per inner chunk (C order of inner
// chunk coordinates) its byte offset and size in the shard.
type ShardIndex struct {
	entries []uint64
}

// Entry returns the byte range of inner chunk i; ok is false when the inner
// chunk is absent (reads as the fill value).
func (x ShardIndex) Entry(i int) (offset, nbytes uint64, ok bool) {
	off, n := x.entries[2*i], x.entries[2*i+1]
	if off == EmptyShardEntry && n == EmptyShardEntry {
		return 0, 0, false
	}
	return off, n, true
}

// Len is the number of inner chunks the index covers.
func (x ShardIndex) Len() int { return len(x.entries) / 2 }

// DecodeIndex decodes the IndexSize bytes of a shard index and checks every
// present entry lies within a shard of shardSize bytes (pass -1 when the
// size is unknown; the range reads are then checked when they are made).
func (s *Sharding) DecodeIndex(b []byte, shardSize int64) (ShardIndex, error) {
	if len(b) != s.indexSize {
		return ShardIndex{}, fmt.Errorf("%w: shard index: got %d bytes, want %d", ErrCorrupt, len(b), s.indexSize)
	}
	dec, err := s.index.Decode(nil, b)
	if err != nil {
		return ShardIndex{}, fmt.Errorf("shard index: %w", err)
	}
	x := ShardIndex{entries: make([]uint64, len(dec)/8)}
	for i := range x.entries {
		x.entries[i] = binary.LittleEndian.Uint64(dec[8*i:])
	}
	for i := 0; i < x.Len(); i++ {
		off, n, ok := x.Entry(i)
		if !ok {
			continue
		}
		if off > 1<<62 || n > 1<<40 || (shardSize >= 0 && off+n > uint64(shardSize)) {
			return ShardIndex{}, fmt.Errorf("%w: shard index entry %d (offset %d, %d bytes) outside the shard of %d bytes",
				ErrCorrupt, i, off, n, shardSize)
		}
	}
	return x, nil
}

// Decode decodes a whole shard.
func (s *Sharding) Decode(src []byte) ([]byte, error) {
	if len(src) < s.indexSize {
		return nil, fmt.Errorf("%w: shard of %d bytes is shorter than its index (%d bytes)", ErrCorrupt, len(src), s.indexSize)
	}
	ib := src[len(src)-s.indexSize:]
	if s.indexAtStart {
		ib = src[:s.indexSize]
	}
	x, err := s.DecodeIndex(ib, int64(len(src)))
	if err != nil {
		return nil, err
	}
	out := make([]byte, s.spec.ByteSize())
	FillBytes(out, s.spec.Fill.Bytes(), s.spec.DType.Size())
	for i := 0; i < x.Len(); i++ {
		off, n, ok := x.Entry(i)
		if !ok {
			continue
		}
		chunk, err := s.inner.Decode(nil, src[off:off+n])
		if err != nil {
			return nil, fmt.Errorf("inner chunk %v: %w", s.InnerCoords(i), err)
		}
		s.PlaceInner(out, i, chunk)
	}
	return out, nil
}

// InnerCoords returns the grid coordinates of inner chunk i within a shard.
func (s *Sharding) InnerCoords(i int) []int {
	c := make([]int, len(s.perShard))
	for k := len(s.perShard) - 1; k >= 0; k-- {
		c[k] = i % s.perShard[k]
		i /= s.perShard[k]
	}
	return c
}

// InnerIndex is the position in the index of the inner chunk at coords.
func (s *Sharding) InnerIndex(coords []int) int {
	i := 0
	for k, c := range coords {
		i = i*s.perShard[k] + c
	}
	return i
}

// PlaceInner copies decoded inner chunk i into the decoded shard out.
func (s *Sharding) PlaceInner(out []byte, i int, chunk []byte) {
	size := s.spec.DType.Size()
	coords := s.InnerCoords(i)
	n := len(coords)
	if n == 0 {
		copy(out, chunk)
		return
	}
	shardStrides := cStrides(s.spec.Shape)
	base := 0
	for k, c := range coords {
		base += c * s.innerShape[k] * shardStrides[k]
	}
	row := s.innerShape[n-1] * size
	idx := make([]int, n-1)
	rows := len(chunk) / max(row, 1)
	for r := 0; r < rows; r++ {
		off := base
		for k, v := range idx {
			off += v * shardStrides[k]
		}
		copy(out[off*size:off*size+row], chunk[r*row:(r+1)*row])
		for k := n - 2; k >= 0; k-- {
			idx[k]++
			if idx[k] < s.innerShape[k] {
				break
			}
			idx[k] = 0
		}
	}
}

// Encode writes a shard: inner chunks in C order, then the index (or index
// first). Inner chunks holding only the fill value are left out.
func (s *Sharding) Encode(src []byte) ([]byte, error) {
	if len(src) != s.spec.ByteSize() {
		return nil, fmt.Errorf("sharding: got %d bytes, want %d", len(src), s.spec.ByteSize())
	}
	nInner := s.NumInner()
	entries := make([]byte, 16*nInner)
	var body []byte
	base := 0
	if s.indexAtStart {
		base = s.indexSize
	}
	innerSpec := s.inner.Spec()
	size := s.spec.DType.Size()
	chunk := make([]byte, innerSpec.ByteSize())
	shardStrides := cStrides(s.spec.Shape)
	for i := 0; i < nInner; i++ {
		coords := s.InnerCoords(i)
		s.extractInner(chunk, src, coords, shardStrides, size)
		if AllFill(chunk, s.spec.Fill.Bytes(), size) {
			binary.LittleEndian.PutUint64(entries[16*i:], EmptyShardEntry)
			binary.LittleEndian.PutUint64(entries[16*i+8:], EmptyShardEntry)
			continue
		}
		enc, err := s.inner.Encode(chunk)
		if err != nil {
			return nil, err
		}
		binary.LittleEndian.PutUint64(entries[16*i:], uint64(base+len(body)))
		binary.LittleEndian.PutUint64(entries[16*i+8:], uint64(len(enc)))
		body = append(body, enc...)
	}
	index, err := s.index.Encode(entries)
	if err != nil {
		return nil, err
	}
	if s.indexAtStart {
		return append(index, body...), nil
	}
	return append(body, index...), nil
}

func (s *Sharding) extractInner(chunk, shard []byte, coords, shardStrides []int, size int) {
	n := len(coords)
	if n == 0 {
		copy(chunk, shard)
		return
	}
	base := 0
	for k, c := range coords {
		base += c * s.innerShape[k] * shardStrides[k]
	}
	row := s.innerShape[n-1] * size
	idx := make([]int, n-1)
	rows := len(chunk) / max(row, 1)
	for r := 0; r < rows; r++ {
		off := base
		for k, v := range idx {
			off += v * shardStrides[k]
		}
		copy(chunk[r*row:(r+1)*row], shard[off*size:off*size+row])
		for k := n - 2; k >= 0; k-- {
			idx[k]++
			if idx[k] < s.innerShape[k] {
				break
			}
			idx[k] = 0
		}
	}
}

// FillBytes fills dst with repeated copies of the size-byte element fill
// (zeros when fill is nil).
func FillBytes(dst, fill []byte, size int) {
	if len(fill) != size || allZero(fill) {
		clear(dst)
		return
	}
	if len(dst) < size {
		return
	}
	copy(dst, fill)
	for n := size; n < len(dst); n *= 2 {
		copy(dst[n:], dst[:n])
	}
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// AllFill reports whether every size-byte element of b equals fill.
func AllFill(b, fill []byte, size int) bool {
	if len(fill) != size {
		return allZero(b)
	}
	for i := 0; i+size <= len(b); i += size {
		for j := 0; j < size; j++ {
			if b[i+j] != fill[j] {
				return false
			}
		}
	}
	return true
}
