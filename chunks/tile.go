package chunks

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"

	"github.com/zarrproc/zarrproc/chunks/reduce"
	"github.com/zarrproc/zarrproc/zarr"
	"github.com/zarrproc/zarrproc/zarr/store"
)

// prefetchDepth is how many decoded time chunks wait, ready, between a
// tile's producer and its reducer. Zero still overlaps the two (the producer
// decodes chunk k+1 while chunk k is reduced) and holds one chunk buffer
// less per tile; with tiles running on every core, deeper prefetch bought no
// speed on the CHIRPS-like benchmark and cost 14.6 MB per tile.
const prefetchDepth = 0

// float is the element type the engine works in.
type float interface{ ~float32 | ~float64 }

// tileSource is one source chunk column a tile reads, and the part of it
// that lands in the tile.
type tileSource struct {
	cy, cx int // source chunk grid index along y and x
	r0, c0 int // first row and column used, within the source chunk
	rows   int
	cols   int
	dr, dc int // where they land in the tile
}

// tileGeometry returns the tile's origin in the output grid and its size.
func (p *Plan) tileGeometry(i int) (oy, ox, th, tw int) {
	rc := p.tiles[i]
	oy, ox = rc[0]*p.cy, rc[1]*p.cx
	return oy, ox, min(p.cy, p.y1-p.y0-oy), min(p.cx, p.x1-p.x0-ox)
}

// tileSources lists the source chunk columns that tile i overlaps.
func (p *Plan) tileSources(i int) []tileSource {
	oy, ox, th, tw := p.tileGeometry(i)
	split := func(start, n, chunk int) (idx, off, cnt, dst []int) {
		for s := start; s < start+n; {
			k := s / chunk
			e := min(start+n, (k+1)*chunk)
			idx, off, cnt, dst = append(idx, k), append(off, s-k*chunk), append(cnt, e-s), append(dst, s-start)
			s = e
		}
		return
	}
	cs := p.src.ChunkShape
	yi, yo, yn, yd := split(p.y0+oy, th, cs[p.yaxis])
	xi, xo, xn, xd := split(p.x0+ox, tw, cs[p.xaxis])
	var out []tileSource
	for a := range yi {
		for b := range xi {
			out = append(out, tileSource{cy: yi[a], cx: xi[b], r0: yo[a], c0: xo[b], rows: yn[a], cols: xn[b], dr: yd[a], dc: xd[b]})
		}
	}
	return out
}

// RunTile computes tile i: it streams the tile's source chunks in time
// order, reduces them into per-period partial states, and writes each output
// chunk as soon as every period in it is complete. Running a tile twice
// writes the same bytes. CreateOutput must have run first.
func (p *Plan) RunTile(ctx context.Context, i int) (TileStats, error) {
	if i < 0 || i >= len(p.tiles) {
		return TileStats{}, fmt.Errorf("tile %d out of range (plan has %d)", i, len(p.tiles))
	}
	if p.f64 {
		return runTile[float64](ctx, p, i)
	}
	return runTile[float32](ctx, p, i)
}

// tileBatch is one time chunk of a tile: its decoded values laid out
// step-major ([step][row][col]) as reduce expects, or, with a memo, the
// partial states of its runs of one period.
type tileBatch[T float] struct {
	step   int // selected-time index of the first step
	steps  int
	values []T
	buf    []T // the backing buffer to recycle (values may alias a chunk)
	memo   *memoBatch
	// With a memo, values of a unit the memo bypassed: reduced like values
	// without a memo, but with source time indices, as memo states carry.
	bypass bool
	err    error
}

