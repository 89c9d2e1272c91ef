package chunks

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/zarrproc/zarrproc/chunks/reduce"
	"github.com/zarrproc/zarrproc/zarr"
)

// prefetchDepth is how many decoded time chunks a tile keeps ready ahead of
// the one being reduced: one is enough to overlap fetch+decode with reduce.
const prefetchDepth = 1

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

// tileBatch is the decoded values of one time chunk for a tile, laid out
// step-major ([step][row][col]) as reduce expects.
type tileBatch[T float] struct {
	step   int // selected-time index of the first step
	values []T
	buf    []T // the backing buffer to recycle (values may alias a chunk)
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
	free := make(chan []T, prefetchDepth+2)
	batches := make(chan tileBatch[T], prefetchDepth)
	go produce(ctx, p, srcs, th, tw, free, batches)

	w := newTileWriter[T](p, outputs, i)
	sets := make([]*reduce.Set, len(p.binning.Bins))
	var spare []*reduce.Set
	next := 0 // bins before next are finalized
	finish := func(upTo int) error {
		for ; next < len(sets) && p.lastStep[next] < upTo; next++ {
			s := sets[next]
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
		steps := len(b.values) / pixels
		idx := p.binning.Index[b.step : b.step+steps]
		for j := 0; j < steps; {
			bin := idx[j]
			k := j + 1
			for k < steps && idx[k] == bin {
				k++
			}
			if bin >= 0 {
				s := sets[bin]
				if s == nil {
					if n := len(spare); n > 0 {
						s, spare = spare[n-1], spare[:n-1]
					} else if s, err = reduce.NewSet(pixels, p.reducers, p.minCount); err != nil {
						return stats, err
					}
					sets[bin] = s
				}
				if err := accumulate(s, b.values[j*pixels:k*pixels], b.step+j); err != nil {
					return stats, err
				}
			}
			j = k
		}
		free <- b.buf
		stats.Chunks += len(srcs)
		if p.opts.Progress != nil {
			p.opts.Progress(int(p.chunksDone.Add(int64(len(srcs)))), p.SourceChunks())
		}
		if !p.binning.Spec.IsClimatology() {
			if err := finish(b.step + steps); err != nil {
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

func accumulate[T float](s *reduce.Set, v []T, step int) error {
	switch v := any(v).(type) {
	case []float32:
		return s.Accumulate32(v, step)
	case []float64:
		return s.Accumulate64(v, step)
	}
	panic("unreachable")
}

// produce fetches and decodes the tile's source chunks in time order and
// sends them, CF-decoded and gathered into tile layout, on out. A tile that
// covers exactly one whole source chunk in (time, y, x) order is reduced
// straight from the decoded chunk, without a copy.
func produce[T float](ctx context.Context, p *Plan, srcs []tileSource, th, tw int, free chan []T, out chan<- tileBatch[T]) {
	defer close(out)
	cs := p.src.ChunkShape
	ct := cs[p.taxis]
	chunkLen := product(cs)
	pixels := th * tw
	direct := len(srcs) == 1 && p.taxis == 0 && p.yaxis == 1 && p.xaxis == 2 &&
		srcs[0].r0 == 0 && srcs[0].c0 == 0 && th == cs[1] && tw == cs[2]
	var strides [3]int
	strides[2], strides[1], strides[0] = 1, cs[2], cs[1]*cs[2]
	var decoded []T
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
		steps := s1 - s0
		var buf []T
		select {
		case buf = <-free:
		default:
		}
		need := steps * pixels
		if direct {
			need = chunkLen
		}
		if cap(buf) < need {
			buf = make([]T, need)
		}
		buf = buf[:need]
		batch := tileBatch[T]{step: s0 - p.t0, buf: buf}
		idx := make([]int, 3)
		for _, src := range srcs {
			idx[p.taxis], idx[p.yaxis], idx[p.xaxis] = c, src.cy, src.cx
			dst := buf
			if !direct {
				if cap(decoded) < chunkLen {
					decoded = make([]T, chunkLen)
				}
				dst = decoded[:chunkLen]
			}
			if _, err := zarr.ReadChunkInto(ctx, p.src, idx, dst); err != nil {
				send(tileBatch[T]{err: err})
				return
			}
			if direct {
				batch.values = buf[(s0-c*ct)*pixels : (s1-c*ct)*pixels]
			} else {
				gather(dst, strides, p.taxis, p.yaxis, p.xaxis, s0-c*ct, steps, src, buf, th, tw)
				batch.values = buf
			}
		}
		decodeCF(p, batch.values)
		if !send(batch) {
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
}

type outChunk[T float] struct {
	data   [][]T // per reducer, tchunk×cy×cx
	filled int
}

func newTileWriter[T float](p *Plan, outs []*zarr.Array, i int) *tileWriter[T] {
	_, _, th, tw := p.tileGeometry(i)
	w := &tileWriter[T]{p: p, outs: outs, tile: p.tiles[i], th: th, tw: tw, chunks: map[int]*outChunk[T]{}}
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
		if err := zarr.WriteChunkFrom(ctx, a, idx, oc.data[k]); err != nil {
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
