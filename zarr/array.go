package zarr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/zarrproc/zarrproc/zarr/codec"
	"github.com/zarrproc/zarrproc/zarr/dtype"
	"github.com/zarrproc/zarrproc/zarr/store"
)

// Array is an open Zarr array: its metadata and the means to read and write
// its chunks. An Array is safe for concurrent use; its exported fields are
// read-only after Open.
type Array struct {
	// Path is the array's node path in the store ("" for a root array).
	Path  string
	Store store.Store
	// Format is the Zarr format version, 2 or 3.
	Format int
	Shape  []int
	// ChunkShape is the shape of the stored objects: the regular chunk grid
	// (for a sharded array, the shard shape).
	ChunkShape []int
	// DType is the stored data type; decoded data is always little-endian.
	DType     dtype.DType
	FillValue dtype.Fill
	// DimensionNames come from v3 dimension_names or v2 _ARRAY_DIMENSIONS;
	// nil when absent, "" for an unnamed v3 dimension.
	DimensionNames []string
	// Attributes are the user attributes (v2 .zattrs minus _ARRAY_DIMENSIONS,
	// v3 attributes).
	Attributes map[string]any

	meta     *arrayMeta
	pipeline *codec.Pipeline
	shard    *codec.Sharding // non-nil when partial shard reads are possible
	indexes  shardIndexCache
	bufs     sync.Pool // decoded chunk buffers, *[]byte
	raws     sync.Pool // encoded chunk buffers, *[]byte
}

// OpenArray opens the array at path (v3 zarr.json, else v2 .zarray).
// A missing array is ErrNotFound.
func OpenArray(ctx context.Context, s store.Store, path string) (*Array, error) {
	path, err := cleanPath(path)
	if err != nil {
		return nil, err
	}
	n, err := readNode(ctx, s, path)
	if err != nil {
		if n != nil && n.arrayErr != nil {
			return nil, arrayError(path, "", n.arrayErr)
		}
		return nil, err
	}
	if n.array == nil {
		return nil, fmt.Errorf("zarr: %w: %q is a group, not an array", ErrNotFound, path)
	}
	return newArray(s, path, n.array)
}

// readNode reads the metadata of the node at path, trying v3 then v2. For
// an array whose metadata is unusable it returns the node (with arrayErr)
// and the error.
func readNode(ctx context.Context, s store.Store, path string) (*nodeMeta, error) {
	doc, err := getOptional(ctx, s, joinKey(path, "zarr.json"))
	if err != nil {
		return nil, err
	}
	if doc != nil {
		n, err := parseNodeV3(doc)
		if err != nil {
			return n, fmt.Errorf("zarr: node %q: %w", path, err)
		}
		return n, nil
	}
	zarray, err := getOptional(ctx, s, joinKey(path, ".zarray"))
	if err != nil {
		return nil, err
	}
	var zgroup []byte
	if zarray == nil {
		if zgroup, err = getOptional(ctx, s, joinKey(path, ".zgroup")); err != nil {
			return nil, err
		}
		if zgroup == nil {
			return nil, fmt.Errorf("zarr: %w: no zarr.json, .zarray or .zgroup at %q in %s", ErrNotFound, path, s.URL())
		}
	}
	zattrs, err := getOptional(ctx, s, joinKey(path, ".zattrs"))
	if err != nil {
		return nil, err
	}
	n := &nodeMeta{}
	if zarray != nil {
		n.array, err = parseArrayV2(zarray, zattrs)
	} else {
		n.group, err = parseGroupV2(zgroup, zattrs)
	}
	if err != nil {
		if n.array == nil && zarray != nil {
			return &nodeMeta{arrayErr: err}, fmt.Errorf("zarr: node %q: %w", path, err)
		}
		return nil, fmt.Errorf("zarr: node %q: %w", path, err)
	}
	return n, nil
}

// getOptional returns the object at key, or nil when it does not exist.
func getOptional(ctx context.Context, s store.Store, key string) ([]byte, error) {
	b, err := s.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("zarr: reading %q: %w", key, err)
	}
	return b, nil
}