func runTile[T float](ctx context.Context, p *Plan, i int) (TileStats, error) {
	var stats TileStats
	var read atomic.Int64
	ctx, cancel := context.WithCancel(withBytesCounter(ctx, &read))
	defer cancel()

	outputs, err := p.openOutputs(ctx)
	if err != nil {
		return stats, err
	}
	_, _, th, tw := p.tileGeometry(i)
	pixels := th * tw
	srcs := p.tileSources(i)
	batches := make(chan tileBatch[T], prefetchDepth)
	free := make(chan []T, prefetchDepth+2)
	var spareParts chan *reduce.Set
	var cached *tileOutputs // output chunks the cache kept, already written
	if p.opts.Memo != nil {
		spareParts = make(chan *reduce.Set, 64)
		kinds, err := p.stateKinds()
		if err != nil {
			return stats, err
		}
		ct := p.src.ChunkShape[p.taxis]
		versions, done := p.statAhead(ctx, srcs, p.t0/ct, (p.t1-1)/ct)
		if om, ok := p.opts.Memo.(OutputMemo); ok {
			if cached, err = p.loadTileOutputs(ctx, om, i, srcs, versions, done, outputs, kinds); err != nil {
				return stats, err
			}
			if cached != nil {
				stats.OutputHits = cached.outputs()
			}
		}
		go produceMemo(ctx, p, srcs, th, tw, kinds, versions, done, cached, spareParts, free, batches)
	} else {
		go produce(ctx, p, srcs, th, tw, free, batches)
	}

	w := newTileWriter[T](p, outputs, i, cached)
	sets := make([]*reduce.Set, len(p.binning.Bins))
	var spare []*reduce.Set
	binSet := func(bin int) (*reduce.Set, error) {
		s := sets[bin]
		if s == nil {
			if n := len(spare); n > 0 {
				s, spare = spare[n-1], spare[:n-1]
			} else if s, err = reduce.NewSet(pixels, p.reducers, p.minCount); err != nil {
				return nil, err
			}
			sets[bin] = s
		}
		return s, nil
	}
	next := 0 // bins before next are finalized
	finish := func(upTo int) error {
		for ; next < len(sets) && p.lastStep[next] < upTo; next++ {
			s := sets[next]
			if cached.cachedBin(p, next) {
				// Written from the cache; parts of it are only merged
				// when they share a unit with a computed bin.
				sets[next] = nil
				continue
			}
			if s == nil { // a bin with no selected step: all missing
				var err error
				if s, err = reduce.NewSet(pixels, p.reducers, p.minCount); err != nil {
					return err
				}
			}
			if err := w.finish(ctx, next, s); err != nil {
				return err
			}
			sets[next] = nil
			if spareParts != nil {
				// Memo parts are decoded over whatever they held.
				select {
				case spareParts <- s:
				default:
				}
				continue
			}
			s.Reset()
			spare = append(spare, s)
		}
		return nil
	}
	if !p.binning.Spec.IsClimatology() {
		if err := finish(0); err != nil {
			return stats, err
		}
	}
	for b := range batches {
		if b.err != nil {
			return stats, b.err
		}
		if m := b.memo; m != nil {
			for _, part := range m.parts {
				bin := p.binning.Index[part.step]
				if cached.cachedBin(p, int(bin)) {
					select {
					case spareParts <- part.set:
					default:
					}
					continue
				}
				if sets[bin] == nil {
					// The bin's first part becomes its running Set: no copy.
					sets[bin] = part.set
					continue
				}
				if err := sets[bin].Merge(part.set); err != nil {
					return stats, err
				}
				select {
				case spareParts <- part.set:
				default:
				}
			}
			stats.countMemo(m.outcome, m.sourceBytes)
			if m.outcome != MemoHit {
				stats.Chunks += len(srcs)
			}
		} else {
			idx := p.binning.Index[b.step : b.step+b.steps]
			t0 := b.step // the time index first and last keep
			if b.bypass {
				t0 += p.t0
				stats.CacheBypasses++
			}
			for j := 0; j < b.steps; {
				bin := idx[j]
				k := j + 1
				for k < b.steps && idx[k] == bin {
					k++
				}
				if bin >= 0 {
					s, err := binSet(int(bin))
					if err != nil {
						return stats, err
					}
					if err := accumulate(s, b.values[j*pixels:k*pixels], t0+j); err != nil {
						return stats, err
					}
				}
				j = k
			}
			free <- b.buf
			stats.Chunks += len(srcs)
		}
		if p.opts.Progress != nil {
			p.opts.Progress(int(p.chunksDone.Add(int64(len(srcs)))), p.SourceChunks())
		}
		if !p.binning.Spec.IsClimatology() {
			if err := finish(b.step + b.steps); err != nil {
				return stats, err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return stats, err
	}
	if err := finish(len(p.dates)); err != nil {
		return stats, err
	}
	if err := w.flush(ctx); err != nil {
		return stats, err
	}
	stats.BytesRead = read.Load()
	return stats, nil
}

func (s *TileStats) countMemo(o MemoOutcome, sourceBytes int64) {
	switch o {
	case MemoHit:
		s.CacheHits++
		s.BytesSaved += sourceBytes
	case MemoMiss:
		s.CacheMisses++
	case MemoTooBig:
		s.CacheMisses++
		s.CacheTooBig++
	case MemoBypass:
		s.CacheBypasses++
	}
}

func accumulate[T float](s *reduce.Set, v []T, step int) error {
	switch v := any(v).(type) {
	case []float32:
		return s.Accumulate32(v, step)
	case []float64:
		return s.Accumulate64(v, step)
	}
	panic("unreachable")
}

// chunkReader fetches and decodes one time chunk of a tile's source chunk
// columns, CF-decoded and gathered into tile layout.
type chunkReader[T float] struct {
	p        *Plan
	srcs     []tileSource
	th, tw   int
	ct       int // chunk length along time
	chunkLen int
	direct   bool
	strides  [3]int
	decoded  []T
	idx      []int
}

func newChunkReader[T float](p *Plan, srcs []tileSource, th, tw int) *chunkReader[T] {
	cs := p.src.ChunkShape
	r := &chunkReader[T]{p: p, srcs: srcs, th: th, tw: tw, ct: cs[p.taxis], chunkLen: product(cs), idx: make([]int, 3)}
	// A tile that covers exactly one whole source chunk in (time, y, x)
	// order is reduced straight from the decoded chunk, without a copy.
	r.direct = len(srcs) == 1 && p.taxis == 0 && p.yaxis == 1 && p.xaxis == 2 &&
		srcs[0].r0 == 0 && srcs[0].c0 == 0 && th == cs[1] && tw == cs[2]
	r.strides[2], r.strides[1], r.strides[0] = 1, cs[2], cs[1]*cs[2]
	return r
}

// read decodes the selected steps [s0, s1) of time chunk c. It returns the
// values and the buffer holding them: buf when large enough, else a new one.
func (r *chunkReader[T]) read(ctx context.Context, c, s0, s1 int, buf []T) (values, backing []T, err error) {
	p := r.p
	steps := s1 - s0
	pixels := r.th * r.tw
	need := steps * pixels
	if r.direct {
		need = r.chunkLen
	}
	if cap(buf) < need {
		buf = make([]T, need)
	}
	buf = buf[:need]
	for _, src := range r.srcs {
		r.idx[p.taxis], r.idx[p.yaxis], r.idx[p.xaxis] = c, src.cy, src.cx
		dst := buf
		if !r.direct {
			if cap(r.decoded) < r.chunkLen {
				r.decoded = make([]T, r.chunkLen)
			}
			dst = r.decoded[:r.chunkLen]
		}
		if _, err := zarr.ReadChunkInto(ctx, p.src, r.idx, dst); err != nil {
			return nil, buf, err
		}
		if r.direct {
			values = buf[(s0-c*r.ct)*pixels : (s1-c*r.ct)*pixels]
		} else {
			gather(dst, r.strides, p.taxis, p.yaxis, p.xaxis, s0-c*r.ct, steps, src, buf, r.th, r.tw)
			values = buf
		}
	}
	decodeCF(p, values)
	return values, buf, nil
}

// produce fetches and decodes the tile's source chunks in time order and
// sends them on out.
func produce[T float](ctx context.Context, p *Plan, srcs []tileSource, th, tw int, free chan []T, out chan<- tileBatch[T]) {
	defer close(out)
	r := newChunkReader[T](p, srcs, th, tw)
	ct := r.ct
	send := func(b tileBatch[T]) bool {
		select {
		case out <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for c := p.t0 / ct; c <= (p.t1-1)/ct; c++ {
		s0, s1 := max(p.t0, c*ct), min(p.t1, (c+1)*ct)
		var buf []T
		select {
		case buf = <-free:
		default:
		}
		values, buf, err := r.read(ctx, c, s0, s1, buf)
		if err != nil {
			send(tileBatch[T]{err: err})
			return
		}
		if !send(tileBatch[T]{step: s0 - p.t0, steps: s1 - s0, values: values, buf: buf}) {
			return
		}
	}
}

// gather copies the part of a decoded source chunk that src describes into
// the tile buffer, for steps timesteps from chunk step t0.
func gather[T float](chunk []T, st [3]int, ta, ya, xa, t0, steps int, src tileSource, dst []T, th, tw int) {
	tS, yS, xS := st[ta], st[ya], st[xa]
	for j := 0; j < steps; j++ {
		for r := 0; r < src.rows; r++ {
			so := (t0+j)*tS + (src.r0+r)*yS + src.c0*xS
			do := j*th*tw + (src.dr+r)*tw + src.dc
			if xS == 1 {
				copy(dst[do:do+src.cols], chunk[so:so+src.cols])
				continue
			}
			for k := 0; k < src.cols; k++ {
				dst[do+k] = chunk[so+k*xS]
			}
		}
	}
}

func decodeCF[T float](p *Plan, v []T) {
	if p.v.Coding.IsIdentity() {
		return
	}
	switch v := any(v).(type) {
	case []float32:
		p.v.Coding.DecodeFloat32(v)
	case []float64:
		p.v.Coding.DecodeFloat64(v)
	}
}

// tileWriter collects a tile's finished periods into output chunks and
// writes each chunk once all its periods are in.
type tileWriter[T float] struct {
	p      *Plan
	outs   []*zarr.Array
	tile   [2]int
	th, tw int
	res    [][]T
	chunks map[int]*outChunk[T]
	cache  *tileOutputs // nil without an output memo
}

type outChunk[T float] struct {
	data   [][]T // per reducer, tchunk×cy×cx
	filled int
}

func newTileWriter[T float](p *Plan, outs []*zarr.Array, i int, cache *tileOutputs) *tileWriter[T] {
	_, _, th, tw := p.tileGeometry(i)
	w := &tileWriter[T]{p: p, outs: outs, tile: p.tiles[i], th: th, tw: tw, chunks: map[int]*outChunk[T]{}, cache: cache}
	w.res = make([][]T, len(p.reducers))
	for k := range w.res {
		w.res[k] = make([]T, th*tw)
	}
	return w
}

func (w *tileWriter[T]) finish(ctx context.Context, bin int, s *reduce.Set) error {
	p := w.p
	switch res := any(w.res).(type) {
	case [][]float32:
		if err := s.Finalize32(res); err != nil {
			return err
		}
	case [][]float64:
		if err := s.Finalize64(res); err != nil {
			return err
		}
	}
	tb := bin / p.tchunk
	oc := w.chunks[tb]
	if oc == nil {
		oc = &outChunk[T]{data: make([][]T, len(p.reducers))}
		for k, r := range p.reducers {
			oc.data[k] = make([]T, p.tchunk*p.cy*p.cx)
			if r.Op != reduce.Count {
				nan := T(math.NaN())
				for i := range oc.data[k] {
					oc.data[k][i] = nan
				}
			}
		}
		w.chunks[tb] = oc
	}
	base := (bin % p.tchunk) * p.cy * p.cx
	for k := range p.reducers {
		for r := 0; r < w.th; r++ {
			copy(oc.data[k][base+r*p.cx:base+r*p.cx+w.tw], w.res[k][r*w.tw:(r+1)*w.tw])
		}
	}
	oc.filled++
	if oc.filled < min(p.tchunk, len(p.binning.Bins)-tb*p.tchunk) {
		return nil
	}
	idx := []int{tb, w.tile[0], w.tile[1]}
	for k, a := range w.outs {
		if err := writeOutputChunk(ctx, a, idx, oc.data[k], w.cache, k); err != nil {
			return fmt.Errorf("writing %s: %w", a.Path, err)
		}
	}
	delete(w.chunks, tb)
	return nil
}

func (w *tileWriter[T]) flush(context.Context) error {
	for tb, oc := range w.chunks {
		return fmt.Errorf("tile %v: output chunk %d has %d of its periods (internal error)", w.tile, tb, oc.filled)
	}
	return nil
}

// memoEngineVersion changes whenever what the engine stores for a memo unit
// would change for the same inputs (the reduction, the unit payload, the
// state encoding), so that old values are never read.
var memoEngineVersion = fmt.Sprintf("engine-1/units-%d/reduce-%d", memoUnitsVersion, reduce.EncodingVersion)

// memoBatch is a time chunk of a tile as partial states, one per run of
// steps of one period (possibly of no selected period: bin -1).
type memoBatch struct {
	parts       []memoPart
	outcome     MemoOutcome
	sourceBytes int64 // what computing the states read (saved on a hit)
}

type memoPart struct {
	step int // selected-time index of the run's first step
	set  *reduce.Set
}

// produceMemo is produce with a memo: for each time chunk it looks the
// tile's partial states up first and fetches the chunk only on a miss. The
// states are computed per run of one period, each in a fresh Set, whatever
// the request, so that any request whose runs agree can reuse them.
//
// Time chunks that feed only output chunks the cache kept (cached) are not
// looked up: they go out as hits with no parts. While the memo says it
// would bypass anyway (its cache is away), a time chunk goes out as values,
// in a buffer from free, without encoding states nobody stores.
func produceMemo[T float](ctx context.Context, p *Plan, srcs []tileSource, th, tw int, kinds string, versions [][]chunkVersion, done []chan struct{}, cached *tileOutputs, spare chan *reduce.Set, free chan []T, out chan<- tileBatch[T]) {
	defer close(out)
	r := newChunkReader[T](p, srcs, th, tw)
	ct := r.ct
	pixels := th * tw
	send := func(b tileBatch[T]) bool {
		select {
		case out <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	scratch, err := reduce.NewSet(pixels, p.reducers, p.minCount)
	if err != nil {
		send(tileBatch[T]{err: err})
		return
	}
	newPart := func() (*reduce.Set, error) {
		select {
		case s := <-spare:
			return s, nil
		default:
			return reduce.NewSet(pixels, p.reducers, p.minCount)
		}
	}
	read := ctx.Value(bytesReadKey{}).(*atomic.Int64)
	bypasser, _ := p.opts.Memo.(MemoBypasser)
	var buf []T
	for c := p.t0 / ct; c <= (p.t1-1)/ct; c++ {
		s0, s1 := max(p.t0, c*ct), min(p.t1, (c+1)*ct)
		if u := c - p.t0/ct; cached.skipUnit(u) {
			mb := &memoBatch{outcome: MemoHit, sourceBytes: cached.skipped[u]}
			if !send(tileBatch[T]{step: s0 - p.t0, steps: s1 - s0, memo: mb}) {
				return
			}
			continue
		}
		if bypasser != nil && bypasser.BypassNow() {
			var own []T
			select {
			case own = <-free:
			default:
			}
			values, own, err := r.read(ctx, c, s0, s1, own)
			if err != nil {
				send(tileBatch[T]{err: err})
				return
			}
			if !send(tileBatch[T]{step: s0 - p.t0, steps: s1 - s0, values: values, buf: own, bypass: true}) {
				return
			}
			continue
		}
		runs := p.memoRuns(s0, s1)
		compute := func(ctx context.Context) (MemoValue, error) {
			var unit atomic.Int64
			var values []T
			var err error
			values, buf, err = r.read(withBytesCounter(ctx, &unit), c, s0, s1, buf)
			read.Add(unit.Load())
			if err != nil {
				return MemoValue{}, err
			}
			states, err := encodeUnit(scratch, values, pixels, s0, runs)
			return MemoValue{States: states, SourceBytes: unit.Load()}, err
		}
		var (
			val     MemoValue
			outcome = MemoBypass
		)
		select {
		case <-done[c-p.t0/ct]:
		case <-ctx.Done():
			return
		}
		key, err := p.memoKey(srcs, versions[c-p.t0/ct], kinds, c, s0, s1, th, tw, runs)
		if err == nil {
			val, outcome, err = p.opts.Memo.Do(ctx, key, compute)
		} else {
			slog.Warn("memo: no key for the chunk, computing without the cache", "array", p.src.Path, "time_chunk", c, "err", err)
			val, err = compute(ctx)
		}
		if err != nil {
			send(tileBatch[T]{err: err})
			return
		}
		parts, err := decodeUnit(val.States, p, s0, runs, newPart)
		if err != nil && outcome == MemoHit {
			// A stored value that does not decode must not fail the job:
			// recompute from the source.
			slog.Warn("memo: cached partial states do not decode, recomputing", "array", p.src.Path, "time_chunk", c, "err", err)
			if val, err = compute(ctx); err == nil {
				outcome = MemoBypass
				parts, err = decodeUnit(val.States, p, s0, runs, newPart)
			}
		}
		if err != nil {
			send(tileBatch[T]{err: fmt.Errorf("%s: partial states of time chunk %d: %w", p.src.Path, c, err)})
			return
		}
		mb := &memoBatch{parts: parts, outcome: outcome}
		if outcome == MemoHit {
			mb.sourceBytes = val.SourceBytes
		}
		if !send(tileBatch[T]{step: s0 - p.t0, steps: s1 - s0, memo: mb}) {
			return
		}
	}
}

// memoRuns splits the source steps [s0, s1) into runs of one bin.
func (p *Plan) memoRuns(s0, s1 int) []int {
	idx := p.binning.Index[s0-p.t0 : s1-p.t0]
	var runs []int
	for j := 0; j < len(idx); {
		k := j + 1
		for k < len(idx) && idx[k] == idx[j] {
			k++
		}
		runs = append(runs, k-j)
		j = k
	}
	return runs
}

// memoKey names the partial states of the tile's share of time chunk c.
func (p *Plan) memoKey(srcs []tileSource, versions []chunkVersion, kinds string, c, s0, s1, th, tw int, runs []int) (*MemoKey, error) {
	ct := p.src.ChunkShape[p.taxis]
	k := &MemoKey{
		Dataset:  p.src.Store.URL(),
		Array:    p.src.Path,
		Layout:   fmt.Sprintf("%s %v %s", p.src.DType, p.src.ChunkShape, p.src.Codecs()),
		Coding:   fmt.Sprintf("%+v", p.v.Coding),
		TileRows: th, TileCols: tw,
		Window:  [2]int{s0 - c*ct, s1 - c*ct},
		Runs:    runs,
		Kinds:   kinds,
		Float64: p.f64,
		Engine:  memoEngineVersion,
	}
	for j, src := range srcs {
		v := versions[j]
		if v.err != nil {
			return nil, v.err
		}
		k.Chunks = append(k.Chunks, MemoChunk{Key: v.key, ETag: v.etag, Row: src.r0, Col: src.c0, Rows: src.rows, Cols: src.cols, DstRow: src.dr, DstCol: src.dc})
	}
	return k, nil
}

// chunkVersion is a source chunk's store key, object version and size.
type chunkVersion struct {
	key, etag string
	size      int64
	err       error
}

// statAhead stats the tile's source chunks of time chunks c0…c1 in time
// order, statConcurrency at once, so that an object store's HEAD latencies
// overlap each other and the tile's work instead of adding up. Time chunk
// c's versions (one per source) are ready once done[c-c0] is closed.
func (p *Plan) statAhead(ctx context.Context, srcs []tileSource, c0, c1 int) (versions [][]chunkVersion, done []chan struct{}) {
	const statConcurrency = 8
	versions = make([][]chunkVersion, c1-c0+1)
	done = make([]chan struct{}, len(versions))
	for i := range done {
		versions[i] = make([]chunkVersion, len(srcs))
		done[i] = make(chan struct{})
	}
	sem := make(chan struct{}, statConcurrency)
	go func() {
		for i := range versions {
			var wg sync.WaitGroup
			for j, src := range srcs {
				idx := make([]int, 3)
				idx[p.taxis], idx[p.yaxis], idx[p.xaxis] = c0+i, src.cy, src.cx
				v := &versions[i][j]
				v.key = p.src.ChunkStoreKey(idx)
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					v.err = ctx.Err()
					continue
				}
				wg.Add(1)
				go func() {
					defer func() { <-sem; wg.Done() }()
					info, err := p.src.Store.Stat(ctx, v.key)
					if err != nil && !errors.Is(err, store.ErrNotFound) {
						v.err = fmt.Errorf("stat %s: %w", v.key, err)
					}
					v.etag, v.size = info.ETag, info.Size
				}()
			}
			go func() { wg.Wait(); close(done[i]) }()
		}
	}()
	return versions, done
}

// A memo unit's payload, little-endian: "ZPMU", u8 version, u32 runs, then
// per run u32 length and the run's Set (reduce's encoding). The runs'
// boundaries are in the key.
const (
	memoUnitsMagic   = "ZPMU"
	memoUnitsVersion = 1
)

// encodeUnit reduces each run of values (steps from source step s0) into
// scratch and appends its encoding. First/last carry source time indices,
// not selected ones, so the states do not depend on the request's range.
func encodeUnit[T float](scratch *reduce.Set, values []T, pixels, s0 int, runs []int) ([]byte, error) {
	b := append([]byte(memoUnitsMagic), memoUnitsVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(runs)))
	j := 0
	for _, n := range runs {
		scratch.Reset()
		if err := accumulate(scratch, values[j*pixels:(j+n)*pixels], s0+j); err != nil {
			return nil, err
		}
		enc, err := scratch.MarshalBinary()
		if err != nil {
			return nil, err
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(len(enc)))
		b = append(b, enc...)
		j += n
	}
	return b, nil
}

// decodeUnit decodes the runs of a payload that belong to selected bins.
func decodeUnit(b []byte, p *Plan, s0 int, runs []int, newSet func() (*reduce.Set, error)) ([]memoPart, error) {
	if len(b) < 9 || string(b[:4]) != memoUnitsMagic || b[4] != memoUnitsVersion {
		return nil, fmt.Errorf("memo unit of %d bytes has no valid header", len(b))
	}
	if n := binary.LittleEndian.Uint32(b[5:]); int(n) != len(runs) {
		return nil, fmt.Errorf("memo unit holds %d runs, want %d", n, len(runs))
	}
	b = b[9:]
	parts := make([]memoPart, 0, len(runs))
	step := s0 - p.t0
	for _, n := range runs {
		if len(b) < 4 {
			return nil, fmt.Errorf("memo unit truncated")
		}
		l := binary.LittleEndian.Uint32(b)
		if uint64(len(b)-4) < uint64(l) {
			return nil, fmt.Errorf("memo unit truncated")
		}
		enc := b[4 : 4+l]
		b = b[4+l:]
		if p.binning.Index[step] >= 0 {
			s, err := newSet()
			if err != nil {
				return nil, err
			}
			if err := s.UnmarshalBinary(enc); err != nil {
				return nil, err
			}
			parts = append(parts, memoPart{step: step, set: s})
		}
		step += n
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("memo unit has %d bytes after its runs", len(b))
	}
	return parts, nil
}
