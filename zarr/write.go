package zarr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/zarrproc/zarrproc/zarr/codec"
	"github.com/zarrproc/zarrproc/zarr/dtype"
	"github.com/zarrproc/zarrproc/zarr/store"
)

// ArraySpec describes an array to create.
type ArraySpec struct {
	// Format is 2 or 3; 0 means 3.
	Format int
	Shape  []int
	// ChunkShape is the shape of one chunk (of one inner chunk when
	// ShardShape is set).
	ChunkShape []int
	// ShardShape (v3 only), when set, packs ChunkShape chunks into stored
	// shards of this shape (a multiple of ChunkShape).
	ShardShape []int
	DType      dtype.DType
	// FillValue is a Go number or bool (math.NaN() for float arrays read by
	// xarray as missing); nil means v2 null or, in v3, zero.
	FillValue any
	// Compressor is "zstd" (the default), "gzip" or "none".
	Compressor string
	// CompressionLevel is passed to the compressor; 0 is its default.
	CompressionLevel int
	// DimensionNames are written as v3 dimension_names or v2
	// _ARRAY_DIMENSIONS (which xarray needs).
	DimensionNames []string
	Attributes     map[string]any
}

// CreateArray writes the metadata of a new array at path, replacing any
// array there (existing chunks are not removed), and creates missing parent
// groups in the same format.
func CreateArray(ctx context.Context, s store.Store, path string, spec ArraySpec) (*Array, error) {
	path, err := cleanPath(path)
	if err != nil {
		return nil, err
	}
	m, err := spec.meta()
	if err != nil {
		return nil, arrayError(path, "", err)
	}
	a, err := newArray(s, path, m)
	if err != nil {
		return nil, err
	}
	if err := ensureParents(ctx, s, path, m.format); err != nil {
		return nil, err
	}
	if err := a.writeMetadata(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

func (spec ArraySpec) meta() (*arrayMeta, error) {
	m := &arrayMeta{format: spec.Format, shape: spec.Shape, chunkShape: spec.ChunkShape, dtype: spec.DType.Native(),
		dimNames: spec.DimensionNames, attrs: spec.Attributes}
	if m.format == 0 {
		m.format = 3
	}
	if m.format != 2 && m.format != 3 {
		return nil, fmt.Errorf("format %d: want 2 or 3", m.format)
	}
	if m.attrs == nil {
		m.attrs = map[string]any{}
	}
	if m.dtype.Size() == 0 {
		return nil, fmt.Errorf("data type %v: not set", spec.DType)
	}
	if spec.DimensionNames != nil && len(spec.DimensionNames) != len(spec.Shape) {
		return nil, fmt.Errorf("dimension names %v: want %d", spec.DimensionNames, len(spec.Shape))
	}
	var err error
	if m.fill, err = dtype.NewFill(m.dtype, spec.FillValue); err != nil {
		return nil, err
	}
	if m.format == 3 && m.fill.IsNull() {
		m.fill, _ = dtype.NewFill(m.dtype, 0)
	}
	var compressor *codec.Config
	switch spec.Compressor {
	case "", "zstd":
		conf, _ := json.Marshal(map[string]any{"level": spec.CompressionLevel, "checksum": false})
		compressor = &codec.Config{Name: "zstd", Configuration: conf}
	case "gzip":
		level := spec.CompressionLevel
		if level == 0 {
			level = 5
		}
		conf, _ := json.Marshal(map[string]any{"level": level})
		compressor = &codec.Config{Name: "gzip", Configuration: conf}
	case "none":
	default:
		return nil, fmt.Errorf("compressor %q: want zstd, gzip or none", spec.Compressor)
	}
	little := json.RawMessage(`{"endian":"little"}`)
	m.codecs = []codec.Config{{Name: "bytes", Configuration: little}}
	if compressor != nil {
		m.codecs = append(m.codecs, *compressor)
	}
	if m.format == 2 {
		m.codecs[0].Configuration = nil
		m.keys = keyEncoding{sep: "."}
		if spec.ShardShape != nil {
			return nil, fmt.Errorf("%w: sharding needs format 3", ErrUnsupported)
		}
		return m, checkShape(m.shape, m.chunkShape)
	}
	m.keys = keyEncoding{prefix: "c", sep: "/"}
	if spec.ShardShape != nil {
		conf, _ := json.Marshal(map[string]any{
			"chunk_shape":    spec.ChunkShape,
			"codecs":         codecsJSON(m.codecs),
			"index_codecs":   []any{map[string]any{"name": "bytes", "configuration": map[string]any{"endian": "little"}}, map[string]any{"name": "crc32c"}},
			"index_location": "end",
		})
		m.codecs = []codec.Config{{Name: "sharding_indexed", Configuration: conf}}
		m.chunkShape = spec.ShardShape
	}
	return m, checkShape(m.shape, m.chunkShape)
}

// writeMetadata stores the array's metadata document(s).
func (a *Array) writeMetadata(ctx context.Context) error {
	m := a.meta
	m.attrs, m.dimNames = a.Attributes, a.DimensionNames
	if a.Format == 3 {
		return putJSON(ctx, a.Store, joinKey(a.Path, "zarr.json"), m.v3Document())
	}
	zarray, zattrs, err := m.v2Documents()
	if err != nil {
		return arrayError(a.Path, "", err)
	}
	if err := putJSON(ctx, a.Store, joinKey(a.Path, ".zarray"), zarray); err != nil {
		return err
	}
	return putJSON(ctx, a.Store, joinKey(a.Path, ".zattrs"), zattrs)
}

// SetAttributes replaces the array's attributes and rewrites its metadata.
func (a *Array) SetAttributes(ctx context.Context, attrs map[string]any) error {
	if attrs == nil {
		attrs = map[string]any{}
	}
	a.Attributes = attrs
	return a.writeMetadata(ctx)
}

func putJSON(ctx context.Context, s store.Store, key string, v any) error {
	b, err := writeJSON(v)
	if err != nil {
		return fmt.Errorf("zarr: encoding %q: %w", key, err)
	}
	if err := s.Put(ctx, key, b); err != nil {
		return fmt.Errorf("zarr: writing %q: %w", key, err)
	}
	return nil
}

// CreateGroup writes the metadata of a group at path (format 2 or 3; 0
// means 3) and of missing parent groups.
func CreateGroup(ctx context.Context, s store.Store, path string, format int, attrs map[string]any) (*Group, error) {
	path, err := cleanPath(path)
	if err != nil {
		return nil, err
	}
	if format == 0 {
		format = 3
	}
	if format != 2 && format != 3 {
		return nil, fmt.Errorf("zarr: group %q: format %d: want 2 or 3", path, format)
	}
	if attrs == nil {
		attrs = map[string]any{}
	}
	if err := ensureParents(ctx, s, path, format); err != nil {
		return nil, err
	}
	g := &Group{Path: path, Store: s, Format: format, Attributes: attrs}
	return g, g.writeMetadata(ctx)
}

func (g *Group) writeMetadata(ctx context.Context) error {
	if g.Format == 3 {
		return putJSON(ctx, g.Store, joinKey(g.Path, "zarr.json"),
			map[string]any{"zarr_format": 3, "node_type": "group", "attributes": g.Attributes})
	}
	if err := putJSON(ctx, g.Store, joinKey(g.Path, ".zgroup"), map[string]any{"zarr_format": 2}); err != nil {
		return err
	}
	return putJSON(ctx, g.Store, joinKey(g.Path, ".zattrs"), g.Attributes)
}

// SetAttributes replaces the group's attributes and rewrites its metadata
// (dropping v3 inline consolidated metadata: run Consolidate again).
func (g *Group) SetAttributes(ctx context.Context, attrs map[string]any) error {
	if attrs == nil {
		attrs = map[string]any{}
	}
	g.Attributes = attrs
	return g.writeMetadata(ctx)
}

// ensureParents creates the groups above path that have no metadata.
func ensureParents(ctx context.Context, s store.Store, path string, format int) error {
	if path == "" {
		return nil
	}
	parts := strings.Split(path, "/")
	for i := 0; i < len(parts); i++ {
		parent := strings.Join(parts[:i], "/")
		metaKey := joinKey(parent, "zarr.json")
		if format == 2 {
			metaKey = joinKey(parent, ".zgroup")
		}
		_, err := s.Stat(ctx, metaKey)
		if err == nil {
			continue
		}
		if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("zarr: checking %q: %w", metaKey, err)
		}
		g := &Group{Path: parent, Store: s, Format: format, Attributes: map[string]any{}}
		if err := g.writeMetadata(ctx); err != nil {
			return err
		}
	}
	return nil
}

// WriteChunk encodes and stores chunk idx from decoded data: little-endian,
// C-order bytes of the full chunk shape. A chunk holding only the fill
// value is not stored (as zarr-python does), unless one is already there.
func (a *Array) WriteChunk(ctx context.Context, idx []int, data []byte) error {
	if err := a.checkChunkIndex(idx); err != nil {
		return arrayError(a.Path, "", err)
	}
	key := a.ChunkStoreKey(idx)
	if codec.AllFill(data, a.FillValue.Bytes(), a.DType.Size()) {
		_, err := a.Store.Stat(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
	}
	enc, err := a.pipeline.Encode(data)
	if err != nil {
		return arrayError(a.Path, a.ChunkKey(idx), err)
	}
	return a.putChunk(ctx, idx, key, enc)
}

// EncodeChunk returns chunk data (decoded bytes of the full chunk shape, as
// WriteChunk takes them) encoded by the array's codecs, or nil when it
// holds only the fill value. The bytes depend only on the data and the
// array's dtype, fill value, chunk shape and codecs: PutChunk stores them
// in any array that has the same.
func (a *Array) EncodeChunk(data []byte) ([]byte, error) {
	if len(data) != a.pipeline.Spec().ByteSize() {
		return nil, arrayError(a.Path, "", fmt.Errorf("chunk data of %d bytes, chunk %v needs %d", len(data), a.ChunkShape, a.pipeline.Spec().ByteSize()))
	}
	if codec.AllFill(data, a.FillValue.Bytes(), a.DType.Size()) {
		return nil, nil
	}
	enc, err := a.pipeline.Encode(data)
	if err != nil {
		return nil, arrayError(a.Path, "", err)
	}
	return enc, nil
}

// PutChunk stores chunk idx as enc, bytes EncodeChunk returned. A nil enc
// (a chunk of fill values only) removes the chunk, which then reads as
// fill values.
func (a *Array) PutChunk(ctx context.Context, idx []int, enc []byte) error {
	if err := a.checkChunkIndex(idx); err != nil {
		return arrayError(a.Path, "", err)
	}
	key := a.ChunkStoreKey(idx)
	if enc == nil {
		if err := a.Store.Delete(ctx, key); err != nil {
			return arrayError(a.Path, a.ChunkKey(idx), err)
		}
		a.forgetShardIndex(key)
		return nil
	}
	return a.putChunk(ctx, idx, key, enc)
}

func (a *Array) putChunk(ctx context.Context, idx []int, key string, enc []byte) error {
	if err := a.Store.Put(ctx, key, enc); err != nil {
		return arrayError(a.Path, a.ChunkKey(idx), err)
	}
	a.forgetShardIndex(key)
	return nil
}

func (a *Array) forgetShardIndex(key string) {
	a.indexes.mu.Lock()
	delete(a.indexes.m, key)
	a.indexes.mu.Unlock()
}

// Write stores data (C order, product(shape) elements converted from T) in
// the region of a starting at start. Chunks the region covers only in part
// are read, merged and rewritten.
func Write[T Number](ctx context.Context, a *Array, start, shape []int, data []T, opts ...ReadOption) error {
	o := readOptions{concurrency: DefaultConcurrency}
	for _, opt := range opts {
		opt(&o)
	}
	if err := a.checkRegion(start, shape); err != nil {
		return arrayError(a.Path, "", err)
	}
	if len(data) != product(shape) {
		return arrayError(a.Path, "", fmt.Errorf("data holds %d elements, region %v needs %d", len(data), shape, product(shape)))
	}
	if product(shape) == 0 {
		return nil
	}
	if !isNumeric(a.DType.Kind) {
		return arrayError(a.Path, "", fmt.Errorf("%w: writing numbers as %s", ErrUnsupported, a.DType))
	}
	chunks := a.chunksIn(start, shape)
	size := a.pipeline.Spec().ByteSize()
	return runBounded(ctx, len(chunks), o.concurrency, func(ctx context.Context, i int) error {
		idx := chunks[i]
		b := a.chunkBox(idx, start, shape)
		var buf []byte
		if a.coversChunk(idx, b) {
			buf = make([]byte, size)
			codec.FillBytes(buf, a.FillValue.Bytes(), a.DType.Size())
		} else {
			var err error
			if buf, _, err = a.decodeChunk(ctx, idx, make([]byte, 0, size)); err != nil {
				return arrayError(a.Path, a.ChunkKey(idx), err)
			}
		}
		// The copy runs from data into the chunk: swap the box's sides.
		wb := box{srcShape: b.dstShape, srcStart: b.dstStart, dstShape: b.srcShape, dstStart: b.srcStart, count: b.count}
		if err := storeBox(buf, a.DType.Kind, data, wb); err != nil {
			return arrayError(a.Path, a.ChunkKey(idx), err)
		}
		return a.WriteChunk(ctx, idx, buf)
	})
}

// coversChunk reports whether the box covers every element of chunk idx
// that lies inside the array.
func (a *Array) coversChunk(idx []int, b box) bool {
	for i := range idx {
		inside := min(a.ChunkShape[i], a.Shape[i]-idx[i]*a.ChunkShape[i])
		if b.srcStart[i] != 0 || b.count[i] != inside {
			return false
		}
	}
	return true
}

// WriteChunkFrom stores chunk idx from values of the full chunk shape,
// converted from T.
func WriteChunkFrom[T Number](ctx context.Context, a *Array, idx []int, data []T) error {
	buf, err := chunkBytes(a, data)
	if err != nil {
		return arrayError(a.Path, a.ChunkKey(idx), err)
	}
	return a.WriteChunk(ctx, idx, buf)
}

// EncodeChunkFrom is EncodeChunk from values of the full chunk shape,
// converted from T.
func EncodeChunkFrom[T Number](a *Array, data []T) ([]byte, error) {
	buf, err := chunkBytes(a, data)
	if err != nil {
		return nil, arrayError(a.Path, "", err)
	}
	return a.EncodeChunk(buf)
}

// chunkBytes converts values of the full chunk shape to the array's
// decoded chunk bytes.
func chunkBytes[T Number](a *Array, data []T) ([]byte, error) {
	n := product(a.ChunkShape)
	if len(data) != n {
		return nil, fmt.Errorf("data holds %d elements, chunk %v needs %d", len(data), a.ChunkShape, n)
	}
	buf := make([]byte, a.pipeline.Spec().ByteSize())
	zero := make([]int, len(a.ChunkShape))
	if err := storeBox(buf, a.DType.Kind, data, box{srcShape: a.ChunkShape, srcStart: zero, dstShape: a.ChunkShape, dstStart: zero, count: a.ChunkShape}); err != nil {
		return nil, err
	}
	return buf, nil
}