func newArray(s store.Store, path string, m *arrayMeta) (*Array, error) {
	a := &Array{
		Path:           path,
		Store:          s,
		Format:         m.format,
		Shape:          m.shape,
		ChunkShape:     m.chunkShape,
		DType:          m.dtype,
		FillValue:      m.fill,
		DimensionNames: m.dimNames,
		Attributes:     m.attrs,
		meta:           m,
	}
	spec := codec.ChunkSpec{Shape: m.chunkShape, DType: m.dtype, Fill: m.fill}
	p, err := codec.NewPipeline(m.codecs, spec)
	if err != nil {
		return nil, arrayError(path, "", unsupported(err))
	}
	a.pipeline = p
	a.shard = p.Sharding()
	return a, nil
}

// NDim is the number of dimensions.
func (a *Array) NDim() int { return len(a.Shape) }

// Size is the number of elements.
func (a *Array) Size() int { return product(a.Shape) }

// NumChunks is the chunk grid's shape: ceil(Shape/ChunkShape) per axis.
func (a *Array) NumChunks() []int {
	n := make([]int, len(a.Shape))
	for i := range n {
		n[i] = (a.Shape[i] + a.ChunkShape[i] - 1) / a.ChunkShape[i]
	}
	return n
}

// InnerChunkShape is the smallest unit a read can fetch: the inner chunk
// shape of a sharded array, ChunkShape otherwise. Readers that align their
// requests to it fetch no byte twice.
func (a *Array) InnerChunkShape() []int {
	if a.shard != nil {
		return a.shard.InnerShape()
	}
	return a.ChunkShape
}

// ChunkBounds is the part of the array chunk idx holds: its start and
// its shape clipped at the array's edge. ReadInto over it reads exactly
// that chunk.
func (a *Array) ChunkBounds(idx []int) (start, shape []int) {
	start, shape = make([]int, len(idx)), make([]int, len(idx))
	for i, c := range idx {
		start[i] = c * a.ChunkShape[i]
		shape[i] = max(0, min(a.ChunkShape[i], a.Shape[i]-start[i]))
	}
	return start, shape
}

// ChunkKey is the key of chunk idx relative to the array ("c/0/1", "0.1"),
// the name used in error messages and cache keys.
func (a *Array) ChunkKey(idx []int) string { return a.meta.keys.key(idx) }

// ChunkStoreKey is the store key of chunk idx: what to pass to Store.Stat
// for the chunk's ETag. For a sharded array it names the shard.
func (a *Array) ChunkStoreKey(idx []int) string { return joinKey(a.Path, a.ChunkKey(idx)) }

// Codecs describes the codec pipeline, e.g. "[bytes zstd]".
func (a *Array) Codecs() string { return a.pipeline.String() }

// MetadataJSON renders the array's metadata document(s) as the format
// stores them: zarr.json for v3; for v2 an object with ".zarray" and
// ".zattrs".
func (a *Array) MetadataJSON() ([]byte, error) {
	if a.Format == 3 {
		return json.Marshal(a.meta.v3Document())
	}
	zarray, zattrs, err := a.meta.v2Documents()
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{".zarray": zarray, ".zattrs": zattrs})
}

func (a *Array) checkChunkIndex(idx []int) error {
	if len(idx) != len(a.Shape) {
		return fmt.Errorf("chunk index %v: want %d coordinates", idx, len(a.Shape))
	}
	n := a.NumChunks()
	for i, c := range idx {
		if c < 0 || c >= n[i] {
			return fmt.Errorf("chunk index %v: outside the chunk grid %v", idx, n)
		}
	}
	return nil
}

func product(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// getBuf returns a pooled buffer of at least n bytes' capacity.
func (a *Array) getBuf(n int) []byte {
	if p, ok := a.bufs.Get().(*[]byte); ok && cap(*p) >= n {
		return (*p)[:0]
	}
	return make([]byte, 0, n)
}

func (a *Array) putBuf(b []byte) {
	if cap(b) == 0 {
		return
	}
	b = b[:0]
	a.bufs.Put(&b)
}
