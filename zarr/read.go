package zarr

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"unsafe"

	"github.com/zarrproc/zarrproc/zarr/codec"
	"github.com/zarrproc/zarrproc/zarr/dtype"
	"github.com/zarrproc/zarrproc/zarr/store"
)

// maxRegionElements bounds one Read, so that a product of lengths cannot
// overflow.
const maxRegionElements = 1 << 40

// DefaultConcurrency bounds the chunk reads one Read keeps in flight.
const DefaultConcurrency = 16

// ReadOption tunes a read.
type ReadOption func(*readOptions)

type readOptions struct {
	concurrency int
}

// WithConcurrency bounds the number of chunks fetched and decoded at once
// (1 reads them one after the other).
func WithConcurrency(n int) ReadOption {
	return func(o *readOptions) {
		if n > 0 {
			o.concurrency = n
		}
	}
}

// Read returns the hyperslab of a starting at start with the given shape, in
// C order, converted to T. Chunks that were never written read as the fill
// value.
func Read[T Number](ctx context.Context, a *Array, start, shape []int, opts ...ReadOption) ([]T, error) {
	if err := a.checkRegion(start, shape); err != nil {
		return nil, arrayError(a.Path, "", err)
	}
	dst := make([]T, product(shape))
	if err := ReadInto(ctx, a, dst, start, shape, opts...); err != nil {
		return nil, err
	}
	return dst, nil
}

// ReadAll returns the whole array in C order, converted to T.
func ReadAll[T Number](ctx context.Context, a *Array, opts ...ReadOption) ([]T, error) {
	return Read[T](ctx, a, make([]int, len(a.Shape)), a.Shape, opts...)
}

// ReadInto reads the hyperslab (start, shape) into dst, which must hold
// exactly product(shape) elements. Chunks are fetched concurrently; the
// first error cancels the rest.
func ReadInto[T Number](ctx context.Context, a *Array, dst []T, start, shape []int, opts ...ReadOption) error {
	o := readOptions{concurrency: DefaultConcurrency}
	for _, opt := range opts {
		opt(&o)
	}
	if err := a.checkRegion(start, shape); err != nil {
		return arrayError(a.Path, "", err)
	}
	if len(dst) != product(shape) {
		return arrayError(a.Path, "", fmt.Errorf("destination holds %d elements, region %v needs %d", len(dst), shape, product(shape)))
	}
	if product(shape) == 0 {
		return nil
	}
	if !isNumeric(a.DType.Kind) {
		return arrayError(a.Path, "", fmt.Errorf("%w: reading %s as numbers", ErrUnsupported, a.DType))
	}
	chunks := a.chunksIn(start, shape)
	fill := fillAs[T](a.FillValue)
	return runBounded(ctx, len(chunks), o.concurrency, func(ctx context.Context, i int) error {
		idx := chunks[i]
		b := a.chunkBox(idx, start, shape)
		if a.shard != nil {
			return readShardBox(ctx, a, idx, dst, b, fill)
		}
		return readChunkBox(ctx, a, idx, dst, b, fill)
	})
}

// Chunk is one decoded chunk.
type Chunk struct {
	Index []int
	// Key is the chunk's store key (Store.Stat it for the ETag).
	Key string
	// Shape is the full chunk shape, also for edge chunks.
	Shape []int
	// DType is the element type; Data is little-endian whatever the storage.
	DType dtype.DType
	// Data holds the decoded elements in C order.
	Data []byte
	// Missing is set when the chunk is not stored and Data is the fill value.
	Missing bool
}

// ReadChunk fetches and decodes chunk idx (the whole shard for a sharded
// array). A missing chunk is filled with the fill value.
func (a *Array) ReadChunk(ctx context.Context, idx []int) (*Chunk, error) {
	if err := a.checkChunkIndex(idx); err != nil {
		return nil, arrayError(a.Path, "", err)
	}
	key := a.ChunkKey(idx)
	c := &Chunk{Index: append([]int(nil), idx...), Key: a.ChunkStoreKey(idx), Shape: a.ChunkShape, DType: a.DType.Native()}
	data, missing, err := a.decodeChunk(ctx, idx, make([]byte, 0, a.pipeline.Spec().ByteSize()))
	if err != nil {
		return nil, arrayError(a.Path, key, err)
	}
	c.Data, c.Missing = data, missing
	return c, nil
}

