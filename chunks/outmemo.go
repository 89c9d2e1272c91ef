package chunks

import (
	"context"
	"fmt"

	"github.com/zarrproc/zarrproc/chunks/reduce"
	"github.com/zarrproc/zarrproc/zarr"
)

// outputEngineVersion changes whenever the output chunks the engine writes
// for the same partial states would change (finalizing, layout in the
// chunk), so that old ones are never written again.
var outputEngineVersion = "output-1/" + memoEngineVersion

// tileOutputs is what an OutputMemo holds for one tile: which of its output
// time chunks were kept (and are already written), the keys to keep the
// others under once computed, and the memo units only kept chunks need.
type tileOutputs struct {
	memo    OutputMemo
	keys    [][]*OutputKey // [output time chunk][reducer]
	cached  []bool         // [output time chunk]
	skip    []bool         // [time chunk - first]: no period of it is computed
	skipped []int64        // [time chunk - first]: the source bytes a skip does not read
}

// cachedBin reports whether bin's output chunk was written from the cache.
func (t *tileOutputs) cachedBin(p *Plan, bin int) bool {
	return t != nil && t.cached[bin/p.tchunk]
}

// skipUnit reports whether time chunk c (index from the tile's first) feeds
// only output chunks written from the cache.
func (t *tileOutputs) skipUnit(c int) bool {
	return t != nil && t.skip[c]
}

// loadTileOutputs looks tile i's output chunks up in om once the tile's
// source chunks are stat'ed, writes those it finds to outs, and returns
// what the tile must still compute. It returns nil (compute everything)
// when a source chunk has no version to key on.
func (p *Plan) loadTileOutputs(ctx context.Context, om OutputMemo, i int, srcs []tileSource, versions [][]chunkVersion, done []chan struct{}, outs []*zarr.Array, kinds string) (*tileOutputs, error) {
	ct := p.src.ChunkShape[p.taxis]
	c0 := p.t0 / ct
	_, _, th, tw := p.tileGeometry(i)
	units := make([]*MemoKey, len(versions))
	runBins := make([][]int32, len(versions)) // per unit, per run: its bin or -1
	t := &tileOutputs{memo: om, skip: make([]bool, len(versions)), skipped: make([]int64, len(versions))}
	for u := range versions {
		select {
		case <-done[u]:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		c := c0 + u
		s0, s1 := max(p.t0, c*ct), min(p.t1, (c+1)*ct)
		runs := p.memoRuns(s0, s1)
		k, err := p.memoKey(srcs, versions[u], kinds, c, s0, s1, th, tw, runs)
		if err != nil {
			return nil, nil // the unit warns when it meets the same error
		}
		units[u] = k
		step := s0 - p.t0
		for _, n := range runs {
			runBins[u] = append(runBins[u], p.binning.Index[step])
			step += n
		}
		for _, v := range versions[u] {
			t.skipped[u] += v.size
		}
	}

	nb := len(p.binning.Bins)
	t.keys = make([][]*OutputKey, (nb+p.tchunk-1)/p.tchunk)
	t.cached = make([]bool, len(t.keys))
	var flat []*OutputKey
	for tb := range t.keys {
		b0, b1 := tb*p.tchunk, min(nb, (tb+1)*p.tchunk)
		var ku []*MemoKey
		var kb [][]int32
		for u, bins := range runBins {
			rel := make([]int32, len(bins))
			in := false
			for r, b := range bins {
				rel[r] = -1
				if int(b) >= b0 && int(b) < b1 {
					rel[r], in = b-int32(b0), true
				}
			}
			if in {
				ku, kb = append(ku, units[u]), append(kb, rel)
			}
		}
		t.keys[tb] = make([]*OutputKey, len(p.reducers))
		for k, r := range p.reducers {
			t.keys[tb][k] = &OutputKey{
				Dataset: p.src.Store.URL(), Units: ku, Bins: kb, Periods: b1 - b0,
				Reducer:  fmt.Sprintf("%s q=%v ddof=%d min_count=%d", r.Op, r.Q, r.DDOF, p.minCount),
				Encoding: outputEncoding(outs[k]),
				Engine:   outputEngineVersion,
			}
			flat = append(flat, t.keys[tb][k])
		}
	}

	found := om.LoadOutputs(ctx, flat)
	for tb := range t.keys {
		vals := found[tb*len(p.reducers) : (tb+1)*len(p.reducers)]
		t.cached[tb] = true
		for _, v := range vals {
			t.cached[tb] = t.cached[tb] && v.Found
		}
		if !t.cached[tb] {
			continue
		}
		idx := []int{tb, p.tiles[i][0], p.tiles[i][1]}
		for k, v := range vals {
			if err := outs[k].PutChunk(ctx, idx, v.Chunk); err != nil {
				return nil, fmt.Errorf("writing %s: %w", outs[k].Path, err)
			}
		}
	}
	for u, bins := range runBins {
		t.skip[u] = true
		for _, b := range bins {
			if b >= 0 && !t.cached[int(b)/p.tchunk] {
				t.skip[u] = false
			}
		}
	}
	return t, nil
}

// outputs is how many output chunks the tile wrote from the cache.
func (t *tileOutputs) outputs() int {
	n := 0
	for tb, c := range t.cached {
		if c {
			n += len(t.keys[tb])
		}
	}
	return n
}

// outputEncoding fingerprints what an encoded chunk of a depends on besides
// its values.
func outputEncoding(a *zarr.Array) string {
	return fmt.Sprintf("%s fill=%x chunks=%v %s", a.DType, a.FillValue.Bytes(), a.ChunkShape, a.Codecs())
}

// writeOutputChunk writes output chunk idx (time chunk, row, column) of a,
// the output of reducer k, from data; with an output memo (t) it also keeps
// the encoded chunk under its key.
func writeOutputChunk[T float](ctx context.Context, a *zarr.Array, idx []int, data []T, t *tileOutputs, k int) error {
	if t == nil {
		return zarr.WriteChunkFrom(ctx, a, idx, data)
	}
	enc, err := zarr.EncodeChunkFrom(a, data)
	if err != nil {
		return err
	}
	if err := a.PutChunk(ctx, idx, enc); err != nil {
		return err
	}
	t.memo.StoreOutput(ctx, t.keys[idx[0]][k], enc)
	return nil
}

// stateKinds are the partial-state kinds the plan's reducers keep.
func (p *Plan) stateKinds() (string, error) {
	s, err := reduce.NewSet(0, p.reducers, p.minCount)
	if err != nil {
		return "", err
	}
	return s.Kinds(), nil
}