// ReadChunkInto decodes chunk idx straight into dst, converted to T. dst
// must hold the full chunk shape (edge chunks are full-size; elements past
// the array's edge are whatever the writer stored). It reports whether the
// chunk was missing and so filled with the fill value.
func ReadChunkInto[T Number](ctx context.Context, a *Array, idx []int, dst []T) (missing bool, err error) {
	if err := a.checkChunkIndex(idx); err != nil {
		return false, arrayError(a.Path, "", err)
	}
	n := product(a.ChunkShape)
	if len(dst) != n {
		return false, arrayError(a.Path, a.ChunkKey(idx), fmt.Errorf("destination holds %d elements, chunk %v needs %d", len(dst), a.ChunkShape, n))
	}
	if sameLayout[T](a.DType.Kind) {
		// The decoded bytes are already T's in-memory form: decode straight
		// into dst's memory, saving a chunk-sized buffer and a copy.
		view := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), n*a.DType.Size())
		data, missing, err := a.decodeChunk(ctx, idx, view[:0])
		if err != nil {
			return false, arrayError(a.Path, a.ChunkKey(idx), err)
		}
		if len(data) > 0 && unsafe.SliceData(data) != unsafe.SliceData(view) {
			copy(view, data)
		}
		return missing, nil
	}
	buf := a.getBuf(a.pipeline.Spec().ByteSize())
	data, missing, err := a.decodeChunk(ctx, idx, buf)
	if err != nil {
		return false, arrayError(a.Path, a.ChunkKey(idx), err)
	}
	zero := make([]int, len(a.ChunkShape))
	err = copyBox(dst, data, a.DType.Kind, box{srcShape: a.ChunkShape, srcStart: zero, dstShape: a.ChunkShape, dstStart: zero, count: a.ChunkShape})
	a.putBuf(data)
	if err != nil {
		return false, arrayError(a.Path, a.ChunkKey(idx), err)
	}
	return missing, nil
}

// decodeChunk fetches and decodes chunk idx into buf (reused when large
// enough), filling a missing chunk with the fill value.
func (a *Array) decodeChunk(ctx context.Context, idx []int, buf []byte) ([]byte, bool, error) {
	raw, err := a.getRaw(ctx, idx)
	if errors.Is(err, store.ErrNotFound) {
		spec := a.pipeline.Spec()
		out := buf[:0]
		if cap(out) < spec.ByteSize() {
			out = make([]byte, spec.ByteSize())
		}
		out = out[:spec.ByteSize()]
		codec.FillBytes(out, a.FillValue.Bytes(), a.DType.Size())
		return out, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	data, err := a.pipeline.Decode(buf, raw)
	a.putRaw(raw) // decoded data never aliases the encoded bytes
	if err != nil {
		return nil, false, err
	}
	return data, false, nil
}

// getRaw fetches a stored chunk's encoded bytes into a pooled buffer when
// the store can read into one (store.BufferGetter).
func (a *Array) getRaw(ctx context.Context, idx []int) ([]byte, error) {
	var buf []byte
	if p, ok := a.raws.Get().(*[]byte); ok {
		buf = (*p)[:0]
	}
	return store.GetInto(ctx, a.Store, a.ChunkStoreKey(idx), buf)
}

func (a *Array) putRaw(b []byte) {
	if cap(b) == 0 {
		return
	}
	b = b[:0]
	a.raws.Put(&b)
}

func readChunkBox[T Number](ctx context.Context, a *Array, idx []int, dst []T, b box, fill T) error {
	raw, err := a.getRaw(ctx, idx)
	if errors.Is(err, store.ErrNotFound) {
		fillBox(dst, b, fill)
		return nil
	}
	if err != nil {
		return arrayError(a.Path, a.ChunkKey(idx), err)
	}
	data, err := a.pipeline.Decode(a.getBuf(a.pipeline.Spec().ByteSize()), raw)
	a.putRaw(raw)
	if err != nil {
		return arrayError(a.Path, a.ChunkKey(idx), err)
	}
	err = copyBox(dst, data, a.DType.Kind, b)
	a.putBuf(data)
	if err != nil {
		return arrayError(a.Path, a.ChunkKey(idx), err)
	}
	return nil
}

func isNumeric(k dtype.Kind) bool {
	return k != dtype.Invalid && !k.IsComplex()
}

func (a *Array) checkRegion(start, shape []int) error {
	if len(start) != len(a.Shape) || len(shape) != len(a.Shape) {
		return fmt.Errorf("region start %v, shape %v: want %d axes", start, shape, len(a.Shape))
	}
	n := 1
	for i := range start {
		if start[i] < 0 || shape[i] < 0 || start[i] > a.Shape[i]-shape[i] {
			return fmt.Errorf("region start %v, shape %v: outside the array shape %v", start, shape, a.Shape)
		}
		if shape[i] > 0 && n > maxRegionElements/shape[i] {
			return fmt.Errorf("region shape %v: more than %d elements", shape, maxRegionElements)
		}
		n *= shape[i]
	}
	return nil
}

// chunksIn lists the grid coordinates of the chunks the region touches, in
// C order.
func (a *Array) chunksIn(start, shape []int) [][]int {
	n := len(start)
	lo, hi := make([]int, n), make([]int, n)
	for i := range n {
		lo[i] = start[i] / a.ChunkShape[i]
		hi[i] = (start[i] + shape[i] - 1) / a.ChunkShape[i]
	}
	return gridRange(lo, hi)
}

// gridRange lists every coordinate between lo and hi (inclusive), C order.
func gridRange(lo, hi []int) [][]int {
	n := len(lo)
	total := 1
	for i := range n {
		total *= hi[i] - lo[i] + 1
	}
	out := make([][]int, 0, total)
	cur := append([]int(nil), lo...)
	for {
		out = append(out, append([]int(nil), cur...))
		k := n - 1
		for ; k >= 0; k-- {
			cur[k]++
			if cur[k] <= hi[k] {
				break
			}
			cur[k] = lo[k]
		}
		if k < 0 {
			return out
		}
	}
}

// chunkBox is the copy from chunk idx into a region buffer.
func (a *Array) chunkBox(idx, start, shape []int) box {
	n := len(idx)
	b := box{srcShape: a.ChunkShape, srcStart: make([]int, n), dstShape: shape, dstStart: make([]int, n), count: make([]int, n)}
	for i := range n {
		origin := idx[i] * a.ChunkShape[i]
		lo := max(start[i], origin)
		hi := min(start[i]+shape[i], origin+a.ChunkShape[i])
		b.srcStart[i] = lo - origin
		b.dstStart[i] = lo - start[i]
		b.count[i] = hi - lo
	}
	return b
}

// runBounded calls fn for 0..n-1 with at most limit calls in flight and
// returns the first error; the others see a cancelled context.
func runBounded(ctx context.Context, n, limit int, fn func(ctx context.Context, i int) error) error {
	if limit <= 1 || n == 1 {
		for i := range n {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(ctx, i); err != nil {
				return err
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	sem := make(chan struct{}, limit)
loop:
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, i); err != nil {
				once.Do(func() { firstErr = err; cancel() })
			}
		}(i)
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// shardIndexCache keeps decoded shard indexes by store key, so reading
// several regions of one shard fetches its index once. It is bounded;
// when full it forgets everything, which costs one index read per shard.
type shardIndexCache struct {
	mu sync.Mutex
	m  map[string]codec.ShardIndex
}

const maxCachedShardIndexes = 4096

func (c *shardIndexCache) get(key string) (codec.ShardIndex, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	x, ok := c.m[key]
	return x, ok
}

func (c *shardIndexCache) put(key string, x codec.ShardIndex) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedShardIndexes {
		c.m = map[string]codec.ShardIndex{}
	}
	c.m[key] = x
}

// ForgetShardIndexes drops the cached shard indexes, for a caller that
// knows shards were rewritten.
func (a *Array) ForgetShardIndexes() {
	a.indexes.mu.Lock()
	a.indexes.m = nil
	a.indexes.mu.Unlock()
}

// shardIndex returns the index of the shard at key, fetched with one
// prefix or suffix range read; found is false when the shard is absent.
func (a *Array) shardIndex(ctx context.Context, key string) (x codec.ShardIndex, found bool, err error) {
	if x, ok := a.indexes.get(key); ok {
		return x, true, nil
	}
	s := a.shard
	size := int64(s.IndexSize())
	var b []byte
	if s.IndexAtStart() {
		b, err = a.Store.GetRange(ctx, key, 0, size)
	} else {
		b, err = a.Store.GetRange(ctx, key, -size, 0)
	}
	if errors.Is(err, store.ErrNotFound) {
		return x, false, nil
	}
	if err != nil {
		return x, false, err
	}
	if x, err = s.DecodeIndex(b, -1); err != nil {
		return x, false, err
	}
	a.indexes.put(key, x)
	return x, true, nil
}

// Range coalescing for partial shard reads, as zarr-python does: inner
// chunks less than maxGap apart are fetched in one request of at most
// maxSpan bytes, trading a few unneeded bytes for fewer round trips.
const (
	coalesceMaxGap  = 1 << 20
	coalesceMaxSpan = 16 << 20
)

// shardRangeConcurrency bounds the range reads one shard read keeps in
// flight (on top of the chunk-level bound of the whole Read).
const shardRangeConcurrency = 4

type innerRead struct {
	i      int // position in the shard index
	coords []int
	off, n uint64
}

// readShardBox reads the part b of shard idx: the whole object when every
// inner chunk is needed, else the index and the needed inner chunks by
// byte range.
func readShardBox[T Number](ctx context.Context, a *Array, idx []int, dst []T, b box, fill T) error {
	s := a.shard
	inner := s.InnerShape()
	n := len(idx)
	lo, hi := make([]int, n), make([]int, n)
	for k := range n {
		lo[k] = b.srcStart[k] / inner[k]
		hi[k] = (b.srcStart[k] + b.count[k] - 1) / inner[k]
	}
	needed := gridRange(lo, hi)
	if len(needed) == s.NumInner() {
		return readChunkBox(ctx, a, idx, dst, b, fill)
	}
	key := a.ChunkStoreKey(idx)
	fail := func(err error) error { return arrayError(a.Path, a.ChunkKey(idx), err) }
	x, found, err := a.shardIndex(ctx, key)
	if err != nil {
		return fail(err)
	}
	if !found {
		fillBox(dst, b, fill)
		return nil
	}
	var reads []innerRead
	for _, ic := range needed {
		i := s.InnerIndex(ic)
		off, sz, ok := x.Entry(i)
		if !ok {
			fillBox(dst, innerBox(b, ic, inner), fill)
			continue
		}
		reads = append(reads, innerRead{i: i, coords: ic, off: off, n: sz})
	}
	sort.Slice(reads, func(i, j int) bool { return reads[i].off < reads[j].off })
	// Group nearby reads, then fetch the groups concurrently: on object
	// stores each range is one round trip.
	var groups [][]innerRead
	for g := 0; g < len(reads); {
		start, end := reads[g].off, reads[g].off+reads[g].n
		h := g + 1
		for h < len(reads) && reads[h].off <= end+coalesceMaxGap && reads[h].off+reads[h].n-start <= coalesceMaxSpan {
			end = max(end, reads[h].off+reads[h].n)
			h++
		}
		groups = append(groups, reads[g:h])
		g = h
	}
	pipe := s.Inner()
	return runBounded(ctx, len(groups), shardRangeConcurrency, func(ctx context.Context, gi int) error {
		group := groups[gi]
		start, end := group[0].off, group[0].off+group[0].n
		for _, r := range group[1:] {
			end = max(end, r.off+r.n)
		}
		data, err := a.Store.GetRange(ctx, key, int64(start), int64(end-start))
		if err != nil {
			return fail(err)
		}
		if uint64(len(data)) != end-start {
			return fail(fmt.Errorf("%w: shard has %d bytes at offset %d, index says %d", codec.ErrCorrupt, len(data), start, end-start))
		}
		for _, r := range group {
			dec, err := pipe.Decode(a.getBuf(pipe.Spec().ByteSize()), data[r.off-start:r.off-start+r.n])
			if err != nil {
				return fail(fmt.Errorf("inner chunk %v: %w", r.coords, err))
			}
			err = copyBox(dst, dec, a.DType.Kind, innerBox(b, r.coords, inner))
			a.putBuf(dec)
			if err != nil {
				return fail(err)
			}
		}
		return nil
	})
}

// innerBox narrows the shard copy b to inner chunk coords.
func innerBox(b box, coords, inner []int) box {
	n := len(coords)
	ib := box{srcShape: inner, srcStart: make([]int, n), dstShape: b.dstShape, dstStart: make([]int, n), count: make([]int, n)}
	for k := range n {
		origin := coords[k] * inner[k]
		lo := max(b.srcStart[k], origin)
		hi := min(b.srcStart[k]+b.count[k], origin+inner[k])
		ib.srcStart[k] = lo - origin
		ib.dstStart[k] = b.dstStart[k] + lo - b.srcStart[k]
		ib.count[k] = hi - lo
	}
	return ib
}

// sameLayout reports whether decoded elements of kind k (little-endian) are
// bit for bit the in-memory representation of T on this machine.
func sameLayout[T Number](k dtype.Kind) bool {
	if !hostLittleEndian {
		return false
	}
	var zero T
	switch any(zero).(type) {
	case float32:
		return k == dtype.Float32
	case float64:
		return k == dtype.Float64
	case int8:
		return k == dtype.Int8
	case int16:
		return k == dtype.Int16
	case int32:
		return k == dtype.Int32
	case int64:
		return k == dtype.Int64
	case uint8:
		return k == dtype.Uint8
	case uint16:
		return k == dtype.Uint16
	case uint32:
		return k == dtype.Uint32
	case uint64:
		return k == dtype.Uint64
	}
	return false
}

var hostLittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()
